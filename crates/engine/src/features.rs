//! Per-account behaviour features for the decision path, maintained online: one call per
//! payment ([`FeatureStore::observe`]) updates the payer's and the payee's state and returns
//! each side's features *including this payment*, as plain `Copy` values a policy reads
//! without further lookups; [`FeatureStore::features_at`] answers the same for any account
//! and instant without changing anything (the sweep).
//!
//! # The features (per platform account, each `[in, out]` where it has a direction)
//!
//! | feature | field | meaning |
//! |---|---|---|
//! | counts, sums | [`Flow::count`], [`Flow::sum_minor`] | payments and minor units in `h1` / `h24` / `d7` |
//! | round share | [`Flow::round`] | of those, amounts that are a multiple of `round_unit_minor` (default ¥100) |
//! | pegged share | [`Flow::pegged`] | amounts that look like USDT quantity × rate ([`amounts`]) |
//! | night share | [`Flow::night`] | payments made at local night (00:00–06:00 Asia/Shanghai by default; [`clock`]) |
//! | new counterparties | [`Flow::new_counterparty`] | payments whose counterparty the account had never dealt with, in either direction, before (false "seen" rate below) |
//! | distinct counterparties | [`PartyFeatures::distinct_h24`], [`PartyFeatures::distinct_d7`] | counterparties whose last payment in that direction is in the window (approximate, below) |
//! | pass-through | [`PartyFeatures::pass_through_h24_minor`] … | money out that was covered by recent money in (below) |
//! | account age | [`PartyFeatures::age_micros`] | `ts − created_at` |
//! | devices | [`PartyFeatures::devices`], [`Observed::accounts_on_device`] | distinct devices an account paid from; distinct payer accounts seen on the payment's device |
//!
//! Shares are ratios of these counters to [`Flow::count`] ([`Flow::share`]).
//!
//! **Counterparties** are remembered as 16-bit fingerprints of their [`party_key`], each with
//! the hour it was last seen in each direction (module `counterparties`). Two counterparties
//! of one account with the same fingerprint are one: for an account remembering `n`
//! counterparties, a new one is wrongly taken as seen with probability `n / 65,535` (0.1 %
//! at 64, 1.5 % at 1,000) and a distinct count of `k` misses on average about
//! `k·n / 131,070` (tested on random keys up to `n = 20,000`). Otherwise distinct counts are
//! exact at bucket granularity (hour for `h24`, UTC day for `d7`) for any `now` in the
//! account's newest hour or later. An account remembers every counterparty it ever had, up to
//! 57,344 (7/8 of 2¹⁶ table slots); beyond that, ones not seen for 8 days are forgotten.
//!
//! **Windows** are those of [`crate::windows`]: UTC minute buckets for `h1` (now's minute
//! and the 59 before), hour buckets for `h24` (now's hour and the 23 before), UTC-day
//! buckets for `d7` (now's day and the 6 before); a payment counts when its bucket is one of
//! them. Every exact feature (counts, sums, round, pegged, night, new-counterparty counts,
//! pass-through) is exact for any `now` down to 10 minutes before the account's newest
//! payment (the contract's lateness tolerance), so a payment up to 10 minutes late sees
//! exact features at its own `ts` and is itself counted exactly; a later one is counted in
//! every window an exact `now` can still reach (and nowhere if none), and its own features
//! are approximate. The `features_match_the_full_history` proptest holds all of this
//! against a brute-force recomputation over the whole history.
//!
//! **Pass-through.** For an outgoing payment `o` of amount `a` at `ts`, let `In_N` and
//! `Out_N` be the money in and out of the account over the last `N` hour buckets
//! (`pass_through_hours`, default 2: now's hour and the one before), counting every payment
//! recorded before `o`. The part of `o` that *passes through* is
//! `min(a, max(0, In_N − Out_N))`: what recent inflow not yet spent covers. The features
//! sum it over the payments out in each window, so `pass_through_h24_minor /
//! h24[OUT].sum_minor` is the share of the last day's outflow that left within `N` hours of
//! arriving. A payment more than 10 minutes late passes nothing through (its `In_N` would
//! not be exact).
//!
//! # State and its size
//!
//! Each account is a 32-byte header and one boxed slice of 16-bit units: the time buckets
//! (module `ledger`: 6 bytes while a bucket holds ≤ 7 payments and < ¥20,971, 8 bytes up
//! to 31 payments and ¥1.34 M, 30 bytes beyond) grow from the front, the counterparty set
//! (module `counterparties`: 4 bytes per counterparty) from the back, sharing the slack.
//! An account with more than 128 counterparties keeps them in a side table with hourly and
//! daily counters. Devices are one open-addressing table (device → first account, 12-byte
//! slots) plus, for the few devices shared by several accounts, a count and the set of
//! (device, account) pairs. `ext:` parties hold no state: they appear only as
//! counterparties of platform accounts.
//!
//! Measured with the `window_memory` example on a simulated week of 1,000,000 accounts and
//! 14.6 M payments (`simulate --population 1000000 --days 7`), state at the end of the
//! week, hash tables at their allocated size:
//!
//! | part | bytes per account |
//! |---|---|
//! | headers | 32.0 |
//! | time buckets | 73.3 |
//! | counterparties inline | 78.3 |
//! | slack in the slices | 10.3 |
//! | large counterparty sets (22,230 accounts) | 36.9 |
//! | devices | 19.1 |
//! | **total** | **249.8** (≈ 266 with 16 bytes of allocator overhead per allocation) |
//!
//! (Large sets were 17.1 bytes until a bug that lost every large set but the first was
//! fixed; their tables now grow by a quarter to keep the total under 256. Slack was 11.8
//! bytes before slices grew by at least 5 units and shrank at an eighth of slack, see
//! `Account::reserve`: the total from [`FeatureStore::bytes`] after the same week, 251.3 →
//! 249.8, with `phases DIR observe` on the world `sluice bench --population 1000000`
//! leaves; `sluice bench` reports 253.1 bytes per account for the whole engine, 254.6
//! before.)
//!
//! Speed, one core, CPU time of the observing thread, on a shared 2-core machine busy with
//! other work (±15 % between runs). On 100,000 accounts (the `phases` example, which
//! prefetches as [`FeatureStore::prefetch`] and [`FeatureStore::prefetch_early`] ask):
//! about 1,100 ns per payment for `observe` (both sides, every feature) at a load of
//! 2.1–2.7, against 1,140 ns for the code before the changes that cut its instructions by
//! 18 % (below: results built in place, the 8-lane counterparty count, ...), the two
//! alternated in the same minutes (medians of 24 rounds each; earlier sets of 9 rounds
//! gave 940 against 1,046 ns and 960 against 1,062 ns: the misses, not the instructions,
//! set most of the time). Before that, 1,390 ns before real prefetch instructions and the
//! reworked bucket pass (1,330 ns on a quiet machine); on 1,000,000 accounts that code
//! took 1,900–2,100 ns, 3,000 ns without prefetching. Where the time goes: the state is
//! 250 MB, far beyond the caches, and each payment reads two account headers (aligned:
//! one line each), then their slices (records at the front, counterparties at the back)
//! and a device slot; the hooks issue prefetch
//! instructions for those lines (x86_64; `safe_arch`, as the crate forbids `unsafe`), so
//! the misses overlap with the previous payments' work without the CPU waiting on them
//! (they were plain reads until then, 10–14 % of `perf` samples). In instructions
//! (callgrind on 20,000 accounts × 3 days, 117,766 payments:
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='phases::observe_all'
//! target/release/examples/phases DIR observe`) `observe` is about 7,070 per payment
//! (8,620 before results were built in place and the other changes of that round, 9,000
//! before the reworked bucket pass): about
//! 2,300 the one pass over both sides' buckets (about 18 records per payment there, each
//! filed once, into the narrowest window holding it; small records on a path of their
//! own) that sums the windows, takes out the buckets gone stale and finds the ones to add
//! to; about 950 the counterparty pass (the count vectorised 8 entries a step, the lookup
//! a loop of its own; a large set sums its rings); about 330 reallocating slices (about
//! 62 % of the sides re-file stale buckets, and about half reallocate, ~330 instructions
//! each with the allocator); the rest adding the payment and re-filing, building the two
//! feature values in place (about 400), the device table and the prefetch hooks.
//! About 38 branches per payment mispredict (49 before; callgrind's branch model), mostly
//! data-dependent ones in the bucket pass (record kind, stale or kept). Running window
//! totals would make a payment touch only the buckets that change, at the cost of bytes the
//! 256-byte budget does not have yet.
//! [`split`](FeatureStore::split) divides the state between two threads by account. The
//! `windows` criterion bench measures `observe` with and without prefetching on a
//! synthetic stream.
//!
//! Caps: counts saturate at `u32::MAX`, sums at `u64::MAX`; counterparty and device sets are
//! bounded as their modules say. An idle account keeps its state until its next payment.

pub mod amounts;
pub mod clock;
mod counterparties;
mod ledger;

use crate::windows::Direction;
use amounts::{AmountClass, AmountRules};
use clock::NightClock;
use counterparties::{CodeReader, DistinctWindows, LargeSet, SMALL_MAX, Seen, Small, fingerprint};
use foldhash::fast::FixedState;
use hashbrown::{HashMap, HashSet};
use ledger::{
    Fields, Found, GRACE_MINUTES, Horizon, MINUTES_PER_DAY, MINUTES_PER_HOUR, Rec, Records, Scan, Spans,
    Tier, Unit, make_key,
};
use sluice_core::admission::AccountBook;
use sluice_core::time::MICROS_PER_MINUTE;
use sluice_core::{Party, Timestamp, Transaction};
use std::hash::BuildHasher;

const _: () = assert!(std::mem::size_of::<Account>() == 32);

/// `newest` of an account that has seen nothing.
const NOTHING_SEEN: i64 = i64::MIN;

/// The three kinds of bucket an account keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    In = 0,
    Out = 1,
    Pass = 2,
}

impl From<Direction> for Stream {
    fn from(d: Direction) -> Self {
        match d {
            Direction::In => Stream::In,
            Direction::Out => Stream::Out,
        }
    }
}

/// How features are computed.
#[derive(Debug, Clone)]
pub struct FeatureConfig {
    /// Round and pegged amounts.
    pub amounts: AmountRules,
    /// The platform time zone for night time (default Asia/Shanghai).
    pub time_zone: jiff::tz::TimeZone,
    /// Night starts at this local hour (default 0)…
    pub night_start_hour: u8,
    /// …and ends at this one, exclusive (default 6).
    pub night_end_hour: u8,
    /// `N` of pass-through: hour buckets of inflow an outgoing payment can be covered by
    /// (default 2; clamped to 1..=24).
    pub pass_through_hours: u8,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            amounts: AmountRules::default(),
            time_zone: jiff::tz::TimeZone::get("Asia/Shanghai")
                .unwrap_or(jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(8))),
            night_start_hour: 0,
            night_end_hour: 6,
            pass_through_hours: 2,
        }
    }
}

/// The features of one window and direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flow {
    /// Payments.
    pub count: u32,
    /// Their total in minor units.
    pub sum_minor: u64,
    /// Payments with a round amount.
    pub round: u32,
    /// Payments with a pegged amount (quantity × rate).
    pub pegged: u32,
    /// Payments made at local night.
    pub night: u32,
    /// Payments whose counterparty was new to the account.
    pub new_counterparty: u32,
}

impl Flow {
    /// `part / count`, 0 for an empty window: e.g. `flow.share(flow.night)`.
    pub fn share(&self, part: u32) -> f64 {
        if self.count == 0 { 0.0 } else { f64::from(part) / f64::from(self.count) }
    }
}

/// Every feature of one platform account at one instant. Arrays are `[in, out]`
/// ([`Direction::index`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartyFeatures {
    /// The last hour (minute buckets).
    pub h1: [Flow; 2],
    /// The last 24 hours (hour buckets).
    pub h24: [Flow; 2],
    /// The last 7 days (UTC-day buckets).
    pub d7: [Flow; 2],
    /// Distinct counterparties last seen in the 24-hour window.
    pub distinct_h24: [u32; 2],
    /// Distinct counterparties last seen in the 7-day window.
    pub distinct_d7: [u32; 2],
    /// Minor units of the outgoing payments in `h1` that passed through.
    pub pass_through_h1_minor: u64,
    /// The same over `h24`.
    pub pass_through_h24_minor: u64,
    /// The same over `d7`.
    pub pass_through_d7_minor: u64,
    /// `ts − created_at` in microseconds (negative for a payment dated before the account
    /// was opened); `None` when the creation time was not given.
    pub age_micros: Option<i64>,
    /// Distinct devices this account paid from (saturating at 65,535).
    pub devices: u16,
    /// Counterparties the account remembers (its set's size).
    pub counterparties: u32,
}

impl PartyFeatures {
    /// Share of the last 24 hours' outflow that passed through (0 without outflow).
    pub fn pass_through_share_h24(&self) -> f64 {
        let out = self.h24[1].sum_minor;
        if out == 0 { 0.0 } else { self.pass_through_h24_minor as f64 / out as f64 }
    }
}

/// One side of a payment, as the store needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    /// Dense index from [`AccountBook`], `None` for an `ext:` party.
    pub account: Option<u32>,
    /// [`party_key`] of the party's id (platform or `ext:`).
    pub key: u64,
    /// When the account was opened, if known.
    pub created_at: Option<Timestamp>,
}

/// One payment, as the store needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payment {
    /// When it was made.
    pub ts: Timestamp,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// Who paid.
    pub payer: Side,
    /// Who was paid.
    pub payee: Side,
    /// [`party_key`] of the payer's `device_id`, if any.
    pub device: Option<u64>,
}

const PARTY_SEED: u64 = 0x005e_ed0f_c0de;

/// The 64-bit key the store knows a party or a device by (a fixed-seed hash of the id).
pub fn party_key(id: &str) -> u64 {
    FixedState::with_seed(PARTY_SEED).hash_one(id)
}

impl Payment {
    /// The store's view of an admitted transaction, whose platform sides have the dense
    /// indexes `payer` and `payee` in `book`.
    pub fn of(tx: &Transaction, payer: Option<u32>, payee: Option<u32>, book: &AccountBook) -> Self {
        let side = |p: &Party, idx: Option<u32>| Side {
            account: idx,
            key: party_key(p.as_str()),
            created_at: idx.and_then(|i| book.created_at(i)),
        };
        Payment {
            ts: tx.ts,
            amount_minor: tx.amount.minor(),
            payer: side(&tx.payer, payer),
            payee: side(&tx.payee, payee),
            device: tx.device_id.as_ref().map(|d| party_key(d.as_str())),
        }
    }
}

/// What [`FeatureStore::observe`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    /// The payer's features including this payment (out); `None` for an `ext:` payer.
    pub payer: Option<PartyFeatures>,
    /// The payee's features including this payment (in); `None` for an `ext:` payee.
    pub payee: Option<PartyFeatures>,
    /// Distinct payer accounts seen on this payment's device, this one included (0 without
    /// a device or platform payer).
    pub accounts_on_device: u32,
    /// The amount's class.
    pub amount: AmountClass,
    /// Whether the payment was made at local night.
    pub night: bool,
}

/// One account's state: 32 bytes plus its words. See the module doc. Aligned to its size
/// so that no header straddles two cache lines (the list of headers is one large
/// allocation, which the allocator would otherwise place 16 bytes past a line).
#[derive(Debug, Clone, PartialEq, Eq)]
#[repr(align(32))]
struct Account {
    /// Records from the front (`rec_len` units), counterparty entries (two units each) from
    /// the back.
    words: Box<[Unit]>,
    /// Minute of the newest payment, or `NOTHING_SEEN`.
    newest_minute: i64,
    rec_len: u16,
    /// Small: entries held; large: 1 (the entry is the index into `FeatureStore::large`).
    cp_len: u16,
    devices: u16,
    large: bool,
}

impl Default for Account {
    fn default() -> Self {
        Account {
            words: Box::default(),
            newest_minute: NOTHING_SEEN,
            rec_len: 0,
            cp_len: 0,
            devices: 0,
            large: false,
        }
    }
}

impl Account {
    fn cp_words(&self) -> usize {
        if self.large { 2 } else { 2 * usize::from(self.cp_len) }
    }

    fn free(&self) -> usize {
        self.words.len().saturating_sub(usize::from(self.rec_len) + self.cp_words())
    }

    /// Makes room for `extra` more units between the regions, reallocating (an eighth more
    /// than needed, at least 5 units: a small record and a counterparty entry, what a
    /// payment usually adds) when there is not. With at least 3 (a record alone), the next
    /// payment reallocated again: 44.5 % of sides reallocated on the 1M-account week, 40 %
    /// now (37 % growing, 3 % shrinking).
    fn reserve(&mut self, extra: usize) {
        if self.free() >= extra {
            return;
        }
        let used = usize::from(self.rec_len) + self.cp_words();
        self.resize(used + extra + (used / 8).max(5));
    }

    /// Gives memory back when more than an eighth (and 4 units) is slack, keeping a little:
    /// tighter than growth leaves, which pays for growth's larger minimum (the 1M-account
    /// week ends 1.5 bytes an account smaller than with a quarter and 8 units).
    fn shrink(&mut self) {
        let used = usize::from(self.rec_len) + self.cp_words();
        if self.words.len() > used + 4 + used / 8 {
            self.resize(used + 2 + used / 32);
        }
    }

    fn resize(&mut self, len: usize) {
        let (rec, cp) = (usize::from(self.rec_len), self.cp_words());
        let old_len = self.words.len();
        let (Some(records), Some(cps)) = (self.words.get(..rec), self.words.get(old_len - cp..)) else {
            return;
        };
        let mut v = Vec::with_capacity(len);
        v.extend_from_slice(records);
        v.resize(len - cp, 0);
        v.extend_from_slice(cps);
        self.words = v.into_boxed_slice();
    }

    fn records(&mut self) -> Records<'_> {
        let len = usize::from(self.rec_len);
        Records { words: &mut self.words, len }
    }

    fn small(&mut self) -> Small<'_> {
        let n = usize::from(self.cp_len);
        Small { words: &mut self.words, n }
    }

    fn large_index(&self) -> usize {
        let n = self.words.len();
        self.words
            .get(n.saturating_sub(2)..)
            .map_or(0, |w| w.iter().fold(0, |v, &u| v << 16 | usize::from(u)))
    }

    fn set_large_index(&mut self, i: usize) {
        let n = self.words.len();
        if let Some([hi, lo]) = self.words.get_mut(n.saturating_sub(2)..) {
            (*hi, *lo) = ((i >> 16) as Unit, i as Unit);
        }
    }

    fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.words.len() * std::mem::size_of::<Unit>()
    }
}

/// The public view of summed bucket contents; `NARROW` when every counter is known to be
/// below 2³² ([`Scan::narrow`]).
#[inline(always)]
fn flow<const NARROW: bool>(f: &Fields) -> Flow {
    let get = |k| if NARROW { f.get_narrow(k) } else { f.get(k) };
    Flow {
        count: get(0),
        sum_minor: f.sum(),
        round: get(1),
        pegged: get(2),
        night: get(3),
        new_counterparty: get(4),
    }
}

/// The window features of a scan.
#[inline]
fn features(scan: &Scan) -> PartyFeatures {
    let mut f = PartyFeatures::default();
    write_features::<false>(scan, &mut f);
    f
}

/// [`features`] written into `f`'s window fields (the others are left as they are), so that
/// the observing path builds each side's features where they are returned. Without wide
/// records (nearly every side) no counter needs saturating: 45 comparisons fewer.
#[inline(always)]
fn write_features_of(scan: &Scan, f: &mut PartyFeatures) {
    if scan.narrow {
        write_features::<true>(scan, f);
    } else {
        write_features::<false>(scan, f);
    }
}

#[inline(always)]
fn write_features<const NARROW: bool>(scan: &Scan, f: &mut PartyFeatures) {
    // Stream by stream, straight into the fields (no array of all nine windows to copy).
    let [i1, i24, i7] = scan.windows(Stream::In as usize);
    let [o1, o24, o7] = scan.windows(Stream::Out as usize);
    let [p1, p24, p7] = scan.windows(Stream::Pass as usize);
    f.h1 = [flow::<NARROW>(&i1), flow::<NARROW>(&o1)];
    f.h24 = [flow::<NARROW>(&i24), flow::<NARROW>(&o24)];
    f.d7 = [flow::<NARROW>(&i7), flow::<NARROW>(&o7)];
    f.pass_through_h1_minor = p1.sum();
    f.pass_through_h24_minor = p24.sum();
    f.pass_through_d7_minor = p7.sum();
}

/// Distinct payer accounts per device, distinct devices per account: an open-addressing
/// table of 12-byte slots (device key, first account; at most 7/8 full, growing by half),
/// and for the few devices used by more than one account a count and the set of their
/// (device, account) pairs. Device keys are 64-bit hashes: two devices are confused with
/// probability about `n² / 2⁶⁵`.
#[derive(Debug, Clone, Default)]
struct Devices {
    /// `[key low, key high, first account]`; key 0 marks an empty slot.
    slots: Vec<[u32; 3]>,
    len: usize,
    /// Devices with more than one account → how many.
    shared: HashMap<u64, u32, FixedState>,
    /// (device, account) pairs beyond a device's first account.
    pairs: HashSet<u64, FixedState>,
}

/// The device key a slot holds (0: empty).
#[inline]
fn slot_key(s: &[u32; 3]) -> u64 {
    u64::from(s[0]) | u64::from(s[1]) << 32
}

impl Devices {
    /// Notes that `account` paid from `device`: distinct accounts on the device, and whether
    /// the pair is new.
    fn observe(&mut self, device: u64, account: u32) -> (u32, bool) {
        let key = device.max(1);
        if (self.len + 1) * 8 > self.slots.len() * 7 {
            self.grow();
        }
        let Some(i) = self.probe(key) else { return (0, false) };
        let Some(slot) = self.slots.get_mut(i) else { return (0, false) };
        if slot[0] == 0 && slot[1] == 0 {
            *slot = [key as u32, (key >> 32) as u32, account];
            self.len += 1;
            return (1, true);
        }
        if slot[2] == account {
            return (self.shared.get(&key).copied().unwrap_or(1), false);
        }
        let pair = key ^ (u64::from(account) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let n = self.shared.entry(key).or_insert(1);
        if self.pairs.insert(pair) {
            *n = n.saturating_add(1);
            (*n, true)
        } else {
            (*n, false)
        }
    }

    /// Starts loading the slot `key` hashes to (see [`FeatureStore::prefetch_early`]).
    fn prefetch(&self, device: u64) {
        let key = device.max(1);
        let n = self.slots.len();
        let i = ((u128::from(key) * n as u128) >> 64) as usize;
        if let Some(s) = self.slots.get(i) {
            // 12 bytes may straddle two lines.
            prefetch_line(&s[0]);
            prefetch_line(&s[2]);
        }
    }

    /// The slot holding `key` or the empty one where it goes.
    fn probe(&self, key: u64) -> Option<usize> {
        let n = self.slots.len();
        let mut i = ((u128::from(key) * n as u128) >> 64) as usize;
        for _ in 0..n {
            let s = self.slots.get(i)?;
            if (s[0] == 0 && s[1] == 0) || (s[0] == key as u32 && s[1] == (key >> 32) as u32) {
                return Some(i);
            }
            i = if i + 1 == n { 0 } else { i + 1 };
        }
        None
    }

    /// Grows the table (as [`observe`](Self::observe) would) until `extra` more devices fit
    /// under its load limit. Filling a table with the slots of another in slot order puts
    /// keys in at increasing home positions: if the table grew on the way, the keys would
    /// pile up in the part already swept, faster than it has free slots, and each insertion
    /// would probe past all the ones before it (joining the lanes' tables after a
    /// 1M-account week took ~13 s that way).
    fn reserve(&mut self, extra: usize) {
        while (self.len + extra) * 8 > self.slots.len() * 7 {
            self.grow();
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() + self.slots.len() / 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![[0; 3]; size]);
        for s in old.into_iter().filter(|s| s[0] != 0 || s[1] != 0) {
            let key = slot_key(&s);
            if let Some(slot) = self.probe(key).and_then(|i| self.slots.get_mut(i)) {
                *slot = s;
            }
        }
    }

    fn bytes(&self) -> usize {
        self.slots.capacity() * 12
            + table_bytes(self.shared.capacity(), 8 + 4)
            + table_bytes(self.pairs.capacity(), 8)
    }
}

/// Starts loading the cache line holding `x` into every cache level, without waiting for
/// it. Safe Rust has no prefetch instruction; `safe_arch` wraps x86_64's (SSE, part of the
/// baseline). Elsewhere nothing is loaded ahead.
#[inline(always)]
pub(crate) fn prefetch_line<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    safe_arch::prefetch_t0(x);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// Allocation of a hashbrown table of `capacity` entries of `entry` bytes.
fn table_bytes(capacity: usize, entry: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = if capacity < 8 {
        (capacity + 1).next_power_of_two()
    } else {
        (capacity * 8 / 7).next_power_of_two()
    };
    buckets * (entry + 1) + 16
}

/// The account at local index `i`, growing the list to hold it.
fn account_slot(accounts: &mut Vec<Account>, i: usize) -> &mut Account {
    if i >= accounts.len() {
        accounts.resize(i + 1, Account::default());
    }
    let i = i.min(accounts.len() - 1);
    &mut accounts[i]
}

/// Per-account features for every platform account; see the module doc.
#[derive(Debug, Clone)]
pub struct FeatureStore {
    amounts: AmountRules,
    pass_hours: i64,
    clock: NightClock,
    accounts: Vec<Account>,
    large: Vec<LargeSet>,
    devices: Devices,
    moved: Vec<(u16, Rec)>,
    found: Vec<(usize, Found)>,
    /// The bucket pass's findings for the side being observed (scratch, kept here so
    /// that it is filled in place rather than returned and copied).
    scan: Scan,
    /// Which accounts this store holds: those whose index `i` has `i & shard_mask == shard`,
    /// at `i >> shard_bits` (see [`FeatureStore::split`]).
    shard: u32,
    shard_bits: u32,
}

/// What the store that holds the device table and some sides found of a payment, for the
/// store holding the other sides ([`FeatureStore::observe_part`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial {
    /// The features found so far: the amount class, night, the device count, and the sides
    /// held by the stores that saw the payment.
    pub observed: Observed,
    /// Whether (device, payer) was new: the payer's store adds one to its device count.
    pub new_pair: bool,
}

impl FeatureStore {
    /// A store for `accounts` accounts (it grows if a larger index comes).
    pub fn new(config: &FeatureConfig, accounts: usize) -> Self {
        FeatureStore {
            amounts: config.amounts,
            pass_hours: i64::from(config.pass_through_hours.clamp(1, 24)),
            clock: NightClock::new(config.time_zone.clone(), config.night_start_hour, config.night_end_hour),
            accounts: vec![Account::default(); accounts],
            large: Vec::new(),
            devices: Devices::default(),
            moved: Vec::new(),
            found: Vec::new(),
            scan: Scan::default(),
            shard: 0,
            shard_bits: 0,
        }
    }

    /// Splits the store in two by account (even indexes, odd indexes), moving the state: the
    /// first part keeps the device table. Each part observes the sides it holds
    /// ([`observe_part`](Self::observe_part)), so two threads can share the per-account work
    /// of one stream of payments; [`join`](Self::join) puts them back together. A part's
    /// state is exactly what the whole store would hold for its accounts: an account's
    /// windows and counterparties depend only on the payments it is a side of.
    pub fn split(self) -> [FeatureStore; 2] {
        let FeatureStore { amounts, pass_hours, clock, accounts, mut large, devices, shard_bits, .. } = self;
        debug_assert_eq!(shard_bits, 0, "a part is not split again");
        let part = |shard: u32, devices: Devices| FeatureStore {
            amounts,
            pass_hours,
            clock: clock.clone(),
            accounts: Vec::with_capacity(accounts.len().div_ceil(2)),
            large: Vec::new(),
            devices,
            moved: Vec::new(),
            found: Vec::new(),
            scan: Scan::default(),
            shard,
            shard_bits: 1,
        };
        let mut parts = [part(0, devices), part(1, Devices::default())];
        for (i, mut a) in accounts.into_iter().enumerate() {
            let Some(to) = parts.get_mut(i & 1) else { continue };
            if a.large {
                let set = large.get_mut(a.large_index()).map(|l| std::mem::replace(l, LargeSet::empty()));
                a.set_large_index(to.large.len());
                to.large.extend(set);
            }
            to.accounts.push(a);
        }
        parts
    }

    /// The whole store again from the two parts of [`split`](Self::split).
    pub fn join(parts: [FeatureStore; 2]) -> FeatureStore {
        let [even, odd] = parts;
        let mut whole = FeatureStore {
            accounts: Vec::with_capacity(even.accounts.len() + odd.accounts.len()),
            large: Vec::new(),
            shard: 0,
            shard_bits: 0,
            moved: Vec::new(),
            found: Vec::new(),
            scan: Scan::default(),
            amounts: even.amounts,
            pass_hours: even.pass_hours,
            clock: even.clock.clone(),
            devices: even.devices,
        };
        let (mut e, mut o) = (even.accounts.into_iter().peekable(), odd.accounts.into_iter().peekable());
        let (mut el, mut ol) = (even.large, odd.large);
        while e.peek().is_some() || o.peek().is_some() {
            // A part grows on its own for an index beyond the accounts it was made for.
            let (a, large) = if whole.accounts.len().is_multiple_of(2) {
                (e.next(), &mut el)
            } else {
                (o.next(), &mut ol)
            };
            let mut a = a.unwrap_or_default();
            if a.large {
                let set = large.get_mut(a.large_index()).map(|l| std::mem::replace(l, LargeSet::empty()));
                a.set_large_index(whole.large.len());
                whole.large.extend(set);
            }
            whole.accounts.push(a);
        }
        whole
    }

    /// Where this store keeps account `idx`, if it holds it.
    #[inline]
    fn local(&self, idx: u32) -> Option<usize> {
        (idx & ((1 << self.shard_bits) - 1) == self.shard).then_some((idx >> self.shard_bits) as usize)
    }

    /// The state of account `idx`, if held and seen.
    #[inline]
    fn get(&self, idx: u32) -> Option<&Account> {
        self.local(idx).and_then(|i| self.accounts.get(i))
    }

    /// Records one payment on its platform sides and returns their features including it.
    #[inline]
    pub fn observe(&mut self, p: &Payment) -> Observed {
        // `observe_part(p, None)` built in place: its result, moved out of a `Partial`,
        // copied both sides' features twice more.
        let amount = self.amounts.classify(p.amount_minor);
        let night = self.clock.is_night(p.ts);
        let (accounts_on_device, new_pair) = self.observe_device(p).unwrap_or((0, false));
        let mut observed = Observed { payer: None, payee: None, accounts_on_device, amount, night };
        self.record_device(p, new_pair);
        self.observe_sides(p, amount, night, &mut observed.payer, &mut observed.payee);
        observed
    }

    /// [`observe`](Self::observe) for the sides this store holds. `before` is what the
    /// store holding the device table (the first part of a [`split`](Self::split)) found
    /// of the same payment, `None` on that store itself; the result carries the sides of
    /// both. Each part must see every payment, in order.
    pub fn observe_part(&mut self, p: &Payment, before: Option<&Partial>) -> Partial {
        let (mut observed, new_pair) = match before {
            Some(b) => (b.observed, b.new_pair),
            None => {
                let amount = self.amounts.classify(p.amount_minor);
                let night = self.clock.is_night(p.ts);
                let mut accounts_on_device = 0;
                let mut new_pair = false;
                if let (Some(device), Some(payer)) = (p.device, p.payer.account) {
                    (accounts_on_device, new_pair) = self.devices.observe(device, payer);
                }
                (Observed { payer: None, payee: None, accounts_on_device, amount, night }, new_pair)
            }
        };
        // The sides held elsewhere keep what `before` found of them.
        let mut held = [observed.payer.take(), observed.payee.take()];
        self.observe_held(p, observed.amount, observed.night, new_pair, &mut held);
        [observed.payer, observed.payee] = held;
        Partial { observed, new_pair }
    }

    /// Starts loading the state `p` will touch, changing nothing: call it with the payment
    /// one ahead of the one about to be observed, and [`prefetch_early`](Self::prefetch_early)
    /// with the one two ahead, so that a payment's cache misses (account headers, then their
    /// storage) overlap with the work on the ones before it. It issues prefetch instructions
    /// for every cache line of the sides' storage, which nothing waits for; it reads the
    /// account headers, which `prefetch_early` should have brought in.
    pub fn prefetch(&self, p: &Payment) {
        for a in [p.payer.account, p.payee.account].into_iter().flatten().filter_map(|i| self.get(i)) {
            // One unit of every cache line: the records at the front, the counterparties at
            // the back (the last unit covers the line a stride may skip at the end). The
            // first four strides unconditionally (clamped to the last unit: a loop whose
            // length varies by account mispredicts its exit), which covers most accounts.
            // Not a large set's table: finding it takes reading the storage, a miss to wait
            // for.
            const LINE: usize = 64 / std::mem::size_of::<Unit>();
            let w = &a.words;
            if let Some(last) = w.len().checked_sub(1) {
                for k in 0..4 {
                    if let Some(u) = w.get((k * LINE).min(last)) {
                        prefetch_line(u);
                    }
                }
                if let Some(u) = w.get(last) {
                    prefetch_line(u);
                }
                for u in w.iter().skip(4 * LINE).step_by(LINE) {
                    prefetch_line(u);
                }
            }
        }
    }

    /// The first stage of [`prefetch`](Self::prefetch): the sides' account headers and the
    /// device's slot.
    pub fn prefetch_early(&self, p: &Payment) {
        for a in [p.payer.account, p.payee.account].into_iter().flatten().filter_map(|i| self.get(i)) {
            // One line: headers are aligned to their 32 bytes.
            prefetch_line(a);
        }
        if let Some(d) = p.device {
            self.devices.prefetch(d);
        }
    }

    /// The features of `account` at `now` (minute buckets as [`observe`](Self::observe)
    /// would see them), changing nothing. Exact for `now` from 10 minutes before the
    /// account's newest payment on, including any later `now`.
    pub fn features_at(&self, account: u32, now: Timestamp, created_at: Option<Timestamp>) -> PartyFeatures {
        let Some(a) = self.get(account) else { return PartyFeatures::default() };
        if a.newest_minute == NOTHING_SEEN {
            return PartyFeatures {
                age_micros: created_at.map(|c| now.as_micros() - c.as_micros()),
                ..PartyFeatures::default()
            };
        }
        let m = now.as_micros().div_euclid(MICROS_PER_MINUTE);
        let spans = Spans::new(m, self.pass_hours);
        let recs = a.words.get(..usize::from(a.rec_len)).unwrap_or_default();
        let scan = ledger::scan(recs, a.newest_minute, &spans, &Horizon::new(a.newest_minute), [NO_KEY; 2]);
        let mut f = features(&scan);
        let reader = CodeReader::new(a.newest_minute.div_euclid(MINUTES_PER_HOUR));
        let win =
            DistinctWindows { hour: m.div_euclid(MINUTES_PER_HOUR), day: m.div_euclid(MINUTES_PER_DAY) };
        let (distinct, retained) = if a.large {
            self.large.get(a.large_index()).map_or(([[0; 2]; 2], 0), |l| (l.distinct(&win), l.len()))
        } else {
            let words = a.words.get(a.words.len() - a.cp_words()..).unwrap_or_default();
            (counterparties::distinct(words, &reader, &win), usize::from(a.cp_len))
        };
        f.distinct_h24 = distinct[0];
        f.distinct_d7 = distinct[1];
        f.counterparties = u32::try_from(retained).unwrap_or(u32::MAX);
        f.devices = a.devices;
        f.age_micros = created_at.map(|c| now.as_micros() - c.as_micros());
        f
    }

    /// Bytes of state: every account's header and words, the large counterparty sets, the
    /// device tables (hash tables at their allocated size, without allocator overhead).
    pub fn bytes(&self) -> usize {
        self.accounts.iter().map(Account::bytes).sum::<usize>()
            + (self.accounts.capacity() - self.accounts.len()) * std::mem::size_of::<Account>()
            + self.large.iter().map(LargeSet::bytes).sum::<usize>()
            + self.devices.bytes()
    }

    /// [`bytes`](Self::bytes) in parts: account headers, account words, large counterparty
    /// sets, device tables.
    pub fn bytes_by_part(&self) -> [usize; 4] {
        [
            self.accounts.capacity() * std::mem::size_of::<Account>(),
            self.accounts.iter().map(|a| a.words.len() * std::mem::size_of::<Unit>()).sum(),
            self.large.iter().map(LargeSet::bytes).sum(),
            self.devices.bytes(),
        ]
    }

    /// Bytes of account `idx`'s storage holding records, counterparties, and free
    /// (diagnostics).
    pub fn bytes_by_use(&self, idx: u32) -> (usize, usize, usize) {
        let u = std::mem::size_of::<Unit>();
        self.get(idx).map_or((0, 0, 0), |a| (usize::from(a.rec_len) * u, a.cp_words() * u, a.free() * u))
    }

    /// Diagnostics: records held by size (small 6 bytes, narrow 8, wide 30), of them
    /// pass-through records; large counterparty sets, their entries and slots.
    pub fn census(&self) -> [usize; 7] {
        let mut k = [0; 7];
        for a in &self.accounts {
            let recs = a.words.get(..usize::from(a.rec_len)).unwrap_or_default();
            let mut at = 0;
            while let Some((key, _, n)) = recs.get(at..).and_then(ledger::decode) {
                k[match n {
                    3 => 0,
                    4 => 1,
                    _ => 2,
                }] += 1;
                k[3] += usize::from(ledger::stream_of(key) == Stream::Pass as usize);
                at += n;
            }
        }
        k[4] = self.large.len();
        k[5] = self.large.iter().map(LargeSet::len).sum();
        k[6] = self.large.iter().map(LargeSet::slots).sum();
        k
    }

    /// Number of heap allocations behind [`bytes`](Self::bytes) (for estimating the
    /// allocator's own overhead, which `bytes` leaves out).
    pub fn allocations(&self) -> usize {
        self.accounts.iter().filter(|a| !a.words.is_empty()).count() + self.large.len() + 4
    }

    /// Number of accounts the store has room for.
    pub fn accounts(&self) -> usize {
        self.accounts.len()
    }

    #[allow(clippy::too_many_arguments)]
    fn observe_side(
        &mut self,
        idx: usize,
        dir: Direction,
        ts: Timestamp,
        amount_minor: i64,
        class: AmountClass,
        night: bool,
        counterparty: u64,
        out: &mut PartyFeatures,
    ) {
        let pass_hours = self.pass_hours;
        let m = ts.as_micros().div_euclid(MICROS_PER_MINUTE);
        let a = account_slot(&mut self.accounts, idx);
        let old = a.newest_minute;
        let newest = old.max(m);
        let exact = m >= newest - GRACE_MINUTES;
        let horizon = Horizon::new(newest);
        let place = horizon.place(m, Tier::Minute);

        // Counterparties: age the codes, then is this one new, and how many distinct after it.
        let d = dir.index();
        let newest_hour = newest.div_euclid(MINUTES_PER_HOUR);
        if old != NOTHING_SEEN && newest > old {
            let old_reader = CodeReader::new(old.div_euclid(MINUTES_PER_HOUR));
            if a.large {
                if let Some(l) = self.large.get_mut(a.large_index()) {
                    l.advance(&old_reader, newest_hour);
                }
            } else if old.div_euclid(MINUTES_PER_DAY) != newest.div_euclid(MINUTES_PER_DAY) {
                a.small().forget_old(&old_reader, newest_hour);
            }
        }
        let pay_hour =
            Some(m.div_euclid(MINUTES_PER_HOUR)).filter(|&h| h >= newest_hour - counterparties::RECENT_HOURS);
        let reader = CodeReader::new(newest_hour);
        let win =
            DistinctWindows { hour: m.div_euclid(MINUTES_PER_HOUR), day: m.div_euclid(MINUTES_PER_DAY) };
        let fp = fingerprint(counterparty);
        let (seen, retained) = if a.large {
            match self.large.get_mut(a.large_index()) {
                Some(l) => (l.observe(fp, d, pay_hour, &reader, &win), l.len()),
                None => (Seen::default(), 0),
            }
        } else {
            let n = usize::from(a.cp_len);
            let (seen, append) = a.small().observe(fp, d, pay_hour, &reader, &win);
            if !append {
                (seen, n)
            } else if n < SMALL_MAX {
                a.reserve(2);
                a.small().push(Small::entry(fp, d, pay_hour));
                a.cp_len += 1;
                (seen, n + 1)
            } else {
                // Move to a large set holding the entries and this one.
                let small = a.small();
                let entries: Vec<u32> = (0..n).map(|k| small.get(k)).collect();
                let mut l = LargeSet::new(entries.into_iter(), newest_hour, &reader);
                l.observe(fp, d, pay_hour, &reader, &win);
                let len = l.len();
                let li = self.large.len();
                self.large.push(l);
                a.cp_len = 0;
                a.large = true;
                a.reserve(2);
                a.set_large_index(li);
                a.shrink();
                (seen, len)
            }
        };

        // Windows before this payment, read against the old newest minute (every record is
        // still named unambiguously by it), taking out the records below the new horizon in
        // the same pass; re-filing them keeps every exact window's totals.
        let spans = Spans::new(m, pass_hours);
        let stream = Stream::from(dir);
        let keys = place.map_or([NO_KEY; 2], |(tier, start)| {
            [make_key(stream, tier, start), make_key(Stream::Pass, tier, start)]
        });
        let decode_ref = if old == NOTHING_SEEN { newest } else { old };
        let batch = &mut self.moved;
        batch.clear();
        let mut recs = a.records();
        let scan = &mut self.scan;
        recs.scan_folding(decode_ref, &spans, &horizon, keys, batch, scan);
        a.rec_len = recs.len as u16;
        a.newest_minute = newest;
        // Pass-through, then this payment.
        let amount = u64::try_from(amount_minor).unwrap_or(0);
        let passed = if dir == Direction::Out && exact { scan.unspent().min(amount) } else { 0 };
        let adds = place.map(|(tier, start)| {
            let rec = Rec {
                count: 1,
                sum: amount,
                round: u32::from(class.round),
                pegged: u32::from(class.pegged),
                night: u32::from(night),
                new: u32::from(seen.new),
            };
            let pass = Rec { count: 1, sum: passed, ..Rec::default() };
            scan.add(&spans, stream as usize, tier, start, &rec);
            if passed > 0 {
                scan.add(&spans, Stream::Pass as usize, tier, start, &pass);
            }
            (rec, pass)
        });
        if scan.stale {
            // Re-file the stale records and add this payment, in one batch.
            if let Some((rec, pass)) = adds {
                batch.push((keys[0], rec));
                if passed > 0 {
                    batch.push((keys[1], pass));
                }
            }
            add_batch(a, batch, &mut self.found);
            a.shrink();
        } else if let Some((rec, pass)) = adds {
            let found = scan.found;
            let grew = add_record(a, keys[0], found[0], &rec);
            if passed > 0 {
                // A record that widened before the pass record shifted it.
                let mut f = found[1];
                if let (Some(first), Some(pf)) = (found[0], f.as_mut())
                    && pf.at > first.at
                {
                    pf.at += grew;
                }
                add_record(a, keys[1], f, &pass);
            }
        }

        write_features_of(scan, out);
        out.distinct_h24 = seen.distinct[0];
        out.distinct_d7 = seen.distinct[1];
        out.counterparties = u32::try_from(retained).unwrap_or(u32::MAX);
        out.devices = a.devices;
    }
}

/// A key no record has (keys are 10 bits).
const NO_KEY: u16 = u16::MAX;

/// Adds `rec` to the record of `key` at `found` (or a new one); returns by how many words
/// an existing record grew.
// Inlined with `Records::merged` and `Records::put` (as calls they cost ~200 instructions
// a payment in moving their arguments and results through memory).
#[inline(always)]
fn add_record(a: &mut Account, key: u16, found: Option<Found>, rec: &Rec) -> usize {
    // Decoded and merged once, for the room it needs and for writing it.
    let m = a.records().merged(found, rec);
    a.reserve(m.1);
    let before = a.rec_len;
    let mut recs = a.records();
    recs.put(key, found, m);
    let len = recs.len;
    a.rec_len = len as u16;
    if found.is_some() { usize::from(a.rec_len - before) } else { 0 }
}

/// Adds every `(key, record)` of `batch` to the account's records: equal keys merged, one
/// pass to find the existing records (each then merged into its batch entry), one
/// reservation, then the additions from the last record back (so a record that widens
/// shifts none still to be changed) and the appends.
fn add_batch(a: &mut Account, batch: &mut Vec<(u16, Rec)>, found: &mut Vec<(usize, Found)>) {
    // Merge equal keys. A batch is a few entries: a linear search mispredicts less than
    // sorting; merging saturates, so the order is free (and records are not sorted).
    let mut i = 1;
    while let Some(&(key, r)) = batch.get(i) {
        if let Some(kept) = batch.get_mut(..i).and_then(|b| b.iter_mut().find(|(k, _)| *k == key)) {
            kept.1.merge(&r);
            batch.swap_remove(i);
        } else {
            i += 1;
        }
    }
    // `found`: (position in `batch`, its record), for the keys that exist.
    found.clear();
    // Keys are 10 bits: a bit set of the batch's keys answers "is this record's key in the
    // batch?" with a branch that is nearly always "no".
    let mut in_batch = [0u64; 16];
    for &(k, _) in batch.iter() {
        if let Some(w) = in_batch.get_mut(usize::from(k >> 6)) {
            *w |= 1 << (k & 63);
        }
    }
    let recs = a.records();
    let mut at = 0;
    while let Some(&first) = recs.words.get(at).filter(|_| at < recs.len) {
        let (key, n) = ledger::key_and_units(first);
        if in_batch.get(usize::from(key >> 6)).is_some_and(|w| w >> (key & 63) & 1 != 0)
            && let Some(i) = batch.iter().position(|&(k, _)| k == key)
        {
            found.push((i, Found { at, words: n }));
        }
        at += n;
    }
    let mut extra = 0;
    for &(i, f) in found.iter() {
        if let Some((_, r)) = batch.get_mut(i) {
            let (merged, grow, _) = recs.merged(Some(f), r);
            *r = merged;
            extra += grow;
        }
    }
    let is_found = |found: &[(usize, Found)], i: usize| found.iter().any(|&(j, _)| j == i);
    extra += batch
        .iter()
        .enumerate()
        .filter(|&(i, _)| !is_found(found, i))
        .map(|(_, (_, r))| r.units())
        .sum::<usize>();
    a.reserve(extra);
    found.sort_unstable_by_key(|&(_, f)| std::cmp::Reverse(f.at));
    for &(i, f) in found.iter() {
        if let Some(&(key, r)) = batch.get(i) {
            let n = r.units();
            let mut recs = a.records();
            recs.put(key, Some(f), (r, n.saturating_sub(f.words), n));
            a.rec_len = recs.len as u16;
        }
    }
    for (i, &(key, r)) in batch.iter().enumerate() {
        if !is_found(found, i) {
            let n = r.units();
            let mut recs = a.records();
            recs.put(key, None, (r, n, n));
            a.rec_len = recs.len as u16;
        }
    }
}

/// Two lanes: stores that share one stream's work by account *and* by device, so that both
/// threads of [`crate::decide::lanes`] have a half of every kind of stateful work.
impl FeatureStore {
    /// [`split`](Self::split), with the device table split as well, by
    /// [`device_lane`](Self::device_lane).
    pub fn split_lanes(self) -> [FeatureStore; 2] {
        let [mut even, mut odd] = self.split();
        let [a, b] = std::mem::take(&mut even.devices).split();
        (even.devices, odd.devices) = (a, b);
        [even, odd]
    }

    /// The whole store again from the parts of [`split_lanes`](Self::split_lanes).
    pub fn join_lanes(parts: [FeatureStore; 2]) -> FeatureStore {
        let [mut even, mut odd] = parts;
        even.devices = Devices::join(std::mem::take(&mut even.devices), std::mem::take(&mut odd.devices));
        FeatureStore::join([even, odd])
    }

    /// The part of [`split_lanes`](Self::split_lanes) whose table holds `device`.
    #[inline]
    pub fn device_lane(device: u64) -> usize {
        usize::from(device.max(1) & 1 == 1)
    }

    /// The stateless facts of a payment: its amount class and whether it was made at night.
    pub fn classify(&mut self, p: &Payment) -> (AmountClass, bool) {
        (self.amount_class(p.amount_minor), self.clock.is_night(p.ts))
    }

    /// The amount class of `amount_minor` ([`classify`](Self::classify) without the clock).
    pub fn amount_class(&self, amount_minor: i64) -> AmountClass {
        self.amounts.classify(amount_minor)
    }

    /// One more device for account `payer` (held here): what [`observe_held`](Self::observe_held)
    /// records when told that (device, payer) was new, for a caller that learns it later.
    #[inline]
    pub fn add_device(&mut self, payer: u32) {
        if let Some(i) = self.local(payer) {
            let a = account_slot(&mut self.accounts, i);
            a.devices = a.devices.saturating_add(1);
        }
    }

    /// The device table's part of [`observe`](Self::observe) for a payment whose device this
    /// store's table holds: the distinct payer accounts on the device, and whether (device,
    /// payer) is new. `None` without a device or a platform payer.
    pub fn observe_device(&mut self, p: &Payment) -> Option<(u32, bool)> {
        match (p.device, p.payer.account) {
            (Some(device), Some(payer)) => Some(self.devices.observe(device, payer)),
            _ => None,
        }
    }

    /// The sides of `p` this store holds, recorded, with their features written into `out`
    /// (`[payer, payee]`; the slots of sides held elsewhere or outside are left as they
    /// are): the state half of [`observe_part`](Self::observe_part), given the device
    /// table's findings as the amount class, night and whether (device, payer) was new.
    pub fn observe_held(
        &mut self,
        p: &Payment,
        amount: AmountClass,
        night: bool,
        new_pair: bool,
        out: &mut [Option<PartyFeatures>; 2],
    ) {
        self.record_device(p, new_pair);
        let [payer, payee] = out;
        self.observe_sides(p, amount, night, payer, payee);
    }

    /// One more device for the payer when (device, payer) was new.
    #[inline(always)]
    fn record_device(&mut self, p: &Payment, new_pair: bool) {
        if new_pair && let Some(payer) = p.payer.account {
            self.add_device(payer);
        }
    }

    /// The sides of [`observe_held`](Self::observe_held), each written into its slot in
    /// place (a `PartyFeatures` is about 240 bytes: built elsewhere and moved, it cost a
    /// copy or two per side).
    #[inline(always)]
    fn observe_sides(
        &mut self,
        p: &Payment,
        amount: AmountClass,
        night: bool,
        payer: &mut Option<PartyFeatures>,
        payee: &mut Option<PartyFeatures>,
    ) {
        let sides = [(&p.payer, &p.payee, Direction::Out, payer), (&p.payee, &p.payer, Direction::In, payee)];
        for (me, other, dir, slot) in sides {
            let Some(i) = me.account.and_then(|idx| self.local(idx)) else { continue };
            let f = slot.insert(PartyFeatures::default());
            self.observe_side(i, dir, p.ts, p.amount_minor, amount, night, other.key, f);
            f.age_micros = me.created_at.map(|c| p.ts.as_micros() - c.as_micros());
        }
    }

    /// Whether this store holds account `idx` (a part of a split holds half of them).
    #[inline]
    pub fn holds(&self, idx: u32) -> bool {
        self.local(idx).is_some()
    }

    /// Starts loading the header of account `idx` if this store holds it: the first stage
    /// of [`prefetch_early`](Self::prefetch_early), for a caller that knows the accounts of
    /// its next payments well before it observes them.
    #[inline]
    pub fn prefetch_header(&self, idx: u32) {
        if let Some(a) = self.get(idx) {
            prefetch_line(a);
        }
    }

    /// Starts loading the device table's slot for `device` (the second half of
    /// [`prefetch_early`](Self::prefetch_early)), for a caller whose table holds the device
    /// but who may hold neither side of its payment.
    #[inline]
    pub fn prefetch_device(&self, device: u64) {
        self.devices.prefetch(device);
    }

    /// [`observe_device`](Self::observe_device) of `payer` on the device of key `device`.
    pub fn observe_device_of(&mut self, device: u64, payer: u32) -> (u32, bool) {
        self.devices.observe(device, payer)
    }
}

impl Devices {
    /// Puts a slot taken from another table in.
    fn put(&mut self, s: [u32; 3]) {
        if (self.len + 1) * 8 > self.slots.len() * 7 {
            self.grow();
        }
        let key = slot_key(&s);
        if let Some(slot) = self.probe(key).and_then(|i| self.slots.get_mut(i)) {
            if slot[0] == 0 && slot[1] == 0 {
                self.len += 1;
            }
            *slot = s;
        }
    }

    /// The table in two by [`FeatureStore::device_lane`]. The (device, account) pairs are
    /// hashes that do not name their device, so both parts keep them all: a part is only
    /// asked about its own devices, and [`join`](Self::join) takes the union.
    fn split(self) -> [Devices; 2] {
        let mut parts = [Devices::default(), Devices::default()];
        let mut per_lane = [0, 0];
        for s in self.slots.iter().filter(|s| s[0] != 0 || s[1] != 0) {
            let key = slot_key(s);
            if let Some(n) = per_lane.get_mut(FeatureStore::device_lane(key)) {
                *n += 1;
            }
        }
        for (p, n) in parts.iter_mut().zip(per_lane) {
            p.reserve(n);
        }
        for s in self.slots.into_iter().filter(|s| s[0] != 0 || s[1] != 0) {
            let key = slot_key(&s);
            if let Some(p) = parts.get_mut(FeatureStore::device_lane(key)) {
                p.put(s);
            }
        }
        for (key, n) in self.shared {
            if let Some(p) = parts.get_mut(FeatureStore::device_lane(key)) {
                p.shared.insert(key, n);
            }
        }
        for p in &mut parts {
            p.pairs.clone_from(&self.pairs);
        }
        parts
    }

    /// One table from the parts of [`split`](Self::split).
    fn join(a: Devices, b: Devices) -> Devices {
        let mut whole = a;
        whole.reserve(b.len);
        for s in b.slots.into_iter().filter(|s| s[0] != 0 || s[1] != 0) {
            whole.put(s);
        }
        whole.shared.extend(b.shared);
        whole.pairs.extend(b.pairs);
        whole
    }
}

#[cfg(test)]
mod tests;
