//! Measuring verdicts (and decisions) against labels, as the spec's labels section counts:
//! an operator (`otc_merchant`, `exchange_agent`, `scam_collector`, `mule`) flagged is a hit;
//! a `normal` account flagged is a false alarm; a `crypto_buyer` flagged with `review` is
//! neither, restricted it is a false restriction (a false alarm).
//!
//! Two operating points are measured: *flagged* (any action but `none`) and *restricted*
//! (an action that restricts). Precision, recall and F1 are over all operators; per role,
//! recall is that role's share caught and precision is hits of the role over hits of the
//! role plus all false alarms (the false alarms are not attributable to one role). The
//! precision-recall curve ranks accounts by score, operators against normal accounts and
//! buyers.

use serde_json::{Value, json};
use sluice_core::{AccountAction, Outcome, Role};

/// One scored account with its true role.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
    /// 0..1.
    pub score: f64,
    /// The verdict's action.
    pub action: AccountAction,
    /// The label.
    pub role: Role,
}

/// Precision, recall and F1 of one operating point.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Prf {
    /// Hits.
    pub tp: u64,
    /// False alarms.
    pub fp: u64,
    /// Misses.
    pub fn_: u64,
}

impl Prf {
    /// tp / (tp + fp); 1 when nothing was flagged.
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 { 1.0 } else { self.tp as f64 / (self.tp + self.fp) as f64 }
    }
    /// tp / (tp + fn); 1 when there was nothing to find.
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 { 1.0 } else { self.tp as f64 / (self.tp + self.fn_) as f64 }
    }
    /// Counts one item: whether it truly is a positive, whether it was flagged.
    pub fn count(&mut self, truth: bool, hit: bool) {
        match (truth, hit) {
            (true, true) => self.tp += 1,
            (true, false) => self.fn_ += 1,
            (false, true) => self.fp += 1,
            (false, false) => {}
        }
    }
    /// Harmonic mean of the two.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
    /// As JSON: counts, precision, recall and F1 (4 decimals).
    pub fn json(&self) -> Value {
        json!({"tp": self.tp, "fp": self.fp, "fn": self.fn_,
               "precision": round4(self.precision()), "recall": round4(self.recall()), "f1": round4(self.f1())})
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Account-level results.
#[derive(Clone, Debug, Default)]
pub struct AccountEval {
    /// Accounts per role: [count, flagged, restricted] in `Role::ALL` order.
    pub by_role: Vec<(Role, [u64; 3])>,
    /// Operators, any flag.
    pub flagged: Prf,
    /// Operators, restrictions only.
    pub restricted: Prf,
    /// Points of the precision-recall curve (recall, precision, threshold), by falling score.
    pub pr_curve: Vec<(f64, f64, f64)>,
    /// Average precision over the curve.
    pub average_precision: f64,
    /// Score histogram per role: 20 bins over 0..1.
    pub histogram: Vec<(Role, [u64; 20])>,
}

/// Evaluates account verdicts.
pub fn accounts(scored: &[Scored]) -> AccountEval {
    let mut counts = [[0u64; 3]; 6];
    let mut hist = [[0u64; 20]; 6];
    let (mut fl, mut rs) = (Prf::default(), Prf::default());
    for s in scored {
        let ri = Role::ALL.iter().position(|&r| r == s.role).unwrap_or(0);
        let flag = s.action.is_flag();
        let restrict = s.action.is_restriction();
        if let Some(c) = counts.get_mut(ri) {
            c[0] += 1;
            c[1] += u64::from(flag);
            c[2] += u64::from(restrict);
        }
        let bin = ((s.score * 20.0) as usize).min(19);
        if let Some(h) = hist.get_mut(ri).and_then(|h| h.get_mut(bin)) {
            *h += 1;
        }
        if s.role.is_operator() {
            if flag {
                fl.tp += 1
            } else {
                fl.fn_ += 1
            }
            if restrict { rs.tp += 1 } else { rs.fn_ += 1 }
        } else if s.role == Role::CryptoBuyer {
            fl.fp += u64::from(restrict);
            rs.fp += u64::from(restrict);
        } else {
            fl.fp += u64::from(flag);
            rs.fp += u64::from(restrict);
        }
    }
    let (pr_curve, average_precision) = pr_curve(scored);
    AccountEval {
        by_role: Role::ALL.iter().zip(counts).map(|(&r, c)| (r, c)).collect(),
        flagged: fl,
        restricted: rs,
        pr_curve,
        average_precision,
        histogram: Role::ALL.iter().zip(hist).map(|(&r, h)| (r, h)).collect(),
    }
}

/// The precision-recall curve of operators against everyone else, one point per distinct
/// score (ties move together), and the average precision `Σ (Rₖ − Rₖ₋₁)·Pₖ`.
pub fn pr_curve(scored: &[Scored]) -> (Vec<(f64, f64, f64)>, f64) {
    let mut v: Vec<(f64, bool)> = scored.iter().map(|s| (s.score, s.role.is_operator())).collect();
    v.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = v.iter().filter(|x| x.1).count() as f64;
    if positives == 0.0 {
        return (Vec::new(), 0.0);
    }
    let (mut tp, mut fp, mut ap, mut last_r) = (0f64, 0f64, 0f64, 0f64);
    let mut curve = Vec::new();
    let mut i = 0;
    while let Some(&(s, _)) = v.get(i) {
        while let Some(&(s2, pos)) = v.get(i)
            && s2 == s
        {
            if pos {
                tp += 1.0
            } else {
                fp += 1.0
            }
            i += 1;
        }
        let (p, r) = (tp / (tp + fp), tp / positives);
        ap += (r - last_r) * p;
        last_r = r;
        curve.push((r, p, s));
        if s <= 0.0 {
            break;
        }
    }
    (curve, ap)
}

/// Transaction-level results: crypto-related payments against decisions.
#[derive(Clone, Copy, Debug, Default)]
pub struct TxEval {
    /// `review` or `block` as a flag.
    pub flagged: Prf,
    /// `block` only.
    pub blocked: Prf,
    /// Decisions without a label (not counted).
    pub unlabeled: u64,
}

/// Adds one decision with its label (`None`: the payment has no label).
pub fn add_tx(e: &mut TxEval, outcome: Outcome, crypto: Option<bool>) {
    let Some(crypto) = crypto else {
        e.unlabeled += 1;
        return;
    };
    let flag = outcome != Outcome::Allow;
    let block = outcome == Outcome::Block;
    e.flagged.count(crypto, flag);
    e.blocked.count(crypto, block);
}

/// Transaction-level results of the sweep: payments with a restricted side (what a case
/// built from the sweep covers), and payments stopped day by day (a restriction in force at
/// the payment's time, or the inline decision's block when decisions are given).
#[derive(Clone, Copy, Debug, Default)]
pub struct SweepTx {
    /// A side restricted by the sweep.
    pub restricted_side: Prf,
    /// Stopped: restriction in force, or blocked inline.
    pub stopped: Prf,
}

impl SweepTx {
    /// As JSON; `with_decisions` says whether `stopped` includes inline blocks.
    pub fn json(&self, with_decisions: bool) -> Value {
        json!({"restricted_side": self.restricted_side.json(), "stopped": self.stopped.json(),
               "stopped_includes_inline_blocks": with_decisions})
    }
}

/// Adds one payment: its label, whether a side is restricted, whether it was stopped.
pub fn add_sweep_tx(e: &mut SweepTx, crypto: Option<bool>, restricted_side: bool, stopped: bool) {
    let Some(crypto) = crypto else { return };
    e.restricted_side.count(crypto, restricted_side);
    e.stopped.count(crypto, stopped);
}

/// How long flagged operators ran before their flag: from the first crypto-related payment
/// they took part in to the verdict's `first_flag_ts` (0 when flagged before it).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TimeToFlag {
    /// Flagged operators with at least one crypto-related payment.
    pub operators: usize,
    /// Median delay, hours.
    pub median_hours: f64,
    /// 90th percentile, hours.
    pub p90_hours: f64,
    /// Longest, hours.
    pub max_hours: f64,
}

impl TimeToFlag {
    /// As JSON.
    pub fn json(&self) -> Value {
        json!({"operators": self.operators, "median_hours": round4(self.median_hours),
               "p90_hours": round4(self.p90_hours), "max_hours": round4(self.max_hours)})
    }
}

/// Summarises delays in hours (nearest-rank percentiles).
pub fn time_to_flag(mut hours: Vec<f64>) -> TimeToFlag {
    hours.sort_by(f64::total_cmp);
    let rank = |q: f64| -> f64 {
        if hours.is_empty() {
            return 0.0;
        }
        let i = ((q * hours.len() as f64).ceil() as usize).clamp(1, hours.len()) - 1;
        hours.get(i).copied().unwrap_or(0.0)
    };
    TimeToFlag {
        operators: hours.len(),
        median_hours: rank(0.5),
        p90_hours: rank(0.9),
        max_hours: hours.last().copied().unwrap_or(0.0),
    }
}

/// Per role: accounts, flagged, restricted; for operators also the role's precision, recall
/// and F1 (the false alarms are everyone's, see the module docs).
pub fn roles_json(a: &AccountEval) -> Vec<Value> {
    a.by_role
        .iter()
        .map(|(r, c)| {
            let mut v = json!({"role": r.as_str(), "accounts": c[0], "flagged": c[1], "restricted": c[2]});
            if r.is_operator() {
                let f = Prf { tp: c[1], fp: a.flagged.fp, fn_: c[0] - c[1] };
                let s = Prf { tp: c[2], fp: a.restricted.fp, fn_: c[0] - c[2] };
                v["flagged_prf"] = f.json();
                v["restricted_prf"] = s.json();
            }
            v
        })
        .collect()
}

/// The whole evaluation as JSON.
pub fn to_json(a: &AccountEval, tx: Option<&TxEval>) -> Value {
    let normal = a.by_role.iter().find(|r| r.0 == Role::Normal).map_or([0; 3], |r| r.1);
    let buyers = a.by_role.iter().find(|r| r.0 == Role::CryptoBuyer).map_or([0; 3], |r| r.1);
    let roles = roles_json(a);
    let curve: Vec<Value> = thin(&a.pr_curve, 400)
        .iter()
        .map(|&(r, p, s)| json!({"recall": round4(r), "precision": round4(p), "threshold": round4(s)}))
        .collect();
    let mut v = json!({
        "operators_flagged": a.flagged.json(),
        "operators_restricted": a.restricted.json(),
        "average_precision": round4(a.average_precision),
        "normal_accounts": normal[0],
        "normal_flagged": normal[1],
        "normal_restricted": normal[2],
        "normal_restricted_share": if normal[0] > 0 { normal[2] as f64 / normal[0] as f64 } else { 0.0 },
        "buyers": buyers[0],
        "buyers_reviewed": buyers[1] - buyers[2],
        "buyers_restricted": buyers[2],
        "roles": roles,
        "pr_curve": curve,
    });
    if let Some(t) = tx {
        v["transactions"] =
            json!({"flagged": t.flagged.json(), "blocked": t.blocked.json(), "unlabeled": t.unlabeled});
    }
    v
}

/// At most `max` points of a curve, evenly spaced, always keeping the last.
pub fn thin<T: Copy>(v: &[T], max: usize) -> Vec<T> {
    if v.len() <= max || max < 2 {
        return v.to_vec();
    }
    let step = v.len() as f64 / (max - 1) as f64;
    let mut out: Vec<T> = (0..max - 1).filter_map(|i| v.get((i as f64 * step) as usize).copied()).collect();
    if let Some(&l) = v.last() {
        out.push(l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(score: f64, action: AccountAction, role: Role) -> Scored {
        Scored { score, action, role }
    }

    #[test]
    fn buyers_reviewed_are_neither() {
        let v = [
            s(0.9, AccountAction::Freeze, Role::OtcMerchant),
            s(0.6, AccountAction::Review, Role::CryptoBuyer),
            s(0.9, AccountAction::Freeze, Role::CryptoBuyer),
            s(0.7, AccountAction::Review, Role::Normal),
            s(0.1, AccountAction::None, Role::Mule),
        ];
        let e = accounts(&v);
        assert_eq!(e.flagged, Prf { tp: 1, fp: 2, fn_: 1 });
        assert_eq!(e.restricted, Prf { tp: 1, fp: 1, fn_: 1 });
    }

    #[test]
    fn time_to_flag_percentiles() {
        let t = time_to_flag(vec![5.0, 1.0, 3.0, 2.0, 4.0, 10.0, 6.0, 7.0, 8.0, 9.0]);
        assert_eq!((t.operators, t.median_hours, t.p90_hours, t.max_hours), (10, 5.0, 9.0, 10.0));
        assert_eq!(time_to_flag(Vec::new()), TimeToFlag::default());
    }

    #[test]
    fn perfect_ranking_has_average_precision_one() {
        let v = [
            s(0.9, AccountAction::Freeze, Role::Mule),
            s(0.8, AccountAction::Freeze, Role::OtcMerchant),
            s(0.2, AccountAction::None, Role::Normal),
            s(0.0, AccountAction::None, Role::Normal),
        ];
        let (curve, ap) = pr_curve(&v);
        assert!((ap - 1.0).abs() < 1e-12);
        assert_eq!(curve.first().map(|c| c.1), Some(1.0));
    }
}
