//! The rule-based scorer: each piece of evidence in an account's [`Features`] adds points,
//! the points make the score, and thresholds make the action. Every piece of evidence names
//! a reason code from the catalogue and says itself in an analyst's words; the explanation
//! lists the pieces that added most, largest first.
//!
//! `score = 1 − exp(−points / 4)`: 4 points ≈ 0.63, 8 ≈ 0.86, 9.2 = 0.90, 12 ≈ 0.95.
//!
//! # What makes an operator (and not a buyer)
//!
//! A buyer pays a crypto actor a few times: its evidence is all on the *outgoing* side (a
//! crypto memo it typed, a pegged amount it paid, closeness to a flagged account). An
//! operator is *paid by many people who do not know it* and *moves the money on*. So a
//! restriction needs, besides a score of at least [`RESTRICT`], the operator gate
//! ([`operator_gate`]): strangers paying in numbers, or money from flagged accounts passed
//! straight on (a mule), or a list hit. Everything else is `review` at most.

use crate::features::{F, Features};
use crate::model::Thresholds;
use sluice_core::{AccountAction, ReasonCode};

/// Score from which an account is put in front of an analyst.
pub const REVIEW: f64 = 0.8;
/// Score from which an account that passes the operator gate is restricted. Chosen on the
/// 1M-account world of the seed the rules were tuned on (seed 1, evasion 2): daigou-like
/// normal accounts reach 0.90-0.92 (10 of 978,645 restricted at 0.90, none at 0.93), while
/// operators sit at 0.97-0.99 (recall 0.981 at 0.90, 0.976 at 0.93).
pub const RESTRICT: f64 = 0.93;
/// Points per e-fold of the score's complement.
pub const POINTS_SCALE: f64 = 4.0;

/// One piece of evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// Reason code from the catalogue.
    pub code: &'static str,
    /// Points added.
    pub points: f64,
    /// In words.
    pub text: String,
}

/// The scorer's judgement of one account.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// 0..1.
    pub score: f64,
    /// The action from the thresholds and the gate.
    pub action: AccountAction,
    /// Reason codes, strongest first, each once.
    pub reasons: Vec<ReasonCode>,
    /// The evidence in words, strongest first.
    pub explanation: String,
}

fn pct(x: f32) -> String {
    format!("{:.0}%", f64::from(x) * 100.0)
}

fn yuan(x: f32) -> String {
    let x = f64::from(x);
    if x >= 1e6 {
        format!("¥{:.1}M", x / 1e6)
    } else if x >= 1e4 {
        format!("¥{:.0}k", x / 1e3)
    } else {
        format!("¥{x:.0}")
    }
}

/// "1 payment", "3 payments".
fn plural(x: f32, noun: &str) -> String {
    if x == 1.0 { format!("1 {noun}") } else { format!("{x:.0} {noun}s") }
}

/// Points for a count above a floor, growing with its logarithm.
fn log_points(x: f32, floor: f32, per_doubling: f64) -> f64 {
    if x <= floor { 0.0 } else { per_doubling * (f64::from(x) / f64::from(floor)).log2() }
}

/// The evidence in an account's features.
pub fn evidence(f: &Features) -> Vec<Evidence> {
    let mut ev = Vec::new();
    let mut add = |code: &'static str, points: f64, text: String| {
        if points > 0.0 {
            ev.push(Evidence { code, points, text });
        }
    };
    let strangers = f.get(F::StrangerPayers);
    let in_count = f.get(F::InCount);
    let out_sum = f.get(F::OutSum);
    let in_sum = f.get(F::InSum);

    // Strangers paying in, in money: the mark of a counter open to the public.
    let stranger_in = f.get(F::StrangerInSum);
    if strangers >= 5.0 && stranger_in >= 20_000.0 {
        add(
            "FAN_IN_STRANGERS",
            (1.5 + 0.75 * f64::from(stranger_in / 20_000.0).log2()).min(3.5),
            format!(
                "{} payers with no tie to the account paid it {} ({} of its payers), up to {} new in one day",
                strangers,
                yuan(stranger_in),
                pct(f.get(F::StrangerPayerShare)),
                f.get(F::NewPayers24h)
            ),
        );
    }
    // Money moving on.
    let pass_long = f.get(F::PassLong);
    let pass_short = f.get(F::PassShort);
    if out_sum >= 20_000.0 && pass_long >= 0.5 && in_count >= 3.0 {
        let (share, within, bonus) =
            if pass_short >= 0.5 { (pass_short, "2 h", 0.5) } else { (pass_long, "24 h", 0.0) };
        // Scaled by how much of the inflow leaves at all: an account that forwards a tenth
        // of what it takes is no conduit.
        let onward = f64::from(f.get(F::OutInRatio).min(0.8) / 0.8);
        add(
            "PASS_THROUGH",
            (2.0 + 2.0 * f64::from(pass_long - 0.5) + bonus) * onward,
            format!("{} of outflow ({}) left within {within} of arriving", pct(share), yuan(out_sum)),
        );
    }
    // Many in, few out: consolidation.
    let payees = f.get(F::Payees);
    if f.get(F::Payers) >= 10.0 && payees <= 3.0 && f.get(F::OutInRatio) >= 0.7 {
        add(
            "FAN_OUT",
            0.5,
            format!(
                "collects from {} payers and pays on to {} ({} of inflow)",
                f.get(F::Payers),
                payees,
                pct(f.get(F::OutInRatio).min(1.0))
            ),
        );
    }
    // Amounts.
    let trades = in_count + f.get(F::OutCount);
    let pegged = f.get(F::PeggedShare);
    if pegged >= 0.1 && trades >= 10.0 {
        add(
            "PRICE_PEGGED_AMOUNTS",
            (1.5 + 5.0 * f64::from(pegged - 0.1)).min(2.5),
            format!("{} of amounts match a USDT quantity × rate", pct(pegged)),
        );
    }
    let round = f.get(F::RoundShare);
    if round >= 0.4 && in_count >= 5.0 && f.get(F::MeanIn) >= 500.0 {
        add(
            "ROUND_AMOUNTS",
            0.5,
            format!(
                "{} of amounts are round hundreds (mean received {})",
                pct(round),
                yuan(f.get(F::MeanIn))
            ),
        );
    }
    let below = f.get(F::BelowLimitShare);
    if below >= 0.05 && trades >= 10.0 {
        add("JUST_BELOW_LIMIT", 0.75, format!("{} of amounts just below a payment limit", pct(below)));
    }
    // Hours.
    let hours = f.get(F::HoursActive);
    let night = f.get(F::NightShare);
    if trades >= 10.0 && (night >= 0.25 || hours >= 20.0) {
        add(
            "NIGHT_ACTIVITY",
            0.5,
            format!("active in {hours} of 24 hours, {} of payments at night", pct(night)),
        );
    }
    // Devices: one operator, many accounts.
    let peers = f.get(F::DevicePeers);
    if peers >= 2.0 {
        add(
            "DEVICE_SHARED",
            (1.0 + 0.75 * f64::from(peers - 2.0)).min(3.0),
            format!("shares a device with {}", plural(peers, "other account")),
        );
    }
    let restricted_peers = f.get(F::FlaggedDevicePeers);
    if restricted_peers >= 1.0 && (in_sum >= 20_000.0 || out_sum >= 20_000.0) {
        add(
            "DEVICE_SHARED",
            2.0,
            format!("{restricted_peers} restricted account(s) paid from the same device"),
        );
    }
    // Memos.
    let strong = f.get(F::MemoStrong);
    if strong >= 1.0 {
        add(
            if f.get(F::MemoOtc) >= 1.0 { "MEMO_OTC_TERM" } else { "MEMO_CRYPTO_TERM" },
            (1.0 + f64::from(strong - 1.0) * 0.5).min(3.0),
            format!("{} with crypto words in the memo", plural(strong, "payment")),
        );
    }
    // Lists and proximity.
    if f.get(F::Listed) >= 1.0 {
        add("LIST_HIT", 8.0, "on a list (account or website)".to_string());
    }
    let prox = f.get(F::Proximity);
    if prox >= 50.0 {
        add(
            "GRAPH_PROXIMITY",
            log_points(prox, 25.0, 0.5).min(1.0),
            format!(
                "close to listed or crypto-memo accounts in the payment graph ({prox:.0}× a random account)"
            ),
        );
    }
    // Mules: money from restricted accounts, passed on.
    let flagged_in = f.get(F::FlaggedInShare);
    // A conduit keeps nothing and cashes out to cards or works from the operator's devices;
    // a coin seller paid by OTC desks spends the money on more coins instead.
    let keeps_nothing =
        f.get(F::OutInRatio) >= 0.7 && (f.get(F::ExtOutShare) >= 0.25 || f.get(F::FlaggedDevicePeers) >= 1.0);
    if f.get(F::FlaggedPayers) >= 1.0
        && flagged_in >= 0.5
        && in_sum >= 20_000.0
        && pass_long >= 0.5
        && keeps_nothing
    {
        add(
            "FLAGGED_COUNTERPARTY",
            3.0 + 2.0 * f64::from(flagged_in - 0.5),
            format!(
                "{} of inflow ({}) comes from {} restricted account(s) and moves on",
                pct(flagged_in),
                yuan(in_sum),
                f.get(F::FlaggedPayers)
            ),
        );
    }
    // Young or barely verified account, big money.
    let young = f.get(F::AgeDays) <= 60.0;
    let low_kyc = f.get(F::Kyc) <= 1.0;
    if (young || low_kyc) && in_sum >= 30_000.0 {
        let what = match (young, low_kyc) {
            (true, true) => format!("{:.0}-day-old, barely verified account", f.get(F::AgeDays)),
            (true, false) => format!("{:.0}-day-old account", f.get(F::AgeDays)),
            _ => "barely verified account".to_string(),
        };
        add(
            "NEW_ACCOUNT_HIGH_VALUE",
            if young { 1.5 } else { 0.0 } + if low_kyc { 0.75 } else { 0.0 },
            format!("{what} received {}", yuan(in_sum)),
        );
    }
    ev.sort_by(|a, b| b.points.total_cmp(&a.points));
    ev
}

/// The reason code a feature speaks for (the model's explanations), if any.
pub fn reason_of(f: F) -> Option<&'static str> {
    Some(match f {
        F::InCount | F::InSum | F::MeanIn => "VELOCITY_IN",
        F::OutCount | F::OutSum => "VELOCITY_OUT",
        F::Payers
        | F::StrangerPayers
        | F::StrangerPayerShare
        | F::NewPayers24h
        | F::StrangerInSum
        | F::FanInRatio
        | F::StrangerPayees => "FAN_IN_STRANGERS",
        F::Payees | F::TopPayeeShare => "FAN_OUT",
        F::PassShort | F::PassLong | F::OutInRatio | F::ExtOutShare => "PASS_THROUGH",
        F::HoursActive | F::NightShare => "NIGHT_ACTIVITY",
        F::RoundShare => "ROUND_AMOUNTS",
        F::PeggedShare => "PRICE_PEGGED_AMOUNTS",
        F::BelowLimitShare => "JUST_BELOW_LIMIT",
        F::DevicePeers | F::FlaggedDevicePeers => "DEVICE_SHARED",
        F::MemoCryptoShare | F::MemoStrong => "MEMO_CRYPTO_TERM",
        F::MemoOtc => "MEMO_OTC_TERM",
        F::Listed => "LIST_HIT",
        F::Proximity => "GRAPH_PROXIMITY",
        F::FlaggedInShare | F::FlaggedPayers => "FLAGGED_COUNTERPARTY",
        F::AgeDays | F::Kyc => "NEW_ACCOUNT_HIGH_VALUE",
        F::RepeatPayers => "VELOCITY_IN",
        F::RepeatPayees => "VELOCITY_OUT",
        F::Reciprocal => "PASS_THROUGH",
        F::NeighbourRepeaters => "GRAPH_PROXIMITY",
        F::DaysActive | F::Merchant => return None,
    })
}

/// A feature and its value in an analyst's words ("87 stranger payers").
pub fn describe(f: F, x: f32) -> String {
    let n = |x: f32| format!("{x:.0}");
    match f {
        F::InCount => format!("{} received", plural(x, "payment")),
        F::OutCount => format!("{} made", plural(x, "payment")),
        F::InSum => format!("{} received", yuan(x)),
        F::OutSum => format!("{} paid out", yuan(x)),
        F::MeanIn => format!("{} received on average", yuan(x)),
        F::Payers => format!("{} distinct payers", n(x)),
        F::Payees => format!("{} distinct payees", n(x)),
        F::StrangerPayers => format!("{} payers with no tie to it", n(x)),
        F::StrangerPayerShare => format!("{} of payers are strangers", pct(x)),
        F::StrangerPayees => format!("{} payees with no tie to it", n(x)),
        F::NewPayers24h => format!("up to {} new stranger payers in one day", n(x)),
        F::StrangerInSum => format!("{} from strangers", yuan(x)),
        F::FanInRatio => format!("{x:.1} payers per payee"),
        F::TopPayeeShare => format!("{} of outflow to one payee", pct(x)),
        F::PassShort => format!("{} of outflow left within 2 h of arriving", pct(x)),
        F::PassLong => format!("{} of outflow left within 24 h of arriving", pct(x)),
        F::OutInRatio => format!("pays out {} of what it receives", pct(x)),
        F::ExtOutShare => format!("{} of outflow to bank cards", pct(x)),
        F::HoursActive => format!("active in {} of 24 hours", n(x)),
        F::NightShare => format!("{} of payments at night", pct(x)),
        F::DaysActive => format!("active on {} days", n(x)),
        F::RoundShare => format!("{} round amounts", pct(x)),
        F::PeggedShare => format!("{} of amounts match USDT × rate", pct(x)),
        F::BelowLimitShare => format!("{} of amounts just below a limit", pct(x)),
        F::DevicePeers => format!("shares a device with {}", plural(x, "other account")),
        F::MemoCryptoShare => format!("{} of memos use crypto words", pct(x)),
        F::MemoStrong => format!("{} with strong crypto words", plural(x, "payment")),
        F::MemoOtc => format!("{} with OTC or exchange words", plural(x, "payment")),
        F::Listed => "on a list".to_string(),
        F::Proximity => format!("{x:.0}× closer to crypto accounts than a random account"),
        F::FlaggedInShare => format!("{} of inflow from restricted accounts", pct(x)),
        F::FlaggedPayers => format!("paid by {} restricted accounts", n(x)),
        F::FlaggedDevicePeers => format!("{} restricted accounts on its devices", n(x)),
        F::Merchant => "merchant account".to_string(),
        F::AgeDays => format!("{}-day-old account", n(x)),
        F::Kyc => format!("KYC level {}", n(x)),
        F::RepeatPayers => format!("{} payers came back", n(x)),
        F::RepeatPayees => format!("{} payees paid more than once", n(x)),
        F::Reciprocal => format!("money went both ways with {} counterparties", n(x)),
        F::NeighbourRepeaters => format!("{} counterparties that repeat payments with someone", n(x)),
    }
}

/// Whether the account behaves like an operator rather than a customer: many strangers pay
/// it, or it passes on money from flagged accounts, or it is listed.
pub fn operator_gate(f: &Features) -> bool {
    (f.get(F::StrangerPayers) >= 5.0 && f.get(F::StrangerInSum) >= 20_000.0)
        || (f.get(F::FlaggedPayers) >= 1.0
            && f.get(F::FlaggedInShare) >= 0.5
            && f.get(F::PassLong) >= 0.5
            && f.get(F::OutInRatio) >= 0.7
            && (f.get(F::ExtOutShare) >= 0.25 || f.get(F::FlaggedDevicePeers) >= 1.0))
        || (f.get(F::FlaggedDevicePeers) >= 1.0 && f.get(F::PassLong) >= 0.5 && f.get(F::InSum) >= 20_000.0)
        || f.get(F::Listed) >= 1.0
}

/// Scores and judges one account with the rule scorer and its thresholds.
pub fn judge(f: &Features) -> Judgement {
    judge_with(f, None, Thresholds { review: REVIEW, restrict: RESTRICT })
}

/// Judges one account: with `score` (a model's) or the rule scorer's points, against `t`.
/// The evidence supplies the reasons and words either way.
pub fn judge_with(f: &Features, score: Option<f64>, t: Thresholds) -> Judgement {
    let ev = evidence(f);
    let score = score.unwrap_or_else(|| {
        let points: f64 = ev.iter().map(|e| e.points).sum();
        let score = 1.0 - (-points / POINTS_SCALE).exp();
        (score * 10_000.0).round() / 10_000.0
    });
    let action = if score >= t.restrict && operator_gate(f) {
        if f.get(F::Merchant) >= 1.0 && f.get(F::PassLong) < 0.5 {
            AccountAction::SuspendCollection
        } else {
            AccountAction::Freeze
        }
    } else if score >= t.review {
        AccountAction::Review
    } else {
        AccountAction::None
    };
    let mut reasons: Vec<ReasonCode> = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    if action != AccountAction::None {
        for e in &ev {
            let code = ReasonCode::from_static(e.code);
            if !reasons.contains(&code) {
                reasons.push(code);
            }
            if words.len() < 4 {
                words.push(&e.text);
            }
        }
    }
    Judgement { score, action, reasons, explanation: words.join("; ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(F, f32)]) -> Features {
        let mut f = Features::default();
        for &(k, v) in pairs {
            if let Some(s) = f.0.get_mut(k as usize) {
                *s = v;
            }
        }
        f
    }

    #[test]
    fn every_code_is_in_the_catalogue() {
        let mut codes: Vec<&str> = F::ALL.iter().filter_map(|&f| reason_of(f)).collect();
        // Two vectors that between them raise every piece of evidence.
        let mut loud = Features([1e6; crate::features::N_FEATURES]);
        loud.0[F::AgeDays as usize] = 1.0;
        loud.0[F::Kyc as usize] = 0.0;
        let mut memo = loud;
        memo.0[F::MemoOtc as usize] = 0.0;
        let mut fan_out = loud;
        fan_out.0[F::Payees as usize] = 1.0;
        fan_out.0[F::OutInRatio as usize] = 1.0;
        for f in [loud, memo, fan_out] {
            codes.extend(evidence(&f).iter().map(|e| e.code));
        }
        codes.sort_unstable();
        codes.dedup();
        assert!(codes.len() >= 15, "{codes:?}");
        for c in codes {
            assert!(
                sluice_engine::policy::reasons::lookup(c).is_some(),
                "{c} is not in the reason catalogue"
            );
        }
    }

    #[test]
    fn quiet_account_is_none() {
        let j = judge(&Features::default());
        assert_eq!((j.score, j.action), (0.0, AccountAction::None));
        assert!(j.reasons.is_empty() && j.explanation.is_empty());
    }

    #[test]
    fn buyer_with_crypto_memos_is_review_at_most() {
        // Pays an OTC merchant five times with USDT in the memo and pegged amounts.
        let f = with(&[
            (F::OutCount, 5.0),
            (F::OutSum, 30_000.0),
            (F::MemoStrong, 5.0),
            (F::MemoOtc, 5.0),
            (F::PeggedShare, 1.0),
            (F::Proximity, 2_000.0),
        ]);
        let j = judge(&f);
        assert!(!j.action.is_restriction(), "{j:?}");
    }

    #[test]
    fn otc_counter_is_restricted() {
        let f = with(&[
            (F::InCount, 120.0),
            (F::InSum, 400_000.0),
            (F::OutCount, 20.0),
            (F::OutSum, 390_000.0),
            (F::Payers, 90.0),
            (F::StrangerPayers, 85.0),
            (F::StrangerPayerShare, 0.95),
            (F::StrangerInSum, 380_000.0),
            (F::OutInRatio, 0.97),
            (F::DevicePeers, 4.0),
            (F::AgeDays, 20.0),
            (F::NewPayers24h, 30.0),
            (F::PassLong, 0.9),
            (F::PassShort, 0.7),
            (F::PeggedShare, 0.2),
            (F::HoursActive, 21.0),
        ]);
        let j = judge(&f);
        assert_eq!(j.action, AccountAction::Freeze, "{j:?}");
        assert_eq!(j.reasons.first().map(ReasonCode::as_str), Some("FAN_IN_STRANGERS"));
    }
}
