//! Tests of the feature store: examples, and the streaming state against a brute-force
//! recomputation over the full history with the same bucketing and lateness rules.

use super::*;
use proptest::prelude::*;
use sluice_core::admission::LATE_TOLERANCE_MICROS;
use sluice_core::time::{MICROS_PER_DAY, MICROS_PER_HOUR};

const IN: usize = 0;
const OUT: usize = 1;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

/// A party key whose fingerprint is `i + 1`: distinct keys never collide.
fn key(i: u64) -> u64 {
    ((i + 1) << 48) | (i * 7919)
}

fn ext(i: u64) -> Side {
    Side { account: None, key: key(i), created_at: None }
}

fn acct(idx: u32) -> Side {
    Side { account: Some(idx), key: key(10_000 + u64::from(idx)), created_at: None }
}

fn pay(t: Timestamp, amount: i64, payer: Side, payee: Side) -> Payment {
    Payment { ts: t, amount_minor: amount, payer, payee, device: None }
}

fn store() -> FeatureStore {
    FeatureStore::new(&FeatureConfig::default(), 2)
}

#[test]
fn account_header_is_32_bytes() {
    assert_eq!(std::mem::size_of::<Account>(), 32);
}

#[test]
fn one_payment_on_both_sides() {
    let mut s = store();
    let t = ts("2026-03-02T17:30:00Z"); // 01:30 in Shanghai: night
    let mut p = pay(t, 361_500, acct(0), acct(1));
    p.payer.created_at = Some(ts("2026-03-01T17:30:00Z"));
    let o = s.observe(&p);
    assert!(o.night && o.amount.pegged && !o.amount.round);
    let payer = o.payer.unwrap();
    let payee = o.payee.unwrap();
    let one = Flow { count: 1, sum_minor: 361_500, round: 0, pegged: 1, night: 1, new_counterparty: 1 };
    for f in [payer.h1, payer.h24, payer.d7] {
        assert_eq!(f, [Flow::default(), one]);
    }
    for f in [payee.h1, payee.h24, payee.d7] {
        assert_eq!(f, [one, Flow::default()]);
    }
    assert_eq!((payer.distinct_h24, payer.distinct_d7), ([0, 1], [0, 1]));
    assert_eq!((payee.distinct_h24, payee.distinct_d7), ([1, 0], [1, 0]));
    assert_eq!(payer.age_micros, Some(MICROS_PER_DAY));
    assert_eq!(payee.age_micros, None);
    assert_eq!(payer.pass_through_h24_minor, 0);
    // The sweep sees the same.
    assert_eq!(s.features_at(0, t, p.payer.created_at), payer);
    assert_eq!(s.features_at(1, t, None), payee);
    // A second payment to the same counterparty, the other way: not new.
    let o = s.observe(&pay(t, 100, acct(1), acct(0)));
    assert_eq!(o.payer.unwrap().d7[OUT].new_counterparty, 0);
    assert_eq!(o.payee.unwrap().distinct_d7, [1, 1]);
}

#[test]
fn ext_sides_hold_no_state() {
    let mut s = store();
    let o = s.observe(&pay(ts("2026-03-02T08:00:00Z"), 5_000, ext(1), acct(0)));
    assert!(o.payer.is_none());
    assert_eq!(o.payee.unwrap().d7[IN].count, 1);
    assert_eq!(s.accounts(), 2);
}

#[test]
fn pass_through_is_outflow_covered_by_recent_unspent_inflow() {
    let mut s = store();
    let a = acct(0);
    let at = |x: &str| ts(&format!("2026-03-02T{x}Z"));
    s.observe(&pay(at("10:10:00"), 10_000, ext(1), a));
    // 10:50: 6,000 out, all covered.
    let f = s.observe(&pay(at("10:50:00"), 6_000, a, ext(2))).payer.unwrap();
    assert_eq!(f.pass_through_h24_minor, 6_000);
    // 11:20: 6,000 out, 4,000 of the inflow left.
    let f = s.observe(&pay(at("11:20:00"), 6_000, a, ext(3))).payer.unwrap();
    assert_eq!(f.pass_through_h24_minor, 10_000);
    assert!((f.pass_through_share_h24() - 10_000.0 / 12_000.0).abs() < 1e-12);
    // 12:05: hour 10 is out of the 2-hour span (hours 11 and 12): nothing covers it.
    s.observe(&pay(at("12:01:00"), 1_000, ext(4), a));
    let f = s.observe(&pay(at("12:05:00"), 3_000, a, ext(5))).payer.unwrap();
    assert_eq!(f.pass_through_h24_minor, 10_000);
    // The 11:20 payment is in the last hour's minutes; its 4,000 passed through.
    assert_eq!(f.pass_through_h1_minor, 4_000);
}

#[test]
fn devices_and_accounts_per_device() {
    let mut s = store();
    let t = ts("2026-03-02T08:00:00Z");
    let with = |payer: u32, device: u64| Payment { device: Some(device), ..pay(t, 100, acct(payer), ext(9)) };
    assert_eq!(s.observe(&with(0, 77)).accounts_on_device, 1);
    assert_eq!(s.observe(&with(0, 77)).accounts_on_device, 1);
    let o = s.observe(&with(1, 77));
    assert_eq!(o.accounts_on_device, 2);
    assert_eq!(o.payer.unwrap().devices, 1);
    let o = s.observe(&with(1, 78));
    assert_eq!(o.payer.unwrap().devices, 2);
    assert_eq!(s.observe(&with(1, 77)).accounts_on_device, 2);
    assert_eq!(s.features_at(1, t, None).devices, 2);
}

#[test]
fn busy_buckets_widen_and_stay_exact() {
    let mut s = store();
    let t = ts("2026-03-02T08:00:00Z");
    for k in 0..100i64 {
        s.observe(&pay(t, 3_000_000 + k, acct(0), ext(k as u64 % 7)));
    }
    let f = s.features_at(0, t, None);
    assert_eq!(f.h1[OUT].count, 100);
    assert_eq!(f.h1[OUT].sum_minor, 300_000_000 + 4950);
    assert_eq!(f.h1[OUT].new_counterparty, 7);
    assert_eq!(f.distinct_h24[OUT], 7);
}

#[test]
fn many_counterparties_move_to_a_large_set() {
    let mut s = store();
    let t0 = ts("2026-03-02T08:00:00Z");
    for k in 0..300u64 {
        let t = t0.saturating_add_micros(k as i64 * 20 * MICROS_PER_MINUTE);
        let f = s.observe(&pay(t, 100, ext(k % 200), acct(0))).payee.unwrap();
        assert_eq!(f.counterparties, (k + 1).min(200) as u32);
        assert_eq!(f.d7[IN].new_counterparty, (k + 1).min(200) as u32, "{k}");
        // 3 payments an hour, each from another counterparty.
        assert_eq!(f.distinct_h24[IN], f.h24[IN].count);
    }
    assert!(s.accounts[0].large);
}

#[test]
fn every_large_set_is_found_again() {
    // The second account to move to a large set once read its table index back with the
    // halves swapped and lost its counterparties.
    let mut s = store();
    let t0 = ts("2026-03-02T08:00:00Z");
    for k in 0..600u64 {
        let t = t0.saturating_add_micros(k as i64 * MICROS_PER_MINUTE);
        let f = s.observe(&pay(t, 100, ext(k / 2), acct((k % 2) as u32))).payee.unwrap();
        assert_eq!(f.counterparties, (k / 2 + 1) as u32, "{k}");
        assert_eq!(f.d7[IN].new_counterparty, (k / 2 + 1) as u32, "{k}");
    }
    assert!(s.accounts[0].large && s.accounts[1].large);
}

/// A 64-bit key from a seed: what real party keys look like.
fn random_key(i: u64) -> u64 {
    FixedState::with_seed(42).hash_one(i)
}

#[test]
fn distinct_counts_are_within_the_stated_error() {
    // k distinct counterparties out of n retained miss about k·n / 131,070 on average.
    let t = ts("2026-03-02T08:00:00Z");
    for (n, seed) in [(40u64, 0u64), (64, 1), (500, 2), (3_000, 3), (20_000, 4)] {
        let mut s = store();
        for i in 0..n {
            let cp = Side { account: None, key: random_key(seed << 32 | i), created_at: None };
            s.observe(&pay(t, 100, cp, acct(0)));
        }
        let f = s.features_at(0, t, None);
        let expected_miss = (n * n) as f64 / 131_070.0;
        let miss = n as f64 - f64::from(f.distinct_h24[IN]);
        assert!(
            miss >= 0.0 && miss <= 2.0 * expected_miss + 3.0,
            "n {n}: missed {miss}, expected {expected_miss}"
        );
        assert_eq!(f.distinct_h24, f.distinct_d7);
        // New-counterparty counts miss the same collisions.
        assert_eq!(f64::from(f.d7[IN].new_counterparty), n as f64 - miss);
    }
}

// ---- The oracle: every feature recomputed from the full history. ----

#[derive(Debug, Clone, Copy)]
struct Event {
    t: i64,
    amount: i64,
    dir: usize,
    cp: u64,
    class: AmountClass,
    night: bool,
    new: bool,
    passed: u64,
}

fn night_oracle(t: i64) -> bool {
    let z = jiff::Timestamp::from_microsecond(t)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap());
    z.hour() < 6
}

fn within(t: i64, now: i64, g: i64, len: i64) -> bool {
    let (i, n) = (t.div_euclid(g), now.div_euclid(g));
    n - len < i && i <= n
}

/// The features of one account's `history` at `now`, by the module doc's definitions.
fn oracle(history: &[Event], now: i64) -> PartyFeatures {
    let mut f = PartyFeatures::default();
    let mut sets = [[std::collections::HashSet::new(), std::collections::HashSet::new()], Default::default()];
    for e in history {
        let add = |w: &mut Flow| {
            w.count += 1;
            w.sum_minor = w.sum_minor.saturating_add(u64::try_from(e.amount).unwrap_or(0));
            w.round += u32::from(e.class.round);
            w.pegged += u32::from(e.class.pegged);
            w.night += u32::from(e.night);
            w.new_counterparty += u32::from(e.new);
        };
        let windows = [
            within(e.t, now, MICROS_PER_MINUTE, 60),
            within(e.t, now, MICROS_PER_HOUR, 24),
            within(e.t, now, MICROS_PER_DAY, 7),
        ];
        let flows = [&mut f.h1, &mut f.h24, &mut f.d7];
        for (flow, inside) in flows.into_iter().zip(windows) {
            if inside {
                add(&mut flow[e.dir]);
            }
        }
        let passes =
            [&mut f.pass_through_h1_minor, &mut f.pass_through_h24_minor, &mut f.pass_through_d7_minor];
        for (p, inside) in passes.into_iter().zip(windows) {
            if inside {
                *p += e.passed;
            }
        }
        if windows[1] {
            sets[0][e.dir].insert(e.cp);
        }
        if windows[2] {
            sets[1][e.dir].insert(e.cp);
        }
    }
    f.distinct_h24 = [sets[0][0].len() as u32, sets[0][1].len() as u32];
    f.distinct_d7 = [sets[1][0].len() as u32, sets[1][1].len() as u32];
    f.counterparties = history.iter().map(|e| e.cp).collect::<std::collections::HashSet<_>>().len() as u32;
    f
}

/// How far the next payment is from the newest one so far.
#[derive(Debug, Clone)]
enum Step {
    Ahead(i64),
    Late(i64),
    VeryLate(i64),
}

fn step() -> impl Strategy<Value = Step> {
    let tol = LATE_TOLERANCE_MICROS;
    prop_oneof![
        4 => (0..MICROS_PER_MINUTE).prop_map(Step::Ahead),
        3 => (0..15 * MICROS_PER_MINUTE).prop_map(Step::Ahead),
        2 => (0..2 * MICROS_PER_HOUR).prop_map(Step::Ahead),
        1 => (0..36 * MICROS_PER_HOUR).prop_map(Step::Ahead),
        3 => prop_oneof![Just(tol), 0..=tol].prop_map(Step::Late),
        1 => (tol + 1..10 * MICROS_PER_DAY).prop_map(Step::VeryLate),
    ]
}

fn base() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(ts("2026-03-01T16:00:00Z").as_micros()),
        -20 * MICROS_PER_DAY..-MICROS_PER_DAY,
        // Somewhere in the year 2990, where 2^29 minutes wrap (no special case here).
        ((1i64 << 29) - 6 * 1440) * MICROS_PER_MINUTE..((1i64 << 29) + 1440) * MICROS_PER_MINUTE,
    ]
}

fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        1i64..100_000,
        Just(10_000i64),
        (1i64..20).prop_map(|k| k * 50 * 723),
        1i64..=99_999_999_999_999,
    ]
}

/// Replays `events` (step, amount, account 0 pays?, counterparty, counterparty is account 1?)
/// through the store and the oracle, comparing after every payment.
fn check(
    base: i64,
    events: Vec<(Step, i64, bool, u64, bool)>,
    later: i64,
    pass_hours: u8,
) -> Result<(), TestCaseError> {
    let cfg = FeatureConfig { pass_through_hours: pass_hours, ..FeatureConfig::default() };
    let mut s = FeatureStore::new(&cfg, 2);
    let rules = AmountRules::default();
    let mut hist: [Vec<Event>; 2] = [Vec::new(), Vec::new()];
    let mut newest_min = [i64::MIN; 2];
    let mut newest = base;
    let mut global_newest = base;
    for (step, amount, out, cp, with_b) in events {
        let t = match step {
            Step::Ahead(d) => newest + d,
            Step::Late(d) | Step::VeryLate(d) => newest - d,
        };
        newest = newest.max(t);
        global_newest = global_newest.max(t);
        let a = acct(0);
        let other = if with_b { acct(1) } else { ext(cp) };
        let (payer, payee) = if out { (a, other) } else { (other, a) };
        let o = s.observe(&pay(Timestamp::from_micros(t).unwrap(), amount, payer, payee));
        let class = rules.classify(amount);
        let night = night_oracle(t);
        // Each platform side, as (account, its direction, its counterparty key, features).
        let mut sides = vec![(0usize, usize::from(out), other.key, if out { o.payer } else { o.payee })];
        if with_b {
            sides.push((1, usize::from(!out), a.key, if out { o.payee } else { o.payer }));
        }
        for (who, dir, cp_key, got) in sides {
            let m = t.div_euclid(MICROS_PER_MINUTE);
            newest_min[who] = newest_min[who].max(m);
            let exact = m >= newest_min[who] - GRACE_MINUTES;
            let h = &mut hist[who];
            let new = !h.iter().any(|e| e.cp == cp_key);
            let passed = if dir == OUT && exact {
                let span = |e: &&Event| within(e.t, t, MICROS_PER_HOUR, i64::from(pass_hours));
                let sum = |d: usize| {
                    h.iter().filter(|e| e.dir == d).filter(span).map(|e| e.amount as i128).sum::<i128>()
                };
                (sum(IN) - sum(OUT)).max(0).min(amount as i128) as u64
            } else {
                0
            };
            // A payment no exact `now` can see is dropped by the store; it is then never
            // inside a compared window, but it still marks its counterparty as seen.
            h.push(Event { t, amount, dir, cp: cp_key, class, night, new, passed });
            let got = got.unwrap();
            if exact {
                let mut want = oracle(h, t);
                // Distinct counts at a `now` before the newest hour are approximate.
                if t.div_euclid(MICROS_PER_HOUR) < newest_min[who].div_euclid(60) {
                    want.distinct_h24 = got.distinct_h24;
                    want.distinct_d7 = got.distinct_d7;
                }
                prop_assert_eq!(got, want, "observe, account {}, t {}, {} events", who, t, h.len());
            }
            // The sweep at the newest payment, later, and the earliest exact `now`.
            let newest_us = newest_min[who] * MICROS_PER_MINUTE;
            for now in [newest_us, newest_us + later] {
                let got = s.features_at(who as u32, Timestamp::from_micros(now).unwrap(), None);
                prop_assert_eq!(got, oracle(h, now), "features_at account {} now {}", who, now);
            }
            let earliest = (newest_min[who] - GRACE_MINUTES) * MICROS_PER_MINUTE;
            let mut got = s.features_at(who as u32, Timestamp::from_micros(earliest).unwrap(), None);
            let want = oracle(h, earliest);
            got.distinct_h24 = want.distinct_h24;
            got.distinct_d7 = want.distinct_d7;
            prop_assert_eq!(got, want, "features_at account {} earliest exact", who);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn features_match_the_full_history(
        base in base(),
        events in prop::collection::vec((step(), amount(), any::<bool>(), 0u64..12, prop::bool::weighted(0.3)), 1..250),
        later in 0..3 * MICROS_PER_HOUR,
        pass_hours in prop_oneof![Just(2u8), 1u8..=24],
    ) {
        check(base, events, later, pass_hours)?;
    }

    #[test]
    fn features_match_the_full_history_with_many_counterparties(
        base in base(),
        events in prop::collection::vec((step(), amount(), any::<bool>(), 0u64..150, prop::bool::weighted(0.1)), 100..300),
        later in 0..3 * MICROS_PER_HOUR,
    ) {
        check(base, events, later, 2)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Two parts of a split store, each observing the sides it holds (the first with the
    /// device table), give exactly the whole store's features, and join back into its state.
    #[test]
    fn split_parts_observe_as_the_whole(
        events in prop::collection::vec(
            (step(), amount(), 0u32..7, 0u32..7, 0u64..5, prop::option::of(0u64..4)),
            1..200,
        ),
        split_after in 0usize..50,
    ) {
        let mut whole = store();
        let mut parts: Option<[FeatureStore; 2]> = None;
        let mut pending = Some(store());
        let mut newest = ts("2026-03-01T16:00:00Z").as_micros();
        for (k, (step, amount, a, b, cp, device)) in events.into_iter().enumerate() {
            let t = match step {
                Step::Ahead(d) => newest + d,
                Step::Late(d) | Step::VeryLate(d) => newest - d,
            };
            newest = newest.max(t);
            // Accounts 0..5; 5 and 6 stand for outside parties.
            let side = |i: u32| if i < 5 { acct(i) } else { ext(cp + u64::from(i)) };
            let mut p = pay(Timestamp::from_micros(t).unwrap(), amount, side(a), side(b));
            p.device = device.map(|d| key(500 + d));
            let want = whole.observe(&p);
            if k == split_after && let Some(s) = pending.take() {
                parts = Some(s.split());
            }
            let got = match (&mut parts, &mut pending) {
                (Some([first, second]), _) => {
                    let partial = first.observe_part(&p, None);
                    second.observe_part(&p, Some(&partial)).observed
                }
                (None, Some(s)) => s.observe(&p),
                (None, None) => unreachable!(),
            };
            prop_assert_eq!(got, want);
        }
        let joined = match (parts, pending) {
            (Some(p), _) => FeatureStore::join(p),
            (None, Some(s)) => s,
            (None, None) => unreachable!(),
        };
        let now = Timestamp::from_micros(newest).unwrap();
        for i in 0..5 {
            prop_assert_eq!(joined.features_at(i, now, None), whole.features_at(i, now, None));
            prop_assert_eq!(joined.bytes_by_use(i), whole.bytes_by_use(i));
        }
        prop_assert_eq!(joined.census(), whole.census());
    }
}

#[test]
fn split_keeps_large_counterparty_sets() {
    let mut whole = store();
    let mut before = store();
    let t0 = ts("2026-03-02T08:00:00Z");
    let at = |k: u64| t0.saturating_add_micros(k as i64 * 7 * MICROS_PER_MINUTE);
    for k in 0..300u64 {
        // Accounts 1 and 2 both get large sets; account 3 a small one.
        let p = pay(at(k), 100, ext(k), acct(1 + (k % 3) as u32));
        whole.observe(&p);
        before.observe(&p);
    }
    let [mut even, mut odd] = before.split();
    for k in 300..400u64 {
        let p = pay(at(k), 100, ext(k % 250), acct(1 + (k % 3) as u32));
        let want = whole.observe(&p);
        let partial = even.observe_part(&p, None);
        assert_eq!(odd.observe_part(&p, Some(&partial)).observed, want);
    }
    let joined = FeatureStore::join([even, odd]);
    for i in 0..4 {
        assert_eq!(joined.features_at(i, at(400), None), whole.features_at(i, at(400), None));
    }
    assert_eq!(joined.census(), whole.census());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The two lanes' stores (`split_lanes`: accounts by parity, devices by key), each
    /// keeping the devices and sides it holds, give exactly the whole store's features,
    /// and join back into a store that goes on as the whole one.
    #[test]
    fn lanes_observe_as_the_whole(
        events in prop::collection::vec(
            (step(), amount(), 0u32..7, 0u32..7, 0u64..5, prop::option::of(0u64..6)),
            1..200,
        ),
        split_after in 0usize..50,
        join_after in 50usize..150,
    ) {
        let mut whole = store();
        let mut lanes: Option<[FeatureStore; 2]> = None;
        let mut single = Some(store());
        let mut newest = ts("2026-03-01T16:00:00Z").as_micros();
        for (k, (step, amount, a, b, cp, device)) in events.into_iter().enumerate() {
            let t = match step {
                Step::Ahead(d) => newest + d,
                Step::Late(d) | Step::VeryLate(d) => newest - d,
            };
            newest = newest.max(t);
            let side = |i: u32| if i < 5 { acct(i) } else { ext(cp + u64::from(i)) };
            let mut p = pay(Timestamp::from_micros(t).unwrap(), amount, side(a), side(b));
            p.device = device.map(|d| key(700 + d));
            let want = whole.observe(&p);
            if k == split_after && let Some(s) = single.take() {
                lanes = Some(s.split_lanes());
            }
            if k == join_after && let Some(l) = lanes.take() {
                single = Some(FeatureStore::join_lanes(l));
            }
            let got = match (&mut lanes, &mut single) {
                (Some(parts), _) => {
                    let (amount, night) = parts[0].classify(&p);
                    let dev = p
                        .device
                        .and_then(|d| parts[FeatureStore::device_lane(d)].observe_device(&p))
                        .unwrap_or((0, false));
                    let mut held = [[None, None]; 2];
                    for (part, out) in parts.iter_mut().zip(held.iter_mut()) {
                        part.observe_held(&p, amount, night, dev.1, out);
                    }
                    let [x, y] = held;
                    Observed { payer: x[0].or(y[0]), payee: x[1].or(y[1]), accounts_on_device: dev.0, amount, night }
                }
                (None, Some(s)) => s.observe(&p),
                (None, None) => unreachable!(),
            };
            prop_assert_eq!(got, want);
        }
        let joined = match (lanes, single) {
            (Some(l), _) => FeatureStore::join_lanes(l),
            (None, Some(s)) => s,
            (None, None) => unreachable!(),
        };
        let now = Timestamp::from_micros(newest).unwrap();
        for i in 0..5 {
            prop_assert_eq!(joined.features_at(i, now, None), whole.features_at(i, now, None));
        }
        prop_assert_eq!(joined.census(), whole.census());
    }
}
