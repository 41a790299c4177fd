//! `policy::check` on bad policies: every diagnostic rendered the way `sluice policy check`
//! prints it (file:line:col, the line, a caret under the spot, help), as insta snapshots.
//! And the shipped policy checks against the shipped lists.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use sluice_core::ListEntry;
use sluice_engine::lists::ListStore;
use sluice_engine::policy::{self, Severity};
use sluice_io::{Format, ReadItem, RecordReader};
use std::io::Cursor;
use std::path::Path;

const DEFAULT_LISTS: &str = include_str!("../../../lists/default.csv");
const DEFAULT_POLICY: &str = include_str!("../../../policies/default.toml");

fn default_lists() -> ListStore {
    let mut reader = RecordReader::<ListEntry>::from_reader(
        Path::new("default.csv"),
        Format::Csv,
        Box::new(Cursor::new(DEFAULT_LISTS.as_bytes())),
    )
    .unwrap();
    let mut entries = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        match item {
            ReadItem::Record(e, _) => entries.push(e),
            ReadItem::Rejected(r) => panic!("lists/default.csv: {r}"),
        }
    }
    ListStore::new(entries, None).unwrap()
}

/// Every diagnostic of `src`, rendered.
fn render(src: &str, lists: &ListStore) -> String {
    let checked = policy::check(src, lists);
    let mut out: String = checked.diagnostics.iter().map(|d| d.render("policy.toml", src)).collect();
    out.push_str(if checked.policy.is_some() { "=> checks\n" } else { "=> refused\n" });
    out
}

const HEAD: &str = "id = \"t\"\nversion = \"1\"\n\n";

/// (snapshot name, policy body after the header).
const BAD: &[(&str, &str)] = &[
    (
        "syntax_error",
        "[[rule]]\nid = \"r\"\nwhen = 'tx.amount >'\nreason = \"MANUAL_REVIEW\"\noutcome = \"review\"\n",
    ),
    ("toml_syntax_error", "[[rule]\nid = \"r\"\n"),
    (
        "unknown_field",
        "[[rule]]\nid = \"r\"\nwhen = 'payer.in_24h.cuont > 3'\nreason = \"VELOCITY_IN\"\noutcome = \"review\"\n",
    ),
    (
        "unknown_tx_field",
        "[[rule]]\nid = \"r\"\nwhen = 'tx.amout > 3'\nreason = \"VELOCITY_IN\"\noutcome = \"review\"\n",
    ),
    (
        "unknown_list",
        "[[rule]]\nid = \"r\"\nwhen = 'payee.listed(\"exchange\")'\nreason = \"LIST_EXCHANGE_PAYEE\"\noutcome = \"block\"\n",
    ),
    (
        "int_double_mix",
        "[[rule]]\nid = \"r\"\nwhen = 'tx.amount > 1.5'\nreason = \"MANUAL_REVIEW\"\noutcome = \"review\"\n",
    ),
    (
        "non_bool_condition",
        "[[rule]]\nid = \"r\"\nwhen = 'payer.in_24h.count + 1'\nreason = \"MANUAL_REVIEW\"\noutcome = \"review\"\n",
    ),
    (
        "unknown_reason",
        "[[rule]]\nid = \"r\"\nwhen = 'tx.amount > 1'\nreason = \"VELOCITY_OUTT\"\noutcome = \"review\"\n",
    ),
    (
        "allow_with_non_allowlist_reason",
        "[[rule]]\nid = \"r\"\nwhen = 'payer.kyc == 3'\nreason = \"VELOCITY_OUT\"\noutcome = \"allow\"\n",
    ),
    (
        "bad_duration",
        "[[rule]]\nid = \"r\"\nwhen = 'payer.out_1h.count > 50'\nreason = \"VELOCITY_OUT\"\noutcome = \"block\"\nactions = [{ on = \"payer\", kind = \"suspend_out\", for = \"3y\" }]\n",
    ),
    (
        "unreachable_contradiction",
        "[[rule]]\nid = \"r\"\nwhen = 'payee.in_24h.count > 10 && payee.in_24h.count < 5'\nreason = \"VELOCITY_IN\"\noutcome = \"review\"\n",
    ),
    (
        "unreachable_constant_false",
        "[[rule]]\nid = \"r\"\nwhen = '1 > 2 && tx.amount > 0'\nreason = \"VELOCITY_IN\"\noutcome = \"review\"\n",
    ),
    (
        "unreachable_effective_dates",
        "[[rule]]\nid = \"r\"\nwhen = 'tx.amount > 0'\nreason = \"MANUAL_REVIEW\"\noutcome = \"review\"\neffective_from = \"2021-02-19\"\neffective_until = \"2021-01-05\"\n",
    ),
    (
        "duplicate_rule_id",
        "[[rule]]\nid = \"r\"\nwhen = 'tx.amount > 1'\nreason = \"MANUAL_REVIEW\"\noutcome = \"review\"\n\n[[rule]]\nid = \"r\"\nwhen = 'tx.amount > 2'\nreason = \"MANUAL_REVIEW\"\noutcome = \"review\"\n",
    ),
    (
        "unknown_toml_key",
        "[[rule]]\nid = \"r\"\nwhen = 'tx.amount > 1'\nreason = \"MANUAL_REVIEW\"\noutcome = \"review\"\nseverity = \"high\"\n",
    ),
    (
        "non_ascii_in_condition",
        "[[rule]]\nid = \"r\"\nwhen = 'tx.memo == \"比特币\" && tx.memoo == \"U盘\"'\nreason = \"MEMO_CRYPTO_TERM\"\noutcome = \"review\"\n",
    ),
    (
        "restriction_reason_in_rule",
        "[[rule]]\nid = \"r\"\nwhen = 'tx.amount > 1'\nreason = \"ACCOUNT_SUSPENDED_OUT\"\noutcome = \"block\"\n",
    ),
];

#[test]
fn bad_policies_are_refused_with_a_caret_under_the_spot() {
    let lists = default_lists();
    for (name, body) in BAD {
        let src = format!("{HEAD}{body}");
        let out = render(&src, &lists);
        assert!(out.ends_with("=> refused\n"), "{name} was not refused:\n{out}");
        insta::assert_snapshot!(*name, out);
    }
}

/// A rule that reads a list is list evidence whatever its reason code: an allowlist never
/// overrides it, and the check says so when the code's category would suggest otherwise.
#[test]
fn a_list_rule_under_a_memo_reason_is_warned_about_and_never_overridden() {
    let lists = default_lists();
    let src = format!(
        "{HEAD}[[rule]]\nid = \"r\"\nwhen = 'payee.listed(\"exchanges\")'\nreason = \"MEMO_EXCHANGE_TERM\"\noutcome = \"block\"\n\n[[rule]]\nid = \"m\"\nwhen = 'memo.strong(\"otc\") > 0'\nreason = \"MEMO_OTC_TERM\"\noutcome = \"review\"\n"
    );
    let checked = policy::check(&src, &lists);
    let warnings: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        warnings.iter().any(|m| m.contains("reads a list") && m.contains("MEMO_EXCHANGE_TERM")),
        "{warnings:?}"
    );
    let policy = checked.policy.expect("a warning does not refuse the policy");
    let overridable: Vec<(&str, bool)> =
        policy.rules.iter().map(|r| (r.id.as_str(), r.overridable)).collect();
    assert_eq!(overridable, [("r", false), ("m", true)]);
}

#[test]
fn the_default_policy_checks_against_the_default_lists() {
    let lists = default_lists();
    let checked = policy::check(DEFAULT_POLICY, &lists);
    let errors: String = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.render("policies/default.toml", DEFAULT_POLICY))
        .collect();
    assert!(errors.is_empty(), "{errors}");
    let policy = checked.policy.expect("the default policy checks");
    assert!(!policy.rules.is_empty());
}
