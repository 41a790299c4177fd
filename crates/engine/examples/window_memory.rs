//! Memory and speed of per-account state over a simulated week (developer tool):
//!
//! ```sh
//! cargo run --release -p sluice -- simulate --population 1000000 --days 7 --out-dir /tmp/sim1m
//! cargo run --release -p sluice-engine --example window_memory -- /tmp/sim1m
//! ```
//! Reads `accounts.csv` and `transactions.csv` from the directory, prepares every payment
//! (dense indexes, party and device keys) outside the timed loops, then replays the week:
//!
//! - once untimed, printing what the state holds at the end (records by size, large
//!   counterparty sets) and what a payment's sides hold when it arrives;
//! - through `FeatureStore::observe` (both sides, every feature), printing bytes of state
//!   per account in parts (headers, account storage, large counterparty sets, device
//!   tables; hash tables at their allocated size; allocator overhead not included, estimated
//!   separately) and nanoseconds per payment (CPU time of the thread from
//!   `/proc/thread-self/schedstat`, not wall time);
//! - through the older `AccountWindows` (`record` + `totals` per side), for comparison;
//! - with `labels_transactions.csv` and `labels_accounts.csv` present, the pegged-amount
//!   rule's false-positive rate on normal payments and hit rate on OTC payments.
//!
//! The replays alternate (`--rounds N`, default 3; `--no-compare` skips `AccountWindows`)
//! and the median is printed; the machine is noisy. The timed `observe` loop first calls
//! `FeatureStore::prefetch` with the payment `--prefetch-distance` ahead (default 1) and
//! `prefetch_early` with the one twice as far, as a caller that knows them can (`--no-prefetch`
//! leaves both out); `--no-census` skips the untimed first replay. Results are quoted in
//! the doc of `sluice_engine::features`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a developer tool: failures should be loud")]

use sluice_core::admission::AccountBook;
use sluice_core::{Account, Party, Transaction};
use sluice_engine::features::amounts::AmountRules;
use sluice_engine::features::{FeatureConfig, FeatureStore, Payment};
use sluice_engine::windows::{AccountWindows, Direction};
use sluice_io::{ReadItem, RecordReader};
use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

/// Nanoseconds this thread has run on a CPU (`/proc/thread-self/schedstat`): unlike the
/// wall clock, not inflated by other processes on a busy machine.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: window_memory DIR [--rounds N] [--no-compare] [--no-census] [--no-prefetch] [--prefetch-distance N]");
    let mut rounds = 3;
    let mut compare = true;
    let mut census = true;
    let mut prefetch = true;
    let mut distance = 1;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => rounds = args.next().and_then(|n| n.parse().ok()).expect("--rounds N"),
            "--no-compare" => compare = false,
            "--no-census" => census = false,
            "--no-prefetch" => prefetch = false,
            "--prefetch-distance" => {
                distance = args.next().and_then(|n| n.parse().ok()).expect("--prefetch-distance N");
            }
            _ => {
                eprintln!("unknown argument `{a}`");
                std::process::exit(2);
            }
        }
    }
    let dir = Path::new(&dir);
    let started = Instant::now();
    let mut book = AccountBook::new();
    let mut reader = RecordReader::<Account>::open(&dir.join("accounts.csv")).unwrap();
    while let Some(item) = reader.next_item().unwrap() {
        if let ReadItem::Record(a, _) = item {
            book.insert(&a).unwrap();
        }
    }
    let mut reader = RecordReader::<Transaction>::open(&dir.join("transactions.csv")).unwrap();
    let mut payments = Vec::new();
    let mut tx_ids = Vec::new();
    let index = |p: &Party| p.account().and_then(|a| book.get(a.as_str()));
    while let Some(item) = reader.next_item().unwrap() {
        if let ReadItem::Record(tx, _) = item {
            payments.push(Payment::of(&tx, index(&tx.payer), index(&tx.payee), &book));
            tx_ids.push((
                tx.tx_id.as_str().to_string(),
                tx.payer.as_str().to_string(),
                tx.payee.as_str().to_string(),
            ));
        }
    }
    let n_accounts = book.len();
    eprintln!("read {} payments, {n_accounts} accounts in {:.1?}", payments.len(), started.elapsed());

    if census {
        // What a payment's sides hold when it arrives, weighted by payments.
        let mut store = FeatureStore::new(&FeatureConfig::default(), n_accounts);
        let (mut rec, mut cp, mut sides) = (0usize, 0usize, 0usize);
        for p in &payments {
            for a in [p.payer.account, p.payee.account].into_iter().flatten() {
                let (r, c, _) = store.bytes_by_use(a);
                rec += r;
                cp += c;
                sides += 1;
            }
            store.observe(p);
        }
        let c = store.census();
        println!(
            "  at the end: records {} small, {} narrow, {} wide ({} pass-through); {} large counterparty sets, {} entries in {} slots",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6]
        );
        println!(
            "  per platform side at arrival: {:.1} record bytes, {:.1} counterparty bytes",
            rec as f64 / sides as f64,
            cp as f64 / sides as f64
        );
    }
    let mut feature_ns = Vec::new();
    let mut window_ns = Vec::new();
    let mut bytes = 0;
    let mut large = 0;
    let mut parts = [0; 4];
    let mut words_by_use = [0; 3];
    for _ in 0..rounds {
        let mut store = FeatureStore::new(&FeatureConfig::default(), n_accounts);
        let t = cpu_ns();
        for (i, p) in payments.iter().enumerate() {
            if prefetch {
                if let Some(next) = payments.get(i + 2 * distance) {
                    store.prefetch_early(next);
                }
                if let Some(next) = payments.get(i + distance) {
                    store.prefetch(next);
                }
            }
            black_box(store.observe(p));
        }
        feature_ns.push((cpu_ns() - t) as f64 / payments.len() as f64);
        bytes = store.bytes();
        parts = store.bytes_by_part();
        let (mut recs, mut cps, mut slack) = (0usize, 0usize, 0usize);
        for a in 0..n_accounts as u32 {
            let (r, c, s) = store.bytes_by_use(a);
            recs += r;
            cps += c;
            slack += s;
        }
        words_by_use = [recs, cps, slack];
        large = store.allocations();
        drop(store);

        if !compare {
            continue;
        }
        let mut windows = vec![AccountWindows::new(); n_accounts];
        let t = cpu_ns();
        for p in &payments {
            for (side, dir) in [(p.payer.account, Direction::Out), (p.payee.account, Direction::In)] {
                if let Some(w) = side.and_then(|a| windows.get_mut(a as usize)) {
                    w.record(p.ts, p.amount_minor, dir);
                    black_box(w.totals(p.ts));
                }
            }
        }
        window_ns.push((cpu_ns() - t) as f64 / payments.len() as f64);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let per = |b: usize| b as f64 / n_accounts as f64;
    println!("{} payments, {n_accounts} accounts, {rounds} rounds (median):", payments.len());
    println!(
        "  FeatureStore::observe: {:.1} bytes per account ({:.1} with ~16 B malloc overhead per allocation), \
         {:.0} ns per payment (both sides; rounds {:?})",
        per(bytes),
        per(bytes + 16 * large),
        median(&mut feature_ns.clone()),
        feature_ns.iter().map(|x| x.round()).collect::<Vec<_>>()
    );
    println!(
        "  bytes per account: headers {:.1}, account storage {:.1} (records {:.1}, counterparties {:.1}, slack {:.1}), large counterparty sets {:.1}, devices {:.1}",
        per(parts[0]),
        per(parts[1]),
        per(words_by_use[0]),
        per(words_by_use[1]),
        per(words_by_use[2]),
        per(parts[2]),
        per(parts[3])
    );
    println!(
        "  AccountWindows record+totals: {:.0} ns per payment (both sides; rounds {:?})",
        median(&mut window_ns.clone()),
        window_ns.iter().map(|x| x.round()).collect::<Vec<_>>()
    );

    // The pegged rule against the labels.
    let (Ok(tx_labels), Ok(acct_labels)) = (
        std::fs::read_to_string(dir.join("labels_transactions.csv")),
        std::fs::read_to_string(dir.join("labels_accounts.csv")),
    ) else {
        return;
    };
    let crypto: HashSet<&str> = tx_labels.lines().skip(1).filter_map(|l| l.strip_suffix(",1")).collect();
    let otc: HashSet<&str> =
        acct_labels.lines().skip(1).filter_map(|l| l.strip_suffix(",otc_merchant")).collect();
    for (name, rules) in [
        ("2 decimals, q multiple of 50 (default)", AmountRules::default()),
        ("2 decimals, q multiple of 10", AmountRules { quantity_step: 10, ..AmountRules::default() }),
        ("3 decimals, q multiple of 50", AmountRules { rate_extra_decimals: 1, ..AmountRules::default() }),
        (
            "4 decimals, q multiple of 100",
            AmountRules { rate_extra_decimals: 2, quantity_step: 100, ..AmountRules::default() },
        ),
    ] {
        let mut c: HashMap<bool, (u64, u64)> = HashMap::new();
        for (p, (id, payer, payee)) in payments.iter().zip(&tx_ids) {
            let is_crypto = crypto.contains(id.as_str());
            let is_otc = is_crypto && (otc.contains(payer.as_str()) || otc.contains(payee.as_str()));
            if is_crypto && !is_otc {
                continue;
            }
            let e = c.entry(is_otc).or_default();
            e.0 += 1;
            e.1 += u64::from(rules.classify(p.amount_minor).pegged);
        }
        let rate = |k: bool| c.get(&k).map_or(0.0, |&(n, hit)| 100.0 * hit as f64 / n.max(1) as f64);
        println!(
            "  pegged, {name}: {:.2} % of {} normal payments, {:.2} % of {} OTC payments",
            rate(false),
            c.get(&false).map_or(0, |x| x.0),
            rate(true),
            c.get(&true).map_or(0, |x| x.0)
        );
    }
}
