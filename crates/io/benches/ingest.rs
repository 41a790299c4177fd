//! Ingest throughput: the whole path `sluice validate` takes over a 1M-row transactions
//! file (100k accounts) — parse on the reader thread, admission (unknown accounts,
//! duplicates, late rows) on the caller's — in CSV, NDJSON and gzip CSV.
//!
//! `cargo bench -p sluice-io --bench ingest`. The files are generated once into
//! `target/bench-data/` (deterministic, see `synth.rs`).

#![allow(
    clippy::unwrap_used,
    missing_docs,
    reason = "benchmark code: failures should be loud; criterion macros generate undocumented items"
)]

mod synth;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice_io::{RejectLog, TransactionIngest, load_accounts};
use std::path::{Path, PathBuf};
use std::time::Duration;

const ACCOUNTS: u64 = 100_000;
const ROWS: u64 = 1_000_000;

fn data(ext: &str) -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data").join(ext);
    let a = dir.join(format!("accounts.{ext}"));
    let t = dir.join(format!("transactions.{ext}"));
    if !t.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        synth::write(&dir, ACCOUNTS, ROWS, ext);
    }
    (a, t)
}

fn ingest(c: &mut Criterion) {
    let mut g = c.benchmark_group("ingest_1M_rows");
    g.sample_size(10).measurement_time(Duration::from_secs(15)).throughput(Throughput::Elements(ROWS));
    for ext in ["csv", "ndjson", "csv.gz"] {
        let (a, t) = data(ext);
        let mut log = RejectLog::new();
        let accounts = load_accounts(&a, &mut log, |_, _| {}).unwrap();
        g.bench_function(ext, |b| {
            b.iter(|| {
                let mut log = RejectLog::new();
                let mut ingest = TransactionIngest::open(&t, &accounts.book, None).unwrap();
                let mut n = 0u64;
                while let Some(adm) = ingest.next(&mut log).unwrap() {
                    n += adm.tx.amount.minor() as u64 & 1;
                }
                assert_eq!(ingest.stats().accepted, ROWS);
                n
            })
        });
    }
    g.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
