//! The decision on one payment: the [`Engine`] keeps per-account state (windows,
//! restrictions), assembles the [`Facts`] of a payment, runs the compiled policy over them
//! and combines what fired into a [`Decision`] (see [`policy`](crate::policy) for the rules
//! of combination).
//!
//! Order of work for one payment, and why:
//! 1. the payment is recorded in both sides' windows *before* the rules run, so "payments in
//!    the last hour" includes this one, and attempts that end up blocked still count — an
//!    OTC desk whose payments are refused keeps trying, and that is evidence too;
//! 2. restrictions in force are read at the payment's `ts` (they expire by time, no sweep);
//! 3. rules run in file order; every one in effect is evaluated (the decision lists every
//!    rule that fired, not the first);
//! 4. actions of the decision take effect at once: the next payment sees them.
//!
//! The engine is deterministic: the same accounts, lists, policy and payments in the same
//! order give byte-identical decisions. It reads no clock.

use crate::features::{FeatureConfig, FeatureStore, Payment, party_key};
use crate::lexicon::Lexicon;
use crate::lists::{ListStore, scan_memo};
use crate::policy::Policy;
use crate::policy::expr::Quiet;
use crate::policy::facts::{
    BestOf, ExactNames, Facts, LocalTime, MemoFacts, NO_FEATURES, NameScreener, PartyFeatures, PaymentFacts,
    ScreenCache, Side,
};
use crate::policy::reasons::ReasonCategory;
use foldhash::fast::FixedState;
use sluice_core::time::{MICROS_PER_DAY, MICROS_PER_SEC};
use sluice_core::{
    Account, AccountAction, Action, Decision, Outcome, Reason, ReasonCode, Score, Timestamp, Transaction,
};
use std::sync::Arc;

pub mod lanes;

type FastMap<K, V> = hashbrown::HashMap<K, V, FixedState>;

/// A restriction's end: `None` = until a person lifts it.
type Until = Option<Timestamp>;

/// The restrictions on one account. Each direction separately, so that a freeze followed by
/// an appeal that reinstates incoming payments is expressible.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restrictions {
    /// Outgoing payments suspended (until).
    pub out: Option<Until>,
    /// Incoming payments suspended (until).
    pub incoming: Option<Until>,
    /// Merchant collection suspended (until).
    pub collection: Option<Until>,
}

fn active(u: Option<Until>, ts: Timestamp) -> bool {
    match u {
        None => false,
        Some(None) => true,
        Some(Some(until)) => ts < until,
    }
}

impl Restrictions {
    /// The restriction in force at `ts`, as one action (the strongest).
    pub fn at(&self, ts: Timestamp) -> AccountAction {
        match (active(self.out, ts), active(self.incoming, ts), active(self.collection, ts)) {
            (true, true, _) => AccountAction::Freeze,
            (true, false, _) => AccountAction::SuspendOut,
            (false, true, _) => AccountAction::SuspendIn,
            (false, false, true) => AccountAction::SuspendCollection,
            _ => AccountAction::None,
        }
    }

    /// Applies `kind` from `ts` until `until`. Returns whether anything changed (a
    /// restriction already in force for at least as long is not repeated).
    pub fn apply(&mut self, kind: AccountAction, ts: Timestamp, until: Until) -> bool {
        let mut changed = false;
        let mut set = |slot: &mut Option<Until>| {
            let covers = match *slot {
                Some(None) => true,
                Some(Some(old)) => ts < old && until.is_some_and(|new| new <= old),
                None => false,
            };
            if !covers {
                *slot = Some(until);
                changed = true;
            }
        };
        match kind {
            AccountAction::SuspendOut => set(&mut self.out),
            AccountAction::SuspendIn => set(&mut self.incoming),
            AccountAction::Freeze => {
                set(&mut self.out);
                set(&mut self.incoming);
            }
            AccountAction::SuspendCollection => set(&mut self.collection),
            AccountAction::None | AccountAction::Review => {}
        }
        changed
    }
}

/// Counters kept while deciding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Decisions made, per outcome (allow, review, block).
    pub by_outcome: [u64; 3],
    /// Rule firings per rule (policy order).
    pub fired: Vec<u64>,
    /// Conditions that ended in an evaluation error (and so did not fire), per rule.
    pub errors: Vec<u64>,
    /// Payments blocked by a restriction in force.
    pub restricted: u64,
    /// Account actions taken.
    pub actions: u64,
}

/// The platform's clock face: local time of a payment in the policy's zone, with the UTC
/// offset cached between the zone's transitions (one lookup per DST change, not per payment).
/// The local day of the last payment is kept too: payments come in time order, so most fall
/// on the day before them, and the date need not be worked out again.
struct LocalClock {
    tz: jiff::tz::TimeZone,
    lo: i64,
    hi: i64,
    offset_secs: i32,
    /// The local day (days since the epoch, at `offset_secs`) of `day_time`, if any.
    day: Option<i64>,
    day_time: LocalTime,
}

impl LocalClock {
    fn new(tz: jiff::tz::TimeZone) -> Self {
        LocalClock { tz, lo: 1, hi: 0, offset_secs: 0, day: None, day_time: LocalTime::default() }
    }

    fn local(&mut self, ts: Timestamp) -> LocalTime {
        let us = ts.as_micros();
        if us < self.lo || us >= self.hi {
            self.refresh(us);
            self.day = None;
        }
        let local_us = us.saturating_add(i64::from(self.offset_secs) * MICROS_PER_SEC);
        let local_days = local_us.div_euclid(MICROS_PER_DAY);
        if self.day == Some(local_days) {
            let hour = (local_us.rem_euclid(MICROS_PER_DAY) / (3600 * MICROS_PER_SEC)) as u8;
            return LocalTime { hour, ..self.day_time };
        }
        let t = self.local_slow(ts, local_days);
        (self.day, self.day_time) = (Some(local_days), t);
        t
    }

    fn local_slow(&self, ts: Timestamp, local_days: i64) -> LocalTime {
        let (date, secs) = ts.civil_at_offset(self.offset_secs);
        let weekday = ((local_days.rem_euclid(7) + 3) % 7 + 1) as u8;
        let mut d = [b'0'; 10];
        let put = |buf: &mut [u8], v: u32| {
            let n = buf.len();
            let mut v = v;
            for i in (0..n).rev() {
                buf[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(&mut d[0..4], date.year.clamp(0, 9999) as u32);
        d[4] = b'-';
        put(&mut d[5..7], u32::from(date.month));
        d[7] = b'-';
        put(&mut d[8..10], u32::from(date.day));
        LocalTime { hour: (secs / 3600) as u8, weekday, date: d }
    }

    fn refresh(&mut self, us: i64) {
        let Ok(t) = jiff::Timestamp::from_microsecond(us) else {
            self.offset_secs = 0;
            (self.lo, self.hi) = (us, us + 1);
            return;
        };
        self.offset_secs = self.tz.to_offset(t).seconds();
        self.lo = self.tz.preceding(t).next().map_or(i64::MIN, |tr| tr.timestamp().as_microsecond());
        self.hi = self.tz.following(t).next().map_or(i64::MAX, |tr| tr.timestamp().as_microsecond());
        if self.lo > us {
            self.lo = us;
        }
    }
}

/// The stateless part of deciding on a payment, done ahead of it: the feature store's view
/// of the payment (party and device keys), its local time, the memo's lexicon hits and
/// wallet addresses and hosts. It reads no per-account state, so a [`Preparer`] can run on
/// another thread than the [`Engine`] (the [`lanes`] do), and [`Engine::decide_prepared`]
/// gives the same decision as [`Engine::decide`].
#[derive(Debug, Default)]
pub struct Prepared<'t> {
    payment: Option<Payment>,
    local: LocalTime,
    memo: MemoFacts<'t>,
}

/// Prepares payments for an [`Engine`] ([`Engine::preparer`]); owns what it needs, so it
/// can be moved to another thread.
pub struct Preparer {
    /// Each account's `created_at`, apart from the rest of the account so that reading it
    /// touches one compact array (the accounts themselves are ~100 bytes each, at random).
    created: Arc<[Timestamp]>,
    lexicon: &'static Lexicon,
    clock: LocalClock,
}

/// Starts loading a payment's own record (its three or four cache lines; not a long memo
/// held apart, whose address is in those lines) ahead of [`Preparer::prepare`]: for a caller
/// that reads payments from a large buffer, where the next ones are not in the caches yet.
/// A payment just parsed off the network is; one of a week loaded into memory is not.
/// Changes nothing.
pub fn prefetch_transaction(tx: &Transaction) {
    crate::features::prefetch_line(tx);
    crate::features::prefetch_line(&tx.payee);
    crate::features::prefetch_line(&tx.memo);
    crate::features::prefetch_line(&tx.device_id);
}

impl Preparer {
    /// Starts loading what [`prepare`](Self::prepare) reads of the accounts `sides` (their
    /// `created_at`): a caller that knows its payments a few ahead calls it for the one it
    /// will prepare next but one, so the table's misses overlap with other work. Changes
    /// nothing.
    #[inline]
    pub fn prefetch(&self, sides: [Option<u32>; 2]) {
        for i in sides.into_iter().flatten() {
            if let Some(c) = self.created.get(i as usize) {
                crate::features::prefetch_line(c);
            }
        }
    }

    /// The feature store's view of `tx` (party and device keys, creation times; the first
    /// part of [`prepare`](Self::prepare)) for a store that holds only the sides `held` says
    /// (`[payer, payee]`): what it does not need is left out, not worked out — the creation
    /// time of a side held elsewhere (a read of another account's slot, which stage A of the
    /// lanes did not ask to load) and the key of a side whose counterparty is held elsewhere
    /// (a hash). A held side is recorded with the *other* side's key as its counterparty.
    pub(crate) fn payment_held(
        &self,
        tx: &Transaction,
        payer: Option<u32>,
        payee: Option<u32>,
        held: [bool; 2],
    ) -> Payment {
        payment(tx, payer, payee, &self.created, held)
    }

    /// Fills `out` for `tx` (whose sides have the account indices `payer` / `payee`),
    /// reusing its buffers.
    pub fn prepare<'t>(
        &mut self,
        tx: &'t Transaction,
        payer: Option<u32>,
        payee: Option<u32>,
        out: &mut Prepared<'t>,
    ) {
        out.payment = Some(payment(tx, payer, payee, &self.created, [true; 2]));
        self.prepare_rest(tx, out);
    }

    /// The local time and the memo's facts.
    pub(crate) fn prepare_rest<'t>(&mut self, tx: &'t Transaction, out: &mut Prepared<'t>) {
        out.local = self.clock.local(tx.ts);
        let memo_text = tx.memo.as_ref().map_or("", |m| m.as_str());
        let memo = &mut out.memo;
        memo.hits.clear();
        memo.per_category = [0; 5];
        memo.strong_per_category = [0; 5];
        memo.refs = Default::default();
        if !memo_text.is_empty() {
            self.lexicon.scan_into(memo_text, &mut memo.hits);
            memo.count();
            memo.refs = scan_memo(memo_text);
        }
    }
}

/// The inline decision engine for one stream of payments.
pub struct Engine {
    policy: Arc<Policy>,
    lists: Arc<ListStore>,
    screener: Arc<dyn NameScreener>,
    /// A screener from outside ([`with_screener`](Engine::with_screener)), kept to be combined
    /// again with the exact names of new lists on [`reload`](Engine::reload).
    extra_screener: Option<Arc<dyn NameScreener>>,
    accounts: Arc<[Account]>,
    features: States,
    restrictions: FastMap<u32, Restrictions>,
    preparer: Preparer,
    hits: Vec<crate::lexicon::Hit<'static>>,
    fired: Vec<usize>,
    screen_cache: ScreenCache,
    lists_version: compact_str::CompactString,
    stats: EngineStats,
}

/// The behaviour state: whole, or split between the two lanes ([`Engine::decide_lanes`]).
/// It stays split after the lanes are done, so that a stream decided on the lanes call after
/// call is split once; whatever needs the whole store joins it first.
#[allow(clippy::large_enum_variant, reason = "one per engine, and the whole store is read on every payment")]
enum States {
    Whole(FeatureStore),
    Lanes(Box<[FeatureStore; 2]>),
}

impl States {
    /// The whole store, joining the lanes' parts if they are apart.
    fn whole(&mut self) -> &mut FeatureStore {
        if let States::Lanes(_) = self {
            let empty = States::Whole(FeatureStore::new(&FeatureConfig::default(), 0));
            if let States::Lanes(parts) = std::mem::replace(self, empty) {
                *self = States::Whole(FeatureStore::join_lanes(*parts));
            }
        }
        match self {
            States::Whole(w) => w,
            // Not reached: made whole above.
            States::Lanes(parts) => &mut parts[0],
        }
    }

    /// The lanes' parts, splitting the whole store if it is whole; leaves an empty store
    /// behind until [`put_lanes`](Self::put_lanes).
    fn take_lanes(&mut self) -> [FeatureStore; 2] {
        match std::mem::replace(self, States::Whole(FeatureStore::new(&FeatureConfig::default(), 0))) {
            States::Whole(w) => w.split_lanes(),
            States::Lanes(parts) => *parts,
        }
    }

    fn put_lanes(&mut self, parts: [FeatureStore; 2]) {
        *self = States::Lanes(Box::new(parts));
    }

    /// The store (or part) holding account `idx`'s state.
    fn holding(&self, idx: u32) -> &FeatureStore {
        match self {
            States::Whole(w) => w,
            States::Lanes(parts) => {
                if parts[1].holds(idx) {
                    &parts[1]
                } else {
                    &parts[0]
                }
            }
        }
    }

    fn stores(&self) -> &[FeatureStore] {
        match self {
            States::Whole(w) => std::slice::from_ref(w),
            States::Lanes(parts) => &parts[..],
        }
    }
}

/// Why an engine could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The shipped lexicon failed to parse (a release bug; its test prevents it).
    #[error("the shipped crypto lexicon does not parse: {0}")]
    Lexicon(String),
    /// The policy was compiled against another list store: its list references would
    /// point at the wrong lists. Recompile it against these lists.
    #[error("the policy was checked against lists {policy}, not these lists ({lists}); recompile it")]
    ListsMismatch {
        /// The lists version the policy was compiled against.
        policy: String,
        /// The version of the lists given.
        lists: String,
    },
    /// A reload's policy has another time zone than the one the behaviour state's
    /// local-time features (night) were recorded in.
    #[error("the new policy's time zone {new} is not the engine's ({now}); start a new engine to change it")]
    TimeZoneChange {
        /// The time zone in force.
        now: String,
        /// The new policy's.
        new: String,
    },
    /// The threads of [`Engine::decide_lanes`] could not be started.
    #[error("cannot start the deciding threads: {0}")]
    Threads(String),
}

impl Engine {
    /// An engine over `accounts` (indexed as the `AccountBook` that admits the payments
    /// indexes them), with `policy` checked against `lists`.
    pub fn new(
        policy: Arc<Policy>,
        lists: Arc<ListStore>,
        accounts: Arc<[Account]>,
    ) -> Result<Engine, EngineError> {
        let lexicon = Lexicon::shipped().map_err(|e| EngineError::Lexicon(e.to_string()))?;
        let n = accounts.len();
        let rules = policy.rules.len();
        let screener = screener_over(&lists, None);
        let screen_cache = ScreenCache::new(n, lists.list_names().count());
        same_lists(&policy, &lists)?;
        let lists_version = lists.version().into();
        let features = FeatureStore::new(
            &FeatureConfig { time_zone: policy.timezone.clone(), ..FeatureConfig::default() },
            n,
        );
        Ok(Engine {
            preparer: Preparer {
                created: accounts.iter().map(|a| a.created_at).collect(),
                lexicon,
                clock: LocalClock::new(policy.timezone.clone()),
            },
            policy,
            lists,
            screener,
            extra_screener: None,
            accounts,
            features: States::Whole(features),
            restrictions: FastMap::default(),
            hits: Vec::new(),
            fired: Vec::new(),
            screen_cache,
            lists_version,
            stats: EngineStats { fired: vec![0; rules], errors: vec![0; rules], ..EngineStats::default() },
        })
    }

    /// Uses `screener` for `screen()` in conditions (default: exact names).
    pub fn with_screener(mut self, screener: Arc<dyn NameScreener>) -> Self {
        // Exact matching over the engine's own list store stays underneath: a fuzzy index
        // built from other sources need not cover every list the policy screens against.
        self.extra_screener = Some(screener);
        self.screener = screener_over(&self.lists, self.extra_screener.as_ref());
        self.screen_cache = ScreenCache::new(self.accounts.len(), self.lists.list_names().count());
        self
    }

    /// Puts new lists (and the policy checked against them: its list references are
    /// positions in that store) in force from the next payment on, keeping the behaviour
    /// state and the restrictions. The engine decides one payment at a time through
    /// `&mut self`, so no decision sees half of a reload: every decision names the lists
    /// version it was made with. The screening cache starts afresh (scores depend on the
    /// lists); the per-rule counters restart with the new policy's rules. Refused, with
    /// nothing changed, when the policy was checked against other lists or has another time
    /// zone than the one the state's local-time features were recorded in.
    pub fn reload(&mut self, policy: Arc<Policy>, lists: Arc<ListStore>) -> Result<(), EngineError> {
        same_lists(&policy, &lists)?;
        if policy.timezone != self.policy.timezone {
            return Err(EngineError::TimeZoneChange {
                now: self.policy.timezone_name.clone(),
                new: policy.timezone_name.clone(),
            });
        }
        self.screener = screener_over(&lists, self.extra_screener.as_ref());
        self.screen_cache = ScreenCache::new(self.accounts.len(), lists.list_names().count());
        self.lists_version = lists.version().into();
        let rules = policy.rules.len();
        self.stats.fired = vec![0; rules];
        self.stats.errors = vec![0; rules];
        self.fired.clear();
        self.policy = policy;
        self.lists = lists;
        Ok(())
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The list store in force.
    pub fn lists(&self) -> &ListStore {
        &self.lists
    }

    /// Counters so far.
    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// The restrictions of an account (by index).
    pub fn restrictions(&self, idx: u32) -> Restrictions {
        self.restrictions.get(&idx).copied().unwrap_or_default()
    }

    /// The rules that fired in the last decision, as indices into the policy's rules (policy
    /// order), overridden ones included: what a comparison of two policies attributes a
    /// changed decision to.
    pub fn last_fired(&self) -> &[usize] {
        &self.fired
    }

    /// Restricts an account from outside the policy (an analyst, an appeal's outcome).
    pub fn restrict(
        &mut self,
        idx: u32,
        kind: AccountAction,
        ts: Timestamp,
        until: Option<Timestamp>,
    ) -> bool {
        self.restrictions.entry(idx).or_default().apply(kind, ts, until)
    }

    /// Puts the behaviour state back in one piece after [`decide_lanes`](Self::decide_lanes),
    /// which leaves it split between the lanes (the parts hold a little more memory: each
    /// keeps a copy of the shared devices' account pairs, and tables of their own). Anything
    /// that needs the whole store does this itself; call it to time it apart.
    pub fn join_lanes(&mut self) {
        self.features.whole();
    }

    /// Heap bytes of the per-account behaviour state.
    pub fn state_bytes(&self) -> usize {
        self.features.stores().iter().map(FeatureStore::bytes).sum::<usize>()
            + self.restrictions.capacity() * (std::mem::size_of::<(u32, Restrictions)>() + 1)
            + self.screen_cache.heap_bytes()
    }

    /// Starts loading the state the *next* payment will need while the current one is
    /// decided (a stream loop calls it with payment i+1 before `decide` of payment i): the
    /// state of a large world is far beyond the caches, and its reads are most of a
    /// decision's wait. Plain reads; no effect on any result.
    pub fn prefetch(&self, tx: &Transaction, payer: Option<u32>, payee: Option<u32>) {
        let p = payment(tx, payer, payee, &self.preparer.created, [true; 2]);
        for store in self.features.stores() {
            store.prefetch_early(&p);
            store.prefetch(&p);
        }
    }

    /// [`prefetch`](Self::prefetch) for a prepared payment (no hashing again), and the
    /// sides' accounts and screening-cache slots the rules read (list checks read the
    /// account's country and website).
    pub fn prefetch_prepared(&self, prepared: &Prepared<'_>) {
        self.prefetch_prepared_early(prepared);
        self.prefetch_prepared_late(prepared);
    }

    /// The first half of [`prefetch_prepared`](Self::prefetch_prepared), for the payment
    /// two ahead: the sides' state headers, accounts and screening-cache slots. A stream
    /// loop that knows its payments ahead calls it with payment i+2 and
    /// [`prefetch_prepared_late`](Self::prefetch_prepared_late) with payment i+1, so the
    /// headers have arrived by the time the storage they point to is touched.
    pub fn prefetch_prepared_early(&self, prepared: &Prepared<'_>) {
        if let Some(p) = &prepared.payment {
            for store in self.features.stores() {
                store.prefetch_early(p);
            }
            prefetch_accounts(&self.accounts, &self.screen_cache, [p.payer.account, p.payee.account]);
        }
    }

    /// The second half of [`prefetch_prepared`](Self::prefetch_prepared): the sides' state
    /// storage.
    pub fn prefetch_prepared_late(&self, prepared: &Prepared<'_>) {
        if let Some(p) = &prepared.payment {
            for store in self.features.stores() {
                store.prefetch(p);
            }
        }
    }

    /// A [`Preparer`] for this engine's accounts and policy time zone, to run the stateless
    /// part of deciding elsewhere (another thread).
    pub fn preparer(&self) -> Preparer {
        Preparer {
            created: Arc::clone(&self.preparer.created),
            lexicon: self.preparer.lexicon,
            clock: LocalClock::new(self.policy.timezone.clone()),
        }
    }

    /// The features of an account at `now`, changing nothing (for the sweep and for
    /// explanations).
    pub fn features_at(&self, idx: u32, now: Timestamp) -> PartyFeatures {
        let created = self.accounts.get(idx as usize).map(|a| a.created_at);
        self.features.holding(idx).features_at(idx, now, created)
    }

    /// Decides on one admitted payment. `payer` / `payee` are the sides' account indices
    /// (`None` for `ext:` parties), as `AccountBook` assigned them.
    pub fn decide(&mut self, tx: &Transaction, payer: Option<u32>, payee: Option<u32>) -> Decision {
        let mut prepared = Prepared {
            memo: MemoFacts { hits: std::mem::take(&mut self.hits), ..MemoFacts::default() },
            ..Prepared::default()
        };
        self.preparer.prepare(tx, payer, payee, &mut prepared);
        let d = self.decide_prepared(tx, payer, payee, &prepared);
        self.hits = prepared.memo.hits;
        d
    }

    /// [`decide`](Self::decide) with the stateless part done ahead: `prepared` is what this
    /// engine's [`preparer`](Self::preparer) (or any preparer of the same accounts and
    /// policy) made of this `tx`. The decision is the same as `decide`'s.
    pub fn decide_prepared(
        &mut self,
        tx: &Transaction,
        payer: Option<u32>,
        payee: Option<u32>,
        prepared: &Prepared<'_>,
    ) -> Decision {
        let obs = match &prepared.payment {
            Some(p) => self.features.whole().observe(p),
            None => {
                self.features.whole().observe(&payment(tx, payer, payee, &self.preparer.created, [true; 2]))
            }
        };
        let ts = tx.ts;
        let restrictions = [payer, payee].map(|idx| self.restriction_at(idx, ts));
        let cx = RulesCx {
            policy: &self.policy,
            lists: &self.lists,
            screener: self.screener.as_ref(),
            screen_cache: &self.screen_cache,
            accounts: &self.accounts,
            lists_version: &self.lists_version,
        };
        let draft = cx.evaluate(
            tx,
            [payer, payee],
            &Seen::of(&obs),
            prepared.local,
            &prepared.memo,
            restrictions,
            RuleCounters {
                fired: &mut self.fired,
                per_rule: &mut self.stats.fired,
                errors: &mut self.stats.errors,
            },
        );
        finalize(&mut self.restrictions, &mut self.stats, &cx, tx, draft, restrictions)
    }

    /// The restriction in force on account `idx` at `ts`.
    pub(crate) fn restriction_at(&self, idx: Option<u32>, ts: Timestamp) -> AccountAction {
        idx.and_then(|i| self.restrictions.get(&i)).map_or(AccountAction::None, |r| r.at(ts))
    }
}

/// What the feature store found of a payment, as the rules read it: the sides' features
/// borrowed where they lie (the lanes publish them in vectors that the other lane reads in
/// place: copying them would pull every line of them across the cores).
pub(crate) struct Seen<'a> {
    pub payer: Option<&'a PartyFeatures>,
    pub payee: Option<&'a PartyFeatures>,
    pub amount: crate::features::amounts::AmountClass,
    pub accounts_on_device: u32,
}

impl<'a> Seen<'a> {
    /// A whole store's findings.
    pub(crate) fn of(o: &'a crate::features::Observed) -> Self {
        Seen {
            payer: o.payer.as_ref(),
            payee: o.payee.as_ref(),
            amount: o.amount,
            accounts_on_device: o.accounts_on_device,
        }
    }
}

/// Where evaluating a payment's rules counts what fired.
pub(crate) struct RuleCounters<'c> {
    /// The rules that fired on this payment (cleared first), policy order.
    pub fired: &'c mut Vec<usize>,
    /// Firings per rule, added to.
    pub per_rule: &'c mut [u64],
    /// Evaluation errors per rule, added to.
    pub errors: &'c mut [u64],
}

/// The decision the rules make on a payment before the restrictions in force are applied
/// ([`finalize`]): its outcome, score and reasons, and the account actions its rules ask for.
/// Rules see payments and features only — unless one reads a side's `restriction`
/// ([`Policy::reads_restrictions`]) — so drafts of many payments can be made in parallel.
///
/// Most payments fire nothing: their draft is [`Draft::Quiet`], one word, so that drafts made
/// on one thread and finalized on another cost a cache line per eight payments, not per one.
pub(crate) enum Draft {
    /// No rule fired and the score (0) is under both thresholds: an allow with no reasons.
    Quiet,
    /// Anything else.
    Fired(Box<Fired>),
}

/// A [`Draft`] with something to say.
pub(crate) struct Fired {
    pub decision: Decision,
    pub pending: Vec<(AccountAction, u32, Until)>,
}

/// The read-only part of an [`Engine`] that rules run against.
pub(crate) struct RulesCx<'e> {
    pub policy: &'e Policy,
    pub lists: &'e ListStore,
    pub screener: &'e dyn NameScreener,
    pub screen_cache: &'e ScreenCache,
    pub accounts: &'e [Account],
    pub lists_version: &'e compact_str::CompactString,
}

impl RulesCx<'_> {
    /// Starts loading what the rules read of the sides' accounts (country, website, the
    /// screening cache), for a payment a little ahead.
    pub(crate) fn touch_accounts(&self, sides: [Option<u32>; 2]) {
        prefetch_accounts(self.accounts, self.screen_cache, sides);
    }

    /// Runs the rules on one payment (`sides`: the payer's and the payee's account indexes;
    /// `obs`: what the feature store observed; `restrictions`: those in force on the sides,
    /// which only a policy that reads them needs) and combines what fired.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn evaluate(
        &self,
        tx: &Transaction,
        sides: [Option<u32>; 2],
        obs: &Seen<'_>,
        local: LocalTime,
        memo: &MemoFacts<'_>,
        restrictions: [AccountAction; 2],
        counters: RuleCounters<'_>,
    ) -> Draft {
        let RulesCx { policy, lists, screener, screen_cache, accounts, lists_version } = *self;
        let [payer, payee] = sides;
        let facts = Facts {
            tx,
            payer: side(tx, payer, true, accounts, obs.payer, restrictions[0]),
            payee: side(tx, payee, false, accounts, obs.payee, restrictions[1]),
            local,
            observed: PaymentFacts {
                round: obs.amount.round,
                pegged: obs.amount.pegged,
                accounts_on_device: obs.accounts_on_device,
            },
            memo,
            lists,
            screener,
            screen_cache,
        };

        // Run the rules.
        let fired = counters.fired;
        fired.clear();
        // Most payments are quiet: a memo with nothing of crypto in it, between two accounts
        // that no list holds. They skip the rules that are false there and read none of
        // those facts.
        let sides_quiet = policy.sides_can_be_quiet
            && [payer, payee].iter().all(|s| s.is_some_and(|i| screen_cache.unlisted(i)));
        let quiet = Quiet(u8::from(memo.is_quiet()) | u8::from(sides_quiet) << 1);
        let run = policy.quiet_rules.get(usize::from(quiet.0)).map_or(&[][..], Vec::as_slice);
        // In debug builds (the tests) every rule is also evaluated in full: the quiet path
        // must agree on every payment, the rules it skips included.
        #[cfg(debug_assertions)]
        if quiet != Quiet::NONE {
            for (i, rule) in policy.rules.iter().enumerate().filter(|(_, r)| r.in_effect(tx.ts)) {
                let full = rule.condition.eval(&facts);
                let fast =
                    if run.contains(&i) { rule.condition.eval_quiet(&facts, quiet) } else { Ok(false) };
                debug_assert!(
                    full == fast || (full.is_err() && fast.is_err()),
                    "rule {} on {}: {full:?} in full, {fast:?} when quiet {quiet:?}",
                    rule.id,
                    tx.tx_id.as_str()
                );
            }
        }
        for &i in run {
            let Some(rule) = policy.rules.get(i) else { continue };
            if !rule.in_effect(tx.ts) {
                continue;
            }
            match rule.condition.eval_quiet(&facts, quiet) {
                Ok(true) => fired.push(i),
                Ok(false) => {}
                Err(_) => {
                    if let Some(e) = counters.errors.get_mut(i) {
                        *e += 1;
                    }
                }
            }
        }

        // Combine what fired.
        let mut reasons = Vec::new();
        let mut outcome = Outcome::Allow;
        let allow_rule = fired
            .iter()
            .map(|&i| &policy.rules[i])
            .find(|r| r.outcome == Some(Outcome::Allow))
            .map(|r| r.id.clone());
        let mut keep_prob = 1.0_f64;
        let mut pending = Vec::new();
        for &i in fired.iter() {
            let rule = &policy.rules[i];
            if let Some(n) = counters.per_rule.get_mut(i) {
                *n += 1;
            }
            let overridden = allow_rule.is_some() && rule.overridable;
            let mut detail =
                if rule.description.is_empty() { rule.id.clone() } else { rule.description.clone() };
            let why = rule.condition.explain(&facts);
            if !why.is_empty() {
                detail.push_str(": ");
                detail.push_str(&why);
            }
            if overridden && let Some(a) = &allow_rule {
                detail.push_str(&format!(" (overridden by allowlist rule {a})"));
            }
            reasons.push(Reason { code: rule.reason.clone(), detail });
            if overridden {
                continue;
            }
            if rule.category != ReasonCategory::Allowlist {
                keep_prob *= 1.0 - rule.weight;
            }
            if let Some(o) = rule.outcome {
                outcome = outcome.max(o);
            }
            for a in &rule.actions {
                let idx = match a.on {
                    crate::policy::ActionTarget::Payer => payer,
                    crate::policy::ActionTarget::Payee => payee,
                };
                // Outside parties cannot be restricted: the platform holds no account for them.
                if let Some(idx) = idx {
                    let until = a.duration_micros.map(|d| tx.ts.saturating_add_micros(d));
                    pending.push((a.kind, idx, until));
                }
            }
        }
        if fired.is_empty() && policy.review_threshold > 0.0 && policy.block_threshold > 0.0 {
            return Draft::Quiet;
        }
        let score = Score::from_f64(1.0 - keep_prob);
        let s = score.as_f64();
        if s >= policy.block_threshold {
            outcome = outcome.max(Outcome::Block);
        } else if s >= policy.review_threshold {
            outcome = outcome.max(Outcome::Review);
        }
        Draft::Fired(Box::new(Fired {
            decision: Decision {
                tx_id: tx.tx_id.clone(),
                decision: outcome,
                score,
                reasons,
                actions: Vec::new(),
                policy: policy.reference.clone(),
                lists: Some(lists_version.clone()),
                model: None,
            },
            pending,
        }))
    }
}

/// Completes a [`Draft`] in input order: a restriction in force (`restrictions`: on the
/// payer, on the payee) blocks the payment, its reasons first; then the draft's account
/// actions take effect, so the next payment sees them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finalize(
    restrictions: &mut FastMap<u32, Restrictions>,
    stats: &mut EngineStats,
    cx: &RulesCx<'_>,
    tx: &Transaction,
    draft: Draft,
    [payer_r, payee_r]: [AccountAction; 2],
) -> Decision {
    let (mut decision, pending) = match draft {
        Draft::Fired(f) => (f.decision, f.pending),
        Draft::Quiet => (
            Decision {
                tx_id: tx.tx_id.clone(),
                decision: Outcome::Allow,
                score: Score::from_f64(0.0),
                reasons: Vec::new(),
                actions: Vec::new(),
                policy: cx.policy.reference.clone(),
                lists: Some(cx.lists_version.clone()),
                model: None,
            },
            Vec::new(),
        ),
    };
    let accounts = cx.accounts;
    let mut restricted = Vec::new();
    if matches!(payer_r, AccountAction::SuspendOut | AccountAction::Freeze) {
        restricted
            .push(reason("ACCOUNT_SUSPENDED_OUT", format!("payer {} is under {payer_r}", tx.payer.as_str())));
    }
    if matches!(payee_r, AccountAction::SuspendIn | AccountAction::Freeze) {
        restricted
            .push(reason("ACCOUNT_SUSPENDED_IN", format!("payee {} is under {payee_r}", tx.payee.as_str())));
    }
    if payee_r == AccountAction::SuspendCollection && tx.channel == sluice_core::Channel::Merchant {
        restricted.push(reason(
            "COLLECTION_SUSPENDED",
            format!("merchant {} is under suspend_collection", tx.payee.as_str()),
        ));
    }
    if !restricted.is_empty() {
        decision.decision = Outcome::Block;
        stats.restricted += 1;
        decision.reasons.splice(0..0, restricted);
    }
    for (kind, idx, until) in pending {
        if restrictions.entry(idx).or_default().apply(kind, tx.ts, until) {
            stats.actions += 1;
            if let Some(acct) = accounts.get(idx as usize) {
                decision.actions.push(Action { kind, account: acct.account_id.clone(), until });
            }
        }
    }
    stats.by_outcome[match decision.decision {
        Outcome::Allow => 0,
        Outcome::Review => 1,
        Outcome::Block => 2,
    }] += 1;
    decision
}

fn side<'a>(
    tx: &'a Transaction,
    idx: Option<u32>,
    payer: bool,
    accounts: &'a [Account],
    features: Option<&'a PartyFeatures>,
    restriction: AccountAction,
) -> Side<'a> {
    let party = if payer { &tx.payer } else { &tx.payee };
    let Some(i) = idx else {
        return Side {
            id: party.as_str(),
            idx: None,
            account: None,
            features: &NO_FEATURES,
            restriction: AccountAction::None,
        };
    };
    Side {
        id: party.as_str(),
        idx: Some(i),
        account: accounts.get(i as usize),
        features: features.unwrap_or(&NO_FEATURES),
        restriction,
    }
}

/// The feature store's view of a payment, for a store that holds the sides `held` says
/// (`[payer, payee]`; `[true, true]` for the whole store): see [`Preparer::payment_held`].
fn payment(
    tx: &Transaction,
    payer: Option<u32>,
    payee: Option<u32>,
    created: &[Timestamp],
    held: [bool; 2],
) -> Payment {
    let side = |p: &sluice_core::Party, idx: Option<u32>, mine: bool, theirs: bool| crate::features::Side {
        account: idx,
        key: if theirs { party_key(p.as_str()) } else { 0 },
        created_at: idx.filter(|_| mine).and_then(|i| created.get(i as usize)).copied(),
    };
    Payment {
        ts: tx.ts,
        amount_minor: tx.amount.minor(),
        payer: side(&tx.payer, payer, held[0], held[1]),
        payee: side(&tx.payee, payee, held[1], held[0]),
        device: tx.device_id.as_ref().map(|d| party_key(d.as_str())),
    }
}

/// Starts loading what the rules read of the sides' accounts: the account record (country,
/// website, name) and its screening-cache slots and list marks.
/// Refuses a policy checked against other lists than `lists`: its list references are
/// positions in the store it was checked against.
fn same_lists(policy: &Policy, lists: &ListStore) -> Result<(), EngineError> {
    if policy.lists_version != lists.version() {
        return Err(EngineError::ListsMismatch {
            policy: policy.lists_version.clone(),
            lists: lists.version().to_string(),
        });
    }
    Ok(())
}

/// The screener for `screen()`: exact names over `lists`, and an outside screener's best
/// score besides where there is one.
fn screener_over(lists: &ListStore, extra: Option<&Arc<dyn NameScreener>>) -> Arc<dyn NameScreener> {
    let exact: Arc<dyn NameScreener> = Arc::new(ExactNames::new(lists));
    match extra {
        Some(extra) => Arc::new(BestOf(vec![exact, Arc::clone(extra)])),
        None => exact,
    }
}

fn prefetch_accounts(accounts: &[Account], cache: &ScreenCache, sides: [Option<u32>; 2]) {
    for i in sides.into_iter().flatten() {
        if let Some(a) = accounts.get(i as usize) {
            // A record spans two or three lines: its first, and the one with the small
            // fields every payment's rules read (kind, KYC level, country).
            crate::features::prefetch_line(a);
            crate::features::prefetch_line(&a.kind);
            crate::features::prefetch_line(&a.country);
        }
        cache.prefetch(i);
    }
}

fn reason(code: &'static str, detail: String) -> Reason {
    // Built-in codes are catalogue constants; `builtin_codes_are_in_catalogue` tests them.
    Reason { code: ReasonCode::from_static(code), detail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The clock's cached day gives what working the local time out afresh gives, in
        /// any order of payments and across daylight-saving changes (New York has them).
        #[test]
        fn local_time_with_the_day_cached_is_local_time(
            zone in prop::sample::select(vec!["Asia/Shanghai", "America/New_York", "UTC"]),
            start in 1_700_000_000i64..1_800_000_000,
            steps in prop::collection::vec(-90_000i64..200_000, 1..200),
        ) {
            let tz = jiff::tz::TimeZone::get(zone).unwrap();
            let mut cached = LocalClock::new(tz.clone());
            let mut t = start;
            for s in steps {
                t += s;
                let ts = Timestamp::from_micros(t * 1_000_000 + 123).unwrap();
                let mut fresh = LocalClock::new(tz.clone());
                prop_assert_eq!(cached.local(ts), fresh.local(ts), "{} at {}", zone, t);
            }
        }
    }
}
