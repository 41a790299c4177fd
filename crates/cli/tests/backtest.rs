//! `sluice backtest` end to end on a hand-written world (`tests/backtest/`): the candidate is
//! the built-in policy plus one rule that blocks large person-to-person payments and suspends
//! the payee's incoming payments for a week. Eight payments:
//!
//! | tx | payment | baseline | candidate |
//! |---|---|---|---|
//! | t1 | U1 → U3 ¥15,000 p2p (crypto) | allow | block: the new rule; U3 suspended in |
//! | t2 | U2 → U3 ¥200 (crypto) | allow | block: U3's suspension |
//! | t3 | U4 → U5 ¥12,000 rent | allow | block: the new rule; U5 suspended in |
//! | t4 | U1 → M1 ¥50 shop | allow | allow |
//! | t5 | U4 → U5 ¥100 | allow | block: U5's suspension |
//! | t6 | U5 → U4 ¥300 | allow | allow (only incoming is suspended) |
//! | t7 | U2 → U1 ¥500 "收U" (crypto) | review | review |
//! | t8 | U4 → U1 ¥20,000 red packet | allow | allow (not p2p) |
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn world() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/backtest")
}

const NEW_RULE: &str = r#"
[[rule]]
id = "big-p2p"
description = "A large person-to-person payment"
when = 'tx.channel == "p2p" && tx.amount >= 1000000'
outcome = "block"
weight = 0.9
reason = "MANUAL_REVIEW"
actions = [{ on = "payee", kind = "suspend_in", for = "7d" }]
"#;

/// The built-in policy with one more rule, under a new version.
fn candidate(dir: &Path) -> PathBuf {
    let default = std::fs::read_to_string(root().join("policies/default.toml")).unwrap();
    let src = default.replace("version = \"2026.11-1\"", "version = \"2026.11-1-big-p2p\"") + NEW_RULE;
    let p = dir.join("candidate.toml");
    std::fs::write(&p, src).unwrap();
    p
}

fn backtest(policy: &Path, extra: &[&str], report: Option<&Path>) -> Output {
    let w = world();
    let mut c = sluice();
    c.arg("backtest")
        .arg("--policy")
        .arg(policy)
        .arg("--accounts")
        .arg(w.join("accounts.csv"))
        .arg("--transactions")
        .arg(w.join("transactions.csv"))
        .args(extra);
    if let Some(r) = report {
        c.arg("--report").arg(r);
    }
    c.output().unwrap()
}

fn labels() -> Vec<String> {
    let w = world();
    vec![
        "--labels".into(),
        w.join("labels_accounts.csv").display().to_string(),
        "--tx-labels".into(),
        w.join("labels_transactions.csv").display().to_string(),
    ]
}

#[test]
fn one_new_rule_gains_exactly_its_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let policy = candidate(dir.path());
    let report = dir.path().join("report");
    let extra = labels();
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let run = backtest(&policy, &extra, Some(&report));
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("8 payments: 4 decisions change (4 more severe, 0 less severe)"), "{stdout}");
    assert!(stdout.contains("allow→block 4"), "{stdout}");

    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("backtest.json")).unwrap()).unwrap();
    assert_eq!(v["baseline"], "crypto-ban@2026.11-1");
    assert_eq!(v["candidate"], "crypto-ban@2026.11-1-big-p2p");
    assert_eq!(v["decisions"]["baseline"], serde_json::json!({"allow": 7, "review": 1, "block": 0}));
    assert_eq!(v["decisions"]["candidate"], serde_json::json!({"allow": 3, "review": 1, "block": 4}));
    let rule = |id: &str| v["rules"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap().clone();
    let big = rule("big-p2p");
    assert_eq!([&big["fired_baseline"], &big["fired_candidate"], &big["gained"], &big["lost"]], [0, 2, 2, 0]);
    assert_eq!(big["in"], serde_json::json!(["candidate"]));
    let in_force = rule("(restriction in force)");
    assert_eq!([&in_force["fired_baseline"], &in_force["fired_candidate"], &in_force["gained"]], [0, 2, 2]);
    assert_eq!(rule("memo-otc")["fired_baseline"], 1);
    assert_eq!(rule("memo-otc")["gained"], 0);
    assert_eq!(v["restrictions"]["candidate"]["suspend_in"], 2);
    assert_eq!(v["restrictions"]["baseline"]["total"], 0);
    assert_eq!(v["accounts"]["candidate"]["flagged"], 5);
    assert_eq!(v["accounts"]["candidate"]["restricted"], 2);
    assert_eq!(v["accounts"]["newly_flagged"], 5);
    // Payments: the candidate blocks t1, t2 (crypto) and t3, t5 (not); misses t7.
    let blocked = &v["transaction_labels"]["candidate"]["blocked"];
    assert_eq!([&blocked["tp"], &blocked["fp"], &blocked["fn"]], [2, 2, 1]);
    assert_eq!(blocked["precision"], 0.5);
    assert_eq!(blocked["recall"], 0.6667);
    assert_eq!(v["transaction_labels"]["baseline"]["flagged"]["recall"], 0.3333);
    assert_eq!(v["changed_payments"]["newly_blocked"]["crypto"], 2);
    assert_eq!(v["changed_payments"]["newly_blocked"]["not_crypto"], 2);
    // Accounts: U3 (the OTC merchant) is caught; U4 (payer of a block) and U5 (restricted)
    // are normal accounts: false alarms; U1 and U2, buyers flagged, are neither.
    let acc = &v["account_labels"]["candidate"];
    assert_eq!(acc["operators_flagged"]["tp"], 1);
    assert_eq!(acc["operators_flagged"]["fp"], 2);
    assert_eq!(acc["operators_restricted"]["precision"], 0.5);
    assert_eq!(v["account_labels"]["baseline"]["operators_flagged"]["recall"], 0.0);

    // changed.ndjson: the four payments, in input order, with both sides' reasons.
    let changed = std::fs::read_to_string(report.join("changed.ndjson")).unwrap();
    let lines: Vec<Value> = changed.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ids: Vec<&str> = lines.iter().map(|l| l["tx_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["t1", "t2", "t3", "t5"]);
    assert_eq!(lines[0]["baseline"]["decision"], "allow");
    assert_eq!(lines[0]["candidate"]["rules"], serde_json::json!(["big-p2p"]));
    assert_eq!(lines[1]["candidate"]["reasons"][0]["code"], "ACCOUNT_SUSPENDED_IN");
    let html = std::fs::read_to_string(report.join("backtest.html")).unwrap();
    assert!(html.contains("<td>big-p2p</td><td>candidate</td><td>0</td><td>2</td><td>2</td><td>0</td>"));

    // The whole report, pinned (lists version left out: it follows lists/default.csv).
    let mut v = v;
    v["lists"] = "[lists version]".into();
    insta::assert_snapshot!("report", format!("{v:#}"));

    // Deterministic: a second run writes the same files.
    let again = dir.path().join("again");
    assert!(backtest(&policy, &extra, Some(&again)).status.success());
    for f in ["backtest.json", "changed.ndjson", "backtest.html"] {
        assert_eq!(std::fs::read(report.join(f)).unwrap(), std::fs::read(again.join(f)).unwrap(), "{f}");
    }
}

#[test]
fn same_policy_changes_nothing() {
    let run = backtest(&root().join("policies/default.toml"), &[], None);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("8 payments: 0 decisions change"), "{stdout}");
}

#[test]
fn a_policy_that_does_not_check_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "id = \"p\"\nversion = \"1\"\n[[rule]]\nid = \"r\"\nwhen = 'payee.in_24h.cuont > 3'\noutcome = \"review\"\nreason = \"VELOCITY_IN\"\n",
    )
    .unwrap();
    let report = dir.path().join("report");
    // As the candidate ...
    let run = backtest(&bad, &[], Some(&report));
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("does not check"), "{err}");
    assert!(err.contains("unknown field `cuont`"), "{err}");
    assert!(!report.exists(), "nothing written for a policy that does not check");
    // ... and as the baseline.
    let good = candidate(dir.path());
    let run = backtest(&good, &["--baseline", bad.to_str().unwrap()], Some(&report));
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("bad.toml:5:"));
    assert!(!report.exists());
}

#[test]
fn the_example_candidate_checks_and_runs() {
    let run = backtest(&root().join("policies/examples/pegged-from-strangers.toml"), &[], None);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("pegged-from-strangers (new)"), "{stdout}");
}
