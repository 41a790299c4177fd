//! Backtesting: two policies decide the same payments, and the comparison says what would
//! change if the candidate replaced the baseline — the check a compliance team runs before a
//! policy goes live. Pure (no IO, no clock): `sluice backtest` feeds [`Backtest::add`] each
//! payment's two decisions with the rules that fired in each, then [`Backtest::finish`]
//! measures accounts and labels, and [`Report`] renders JSON, a summary and an HTML page.
//!
//! Definitions (the report repeats them):
//! - A decision is *gained* by the candidate when its outcome is more severe than the
//!   baseline's (`allow < review < block`), *lost* when less severe.
//! - A changed decision is attributed to every rule that fired in the policy with the more
//!   severe outcome and not in the other (gained: fired in the candidate only; lost: fired in
//!   the baseline only); to the pseudo-rule [`RESTRICTION_ROW`] when only that policy's
//!   decision was blocked by a restriction in force (taken by an earlier decision of that
//!   policy); and to [`SETTINGS_ROW`] when neither explains it (the same rules fired, with
//!   other weights, outcomes or thresholds). Rules are matched across the policies by id.
//! - An account is *restricted* by a policy when one of that policy's decisions restricted
//!   it (`suspend_out`, `suspend_in`, `freeze`, `suspend_collection`). It is *flagged* when
//!   restricted, or when it was the payer or the payee (a platform account) of a payment the
//!   policy blocked. Against account labels a flagged account counts as the spec's `review`
//!   and a restricted one as restricted (`sluice_sweep::eval`: an operator flagged is a hit,
//!   a `normal` account flagged a false alarm, a `crypto_buyer` only a false alarm when
//!   restricted).

use serde_json::{Value, json};
use sluice_core::{AccountAction, Decision, Outcome, Role};
use sluice_sweep::eval::{self, AccountEval, Prf, Scored, TxEval};
use std::fmt::Write as _;

/// Index of the baseline policy in every pair of this module.
pub const BASELINE: usize = 0;
/// Index of the candidate policy in every pair of this module.
pub const CANDIDATE: usize = 1;
const SIDES: [&str; 2] = ["baseline", "candidate"];

/// Pseudo-rule: a payment blocked because an account was already restricted.
pub const RESTRICTION_ROW: &str = "(restriction in force)";
/// Pseudo-rule: a change that no rule difference explains.
pub const SETTINGS_ROW: &str = "(weights, outcomes, thresholds)";

/// The reason codes the engine gives a payment refused by a restriction in force.
const RESTRICTED_CODES: [&str; 3] = ["ACCOUNT_SUSPENDED_OUT", "ACCOUNT_SUSPENDED_IN", "COLLECTION_SUSPENDED"];

/// The restricting account actions, in the order of every per-kind count here.
pub const RESTRICTIONS: [AccountAction; 4] = [
    AccountAction::SuspendOut,
    AccountAction::SuspendIn,
    AccountAction::Freeze,
    AccountAction::SuspendCollection,
];

const MARK_RESTRICTED: u8 = 0b1111;
const MARK_PAYER_BLOCKED: u8 = 1 << 4;
const MARK_PAYEE_BLOCKED: u8 = 1 << 5;

/// One rule of either policy (or a pseudo-rule) and what it did in each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleRow {
    /// The rule id (or a pseudo-rule's name).
    pub id: String,
    /// Whether each policy has the rule.
    pub present: [bool; 2],
    /// Payments on which it fired, per policy.
    pub fired: [u64; 2],
    /// Payments more severe under the candidate attributed to it.
    pub gained: u64,
    /// Payments less severe under the candidate attributed to it.
    pub lost: u64,
}

/// One policy's decision on a payment and the rules that fired for it (indices into the
/// policy's rules, as `Engine::last_fired` gives them).
#[derive(Clone, Copy, Debug)]
pub struct Decided<'a> {
    /// The decision.
    pub decision: &'a Decision,
    /// The rules that fired.
    pub fired: &'a [usize],
}

/// The two sides of a payment: account indices (`None` for `ext:` parties) and ids.
#[derive(Clone, Copy, Debug)]
pub struct Parties<'a> {
    /// The payer's account index.
    pub payer: Option<u32>,
    /// The payee's account index.
    pub payee: Option<u32>,
    /// The payer's id.
    pub payer_id: &'a str,
    /// The payee's id.
    pub payee_id: &'a str,
}

/// A set of changed payments with their transaction labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changed {
    /// Payments in the set.
    pub payments: u64,
    /// Of which labelled crypto-related.
    pub crypto: u64,
    /// Of which labelled not crypto-related.
    pub not_crypto: u64,
}

impl Changed {
    fn add(&mut self, crypto: Option<bool>) {
        self.payments += 1;
        match crypto {
            Some(true) => self.crypto += 1,
            Some(false) => self.not_crypto += 1,
            None => {}
        }
    }
    /// Payments without a label.
    pub fn unlabeled(&self) -> u64 {
        self.payments - self.crypto - self.not_crypto
    }
    fn json(&self) -> Value {
        let labeled = self.crypto + self.not_crypto;
        json!({"payments": self.payments, "crypto": self.crypto, "not_crypto": self.not_crypto,
               "unlabeled": self.unlabeled(),
               "crypto_share": if labeled > 0 { round4(self.crypto as f64 / labeled as f64) } else { 0.0 }})
    }
}

/// The running comparison.
#[derive(Clone, Debug)]
pub struct Backtest {
    /// `id@version` of each policy.
    pub policies: [String; 2],
    /// Every rule of either policy (baseline order, then the candidate's new ones), then the
    /// pseudo-rules [`RESTRICTION_ROW`] and [`SETTINGS_ROW`].
    pub rules: Vec<RuleRow>,
    rows_of: [Vec<usize>; 2],
    /// Payments compared.
    pub payments: u64,
    /// Decisions per outcome (allow, review, block), per policy.
    pub outcomes: [[u64; 3]; 2],
    /// `transitions[baseline outcome][candidate outcome]`.
    pub transitions: [[u64; 3]; 3],
    /// Restriction actions taken, per kind ([`RESTRICTIONS`] order), per policy.
    pub restrictions: [[u64; 4]; 2],
    /// Transaction labels against each policy's decisions.
    pub tx: [TxEval; 2],
    /// Payments blocked by the candidate and not by the baseline.
    pub newly_blocked: Changed,
    /// Payments blocked by the baseline and not by the candidate.
    pub unblocked: Changed,
    /// Payments allowed by the baseline and reviewed or blocked by the candidate.
    pub newly_flagged: Changed,
    /// Payments reviewed or blocked by the baseline and allowed by the candidate.
    pub cleared: Changed,
    marks: Vec<[u8; 2]>,
}

fn oi(o: Outcome) -> usize {
    match o {
        Outcome::Allow => 0,
        Outcome::Review => 1,
        Outcome::Block => 2,
    }
}

fn restricted(d: &Decision) -> bool {
    d.reasons.iter().any(|r| RESTRICTED_CODES.contains(&r.code.as_str()))
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

impl Backtest {
    /// A comparison of `policies` (`[baseline, candidate]`: reference and rule ids in
    /// policy order) over a world of `accounts` accounts.
    pub fn new(policies: [(&str, Vec<String>); 2], accounts: usize) -> Self {
        let mut rules: Vec<RuleRow> = Vec::new();
        let mut rows_of: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        for (side, (_, ids)) in policies.iter().enumerate() {
            for id in ids {
                let row = match rules.iter().position(|r| &r.id == id) {
                    Some(row) => row,
                    None => {
                        rules.push(RuleRow { id: id.clone(), ..RuleRow::default() });
                        rules.len() - 1
                    }
                };
                if let Some(r) = rules.get_mut(row) {
                    r.present[side] = true;
                }
                rows_of[side].push(row);
            }
        }
        for id in [RESTRICTION_ROW, SETTINGS_ROW] {
            rules.push(RuleRow { id: id.to_string(), present: [true, true], ..RuleRow::default() });
        }
        let [(base, _), (cand, _)] = &policies;
        Backtest {
            policies: [base.to_string(), cand.to_string()],
            rules,
            rows_of,
            payments: 0,
            outcomes: [[0; 3]; 2],
            transitions: [[0; 3]; 3],
            restrictions: [[0; 4]; 2],
            tx: [TxEval::default(), TxEval::default()],
            newly_blocked: Changed::default(),
            unblocked: Changed::default(),
            newly_flagged: Changed::default(),
            cleared: Changed::default(),
            marks: vec![[0; 2]; accounts],
        }
    }

    fn row(&self, side: usize, rule: usize) -> Option<usize> {
        self.rows_of.get(side).and_then(|r| r.get(rule)).copied()
    }

    fn mark(&mut self, idx: Option<u32>, side: usize, bits: u8) {
        if let Some(m) = idx.and_then(|i| self.marks.get_mut(i as usize)) {
            m[side] |= bits;
        }
    }

    /// Adds one payment decided by both policies (`[baseline, candidate]`), with its
    /// transaction label if there is one. Returns whether the outcome changed.
    pub fn add(&mut self, parties: &Parties<'_>, decided: [Decided<'_>; 2], crypto: Option<bool>) -> bool {
        self.payments += 1;
        let outcome = [decided[0].decision.decision, decided[1].decision.decision];
        let in_force = [restricted(decided[0].decision), restricted(decided[1].decision)];
        let restriction_row = self.rules.len() - 2;
        let settings_row = self.rules.len() - 1;
        for side in [BASELINE, CANDIDATE] {
            let d = decided[side];
            self.outcomes[side][oi(outcome[side])] += 1;
            for &i in d.fired {
                if let Some(r) = self.row(side, i).and_then(|row| self.rules.get_mut(row)) {
                    r.fired[side] += 1;
                }
            }
            if in_force[side] {
                self.rules[restriction_row].fired[side] += 1;
            }
            for a in &d.decision.actions {
                let Some(k) = RESTRICTIONS.iter().position(|&r| r == a.kind) else { continue };
                self.restrictions[side][k] += 1;
                let account = a.account.as_str();
                let idx = if account == parties.payer_id {
                    parties.payer
                } else if account == parties.payee_id {
                    parties.payee
                } else {
                    None
                };
                self.mark(idx, side, 1 << k);
            }
            if outcome[side] == Outcome::Block {
                self.mark(parties.payer, side, MARK_PAYER_BLOCKED);
                self.mark(parties.payee, side, MARK_PAYEE_BLOCKED);
            }
            eval::add_tx(&mut self.tx[side], outcome[side], crypto);
        }
        self.transitions[oi(outcome[0])][oi(outcome[1])] += 1;
        if outcome[0] == outcome[1] {
            return false;
        }

        let more_severe = outcome[1] > outcome[0];
        let (winner, loser) = if more_severe { (CANDIDATE, BASELINE) } else { (BASELINE, CANDIDATE) };
        let loser_rows: Vec<usize> =
            decided[loser].fired.iter().filter_map(|&i| self.row(loser, i)).collect();
        let mut drivers: Vec<usize> = decided[winner]
            .fired
            .iter()
            .filter_map(|&i| self.row(winner, i))
            .filter(|row| !loser_rows.contains(row))
            .collect();
        if in_force[winner] && !in_force[loser] {
            drivers.push(restriction_row);
        }
        if drivers.is_empty() {
            drivers.push(settings_row);
        }
        for row in drivers {
            if let Some(r) = self.rules.get_mut(row) {
                if more_severe {
                    r.gained += 1;
                } else {
                    r.lost += 1;
                }
            }
        }
        if outcome[1] == Outcome::Block {
            self.newly_blocked.add(crypto);
        }
        if outcome[0] == Outcome::Block {
            self.unblocked.add(crypto);
        }
        if outcome[0] == Outcome::Allow {
            self.newly_flagged.add(crypto);
        }
        if outcome[1] == Outcome::Allow {
            self.cleared.add(crypto);
        }
        true
    }

    /// The rule ids that fired for `d` (decided by policy `side`).
    pub fn fired_ids(&self, side: usize, d: &Decided<'_>) -> Vec<&str> {
        d.fired
            .iter()
            .filter_map(|&i| self.row(side, i).and_then(|row| self.rules.get(row)))
            .map(|r| r.id.as_str())
            .collect()
    }

    /// One line of `changed.ndjson` (without the newline): the payment's id first, then each
    /// policy's outcome, score, reasons and rules.
    pub fn changed_line(&self, decided: [Decided<'_>; 2]) -> String {
        let side = |s: usize| {
            let d = decided[s].decision;
            let reasons: Vec<Value> =
                d.reasons.iter().map(|r| json!({"code": r.code.as_str(), "detail": r.detail})).collect();
            json!({"decision": d.decision.as_str(), "score": f64::from(d.score.ten_thousandths()) / 1e4,
                   "reasons": reasons, "rules": self.fired_ids(s, &decided[s])})
        };
        format!(
            "{{\"tx_id\":{},\"baseline\":{},\"candidate\":{}}}",
            json!(decided[0].decision.tx_id.as_str()),
            side(BASELINE),
            side(CANDIDATE)
        )
    }

    /// Ends the comparison: account figures, and label figures when `roles` (each account's
    /// role by index, `None` = no label) and `tx_labels` (whether transaction labels were
    /// given) say there are labels.
    pub fn finish(self, roles: Option<&[Option<Role>]>, tx_labels: bool) -> Report {
        let mut accounts = [AccountCounts::default(); 2];
        let mut moves = AccountMoves::default();
        for m in &self.marks {
            for side in [BASELINE, CANDIDATE] {
                accounts[side].add(m[side]);
            }
            let (f0, f1) = (m[0] != 0, m[1] != 0);
            let (r0, r1) = (m[0] & MARK_RESTRICTED != 0, m[1] & MARK_RESTRICTED != 0);
            moves.newly_flagged += u64::from(f1 && !f0);
            moves.cleared += u64::from(f0 && !f1);
            moves.newly_restricted += u64::from(r1 && !r0);
            moves.unrestricted += u64::from(r0 && !r1);
        }
        let labels = roles.map(|roles| account_labels(&self.marks, roles));
        Report { bt: self, accounts, moves, labels, tx_labels }
    }
}

/// Accounts a policy flagged, and why.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountCounts {
    /// Flagged: restricted, or a side of a blocked payment.
    pub flagged: u64,
    /// Restricted.
    pub restricted: u64,
    /// Payer of a blocked payment.
    pub payer_of_block: u64,
    /// Payee of a blocked payment.
    pub payee_of_block: u64,
}

impl AccountCounts {
    fn add(&mut self, m: u8) {
        self.flagged += u64::from(m != 0);
        self.restricted += u64::from(m & MARK_RESTRICTED != 0);
        self.payer_of_block += u64::from(m & MARK_PAYER_BLOCKED != 0);
        self.payee_of_block += u64::from(m & MARK_PAYEE_BLOCKED != 0);
    }
}

/// Accounts whose standing changes from the baseline to the candidate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountMoves {
    /// Flagged by the candidate, not by the baseline.
    pub newly_flagged: u64,
    /// Flagged by the baseline, not by the candidate.
    pub cleared: u64,
    /// Restricted by the candidate, not by the baseline.
    pub newly_restricted: u64,
    /// Restricted by the baseline, not by the candidate.
    pub unrestricted: u64,
}

/// Account labels against both policies.
#[derive(Clone, Debug)]
pub struct AccountLabels {
    /// Per policy, as `sluice eval` measures verdicts.
    pub eval: [AccountEval; 2],
    /// Accounts newly flagged by the candidate, per role (`Role::ALL` order).
    pub newly_flagged: [u64; 6],
    /// Accounts cleared by the candidate, per role.
    pub cleared: [u64; 6],
    /// Accounts without a label (not counted).
    pub unlabeled: u64,
}

fn level(m: u8) -> (f64, AccountAction) {
    if let Some(k) = (0..4).find(|k| m & (1 << k) != 0) {
        (1.0, RESTRICTIONS[k])
    } else if m != 0 {
        (0.5, AccountAction::Review)
    } else {
        (0.0, AccountAction::None)
    }
}

fn account_labels(marks: &[[u8; 2]], roles: &[Option<Role>]) -> AccountLabels {
    let mut scored: [Vec<Scored>; 2] = [Vec::new(), Vec::new()];
    let (mut newly_flagged, mut cleared, mut unlabeled) = ([0u64; 6], [0u64; 6], 0u64);
    for (i, m) in marks.iter().enumerate() {
        let Some(role) = roles.get(i).copied().flatten() else {
            unlabeled += 1;
            continue;
        };
        for side in [BASELINE, CANDIDATE] {
            let (score, action) = level(m[side]);
            scored[side].push(Scored { score, action, role });
        }
        let ri = Role::ALL.iter().position(|&r| r == role).unwrap_or(0);
        newly_flagged[ri] += u64::from(m[1] != 0 && m[0] == 0);
        cleared[ri] += u64::from(m[0] != 0 && m[1] == 0);
    }
    let [s0, s1] = scored;
    AccountLabels { eval: [eval::accounts(&s0), eval::accounts(&s1)], newly_flagged, cleared, unlabeled }
}

/// The finished comparison.
#[derive(Clone, Debug)]
pub struct Report {
    /// The counts.
    pub bt: Backtest,
    /// Accounts flagged per policy.
    pub accounts: [AccountCounts; 2],
    /// Accounts whose standing changes.
    pub moves: AccountMoves,
    /// Account labels, if given.
    pub labels: Option<AccountLabels>,
    /// Whether transaction labels were given.
    pub tx_labels: bool,
}

fn outcomes_json(c: &[u64; 3]) -> Value {
    json!({"allow": c[0], "review": c[1], "block": c[2]})
}

fn restrictions_json(c: &[u64; 4]) -> Value {
    let mut v = serde_json::Map::new();
    for (k, n) in RESTRICTIONS.iter().zip(c) {
        v.insert(k.as_str().to_string(), json!(n));
    }
    v.insert("total".into(), json!(c.iter().sum::<u64>()));
    Value::Object(v)
}

fn by_role_json(c: &[u64; 6]) -> Value {
    let mut v = serde_json::Map::new();
    for (r, n) in Role::ALL.iter().zip(c) {
        v.insert(r.as_str().to_string(), json!(n));
    }
    Value::Object(v)
}

const OUTCOMES: [&str; 3] = ["allow", "review", "block"];

fn thousands(n: u64) -> String {
    crate::fmt::thousands(n)
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 { "-".into() } else { format!("{:.1}%", part as f64 * 100.0 / whole as f64) }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Report {
    /// Payments whose outcome is more severe under the candidate.
    pub fn gained(&self) -> u64 {
        let t = &self.bt.transitions;
        t[0][1] + t[0][2] + t[1][2]
    }

    /// Payments whose outcome is less severe under the candidate.
    pub fn lost(&self) -> u64 {
        let t = &self.bt.transitions;
        t[1][0] + t[2][0] + t[2][1]
    }

    /// Every figure, as `backtest.json` holds it.
    pub fn to_json(&self) -> Value {
        let bt = &self.bt;
        let mut transitions = Vec::new();
        for (from, row) in bt.transitions.iter().enumerate() {
            for (to, &count) in row.iter().enumerate() {
                transitions.push(json!({"from": OUTCOMES[from], "to": OUTCOMES[to], "count": count}));
            }
        }
        let rules: Vec<Value> = bt
            .rules
            .iter()
            .map(|r| {
                let in_: Vec<&str> = (0..2).filter(|&s| r.present[s]).map(|s| SIDES[s]).collect();
                json!({"id": r.id, "in": in_, "fired_baseline": r.fired[0], "fired_candidate": r.fired[1],
                       "gained": r.gained, "lost": r.lost})
            })
            .collect();
        let accounts = |a: &AccountCounts| {
            json!({"flagged": a.flagged, "restricted": a.restricted,
                   "payer_of_block": a.payer_of_block, "payee_of_block": a.payee_of_block})
        };
        let mut v = json!({
            "baseline": bt.policies[0],
            "candidate": bt.policies[1],
            "payments": bt.payments,
            "decisions": {"baseline": outcomes_json(&bt.outcomes[0]), "candidate": outcomes_json(&bt.outcomes[1])},
            "changed": {"total": self.gained() + self.lost(), "more_severe": self.gained(), "less_severe": self.lost()},
            "transitions": transitions,
            "rules": rules,
            "restrictions": {"baseline": restrictions_json(&bt.restrictions[0]),
                             "candidate": restrictions_json(&bt.restrictions[1])},
            "accounts": {
                "definition": "restricted: a decision of the policy restricted the account; flagged: restricted, or payer or payee of a payment the policy blocked",
                "baseline": accounts(&self.accounts[0]),
                "candidate": accounts(&self.accounts[1]),
                "newly_flagged": self.moves.newly_flagged,
                "cleared": self.moves.cleared,
                "newly_restricted": self.moves.newly_restricted,
                "unrestricted": self.moves.unrestricted,
            },
            "changed_payments": {
                "newly_blocked": bt.newly_blocked.json(),
                "unblocked": bt.unblocked.json(),
                "newly_flagged": bt.newly_flagged.json(),
                "cleared": bt.cleared.json(),
            },
        });
        if self.tx_labels {
            let side = |t: &TxEval| json!({"blocked": t.blocked.json(), "flagged": t.flagged.json(), "unlabeled": t.unlabeled});
            v["transaction_labels"] = json!({"baseline": side(&bt.tx[0]), "candidate": side(&bt.tx[1])});
        }
        if let Some(l) = &self.labels {
            let side = |e: &AccountEval| {
                json!({"operators_flagged": e.flagged.json(), "operators_restricted": e.restricted.json(),
                       "roles": eval::roles_json(e)})
            };
            v["account_labels"] = json!({
                "baseline": side(&l.eval[0]),
                "candidate": side(&l.eval[1]),
                "newly_flagged_by_role": by_role_json(&l.newly_flagged),
                "cleared_by_role": by_role_json(&l.cleared),
                "unlabeled": l.unlabeled,
            });
        }
        v
    }

    /// The summary a person reads in ten seconds.
    pub fn summary(&self) -> String {
        let bt = &self.bt;
        let mut o = String::new();
        let _ = writeln!(o, "backtest {} (candidate) against {} (baseline)", bt.policies[1], bt.policies[0]);
        let _ = writeln!(
            o,
            "{} payments: {} decisions change ({} more severe, {} less severe)",
            thousands(bt.payments),
            thousands(self.gained() + self.lost()),
            thousands(self.gained()),
            thousands(self.lost())
        );
        let _ = writeln!(o, "  {:<10} {:>12} {:>12} {:>12}", "", "allow", "review", "block");
        for side in [BASELINE, CANDIDATE] {
            let c = &bt.outcomes[side];
            let _ = writeln!(
                o,
                "  {:<10} {:>12} {:>12} {:>12}",
                SIDES[side],
                thousands(c[0]),
                thousands(c[1]),
                thousands(c[2])
            );
        }
        let moves: Vec<String> = (0..3)
            .flat_map(|f| (0..3).map(move |t| (f, t)))
            .filter(|&(f, t)| f != t && bt.transitions[f][t] > 0)
            .map(|(f, t)| format!("{}→{} {}", OUTCOMES[f], OUTCOMES[t], thousands(bt.transitions[f][t])))
            .collect();
        if !moves.is_empty() {
            let _ = writeln!(o, "  changes: {}", moves.join(" · "));
        }
        let mut rows: Vec<&RuleRow> = bt
            .rules
            .iter()
            .filter(|r| r.gained + r.lost > 0 || r.fired[0] != r.fired[1] || r.present[0] != r.present[1])
            .collect();
        rows.sort_by(|a, b| (b.gained + b.lost).cmp(&(a.gained + a.lost)).then(a.id.cmp(&b.id)));
        if !rows.is_empty() {
            let _ = writeln!(o, "rules that differ (fired baseline → candidate; decisions gained / lost):");
            for r in rows.iter().take(8) {
                let tag = match r.present {
                    [false, true] => " (new)",
                    [true, false] => " (removed)",
                    _ => "",
                };
                let _ = writeln!(
                    o,
                    "  {:<32} {:>10} → {:<10} +{} / -{}",
                    format!("{}{tag}", r.id),
                    thousands(r.fired[0]),
                    thousands(r.fired[1]),
                    thousands(r.gained),
                    thousands(r.lost)
                );
            }
            if rows.len() > 8 {
                let _ = writeln!(o, "  ... {} more in backtest.json", rows.len() - 8);
            }
        }
        let restr = |c: &[u64; 4]| {
            let kinds: Vec<String> = RESTRICTIONS
                .iter()
                .zip(c)
                .filter(|(_, n)| **n > 0)
                .map(|(k, n)| format!("{} {}", k.as_str(), thousands(*n)))
                .collect();
            let total = thousands(c.iter().sum());
            if kinds.is_empty() { total } else { format!("{total} ({})", kinds.join(", ")) }
        };
        let _ = writeln!(
            o,
            "restrictions: baseline {} · candidate {}",
            restr(&bt.restrictions[0]),
            restr(&bt.restrictions[1])
        );
        let (a, m) = (&self.accounts, &self.moves);
        let _ = writeln!(
            o,
            "accounts flagged {} → {} (+{} newly, -{} cleared); restricted {} → {} (+{}, -{})",
            thousands(a[0].flagged),
            thousands(a[1].flagged),
            thousands(m.newly_flagged),
            thousands(m.cleared),
            thousands(a[0].restricted),
            thousands(a[1].restricted),
            thousands(m.newly_restricted),
            thousands(m.unrestricted)
        );
        if self.tx_labels {
            let p = |x: &Prf| format!("P {:.3} R {:.3} F1 {:.3}", x.precision(), x.recall(), x.f1());
            let _ = writeln!(o, "payments blocked: {}  →  {}", p(&bt.tx[0].blocked), p(&bt.tx[1].blocked));
            let _ = writeln!(o, "payments flagged: {}  →  {}", p(&bt.tx[0].flagged), p(&bt.tx[1].flagged));
            let c = |name: &str, x: &Changed| {
                format!(
                    "{name} {}: {} crypto-related ({}), {} not, {} unlabeled",
                    thousands(x.payments),
                    thousands(x.crypto),
                    pct(x.crypto, x.crypto + x.not_crypto),
                    thousands(x.not_crypto),
                    thousands(x.unlabeled())
                )
            };
            let _ = writeln!(o, "  {}", c("newly blocked", &bt.newly_blocked));
            let _ = writeln!(o, "  {}", c("newly reviewed or blocked", &bt.newly_flagged));
            if bt.unblocked.payments + bt.cleared.payments > 0 {
                let _ = writeln!(o, "  {}", c("unblocked", &bt.unblocked));
                let _ = writeln!(o, "  {}", c("newly allowed", &bt.cleared));
            }
        }
        if let Some(l) = &self.labels {
            let p = |x: &Prf| format!("P {:.3} R {:.3}", x.precision(), x.recall());
            let _ = writeln!(
                o,
                "operators flagged: {}  →  {}; restricted: {}  →  {}",
                p(&l.eval[0].flagged),
                p(&l.eval[1].flagged),
                p(&l.eval[0].restricted),
                p(&l.eval[1].restricted)
            );
            let roles = |c: &[u64; 6]| {
                let v: Vec<String> = Role::ALL
                    .iter()
                    .zip(c)
                    .filter(|(_, n)| **n > 0)
                    .map(|(r, n)| format!("{} {}", r.as_str(), thousands(*n)))
                    .collect();
                if v.is_empty() { "none".to_string() } else { v.join(", ") }
            };
            let _ = writeln!(
                o,
                "  newly flagged accounts: {}; cleared: {}",
                roles(&l.newly_flagged),
                roles(&l.cleared)
            );
        }
        o
    }

    /// A small HTML page of the same figures: plain tables.
    pub fn html(&self) -> String {
        let bt = &self.bt;
        let mut h = String::new();
        let title = format!("Backtest: {} against {}", bt.policies[1], bt.policies[0]);
        let _ = write!(
            h,
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title><style>\
             body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}\
             td,th{{border:1px solid #ccc;padding:.25em .6em;text-align:right}}\
             td:first-child,th:first-child{{text-align:left}}</style></head><body>\n<h1>{t}</h1>\n",
            t = esc(&title)
        );
        let _ = writeln!(
            h,
            "<p>{} payments; {} decisions change ({} more severe, {} less severe).</p>",
            thousands(bt.payments),
            thousands(self.gained() + self.lost()),
            thousands(self.gained()),
            thousands(self.lost())
        );
        let _ = writeln!(
            h,
            "<h2>Decisions</h2><table><tr><th></th><th>allow</th><th>review</th><th>block</th></tr>"
        );
        for side in [BASELINE, CANDIDATE] {
            let c = &bt.outcomes[side];
            let _ = writeln!(
                h,
                "<tr><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                SIDES[side],
                esc(&bt.policies[side]),
                thousands(c[0]),
                thousands(c[1]),
                thousands(c[2])
            );
        }
        let _ = writeln!(h, "</table>");
        let _ = writeln!(
            h,
            "<h2>Transitions</h2><table><tr><th>baseline ↓ candidate →</th><th>allow</th><th>review</th><th>block</th></tr>"
        );
        for (f, row) in bt.transitions.iter().enumerate() {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                OUTCOMES[f],
                thousands(row[0]),
                thousands(row[1]),
                thousands(row[2])
            );
        }
        let _ = writeln!(h, "</table>");
        let _ = writeln!(
            h,
            "<h2>Rules</h2><table><tr><th>rule</th><th>in</th><th>fired (baseline)</th><th>fired (candidate)</th>\
             <th>gained</th><th>lost</th></tr>"
        );
        for r in &bt.rules {
            let in_: Vec<&str> = (0..2).filter(|&s| r.present[s]).map(|s| SIDES[s]).collect();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.id),
                in_.join(", "),
                thousands(r.fired[0]),
                thousands(r.fired[1]),
                thousands(r.gained),
                thousands(r.lost)
            );
        }
        let _ = writeln!(h, "</table>");
        let _ = write!(h, "<h2>Restrictions</h2><table><tr><th></th>");
        for k in RESTRICTIONS {
            let _ = write!(h, "<th>{}</th>", k.as_str());
        }
        let _ = writeln!(h, "</tr>");
        for side in [BASELINE, CANDIDATE] {
            let _ = write!(h, "<tr><td>{}</td>", SIDES[side]);
            for n in bt.restrictions[side] {
                let _ = write!(h, "<td>{}</td>", thousands(n));
            }
            let _ = writeln!(h, "</tr>");
        }
        let _ = writeln!(h, "</table>");
        let _ = writeln!(
            h,
            "<h2>Accounts</h2><p>Restricted: a decision of the policy restricted the account. Flagged: \
             restricted, or payer or payee of a payment the policy blocked.</p><table><tr><th></th>\
             <th>flagged</th><th>restricted</th><th>payer of a block</th><th>payee of a block</th></tr>"
        );
        for side in [BASELINE, CANDIDATE] {
            let a = &self.accounts[side];
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                SIDES[side],
                thousands(a.flagged),
                thousands(a.restricted),
                thousands(a.payer_of_block),
                thousands(a.payee_of_block)
            );
        }
        let m = &self.moves;
        let _ = writeln!(
            h,
            "</table><p>Newly flagged {}, cleared {}; newly restricted {}, no longer restricted {}.</p>",
            thousands(m.newly_flagged),
            thousands(m.cleared),
            thousands(m.newly_restricted),
            thousands(m.unrestricted)
        );
        let prf_row = |h: &mut String, name: &str, p: &Prf| {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(name),
                p.precision(),
                p.recall(),
                p.f1(),
                thousands(p.tp),
                thousands(p.fp),
                thousands(p.fn_)
            );
        };
        let prf_head = "<table><tr><th></th><th>precision</th><th>recall</th><th>F1</th><th>hits</th>\
                        <th>false alarms</th><th>misses</th></tr>";
        if self.tx_labels {
            let _ = writeln!(h, "<h2>Payments against labels</h2>{prf_head}");
            for side in [BASELINE, CANDIDATE] {
                prf_row(&mut h, &format!("{} blocked", SIDES[side]), &bt.tx[side].blocked);
                prf_row(&mut h, &format!("{} reviewed or blocked", SIDES[side]), &bt.tx[side].flagged);
            }
            let _ = writeln!(
                h,
                "</table><table><tr><th>changed payments</th><th>payments</th><th>crypto-related</th>\
                 <th>not</th><th>unlabeled</th></tr>"
            );
            for (name, c) in [
                ("newly blocked", &bt.newly_blocked),
                ("unblocked", &bt.unblocked),
                ("newly reviewed or blocked", &bt.newly_flagged),
                ("cleared", &bt.cleared),
            ] {
                let _ = writeln!(
                    h,
                    "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    thousands(c.payments),
                    thousands(c.crypto),
                    thousands(c.not_crypto),
                    thousands(c.unlabeled())
                );
            }
            let _ = writeln!(h, "</table>");
        }
        if let Some(l) = &self.labels {
            let _ = writeln!(h, "<h2>Accounts against labels</h2>{prf_head}");
            for side in [BASELINE, CANDIDATE] {
                prf_row(&mut h, &format!("{} operators flagged", SIDES[side]), &l.eval[side].flagged);
                prf_row(&mut h, &format!("{} operators restricted", SIDES[side]), &l.eval[side].restricted);
            }
            let _ = writeln!(
                h,
                "</table><table><tr><th>role</th><th>accounts</th><th>flagged (baseline)</th>\
                 <th>flagged (candidate)</th><th>restricted (baseline)</th><th>restricted (candidate)</th>\
                 <th>newly flagged</th><th>cleared</th></tr>"
            );
            for (i, ((role, c0), (_, c1))) in l.eval[0].by_role.iter().zip(&l.eval[1].by_role).enumerate() {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    role.as_str(),
                    thousands(c0[0]),
                    thousands(c0[1]),
                    thousands(c1[1]),
                    thousands(c0[2]),
                    thousands(c1[2]),
                    thousands(l.newly_flagged.get(i).copied().unwrap_or(0)),
                    thousands(l.cleared.get(i).copied().unwrap_or(0))
                );
            }
            let _ = writeln!(h, "</table>");
        }
        let _ = writeln!(h, "</body></html>");
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::{AccountId, Action, PolicyRef, Reason, ReasonCode, Score, TxId};

    fn decision(tx: &str, outcome: Outcome, codes: &[&str], actions: &[(AccountAction, &str)]) -> Decision {
        Decision {
            tx_id: TxId::parse(tx).unwrap(),
            decision: outcome,
            score: Score::ZERO,
            reasons: codes
                .iter()
                .map(|c| Reason { code: ReasonCode::parse(c).unwrap(), detail: format!("{c} detail") })
                .collect(),
            actions: actions
                .iter()
                .map(|(k, a)| Action { kind: *k, account: AccountId::parse(a).unwrap(), until: None })
                .collect(),
            policy: PolicyRef::parse("p@1").unwrap(),
            lists: None,
            model: None,
        }
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// Baseline rules `a, b`; the candidate drops `b` and adds `c`.
    fn backtest() -> Backtest {
        Backtest::new([("p@1", ids(&["a", "b"])), ("p@2", ids(&["a", "c"]))], 4)
    }

    const P: Parties<'static> = Parties { payer: Some(0), payee: Some(1), payer_id: "A0", payee_id: "A1" };

    fn row<'a>(bt: &'a Backtest, id: &str) -> &'a RuleRow {
        bt.rules.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn rules_are_the_union_matched_by_id() {
        let bt = backtest();
        let rows: Vec<(&str, [bool; 2])> = bt.rules.iter().map(|r| (r.id.as_str(), r.present)).collect();
        assert_eq!(
            rows,
            [
                ("a", [true, true]),
                ("b", [true, false]),
                ("c", [false, true]),
                (RESTRICTION_ROW, [true, true]),
                (SETTINGS_ROW, [true, true])
            ]
        );
        // The candidate's rule 1 is `c`, row 2.
        assert_eq!(bt.row(CANDIDATE, 1), Some(2));
    }

    #[test]
    fn gained_and_lost_go_to_the_rule_that_differs() {
        let mut bt = backtest();
        let allow = decision("T1", Outcome::Allow, &[], &[]);
        let review = decision("T1", Outcome::Review, &["MEMO_OTC_TERM"], &[]);
        // `c` fires in the candidate only and makes it a review: gained by `c`.
        let changed = bt.add(
            &P,
            [Decided { decision: &allow, fired: &[] }, Decided { decision: &review, fired: &[1] }],
            Some(true),
        );
        assert!(changed);
        // `a` fires in both, same outcome: no change.
        assert!(!bt.add(
            &P,
            [Decided { decision: &review, fired: &[0] }, Decided { decision: &review, fired: &[0] }],
            Some(false),
        ));
        // `b` fired in the baseline only, candidate allows: lost by `b`.
        assert!(bt.add(
            &P,
            [Decided { decision: &review, fired: &[0, 1] }, Decided { decision: &allow, fired: &[0] }],
            None,
        ));
        // Same rules, other outcome: settings.
        let block = decision("T1", Outcome::Block, &["MEMO_OTC_TERM"], &[]);
        assert!(bt.add(
            &P,
            [Decided { decision: &review, fired: &[0] }, Decided { decision: &block, fired: &[0] }],
            Some(true),
        ));
        assert_eq!((row(&bt, "a").fired, row(&bt, "a").gained, row(&bt, "a").lost), ([3, 3], 0, 0));
        assert_eq!((row(&bt, "b").fired, row(&bt, "b").lost), ([1, 0], 1));
        assert_eq!((row(&bt, "c").fired, row(&bt, "c").gained), ([0, 1], 1));
        assert_eq!(row(&bt, SETTINGS_ROW).gained, 1);
        assert_eq!(bt.transitions, [[0, 1, 0], [1, 1, 1], [0, 0, 0]]);
        assert_eq!(bt.outcomes, [[1, 3, 0], [1, 2, 1]]);
        assert_eq!(bt.newly_flagged, Changed { payments: 1, crypto: 1, not_crypto: 0 });
        assert_eq!(bt.newly_blocked, Changed { payments: 1, crypto: 1, not_crypto: 0 });
        assert_eq!(bt.cleared, Changed { payments: 1, crypto: 0, not_crypto: 0 });
        assert_eq!(bt.cleared.unlabeled(), 1);
        // Transaction labels: the candidate blocked one crypto payment of three labelled.
        assert_eq!(bt.tx[CANDIDATE].blocked, Prf { tp: 1, fp: 0, fn_: 1 });
        assert_eq!(bt.tx[CANDIDATE].flagged, Prf { tp: 2, fp: 1, fn_: 0 });
        assert_eq!(bt.tx[BASELINE].flagged, Prf { tp: 1, fp: 1, fn_: 1 });
        let report = bt.finish(None, true);
        assert_eq!((report.gained(), report.lost()), (2, 1));
    }

    #[test]
    fn restrictions_in_force_and_accounts() {
        let mut bt = backtest();
        let allow = decision("T1", Outcome::Allow, &[], &[]);
        // The candidate's `c` blocks and suspends the payee's incoming payments ...
        let block = decision("T1", Outcome::Block, &["OTC_PATTERN"], &[(AccountAction::SuspendIn, "A1")]);
        bt.add(
            &P,
            [Decided { decision: &allow, fired: &[] }, Decided { decision: &block, fired: &[1] }],
            None,
        );
        // ... so a later payment to it is blocked by the restriction alone.
        let refused = decision("T2", Outcome::Block, &["ACCOUNT_SUSPENDED_IN"], &[]);
        let p2 = Parties { payer: Some(2), payee: Some(1), payer_id: "A2", payee_id: "A1" };
        bt.add(
            &p2,
            [Decided { decision: &allow, fired: &[] }, Decided { decision: &refused, fired: &[] }],
            None,
        );
        assert_eq!(row(&bt, "c").gained, 1);
        assert_eq!((row(&bt, RESTRICTION_ROW).fired, row(&bt, RESTRICTION_ROW).gained), ([0, 1], 1));
        assert_eq!(bt.restrictions, [[0; 4], [0, 1, 0, 0]]);
        let roles = [Some(Role::CryptoBuyer), Some(Role::OtcMerchant), Some(Role::Normal), None];
        let r = bt.finish(Some(&roles), false);
        // Candidate: A0 and A2 payers of blocks, A1 restricted (and payee of blocks).
        assert_eq!(
            r.accounts[CANDIDATE],
            AccountCounts { flagged: 3, restricted: 1, payer_of_block: 2, payee_of_block: 1 }
        );
        assert_eq!(r.accounts[BASELINE], AccountCounts::default());
        assert_eq!(
            r.moves,
            AccountMoves { newly_flagged: 3, cleared: 0, newly_restricted: 1, unrestricted: 0 }
        );
        let l = r.labels.as_ref().unwrap();
        // The OTC merchant is caught (restricted); the normal payer is a false alarm; the
        // buyer, only flagged, is neither.
        assert_eq!(l.eval[CANDIDATE].flagged, Prf { tp: 1, fp: 1, fn_: 0 });
        assert_eq!(l.eval[CANDIDATE].restricted, Prf { tp: 1, fp: 0, fn_: 0 });
        assert_eq!(l.eval[BASELINE].flagged, Prf { tp: 0, fp: 0, fn_: 1 });
        assert_eq!(l.newly_flagged, [1, 1, 0, 0, 0, 1]);
        assert_eq!(l.unlabeled, 1);
        let json = r.to_json();
        assert_eq!(json["account_labels"]["candidate"]["operators_flagged"]["precision"], 0.5);
        assert!(json.get("transaction_labels").is_none());
        let text = r.summary();
        assert!(text.contains("2 decisions change (2 more severe, 0 less severe)"), "{text}");
        assert!(text.contains("restrictions: baseline 0 · candidate 1 (suspend_in 1)"), "{text}");
        assert!(r.html().contains("<td>c</td><td>candidate</td><td>0</td><td>1</td><td>1</td><td>0</td>"));
    }

    #[test]
    fn changed_lines_name_the_rules() {
        let bt = backtest();
        let allow = decision("T9", Outcome::Allow, &["MEMO_CRYPTO_TERM"], &[]);
        let review = decision("T9", Outcome::Review, &["MEMO_CRYPTO_TERM", "MEMO_OTC_TERM"], &[]);
        let line = bt.changed_line([
            Decided { decision: &allow, fired: &[0] },
            Decided { decision: &review, fired: &[0, 1] },
        ]);
        assert!(line.starts_with(r#"{"tx_id":"T9","baseline":{"decision":"allow","#), "{line}");
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["tx_id"], "T9");
        assert_eq!(v["baseline"]["decision"], "allow");
        assert_eq!(v["candidate"]["rules"], json!(["a", "c"]));
        assert_eq!(v["candidate"]["reasons"][1]["code"], "MEMO_OTC_TERM");
    }
}
