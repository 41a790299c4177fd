//! A day's events in delivery order, moved once: a counting scatter into buckets of
//! delivery time, then a sort within each bucket.
//!
//! The events come in segments (the events held over from earlier days, each shard of
//! ordinary life, the crypto operations), taken in that order as one sequence; the order
//! wanted is the stable order by delivery key (by key, ties in sequence order). Each segment
//! counts its events per bucket of key, the counts give every (bucket, segment) pair its
//! place, and each segment copies its events there in parallel: a bucket then holds its
//! events in sequence order, and sorting each bucket by (key, position) gives the stable
//! order of the whole day. A bucket holds a few thousand events, so its sort runs in a
//! core's cache, and the formatter then reads the day front to back. Nothing depends on
//! the thread count or the bucket width: the result is the one stable order.

use crate::event::Event;
use rayon::prelude::*;

/// Events per bucket aimed at: a bucket's events and keys stay in a core's L2 cache while
/// they are sorted, and the scatter writes to few enough buckets at once to stay cached.
const BUCKET_EVENTS: u128 = 4096;

/// Bits of a bucket position in a packed sort word; the key offset gets the rest.
const POSITION_BITS: u32 = 24;

/// Fills the slots of `today` before the scatter overwrites them.
const BLANK: Event = Event {
    ts: 0,
    amount: 0,
    payer: 0,
    payee: 0,
    device: 0,
    memo: 0,
    channel: sluice_core::Channel::P2p,
    crypto: false,
};

/// Puts the events of `segments` dated from `from` into `today`, those keyed before
/// `day_end` (exactly the events dated before it), in the stable order of `key`, and the
/// rest into `later`, in the same order. `base` is the start of the day: keys before it all
/// share the first bucket.
pub(crate) fn deliver(
    segments: &[&[Event]],
    from: i64,
    base: i64,
    day_end: i64,
    key: impl Fn(&Event) -> i64 + Sync,
    today: &mut Vec<Event>,
    later: &mut Vec<Event>,
) {
    let total: usize = segments.iter().map(|s| s.len()).sum();
    let span = u64::try_from(day_end - base).unwrap_or(0).max(1);
    // Buckets 2^shift µs wide, about BUCKET_EVENTS events each; the last one (`open`) holds
    // what is delivered after today.
    let width = (u128::from(span) * BUCKET_EVENTS / total.max(1) as u128).clamp(1, 1 << 40) as u64;
    let shift = 63 - width.leading_zeros();
    let open = ((span - 1) >> shift) as usize + 1;
    let bucket = |e: &Event| -> Option<usize> {
        if e.ts < from {
            return None;
        }
        let k = key(e);
        Some(if k >= day_end { open } else { (u64::try_from(k - base).unwrap_or(0) >> shift) as usize })
    };
    let counts: Vec<Vec<usize>> = segments
        .par_iter()
        .map(|seg| {
            let mut c = vec![0usize; open + 1];
            for e in *seg {
                if let Some(n) = bucket(e).and_then(|b| c.get_mut(b)) {
                    *n += 1;
                }
            }
            c
        })
        .collect();
    let totals: Vec<usize> = (0..=open).map(|b| counts.iter().map(|c| c[b]).sum()).collect();
    let placed: usize = totals.iter().sum();
    today.clear();
    today.resize(placed, BLANK);

    // Each segment's slots in each bucket: bucket after bucket, segment after segment.
    let mut slots: Vec<Vec<std::slice::IterMut<'_, Event>>> =
        segments.iter().map(|_| Vec::with_capacity(open + 1)).collect();
    let mut rest: &mut [Event] = today;
    for b in 0..=open {
        for (s, c) in slots.iter_mut().zip(&counts) {
            let (piece, r) = std::mem::take(&mut rest).split_at_mut(c[b]);
            s.push(piece.iter_mut());
            rest = r;
        }
    }
    slots.into_par_iter().zip(segments.par_iter()).for_each(|(mut slots, seg)| {
        for e in *seg {
            if let Some(slot) = bucket(e).and_then(|b| slots.get_mut(b)).and_then(Iterator::next) {
                *slot = *e;
            }
        }
    });

    // Each bucket sorted by (key, position): its events are in sequence order.
    let mut buckets: Vec<&mut [Event]> = Vec::with_capacity(open + 1);
    let mut rest: &mut [Event] = today;
    for &t in &totals {
        let (b, r) = std::mem::take(&mut rest).split_at_mut(t);
        buckets.push(b);
        rest = r;
    }
    buckets.into_par_iter().for_each_init(
        || (Vec::<i64>::new(), Vec::<u64>::new(), Vec::<(i64, u32)>::new(), Vec::<Event>::new()),
        |(keys, packed, pairs, copy), b| {
            keys.clear();
            keys.extend(b.iter().map(&key));
            if keys.is_sorted() {
                return;
            }
            copy.clear();
            copy.extend_from_slice(b);
            let (lo, hi) = keys.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &k| (lo.min(k), hi.max(k)));
            // As one word (key after the bucket's least, position) whenever it fits, which
            // is every ordinary bucket: one comparison instead of two.
            let fits = u64::try_from(hi.wrapping_sub(lo)).is_ok_and(|span| span >> (64 - POSITION_BITS) == 0)
                && b.len() >> POSITION_BITS == 0;
            if fits {
                packed.clear();
                packed.extend(keys.iter().zip(0u64..).map(|(&k, i)| ((k - lo) as u64) << POSITION_BITS | i));
                packed.sort_unstable();
                for (slot, &p) in b.iter_mut().zip(packed.iter()) {
                    if let Some(e) = copy.get((p & ((1 << POSITION_BITS) - 1)) as usize) {
                        *slot = *e;
                    }
                }
            } else {
                pairs.clear();
                pairs.extend(keys.iter().zip(0u32..).map(|(&k, i)| (k, i)));
                pairs.sort_unstable();
                for (slot, &(_, i)) in b.iter_mut().zip(pairs.iter()) {
                    if let Some(e) = copy.get(i as usize) {
                        *slot = *e;
                    }
                }
            }
        },
    );
    let n_today = placed - totals[open];
    later.clear();
    later.extend_from_slice(&today[n_today..]);
    today.truncate(n_today);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::mix;

    /// The stable order by key, the plain way.
    fn reference(
        segments: &[&[Event]],
        from: i64,
        day_end: i64,
        key: impl Fn(&Event) -> i64,
    ) -> (Vec<Event>, Vec<Event>) {
        let mut all: Vec<(i64, usize, Event)> = segments
            .iter()
            .flat_map(|s| s.iter())
            .enumerate()
            .filter(|(_, e)| e.ts >= from)
            .map(|(i, e)| (key(e), i, *e))
            .collect();
        all.sort_by_key(|&(k, i, _)| (k, i));
        let cut = all.partition_point(|&(k, _, _)| k < day_end);
        let events = |v: &[(i64, usize, Event)]| v.iter().map(|x| x.2).collect::<Vec<_>>();
        (events(&all[..cut]), events(&all[cut..]))
    }

    #[test]
    fn the_stable_order_by_key_whatever_the_sizes() {
        let base = 1_000_000_000_000i64;
        let day = 86_400_000_000i64;
        for (n, segs) in [(0usize, 3usize), (1, 1), (7, 2), (5_000, 66), (100_000, 66), (50_000, 5)] {
            let mut all = Vec::new();
            for i in 0..n {
                let h = mix(i as u64 ^ n as u64);
                // Clustered times (many ties), some after the day, a few before the start.
                let ts = match h % 50 {
                    0 => base + day + (h >> 20) as i64 % day,
                    1 => base - 1 - (h >> 20) as i64 % 1000,
                    // Far later: the held-over bucket no longer packs into words.
                    2 if n % 2 == 0 => base + (1 << 50) + (h >> 20) as i64 % 1000,
                    _ => base + ((h >> 8) as i64 % day) / 1_000_000 * 1_000_000,
                };
                all.push(Event { ts, amount: i as i64, payer: i as u32, ..BLANK });
            }
            let cuts: Vec<usize> = (0..=segs).map(|s| s * n / segs).collect();
            let segments: Vec<&[Event]> = cuts.windows(2).map(|w| &all[w[0]..w[1]]).collect();
            let day_end = base + day;
            // Some keys are late, but never past the day's end.
            let key = |e: &Event| {
                if e.ts >= day_end {
                    e.ts
                } else if e.amount % 7 == 0 {
                    (e.ts + 3_000_000_000).min(day_end - 1)
                } else {
                    e.ts
                }
            };
            let (want_today, want_later) = reference(&segments, base, day_end, key);
            let (mut today, mut later) = (vec![BLANK; 3], vec![BLANK; 2]);
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                pool.install(|| deliver(&segments, base, base, day_end, key, &mut today, &mut later));
                assert!(today == want_today, "{n} events in {segs} segments, {threads} threads");
                assert!(later == want_later, "{n} events in {segs} segments, {threads} threads (later)");
            }
        }
    }
}
