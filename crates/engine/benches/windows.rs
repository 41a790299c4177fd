//! Per-payment cost of the per-account state: `FeatureStore::observe` (every feature, both
//! sides; alone, and with `prefetch` / `prefetch_early` called with the next two payments
//! as a caller that knows them would) against `AccountWindows::record` + `totals` (counts
//! and sums only), on the same stream.
//!
//! The stream is a simulated week when `SLUICE_BENCH_DATA` names a directory holding a
//! simulator's `accounts.csv` and `transactions.csv` (e.g. `simulate --population 100000
//! --days 7`); otherwise a synthetic one: 200,000 payments over 20,000 accounts in time
//! order over 7 days, payers uniform, payees skewed (a tenth of them merchants taking most
//! payments), a third of the payees `ext:`, amounts from cents to ¥50,000.
//!
//! ```sh
//! cargo bench -p sluice-engine --bench windows
//! SLUICE_BENCH_DATA=/tmp/simw cargo bench -p sluice-engine --bench windows
//! ```
//! Each iteration replays the whole stream into a fresh store; throughput is per payment.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark: failures should be loud")]
#![allow(missing_docs, reason = "criterion macros")]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sluice_core::admission::AccountBook;
use sluice_core::time::MICROS_PER_DAY;
use sluice_core::{Account, Party, Timestamp, Transaction};
use sluice_engine::features::{FeatureConfig, FeatureStore, Payment, Side, party_key};
use sluice_engine::windows::{AccountWindows, Direction};
use sluice_io::{ReadItem, RecordReader};
use std::hint::black_box;
use std::path::Path;

/// A small deterministic generator (xorshift64*), so the stream is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

fn synthetic() -> (Vec<Payment>, usize) {
    let (accounts, n) = (20_000u32, 200_000u64);
    let mut rng = Rng(0x5eed);
    let start = Timestamp::parse_rfc3339("2026-03-02T00:00:00Z").unwrap().as_micros();
    let side = |a: u32| Side { account: Some(a), key: party_key(&format!("U{a:08}")), created_at: None };
    let payments = (0..n)
        .map(|k| {
            let ts = Timestamp::from_micros(start + (k as i64) * (7 * MICROS_PER_DAY / n as i64)).unwrap();
            let payer = side(rng.below(u64::from(accounts)) as u32);
            let payee = match rng.below(3) {
                0 => Side {
                    account: None,
                    key: party_key(&format!("ext:card{}", rng.below(50_000))),
                    created_at: None,
                },
                // Skewed: most payees among the first 2,000 accounts.
                _ => side((rng.below(u64::from(accounts)) * rng.below(1_000) / 10_000) as u32),
            };
            let amount =
                if rng.below(4) == 0 { rng.below(50_000) as i64 * 100 } else { 1 + rng.below(20_000) as i64 };
            let device = Some(party_key(&format!("D{}", payer.account.unwrap_or(0))));
            Payment { ts, amount_minor: amount, payer, payee, device }
        })
        .collect();
    (payments, accounts as usize)
}

fn simulated(dir: &Path) -> (Vec<Payment>, usize) {
    let mut book = AccountBook::new();
    let mut reader = RecordReader::<Account>::open(&dir.join("accounts.csv")).unwrap();
    while let Some(item) = reader.next_item().unwrap() {
        if let ReadItem::Record(a, _) = item {
            book.insert(&a).unwrap();
        }
    }
    let mut reader = RecordReader::<Transaction>::open(&dir.join("transactions.csv")).unwrap();
    let index = |p: &Party| p.account().and_then(|a| book.get(a.as_str()));
    let mut payments = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        if let ReadItem::Record(tx, _) = item {
            payments.push(Payment::of(&tx, index(&tx.payer), index(&tx.payee), &book));
        }
    }
    (payments, book.len())
}

fn bench(c: &mut Criterion) {
    let (payments, accounts) = match std::env::var_os("SLUICE_BENCH_DATA") {
        Some(dir) => simulated(Path::new(&dir)),
        None => synthetic(),
    };
    let mut g = c.benchmark_group("windows");
    g.throughput(Throughput::Elements(payments.len() as u64));
    g.sample_size(10);
    let config = FeatureConfig::default();
    g.bench_function("feature_store_observe", |b| {
        b.iter_batched(
            || FeatureStore::new(&config, accounts),
            |mut store| {
                for p in &payments {
                    black_box(store.observe(p));
                }
                store
            },
            BatchSize::LargeInput,
        );
    });
    g.bench_function("feature_store_observe_prefetch", |b| {
        b.iter_batched(
            || FeatureStore::new(&config, accounts),
            |mut store| {
                for (i, p) in payments.iter().enumerate() {
                    if let Some(next) = payments.get(i + 2) {
                        store.prefetch_early(next);
                    }
                    if let Some(next) = payments.get(i + 1) {
                        store.prefetch(next);
                    }
                    black_box(store.observe(p));
                }
                store
            },
            BatchSize::LargeInput,
        );
    });
    g.bench_function("account_windows_record_totals", |b| {
        b.iter_batched(
            || vec![AccountWindows::new(); accounts],
            |mut windows| {
                for p in &payments {
                    for (side, dir) in [(p.payer.account, Direction::Out), (p.payee.account, Direction::In)] {
                        if let Some(w) = side.and_then(|a| windows.get_mut(a as usize)) {
                            w.record(p.ts, p.amount_minor, dir);
                            black_box(w.totals(p.ts));
                        }
                    }
                }
                windows
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
