//! Deciding one stream of payments on two threads, with the decisions of one
//! ([`Engine::decide_lanes`]).
//!
//! The behaviour state is split between the two threads ("lanes") by account: lane 0 holds
//! the even accounts' windows and counterparties, lane 1 the odd ones'
//! ([`FeatureStore::split_lanes`]), and the device table by device key. An account's state
//! depends only on its own payments, never on decisions, so each lane can record its sides
//! of a batch without waiting for the other. The rules need both sides' features, and the
//! restrictions in force depend on earlier decisions, so the work on a batch has three
//! stages:
//!
//! | stage | who | what | waits for |
//! |---|---|---|---|
//! | A. observe | each lane, its own sides | the sides' features; the devices its table holds; loads the batch's account records for B | nothing: only the lane's own state |
//! | B. rules | both lanes, claiming chunks of 2 payments | memo scan, local time, rules → a draft per payment | the other lane's A of the batch |
//! | F. finalize | lane 0, in input order | restrictions in force, actions, the decision | every draft of the batch |
//!
//! The stages of consecutive batches overlap: in its `t`-th step a lane runs A of batch `t`,
//! then B of batch `t − 1` (and lane 0 F of batch `t − 1`). So a lane waits only when the
//! other is more than about a stage behind, not at every handover, and the uneven split of a
//! batch's sides between the lanes (the number each holds varies from batch to batch)
//! evens out over the batches instead of costing a wait at each. The rules are claimed in
//! chunks from a counter shared by both lanes, so the lane that is ahead takes more of them
//! (lane 0, which also finalizes, takes fewer), and stage F waits for a count of written
//! drafts, not for the other lane to pass its stage B: that lane may still be observing the
//! next batch when the rules of this one are all claimed (waiting for it instead, lane 0
//! spent 7–8 % of its time waiting at F with batches of 8). A batch is taken from the stream by the
//! first lane to start on it, and is decided at the end of lane 0's next step: about two
//! batches' work later, so small batches (8 to 16 payments) keep the wait short.
//!
//! This replaced lanes that met at a barrier after each of four phases of a batch (prepare,
//! observe, rules, finalize in the same batch): those waited at every meeting for the slower
//! lane, 17 % of their CPU time in `perf`, and used 2.2 µs of CPU per decision against 1.65
//! on one thread. An ordering with A and B of the same batch in one step (a payment decided
//! one step after it is taken) was tried too: it waits for the other lane's A at every step,
//! and at equal latency it was slower than this one with half the batch (on the 100k-account
//! bench, batches of 16 against 8: 0.58–0.71M against 0.73–0.76M decisions/s, p50 22–27 µs
//! against 21–22 µs).
//!
//! **Devices.** An account's `devices` feature counts the distinct devices it paid from; a
//! new (device, payer) pair is found by the lane whose table holds the device, which may not
//! be the payer's. So stage A records no new pair: a lane's stage B keeps the new pairs
//! both tables found in the batch, its state takes those of batch `t − 2` just before it
//! observes batch `t`, and stage B adds to a side's `devices` the new pairs of that account
//! in batches `b − 1` and `b` (up to the payment) that the state did not hold yet. The
//! features are the same as on one thread.
//!
//! What crosses between the threads is plain data: features, device counts, new pairs and
//! drafts of decisions (one word when nothing fired), in a ring of slots per lane (one slot
//! per batch in flight), each behind a lock that the progress counters order so that it is
//! almost never contended (a lane late to its stage B may find stage F still reading its
//! drafts slot, and spins for it). A policy whose rules read a side's `restriction` has its rules evaluated
//! in stage F instead, in input order
//! ([`Policy::reads_restrictions`](crate::policy::Policy::reads_restrictions)).
//!
//! The decisions are exactly those of [`Engine::decide`] on the same payments in the same
//! order, whatever the batch size and the threads' timing (the `lanes_decide_as_one_thread`
//! scenario test and `sluice bench`'s checksum hold them to it).
//!
//! A lane that must wait spins (a handover costs a cache line, not a system call), and after
//! 100 µs parks until the other lane publishes progress, so that a lane whose partner lost
//! its core to another process gives its own core away instead of spinning on it. (Parking
//! sooner makes the lanes wake each other in turn: each wake-up is tens of microseconds on
//! this VM. Never parking is as fast on idle cores and ruinous on busy ones.)

use super::{Draft, Engine, EngineError, Prepared, RuleCounters, RulesCx, Seen, finalize};
use crate::features::amounts::AmountClass;
use crate::features::{FeatureStore, PartyFeatures, Payment};
use sluice_core::{AccountAction, Decision, Transaction};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard};

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

/// Batches in flight: a slot is written in a lane's step `t` and read until the other
/// lane's step `t + 2`; more slots let the lanes drift further apart before one waits.
const RING: usize = 8;

/// Batches whose new device pairs a lane keeps: noted in stage B of batch `b`, read until
/// the lane's step `b + 2`.
const PAIRS: usize = 4;

/// Payments per claim of stage B. Stage F waits for the chunk the other lane claimed last:
/// with chunks of 4, lane 0 waited there in a third of the batches, ~1.5 µs each time
/// (0.22–0.30 s of a ~5 s replay of a 1M-account, 2-day world, batches of 8); with 2,
/// 0.09–0.12 s. With 1, the waits were a little shorter again but every payment cost a
/// claim on the shared counter, and the two measured the same.
const CHUNK: usize = 2;

/// What one lane's stage A found of one batch.
#[derive(Default)]
struct Observed {
    /// The features of the sides this lane holds, in batch order, a payment's payer before
    /// its payee.
    features: Vec<PartyFeatures>,
    /// Per payment: where its first held side is in `features`.
    at: Vec<u32>,
    /// Per payment: (accounts on the device, new pair) where this lane's table holds the
    /// payment's device; (0, false) elsewhere.
    devices: Vec<(u32, bool)>,
    /// The new (device, payer) pairs this lane's table found: (payment, payer).
    new_pairs: Vec<(u32, u32)>,
    /// Per payment: its amount class where this lane holds a side (classified for
    /// recording it; the rules read it from here rather than classifying again).
    amounts: Vec<Option<AmountClass>>,
}

/// A counter on its own cache lines: each is written by one lane and read by the other.
#[repr(align(128))]
#[derive(Default)]
struct Counter(AtomicUsize);

/// Everything the lanes share.
struct Shared {
    /// Per lane, per ring slot: stage A's findings.
    observed: [Vec<RwLock<Observed>>; 2],
    /// Per lane, per ring slot: stage B's drafts, by payment (`None` where the other lane
    /// claimed it).
    drafts: [Vec<RwLock<Vec<Option<Draft>>>>; 2],
    /// Per ring slot: the next payment of the batch that stage B has not claimed.
    claims: Vec<Counter>,
    /// Per ring slot: the payments of the batch whose drafts are written (stage F waits for
    /// all of them, not for the other lane to pass its stage B: that lane may still be
    /// observing the next batch when this one's rules are all claimed).
    done: Vec<Counter>,
    /// Per lane: batches through stage A.
    observed_n: [Counter; 2],
    /// Per lane: batches through stage B.
    ruled_n: [Counter; 2],
    signals: Signals,
}

impl Shared {
    fn new() -> Self {
        let ring = |_| (0..RING).map(|_| RwLock::default()).collect::<Vec<_>>();
        Shared {
            observed: [0, 1].map(ring),
            drafts: [0, 1].map(|_| (0..RING).map(|_| RwLock::default()).collect()),
            claims: (0..RING).map(|_| Counter::default()).collect(),
            done: (0..RING).map(|_| Counter::default()).collect(),
            observed_n: Default::default(),
            ruled_n: Default::default(),
            signals: Signals::new(),
        }
    }
}

/// Waiting for the other lane: spin for a while (a handover then costs a cache line), then
/// park until it publishes progress (a busy machine may take the other lane's core away for
/// milliseconds; spinning through that would take this one's too). `stop` ends every wait
/// when a lane gives up.
struct Signals {
    stop: AtomicBool,
    /// Per lane: parked (or about to park).
    sleeping: [AtomicBool; 2],
    /// Per lane: its thread, to wake it.
    threads: [std::sync::OnceLock<std::thread::Thread>; 2],
}

impl Signals {
    fn new() -> Self {
        Signals { stop: AtomicBool::new(false), sleeping: Default::default(), threads: Default::default() }
    }

    /// Registers the calling thread as lane `me`'s.
    fn enter(&self, me: usize) {
        if let Some(t) = self.threads.get(me) {
            let _ = t.set(std::thread::current());
        }
    }

    /// Lane `me` sets `counter` to `value` and wakes the other lane if it is parked.
    fn publish(&self, me: usize, counter: &Counter, value: usize) {
        // SeqCst pairs with the parking side's: either it sees the new value, or we see its
        // flag (and unpark it; an unpark before its park makes the park return at once).
        counter.0.store(value, Ordering::SeqCst);
        let other = 1 - me.min(1);
        if self.sleeping[other].load(Ordering::SeqCst)
            && let Some(t) = self.threads[other].get()
        {
            t.unpark();
        }
    }

    /// Lane `me` adds `n` to `counter` and wakes the other lane if it is parked.
    fn add(&self, me: usize, counter: &Counter, n: usize) {
        counter.0.fetch_add(n, Ordering::SeqCst);
        let other = 1 - me.min(1);
        if self.sleeping[other].load(Ordering::SeqCst)
            && let Some(t) = self.threads[other].get()
        {
            t.unpark();
        }
    }

    /// Lane `me` waits until `counter` reaches `target`. False if the other lane stopped.
    fn wait(&self, me: usize, counter: &Counter, target: usize) -> bool {
        if counter.0.load(Ordering::Acquire) >= target {
            return true;
        }
        let mut spins = 0u32;
        let mut since: Option<std::time::Instant> = None;
        while counter.0.load(Ordering::Acquire) < target {
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
                if counter.0.load(Ordering::SeqCst) < target && !self.stop.load(Ordering::SeqCst) {
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
        let other = 1 - me.min(1);
        if let Some(t) = self.threads[other].get() {
            t.unpark();
        }
    }
}

/// Leaves when a lane leaves its loop, however it leaves (a panic included), so the other
/// one does not wait for it forever.
struct StopOnExit<'b>(&'b Signals, usize);

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
    /// Stage A: each payment's view for the store (where this lane holds a side) and its
    /// device key.
    payments: Vec<(Option<Payment>, Option<u64>)>,
    /// Stage B: the new pairs the features published for a batch do not include yet, as
    /// (payer, payment of the batch it counts from; `None`: the batch before).
    pending: Vec<(u32, Option<u32>)>,
    /// Per batch in flight (`b % PAIRS`): the new (device, payer) pairs both lanes found in
    /// it, as (payment, payer).
    pairs: [Vec<(u32, u32)>; PAIRS],
}

/// The stream of batches, taken by whichever lane starts on a batch first and kept for the
/// other until it starts on it too.
struct Feed<I, B> {
    inner: Mutex<FeedInner<I, B>>,
}

struct FeedInner<I, B> {
    batches: I,
    /// Batch `t` at `t % RING`, while a lane may still start on it.
    ring: Vec<Option<B>>,
    /// Batches taken from `batches`.
    taken: usize,
}

impl<I: Iterator<Item = B>, B: Clone> Feed<I, B> {
    fn new(batches: I) -> Self {
        Feed { inner: Mutex::new(FeedInner { batches, ring: vec![None; RING], taken: 0 }) }
    }

    /// Batch `t` (`None` past the end), and whether this call took it from the stream. A
    /// lane asks for batch `t` only once the other lane has started on batch `t − RING + 2`
    /// (see [`Lane::run`]), so the slot is free.
    fn batch(&self, t: usize) -> (Option<B>, bool) {
        let Ok(mut feed) = self.inner.lock() else { return (None, false) };
        let FeedInner { batches, ring, taken } = &mut *feed;
        if t < *taken {
            return (ring.get(t % RING).cloned().flatten(), false);
        }
        let b = batches.next();
        if let Some(slot) = ring.get_mut(t % RING) {
            slot.clone_from(&b);
        }
        *taken += 1;
        (b, true)
    }
}

/// Where stage F sends its decisions, and what it changes.
struct Finalizer<'s, S> {
    sink: S,
    restrictions: &'s mut super::FastMap<u32, super::Restrictions>,
    stats: &'s mut super::EngineStats,
    /// The rules run here, in input order ([`Policy::reads_restrictions`](crate::policy::Policy::reads_restrictions)).
    in_order: bool,
}

impl Engine {
    /// Decides every payment of `batches` on two threads (see the [module doc](self)) and
    /// calls `sink` with each payment and its decision, in input order, on the calling
    /// thread. The decisions are those [`decide`](Self::decide) makes on the same payments in
    /// the same order, and the counters ([`stats`](Self::stats)) are theirs too;
    /// [`last_fired`](Self::last_fired) is not kept. A batch is taken from `batches` when a
    /// lane is about to start on it, and its payments are decided about two batches' work
    /// later: smaller batches, shorter waits; larger ones spread the handovers over more
    /// payments.
    pub fn decide_lanes<T, B>(
        &mut self,
        batches: impl Iterator<Item = B> + Send,
        sink: impl FnMut(&T, Decision),
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
            payments: Vec::new(),
            pending: Vec::new(),
            pairs: Default::default(),
        };
        let (mut l0, l1) = (lane(0, s0), lane(1, s1));
        let in_order = self.policy.reads_restrictions();
        let shared = Shared::new();
        shared.signals.enter(0);
        let cx = RulesCx {
            policy: &self.policy,
            lists: &self.lists,
            screener: self.screener.as_ref(),
            screen_cache: &self.screen_cache,
            accounts: &self.accounts,
            lists_version: &self.lists_version,
        };
        let mut fin =
            Finalizer { sink, restrictions: &mut self.restrictions, stats: &mut self.stats, in_order };
        let feed = Feed::new(batches.filter(|b| !b.is_empty()));

        // Lane 1's state waits for its thread in a slot, so that it is still here if the
        // thread cannot be started.
        let slot = std::sync::Mutex::new(Some(l1));
        let mut spawn_error = None;
        let (l0, l1) = std::thread::scope(|scope| {
            let (shared, cx, slot, feed) = (&shared, &cx, &slot, &feed);
            let worker =
                std::thread::Builder::new().name("sluice-lane-1".into()).spawn_scoped(scope, move || {
                    shared.signals.enter(1);
                    let _stop = StopOnExit(&shared.signals, 1);
                    let mut l1 = slot.lock().ok()?.take()?;
                    l1.run(feed, shared, cx, in_order, None::<&mut Finalizer<'_, fn(&T, Decision)>>);
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
                let _stop = StopOnExit(&shared.signals, 0);
                l0.run(feed, shared, cx, in_order, Some(&mut fin));
            }
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

/// Both lanes' stage-A findings on one batch, read.
type Both<'g> = [RwLockReadGuard<'g, Observed>; 2];

/// Reads both lanes' findings on the batch in ring slot `r`.
fn read_both(shared: &Shared, r: usize) -> Option<Both<'_>> {
    let [a, b] = [0, 1].map(|k| shared.observed[k].get(r).and_then(|l| l.read().ok()));
    Some([a?, b?])
}

impl Lane {
    /// The lane's loop: in step `t`, the new device pairs of batch `t − 2`, stage A of batch
    /// `t`, then B (and, with `fin`, F) of batch `t − 1`.
    fn run<T, I, B, S>(
        &mut self,
        feed: &Feed<I, B>,
        shared: &Shared,
        cx: &RulesCx<'_>,
        in_order: bool,
        mut fin: Option<&mut Finalizer<'_, S>>,
    ) where
        T: Payable,
        I: Iterator<Item = B>,
        B: std::ops::Deref<Target = [T]> + Clone,
        S: FnMut(&T, Decision),
    {
        let me = self.index;
        let other = 1 - me;
        let mut prev: Option<B> = None;
        let mut t = 0usize;
        loop {
            // Slot t % RING (of the batches, the claims and each lane's findings and drafts)
            // held batch t − RING, which the other lane reads in its stage B (and lane 0's
            // F) of that batch, in its step t − RING + 1; waiting for its step t − RING + 2
            // leaves a step of margin.
            if t + 3 >= RING
                && !(shared.signals.wait(me, &shared.ruled_n[other], (t + 2).saturating_sub(RING))
                    && shared.signals.wait(me, &shared.observed_n[other], t + 3 - RING))
            {
                return;
            }
            let (cur, fresh) = feed.batch(t);
            if fresh {
                // Both lanes are past stage B of the batch this slot last held.
                for c in [shared.claims.get(t % RING), shared.done.get(t % RING)].into_iter().flatten() {
                    c.0.store(0, Ordering::SeqCst);
                }
            }
            if let Some(batch) = &cur {
                // The state holds the new pairs up to batch t − 2 when it observes batch t.
                if let Some(x) = t.checked_sub(2) {
                    self.add_new_pairs(x);
                }
                self.observe(batch, shared, cx, t % RING);
                shared.signals.publish(me, &shared.observed_n[me], t + 1);
            }
            if let Some(batch) = &prev {
                let b = t - 1;
                if !shared.signals.wait(me, &shared.observed_n[other], b + 1) {
                    return;
                }
                let Some(seen) = read_both(shared, b % RING) else { return };
                self.note_pairs(&seen, b);
                if !in_order {
                    self.rules(batch, shared, &seen, cx, b);
                }
                drop(seen);
                if let Some(fin) = fin.as_deref_mut() {
                    let all = shared.done.get(b % RING);
                    if !in_order && !all.is_some_and(|d| shared.signals.wait(me, d, batch.len())) {
                        return;
                    }
                    self.finalize(batch, shared, cx, b, fin);
                }
                // Lane 0's count includes stage F.
                shared.signals.publish(me, &shared.ruled_n[me], b + 1);
            }
            if cur.is_none() {
                // The new pairs of the last two batches.
                for x in [t.checked_sub(2), t.checked_sub(1)].into_iter().flatten() {
                    self.add_new_pairs(x);
                }
                return;
            }
            prev = cur;
            t += 1;
        }
    }

    /// Stage A: the sides this lane holds and the devices its table holds, of every payment
    /// of `batch`, into ring slot `r`.
    fn observe<T: Payable>(&mut self, batch: &[T], shared: &Shared, cx: &RulesCx<'_>, r: usize) {
        let Some(Ok(mut out)) = shared.observed[self.index].get(r).map(|l| l.write()) else { return };
        let out = &mut *out;
        out.features.clear();
        out.at.clear();
        out.devices.clear();
        out.new_pairs.clear();
        out.amounts.clear();
        // Everything read at random for the batch, asked for at once: the transactions, the
        // held sides' state headers and creation times.
        for item in batch {
            let (tx, payer, payee) = item.parts();
            super::prefetch_transaction(tx);
            // The accounts' records for stage B, a step later: either lane may claim the
            // payment's rules.
            cx.touch_accounts([payer, payee]);
            for idx in [payer, payee].into_iter().flatten().filter(|&i| self.store.holds(i)) {
                self.store.prefetch_header(idx);
                self.preparer.prefetch([Some(idx), None]);
            }
        }
        self.payments.clear();
        for item in batch {
            let (tx, payer, payee) = item.parts();
            let held = [payer, payee].map(|s| s.is_some_and(|i| self.store.holds(i)));
            let payment = (held[0] || held[1]).then(|| self.preparer.payment_held(tx, payer, payee, held));
            let device = match &payment {
                Some(p) => p.device,
                None => tx.device_id.as_ref().map(|d| crate::features::party_key(d.as_str())),
            };
            // The slots of the devices this lane's table holds, whoever holds the sides.
            if let (Some(d), Some(_)) = (device, payer)
                && FeatureStore::device_lane(d) == self.index
            {
                self.store.prefetch_device(d);
            }
            self.payments.push((payment, device));
        }
        // The storage behind the headers (asked for above), two payments ahead.
        for (p, _) in self.payments.iter().take(2) {
            if let Some(p) = p {
                self.store.prefetch(p);
            }
        }
        for (j, item) in batch.iter().enumerate() {
            if let Some((Some(next), _)) = self.payments.get(j + 2) {
                self.store.prefetch(next);
            }
            let (_, payer, _) = item.parts();
            let (payment, device) = self.payments.get(j).copied().unwrap_or((None, None));
            let mut found = (0, false);
            if let (Some(d), Some(payer)) = (device, payer)
                && FeatureStore::device_lane(d) == self.index
            {
                found = self.store.observe_device_of(d, payer);
                if found.1 {
                    out.new_pairs.push((j as u32, payer));
                }
            }
            out.devices.push(found);
            out.at.push(out.features.len() as u32);
            let Some(p) = payment else {
                out.amounts.push(None);
                continue;
            };
            let (amount, night) = self.store.classify(&p);
            out.amounts.push(Some(amount));
            let mut sides = [None, None];
            // New pairs are added later (`add_new_pairs`), whichever table found them.
            self.store.observe_held(&p, amount, night, false, &mut sides);
            out.features.extend(sides.into_iter().flatten());
        }
    }

    /// Stage B: the rules of the payments of `batch` (batch number `b`) this lane claims.
    fn rules<T: Payable>(
        &mut self,
        batch: &[T],
        shared: &Shared,
        seen: &Both<'_>,
        cx: &RulesCx<'_>,
        b: usize,
    ) {
        let r = b % RING;
        self.pending_pairs(b);
        let Some(mut drafts) = shared.drafts[self.index].get(r).and_then(write_spin) else { return };
        drafts.clear();
        drafts.resize_with(batch.len(), || None);
        let (Some(claims), Some(done)) = (shared.claims.get(r), shared.done.get(r)) else { return };
        let mut again = Prepared::default();
        let mut scratch = [PartyFeatures::default(); 2];
        loop {
            let start = claims.0.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= batch.len() {
                break;
            }
            let end = (start + CHUNK).min(batch.len());
            for j in start..end {
                let Some(item) = batch.get(j) else { continue };
                let (tx, payer, payee) = item.parts();
                let none = [AccountAction::None; 2];
                let draft = self.evaluate(cx, seen, j, (tx, [payer, payee]), none, &mut again, &mut scratch);
                if let Some(slot) = drafts.get_mut(j) {
                    *slot = Some(draft);
                }
            }
            shared.signals.add(self.index, done, end - start);
        }
    }

    /// The rules on payment `j` of a batch (`tx` and its sides' account indexes), from what
    /// the lanes found of it (`seen`), with `restricted` the restrictions in force on the
    /// sides; `again` and `scratch` are buffers reused from payment to payment.
    #[allow(clippy::too_many_arguments)]
    fn evaluate<'t>(
        &mut self,
        cx: &RulesCx<'_>,
        seen: &Both<'_>,
        j: usize,
        (tx, accounts): (&'t Transaction, [Option<u32>; 2]),
        restricted: [AccountAction; 2],
        again: &mut Prepared<'t>,
        scratch: &mut [PartyFeatures; 2],
    ) -> Draft {
        self.preparer.prepare_rest(tx, again);
        let [payer, payee] = sides(&self.pending, seen, j, accounts, scratch);
        let obs = Seen {
            payer,
            payee,
            accounts_on_device: device_count(seen, j),
            // Every payment has a platform side, so a lane classified it in stage A.
            amount: seen
                .iter()
                .find_map(|o| o.amounts.get(j).copied().flatten())
                .unwrap_or_else(|| self.store.amount_class(tx.amount.minor())),
        };
        let counters =
            RuleCounters { fired: &mut self.fired, per_rule: &mut self.per_rule, errors: &mut self.errors };
        cx.evaluate(tx, accounts, &obs, again.local, &again.memo, restricted, counters)
    }

    /// Stage F (lane 0): batch `b`'s decisions in input order.
    fn finalize<T: Payable, S: FnMut(&T, Decision)>(
        &mut self,
        batch: &[T],
        shared: &Shared,
        cx: &RulesCx<'_>,
        b: usize,
        fin: &mut Finalizer<'_, S>,
    ) {
        let r = b % RING;
        let in_order = fin.in_order;
        let mut drafts =
            [0, 1].map(|k| if in_order { None } else { shared.drafts[k].get(r).and_then(write_spin) });
        let seen = if in_order {
            self.pending_pairs(b);
            read_both(shared, r)
        } else {
            None
        };
        let mut again = Prepared::default();
        let mut scratch = [PartyFeatures::default(); 2];
        for (j, item) in batch.iter().enumerate() {
            let (tx, payer, payee) = item.parts();
            let restricted = [payer, payee].map(|idx| {
                idx.and_then(|i| fin.restrictions.get(&i)).map_or(AccountAction::None, |r| r.at(tx.ts))
            });
            let draft = match &seen {
                Some(seen) => {
                    // Rules that read restrictions run here, on what the lanes found.
                    Some(self.evaluate(
                        cx,
                        seen,
                        j,
                        (tx, [payer, payee]),
                        restricted,
                        &mut again,
                        &mut scratch,
                    ))
                }
                None => {
                    let [d0, d1] = &mut drafts;
                    let mine = d0.as_mut().and_then(|d| d.get_mut(j)).and_then(Option::take);
                    mine.or_else(|| d1.as_mut().and_then(|d| d.get_mut(j)).and_then(Option::take))
                }
            };
            let Some(draft) = draft else { continue };
            (fin.sink)(item, finalize(fin.restrictions, fin.stats, cx, tx, draft, restricted));
        }
    }

    /// Keeps the new device pairs both lanes' tables found in batch `b` (rare: most batches
    /// have none), for [`pending_pairs`](Self::pending_pairs) and
    /// [`add_new_pairs`](Self::add_new_pairs), which then need not read the slots again.
    fn note_pairs(&mut self, seen: &Both<'_>, b: usize) {
        if let Some(kept) = self.pairs.get_mut(b % PAIRS) {
            kept.clear();
            for o in seen {
                kept.extend_from_slice(&o.new_pairs);
            }
        }
    }

    /// The new pairs that the features published for batch `b` do not include: those of
    /// batch `b − 1` and those of batch `b` itself (a lane's state holds those up to batch
    /// `t − 2` when it observes batch `t`).
    fn pending_pairs(&mut self, b: usize) {
        self.pending.clear();
        if let Some(before) = b.checked_sub(1).and_then(|x| self.pairs.get(x % PAIRS)) {
            self.pending.extend(before.iter().map(|&(_, payer)| (payer, None)));
        }
        if let Some(now) = self.pairs.get(b % PAIRS) {
            self.pending.extend(now.iter().map(|&(j, payer)| (payer, Some(j))));
        }
    }

    /// Adds to the accounts this lane holds the new device pairs both lanes' tables found in
    /// batch `b` (noted in its stage B).
    fn add_new_pairs(&mut self, b: usize) {
        if let Some(kept) = self.pairs.get(b % PAIRS) {
            for &(_, payer) in kept {
                self.store.add_device(payer);
            }
        }
    }
}

/// Payment `j`'s sides' features from the lanes holding them, with the new device pairs
/// (`pending`, see [`Lane::pending_pairs`]) they do not include yet, up to and including
/// payment `j`'s: where there are any, the features are copied into `scratch` and counted
/// there (rare; a copy is ~240 bytes, and returning them by value cost copies of both on
/// every payment).
fn sides<'a>(
    pending: &[(u32, Option<u32>)],
    seen: &'a Both<'_>,
    j: usize,
    sides: [Option<u32>; 2],
    scratch: &'a mut [PartyFeatures; 2],
) -> [Option<&'a PartyFeatures>; 2] {
    let payer_lane = sides[0].map(|i| (i & 1) as usize);
    let [s0, s1] = scratch;
    let mut out = [None, None];
    for (s, (slot, copy)) in out.iter_mut().zip([s0, s1]).enumerate() {
        let Some(idx) = sides[s] else { continue };
        let lane = (idx & 1) as usize;
        let Some(o) = seen.get(lane) else { continue };
        // A payment's payer comes first in its lane's list.
        let skip = usize::from(s == 1 && payer_lane == Some(lane));
        let Some(f) = o.at.get(j).and_then(|&at| o.features.get(at as usize + skip)) else { continue };
        let extra = pending
            .iter()
            .filter(|&&(payer, from)| payer == idx && from.is_none_or(|i| i as usize <= j))
            .count();
        *slot = if extra == 0 {
            Some(f)
        } else {
            *copy = *f;
            copy.devices = copy.devices.saturating_add(u16::try_from(extra).unwrap_or(u16::MAX));
            Some(&*copy)
        };
    }
    out
}

/// A write lock on `l`, spinning while it is held: the lanes hold their slots' locks for
/// microseconds, and a blocked `write` may put the thread to sleep for far longer.
fn write_spin<T>(l: &RwLock<T>) -> Option<std::sync::RwLockWriteGuard<'_, T>> {
    for _ in 0..1 << 14 {
        match l.try_write() {
            Ok(g) => return Some(g),
            Err(std::sync::TryLockError::WouldBlock) => std::hint::spin_loop(),
            Err(std::sync::TryLockError::Poisoned(_)) => return None,
        }
    }
    l.write().ok()
}

/// Accounts on payment `j`'s device, from the lane whose table holds it (the other lane
/// wrote 0).
fn device_count(seen: &Both<'_>, j: usize) -> u32 {
    seen.iter().map(|o| o.devices.get(j).map_or(0, |d| d.0)).sum()
}
