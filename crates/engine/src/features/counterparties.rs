//! Who an account has dealt with: a set of counterparty fingerprints, each with the hour
//! the account was last paid by it and last paid it, giving "is this counterparty new to the
//! account?" and "how many distinct counterparties in 24 h / 7 d, in and out?".
//!
//! # Entries
//!
//! An entry is 32 bits: a 16-bit fingerprint of the counterparty (the top bits of its
//! 64-bit party key, never 0) and, per direction, a 1-byte code of the UTC hour it was last
//! seen in that direction: `1 + hour mod 255`, or 0 for "not in the last 8 days" (or never).
//! Codes are read back against the account's newest hour; once a day (when the account's
//! newest minute enters a new UTC day) codes older than 192 hours are cleared, so a code is
//! never more than 216 hours old and reads back unambiguously. An entry is never removed
//! for age: the set remembers every counterparty the account ever had, up to its bound.
//!
//! An account keeps up to [`SMALL_MAX`] entries inline (4 bytes each, scanned linearly).
//! Beyond that it moves to a [`LargeSet`]: an open-addressing table of the same entries
//! keyed by fingerprint (at most 7/8 full, growing by a quarter, up to 2¹⁶ slots), plus per
//! direction a ring of 26 hourly and 8 daily counters of how many entries were last seen in
//! that hour or day, so that distinct counts cost 62 additions instead of a scan. When the table is full at
//! its largest, entries not seen for 8 days are evicted; if none can be, a new counterparty
//! is reported new and not stored.
//!
//! # What is exact
//!
//! Two counterparties of one account with the same fingerprint are one entry: the later is
//! taken as seen, and distinct counts miss one. For an account holding `n` entries, a new
//! counterparty is wrongly "seen" with probability `n / 65,535` (0.1 % at 64, 1.5 % at
//! 1,000), and a distinct count of `k` out of `n` misses on average about `k·n / 131,070`
//! (e.g. 0.4 of 1,000); `distinct_counts_are_within_the_stated_error` checks that bound on
//! random keys. Apart from that, distinct counts are exact for any `now` in the account's
//! newest hour or later: a counterparty counts in a window when its last payment in that
//! direction is in one of the window's hour (`h24`) or UTC-day (`d7`) buckets. For an
//! earlier `now` (a late payment) a counterparty whose last payment is after `now` is not
//! counted even if an earlier one was in the window. A payment more than 8 days behind the
//! newest one marks its counterparty as seen but does not move its last-seen hour.

/// Entries kept inline before an account moves to a [`LargeSet`].
pub(crate) const SMALL_MAX: usize = 128;
/// Codes older than this many hours are cleared at each new UTC day.
pub(crate) const RECENT_HOURS: i64 = 192;
const CODE_MOD: i64 = 255;
const RING_HOURS: i64 = 26;
const RING_DAYS: i64 = 8;
const MAX_TABLE: usize = 1 << 16;

/// The fingerprint of a party key.
pub(crate) fn fingerprint(party: u64) -> u16 {
    ((party >> 48) as u16).max(1)
}

fn fp_of(e: u32) -> u16 {
    (e >> 16) as u16
}

fn code_shift(dir: usize) -> u32 {
    if dir == 0 { 8 } else { 0 }
}

fn code_of(e: u32, dir: usize) -> u8 {
    (e >> code_shift(dir)) as u8
}

fn with_code(e: u32, dir: usize, code: u8) -> u32 {
    let s = code_shift(dir);
    (e & !(0xff << s)) | u32::from(code) << s
}

fn hour_code(hour: i64) -> u8 {
    (hour.rem_euclid(CODE_MOD) + 1) as u8
}

/// Reads codes back against a reference hour without a division per entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeReader {
    pub hour: i64,
    pub code: i64,
}

impl CodeReader {
    pub fn new(ref_hour: i64) -> Self {
        CodeReader { hour: ref_hour, code: ref_hour.rem_euclid(CODE_MOD) }
    }

    #[inline]
    pub fn hour(&self, code: u8) -> Option<i64> {
        if code == 0 {
            return None;
        }
        let mut age = self.code - (i64::from(code) - 1);
        if age < 0 {
            age += CODE_MOD;
        }
        Some(self.hour - age)
    }
}

/// Which hours and days a window at `now` covers: `h24` is hours `(h - 24, h]`, `d7` days
/// `(d - 7, d]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DistinctWindows {
    pub hour: i64,
    pub day: i64,
}

impl DistinctWindows {
    #[inline]
    fn count(&self, hour: i64, out: &mut [[u32; 2]; 2], dir: usize) {
        let h24 = u32::from(hour > self.hour - 24 && hour <= self.hour);
        let day = hour.div_euclid(24);
        let d7 = u32::from(day > self.day - 7 && day <= self.day);
        let [w24, w7] = out;
        if let (Some(a), Some(b)) = (w24.get_mut(dir), w7.get_mut(dir)) {
            *a += h24;
            *b += d7;
        }
    }
}

/// What one payment did to the set and the distinct counts after it: `distinct[0]` is
/// `h24`, `distinct[1]` is `d7`, each `[in, out]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    pub new: bool,
    pub distinct: [[u32; 2]; 2],
}

/// The inline entries of a small account: entry `i` is units `len - 2 - 2i` (high half)
/// and `len - 1 - 2i` (low half) of `words`.
pub(crate) struct Small<'a> {
    pub words: &'a mut [u16],
    pub n: usize,
}

impl Small<'_> {
    fn pos(&self, i: usize) -> usize {
        self.words.len().wrapping_sub(2 + 2 * i)
    }

    pub fn get(&self, i: usize) -> u32 {
        let at = self.pos(i);
        match self.words.get(at..at.wrapping_add(2)) {
            Some(&[hi, lo]) => u32::from(hi) << 16 | u32::from(lo),
            _ => 0,
        }
    }

    pub fn set(&mut self, i: usize, e: u32) {
        let at = self.pos(i);
        if let Some([hi, lo]) = self.words.get_mut(at..at.wrapping_add(2)) {
            (*hi, *lo) = ((e >> 16) as u16, e as u16);
        }
    }

    /// Appends entry `e` as entry `n` (the caller made room).
    pub fn push(&mut self, e: u32) {
        self.set(self.n, e);
        self.n += 1;
    }

    /// Records a payment with fingerprint `fp` in direction `dir` in hour `pay_hour` (None
    /// when too old to move a last-seen hour), then counts distinct counterparties for
    /// `win`. Returns whether `fp` is new (then the caller appends [`Small::entry`]; it is
    /// already counted).
    pub fn observe(
        &mut self,
        fp: u16,
        dir: usize,
        pay_hour: Option<i64>,
        reader: &CodeReader,
        win: &DistinctWindows,
    ) -> (Seen, bool) {
        // Count every entry as it is and find `fp` (entry `i`'s fingerprint is its high
        // unit, at `len - 2 - 2i`); then recount the one entry the payment moves. Two
        // simple loops rather than one: the count needs only the codes.
        let region = self.words.len().saturating_sub(2 * self.n);
        let entries = self.words.get(region..).unwrap_or_default();
        let counter = DistinctCounter::new(reader, win);
        let mut distinct = counter.count(entries);
        let found = entries.chunks_exact(2).rposition(|e| e.first() == Some(&fp)).map(|k| self.n - 1 - k);
        if let (Some(i), Some(h)) = (found, pay_hour) {
            let e = self.get(i);
            if reader.hour(code_of(e, dir)).is_none_or(|o| o < h) {
                let moved = with_code(e, dir, hour_code(h));
                self.set(i, moved);
                counter.add(e, &mut distinct, u32::MAX);
                counter.add(moved, &mut distinct, 1);
            }
        }
        if found.is_none()
            && let Some(h) = pay_hour
        {
            win.count(h, &mut distinct, dir);
        }
        (Seen { new: found.is_none(), distinct }, found.is_none())
    }

    /// The new entry for a counterparty first seen now.
    pub fn entry(fp: u16, dir: usize, pay_hour: Option<i64>) -> u32 {
        let e = u32::from(fp) << 16;
        match pay_hour {
            Some(h) => with_code(e, dir, hour_code(h)),
            None => e,
        }
    }

    /// Clears codes older than [`RECENT_HOURS`] before `new_hour` (read against `old`).
    pub fn forget_old(&mut self, old: &CodeReader, new_hour: i64) {
        for i in 0..self.n {
            let e = self.get(i);
            let f = forget(e, old, new_hour);
            if f != e {
                self.set(i, f);
            }
        }
    }
}

fn forget(mut e: u32, old: &CodeReader, new_hour: i64) -> u32 {
    for d in 0..2 {
        if old.hour(code_of(e, d)).is_some_and(|h| h < new_hour - RECENT_HOURS) {
            e = with_code(e, d, 0);
        }
    }
    e
}

/// Distinct counterparties at `win` among the inline entries in `words` (two units each,
/// high first): `[h24, d7]`, each `[in, out]`.
pub(crate) fn distinct(words: &[u16], reader: &CodeReader, win: &DistinctWindows) -> [[u32; 2]; 2] {
    DistinctCounter::new(reader, win).count(words)
}

/// Counts entries into distinct counts at one `win`, branch-free: each code becomes an age
/// in hours behind the reference hour, and each window a range of ages.
struct DistinctCounter {
    rc: i32,
    lo24: i32,
    hi24: i32,
    lo7: i32,
    hi7: i32,
}

impl DistinctCounter {
    fn new(reader: &CodeReader, win: &DistinctWindows) -> Self {
        // Hour `reader.hour - age` is in h24 when `lo24 <= age <= lo24 + 23`, in d7 when
        // `lo7 <= age <= hi7`; ages are below 255 and the ranges are clamped to match.
        let base = reader.hour;
        let clamp = |x: i64| x.clamp(-1, 300) as i32;
        DistinctCounter {
            rc: reader.code as i32,
            lo24: clamp(base - win.hour),
            hi24: clamp(base - win.hour + 23),
            lo7: clamp(base - win.day * 24 - 23),
            hi7: clamp(base - (win.day - 6) * 24),
        }
    }

    /// Adds `by` (1, or `u32::MAX` to take one away) for each window entry `e` is in.
    #[inline(always)]
    fn add(&self, e: u32, c: &mut [[u32; 2]; 2], by: u32) {
        let [h24, d7] = self.windows(e as u16);
        let [c24, c7] = c;
        for (dir, (a, b)) in c24.iter_mut().zip(c7.iter_mut()).enumerate() {
            let at = 16 * (1 - dir);
            let (x, y) = (h24 >> at & 1, d7 >> at & 1);
            *a = a.wrapping_add(x.wrapping_mul(by));
            *b = b.wrapping_add(y.wrapping_mul(by));
        }
    }

    /// For the codes unit `codes` of an entry (in code high, out code low): whether each
    /// direction's hour is in `h24` and in `d7`, as bit 16 (in) and bit 0 (out) of each.
    #[inline(always)]
    fn windows(&self, codes: u16) -> [u32; 2] {
        let (mut h24, mut d7) = (0, 0);
        for (dir, shift) in [(0u32, 8u32), (1, 0)] {
            let code = i32::from((codes >> shift) as u8);
            let mut age = self.rc + 1 - code;
            age += (age >> 31) & CODE_MOD as i32;
            let valid = u32::from(code != 0);
            // `lo <= age <= hi` as one unsigned comparison (`hi >= lo` always).
            let in24 = valid
                & u32::from(age.wrapping_sub(self.lo24) as u32 <= self.hi24.wrapping_sub(self.lo24) as u32);
            let in7 = valid
                & u32::from(age.wrapping_sub(self.lo7) as u32 <= self.hi7.wrapping_sub(self.lo7) as u32);
            let at = 16 * (1 - dir);
            h24 |= in24 << at;
            d7 |= in7 << at;
        }
        [h24, d7]
    }

    /// Distinct counts of the entries in `words` (two units each, high first).
    ///
    /// Eight entries at a time in 16-bit lanes (ages are below 255 and the window bounds
    /// within -1..=300, so [`windows`](Self::windows)' arithmetic fits): the compiler
    /// turns each step into a few 8-lane vector operations, where the 32-bit version ran
    /// 4 lanes and left up to 3 entries to a scalar loop. A short last chunk is padded with
    /// code 0, which no window counts.
    fn count(&self, words: &[u16]) -> [[u32; 2]; 2] {
        const LANES: usize = 8;
        // A lane gains at most one per chunk: summed into `u32` every so many chunks.
        const BLOCK: usize = 2 * LANES * 4096;
        let rc1 = (self.rc + 1) as i16;
        let lo = [self.lo24 as i16, self.lo7 as i16];
        let span = [(self.hi24 - self.lo24) as u16, (self.hi7 - self.lo7) as u16];
        // `[window][dir]` per lane.
        let step = |codes: &[u16; LANES], acc: &mut [[[u16; LANES]; 2]; 2]| {
            for (l, &c) in codes.iter().enumerate() {
                for (dir, shift) in [(0, 8u32), (1, 0)] {
                    let code = ((c >> shift) & 0xff) as i16;
                    let mut age = rc1 - code;
                    age += (age >> 15) & CODE_MOD as i16;
                    let valid = u16::from(code != 0);
                    for w in 0..2 {
                        acc[w][dir][l] += valid & u16::from(age.wrapping_sub(lo[w]) as u16 <= span[w]);
                    }
                }
            }
        };
        let mut total = [[0u32; 2]; 2];
        for block in words.chunks(BLOCK) {
            let mut acc = [[[0u16; LANES]; 2]; 2];
            let chunks = block.chunks_exact(2 * LANES);
            let rest = chunks.remainder();
            for chunk in chunks {
                let mut codes = [0u16; LANES];
                for (c, e) in codes.iter_mut().zip(chunk.chunks_exact(2)) {
                    *c = e.get(1).copied().unwrap_or(0);
                }
                step(&codes, &mut acc);
            }
            if !rest.is_empty() {
                let mut codes = [0u16; LANES];
                for (c, e) in codes.iter_mut().zip(rest.chunks_exact(2)) {
                    *c = e.get(1).copied().unwrap_or(0);
                }
                step(&codes, &mut acc);
            }
            for (t, a) in total.iter_mut().zip(&acc) {
                for (t, a) in t.iter_mut().zip(a) {
                    *t += a.iter().map(|&x| u32::from(x)).sum::<u32>();
                }
            }
        }
        total
    }
}

/// The sum of the counters of `ring` (slot `t mod N` for each `t` in `(base - N, base]`)
/// whose `t` is in `from..=to`.
///
/// Over the whole ring, each slot's age behind `base` compared with the range: no
/// division, and no wrap-around loop whose length varies (that loop was ~1,200
/// instructions a payment of a large account, on the decision path).
#[inline]
fn ring_sum<const N: usize>(ring: &[u16; N], base: i64, (from, to): (i64, i64)) -> u32 {
    let n = N as i64;
    // Ages `base - to ..= base - from`, clamped to the ring's 0..N (an empty range stays
    // empty).
    let young = (base - to).clamp(0, n) as i32;
    let old = (base - from).clamp(-1, n - 1) as i32;
    let base_slot = base.rem_euclid(n) as i32;
    let mut total = 0;
    for (k, &c) in ring.iter().enumerate() {
        let mut age = base_slot - k as i32;
        age += (age >> 31) & N as i32;
        let inside = u32::from(young <= age) & u32::from(age <= old);
        total += u32::from(c) & inside.wrapping_neg();
    }
    total
}

/// The counterparties of an account with more than [`SMALL_MAX`]; see the module doc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LargeSet {
    table: Box<[u32]>,
    len: usize,
    /// The account's newest hour, which the rings are aligned to.
    base_hour: i64,
    /// `hours[dir][h mod 26]`: entries last seen in hour `h`, for `h` in `(base - 26, base]`
    /// (a window at a `now` at most an hour before `base` reaches back 24 hours from it).
    hours: [[u16; RING_HOURS as usize]; 2],
    /// `days[dir][d mod 8]`, for days `d` in `(base_day - 8, base_day]`.
    days: [[u16; RING_DAYS as usize]; 2],
}

impl LargeSet {
    /// A set holding `entries`, for an account whose newest hour is `base_hour`.
    pub fn new(entries: impl Iterator<Item = u32>, base_hour: i64, reader: &CodeReader) -> Self {
        let mut s = LargeSet {
            table: vec![0; (SMALL_MAX + 1) * 8 / 7 + 1].into_boxed_slice(),
            len: 0,
            base_hour,
            hours: [[0; RING_HOURS as usize]; 2],
            days: [[0; RING_DAYS as usize]; 2],
        };
        for e in entries {
            if s.insert(e) {
                for d in 0..2 {
                    if let Some(h) = reader.hour(code_of(e, d)) {
                        s.ring(d, h, 1);
                    }
                }
            }
        }
        s
    }

    /// A set holding nothing, without a table (a placeholder while sets are moved).
    pub fn empty() -> Self {
        LargeSet {
            table: Box::default(),
            len: 0,
            base_hour: 0,
            hours: [[0; RING_HOURS as usize]; 2],
            days: [[0; RING_DAYS as usize]; 2],
        }
    }

    /// Bytes on the heap and inline.
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.table.len() * 4
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn slots(&self) -> usize {
        self.table.len()
    }

    fn home(&self, fp: u16) -> usize {
        let mixed = u64::from(u32::from(fp).wrapping_mul(0x9e37_79b9));
        ((mixed * self.table.len() as u64) >> 32) as usize
    }

    /// The slot holding `fp`, or the empty slot where it would go (the table is never full).
    fn probe(&self, fp: u16) -> (usize, bool) {
        let n = self.table.len();
        let mut i = self.home(fp);
        for _ in 0..n {
            match self.table.get(i) {
                Some(&0) | None => return (i, false),
                Some(&e) if fp_of(e) == fp => return (i, true),
                Some(_) => i = if i + 1 == n { 0 } else { i + 1 },
            }
        }
        (i, false)
    }

    /// Adds an entry for a new fingerprint; false when there is no room.
    fn insert(&mut self, e: u32) -> bool {
        if (self.len + 1) * 8 > self.table.len() * 7 && !self.make_room() {
            return false;
        }
        let (i, _) = self.probe(fp_of(e));
        if let Some(slot) = self.table.get_mut(i) {
            *slot = e;
            self.len += 1;
        }
        true
    }

    /// Grows the table by a quarter (a table is 70-88 % full, so a large set costs little
    /// more than its entries), or at its largest evicts entries not seen for 8 days.
    fn make_room(&mut self) -> bool {
        let size = (self.table.len() + self.table.len() / 4).min(MAX_TABLE);
        let old = std::mem::replace(&mut self.table, vec![0; size].into_boxed_slice());
        let evict = size == MAX_TABLE;
        self.len = 0;
        for e in old.iter().copied().filter(|&e| e != 0 && !(evict && e & 0xffff == 0)) {
            let (i, _) = self.probe(fp_of(e));
            if let Some(slot) = self.table.get_mut(i) {
                *slot = e;
                self.len += 1;
            }
        }
        (self.len + 1) * 8 <= self.table.len() * 7
    }

    fn ring(&mut self, dir: usize, hour: i64, delta: i32) {
        let add = |c: &mut u16| *c = (i32::from(*c) + delta).clamp(0, i32::from(u16::MAX)) as u16;
        if hour > self.base_hour - RING_HOURS
            && hour <= self.base_hour
            && let Some(c) =
                self.hours.get_mut(dir).and_then(|r| r.get_mut(hour.rem_euclid(RING_HOURS) as usize))
        {
            add(c);
        }
        let (day, base_day) = (hour.div_euclid(24), self.base_hour.div_euclid(24));
        if day > base_day - RING_DAYS
            && day <= base_day
            && let Some(c) =
                self.days.get_mut(dir).and_then(|r| r.get_mut(day.rem_euclid(RING_DAYS) as usize))
        {
            add(c);
        }
    }

    /// Moves the rings forward to `new_hour`, first clearing codes that get too old (read
    /// against `old`) when the day changes.
    pub fn advance(&mut self, old: &CodeReader, new_hour: i64) {
        if new_hour <= self.base_hour {
            return;
        }
        if new_hour.div_euclid(24) != self.base_hour.div_euclid(24) {
            for e in self.table.iter_mut().filter(|e| **e != 0) {
                *e = forget(*e, old, new_hour);
            }
        }
        for h in (self.base_hour + 1)..=new_hour.min(self.base_hour + RING_HOURS) {
            for r in &mut self.hours {
                if let Some(c) = r.get_mut(h.rem_euclid(RING_HOURS) as usize) {
                    *c = 0;
                }
            }
        }
        let (old_day, new_day) = (self.base_hour.div_euclid(24), new_hour.div_euclid(24));
        for d in (old_day + 1)..=new_day.min(old_day + RING_DAYS) {
            for r in &mut self.days {
                if let Some(c) = r.get_mut(d.rem_euclid(RING_DAYS) as usize) {
                    *c = 0;
                }
            }
        }
        self.base_hour = new_hour;
    }

    /// As [`Small::observe`]; the rings stand in for the scan.
    pub fn observe(
        &mut self,
        fp: u16,
        dir: usize,
        pay_hour: Option<i64>,
        reader: &CodeReader,
        win: &DistinctWindows,
    ) -> Seen {
        let (i, found) = self.probe(fp);
        let new = !found;
        if found {
            let e = self.table.get(i).copied().unwrap_or(0);
            if let Some(h) = pay_hour {
                let old = reader.hour(code_of(e, dir));
                if old.is_none_or(|o| o < h) {
                    if let Some(o) = old {
                        self.ring(dir, o, -1);
                    }
                    self.ring(dir, h, 1);
                    if let Some(slot) = self.table.get_mut(i) {
                        *slot = with_code(e, dir, hour_code(h));
                    }
                }
            }
        } else if self.insert(Small::entry(fp, dir, pay_hour))
            && let Some(h) = pay_hour
        {
            self.ring(dir, h, 1);
        }
        Seen { new, distinct: self.distinct(win) }
    }

    pub fn distinct(&self, win: &DistinctWindows) -> [[u32; 2]; 2] {
        let base_day = self.base_hour.div_euclid(24);
        let h = ((win.hour - 23).max(self.base_hour - RING_HOURS + 1), win.hour.min(self.base_hour));
        let d = ((win.day - 6).max(base_day - RING_DAYS + 1), win.day.min(base_day));
        let [hi, ho] = &self.hours;
        let [di, dout] = &self.days;
        [
            [ring_sum(hi, self.base_hour, h), ring_sum(ho, self.base_hour, h)],
            [ring_sum(di, base_day, d), ring_sum(dout, base_day, d)],
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The 8-lane count is the sum of the per-entry flags it replaced.
        #[test]
        fn count_matches_entry_by_entry(
            entries in proptest::collection::vec(any::<(u16, u16)>(), 0..300),
            ref_hour in 0i64..100_000,
            back in -30i64..260,
        ) {
            let reader = CodeReader::new(ref_hour);
            let hour = ref_hour - back;
            let win = DistinctWindows { hour, day: hour.div_euclid(24) };
            let counter = DistinctCounter::new(&reader, &win);
            let words: Vec<u16> = entries.iter().flat_map(|&(fp, codes)| [fp, codes]).collect();
            let mut expect = [[0u32; 2]; 2];
            for &(_, codes) in &entries {
                counter.add(u32::from(codes), &mut expect, 1);
            }
            prop_assert_eq!(counter.count(&words), expect);
        }

        /// `ring_sum` is the loop over `from..=to` it replaced.
        #[test]
        fn ring_sum_matches_the_loop(
            ring in any::<[u16; RING_HOURS as usize]>(),
            base in -1000i64..100_000,
            from_back in -3i64..40,
            len in -3i64..40,
        ) {
            let n = RING_HOURS;
            let (from, to) = ((base - from_back).max(base - n + 1), (base - from_back + len).min(base));
            let mut expect = 0u32;
            for t in from..=to {
                expect += u32::from(ring[t.rem_euclid(n) as usize]);
            }
            prop_assert_eq!(ring_sum(&ring, base, (from, to)), expect);
        }
    }
}
