//! The time buckets of one account, packed into 16-bit units: what [`super::FeatureStore`]
//! keeps of every payment (count, sum, and how many were round, pegged, at night, to a new
//! counterparty), per direction, in UTC minute / hour / day buckets rolled up as time moves
//! on — the scheme of [`crate::windows`], in about a third of the bytes.
//!
//! # A record
//!
//! A record is one bucket of one *stream*: money in, money out, or pass-through (the part of
//! an outgoing payment covered by recent money in; see the parent module). Its key is
//! 10 bits: the stream (2 bits) and a slot (8 bits) naming the bucket: minute `m` is slot
//! `m mod 128`, hour `h` is `128 + h mod 64`, day `d` is `192 + d mod 16`. Every bucket held
//! lies at most 70 minutes, 25 hours or 8 days before the account's newest minute, so the
//! slot read back against that minute names one bucket.
//!
//! A record is a little-endian number over 3, 4 or 15 units, its first unit starting with a
//! 2-bit tag and the key; then five counters (payments, round, pegged, night, new
//! counterparty) and the sum:
//!
//! | kind | bytes | counters | sum | holds |
//! |---|---|---|---|---|
//! | small | 6 | 3 bits each | 21 bits | ≤ 7 payments, < ¥20,971.52 |
//! | narrow | 8 | 5 bits each | 27 bits | ≤ 31 payments, < ¥1.34 M |
//! | wide | 30 | 32 bits each | 64 bits | anything (saturating at `u32::MAX` / `u64::MAX`) |
//!
//! A record grows into the next kind when an addition no longer fits. On a simulated week of
//! 100,000 accounts, 94 % of the records held at the end are small and 0.5 % wide.
//!
//! Records are not sorted: an account holds a dozen on average and every question reads
//! them all anyway.

use super::Stream;
use sluice_core::admission::LATE_TOLERANCE_MICROS;
use sluice_core::time::MICROS_PER_MINUTE;

/// How far behind the newest minute a `now` may be and still be answered exactly.
pub(crate) const GRACE_MINUTES: i64 = LATE_TOLERANCE_MICROS / MICROS_PER_MINUTE;
const _: () = assert!(LATE_TOLERANCE_MICROS % MICROS_PER_MINUTE == 0);

pub(crate) const MINUTES_PER_HOUR: i64 = 60;
pub(crate) const MINUTES_PER_DAY: i64 = 1440;

/// A record's storage unit.
pub(crate) type Unit = u16;

/// Layout of a record (see the module doc): the tag in the first unit's low 2 bits, the
/// key in the next 10, then counters and the sum.
const TAG_SMALL: u64 = 0;
const TAG_NARROW: u64 = 1;
const TAG_WIDE: u64 = 2;
const KEY_MASK: u64 = (1 << 10) - 1;
const SMALL_UNITS: usize = 3;
const NARROW_UNITS: usize = 4;
/// Units of a wide record.
pub(crate) const WIDE_UNITS: usize = 15;

/// The widths of a packed record: counter bits and sum bits.
#[derive(Clone, Copy)]
struct Packing {
    counter: u32,
    sum: u32,
}

const SMALL: Packing = Packing { counter: 3, sum: 21 };
const NARROW: Packing = Packing { counter: 5, sum: 27 };
// `decode` reads these with constant shifts.
const _: () = assert!(SMALL.counter == 3 && SMALL.sum == 21 && NARROW.counter == 5 && NARROW.sum == 27);

impl Packing {
    /// Tag, key, five counters, sum, from the low bits up.
    #[inline(always)]
    fn pack(self, tag: u64, key: u16, r: &Rec) -> u64 {
        let mut v = tag | (u64::from(key) & KEY_MASK) << 2;
        let mut shift = 12;
        for c in [r.count, r.round, r.pegged, r.night, r.new] {
            v |= u64::from(c) << shift;
            shift += self.counter;
        }
        v | r.sum << shift
    }
}

/// Reads a packed record with `C`-bit counters and an `S`-bit sum (constants, so every
/// shift is known at compile time).
#[inline(always)]
fn unpack<const C: u32, const S: u32>(v: u64) -> (u16, Rec) {
    let mask = (1u64 << C) - 1;
    let f = |k: u32| ((v >> (12 + k * C)) & mask) as u32;
    let sum = (v >> (12 + 5 * C)) & ((1u64 << S) - 1);
    (
        ((v >> 2) & KEY_MASK) as u16,
        Rec { count: f(0), round: f(1), pegged: f(2), night: f(3), new: f(4), sum },
    )
}

const MINUTE_SLOTS: i64 = 128;
const HOUR_SLOTS: i64 = 64;
const DAY_SLOTS: i64 = 16;
const HOUR_BASE: u16 = 128;
const DAY_BASE: u16 = 192;

/// Granularity of a bucket; a coarser tier compares greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tier {
    Minute,
    Hour,
    Day,
}

/// The contents of one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Rec {
    pub count: u32,
    pub sum: u64,
    pub round: u32,
    pub pegged: u32,
    pub night: u32,
    pub new: u32,
}

impl Rec {
    pub fn merge(&mut self, o: &Rec) {
        self.count = self.count.saturating_add(o.count);
        self.sum = self.sum.saturating_add(o.sum);
        self.round = self.round.saturating_add(o.round);
        self.pegged = self.pegged.saturating_add(o.pegged);
        self.night = self.night.saturating_add(o.night);
        self.new = self.new.saturating_add(o.new);
    }

    /// Units this record takes.
    #[inline]
    pub fn units(&self) -> usize {
        // The largest counter decides with the sum: one comparison per kind.
        let c = self.count | self.round | self.pegged | self.night | self.new;
        if c <= 7 && self.sum < 1 << SMALL.sum {
            SMALL_UNITS
        } else if c <= 31 && self.sum < 1 << NARROW.sum {
            NARROW_UNITS
        } else {
            WIDE_UNITS
        }
    }

    /// Writes the record at the start of `out` (which has room for [`Rec::units`]).
    #[cfg(test)]
    fn encode(&self, key: u16, out: &mut [Unit]) {
        self.encode_as(self.units(), key, out);
    }

    /// [`Rec::encode`] with its [`Rec::units`] `n` known.
    #[inline]
    fn encode_as(&self, n: usize, key: u16, out: &mut [Unit]) {
        // Each kind written with its length a constant (a loop over a variable `n` was
        // most of this function's cost), the rare wide kind out of line.
        match n {
            SMALL_UNITS => write_units::<SMALL_UNITS>(SMALL.pack(TAG_SMALL, key, self), out),
            NARROW_UNITS => write_units::<NARROW_UNITS>(NARROW.pack(TAG_NARROW, key, self), out),
            _ => self.encode_wide(key, out),
        }
    }

    /// [`Rec::encode_as`] of a wide record.
    #[cold]
    #[inline(never)]
    fn encode_wide(&self, key: u16, out: &mut [Unit]) {
        let head = TAG_WIDE | (u64::from(key) & KEY_MASK) << 2;
        let tail = [
            u64::from(self.count),
            self.sum,
            u64::from(self.round),
            u64::from(self.pegged),
            u64::from(self.night),
            u64::from(self.new),
        ];
        let widths = [2usize, 4, 2, 2, 2, 2];
        if let Some(o) = out.first_mut() {
            *o = head as Unit;
        }
        let mut at = 1;
        for (x, w) in tail.into_iter().zip(widths) {
            for k in 0..w {
                if let Some(o) = out.get_mut(at + k) {
                    *o = (x >> (16 * k)) as Unit;
                }
            }
            at += w;
        }
    }
}

/// Writes the low `N` units of `v` to the start of `out`.
#[inline(always)]
fn write_units<const N: usize>(v: u64, out: &mut [Unit]) {
    if let Some(o) = out.get_mut(..N) {
        for (k, o) in o.iter_mut().enumerate() {
            *o = (v >> (16 * k)) as Unit;
        }
    }
}

/// Reads `n` units from `at` as one little-endian number.
#[inline(always)]
fn read(units: &[Unit], at: usize, n: usize) -> Option<u64> {
    let s = units.get(at..at + n)?;
    Some(s.iter().rev().fold(0u64, |v, &u| v << 16 | u64::from(u)))
}

/// Reads the record at the start of `units`: its key, contents and length in units.
#[inline(always)]
pub(crate) fn decode(units: &[Unit]) -> Option<(u16, Rec, usize)> {
    let &first = units.first()?;
    match u64::from(first) & 3 {
        TAG_SMALL => {
            let &[a, b, c] = units.get(..SMALL_UNITS)? else { return None };
            let v = u64::from(a) | u64::from(b) << 16 | u64::from(c) << 32;
            let (k, r) = unpack::<3, 21>(v);
            Some((k, r, SMALL_UNITS))
        }
        TAG_NARROW => {
            let &[a, b, c, d] = units.get(..NARROW_UNITS)? else { return None };
            let v = u64::from(a) | u64::from(b) << 16 | u64::from(c) << 32 | u64::from(d) << 48;
            let (k, r) = unpack::<5, 27>(v);
            Some((k, r, NARROW_UNITS))
        }
        _ => {
            let key = ((u64::from(first) >> 2) & KEY_MASK) as u16;
            let r = Rec {
                count: read(units, 1, 2)? as u32,
                sum: read(units, 3, 4)?,
                round: read(units, 7, 2)? as u32,
                pegged: read(units, 9, 2)? as u32,
                night: read(units, 11, 2)? as u32,
                new: read(units, 13, 2)? as u32,
            };
            Some((key, r, WIDE_UNITS))
        }
    }
}

/// A record as the bucket pass reads it: small and narrow ones as their packed number
/// (counters taken out one at a time where they are added, not all held at once).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Raw {
    Small(u64),
    Narrow(u64),
    Wide(Rec),
}

/// What the bucket pass reads of a record's contents: [`Raw`], or [`SmallRaw`] where the
/// record is known to be small (no dispatch on the kind).
pub(crate) trait Contents: Copy {
    fn rec(&self) -> Rec;
    fn sum(&self) -> u64;
    fn add_to(&self, f: &mut Fields);
}

/// A small record's packed number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SmallRaw(u64);

impl Contents for SmallRaw {
    #[inline(always)]
    fn rec(&self) -> Rec {
        Raw::Small(self.0).rec()
    }

    #[inline(always)]
    fn sum(&self) -> u64 {
        Raw::Small(self.0).sum()
    }

    #[inline(always)]
    fn add_to(&self, f: &mut Fields) {
        Raw::Small(self.0).add_to(f);
    }
}

impl Contents for Raw {
    #[inline(always)]
    fn rec(&self) -> Rec {
        Raw::rec(self)
    }

    #[inline(always)]
    fn sum(&self) -> u64 {
        Raw::sum(self)
    }

    #[inline(always)]
    fn add_to(&self, f: &mut Fields) {
        Raw::add_to(self, f);
    }
}

impl Raw {
    #[inline(always)]
    fn rec(&self) -> Rec {
        match *self {
            Raw::Small(v) => unpack::<3, 21>(v).1,
            Raw::Narrow(v) => unpack::<5, 27>(v).1,
            Raw::Wide(r) => r,
        }
    }

    #[inline(always)]
    fn sum(&self) -> u64 {
        match *self {
            Raw::Small(v) => v >> (12 + 5 * 3) & ((1 << 21) - 1),
            Raw::Narrow(v) => v >> (12 + 5 * 5) & ((1 << 27) - 1),
            Raw::Wide(r) => r.sum,
        }
    }

    #[inline(always)]
    fn add_to(&self, f: &mut Fields) {
        /// Adds the counters and sum of a packed record with `C`-bit counters and an
        /// `S`-bit sum.
        #[inline(always)]
        fn packed<const C: u32, const S: u32>(f: &mut Fields, v: u64) {
            let mask = (1u64 << C) - 1;
            for (k, c) in f.c.iter_mut().enumerate() {
                *c += (v >> (12 + k as u32 * C)) & mask;
            }
            f.sum = f.sum.saturating_add((v >> (12 + 5 * C)) & ((1u64 << S) - 1));
        }
        match *self {
            Raw::Small(v) => packed::<3, 21>(f, v),
            Raw::Narrow(v) => packed::<5, 27>(f, v),
            Raw::Wide(r) => f.add(&r),
        }
    }
}

/// [`decode`] for the bucket pass: key, [`Raw`] contents, length in units.
#[inline(always)]
fn decode_raw(units: &[Unit]) -> Option<(u16, Raw, usize)> {
    let &first = units.first()?;
    match u64::from(first) & 3 {
        TAG_SMALL => {
            let &[a, b, c] = units.get(..SMALL_UNITS)? else { return None };
            let v = u64::from(a) | u64::from(b) << 16 | u64::from(c) << 32;
            Some((((v >> 2) & KEY_MASK) as u16, Raw::Small(v), SMALL_UNITS))
        }
        TAG_NARROW => {
            let &[a, b, c, d] = units.get(..NARROW_UNITS)? else { return None };
            let v = u64::from(a) | u64::from(b) << 16 | u64::from(c) << 32 | u64::from(d) << 48;
            Some((((v >> 2) & KEY_MASK) as u16, Raw::Narrow(v), NARROW_UNITS))
        }
        _ => decode(units).map(|(k, r, n)| (k, Raw::Wide(r), n)),
    }
}

/// The key and length in units of the record whose first unit is `first`.
#[inline(always)]
pub(crate) fn key_and_units(first: Unit) -> (u16, usize) {
    let n = match u64::from(first) & 3 {
        TAG_SMALL => SMALL_UNITS,
        TAG_NARROW => NARROW_UNITS,
        _ => WIDE_UNITS,
    };
    (((u64::from(first) >> 2) & KEY_MASK) as u16, n)
}

pub(crate) fn make_key(stream: Stream, tier: Tier, start_minute: i64) -> u16 {
    let slot = match tier {
        Tier::Minute => start_minute.rem_euclid(MINUTE_SLOTS) as u16,
        Tier::Hour => HOUR_BASE + start_minute.div_euclid(MINUTES_PER_HOUR).rem_euclid(HOUR_SLOTS) as u16,
        Tier::Day => DAY_BASE + start_minute.div_euclid(MINUTES_PER_DAY).rem_euclid(DAY_SLOTS) as u16,
    };
    (stream as u16) << 8 | slot
}

pub(crate) fn stream_of(key: u16) -> usize {
    usize::from(key >> 8)
}

/// The minute, hour and day keys are read back against (the account's newest minute), with
/// its divisions done once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reference {
    minute: i64,
    hour: i64,
    day: i64,
}

impl Reference {
    pub fn new(newest_minute: i64) -> Self {
        Reference {
            minute: newest_minute,
            hour: newest_minute.div_euclid(MINUTES_PER_HOUR),
            day: newest_minute.div_euclid(MINUTES_PER_DAY),
        }
    }
}

const _: () =
    assert!(MINUTE_SLOTS.count_ones() == 1 && HOUR_SLOTS.count_ones() == 1 && DAY_SLOTS.count_ones() == 1);

/// The oldest bucket of each tier that a window at an exact `now` can still reach.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Horizon {
    minute: i64,
    hour: i64,
    day: i64,
}

impl Horizon {
    pub fn new(newest_minute: i64) -> Self {
        let t = newest_minute - GRACE_MINUTES;
        Horizon {
            minute: t - 59,
            hour: t.div_euclid(MINUTES_PER_HOUR) - 23,
            day: t.div_euclid(MINUTES_PER_DAY) - 6,
        }
    }

    pub fn first_start(&self, tier: Tier) -> i64 {
        match tier {
            Tier::Minute => self.minute,
            Tier::Hour => self.hour * MINUTES_PER_HOUR,
            Tier::Day => self.day * MINUTES_PER_DAY,
        }
    }

    /// The finest tier, no finer than `at_least`, whose bucket for minute `m` is still
    /// reachable, with that bucket's start; `None` when no exact window reaches `m`.
    pub fn place(&self, m: i64, at_least: Tier) -> Option<(Tier, i64)> {
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

/// The windows at one `now`, as inclusive ranges of bucket start minutes, and the span of
/// hour buckets pass-through looks back over.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spans {
    /// `[h1, h24, d7]`: window `w` holds buckets of tiers up to `w`. Each contains the one
    /// before it, so a bucket of tier `t` inside window `t` is inside all its windows.
    windows: [(i64, i64); 3],
    pass: (i64, i64),
}

impl Spans {
    pub fn new(now_minute: i64, pass_hours: i64) -> Self {
        let span = |g: i64, len: i64| {
            let b = now_minute.div_euclid(g) * g;
            (b - (len - 1) * g, b + g - 1)
        };
        Spans {
            windows: [span(1, 60), span(MINUTES_PER_HOUR, 24), span(MINUTES_PER_DAY, 7)],
            pass: span(MINUTES_PER_HOUR, pass_hours),
        }
    }
}

/// Sums of bucket contents: `c` is payments, round, pegged, night, new counterparty. Wide
/// enough that no sum of a list's records overflows a counter; the sum saturates (as the
/// `u64` it is read as would).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Fields {
    pub c: [u64; 5],
    pub sum: u64,
}

impl Fields {
    /// A counter, saturated to `u32`.
    #[inline]
    pub fn get(&self, k: usize) -> u32 {
        self.c.get(k).map_or(0, |&x| x.min(u64::from(u32::MAX)) as u32)
    }

    /// A counter known to be below 2³² ([`Scan::narrow`]).
    #[inline]
    pub fn get_narrow(&self, k: usize) -> u32 {
        self.c.get(k).map_or(0, |&x| x as u32)
    }

    /// The sum.
    #[inline]
    pub fn sum(&self) -> u64 {
        self.sum
    }

    #[inline(always)]
    fn add(&mut self, r: &Rec) {
        self.c[0] += u64::from(r.count);
        self.c[1] += u64::from(r.round);
        self.c[2] += u64::from(r.pegged);
        self.c[3] += u64::from(r.night);
        self.c[4] += u64::from(r.new);
        self.sum = self.sum.saturating_add(r.sum);
    }

    #[inline(always)]
    fn merged(mut self, o: &Fields) -> Fields {
        for (a, b) in self.c.iter_mut().zip(&o.c) {
            *a += b;
        }
        self.sum = self.sum.saturating_add(o.sum);
        self
    }
}

/// What one pass over an account's records found.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Scan {
    /// `[4 * stream + w]`: the records whose *narrowest* window is `w` (`h1`, `h24`, `d7`; 3:
    /// none). A window holds the records of a tier no coarser than its own whose bucket is
    /// inside it; the windows nest, so a record inside one is inside every wider one, and
    /// window `w` is bins `0..=w`. One addition per record instead of one per window.
    bins: [Fields; 12],
    /// Money in and out over the pass-through span.
    span: [u128; 2],
    /// Some record is below the new horizon.
    pub stale: bool,
    /// No wide record was summed (only [`Records::scan_folding`] tells; `false` else): every
    /// counter is then below 2³² (at most 31 a record, and 21,845 records in `u16` units),
    /// so reading one needs no saturation.
    pub narrow: bool,
    /// Where the records of the two keys looked for are.
    pub found: [Option<Found>; 2],
}

impl Scan {
    /// [`Scan::default`] in place (assigning a default built aside costs a copy of the
    /// whole `Scan`).
    #[inline(always)]
    pub fn reset(&mut self) {
        self.bins = [Fields::default(); 12];
        self.span = [0; 2];
        self.stale = false;
        self.narrow = true;
        self.found = [None; 2];
    }

    /// Adds a record of `stream`, `tier`, starting at `start`.
    #[inline(always)]
    pub fn add(&mut self, spans: &Spans, stream: usize, tier: Tier, start: i64, r: &Rec) {
        let t = tier as usize;
        // Windows `t..` holding the bucket: an upper set of them, as they nest.
        let mut inside = 0;
        for (k, &(lo, hi)) in spans.windows.iter().enumerate() {
            inside += usize::from(k >= t && lo <= start && start <= hi);
        }
        if let Some(f) = self.bins.get_mut(4 * stream + 3 - inside) {
            f.add(r);
        }
        if let Some(x) = self.span.get_mut(stream) {
            let inside = tier <= Tier::Hour && spans.pass.0 <= start && start <= spans.pass.1;
            *x += u128::from(r.sum & u64::from(inside).wrapping_neg());
        }
    }

    /// `[h1, h24, d7]` of `stream`.
    #[inline]
    pub fn windows(&self, stream: usize) -> [Fields; 3] {
        let Some(&[b0, b1, b2, _]) = self.bins.get(4 * stream..4 * stream + 4) else {
            return [Fields::default(); 3];
        };
        let h24 = b0.merged(&b1);
        [b0, h24, h24.merged(&b2)]
    }

    /// Money in minus money out over the pass-through span, at least 0.
    pub fn unspent(&self) -> u64 {
        u64::try_from(self.span[0].saturating_sub(self.span[1])).unwrap_or(u64::MAX)
    }
}

/// Everything one pass needs to file a record from its key alone, without a branch on its
/// tier: per tier (minute, hour, day) how a slot reads back against the reference minute,
/// where the horizon is, and which windows and pass-through span a bucket start falls in
/// (as `start - lo <= len` in unsigned arithmetic; windows finer than the tier get a range
/// no start is in).
struct Placer {
    refs: [i64; 3],
    masks: [i64; 3],
    bases: [i64; 3],
    scale: [i64; 3],
    first: [i64; 3],
    /// `[tier][window]`.
    lo: [[i64; 3]; 3],
    len: [[u64; 3]; 3],
    pass_lo: [i64; 3],
    pass_len: [u64; 3],
}

/// A range no bucket start is in (starts are minutes of real instants).
const NOWHERE: (i64, u64) = (i64::MIN, 0);

impl Placer {
    fn new(reference_minute: i64, spans: &Spans, horizon: &Horizon) -> Self {
        let r = Reference::new(reference_minute);
        let range = |(lo, hi): (i64, i64)| (lo, hi.wrapping_sub(lo) as u64);
        let mut lo = [[NOWHERE.0; 3]; 3];
        let mut len = [[NOWHERE.1; 3]; 3];
        for t in 0..3 {
            for (k, &w) in spans.windows.iter().enumerate().skip(t) {
                (lo[t][k], len[t][k]) = range(w);
            }
        }
        let pass = range(spans.pass);
        Placer {
            refs: [r.minute, r.hour, r.day],
            masks: [MINUTE_SLOTS - 1, HOUR_SLOTS - 1, DAY_SLOTS - 1],
            bases: [0, i64::from(HOUR_BASE), i64::from(DAY_BASE)],
            scale: [1, MINUTES_PER_HOUR, MINUTES_PER_DAY],
            first: [
                horizon.first_start(Tier::Minute),
                horizon.first_start(Tier::Hour),
                horizon.first_start(Tier::Day),
            ],
            lo,
            len,
            pass_lo: [pass.0, pass.0, NOWHERE.0],
            pass_len: [pass.1, pass.1, NOWHERE.1],
        }
    }

    /// Adds the record `k`, `r` to `out`; returns its tier (0..3), start, and whether it
    /// is below the horizon. The same as [`Scan::add`] with the tier and start the key
    /// names.
    #[inline(always)]
    fn file<C: Contents>(&self, k: u16, r: &C, out: &mut Scan) -> (usize, i64, bool) {
        let slot = i64::from(k & 0xff);
        let t = usize::from(slot >= i64::from(HOUR_BASE)) + usize::from(slot >= i64::from(DAY_BASE));
        let now = self.refs[t];
        let start = (now - ((now - (slot - self.bases[t])) & self.masks[t])) * self.scale[t];
        let within = |lo: i64, len: u64| start.wrapping_sub(lo) as u64 <= len;
        let (lo, len) = (&self.lo[t], &self.len[t]);
        let inside = usize::from(within(lo[0], len[0]))
            + usize::from(within(lo[1], len[1]))
            + usize::from(within(lo[2], len[2]));
        let stream = stream_of(k);
        if let Some(f) = out.bins.get_mut(4 * stream + 3 - inside) {
            r.add_to(f);
        }
        if let Some(x) = out.span.get_mut(stream) {
            let inside = within(self.pass_lo[t], self.pass_len[t]);
            *x += u128::from(r.sum() & u64::from(inside).wrapping_neg());
        }
        (t, start, start < self.first[t])
    }
}

const TIERS: [Tier; 3] = [Tier::Minute, Tier::Hour, Tier::Day];

/// One pass over the records `units`, read against `newest_minute`: totals for `spans`,
/// whether any record is below `horizon`, and where the records of `keys` are.
#[inline]
pub(crate) fn scan(
    units: &[Unit],
    newest_minute: i64,
    spans: &Spans,
    horizon: &Horizon,
    keys: [u16; 2],
) -> Scan {
    let mut out = Scan::default();
    let placer = Placer::new(newest_minute, spans, horizon);
    let mut at = 0;
    while let Some((k, r, n)) = units.get(at..).and_then(decode_raw) {
        let (_, _, stale) = placer.file(k, &r, &mut out);
        out.stale |= stale;
        if k == keys[0] {
            out.found[0] = Some(Found { at, words: n });
        } else if k == keys[1] {
            out.found[1] = Some(Found { at, words: n });
        }
        at += n;
    }
    out
}

/// A growable region of words at the front of an account's storage: the records. The
/// caller owns the storage; these functions only see the record region `words[..len]` and
/// the free words after it.
pub(crate) struct Records<'a> {
    pub words: &'a mut [Unit],
    pub len: usize,
}

/// Where a key's record is: its first word and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub at: usize,
    pub words: usize,
}

impl Records<'_> {
    /// [`scan`] and the fold in one pass: totals for `spans` of the records
    /// as they are (read against `old_minute`), the stale ones (below `horizon`) moved to
    /// `moved` with their new keys and the rest compacted; `found` is where the kept records
    /// of `keys` are after that.
    ///
    /// The result goes to `out` (overwritten) rather than being returned: a `Scan` is
    /// about 660 bytes, and returning one cost a `memcpy` per side.
    #[inline(always)]
    pub fn scan_folding(
        &mut self,
        old_minute: i64,
        spans: &Spans,
        horizon: &Horizon,
        keys: [u16; 2],
        moved: &mut Vec<(u16, Rec)>,
        out: &mut Scan,
    ) {
        out.reset();
        let placer = Placer::new(old_minute, spans, horizon);
        let (mut at, mut keep) = (0, 0);
        // Small records (94 %) take a path of their own: their length and kind are
        // constants there, which saves the dispatch on the kind at each use.
        while let Some(&first) = self.words.get(at).filter(|_| at < self.len) {
            if u64::from(first) & 3 == TAG_SMALL {
                let Some(&[a, b, c]) = self.words.get(at..(at + SMALL_UNITS).min(self.len)) else {
                    break;
                };
                let v = u64::from(a) | u64::from(b) << 16 | u64::from(c) << 32;
                let k = ((v >> 2) & KEY_MASK) as u16;
                self.fold_one(
                    &placer,
                    horizon,
                    keys,
                    moved,
                    out,
                    (k, SmallRaw(v), SMALL_UNITS),
                    at,
                    &mut keep,
                );
                at += SMALL_UNITS;
            } else {
                let Some((k, r, n)) = self.words.get(at..self.len).and_then(decode_raw) else { break };
                out.narrow &= n != WIDE_UNITS;
                self.fold_one(&placer, horizon, keys, moved, out, (k, r, n), at, &mut keep);
                at += n;
            }
        }
        self.len = keep;
    }

    /// One record of [`scan_folding`](Self::scan_folding): `(key, contents, units)` at
    /// `at`, filed, then moved to `moved` if stale or else compacted to `keep`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn fold_one<C: Contents>(
        &mut self,
        placer: &Placer,
        horizon: &Horizon,
        keys: [u16; 2],
        moved: &mut Vec<(u16, Rec)>,
        out: &mut Scan,
        (k, r, n): (u16, C, usize),
        at: usize,
        keep: &mut usize,
    ) {
        let (t, start, stale) = placer.file(k, &r, out);
        if stale {
            out.stale = true;
            let stream = match stream_of(k) {
                0 => Stream::In,
                1 => Stream::Out,
                _ => Stream::Pass,
            };
            if let Some((to, to_start)) = TIERS.get(t).and_then(|&tier| horizon.place(start, tier)) {
                moved.push((make_key(stream, to, to_start), r.rec()));
            }
        } else {
            let kept = *keep;
            if kept != at {
                // Records are a few units: a loop beats a call to `memmove`.
                for j in 0..n {
                    if let Some(&u) = self.words.get(at + j)
                        && let Some(to) = self.words.get_mut(kept + j)
                    {
                        *to = u;
                    }
                }
            }
            if k == keys[0] {
                out.found[0] = Some(Found { at: kept, words: n });
            } else if k == keys[1] {
                out.found[1] = Some(Found { at: kept, words: n });
            }
            *keep = kept + n;
        }
    }

    /// The record `found` with `add` merged in (or `add` alone), its units, and how many
    /// more units than `found` it takes.
    #[inline(always)]
    pub fn merged(&self, found: Option<Found>, add: &Rec) -> (Rec, usize, usize) {
        match found {
            Some(f) => {
                let mut r = self.read(f);
                r.merge(add);
                let n = r.units();
                (r, n.saturating_sub(f.words), n)
            }
            None => {
                let n = add.units();
                (*add, n, n)
            }
        }
    }

    pub fn read(&self, f: Found) -> Rec {
        self.words.get(f.at..self.len).and_then(decode).map(|(_, r, _)| r).unwrap_or_default()
    }

    /// Writes the [`merged`](Self::merged) record `m` of `key` in place of `found` (or
    /// appends it). The caller has made room for its extra words after `len`.
    #[inline(always)]
    pub fn put(&mut self, key: u16, found: Option<Found>, (r, grow, n): (Rec, usize, usize)) {
        match found {
            Some(f) => {
                if grow > 0 {
                    // Narrow to wide: shift the rest of the records right.
                    if let Some(tail) = self.words.get_mut(f.at + f.words..self.len + grow) {
                        tail.rotate_right(grow);
                    }
                    self.len += grow;
                }
                if let Some(out) = self.words.get_mut(f.at..) {
                    r.encode_as(n, key, out);
                }
            }
            None => {
                if let Some(out) = self.words.get_mut(self.len..) {
                    r.encode_as(n, key, out);
                }
                self.len += n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rec() -> impl Strategy<Value = Rec> {
        let c = prop_oneof![0u32..=7, 0u32..=31, 0u32..=u32::MAX];
        let sum = prop_oneof![0u64..1 << 21, 0u64..1 << 27, 0u64..=u64::MAX];
        (c.clone(), sum, c.clone(), c.clone(), c.clone(), c)
            .prop_map(|(count, sum, round, pegged, night, new)| Rec { count, sum, round, pegged, night, new })
    }

    proptest! {
        #[test]
        fn records_round_trip(r in rec(), key in 0u16..1024) {
            let mut w = [0 as Unit; WIDE_UNITS];
            r.encode(key, &mut w);
            let (k, back, n) = decode(&w).unwrap();
            prop_assert_eq!((k, back, n), (key, r, r.units()));
        }
    }

    #[test]
    fn small_buckets_take_three_units() {
        let r = Rec { count: 7, sum: (1 << 21) - 1, round: 7, pegged: 0, night: 7, new: 7 };
        assert_eq!(r.units(), 3);
        assert_eq!(Rec { count: 8, ..r }.units(), 4);
        assert_eq!(Rec { sum: 1 << 21, ..r }.units(), 4);
        assert_eq!(Rec { count: 31, sum: (1 << 27) - 1, ..r }.units(), 4);
        assert_eq!(Rec { count: 32, ..r }.units(), 15);
        assert_eq!(Rec { sum: 1 << 27, ..r }.units(), 15);
    }
}
