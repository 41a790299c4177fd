//! Deciding one stream of payments on two threads, with the decisions of one
//! ([`Engine::decide_lanes`]).
//!
//! Every kind of work on a payment is split in halves, so that both threads stay busy
//! whatever the mix (a pipeline of unequal stages idles the lighter one). Both threads
//! ("lanes") go through each batch of payments in the same phases, meeting at a barrier
//! after each:
//!
//! | phase | lane 0 | lane 1 | why it can be split |
//! |---|---|---|---|
//! | 1. prepare | first ~28 % of the batch | the rest | stateless (keys, local time, memo) |
//! | 1. devices | devices of even key | devices of odd key | a device's state depends only on its own payments |
//! | 2. observe | even accounts' sides | odd accounts' sides | an account's windows depend only on its own payments |
//! | 3. rules | first ~47 % | the rest | rules read payments and features, not earlier decisions |
//! | 4. finalize | in input order | (next batch's phase 1) | restrictions in force depend on earlier decisions |
//!
//! What crosses between the threads is plain data: a payment's keys and amount class, device
//! counts, features, and drafts of decisions (one word when nothing fired); a lane's prepared
//! memo facts stay with it, and the payments of its rules share that it did not prepare it
//! prepares again (lane 0 prepares fewer than it runs the rules of, because it finalizes
//! too). Phase 4 is short: two lookups of the (few) restrictions in force, the decision
//! record, and the actions of the rules that asked for any. A policy whose rules read a
//! side's `restriction` has its rules evaluated in phase 4 instead, in input order
//! ([`Policy::reads_restrictions`](crate::policy::Policy::reads_restrictions)).
//!
//! The decisions are exactly those of [`Engine::decide`] on the same payments in the same
//! order, whatever the batch size and the threads' timing (the `lanes_decide_as_one_thread`
//! scenario test and `sluice bench`'s checksum hold them to it).
//!
//! The barrier spins (a handover costs a cache line, not a system call): the phases of a
//! batch of 32 payments last a few microseconds each. After 100 µs it parks the thread until
//! the other lane arrives, so that a lane whose partner lost its core to another process
//! gives its own core away instead of spinning on it. (Parking sooner makes the lanes wake
//! each other in turn: each wake-up is tens of microseconds on this VM, and the woken lane
//! is then late at the next meeting. Never parking is as fast on idle cores and ruinous on
//! busy ones.)

use super::{Draft, Engine, EngineError, Prepared, RuleCounters, RulesCx, Seen, finalize};
use crate::features::amounts::AmountClass;
use crate::features::{FeatureStore, PartyFeatures, Payment};
use sluice_core::{AccountAction, Decision, Transaction};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{RwLock, RwLockReadGuard, mpsc};

/// A payment as the lanes take it: the transaction and its sides' account indexes (`None`
/// for outside parties), as `AccountBook` assigned them.
pub trait Payable: Sync {
    /// The transaction, the payer's index, the payee's index.
    fn parts(&self) -> (&Transaction, Option<u32>, Option<u32>);
}

impl Payable for (Transaction, Option<u32>, Option<u32>) {
    fn parts(&self) -> (&Transaction, Option<u32>, Option<u32>) {
        (&self.0, self.1, self.2)
    }
}

/// What phase 1 finds of a payment that the other lane needs.
#[derive(Clone, Copy)]
struct Found {
    payment: Option<Payment>,
    amount: AmountClass,
    night: bool,
}

/// What one lane publishes for the other, each behind a lock that is only ever taken by
/// one lane for writing *or* by both for reading, in different phases (the barrier orders
/// them), so it never waits.
#[derive(Default)]
struct Shared {
    /// Phase 1: this lane's share of the batch.
    found: RwLock<Vec<Found>>,
    /// Phase 1: per payment, (accounts on the device, new pair) where this lane's table
    /// holds the device.
    devices: RwLock<Vec<(u32, bool)>>,
    /// Phase 2: the features of the sides this lane holds, in batch order (a payment's
    /// payer before its payee), and how many of them belong to payments before lane 1's
    /// share (where lane 1's reading starts).
    features: RwLock<(Vec<PartyFeatures>, usize)>,
    /// Phase 3: the drafts of this lane's share.
    drafts: RwLock<Vec<Option<Draft>>>,
}

/// A barrier for the two lanes: it spins for a while (a handover then costs a cache line),
/// then parks the thread until the other lane arrives and wakes it (a busy machine may
/// take the other lane's core away for milliseconds; spinning through that would take
/// this one's too). `stop` breaks it when a lane gives up.
struct Barrier {
    arrived: AtomicUsize,
    stop: AtomicBool,
    /// Per lane: parked (or about to park) at the barrier.
    sleeping: [AtomicBool; 2],
    /// Per lane: its thread, to wake it.
    threads: [std::sync::OnceLock<std::thread::Thread>; 2],
}

impl Barrier {
    fn new() -> Self {
        Barrier {
            arrived: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            sleeping: Default::default(),
            threads: Default::default(),
        }
    }

    /// Registers the calling thread as lane `me`'s.
    fn enter(&self, me: usize) {
        if let Some(t) = self.threads.get(me) {
            let _ = t.set(std::thread::current());
        }
    }

    /// Wakes lane `other` if it is parked.
    fn wake(&self, other: usize) {
        // SeqCst pairs with the parking side's: either it sees our change, or we see its
        // flag (and unpark it; an unpark before its park makes the park return at once).
        if self.sleeping[other].load(Ordering::SeqCst)
            && let Some(t) = self.threads[other].get()
        {
            t.unpark();
        }
    }

    /// Lane `me` waits for the other lane to reach its `round`-th barrier (rounds count
    /// from 1). Returns false if the other lane stopped.
    fn wait(&self, me: usize, round: &mut usize) -> bool {
        *round += 1;
        let target = 2 * *round;
        let other = 1 - me.min(1);
        self.arrived.fetch_add(1, Ordering::SeqCst);
        self.wake(other);
        let mut spins = 0u32;
        let mut since: Option<std::time::Instant> = None;
        while self.arrived.load(Ordering::Acquire) < target {
            if self.stop.load(Ordering::Relaxed) {
                return false;
            }
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(256) {
                std::hint::spin_loop();
                continue;
            }
            let waited = since.get_or_insert_with(std::time::Instant::now).elapsed();
            if waited > std::time::Duration::from_micros(100) {
                self.sleeping[me].store(true, Ordering::SeqCst);
                if self.arrived.load(Ordering::SeqCst) < target && !self.stop.load(Ordering::SeqCst) {
                    // The timeout only bounds a wake-up lost to a bug; none is expected.
                    std::thread::park_timeout(std::time::Duration::from_millis(5));
                }
                self.sleeping[me].store(false, Ordering::SeqCst);
            }
        }
        true
    }

    /// Lane `me` leaves for good: the other lane stops waiting for it.
    fn leave(&self, me: usize) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake(1 - me.min(1));
    }
}

/// Leaves the barrier when a lane leaves its loop, however it leaves (a panic included), so
/// the other one does not wait for it forever.
struct StopOnExit<'b>(&'b Barrier, usize);

impl Drop for StopOnExit<'_> {
    fn drop(&mut self) {
        self.0.leave(self.1);
    }
}

/// One lane's own state.
struct Lane {
    index: usize,
    store: FeatureStore,
    preparer: super::Preparer,
    fired: Vec<usize>,
    per_rule: Vec<u64>,
    errors: Vec<u64>,
    round: usize,
    /// Phase 2: the payments of the batch with a side this lane holds.
    todo: Vec<usize>,
}

impl Engine {
    /// Decides every payment of `batches` on two threads (see the [module doc](self)) and
    /// calls `sink` with each payment and its decision, in input order, on the calling
    /// thread. The decisions are those [`decide`](Self::decide) makes on the same payments in
    /// the same order, and the counters ([`stats`](Self::stats)) are theirs too;
    /// [`last_fired`](Self::last_fired) is not kept. A payment waits for the rest of its
    /// batch: smaller batches, shorter waits; larger ones spread the threads' handovers
    /// over more payments.
    pub fn decide_lanes<T, B>(
        &mut self,
        batches: impl Iterator<Item = B>,
        mut sink: impl FnMut(&T, Decision),
    ) -> Result<(), EngineError>
    where
        T: Payable,
        B: std::ops::Deref<Target = [T]> + Clone + Send,
    {
        let rules = self.policy.rules.len();
        let [s0, s1] = self.features.take_lanes();
        let lane = |index: usize, store: FeatureStore| Lane {
            index,
            store,
            preparer: self.preparer(),
            fired: Vec::new(),
            per_rule: vec![0; rules],
            errors: vec![0; rules],
            round: 0,
            todo: Vec::new(),
        };
        let (mut l0, l1) = (lane(0, s0), lane(1, s1));
        let in_order = self.policy.reads_restrictions();
        let shared: [Shared; 2] = Default::default();
        let barrier = Barrier::new();
        barrier.enter(0);
        let cx = RulesCx {
            policy: &self.policy,
            lists: &self.lists,
            screener: self.screener.as_ref(),
            screen_cache: &self.screen_cache,
            accounts: &self.accounts,
            lists_version: &self.lists_version,
        };
        let (restrictions, stats) = (&mut self.restrictions, &mut self.stats);
        // Lane 1 gets each batch through a channel a batch ahead, so it rarely waits on it.
        let (to_lane1, from_lane0) = mpsc::sync_channel::<B>(2);

        // Lane 1's state waits for its thread in a slot, so that it is still here if the
        // thread cannot be started.
        let slot = std::sync::Mutex::new(Some(l1));
        let mut spawn_error = None;
        let (l0, l1) = std::thread::scope(|scope| {
            let (shared, barrier, cx, slot) = (&shared, &barrier, &cx, &slot);
            let worker =
                std::thread::Builder::new().name("sluice-lane-1".into()).spawn_scoped(scope, move || {
                    barrier.enter(1);
                    let _stop = StopOnExit(barrier, 1);
                    let mut l1 = slot.lock().ok()?.take()?;
                    while let Ok(batch) = from_lane0.recv() {
                        if !l1.batch(&batch, shared, barrier, cx, in_order) {
                            break;
                        }
                    }
                    Some(l1)
                });
            let worker = match worker {
                Ok(w) => w,
                Err(e) => {
                    spawn_error = Some(e.to_string());
                    return (l0, None);
                }
            };
            {
                let _stop = StopOnExit(barrier, 0);
                let mut batches = batches.filter(|b| !b.is_empty()).peekable();
                let mut sent = 0usize;
                let mut done = 0usize;
                while let Some(batch) = batches.next() {
                    // Keep lane 1 one batch ahead of need.
                    while sent <= done + 1 {
                        let next = if sent == done { Some(batch.clone()) } else { batches.peek().cloned() };
                        let Some(b) = next else { break };
                        if to_lane1.send(b).is_err() {
                            break;
                        }
                        sent += 1;
                    }
                    if !l0.batch(&batch, shared, barrier, cx, in_order) {
                        break;
                    }
                    // 4. In input order: restrictions in force, then the actions taken.
                    // Only the drafts are read here, unless the rules run here too: lane 1 is
                    // already preparing the next batch into its other vectors (and waits
                    // for them while they are read).
                    let mut drafts = [0, 1].map(|k| shared[k].drafts.write().ok());
                    let found = [0, 1].map(|k| read_if(in_order, &shared[k].found));
                    let devices = [0, 1].map(|k| read_if(in_order, &shared[k].devices));
                    let features = [0, 1].map(|k| read_if(in_order, &shared[k].features));
                    let (prep_mid, rules_mid) = (first_prepare(batch.len()), first_rules(batch.len()));
                    let mut cursors = [0, 0];
                    for (j, item) in batch.iter().enumerate() {
                        let (tx, payer, payee) = item.parts();
                        let restricted = [payer, payee].map(|idx| {
                            idx.and_then(|i| restrictions.get(&i))
                                .map_or(AccountAction::None, |r| r.at(tx.ts))
                        });
                        let draft = if in_order {
                            // Rules that read restrictions run here, on what the lanes found.
                            let (half, at) = if j < prep_mid { (0, j) } else { (1, j - prep_mid) };
                            let found = found[half].as_ref().and_then(|f| f.get(at).copied());
                            let obs = observed(found, &devices, &features, &mut cursors, [payer, payee], j);
                            let mut prepared = Prepared::default();
                            l0.preparer.prepare_rest(tx, &mut prepared);
                            let counters = RuleCounters {
                                fired: &mut l0.fired,
                                per_rule: &mut l0.per_rule,
                                errors: &mut l0.errors,
                            };
                            Some(cx.evaluate(
                                tx,
                                [payer, payee],
                                &obs,
                                prepared.local,
                                &prepared.memo,
                                restricted,
                                counters,
                            ))
                        } else {
                            let (half, at) = if j < rules_mid { (0, j) } else { (1, j - rules_mid) };
                            drafts[half].as_mut().and_then(|d| d.get_mut(at)).and_then(Option::take)
                        };
                        let Some(draft) = draft else { continue };
                        sink(item, finalize(restrictions, stats, cx, tx, draft, restricted));
                    }
                    done += 1;
                }
            }
            drop(to_lane1);
            match worker.join() {
                Ok(l1) => (l0, l1),
                Err(e) => std::panic::resume_unwind(e),
            }
        });
        let Some(l1) = l1.or_else(|| slot.lock().ok().and_then(|mut s| s.take())) else {
            // Lane 1's state is lost only if its thread took it and then panicked, which
            // `resume_unwind` above has already reported.
            return Err(EngineError::Threads("lane 1 lost its state".into()));
        };

        for lane in [&l0, &l1] {
            for (total, n) in self.stats.fired.iter_mut().zip(&lane.per_rule) {
                *total += n;
            }
            for (total, n) in self.stats.errors.iter_mut().zip(&lane.errors) {
                *total += n;
            }
        }
        // Kept apart: the next call (a stream is often decided batch after batch) need not
        // split them again, and whatever needs the whole store joins them.
        self.features.put_lanes([l0.store, l1.store]);
        spawn_error.map_or(Ok(()), |e: String| Err(EngineError::Threads(e)))
    }
}

/// How many of a batch's `n` payments lane 0 prepares (phase 1): about a quarter, because
/// while lane 1 starts preparing the next batch, lane 0 first finalizes this one (phase 4),
/// and the two should reach the next meeting together. (Measured with a temporary timer at
/// each meeting on the 100k-account bench, batches of 32: with lane 0 preparing 42 %, lane
/// 1 waited 2.4–2.9 µs per batch at the first meeting; with 22–25 %, 0.8–1.5 µs.)
fn first_prepare(n: usize) -> usize {
    (n * 18).div_ceil(64)
}

/// How many of a batch's `n` payments lane 0 runs the rules of (phase 3), from the start:
/// nearly half. A lane that did not prepare a payment of its share works out its local time
/// and memo facts again (the memo scan is most of preparing), so that the shares of phases 1
/// and 3 can differ and each meeting is balanced on its own.
fn first_rules(n: usize) -> usize {
    (n * 30).div_ceil(64)
}

/// Both lanes' published features, read.
type Published<'g> = [Option<RwLockReadGuard<'g, (Vec<PartyFeatures>, usize)>>; 2];

/// `v` read, if `cond`.
fn read_if<T>(cond: bool, v: &RwLock<T>) -> Option<RwLockReadGuard<'_, T>> {
    if cond { v.read().ok() } else { None }
}

/// Both lanes' published vectors of one kind, read.
type Halves<'g, T> = [Option<RwLockReadGuard<'g, Vec<T>>>; 2];

/// The features store's findings on payment `j` of the batch, from both lanes.
fn observed<'g>(
    found: Option<Found>,
    devices: &Halves<'_, (u32, bool)>,
    features: &'g Published<'_>,
    cursors: &mut [usize; 2],
    sides: [Option<u32>; 2],
    j: usize,
) -> Seen<'g> {
    let amount = found.map_or(AmountClass::default(), |f| f.amount);
    let dev = device_counts(found, devices, j);
    // Each lane published its sides in batch order, payer before payee: take them in turn,
    // where they lie.
    let [payer, payee] = sides.map(|idx| {
        let lane = usize::from(idx? & 1 == 1);
        let at = cursors[lane];
        cursors[lane] += 1;
        features[lane].as_ref().and_then(|f| f.0.get(at))
    });
    Seen { payer, payee, accounts_on_device: dev.0, amount }
}

/// Payment `j`'s device counts, from the lane whose table holds its device.
fn device_counts(found: Option<Found>, devices: &Halves<'_, (u32, bool)>, j: usize) -> (u32, bool) {
    found
        .and_then(|f| f.payment)
        .and_then(|p| p.device)
        .and_then(|d| devices.get(FeatureStore::device_lane(d)))
        .and_then(|g| g.as_ref())
        .and_then(|g| g.get(j).copied())
        .unwrap_or((0, false))
}

impl Lane {
    /// Phases 1 to 3 of one batch on this lane. False when the other lane stopped.
    fn batch<T: Payable>(
        &mut self,
        batch: &[T],
        shared: &[Shared; 2],
        barrier: &Barrier,
        cx: &RulesCx<'_>,
        in_order: bool,
    ) -> bool {
        let n = batch.len();
        let mid = first_prepare(n);
        let mine = if self.index == 0 { 0..mid } else { mid..n };
        let rules_mid = first_rules(n);
        let rules = if self.index == 0 { 0..rules_mid } else { rules_mid..n };
        let me = &shared[self.index];

        // 1. Prepare this lane's share of the batch, and observe the devices of every payment
        // that this lane's table holds (hashing the device id of the other share's payments
        // again costs less than another meeting of the lanes).
        let mut prepared: Vec<Prepared<'_>> = Vec::with_capacity(mine.len());
        // Everything this lane will read at random for the batch, asked for at once: the
        // sides' creation times (this phase), state headers (phase 2), account records
        // and screening slots (phase 3).
        for (j, item) in batch.iter().enumerate() {
            let (_, payer, payee) = item.parts();
            if mine.contains(&j) {
                self.preparer.prefetch([payer, payee]);
            }
            if rules.contains(&j) {
                cx.touch_accounts([payer, payee]);
            }
            for idx in [payer, payee].into_iter().flatten() {
                self.store.prefetch_header(idx);
            }
        }
        if let (Ok(mut found), Ok(mut devices)) = (me.found.write(), me.devices.write()) {
            found.clear();
            devices.clear();
            devices.resize(n, (0, false));
            for (j, (item, slot)) in batch.iter().zip(devices.iter_mut()).enumerate() {
                let (tx, payer, payee) = item.parts();
                let device = if mine.contains(&j) {
                    let mut p = Prepared::default();
                    self.preparer.prepare(tx, payer, payee, &mut p);
                    let (amount, night) =
                        p.payment.map_or((AmountClass::default(), false), |pay| self.store.classify(&pay));
                    found.push(Found { payment: p.payment, amount, night });
                    let device = p.payment.and_then(|pay| pay.device);
                    prepared.push(p);
                    device
                } else {
                    tx.device_id.as_ref().map(|d| crate::features::party_key(d.as_str()))
                };
                if let (Some(d), Some(payer)) = (device, payer)
                    && FeatureStore::device_lane(d) == self.index
                {
                    *slot = self.store.observe_device_of(d, payer);
                }
            }
        }
        if !barrier.wait(self.index, &mut self.round) {
            return false;
        }
        let found = [0, 1].map(|k| shared[k].found.read().ok());
        let at = |j: usize| -> Option<Found> {
            let (half, i) = if j < mid { (0, j) } else { (1, j - mid) };
            found[half].as_ref().and_then(|f| f.get(i).copied())
        };

        // 2. The sides this lane holds, of the payments that have one.
        let devices = [0, 1].map(|k| shared[k].devices.read().ok());
        if let Ok(mut published) = me.features.write() {
            let (features, before_mid) = &mut *published;
            features.clear();
            *before_mid = 0;
            self.todo.clear();
            for (j, item) in batch.iter().enumerate() {
                let (_, payer, payee) = item.parts();
                if [payer, payee].into_iter().flatten().any(|i| self.store.holds(i)) {
                    self.todo.push(j);
                }
            }
            // The headers were prefetched in phase 1: the storage behind them can be asked for
            // at once, two payments ahead.
            for &j in self.todo.iter().take(2) {
                if let Some(p) = at(j).and_then(|f| f.payment) {
                    self.store.prefetch(&p);
                }
            }
            for (k, &j) in self.todo.iter().enumerate() {
                if let Some(next) = self.todo.get(k + 2).and_then(|&i| at(i)).and_then(|f| f.payment) {
                    self.store.prefetch_early(&next);
                    self.store.prefetch(&next);
                }
                let f = at(j);
                let Some(payment) = f.and_then(|f| f.payment) else { continue };
                let (_, new_pair) = device_counts(f, &devices, j);
                let (amount, night) = f.map_or((AmountClass::default(), false), |f| (f.amount, f.night));
                let mut out = [None, None];
                self.store.observe_held(&payment, amount, night, new_pair, &mut out);
                features.extend(out.into_iter().flatten());
                if j < rules_mid {
                    *before_mid = features.len();
                }
            }
        }
        if !barrier.wait(self.index, &mut self.round) {
            return false;
        }

        // 3. The rules of this lane's share (unless they must run in input order).
        if !in_order {
            let features = [0, 1].map(|k| shared[k].features.read().ok());
            // Lane 0's share starts the batch; lane 1's after what both published for lane 0's.
            let mut cursors =
                [0, 1].map(|k| if self.index == 0 { 0 } else { features[k].as_ref().map_or(0, |f| f.1) });
            if let Ok(mut drafts) = me.drafts.write() {
                drafts.clear();
                let mut again = Prepared::default();
                for j in rules.clone() {
                    let Some(item) = batch.get(j) else { continue };
                    let (tx, payer, payee) = item.parts();
                    // Prepared here in phase 1, or by the other lane: then again.
                    let p = match j
                        .checked_sub(mine.start)
                        .and_then(|i| prepared.get(i))
                        .filter(|_| mine.contains(&j))
                    {
                        Some(p) => p,
                        None => {
                            self.preparer.prepare_rest(tx, &mut again);
                            &again
                        }
                    };
                    let obs = observed(at(j), &devices, &features, &mut cursors, [payer, payee], j);
                    let counters = RuleCounters {
                        fired: &mut self.fired,
                        per_rule: &mut self.per_rule,
                        errors: &mut self.errors,
                    };
                    let none = [AccountAction::None; 2];
                    drafts.push(Some(cx.evaluate(
                        tx,
                        [payer, payee],
                        &obs,
                        p.local,
                        &p.memo,
                        none,
                        counters,
                    )));
                }
            }
        }
        drop((found, devices));
        barrier.wait(self.index, &mut self.round)
    }
}
