//! Policies: versioned TOML files of rules whose conditions are CEL, checked and compiled
//! before anything runs on them.
//!
//! ```toml
//! id = "crypto-ban"
//! version = "2026.11-1"
//! timezone = "Asia/Shanghai"        # local-time features (tx.hour, tx.night, tx.date)
//!
//! [thresholds]                      # combined score -> decision
//! review = 0.5
//! block = 0.9
//!
//! [sweep]                           # optional: the daily sweep's account-action thresholds
//! review = 0.5                      # (a model's calibrated score: the precision kept)
//! restrict = 0.95
//!
//! [[rule]]
//! id = "exchange-payee"
//! description = "Payment to a listed offshore crypto exchange"
//! when = 'payee.listed("exchanges")'
//! outcome = "block"                 # allow | review | block | none (score only); default none
//! weight = 1.0                      # 0..1, default 0
//! reason = "LIST_EXCHANGE_PAYEE"    # from the reason catalogue; sets the rule's category
//! effective_from = "2021-02-19"     # optional: a date (00:00 in `timezone`) or an RFC 3339 instant
//! actions = [{ on = "payee", kind = "suspend_collection", for = "30d" }]
//! ```
//!
//! # How outcomes combine
//!
//! Every rule whose condition holds *fires*; the decision lists them all. Then:
//! 1. If an `allow` rule fired, every fired rule of an overridable category (memo,
//!    behaviour) is *overridden*: listed, marked, but without effect. List, sanctions and
//!    restriction evidence is never overridden, and neither is a rule whose condition reads
//!    a list or a screening score, whatever its reason code (`policy check` warns about
//!    such a rule filed under a memo or behaviour code).
//! 2. The score is the noisy-OR of the weights of the fired, not overridden rules:
//!    `score = 1 − Π (1 − wᵢ)` — independent pieces of evidence, each alone worth its
//!    weight, together more, never above 1.
//! 3. The decision is the most severe of: the outcomes of the fired, not overridden rules
//!    (`allow` counts as the least severe), `block` if `score ≥ thresholds.block`, `review`
//!    if `score ≥ thresholds.review`, and `block` for a restriction in force.
//! 4. Actions of fired, not overridden rules restrict accounts from the payment's `ts`.

pub mod expr;
pub mod facts;
pub mod reasons;
pub mod schema;

use crate::lists::ListStore;
use expr::{Condition, ExprError};
use reasons::ReasonCategory;
use serde::Deserialize;
use sluice_core::{AccountAction, Outcome, PolicyRef, ReasonCode, Timestamp};
use std::fmt::Write as _;
use std::ops::Range;
use toml::Spanned;

/// How severe a problem in a policy file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth a look; the policy still runs.
    Warning,
    /// The policy does not check and cannot run.
    Error,
}

/// One problem in a policy file, located by byte range in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Byte range in the file.
    pub span: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    fn error(span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, span, message: message.into(), help: None }
    }
    fn warning(span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, span, message: message.into(), help: None }
    }
    fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Renders the diagnostic the way compilers do: `file:line:col`, the line, a caret
    /// under the spot. Written by hand (30 lines) rather than pulling a reporting framework
    /// into the engine.
    pub fn render(&self, file: &str, src: &str) -> String {
        let start = self.span.start.min(src.len());
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let line_no = src[..start].matches('\n').count() + 1;
        let col = src[line_start..start].chars().count() + 1;
        let end = self.span.end.clamp(start, line_end);
        let width = src[start..end].chars().count().max(1);
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let gutter = " ".repeat(line_no.to_string().len());
        let mut out = format!("{kind}: {}\n{gutter}--> {file}:{line_no}:{col}\n{gutter} |\n", self.message);
        let _ = writeln!(out, "{line_no} | {}", &src[line_start..line_end]);
        let _ = writeln!(out, "{gutter} | {}{}", " ".repeat(col - 1), "^".repeat(width));
        if let Some(h) = &self.help {
            let _ = writeln!(out, "{gutter} = help: {h}");
        }
        out
    }
}

/// The side an action restricts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionTarget {
    /// The payer.
    Payer,
    /// The payee.
    Payee,
}

/// An account action a rule takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleAction {
    /// On whom.
    pub on: ActionTarget,
    /// Which restriction.
    pub kind: AccountAction,
    /// For how long, in microseconds; `None` until lifted by a person.
    pub duration_micros: Option<i64>,
}

/// A checked, compiled rule.
pub struct Rule {
    /// Its id, unique in the policy.
    pub id: String,
    /// What it is for.
    pub description: String,
    /// Its condition, as written.
    pub when: String,
    /// The compiled condition.
    pub condition: Condition,
    /// Its outcome; `None` = score only.
    pub outcome: Option<Outcome>,
    /// Its weight in the combined score.
    pub weight: f64,
    /// Its reason code.
    pub reason: ReasonCode,
    /// Its category (from the catalogue).
    pub category: ReasonCategory,
    /// Whether a fired `allow` rule overrides it: its category is memo or behaviour
    /// evidence *and* its condition reads no list (`listed()`, `memo.listed()`, `screen()`).
    pub overridable: bool,
    /// When it starts to apply.
    pub effective_from: Option<Timestamp>,
    /// When it stops applying.
    pub effective_until: Option<Timestamp>,
    /// Restrictions it takes.
    pub actions: Vec<RuleAction>,
}

impl Policy {
    /// Whether a rule reads a side's `restriction`, which depends on earlier decisions: then
    /// rules must be evaluated in input order, one payment after the other.
    pub fn reads_restrictions(&self) -> bool {
        self.rules.iter().any(|r| r.condition.reads_restrictions)
    }
}

impl Rule {
    /// Whether the rule applies at `ts` (effective dates).
    #[inline]
    pub fn in_effect(&self, ts: Timestamp) -> bool {
        self.effective_from.is_none_or(|f| ts >= f) && self.effective_until.is_none_or(|u| ts < u)
    }
}

/// A checked, compiled policy.
pub struct Policy {
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// `id@version`.
    pub reference: PolicyRef,
    /// What it is for.
    pub description: String,
    /// Its time zone for local-time features.
    pub timezone: jiff::tz::TimeZone,
    /// The zone's name.
    pub timezone_name: String,
    /// Score at or above which a payment is reviewed.
    pub review_threshold: f64,
    /// Score at or above which a payment is blocked.
    pub block_threshold: f64,
    /// Its rules, in file order.
    pub rules: Vec<Rule>,
    /// The list-store version it was checked against.
    pub lists_version: String,
    /// Thresholds of the daily sweep's account actions, when the policy sets them.
    pub sweep: Option<SweepThresholds>,
    /// Per [`Quiet`](expr::Quiet) value (its bits as the index), the rules that can fire on
    /// such a payment, in file order: on a quiet memo the memo rules are false, on quiet
    /// sides the list rules ([`Condition::false_when`](expr::Condition::false_when)).
    pub(crate) quiet_rules: [Vec<usize>; 4],
    /// Whether quiet sides can be told apart: every list a side's `listed()` reads is one
    /// the per-account list marks cover.
    pub(crate) sides_can_be_quiet: bool,
}

/// The `[sweep]` section: score thresholds of the sweep's `review` and restriction actions
/// (on the rule scorer's score, or a model's calibrated score, where a threshold is the
/// precision it keeps).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepThresholds {
    /// Review from this score.
    pub review: f64,
    /// Restrict from this score (operators only).
    pub restrict: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    id: Spanned<String>,
    version: Spanned<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    timezone: Option<Spanned<String>>,
    #[serde(default)]
    optional_lists: Vec<String>,
    #[serde(default)]
    thresholds: Option<Thresholds>,
    #[serde(default)]
    sweep: Option<SweepFile>,
    #[serde(default, rename = "rule")]
    rules: Vec<Spanned<RuleFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Thresholds {
    review: Spanned<f64>,
    block: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    review: Spanned<f64>,
    restrict: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: Spanned<String>,
    #[serde(default)]
    description: String,
    when: Spanned<String>,
    #[serde(default)]
    outcome: Option<Spanned<String>>,
    #[serde(default)]
    weight: Option<Spanned<f64>>,
    reason: Spanned<String>,
    #[serde(default)]
    effective_from: Option<Spanned<String>>,
    #[serde(default)]
    effective_until: Option<Spanned<String>>,
    #[serde(default)]
    actions: Vec<Spanned<ActionFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionFile {
    on: ActionTarget,
    kind: Spanned<String>,
    #[serde(default, rename = "for")]
    duration: Option<Spanned<String>>,
}

/// The outcome of checking a policy: the policy if it checks, and every diagnostic.
pub struct Checked {
    /// The policy, when there is no error.
    pub policy: Option<Policy>,
    /// Errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}

/// Parses `90d`, `12h`, `30m`, `45s`, `2w`.
fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].trim().parse().ok()?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    (n > 0).then_some(n)?.checked_mul(secs)?.checked_mul(1_000_000)
}

/// A date (`YYYY-MM-DD`, midnight in `tz`) or an RFC 3339 instant.
fn parse_when(s: &str, tz: &jiff::tz::TimeZone) -> Option<Timestamp> {
    if s.len() == 10 {
        let d: jiff::civil::Date = s.parse().ok()?;
        let z = d.to_zoned(tz.clone()).ok()?;
        return Timestamp::from_micros(z.timestamp().as_microsecond());
    }
    Timestamp::parse_rfc3339(s).ok()
}

/// Maps a byte offset inside a TOML string value back to the file: exact for literal and
/// basic strings without escapes; otherwise the start of the string.
fn value_offset(src: &str, span: &Range<usize>, value: &str, inner: usize) -> usize {
    let raw = src.get(span.clone()).unwrap_or("");
    for delim in ["'''", "\"\"\"", "'", "\""] {
        if let Some(body) = raw.strip_prefix(delim).and_then(|b| b.strip_suffix(delim)) {
            // A newline right after a multi-line opening delimiter is not part of the value.
            let skip = if delim.len() == 3 && body.starts_with('\n') {
                1
            } else if delim.len() == 3 && body.starts_with("\r\n") {
                2
            } else {
                0
            };
            if &body[skip..] == value {
                return span.start + delim.len() + skip + inner;
            }
            break;
        }
    }
    span.start
}

/// Checks and compiles a policy file against a list store. `Checked::policy` is `Some` only
/// when there is no error.
pub fn check(src: &str, lists: &ListStore) -> Checked {
    let mut diags = Vec::new();
    let file: PolicyFile = match toml::from_str(src) {
        Ok(f) => f,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            diags.push(Diagnostic::error(span, e.message().to_string()));
            return Checked { policy: None, diagnostics: diags };
        }
    };
    let id = file.id.get_ref().clone();
    let version = file.version.get_ref().clone();
    let reference = PolicyRef::parse(&format!("{id}@{version}"));
    if reference.is_none() {
        diags.push(Diagnostic::error(
            file.id.span().start..file.version.span().end,
            "id and version must be non-empty, without spaces or `@`",
        ));
    }
    let (timezone, timezone_name) = match &file.timezone {
        None => (
            jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC),
            "Asia/Shanghai".to_string(),
        ),
        Some(tz) => match jiff::tz::TimeZone::get(tz.get_ref()) {
            Ok(z) => (z, tz.get_ref().clone()),
            Err(_) => {
                diags.push(
                    Diagnostic::error(tz.span(), format!("unknown time zone `{}`", tz.get_ref()))
                        .with_help(Some("an IANA name such as \"Asia/Shanghai\" or \"UTC\"".into())),
                );
                (jiff::tz::TimeZone::UTC, "UTC".into())
            }
        },
    };
    let (review_threshold, block_threshold) = match &file.thresholds {
        None => (0.5, 0.9),
        Some(t) => {
            let (r, b) = (*t.review.get_ref(), *t.block.get_ref());
            for (v, s) in [(r, t.review.span()), (b, t.block.span())] {
                if !(0.0..=1.0).contains(&v) || v == 0.0 {
                    diags.push(Diagnostic::error(s, "a threshold must be in (0, 1]"));
                }
            }
            if r > b {
                diags.push(Diagnostic::error(
                    t.review.span(),
                    "the review threshold is above the block threshold",
                ));
            }
            (r, b)
        }
    };
    let sweep = file.sweep.as_ref().map(|t| {
        let (r, x) = (*t.review.get_ref(), *t.restrict.get_ref());
        for (v, s) in [(r, t.review.span()), (x, t.restrict.span())] {
            if !(0.0..=1.0).contains(&v) || v == 0.0 {
                diags.push(Diagnostic::error(s, "a threshold must be in (0, 1]"));
            }
        }
        if r > x {
            diags.push(Diagnostic::error(
                t.review.span(),
                "the review threshold is above the restrict threshold",
            ));
        }
        SweepThresholds { review: r, restrict: x }
    });
    let mut rules = Vec::new();
    let mut seen_ids: Vec<(String, Range<usize>)> = Vec::new();
    let mut seen_when: Vec<(String, String)> = Vec::new();
    for r in &file.rules {
        let rs = r.span();
        let r = r.get_ref();
        let rid = r.id.get_ref().clone();
        if let Some((_, _)) = seen_ids.iter().find(|(i, _)| *i == rid) {
            diags.push(Diagnostic::error(r.id.span(), format!("rule id `{rid}` is used twice")));
        }
        seen_ids.push((rid.clone(), r.id.span()));
        if rid.is_empty() || rid.chars().any(char::is_whitespace) {
            diags.push(Diagnostic::error(r.id.span(), "a rule id must be non-empty, without spaces"));
        }
        // Reason code and its category.
        let reason = ReasonCode::parse(r.reason.get_ref());
        let info = reasons::lookup(r.reason.get_ref());
        if info.is_none() {
            let known: Vec<&str> = reasons::catalogue().entries.iter().map(|e| e.code).collect();
            diags.push(
                Diagnostic::error(
                    r.reason.span(),
                    format!("reason code `{}` is not in the catalogue", r.reason.get_ref()),
                )
                .with_help(
                    expr_suggest(r.reason.get_ref(), &known).or(Some("see `sluice policy reasons`".into())),
                ),
            );
        }
        let outcome = match &r.outcome {
            None => None,
            Some(o) if o.get_ref() == "none" => None,
            Some(o) => match Outcome::parse(o.get_ref()) {
                Some(x) => Some(x),
                None => {
                    diags.push(
                        Diagnostic::error(o.span(), format!("unknown outcome `{}`", o.get_ref()))
                            .with_help(Some("allow, review, block or none".into())),
                    );
                    None
                }
            },
        };
        let weight = r.weight.as_ref().map_or(0.0, |w| *w.get_ref());
        if let Some(w) = &r.weight
            && !(0.0..=1.0).contains(w.get_ref())
        {
            diags.push(Diagnostic::error(w.span(), "a weight must be in 0..1"));
        }
        if let Some(i) = info {
            if outcome == Some(Outcome::Allow) && i.category != ReasonCategory::Allowlist {
                diags.push(
                    Diagnostic::error(
                        r.reason.span(),
                        "an `allow` rule needs a reason of the allowlist category",
                    )
                    .with_help(Some("reason = \"ALLOWLISTED\"".into())),
                );
            }
            if i.category == ReasonCategory::Restriction {
                diags.push(Diagnostic::error(
                    r.reason.span(),
                    "restriction reasons are the engine's own (restrictions in force always block)",
                ));
            }
        }
        let mut actions = Vec::new();
        for a in &r.actions {
            let a = a.get_ref();
            let kind = AccountAction::parse(a.kind.get_ref()).filter(|k| k.is_restriction());
            let duration = match &a.duration {
                None => Some(None),
                Some(d) if d.get_ref() == "permanent" => Some(None),
                Some(d) => match parse_duration(d.get_ref()) {
                    Some(us) => Some(Some(us)),
                    None => {
                        diags.push(
                            Diagnostic::error(d.span(), format!("bad duration `{}`", d.get_ref()))
                                .with_help(Some("e.g. \"30d\", \"12h\", \"2w\" or \"permanent\"".into())),
                        );
                        None
                    }
                },
            };
            match (kind, duration) {
                (Some(kind), Some(duration_micros)) => {
                    actions.push(RuleAction { on: a.on, kind, duration_micros })
                }
                (None, _) => diags.push(
                    Diagnostic::error(a.kind.span(), format!("`{}` is not a restriction", a.kind.get_ref()))
                        .with_help(Some("suspend_out, suspend_in, freeze or suspend_collection".into())),
                ),
                _ => {}
            }
        }
        let when_at = |s: &Option<Spanned<String>>, diags: &mut Vec<Diagnostic>| {
            s.as_ref().and_then(|s| {
                let t = parse_when(s.get_ref(), &timezone);
                if t.is_none() {
                    diags.push(Diagnostic::error(s.span(), format!("bad date `{}`", s.get_ref())).with_help(
                        Some("YYYY-MM-DD (midnight in the policy's time zone) or an RFC 3339 instant".into()),
                    ));
                }
                t
            })
        };
        let effective_from = when_at(&r.effective_from, &mut diags);
        let effective_until = when_at(&r.effective_until, &mut diags);
        if let (Some(f), Some(u)) = (effective_from, effective_until)
            && u <= f
        {
            let s = r.effective_until.as_ref().map_or(rs.clone(), Spanned::span);
            diags.push(Diagnostic::error(s, "unreachable rule: it stops applying before it starts"));
        }
        // The condition.
        let when_src = r.when.get_ref();
        let condition = match expr::compile(when_src, lists, &file.optional_lists) {
            Ok(c) => {
                for ExprError { start, end, message, help } in &c.warnings {
                    let s = value_offset(src, &r.when.span(), when_src, *start);
                    let e = value_offset(src, &r.when.span(), when_src, *end);
                    diags.push(Diagnostic::warning(s..e.max(s + 1), message.clone()).with_help(help.clone()));
                }
                Some(c)
            }
            Err(errs) => {
                for ExprError { start, end, message, help } in errs {
                    let s = value_offset(src, &r.when.span(), when_src, start);
                    let e = value_offset(src, &r.when.span(), when_src, end);
                    diags.push(Diagnostic::error(s..e.max(s + 1), message).with_help(help));
                }
                None
            }
        };
        if let Some(c) = &condition {
            if c.constant == Some(false) {
                diags.push(Diagnostic::error(
                    r.when.span(),
                    "unreachable rule: the condition is always false",
                ));
            }
            if let Some(why) = contradiction(when_src) {
                diags.push(Diagnostic::error(r.when.span(), format!("unreachable rule: {why}")));
            }
        }
        let normalized: String = when_src.split_whitespace().collect();
        if let Some((other, _)) = seen_when.iter().find(|(_, w)| *w == normalized) {
            diags.push(Diagnostic::warning(r.when.span(), format!("same condition as rule `{other}`")));
        }
        seen_when.push((rid.clone(), normalized));
        if outcome.is_none() && weight == 0.0 && actions.is_empty() {
            diags.push(Diagnostic::warning(
                rs.clone(),
                format!("rule `{rid}` has no outcome, no weight and no action: it only records a reason"),
            ));
        }
        // List and screening evidence is never overridden by an allowlist, whatever reason
        // code the author gave the rule: the category alone would let an `allow` rule undo a
        // `listed()` block filed under a memo or behaviour code.
        let reads_lists = condition.as_ref().is_some_and(|c| !c.lists.is_empty());
        if let Some(i) = info
            && reads_lists
            && i.category.overridable()
            && outcome != Some(Outcome::Allow)
        {
            diags.push(
                Diagnostic::warning(
                    r.reason.span(),
                    format!(
                        "the condition reads a list, but `{}` is a {} reason: an allowlist rule will not override this rule (list and screening evidence never is)",
                        r.reason.get_ref(),
                        i.category.as_str()
                    ),
                )
                .with_help(Some("use a reason of the list or sanctions category (`sluice policy reasons`)".into())),
            );
        }
        if let (Some(condition), Some(reason), Some(info)) = (condition, reason, info) {
            rules.push(Rule {
                overridable: info.category.overridable() && !reads_lists,
                id: rid,
                description: r.description.clone(),
                when: when_src.clone(),
                condition,
                outcome,
                weight,
                reason,
                category: info.category,
                effective_from,
                effective_until,
                actions,
            });
        }
    }
    if file.rules.is_empty() {
        diags.push(Diagnostic::warning(0..0, "the policy has no rules"));
    }
    diags.sort_by_key(|d| (d.span.start, d.severity));
    let ok = !diags.iter().any(|d| d.severity == Severity::Error);
    let policy = match (ok, reference) {
        (true, Some(reference)) => Some(Policy {
            id,
            version,
            reference,
            description: file.description,
            timezone,
            timezone_name,
            review_threshold,
            block_threshold,
            quiet_rules: expr::Quiet::ALL.map(|q| {
                rules.iter().enumerate().filter(|(_, r)| !r.condition.false_when(q)).map(|(i, _)| i).collect()
            }),
            // List marks cover the first 15 lists only (`ScreenCache`).
            sides_can_be_quiet: rules.iter().flat_map(|r| &r.condition.listed).all(|l| l.index() < 15),
            rules,
            lists_version: lists.version().to_string(),
            sweep,
        }),
        _ => None,
    };
    Checked { policy, diagnostics: diags }
}

fn expr_suggest(name: &str, known: &[&str]) -> Option<String> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| format!("did you mean `{k}`?"))
}

/// A conjunction that bounds one int field from both sides with an empty range, e.g.
/// `payer.in_24h.count > 10 && payer.in_24h.count < 5`. Works on the parsed tree.
fn contradiction(src: &str) -> Option<String> {
    use cel::common::ast::{Expr, LiteralValue};
    let ast = cel::parser::Parser::new().parse(src).ok()?;
    let mut conj = Vec::new();
    fn flatten<'a>(e: &'a cel::IdedExpr, out: &mut Vec<&'a cel::IdedExpr>) {
        if let Expr::Call(c) = &e.expr
            && c.func_name == "_&&_"
            && c.target.is_none()
        {
            for a in &c.args {
                flatten(a, out);
            }
        } else {
            out.push(e);
        }
    }
    fn path(e: &cel::IdedExpr) -> Option<String> {
        match &e.expr {
            Expr::Ident(n) => Some(n.clone()),
            Expr::Select(s) if !s.test => Some(format!("{}.{}", path(&s.operand)?, s.field)),
            _ => None,
        }
    }
    flatten(&ast, &mut conj);
    // path -> (lowest allowed, highest allowed), both inclusive, on i128 to avoid overflow.
    let mut bounds: Vec<(String, i128, i128)> = Vec::new();
    for e in conj {
        let Expr::Call(c) = &e.expr else { continue };
        if c.args.len() != 2 || c.target.is_some() {
            continue;
        }
        let (p, k, flipped) = match (&c.args[0].expr, &c.args[1].expr) {
            (_, Expr::Literal(LiteralValue::Int(k))) => (path(&c.args[0]), i128::from(**k), false),
            (Expr::Literal(LiteralValue::Int(k)), _) => (path(&c.args[1]), i128::from(**k), true),
            _ => continue,
        };
        let Some(p) = p else { continue };
        let op = match (c.func_name.as_str(), flipped) {
            ("_>_", false) | ("_<_", true) => ">",
            ("_>=_", false) | ("_<=_", true) => ">=",
            ("_<_", false) | ("_>_", true) => "<",
            ("_<=_", false) | ("_>=_", true) => "<=",
            ("_==_", _) => "==",
            _ => continue,
        };
        let (lo, hi) = match op {
            ">" => (k + 1, i128::MAX),
            ">=" => (k, i128::MAX),
            "<" => (i128::MIN, k - 1),
            "<=" => (i128::MIN, k),
            _ => (k, k),
        };
        match bounds.iter_mut().find(|(q, ..)| *q == p) {
            Some((_, l, h)) => {
                *l = (*l).max(lo);
                *h = (*h).min(hi);
            }
            None => bounds.push((p, lo, hi)),
        }
    }
    bounds.iter().find(|(_, l, h)| l > h).map(|(p, ..)| format!("no value of `{p}` satisfies every bound"))
}

impl Policy {
    /// Compiles a policy that must check (for tests and shipped policies): the rendered
    /// diagnostics on failure.
    pub fn compile(src: &str, origin: &str, lists: &ListStore) -> Result<Policy, String> {
        let checked = check(src, lists);
        match checked.policy {
            Some(p) => Ok(p),
            None => Err(checked.diagnostics.iter().map(|d| d.render(origin, src)).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_thresholds() {
        let lists = ListStore::empty();
        let head = "id = \"p\"\nversion = \"1\"\n";
        let rule = "[[rule]]\nid = \"r\"\nwhen = 'tx.amount > 100'\noutcome = \"review\"\nreason = \"VELOCITY_IN\"\n";
        assert_eq!(check(&format!("{head}{rule}"), &lists).policy.map(|p| p.sweep), Some(None));
        let good = format!("{head}[sweep]\nreview = 0.5\nrestrict = 0.95\n{rule}");
        assert_eq!(
            check(&good, &lists).policy.and_then(|p| p.sweep),
            Some(SweepThresholds { review: 0.5, restrict: 0.95 })
        );
        let c = check(&good.replace("review = 0.5", "review = 0.99"), &lists);
        assert!(c.policy.is_none());
        assert!(c.diagnostics.iter().any(|d| d.message.contains("above the restrict threshold")));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d"), Some(30 * 86_400 * 1_000_000));
        assert_eq!(parse_duration("12h"), Some(12 * 3600 * 1_000_000));
        for bad in ["", "d", "0d", "-1d", "3y", "1.5d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn contradictions() {
        assert!(contradiction("payer.in_24h.count > 10 && payer.in_24h.count < 5").is_some());
        assert!(contradiction("tx.amount == 5 && 6 <= tx.amount").is_some());
        assert!(contradiction("payer.in_24h.count > 10 && payer.in_24h.count < 12").is_none());
        assert!(contradiction("payer.in_24h.count > 10 || payer.in_24h.count < 5").is_none());
    }
}
