//! The per-account feature vector: a fixed-length `[f32; N_FEATURES]` whose slots are named
//! in [`FEATURE_NAMES`], so that the rule scorer reads it by name ([`F`]) and a learned model
//! (`sluice train`, next) reads it as a plain row.
//!
//! Every feature is computed from the account's own payments in time order plus three
//! whole-graph facts: its distinct platform neighbours (for *strangers*), the device groups,
//! and the personalised PageRank of [`crate::ppr`]. A feature is computed over the window
//! ([`Context::window`], a week by default) that ends at a cut-off time: the period's end, or
//! for `first_flag_ts` each day-end at which the evidence may have crossed the threshold.
//!
//! **Strangers.** A counterparty `c` of account `a` is a stranger when `a` and `c` have no
//! platform neighbour in common (hubs with more than [`HUB_DEGREE`] neighbours excluded: a
//! supermarket makes no community) and there was no payment in the other direction before
//! `c` first paid (or was paid by) `a` in the window. Neighbours come from the whole period
//! and the `--state` history.

pub use crate::graph::HUB_DEGREE;
use crate::graph::{
    BELOW_LIMIT, Edge, Graph, MEMO_CRYPTO, MEMO_OTC, MEMO_STRONG, NIGHT, PEGGED, ROUND, TOP_UP, WITHDRAWAL,
    local_day, local_hour,
};

/// Pass-through horizons: outflow covered by inflow of the last 2 h and 24 h.
pub const PASS_SHORT_SECS: u32 = 2 * 3600;
/// The long pass-through horizon.
pub const PASS_LONG_SECS: u32 = 24 * 3600;

macro_rules! features {
    ($($name:ident = $text:literal : $doc:literal,)*) => {
        /// Slots of the feature vector.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub enum F { $(#[doc = $doc] $name,)* }
        /// Column names of the feature vector, in slot order.
        pub const FEATURE_NAMES: &[&str] = &[$($text,)*];
        impl F {
            /// Every slot, in order.
            pub const ALL: &[F] = &[$(F::$name,)*];
        }
    };
}

features! {
    InCount = "in_count": "payments received",
    OutCount = "out_count": "payments made",
    InSum = "in_sum_yuan": "money received (major units)",
    OutSum = "out_sum_yuan": "money paid (major units)",
    Payers = "payers": "distinct payers (platform and external)",
    Payees = "payees": "distinct payees (platform and external)",
    StrangerPayers = "stranger_payers": "distinct platform payers who are strangers",
    StrangerPayerShare = "stranger_payer_share": "stranger payers / distinct platform payers",
    StrangerPayees = "stranger_payees": "distinct platform payees who are strangers",
    NewPayers24h = "new_payers_24h": "most stranger payers first seen on one local day",
    StrangerInSum = "stranger_in_sum_yuan": "money received from strangers",
    FanInRatio = "fan_in_ratio": "distinct payers / (distinct payees + 1)",
    TopPayeeShare = "top_payee_share": "share of outflow to the largest payee",
    PassShort = "pass_2h_share": "share of outflow covered by inflow of the 2 h before",
    PassLong = "pass_24h_share": "share of outflow covered by inflow of the 24 h before",
    OutInRatio = "out_in_ratio": "money out / money in (capped at 2)",
    ExtOutShare = "ext_out_share": "share of outflow to external parties (bank cards)",
    HoursActive = "hours_active": "distinct local hours of day with a payment",
    NightShare = "night_share": "share of payments at local night (00-06)",
    DaysActive = "days_active": "distinct local days with a payment",
    RoundShare = "round_share": "share of p2p/merchant payments with round amounts",
    PeggedShare = "pegged_share": "share of p2p/merchant payments that look like USDT × rate",
    BelowLimitShare = "below_limit_share": "share of p2p/merchant payments just below a limit",
    DevicePeers = "device_peers": "other accounts that paid from one of the account's devices",
    MemoCryptoShare = "memo_crypto_share": "share of payments whose memo uses a crypto term",
    MemoStrong = "memo_strong": "payments whose memo uses a strong crypto term or a listed address/host",
    MemoOtc = "memo_otc": "payments whose memo uses an OTC or exchange term",
    Listed = "listed": "on an account list, or website host listed",
    Proximity = "proximity": "personalised PageRank from listed and memo-flagged seeds, × accounts",
    FlaggedInShare = "flagged_in_share": "share of inflow from accounts flagged in the first pass",
    FlaggedPayers = "flagged_payers": "distinct payers flagged in the first pass",
    FlaggedDevicePeers = "flagged_device_peers": "accounts flagged in the first pass that paid from one of the account's devices",
    Merchant = "merchant": "merchant account",
    AgeDays = "age_days": "account age at the end of the period, days",
    Kyc = "kyc": "KYC level",
    MeanIn = "mean_in_yuan": "mean amount received",
    RepeatPayers = "repeat_payers": "distinct payers who paid the account twice or more",
    RepeatPayees = "repeat_payees": "distinct payees the account paid twice or more",
    Reciprocal = "reciprocal": "distinct counterparties money went both to and from",
    NeighbourRepeaters = "neighbour_repeaters": "platform neighbours that repeat a pair (two hops; later passes)",
}

/// Number of features.
pub const N_FEATURES: usize = FEATURE_NAMES.len();

/// One account's feature vector.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Features(pub [f32; N_FEATURES]);

impl Default for Features {
    fn default() -> Self {
        Features([0.0; N_FEATURES])
    }
}

impl Features {
    /// A slot.
    pub fn get(&self, f: F) -> f32 {
        self.0.get(f as usize).copied().unwrap_or(0.0)
    }
    fn set(&mut self, f: F, v: f32) {
        if let Some(s) = self.0.get_mut(f as usize) {
            *s = v;
        }
    }
}

/// What the second pass knows: accounts flagged by the first.
pub struct Context<'a> {
    /// Personalised PageRank per platform account, already scaled by the account count.
    pub proximity: &'a [f32],
    /// Accounts flagged in the first pass (empty in the first pass).
    pub flagged: &'a [bool],
    /// Per account: flagged accounts sharing one of its devices (empty in the first pass).
    pub flagged_device_peers: &'a [u16],
    /// Per account: whether it repeats a pair (empty in the first pass).
    pub repeaters: &'a [bool],
    /// Latest payment time of the period (age is measured at it).
    pub end: u32,
    /// Seconds of payments the account's own features read, back from the cut-off
    /// ([`crate::WINDOW_SECS`] by default; `u32::MAX` reads the whole period). Graph-wide
    /// facts (neighbours, devices, proximity) always use the whole period.
    pub window: u32,
}

impl Context<'_> {
    /// Whether a payment at `t` is inside the window that ends at `cutoff`.
    fn in_window(&self, t: u32, cutoff: u32) -> bool {
        t <= cutoff && cutoff - t < self.window
    }
}

fn share(part: f64, whole: f64) -> f32 {
    if whole > 0.0 { (part / whole) as f32 } else { 0.0 }
}

const YUAN: f64 = 100.0;

/// Computes account `a`'s features from its payments in the window that ends at `cutoff`
/// (inclusive; a cut-off past the period's end is its end).
pub fn compute(g: &Graph, a: u32, cutoff: u32, ctx: &Context<'_>) -> Features {
    let mut f = Features::default();
    let cutoff = cutoff.min(ctx.end);
    // Edges are in time order: skip what is older than the window, stop after the cut-off.
    let ins: Vec<&Edge> =
        g.incoming(a).skip_while(|e| !ctx.in_window(e.t, cutoff)).take_while(|e| e.t <= cutoff).collect();
    let outs: Vec<&Edge> =
        g.outgoing(a).skip_while(|e| !ctx.in_window(e.t, cutoff)).take_while(|e| e.t <= cutoff).collect();
    let in_sum: f64 = ins.iter().map(|e| e.amount as f64).sum();
    let out_sum: f64 = outs.iter().map(|e| e.amount as f64).sum();
    f.set(F::InCount, ins.len() as f32);
    f.set(F::OutCount, outs.len() as f32);
    f.set(F::InSum, (in_sum / YUAN) as f32);
    f.set(F::OutSum, (out_sum / YUAN) as f32);
    f.set(F::MeanIn, if ins.is_empty() { 0.0 } else { (in_sum / YUAN / ins.len() as f64) as f32 });

    // Counterparties with their first time, sorted by party.
    let mut payers: Vec<(u32, u32, u64)> = ins.iter().map(|e| (e.src, e.t, e.amount)).collect();
    payers.sort_unstable();
    let mut payees: Vec<(u32, u32, u64)> = outs.iter().map(|e| (e.dst, e.t, e.amount)).collect();
    payees.sort_unstable();
    // Per counterparty: first time, total, and whether it came back (a repeated pair).
    let firsts = |v: &[(u32, u32, u64)]| -> (Vec<(u32, u32, u64)>, u32) {
        let mut r: Vec<(u32, u32, u64)> = Vec::new();
        let mut repeats = 0u32;
        let mut counted = u32::MAX;
        for &(p, t, amt) in v {
            match r.last_mut() {
                Some(last) if last.0 == p => {
                    last.2 += amt;
                    if counted != p {
                        repeats += 1;
                        counted = p;
                    }
                }
                _ => r.push((p, t, amt)),
            }
        }
        (r, repeats)
    };
    let (payers, repeat_payers) = firsts(&payers);
    let (payees, repeat_payees) = firsts(&payees);
    f.set(F::RepeatPayers, repeat_payers as f32);
    f.set(F::RepeatPayees, repeat_payees as f32);
    // Both lists are sorted by party: a merge finds the counterparties on both sides.
    let (mut i, mut j, mut reciprocal) = (0usize, 0usize, 0u32);
    while let (Some(a), Some(b)) = (payers.get(i), payees.get(j)) {
        match a.0.cmp(&b.0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                reciprocal += 1;
                i += 1;
                j += 1;
            }
        }
    }
    f.set(F::Reciprocal, reciprocal as f32);
    f.set(F::Payers, payers.len() as f32);
    f.set(F::Payees, payees.len() as f32);
    f.set(F::FanInRatio, payers.len() as f32 / (payees.len() as f32 + 1.0));
    let top_payee = payees.iter().map(|p| p.2).max().unwrap_or(0) as f64;
    f.set(F::TopPayeeShare, share(top_payee, out_sum));

    let first_of = |v: &[(u32, u32, u64)], c: u32| -> Option<u32> {
        v.binary_search_by_key(&c, |p| p.0).ok().and_then(|i| v.get(i)).map(|p| p.1)
    };
    let stranger = |c: u32, first: u32, other: &[(u32, u32, u64)]| -> bool {
        c < g.n && first_of(other, c).is_none_or(|t| t > first) && !g.common_neighbour(a, c)
    };
    let (mut platform_payers, mut stranger_payers, mut stranger_in) = (0u32, 0u32, 0f64);
    let mut days: Vec<u32> = Vec::new();
    let mut flagged_payers = 0u32;
    let mut flagged_in = 0f64;
    for &(c, t, amt) in &payers {
        if c >= g.n {
            continue;
        }
        platform_payers += 1;
        if ctx.flagged.get(c as usize).copied().unwrap_or(false) {
            flagged_payers += 1;
            flagged_in += amt as f64;
        }
        if stranger(c, t, &payees) {
            stranger_payers += 1;
            stranger_in += amt as f64;
            days.push(local_day(t));
        }
    }
    days.sort_unstable();
    let mut best_day = 0u32;
    let mut run = 0u32;
    for (i, d) in days.iter().enumerate() {
        run = if i > 0 && days.get(i - 1) == Some(d) { run + 1 } else { 1 };
        best_day = best_day.max(run);
    }
    let stranger_payees = payees.iter().filter(|&&(c, t, _)| stranger(c, t, &payers)).count();
    f.set(F::StrangerPayers, stranger_payers as f32);
    f.set(F::StrangerPayerShare, share(f64::from(stranger_payers), f64::from(platform_payers)));
    f.set(F::StrangerPayees, stranger_payees as f32);
    f.set(F::NewPayers24h, best_day as f32);
    f.set(F::StrangerInSum, (stranger_in / YUAN) as f32);
    f.set(F::FlaggedPayers, flagged_payers as f32);
    f.set(F::FlaggedInShare, share(flagged_in, in_sum));

    let (short, long) = pass_through(&ins, &outs);
    f.set(F::PassShort, share(short, out_sum));
    f.set(F::PassLong, share(long, out_sum));
    f.set(
        F::OutInRatio,
        if in_sum > 0.0 {
            (out_sum / in_sum).min(2.0) as f32
        } else if out_sum > 0.0 {
            2.0
        } else {
            0.0
        },
    );
    let ext_out: f64 = outs.iter().filter(|e| e.dst >= g.n).map(|e| e.amount as f64).sum();
    f.set(F::ExtOutShare, share(ext_out, out_sum));

    let (mut hours, mut day_set) = (0u32, Vec::new());
    let (mut night, mut total) = (0u32, 0u32);
    let (mut round, mut pegged, mut below, mut trade) = (0u32, 0u32, 0u32, 0u32);
    let (mut memo, mut strong, mut otc) = (0u32, 0u32, 0u32);
    for e in ins.iter().chain(outs.iter()) {
        total += 1;
        hours |= 1 << local_hour(e.t);
        day_set.push(local_day(e.t));
        night += u32::from(e.flags & NIGHT != 0);
        memo += u32::from(e.flags & MEMO_CRYPTO != 0);
        strong += u32::from(e.flags & MEMO_STRONG != 0);
        otc += u32::from(e.flags & MEMO_OTC != 0);
        if e.flags & (TOP_UP | WITHDRAWAL) == 0 {
            trade += 1;
            round += u32::from(e.flags & ROUND != 0);
            pegged += u32::from(e.flags & PEGGED != 0);
            below += u32::from(e.flags & BELOW_LIMIT != 0);
        }
    }
    day_set.sort_unstable();
    day_set.dedup();
    f.set(F::HoursActive, hours.count_ones() as f32);
    f.set(F::DaysActive, day_set.len() as f32);
    f.set(F::NightShare, share(f64::from(night), f64::from(total)));
    f.set(F::RoundShare, share(f64::from(round), f64::from(trade)));
    f.set(F::PeggedShare, share(f64::from(pegged), f64::from(trade)));
    f.set(F::BelowLimitShare, share(f64::from(below), f64::from(trade)));
    f.set(F::MemoCryptoShare, share(f64::from(memo), f64::from(total)));
    f.set(F::MemoStrong, strong as f32);
    f.set(F::MemoOtc, otc as f32);

    let facts = g.facts.get(a as usize).copied().unwrap_or_default();
    f.set(F::DevicePeers, f32::from(g.device_peers.get(a as usize).copied().unwrap_or(0)));
    f.set(F::Listed, if facts.listed { 1.0 } else { 0.0 });
    f.set(F::FlaggedDevicePeers, f32::from(ctx.flagged_device_peers.get(a as usize).copied().unwrap_or(0)));
    f.set(F::Proximity, ctx.proximity.get(a as usize).copied().unwrap_or(0.0));
    f.set(F::Merchant, if facts.merchant { 1.0 } else { 0.0 });
    f.set(F::AgeDays, (f64::from(ctx.end.saturating_sub(facts.created)) / 86_400.0) as f32);
    f.set(F::Kyc, f32::from(facts.kyc));
    f.set(F::NeighbourRepeaters, neighbour_repeaters(g, a, ctx));
    f
}

/// Recomputes only the slots that depend on the pass before's flags ([`F::FlaggedPayers`],
/// [`F::FlaggedInShare`], [`F::FlaggedDevicePeers`]) over the whole period, leaving the rest
/// of `f` as [`compute`] made it: later passes cost a walk over the account's inflow instead
/// of a second stranger analysis. Equal to `compute(g, a, u32::MAX, ctx)` (tested).
pub fn refresh_flags(g: &Graph, a: u32, ctx: &Context<'_>, f: &mut Features) {
    let flagged = |c: u32| c < g.n && ctx.flagged.get(c as usize).copied().unwrap_or(false);
    let mut in_sum = 0f64;
    let mut flagged_in = 0f64;
    let mut payers: Vec<u32> = Vec::new();
    for e in g.incoming(a).filter(|e| ctx.in_window(e.t, ctx.end)) {
        in_sum += e.amount as f64;
        if flagged(e.src) {
            flagged_in += e.amount as f64;
            payers.push(e.src);
        }
    }
    payers.sort_unstable();
    payers.dedup();
    f.set(F::FlaggedPayers, payers.len() as f32);
    f.set(F::FlaggedInShare, share(flagged_in, in_sum));
    f.set(F::FlaggedDevicePeers, f32::from(ctx.flagged_device_peers.get(a as usize).copied().unwrap_or(0)));
    f.set(F::NeighbourRepeaters, neighbour_repeaters(g, a, ctx));
}

fn neighbour_repeaters(g: &Graph, a: u32, ctx: &Context<'_>) -> f32 {
    g.neighbours(a).iter().filter(|&&c| ctx.repeaters.get(c as usize).copied().unwrap_or(false)).count()
        as f32
}

/// Money out covered by money in of the short and the long horizon before it: for each
/// payment out of amount `x` at `t`, `min(x, max(0, In(t−h, t] − Out(t−h, t)))` where `Out`
/// counts the earlier payments out of the same horizon (inflow is spent once).
pub fn pass_through(ins: &[&Edge], outs: &[&Edge]) -> (f64, f64) {
    let mut r = [0f64; 2];
    for (k, h) in [PASS_SHORT_SECS, PASS_LONG_SECS].into_iter().enumerate() {
        let (mut in_lo, mut in_hi, mut out_lo) = (0usize, 0usize, 0usize);
        let (mut in_win, mut out_win) = (0f64, 0f64);
        let mut covered = 0f64;
        for (j, o) in outs.iter().enumerate() {
            while let Some(e) = ins.get(in_hi)
                && e.t <= o.t
            {
                in_win += e.amount as f64;
                in_hi += 1;
            }
            let from = o.t.saturating_sub(h);
            while let Some(e) = ins.get(in_lo)
                && in_lo < in_hi
                && e.t <= from
            {
                in_win -= e.amount as f64;
                in_lo += 1;
            }
            while let Some(e) = outs.get(out_lo)
                && out_lo < j
                && e.t <= from
            {
                out_win -= e.amount as f64;
                out_lo += 1;
            }
            let x = o.amount as f64;
            covered += x.min((in_win - out_win).max(0.0));
            out_win += x;
        }
        if let Some(slot) = r.get_mut(k) {
            *slot = covered;
        }
    }
    (r[0], r[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(t: u32, amount: u64) -> Edge {
        Edge { amount, src: 0, dst: 1, t: 1_000_000 + t, flags: 0 }
    }

    #[test]
    fn pass_through_spends_inflow_once() {
        let ins = [e(0, 100), e(10_000, 50)];
        let outs = [e(60, 80), e(120, 80), e(10_060, 50)];
        let (i, o): (Vec<&Edge>, Vec<&Edge>) = (ins.iter().collect(), outs.iter().collect());
        let (short, long) = pass_through(&i, &o);
        // 80 covered, then 20 left of the 100, then the 50 of 10,000 s (the first 100 is
        // older than 2 h by then).
        assert_eq!(short, 150.0);
        // Within 24 h the first two payments out are still remembered: 150 in, 160 out
        // before the third, so it is not covered.
        assert_eq!(long, 100.0);
    }

    proptest::proptest! {
        /// A later pass's cheap refresh gives exactly what a full recomputation with the
        /// same flags gives.
        #[test]
        fn refresh_equals_full_compute(
            raw in proptest::collection::vec((0u32..12, 0u32..14, 1u64..500_000, 0u32..600_000), 0..120),
            flag_bits in 0u32..4096,
            peer_seed in 0u16..4,
            window in proptest::prop_oneof![proptest::strategy::Just(u32::MAX), 1u32..800_000],
        ) {
            let n = 12u32;
            let edges: Vec<Edge> = raw.into_iter().filter(|e| e.0 != e.1)
                .map(|(src, dst, amount, t)| Edge { amount, src, dst, t: 1_700_000_000 + t, flags: 0 }).collect();
            let g = Graph::from_edges(n, 2, edges);
            let proximity = vec![0.0f32; n as usize];
            let flagged: Vec<bool> = (0..n).map(|i| flag_bits & (1 << i) != 0).collect();
            let peers: Vec<u16> = (0..n).map(|i| (i as u16 + peer_seed) % 3).collect();
            let none = Context { proximity: &proximity, flagged: &[], flagged_device_peers: &[], repeaters: &[], end: 1_700_700_000, window };
            let reps: Vec<bool> = (0..n).map(|i| (flag_bits >> (i + 3)) & 1 == 1).collect();
            let ctx = Context { proximity: &proximity, flagged: &flagged, flagged_device_peers: &peers, repeaters: &reps, end: 1_700_700_000, window };
            for a in 0..n {
                let mut f = compute(&g, a, u32::MAX, &none);
                refresh_flags(&g, a, &ctx, &mut f);
                proptest::prop_assert_eq!(f, compute(&g, a, u32::MAX, &ctx));
            }
        }
    }

    #[test]
    fn repeated_pairs_and_money_both_ways() {
        let e = |src: u32, dst: u32, t: u32| Edge { amount: 100, src, dst, t: 1_700_000_000 + t, flags: 0 };
        let edges = vec![e(1, 0, 1), e(1, 0, 2), e(2, 0, 3), e(0, 1, 4), e(0, 3, 5), e(0, 3, 6), e(0, 3, 7)];
        let g = Graph::from_edges(4, 0, edges);
        let prox = vec![0.0; 4];
        let ctx = Context {
            proximity: &prox,
            flagged: &[],
            flagged_device_peers: &[],
            repeaters: &[],
            end: 1_700_000_100,
            window: u32::MAX,
        };
        let f = compute(&g, 0, u32::MAX, &ctx);
        assert_eq!((f.get(F::RepeatPayers), f.get(F::RepeatPayees), f.get(F::Reciprocal)), (1.0, 1.0, 1.0));
        assert_eq!((f.get(F::Payers), f.get(F::Payees)), (2.0, 2.0));
    }

    #[test]
    fn the_window_leaves_out_older_payments_but_not_the_graph() {
        let e = |src: u32, dst: u32, t: u32| Edge { amount: 100, src, dst, t: 1_700_000_000 + t, flags: 0 };
        let g = Graph::from_edges(3, 0, vec![e(1, 0, 0), e(2, 0, 50), e(2, 0, 150), e(0, 1, 200)]);
        let prox = vec![0.0; 3];
        let at = |window: u32, cutoff: u32| {
            let ctx = Context {
                proximity: &prox,
                flagged: &[],
                flagged_device_peers: &[],
                repeaters: &[],
                end: 1_700_000_200,
                window,
            };
            let f = compute(&g, 0, cutoff, &ctx);
            (f.get(F::InCount), f.get(F::OutCount), f.get(F::Payers))
        };
        assert_eq!(at(u32::MAX, u32::MAX), (3.0, 1.0, 2.0));
        // (100, 200]: the payment at 150 and the one out at 200.
        assert_eq!(at(100, u32::MAX), (1.0, 1.0, 1.0));
        // Ending at 160: (60, 160] holds only the payment at 150.
        assert_eq!(at(100, 1_700_000_160), (1.0, 0.0, 1.0));
        // A payment exactly `window` seconds old is out; one second younger is in.
        assert_eq!(at(150, u32::MAX), (1.0, 1.0, 1.0));
        assert_eq!(at(151, u32::MAX), (2.0, 1.0, 1.0));
        // Neighbours stay graph-wide: account 1 is still a neighbour of 0.
        assert!(g.neighbours(0).contains(&1));
    }

    #[test]
    fn names_match_slots() {
        assert_eq!(FEATURE_NAMES.len(), F::NeighbourRepeaters as usize + 1);
        assert_eq!(FEATURE_NAMES.get(F::PassShort as usize), Some(&"pass_2h_share"));
    }
}
