//! Whole decisions per second: a simulated world's payments through `Engine::decide` with the
//! shipped default policy and lists (`policies/default.toml`, `lists/default.csv`), the same
//! path `sluice replay` takes minus reading and writing files.
//!
//! The world is simulated once per run into a temporary directory (20,000 accounts, 3 days,
//! seed 1, evasion 2; ~90,000 payments) and read back with `sluice-io`. Each iteration decides
//! on every payment with a fresh engine; throughput is per decision. For the 100k and 1M
//! worlds of the issue, use `sluice bench` (same engine, latency percentiles and state size).
//!
//! The second benchmark decides the same payments on the engine's two lanes
//! (`Engine::decide_lanes`, batches of 8 as in `sluice bench`): compare the two on a machine
//! with two idle cores.
//!
//! ```sh
//! cargo bench -p sluice-engine --bench decide
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark: failures should be loud")]
#![allow(missing_docs, reason = "criterion macros")]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sluice_core::{Account, CivilDate, ListEntry, Transaction};
use sluice_engine::decide::Engine;
use sluice_engine::lists::ListStore;
use sluice_engine::policy::Policy;
use sluice_io::{Format, ReadItem, RecordReader, RejectLog, TransactionIngest, load_accounts};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

type Stream = Vec<(Transaction, Option<u32>, Option<u32>)>;

fn world() -> (Arc<[Account]>, Stream) {
    let dir = tempfile::tempdir().unwrap();
    let opts = sluice_sim::SimOptions {
        config: sluice_sim::config::SimConfig::default_config().unwrap(),
        seed: 1,
        evasion: 2,
        start: CivilDate::parse("2026-03-02").unwrap(),
        days: 3,
        population: 20_000,
        out_dir: dir.path().to_path_buf(),
        format: Format::Csv,
        gzip: false,
    };
    sluice_sim::simulate(&opts, |_| {}).unwrap();
    let mut log = RejectLog::new();
    let mut accounts = Vec::new();
    let load = load_accounts(&dir.path().join("accounts.csv"), &mut log, |_, a| accounts.push(a)).unwrap();
    let mut ingest = TransactionIngest::open(&dir.path().join("transactions.csv"), &load.book, None).unwrap();
    let mut stream = Vec::new();
    while let Some(a) = ingest.next(&mut log).unwrap() {
        stream.push((a.tx, a.payer, a.payee));
    }
    (accounts.into(), stream)
}

fn shipped() -> (Arc<Policy>, Arc<ListStore>) {
    let csv = include_str!("../../../lists/default.csv");
    let mut reader = RecordReader::<ListEntry>::from_reader(
        Path::new("lists/default.csv"),
        Format::Csv,
        Box::new(std::io::Cursor::new(csv.as_bytes())),
    )
    .unwrap();
    let mut entries = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        if let ReadItem::Record(e, _) = item {
            entries.push(e);
        }
    }
    let lists = ListStore::new(entries, None).unwrap();
    let src = include_str!("../../../policies/default.toml");
    let policy = Policy::compile(src, "policies/default.toml", &lists).unwrap();
    (Arc::new(policy), Arc::new(lists))
}

fn bench(c: &mut Criterion) {
    let (accounts, stream) = world();
    let (policy, lists) = shipped();
    let mut g = c.benchmark_group("decide");
    g.sample_size(10);
    g.throughput(Throughput::Elements(stream.len() as u64));
    g.bench_function("default_policy_20k_accounts_3_days", |b| {
        b.iter_batched(
            || Engine::new(Arc::clone(&policy), Arc::clone(&lists), Arc::clone(&accounts)).unwrap(),
            |mut engine| {
                for (tx, payer, payee) in &stream {
                    black_box(engine.decide(tx, *payer, *payee));
                }
                engine
            },
            BatchSize::PerIteration,
        );
    });
    // The same on the engine's two lanes (`Engine::decide_lanes`), in batches of 8: `sluice
    // bench`'s default (a payment is decided about two batches' work after its batch is taken).
    g.bench_function("default_policy_20k_accounts_3_days_two_lanes", |b| {
        b.iter_batched(
            || Engine::new(Arc::clone(&policy), Arc::clone(&lists), Arc::clone(&accounts)).unwrap(),
            |mut engine| {
                engine.decide_lanes(stream.chunks(8), |_, d| drop(black_box(d))).unwrap();
                engine
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
