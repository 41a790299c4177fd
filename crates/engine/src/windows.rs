//! Per-account sliding windows: how many payments, and how much money, went into and out of
//! one account over the last hour, day and week, kept up to date as each payment arrives, so
//! that a rule can ask "more than 30 transfers in, 1 h" or "¥50,000 out, 7 d" without looking
//! at history.
//!
//! # What a window is
//!
//! Time is cut into UTC buckets: minutes, hours and days (UTC days, midnight to midnight in
//! UTC; windows in local time are a later feature). Let `idx_g(t)` be the number of the bucket
//! of granularity `g` holding instant `t` (`floor(t / g)`). The three windows at an instant
//! `now` are
//!
//! | window | buckets counted                                   | past time covered |
//! |--------|---------------------------------------------------|-------------------|
//! | `h1`   | minutes `m` with `idx_min(now) - 60 < m <= idx_min(now)` | 59–60 min + now's minute |
//! | `h24`  | hours `h` with `idx_hour(now) - 24 < h <= idx_hour(now)` | 23–24 h + now's hour |
//! | `d7`   | days `d` with `idx_day(now) - 7 < d <= idx_day(now)`    | 6–7 d + now's day |
//!
//! A payment counts in a window when its own bucket is one of those: the current partial
//! bucket plus the previous full ones. This is what "exact at bucket granularity" means: a
//! payment made at 11:00:59 is out of the 1 h window at 12:00:00 (its minute, 11:00, is the
//! 61st), one made at 11:01:00 is in; a payment later than `now` but in the same bucket counts
//! (it only happens when `now` is a late payment's own `ts`), one in a later bucket does not.
//!
//! # Lateness and exactness
//!
//! The engine reads no clock: `now` is always a payment's `ts`, and the state keeps `newest`,
//! the latest `ts` recorded (or passed to [`AccountWindows::advance`]). [`AccountWindows::totals`]
//! is exact — equal to counting every payment ever recorded by the rule above — for every
//! `now` not before [`AccountWindows::exact_from`], which is the start of `newest`'s minute
//! minus the 10-minute lateness tolerance of the contract ([`LATE_TOLERANCE_MICROS`]). So a
//! payment up to 10 minutes behind the newest one sees exact windows at its own `ts`, and every
//! payment, however late, is counted exactly in every window that such a `now` can reach (a
//! payment 3 hours late still counts in `h24` and `d7`; one older than any reachable 7-day
//! window counts nowhere and is dropped). For an earlier `now` the answer is approximate:
//! buckets it would need may have been merged or dropped.
//!
//! # Storage: one sparse, rolled-up list per account
//!
//! Each account holds one `Vec` of non-empty buckets, each 16 bytes: a `u32` key (tier in the
//! top 2 bits, direction in the next, the bucket's start in minutes modulo 2²⁹ in the rest), a
//! `u32` count and a `u64` sum of minor units. A payment is stored **once**, in the finest
//! tier that can still be asked for:
//!
//! - in its minute bucket while the minute can be in the `h1` window of an exact `now`;
//! - then, as `newest` advances, the minute bucket is folded into its hour bucket, which
//!   is kept while the hour can be in an exact `h24` window;
//! - then the hour bucket is folded into its day bucket, kept while the day can be in an
//!   exact `d7` window, and then dropped.
//!
//! `h24` sums the hour buckets and the minute buckets of its hours, `d7` all three tiers.
//! Concretely, with `t = idx_min(newest) - 10` (the minute of the earliest exact `now`), a
//! minute bucket stays while `m > t - 60`, an hour bucket while `h > idx_hour(t) - 24`, a day
//! bucket while `d > idx_day(t) - 7`.
//!
//! Why this rather than updating a minute, an hour and a day bucket for every payment: each
//! payment is added in one place, and an account holds about one bucket per active day of the
//! last week, per active hour of the last day and per active minute of the last hour — on a
//! simulated week, 11.1 buckets per account at the end versus 13.9 for three parallel tiers.
//! Why one direction per bucket rather than both: a bucket with both would take 24 bytes, and
//! most buckets only see one direction (9.1 two-way buckets of 24 bytes against 11.1 one-way
//! buckets of 16). The list is bounded whatever the traffic: at most 2 × (70 + 35 + 8)
//! buckets. It is kept sorted by key, so a payment finds its bucket by binary search; the
//! fold runs only when `newest` enters a new minute.
//!
//! The start is kept modulo 2²⁹ minutes (about 1,000 years) and read back relative to
//! `newest`, which every held bucket starts at most 8 days before.
//!
//! Caps: a bucket's count saturates at `u32::MAX` payments and every sum at `u64::MAX` minor
//! units (1.8 × 10¹⁹, i.e. 1.8 × 10¹⁷ yuan); neither is reachable by a real account, and
//! below them everything is exact. Amounts are summed as given: one account's payments are
//! expected in one currency (the caller converts if not). An idle account keeps its buckets
//! until its next payment; a sweep may call [`AccountWindows::advance`] with the stream's
//! watermark to free them.

use sluice_core::Timestamp;
use sluice_core::admission::LATE_TOLERANCE_MICROS;
use sluice_core::time::MICROS_PER_MINUTE;

/// Minute buckets in the 1-hour window.
pub const H1_MINUTES: i64 = 60;
/// Hour buckets in the 24-hour window.
pub const H24_HOURS: i64 = 24;
/// Day buckets in the 7-day window.
pub const D7_DAYS: i64 = 7;
/// How far behind `newest`, in whole minutes, a `now` may be and still get exact totals.
pub const GRACE_MINUTES: i64 = LATE_TOLERANCE_MICROS / MICROS_PER_MINUTE;

// Exactness relies on the grace being whole minutes: the horizon is computed from minutes.
const _: () = assert!(LATE_TOLERANCE_MICROS % MICROS_PER_MINUTE == 0);

const MINUTES_PER_HOUR: i64 = 60;
const MINUTES_PER_DAY: i64 = 24 * MINUTES_PER_HOUR;

/// Which way money moved, seen from the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The account was paid (payee).
    In,
    /// The account paid (payer).
    Out,
}

impl Direction {
    /// Both directions, in the order of [`Totals`]' arrays.
    pub const ALL: [Direction; 2] = [Direction::In, Direction::Out];

    /// Position in [`Totals`]' arrays: `In` 0, `Out` 1.
    pub fn index(self) -> usize {
        match self {
            Direction::In => 0,
            Direction::Out => 1,
        }
    }
}

/// Count and sum of the payments in one window and direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Number of payments.
    pub count: u64,
    /// Their total, in minor units (saturating at `u64::MAX`).
    pub sum_minor: u64,
}

/// The three windows of an account at one instant, each as `[in, out]`
/// (index with [`Direction::index`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// The last hour, in minute buckets.
    pub h1: [Window; 2],
    /// The last 24 hours, in hour buckets.
    pub h24: [Window; 2],
    /// The last 7 days, in UTC-day buckets.
    pub d7: [Window; 2],
}

/// Granularity of a bucket. The discriminant is stored in the key's top 2 bits, and a
/// coarser tier compares greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    Minute = 0,
    Hour = 1,
    Day = 2,
}

const START_BITS: u32 = 29;
const START_MASK: u32 = (1 << START_BITS) - 1;
const OUT_BIT: u32 = 1 << START_BITS;
const TIER_SHIFT: u32 = START_BITS + 1;

/// One non-empty bucket: 16 bytes. See the module doc for the key layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    key: u32,
    count: u32,
    sum: u64,
}

fn make_key(tier: Tier, dir: Direction, start_minute: i64) -> u32 {
    let dir_bit = match dir {
        Direction::In => 0,
        Direction::Out => OUT_BIT,
    };
    // Truncation is the point: the start is kept modulo 2^29 (see `start_of`).
    ((tier as u32) << TIER_SHIFT) | dir_bit | (start_minute as u32 & START_MASK)
}

fn tier_of(key: u32) -> Tier {
    match key >> TIER_SHIFT {
        0 => Tier::Minute,
        1 => Tier::Hour,
        // Only 0, 1 and 2 are ever written.
        _ => Tier::Day,
    }
}

fn dir_of(key: u32) -> Direction {
    if key & OUT_BIT == 0 { Direction::In } else { Direction::Out }
}

/// The absolute start minute of a bucket, given the minute of `newest`: every held bucket
/// starts at most a few days before it, far less than the 2^29 minutes the key can tell apart.
fn start_of(key: u32, newest_minute: i64) -> i64 {
    let back = (newest_minute as u32).wrapping_sub(key) & START_MASK;
    newest_minute - i64::from(back)
}

fn minute_of(ts: Timestamp) -> i64 {
    ts.as_micros().div_euclid(MICROS_PER_MINUTE)
}

/// The oldest bucket of each tier that a window at an exact `now` can still reach, for one
/// value of `newest`.
#[derive(Debug, Clone, Copy)]
struct Horizon {
    minute: i64,
    hour: i64,
    day: i64,
}

impl Horizon {
    fn new(newest_minute: i64) -> Self {
        // The minute of the earliest exact `now`; any later `now` reaches less far back.
        let t = newest_minute - GRACE_MINUTES;
        Horizon {
            minute: t - (H1_MINUTES - 1),
            hour: t.div_euclid(MINUTES_PER_HOUR) - (H24_HOURS - 1),
            day: t.div_euclid(MINUTES_PER_DAY) - (D7_DAYS - 1),
        }
    }

    /// The start minute of the oldest bucket of `tier` still reachable.
    fn first_start(&self, tier: Tier) -> i64 {
        match tier {
            Tier::Minute => self.minute,
            Tier::Hour => self.hour * MINUTES_PER_HOUR,
            Tier::Day => self.day * MINUTES_PER_DAY,
        }
    }

    /// Where payments of minute `m` belong now: the finest tier, no finer than `at_least`,
    /// whose bucket for `m` some exact window can still reach, and that bucket's start
    /// minute; `None` if no exact window can reach them any more.
    fn place(&self, m: i64, at_least: Tier) -> Option<(Tier, i64)> {
        if at_least == Tier::Minute && m >= self.minute {
            return Some((Tier::Minute, m));
        }
        let hour = m.div_euclid(MINUTES_PER_HOUR);
        if at_least <= Tier::Hour && hour >= self.hour {
            return Some((Tier::Hour, hour * MINUTES_PER_HOUR));
        }
        let day = m.div_euclid(MINUTES_PER_DAY);
        (day >= self.day).then_some((Tier::Day, day * MINUTES_PER_DAY))
    }
}

/// `newest` of an account that has seen nothing (below every `Timestamp`).
const NOTHING_SEEN: i64 = i64::MIN;

/// The sliding windows of one account. 32 bytes plus 16 per non-empty bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountWindows {
    /// Sorted by key; no two with the same key.
    buckets: Vec<Bucket>,
    /// Microseconds of the latest `ts` recorded or advanced to, or `NOTHING_SEEN`.
    newest: i64,
}

impl Default for AccountWindows {
    fn default() -> Self {
        AccountWindows { buckets: Vec::new(), newest: NOTHING_SEEN }
    }
}

impl AccountWindows {
    /// An account with no payments.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one payment of `amount_minor` (minor units; a `Money` is always positive, and a
    /// non-positive amount counts as a payment of 0) at `ts`, in direction `dir`. A payment
    /// older than any exact window can reach (see the module doc) is dropped; a late one
    /// never moves `newest` back.
    pub fn record(&mut self, ts: Timestamp, amount_minor: i64, dir: Direction) {
        self.advance(ts);
        let newest_minute = minute_of_micros(self.newest);
        let Some((tier, start)) = Horizon::new(newest_minute).place(minute_of(ts), Tier::Minute) else {
            return;
        };
        let sum = u64::try_from(amount_minor).unwrap_or(0);
        self.add(Bucket { key: make_key(tier, dir, start), count: 1, sum });
    }

    /// Counts and sums of the three windows at `now` (normally the `ts` of the payment being
    /// decided). Exact for `now` at or after [`exact_from`](Self::exact_from), including any
    /// later `now`; approximate before it.
    pub fn totals(&self, now: Timestamp) -> Totals {
        if self.newest == NOTHING_SEEN {
            return Totals::default();
        }
        let newest_minute = minute_of_micros(self.newest);
        // Each window as the range of start minutes of the buckets it counts: a bucket's
        // start lies in the same hour and day as every payment it holds, so "its hour is one
        // of the 24" is "its start is in these 24 hours' minutes" — no division per bucket.
        let now_minute = minute_of(now);
        let span = |g: i64, len: i64| {
            let first = (now_minute.div_euclid(g) - (len - 1)) * g;
            first..=now_minute.div_euclid(g) * g + (g - 1)
        };
        let h1 = span(1, H1_MINUTES);
        let h24 = span(MINUTES_PER_HOUR, H24_HOURS);
        let d7 = span(MINUTES_PER_DAY, D7_DAYS);
        // [window][direction] = (count, sum). Wide enough that no addition can overflow
        // (fewer than 2^32 buckets of at most 2^32 payments and 2^64 minor units each), so the
        // loop has no saturation to check; the result saturates once, below.
        let mut acc = [[(0u64, 0u128); 2]; 3];
        for b in &self.buckets {
            let tier = tier_of(b.key);
            let d = dir_of(b.key).index();
            let start = start_of(b.key, newest_minute);
            let (count, sum) = (u64::from(b.count), u128::from(b.sum));
            // A bucket of a coarser tier holds only payments no exact `now` can see in the
            // finer window, so it is counted in the windows of its own tier and coarser.
            let within = [
                tier == Tier::Minute && h1.contains(&start),
                tier <= Tier::Hour && h24.contains(&start),
                d7.contains(&start),
            ];
            for (w, inside) in acc.iter_mut().zip(within) {
                if let (true, Some(slot)) = (inside, w.get_mut(d)) {
                    slot.0 += count;
                    slot.1 += sum;
                }
            }
        }
        let window =
            |(count, sum): (u64, u128)| Window { count, sum_minor: u64::try_from(sum).unwrap_or(u64::MAX) };
        let [h1, h24, d7] = acc.map(|w| w.map(window));
        Totals { h1, h24, d7 }
    }

    /// Moves `newest` forward to `now` if it is later, folding and dropping the buckets that
    /// no exact window can reach any more. [`record`](Self::record) does this itself; call
    /// it directly to free an idle account's memory up to a stream watermark (after which
    /// `totals` is exact only from the new [`exact_from`](Self::exact_from)).
    pub fn advance(&mut self, now: Timestamp) {
        let now_us = now.as_micros();
        if now_us <= self.newest {
            return;
        }
        let old = self.newest;
        self.newest = now_us;
        let new_minute = minute_of_micros(now_us);
        // The horizon moves only when `newest` enters a new minute.
        if old != NOTHING_SEEN && minute_of_micros(old) != new_minute {
            self.fold(minute_of_micros(old), new_minute);
        }
    }

    /// The latest `ts` recorded or advanced to.
    pub fn newest(&self) -> Option<Timestamp> {
        if self.newest == NOTHING_SEEN { None } else { Timestamp::from_micros(self.newest) }
    }

    /// The earliest `now` for which [`totals`](Self::totals) is exact: the start of the
    /// minute of [`newest`](Self::newest), less the 10-minute lateness tolerance. `None`
    /// before the first payment (when every answer is exactly zero).
    pub fn exact_from(&self) -> Option<Timestamp> {
        if self.newest == NOTHING_SEEN {
            return None;
        }
        let us = (minute_of_micros(self.newest) - GRACE_MINUTES) * MICROS_PER_MINUTE;
        Some(Timestamp::from_micros(us).unwrap_or(Timestamp::MIN))
    }

    /// Number of non-empty buckets held.
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    /// Bytes allocated on the heap for this account (the bucket list's capacity, without the
    /// allocator's own overhead); add `size_of::<AccountWindows>()` for the whole.
    pub fn heap_bytes(&self) -> usize {
        self.buckets.capacity() * std::mem::size_of::<Bucket>()
    }

    /// Adds `b` to the bucket with its key, or inserts it in key order.
    fn add(&mut self, b: Bucket) {
        match self.buckets.binary_search_by_key(&b.key, |x| x.key) {
            Ok(i) => {
                if let Some(x) = self.buckets.get_mut(i) {
                    merge(x, &b);
                }
            }
            Err(i) => {
                if self.buckets.len() == self.buckets.capacity() {
                    // Grow by a quarter rather than doubling: a typical account holds about
                    // a dozen buckets, and doubling would leave a third of its memory unused.
                    self.buckets.reserve_exact((self.buckets.len() / 4).max(2));
                }
                self.buckets.insert(i, b);
            }
        }
    }

    /// Re-files every bucket for the horizon of `new_minute` (`newest` having been in
    /// `old_minute`): minute buckets out of reach of `h1` go to their hour, hour buckets out
    /// of reach of `h24` to their day, day buckets out of reach of `d7` away.
    fn fold(&mut self, old_minute: i64, new_minute: i64) {
        let horizon = Horizon::new(new_minute);
        // Most new minutes move nothing: look before rewriting the list. Read the starts
        // against the old `newest`: a jump of centuries would make them ambiguous against the
        // new one.
        if self.buckets.iter().all(|b| start_of(b.key, old_minute) >= horizon.first_start(tier_of(b.key))) {
            return;
        }
        // Walk from the end: a stale bucket only ever moves to a coarser tier, whose keys
        // sort after its own (the tier is the key's top bits), so re-adding it never shifts
        // the buckets not yet visited. Usually one or two buckets move; a sort would cost
        // more than these few shifts.
        let mut i = self.buckets.len();
        while i > 0 {
            i -= 1;
            let Some(&b) = self.buckets.get(i) else { break };
            let tier = tier_of(b.key);
            let start = start_of(b.key, old_minute);
            if start >= horizon.first_start(tier) {
                continue;
            }
            self.buckets.remove(i);
            if let Some((to, to_start)) = horizon.place(start, tier) {
                self.add(Bucket { key: make_key(to, dir_of(b.key), to_start), ..b });
            }
        }
        // Give memory back once much of the list has been folded or dropped, keeping a
        // little room for the payments still to come.
        let len = self.buckets.len();
        if self.buckets.capacity() > len + 4 + len / 2 {
            self.buckets.shrink_to(len + 2);
        }
    }
}

fn minute_of_micros(us: i64) -> i64 {
    us.div_euclid(MICROS_PER_MINUTE)
}

fn merge(into: &mut Bucket, from: &Bucket) {
    into.count = into.count.saturating_add(from.count);
    into.sum = into.sum.saturating_add(from.sum);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sluice_core::time::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_SEC};

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn w(count: u64, sum_minor: u64) -> Window {
        Window { count, sum_minor }
    }

    const IN: usize = 0;
    const OUT: usize = 1;

    #[test]
    fn bucket_is_16_bytes_and_state_32() {
        assert_eq!(std::mem::size_of::<Bucket>(), 16);
        assert_eq!(std::mem::size_of::<AccountWindows>(), 32);
    }

    #[test]
    fn empty_account_has_zero_totals() {
        let a = AccountWindows::new();
        assert_eq!(a.totals(ts("2026-03-02T12:00:00Z")), Totals::default());
        assert_eq!(a.newest(), None);
        assert_eq!(a.exact_from(), None);
        assert_eq!(a.heap_bytes(), 0);
    }

    #[test]
    fn one_hour_window_edges_are_minute_buckets() {
        let mut a = AccountWindows::new();
        a.record(ts("2026-03-02T11:00:00Z"), 1, Direction::Out);
        a.record(ts("2026-03-02T11:00:59.999999Z"), 10, Direction::Out);
        a.record(ts("2026-03-02T11:01:00Z"), 100, Direction::Out);
        a.record(ts("2026-03-02T12:00:00Z"), 1000, Direction::Out);
        let t = a.totals(ts("2026-03-02T12:00:00Z"));
        // Minute 11:00 is the 61st minute bucket back at 12:00: out, whole.
        assert_eq!(t.h1[OUT], w(2, 1100));
        assert_eq!(t.h1[IN], w(0, 0));
        assert_eq!(t.h24[OUT], w(4, 1111));
        // At 12:00:59.999999 nothing changes: same minute bucket.
        assert_eq!(a.totals(ts("2026-03-02T12:00:59.999999Z")).h1[OUT], w(2, 1100));
        // At 11:59:59.999999 minute 11:00 is the 60th bucket back: in; the payment at
        // 12:00 is in a later bucket: out.
        assert_eq!(a.totals(ts("2026-03-02T11:59:59.999999Z")).h1[OUT], w(3, 111));
        // A payment later than `now` but in now's minute counts (here `now` is a late
        // payment's own `ts`).
        let mut b = AccountWindows::new();
        b.record(ts("2026-03-02T11:00:59Z"), 10, Direction::Out);
        b.record(ts("2026-03-02T11:00:00Z"), 1, Direction::Out);
        assert_eq!(b.totals(ts("2026-03-02T11:00:00Z")).h1[OUT], w(2, 11));
    }

    #[test]
    fn twenty_four_hour_window_edges_are_hour_buckets() {
        let mut a = AccountWindows::new();
        a.record(ts("2026-03-01T11:59:59.999999Z"), 1, Direction::In);
        a.record(ts("2026-03-01T12:00:00Z"), 10, Direction::In);
        a.record(ts("2026-03-02T11:30:00Z"), 100, Direction::In);
        let now = ts("2026-03-02T11:30:00Z");
        let t = a.totals(now);
        // Hour 11:00 of yesterday is the 25th hour bucket back: out; 12:00 the 24th: in.
        assert_eq!(t.h24[IN], w(2, 110));
        assert_eq!(t.h1[IN], w(1, 100));
        assert_eq!(t.d7[IN], w(3, 111));
        assert_eq!(a.totals(ts("2026-03-02T12:00:00Z")).h24[IN], w(1, 100));
    }

    #[test]
    fn seven_day_window_edges_are_utc_days() {
        let mut a = AccountWindows::new();
        a.record(ts("2026-02-23T23:59:59.999999Z"), 1, Direction::In);
        a.record(ts("2026-02-24T00:00:00Z"), 10, Direction::In);
        a.record(ts("2026-03-02T23:59:00Z"), 100, Direction::In);
        // Local midnight in China is 16:00 UTC: days here are UTC days.
        a.record(ts("2026-03-02T23:59:00+08:00"), 1000, Direction::In);
        let t = a.totals(ts("2026-03-02T23:59:59Z"));
        assert_eq!(t.d7[IN], w(3, 1110));
        let t = a.totals(ts("2026-03-03T00:00:00Z"));
        assert_eq!(t.d7[IN], w(2, 1100));
        assert_eq!(t.h24[IN], w(2, 1100));
    }

    #[test]
    fn directions_are_kept_apart() {
        let mut a = AccountWindows::new();
        let now = ts("2026-03-02T08:00:00Z");
        a.record(now, 500, Direction::In);
        a.record(now, 7, Direction::Out);
        a.record(now, 5, Direction::In);
        let t = a.totals(now);
        for win in [t.h1, t.h24, t.d7] {
            assert_eq!(win[Direction::In.index()], w(2, 505));
            assert_eq!(win[Direction::Out.index()], w(1, 7));
        }
        assert_eq!(a.bucket_count(), 2);
    }

    #[test]
    fn minutes_fold_into_hours_then_days_then_go() {
        let mut a = AccountWindows::new();
        let start = ts("2026-03-02T00:00:00Z");
        for k in 0..5 {
            a.record(start.saturating_add_micros(k * MICROS_PER_MINUTE), 1, Direction::Out);
        }
        assert_eq!(a.bucket_count(), 5);
        // 70 minutes on, the earliest exact `now` is 01:00, whose `h1` starts at 00:01:
        // minute 00:00 is folded into hour 00:00, the other four stay.
        let later = start.saturating_add_micros(70 * MICROS_PER_MINUTE);
        a.advance(later);
        assert_eq!(a.bucket_count(), 5);
        let exact = a.exact_from().unwrap();
        assert_eq!(exact, start.saturating_add_micros(60 * MICROS_PER_MINUTE));
        assert_eq!(a.totals(exact).h1[OUT], w(4, 4));
        assert_eq!(a.totals(exact).h24[OUT], w(5, 5));
        // All five minutes folded into the hour 00:00.
        a.advance(start.saturating_add_micros(75 * MICROS_PER_MINUTE));
        assert_eq!(a.bucket_count(), 1);
        assert_eq!(a.totals(later).h24[OUT], w(5, 5));
        assert_eq!(a.totals(later).h1[OUT], w(0, 0));
        // A day and 11 minutes on, the hour is folded into its day.
        a.advance(start.saturating_add_micros(MICROS_PER_DAY + 11 * MICROS_PER_MINUTE));
        assert_eq!(a.bucket_count(), 1);
        let t = a.totals(a.newest().unwrap());
        assert_eq!((t.h24[OUT], t.d7[OUT]), (w(0, 0), w(5, 5)));
        // Seven days (+ the grace) on, the day is dropped.
        a.advance(start.saturating_add_micros(7 * MICROS_PER_DAY + 9 * MICROS_PER_MINUTE));
        assert_eq!(a.bucket_count(), 1);
        a.advance(start.saturating_add_micros(7 * MICROS_PER_DAY + 10 * MICROS_PER_MINUTE));
        assert_eq!(a.bucket_count(), 0);
        assert_eq!(a.totals(a.newest().unwrap()), Totals::default());
        // The emptied list gave most of its memory back.
        assert!(a.heap_bytes() <= 4 * 16, "{}", a.heap_bytes());
    }

    #[test]
    fn late_payment_within_tolerance_sees_and_updates_its_minute() {
        let mut a = AccountWindows::new();
        a.record(ts("2026-03-02T10:50:59Z"), 1, Direction::In);
        a.record(ts("2026-03-02T10:51:00Z"), 10, Direction::In);
        a.record(ts("2026-03-02T12:00:30Z"), 100, Direction::In);
        // Exactly 10 minutes and 30 s behind the newest: its minute, 11:50, is 10 back.
        let late = ts("2026-03-02T11:50:00Z");
        assert!(a.exact_from().unwrap() <= late);
        a.record(late, 1000, Direction::In);
        let t = a.totals(late);
        // 10:51 .. 11:50 are the 60 minutes of h1 at 11:50; 12:00 is later.
        assert_eq!(t.h1[IN], w(2, 1010));
        assert_eq!(t.h24[IN], w(3, 1011));
        let t = a.totals(ts("2026-03-02T12:00:30Z"));
        assert_eq!(t.h1[IN], w(2, 1100));
        // The late payment went to minute 11:50: in h1 until 12:49:59, out at 12:50.
        a.record(ts("2026-03-02T12:49:59Z"), 0, Direction::Out);
        assert_eq!(a.totals(ts("2026-03-02T12:49:59Z")).h1[IN], w(2, 1100));
        a.record(ts("2026-03-02T12:50:00Z"), 0, Direction::Out);
        assert_eq!(a.totals(ts("2026-03-02T12:50:00Z")).h1[IN], w(1, 100));
    }

    #[test]
    fn very_late_payments_count_where_still_reachable() {
        let mut a = AccountWindows::new();
        let now = ts("2026-03-09T12:00:00Z");
        a.record(now, 1, Direction::Out);
        // Three hours late: never in an exact h1, but in h24 and d7.
        a.record(ts("2026-03-09T09:00:00Z"), 10, Direction::Out);
        // Six days late: only d7.
        a.record(ts("2026-03-03T09:00:00Z"), 100, Direction::Out);
        // Yesterday 11:49 UTC is 24 h 11 min behind: out of h24, its day in d7.
        a.record(ts("2026-03-08T11:49:00Z"), 1000, Direction::Out);
        // Dated in a day that no exact `now` reaches: dropped.
        a.record(ts("2026-03-02T23:59:59Z"), 10_000, Direction::Out);
        let t = a.totals(now);
        assert_eq!(t.h1[OUT], w(1, 1));
        assert_eq!(t.h24[OUT], w(2, 11));
        assert_eq!(t.d7[OUT], w(4, 1111));
        assert_eq!(a.bucket_count(), 4);
        // The last day a reachable `now` (>= 11:50, 2026-03-09) can see is 03-03.
        assert_eq!(a.totals(a.exact_from().unwrap()).d7[OUT], w(4, 1111));
        // A late payment cannot move `newest` back.
        assert_eq!(a.newest(), Some(now));
    }

    #[test]
    fn sums_are_exact_and_saturate_without_panicking() {
        let mut a = AccountWindows::new();
        let now = ts("2026-03-02T08:00:00Z");
        let big = 99_999_999_999_999; // 999,999,999,999.99 CNY, the contract's maximum
        for _ in 0..3 {
            a.record(now, big, Direction::In);
        }
        assert_eq!(a.totals(now).d7[IN], w(3, 3 * big as u64));
        for _ in 0..3 {
            a.record(now, i64::MAX, Direction::Out);
        }
        assert_eq!(a.totals(now).d7[OUT], w(3, u64::MAX));
        a.record(now, -5, Direction::Out);
        assert_eq!(a.totals(now).h1[OUT], w(4, u64::MAX));
    }

    #[test]
    fn times_before_1970_and_at_the_key_wrap() {
        // Minute 2^29 is in the year 2990: the stored start wraps to 0 there.
        let wrap = (1i64 << 29) * MICROS_PER_MINUTE;
        for base in [-3 * MICROS_PER_DAY - 17, wrap - 90 * MICROS_PER_MINUTE] {
            let at = |us: i64| Timestamp::from_micros(base + us).unwrap();
            let mut a = AccountWindows::new();
            a.record(at(0), 1, Direction::In);
            a.record(at(30 * MICROS_PER_MINUTE), 10, Direction::In);
            a.record(at(2 * MICROS_PER_HOUR), 100, Direction::In);
            let t = a.totals(at(2 * MICROS_PER_HOUR));
            assert_eq!((t.h1[IN], t.h24[IN], t.d7[IN]), (w(1, 100), w(3, 111), w(3, 111)), "{base}");
        }
    }

    #[test]
    fn a_jump_of_centuries_drops_everything() {
        // 2^29 minutes later the old buckets' stored starts read as 5 minutes back: they must
        // be read against the old `newest` before the horizon moves.
        let first = ts("2026-03-02T00:00:00Z");
        let mut a = AccountWindows::new();
        a.record(first, 1, Direction::In);
        let later = first.saturating_add_micros(((1i64 << 29) + 5) * MICROS_PER_MINUTE);
        a.record(later, 10, Direction::In);
        assert_eq!(a.totals(later).h1[IN], w(1, 10));
        assert_eq!(a.bucket_count(), 1);
    }

    #[test]
    fn heap_bytes_follow_capacity() {
        let mut a = AccountWindows::new();
        let start = ts("2026-03-02T00:00:00Z");
        for k in 0..40 {
            a.record(start.saturating_add_micros(k * MICROS_PER_SEC * 61), 1, Direction::In);
        }
        assert_eq!(a.bucket_count(), 40);
        assert!(a.heap_bytes() >= 40 * 16);
        assert!(a.heap_bytes() <= 40 * 16 + 40 * 16 / 4, "{}", a.heap_bytes());
    }

    /// The rule of the module doc applied to the full history.
    fn oracle(events: &[(i64, i64, Direction)], now: i64) -> Totals {
        let idx = |us: i64, g: i64| us.div_euclid(g);
        let within = |t: i64, g: i64, len: i64| {
            let (i, n) = (idx(t, g), idx(now, g));
            n - len < i && i <= n
        };
        let mut totals = Totals::default();
        for &(t, amount, dir) in events {
            let d = dir.index();
            let sum = u64::try_from(amount).unwrap_or(0);
            let add = |w: &mut Window| {
                w.count += 1;
                w.sum_minor = w.sum_minor.saturating_add(sum);
            };
            if within(t, MICROS_PER_MINUTE, 60) {
                add(&mut totals.h1[d]);
            }
            if within(t, MICROS_PER_HOUR, 24) {
                add(&mut totals.h24[d]);
            }
            if within(t, MICROS_PER_DAY, 7) {
                add(&mut totals.d7[d]);
            }
        }
        totals
    }

    /// How far the next payment is from the newest one so far.
    #[derive(Debug, Clone)]
    enum Step {
        /// Later by this many microseconds.
        Ahead(i64),
        /// Earlier by at most the tolerance (exactly 10 minutes included).
        Late(i64),
        /// Earlier by more than the tolerance, up to 9 days.
        VeryLate(i64),
    }

    fn step() -> impl Strategy<Value = Step> {
        let tol = LATE_TOLERANCE_MICROS;
        prop_oneof![
            // Bursts within a minute, a few minutes, up to 2 hours, up to 1.5 days: about
            // 300 steps cover several days, crossing every kind of bucket boundary.
            4 => (0..MICROS_PER_MINUTE).prop_map(Step::Ahead),
            3 => (0..15 * MICROS_PER_MINUTE).prop_map(Step::Ahead),
            2 => (0..2 * MICROS_PER_HOUR).prop_map(Step::Ahead),
            1 => (0..36 * MICROS_PER_HOUR).prop_map(Step::Ahead),
            3 => prop_oneof![Just(tol), 0..=tol].prop_map(Step::Late),
            1 => (tol + 1..9 * MICROS_PER_DAY).prop_map(Step::VeryLate),
        ]
    }

    fn base() -> impl Strategy<Value = i64> {
        prop_oneof![
            // Around 2026, before 1970, and where the key's 29-bit minute wraps.
            Just(ts("2026-03-01T16:00:00Z").as_micros()),
            -20 * MICROS_PER_DAY..-MICROS_PER_DAY,
            ((1i64 << 29) - 6 * 1440) * MICROS_PER_MINUTE..((1i64 << 29) + 1440) * MICROS_PER_MINUTE,
        ]
    }

    fn amount() -> impl Strategy<Value = i64> {
        prop_oneof![1i64..100_000, 1i64..=99_999_999_999_999]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn online_windows_match_the_full_history(
            base in base(),
            events in prop::collection::vec((step(), amount(), prop::bool::ANY), 1..300),
            later in 0..3 * MICROS_PER_HOUR,
        ) {
            let mut a = AccountWindows::new();
            let mut history = Vec::new();
            let mut newest = base;
            for (step, amount, out) in events {
                let t = match step {
                    Step::Ahead(d) => newest + d,
                    Step::Late(d) | Step::VeryLate(d) => newest - d,
                };
                newest = newest.max(t);
                let dir = if out { Direction::Out } else { Direction::In };
                a.record(Timestamp::from_micros(t).unwrap(), amount, dir);
                history.push((t, amount, dir));

                let exact_from = a.exact_from().unwrap().as_micros();
                prop_assert!(exact_from <= newest - LATE_TOLERANCE_MICROS);
                let mut nows = vec![newest, newest + later, exact_from];
                if t >= newest - LATE_TOLERANCE_MICROS {
                    nows.push(t);
                }
                for now in nows {
                    let got = a.totals(Timestamp::from_micros(now).unwrap());
                    prop_assert_eq!(got, oracle(&history, now), "now {} after {} events", now, history.len());
                }
                // Sorted by key without repeats, so the binary search finds every bucket.
                prop_assert!(a.buckets.windows(2).all(|p| p[0].key < p[1].key));
                // Bounded whatever the traffic: minutes, hours, days per direction.
                prop_assert!(a.bucket_count() <= 2 * (70 + 35 + 8));
            }
        }
    }
}
