//! Sluice's daily sweep: score every platform account over a period's whole payment graph,
//! explain the score, group operators into rings, and measure the result against labels.
//!
//! The flow of one sweep ([`Sweep`]):
//!
//! 1. **Ingest** ([`graph::GraphBuilder`]): payments are added one at a time as they stream
//!    from the file; each becomes a 24-byte [`graph::Edge`] with its amount class (round,
//!    USDT-pegged, just below a limit), local night, channel and memo flags (the engine's
//!    lexicon and memo scan) computed on the way in. Devices are kept as (device, account)
//!    pairs, one per change of device.
//! 2. **Graph** ([`graph::Graph`]): edges indexed by payer and by payee (CSR, time order), the
//!    distinct platform neighbours of each account, the device groups.
//! 3. **Proximity** ([`ppr`]): personalised PageRank from listed accounts and accounts paid
//!    with strong crypto memos.
//! 4. **Features, first pass** ([`features`]): a fixed vector per account, in parallel, from
//!    its payments of the feature window ([`WINDOW_SECS`] back from the period's end).
//! 5. **Score** ([`score`]): a documented rule-based scorer gives points per piece of evidence
//!    and maps the total to 0..1; thresholds give the action.
//! 6. **Second pass**: features that need the first pass's flags (inflow from flagged
//!    accounts: mules) are added and accounts re-scored.
//! 7. **Rings** ([`rings`]) over flagged accounts, and **first flag time**: the first local
//!    day end at which the account's evidence up to then crossed its action's threshold.
//!
//! Invariants: no IO and no clock (time comes in with the payments); memory is a few compact
//! arrays per account plus 24 bytes per payment and 8 bytes per payment for the indices.

pub mod eval;
pub mod features;
pub mod graph;
pub mod model;
pub mod ppr;
pub mod report;
pub mod rings;
pub mod score;
pub mod state;

use features::{Context, Features};
use graph::{Graph, GraphBuilder, MEMO_STRONG};
use rayon::prelude::*;
use rings::UnionFind;
use sluice_core::{Account, AccountAction, ReasonCode, RingId, Score, Timestamp, Transaction, Verdict};
use sluice_engine::lists::ListStore;

/// Seconds in a day: the default cadence.
pub const DAY_SECS: u32 = 86_400;
/// Restart probability of the proximity PageRank.
pub const PPR_ALPHA: f64 = 0.15;
/// Power iterations of the proximity PageRank.
pub const PPR_ITERATIONS: usize = 20;
/// Strong-memo payments an account must receive to seed the proximity PageRank.
pub const MEMO_SEED_MIN: u32 = 2;
/// Rounds of re-scoring with the flags of the round before.
pub const SECOND_PASSES: usize = 2;
/// Seconds of payments an account's own features read by default, back from each cut-off:
/// a week, the period the rule scorer was tuned on and models are trained on. A longer
/// history (`--state`) still feeds the graph-wide facts, but counts and sums that grow with
/// the period would otherwise drift past thresholds set on a week (on an unseen 14-day world
/// swept daily, buyers restricted went from 0 to 7 of 2,929 without a window).
pub const WINDOW_SECS: u32 = 7 * DAY_SECS;
/// Payers in common that link two flagged accounts into one ring.
pub const RING_SHARED_PAYERS: usize = 3;

/// A sweep in progress: add payments, then [`Sweep::finish`].
pub struct Sweep<'a> {
    builder: GraphBuilder<'a>,
    accounts: &'a [Account],
    model: Option<&'a model::Model>,
    thresholds: Option<model::Thresholds>,
    /// Carry history forward: keep payments this many seconds back from the newest.
    horizon: Option<u32>,
    /// Per platform account: first flag time remembered from earlier sweeps (µs).
    remembered_flags: Vec<Option<i64>>,
    /// Seconds between the sweeps of daily operation (first flag times are found at these
    /// cut-offs, aligned to local midnight).
    cadence: u32,
    /// Seconds of payments the account features read ([`WINDOW_SECS`] unless set).
    window: u32,
}

/// What a sweep produced.
pub struct SweepOutput {
    /// One verdict per platform account, in the accounts file's order.
    pub verdicts: Vec<Verdict>,
    /// The final feature vector of every account (same order), for training and analysis.
    pub features: Vec<Features>,
    /// Bytes held by the graph at its largest.
    pub graph_bytes: usize,
    /// Payments swept (this period's and remembered ones).
    pub payments: usize,
    /// The history for the next sweep, when [`Sweep::keep_history`] asked for it.
    pub history: Option<state::SweepState>,
}

impl<'a> Sweep<'a> {
    /// A sweep over `accounts` (the accounts file's dense order) checking against `lists`.
    pub fn new(accounts: &'a [Account], lists: &'a ListStore) -> Self {
        Sweep {
            builder: GraphBuilder::new(accounts, lists),
            accounts,
            model: None,
            thresholds: None,
            horizon: None,
            remembered_flags: Vec::new(),
            cadence: DAY_SECS,
            window: WINDOW_SECS,
        }
    }

    /// How far back from each cut-off an account's own features read (`u32::MAX`: the whole
    /// period, as for a data set whose whole history is one pattern, e.g. AMLSim's).
    pub fn with_window(mut self, secs: u32) -> Self {
        self.window = secs.max(1);
        self
    }

    /// How often the sweep runs in operation (default daily): first flag times are looked
    /// for at every such cut-off instead of at local day ends. `secs` must divide a day;
    /// anything else falls back to daily.
    pub fn with_cadence(mut self, secs: u32) -> Self {
        self.cadence = if secs > 0 && DAY_SECS.is_multiple_of(secs) { secs } else { DAY_SECS };
        self
    }

    /// Starts from an earlier sweep's history (`--state`): its payments are added before
    /// this period's, its first-flag times are kept for accounts still flagged. Call before
    /// adding payments.
    pub fn with_history(mut self, history: &state::SweepState) -> Self {
        let index: hashbrown::HashMap<&str, u32, foldhash::fast::FixedState> = self
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.account_id.as_str(), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        let idx = |node: u32| -> (&str, Option<u32>) {
            let id = history.nodes.get(node as usize).map_or("", String::as_str);
            (id, index.get(id).copied())
        };
        self.builder.reserve(history.edges.len());
        for e in &history.edges {
            self.builder.add_remembered(idx(e.src), idx(e.dst), e.amount, e.t, e.flags);
        }
        for &(h, node) in &history.devices {
            if let (_, Some(a)) = idx(node) {
                self.builder.add_remembered_device(h, a);
            }
        }
        self.remembered_flags = vec![None; self.accounts.len()];
        for &(node, t) in &history.first_flags {
            if let (_, Some(a)) = idx(node)
                && let Some(slot) = self.remembered_flags.get_mut(a as usize)
            {
                *slot = Some(t);
            }
        }
        self
    }

    /// Makes [`Sweep::finish`] return the history for the next sweep: the payments of the
    /// last `days` days (counted back from the newest payment).
    pub fn keep_history(mut self, days: u32) -> Self {
        self.horizon = Some(days.saturating_mul(86_400));
        self
    }

    /// Scores with a learned model instead of the rule scorer (the rule passes still compute
    /// the flag-dependent features the model was trained on).
    pub fn with_model(mut self, model: &'a model::Model) -> Self {
        self.model = Some(model);
        self
    }

    /// Overrides the thresholds of the scorer in use (the rule scorer's [`score::REVIEW`] and
    /// [`score::RESTRICT`], or the model's own).
    pub fn with_thresholds(mut self, t: model::Thresholds) -> Self {
        self.thresholds = Some(t);
        self
    }

    /// Reserves room for about `payments` payments.
    pub fn reserve(&mut self, payments: usize) {
        self.builder.reserve(payments);
    }

    /// Adds one admitted payment with the dense indices of its platform sides.
    pub fn add(&mut self, tx: &Transaction, payer: Option<u32>, payee: Option<u32>) {
        self.builder.add(tx, payer, payee);
    }

    /// Scores every account.
    pub fn finish(self) -> SweepOutput {
        let payments = self.builder.len();
        let carry = self.horizon.map(|h| (h, self.builder.ext_ids(), self.builder.device_pairs().to_vec()));
        let g = self.builder.build();
        let graph_bytes = g.bytes();
        let n = g.n as usize;
        let end = g.edges.iter().map(|e| e.t).max().unwrap_or(0);
        let window = self.window;

        let proximity = proximity(&g);
        let mut flagged = vec![false; n];
        let mut peers = vec![0u16; n];
        let first = Context {
            proximity: &proximity,
            flagged: &[],
            flagged_device_peers: &[],
            repeaters: &[],
            end,
            window,
        };
        let mut features: Vec<Features> =
            (0..g.n).into_par_iter().map(|a| features::compute(&g, a, u32::MAX, &first)).collect();
        // Accounts that repeat a pair, for their neighbours' two-hop feature.
        let repeaters: Vec<bool> = features
            .iter()
            .map(|f| f.get(features::F::RepeatPayers) + f.get(features::F::RepeatPayees) > 0.0)
            .collect();
        // Later passes see who the pass before restricted: mules paid by restricted accounts,
        // accounts on a restricted account's device. Two rounds carry it two hops. Only the
        // flag-dependent slots change between passes.
        for _ in 0..SECOND_PASSES {
            flagged = features.par_iter().map(|f| score::judge(f).action.is_restriction()).collect();
            peers = flagged_device_peers(&g, &flagged);
            let ctx = Context {
                proximity: &proximity,
                flagged: &flagged,
                flagged_device_peers: &peers,
                repeaters: &repeaters,
                end,
                window,
            };
            features.par_iter_mut().enumerate().for_each(|(a, f)| {
                features::refresh_flags(&g, u32::try_from(a).unwrap_or(u32::MAX), &ctx, f);
            });
        }
        let ctx = Context {
            proximity: &proximity,
            flagged: &flagged,
            flagged_device_peers: &peers,
            repeaters: &repeaters,
            end,
            window,
        };
        let judge = Judge::new(self.model, self.thresholds);
        let judged = judge.all(&features);
        let ring_of = rings_of(&g, &judged);
        let first_flag: Vec<Option<Timestamp>> = (0..g.n)
            .into_par_iter()
            .map(|a| {
                let j = judged.get(a as usize)?;
                if j.action == AccountAction::None {
                    return None;
                }
                first_flag_ts(&g, a, j, &judge, &ctx, end, self.cadence)
            })
            .collect();

        // An account flagged by an earlier sweep keeps its first flag time while it stays
        // flagged: that is when it was in fact first flagged.
        let first_flag: Vec<Option<Timestamp>> = first_flag
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                let before = self.remembered_flags.get(i).copied().flatten().and_then(Timestamp::from_micros);
                match (t, before) {
                    (Some(t), Some(b)) => Some(t.min(b)),
                    (t, _) => t,
                }
            })
            .collect();
        let history = carry.map(|(h, ext_ids, devices)| {
            history_of(&g, self.accounts, &ext_ids, &devices, &first_flag, end.saturating_sub(h))
        });
        let verdicts = self
            .accounts
            .iter()
            .zip(judged)
            .zip(first_flag)
            .enumerate()
            .map(|(i, ((acct, j), first_flag_ts))| Verdict {
                account_id: acct.account_id.clone(),
                score: Score::from_f64(j.score),
                action: j.action,
                reasons: j.reasons,
                explanation: j.explanation,
                ring: ring_of.get(i).cloned().flatten(),
                first_flag_ts,
            })
            .collect();
        SweepOutput { verdicts, features, graph_bytes, payments, history }
    }
}

/// The history to hand on: payments at or after `from` (UTC seconds) in their original order,
/// the device pairs of the accounts they involve, and the first flag times of flagged
/// accounts, all keyed by party id.
fn history_of(
    g: &Graph,
    accounts: &[Account],
    ext_ids: &[compact_str::CompactString],
    devices: &[(u64, u32)],
    first_flag: &[Option<Timestamp>],
    from: u32,
) -> state::SweepState {
    let mut table: Vec<u32> = vec![u32::MAX; g.n as usize + ext_ids.len()];
    let mut nodes: Vec<String> = Vec::new();
    let mut id_of = |node: u32, nodes: &mut Vec<String>| -> u32 {
        let Some(slot) = table.get_mut(node as usize) else { return 0 };
        if *slot == u32::MAX {
            *slot = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
            let id = if node < g.n {
                accounts.get(node as usize).map_or("", |a| a.account_id.as_str())
            } else {
                ext_ids.get((node - g.n) as usize).map_or("", |s| s.as_str())
            };
            nodes.push(id.to_string());
        }
        *slot
    };
    let mut edges = Vec::new();
    for e in g.edges.iter().filter(|e| e.t >= from) {
        let (src, dst) = (id_of(e.src, &mut nodes), id_of(e.dst, &mut nodes));
        edges.push(state::StateEdge { amount: e.amount, src, dst, t: e.t, flags: e.flags });
    }
    let mut pairs = Vec::new();
    for &(h, a) in devices {
        if a < g.n {
            pairs.push((h, id_of(a, &mut nodes)));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut first_flags = Vec::new();
    for (a, t) in first_flag.iter().enumerate() {
        if let Some(t) = t {
            first_flags.push((id_of(u32::try_from(a).unwrap_or(u32::MAX), &mut nodes), t.as_micros()));
        }
    }
    state::SweepState { nodes, edges, devices: pairs, first_flags }
}

/// The final judgement: the rule scorer, or a model's calibrated score with the rule scorer's
/// evidence as the words. Either way a restriction needs the operator gate
/// ([`score::operator_gate`]): buyers are not operators.
struct Judge<'m> {
    model: Option<&'m model::Model>,
    thresholds: model::Thresholds,
}

impl<'m> Judge<'m> {
    fn new(model: Option<&'m model::Model>, thresholds: Option<model::Thresholds>) -> Self {
        let default = match model {
            Some(m) => m.thresholds,
            None => model::Thresholds { review: score::REVIEW, restrict: score::RESTRICT },
        };
        Judge { model, thresholds: thresholds.unwrap_or(default) }
    }

    fn all(&self, features: &[Features]) -> Vec<score::Judgement> {
        match self.model {
            None => features.par_iter().map(|f| score::judge_with(f, None, self.thresholds)).collect(),
            Some(m) => {
                let scores = m.predict(features);
                features
                    .par_iter()
                    .zip(scores)
                    .map(|(f, s)| {
                        let mut j = score::judge_with(f, Some(s), self.thresholds);
                        if j.action != AccountAction::None {
                            explain_model(m, f, &mut j);
                        }
                        j
                    })
                    .collect()
            }
        }
    }

    fn one(&self, f: &Features) -> score::Judgement {
        match self.model {
            None => score::judge_with(f, None, self.thresholds),
            Some(m) => {
                let s = m.predict(std::slice::from_ref(f)).first().copied().unwrap_or(0.0);
                score::judge_with(f, Some(s), self.thresholds)
            }
        }
    }
}

/// Puts the model's own reasons first: the features that raised its score most, each with
/// its reason code, before the rule scorer's evidence.
fn explain_model(m: &model::Model, f: &Features, j: &mut score::Judgement) {
    let top = m.top_contributions(f, 3);
    let mut codes: Vec<ReasonCode> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    for (slot, _) in &top {
        if let Some(code) = score::reason_of(*slot) {
            let code = ReasonCode::from_static(code);
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        words.push(score::describe(*slot, f.get(*slot)));
    }
    for r in j.reasons.drain(..) {
        if !codes.contains(&r) {
            codes.push(r);
        }
    }
    j.reasons = codes;
    let lead = format!("model {} {:.2}: {}", m.version, j.score, words.join(", "));
    let rest: Vec<&str> =
        j.explanation.split("; ").filter(|e| !e.is_empty() && !words.iter().any(|w| w == e)).collect();
    j.explanation = if rest.is_empty() { lead } else { format!("{lead}; {}", rest.join("; ")) };
}

/// Per account, the most flagged other accounts on one of its devices.
fn flagged_device_peers(g: &Graph, flagged: &[bool]) -> Vec<u16> {
    let mut peers = vec![0u16; g.n as usize];
    for group in &g.device_groups {
        let k = group.iter().filter(|&&a| flagged.get(a as usize).copied().unwrap_or(false)).count();
        for &a in group {
            let own = usize::from(flagged.get(a as usize).copied().unwrap_or(false));
            if let Some(p) = peers.get_mut(a as usize) {
                *p = (*p).max(u16::try_from(k - own).unwrap_or(u16::MAX));
            }
        }
    }
    peers
}

/// Personalised PageRank from listed accounts and accounts paid with strong crypto memos,
/// scaled by the number of accounts (1 = as close as a uniform walker).
fn proximity(g: &Graph) -> Vec<f32> {
    let n = g.n as usize;
    let mut seeds = vec![0.0f64; n];
    for e in &g.edges {
        if e.flags & MEMO_STRONG != 0
            && let Some(s) = seeds.get_mut(e.dst as usize)
        {
            *s += 1.0;
        }
    }
    for (s, f) in seeds.iter_mut().zip(&g.facts) {
        if *s < f64::from(MEMO_SEED_MIN) {
            *s = 0.0;
        }
        if f.listed {
            *s += 10.0;
        }
    }
    let r = ppr::personalised_pagerank(g, &seeds, PPR_ALPHA, PPR_ITERATIONS);
    r.iter().map(|x| (x * n as f64) as f32).collect()
}

/// Ring ids of flagged accounts linked by a shared device, a payment between them, or
/// [`RING_SHARED_PAYERS`] payers in common; `ring-<first member's index>` for groups of two
/// or more.
fn rings_of(g: &Graph, judged: &[score::Judgement]) -> Vec<Option<RingId>> {
    let n = g.n as usize;
    let flagged = |a: u32| judged.get(a as usize).is_some_and(|j| j.action != AccountAction::None);
    let mut uf = UnionFind::new(n);
    for group in &g.device_groups {
        let members: Vec<u32> = group.iter().copied().filter(|&a| flagged(a)).collect();
        for w in members.windows(2) {
            if let [a, b] = *w {
                uf.union(a, b);
            }
        }
    }
    for e in &g.edges {
        if e.src < g.n && e.dst < g.n && flagged(e.src) && flagged(e.dst) {
            uf.union(e.src, e.dst);
        }
    }
    // Payers in common: for every payer, the flagged accounts it paid; count pairs.
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut paid: Vec<u32> = Vec::new();
    for p in 0..g.n {
        paid.clear();
        paid.extend(g.outgoing(p).map(|e| e.dst).filter(|&d| d < g.n && flagged(d)));
        paid.sort_unstable();
        paid.dedup();
        if paid.len() > 8 {
            continue; // a payer of many flagged accounts says nothing about any two of them
        }
        for (i, &a) in paid.iter().enumerate() {
            for &b in paid.iter().skip(i + 1) {
                pairs.push((a, b));
            }
        }
    }
    pairs.sort_unstable();
    let mut i = 0;
    while let Some(&p) = pairs.get(i) {
        let run = pairs.get(i..).map_or(0, |r| r.iter().take_while(|&&q| q == p).count());
        if run >= RING_SHARED_PAYERS {
            uf.union(p.0, p.1);
        }
        i += run.max(1);
    }
    let mut smallest = vec![u32::MAX; n];
    for a in 0..g.n {
        if flagged(a) {
            let root = uf.find(a);
            if let Some(m) = smallest.get_mut(root as usize) {
                *m = (*m).min(a);
            }
        }
    }
    (0..g.n)
        .map(|a| {
            if !flagged(a) {
                return None;
            }
            let root = uf.find(a);
            if uf.size_of(root) < 2 {
                return None;
            }
            // Named after its smallest member, so the id does not depend on the union order.
            let first = smallest.get(root as usize).copied().unwrap_or(root);
            RingId::parse(&format!("ring-{first}")).ok()
        })
        .collect()
}

/// The first local day end (or the period's end) at which the account's features up to then
/// reach its final action; the time of its last payment up to that cut-off.
fn first_flag_ts(
    g: &Graph,
    a: u32,
    j: &score::Judgement,
    judge: &Judge<'_>,
    ctx: &Context<'_>,
    end: u32,
    cadence: u32,
) -> Option<Timestamp> {
    let mut times: Vec<u32> = g.incoming(a).chain(g.outgoing(a)).map(|e| e.t).collect();
    times.sort_unstable();
    let first_day = graph::local_day(*times.first()?);
    let start = i64::from(first_day) * 86_400 - graph::LOCAL_OFFSET_SECS;
    let cuts = (i64::from(end) - start) / i64::from(cadence.max(1)) + 1;
    for k in 1..=cuts {
        let cutoff = u32::try_from(start + k * i64::from(cadence) - 1).unwrap_or(end);
        if times.first().is_some_and(|&t| t > cutoff) {
            continue;
        }
        let f = features::compute(g, a, cutoff, ctx);
        let now = judge.one(&f);
        if now.action.is_restriction() == j.action.is_restriction() && now.action != AccountAction::None {
            let last = times.iter().take_while(|&&t| t <= cutoff).last().copied()?;
            return Timestamp::from_micros(i64::from(last) * 1_000_000);
        }
    }
    times.last().and_then(|&t| Timestamp::from_micros(i64::from(t) * 1_000_000))
}
