//! Simulator throughput: transactions generated and written (CSV, to a temporary
//! directory) per second, for a 100,000-account world over 14 days (so the one-off world
//! build is amortised as in real runs), and the world build on its own.
//!
//! `cargo bench -p sluice-sim --bench simulate`
//!
//! The figures below are `sluice simulate` runs, which print both rates the simulator is
//! judged by: end to end (world build, days, account files and the final sync to disk —
//! what a user waits for) and over the days alone (the steady rate a longer run approaches).
//! Measured on 2026-12-03 on the 2-core machine with
//! `/usr/bin/time -f "%e %U %S %M" sluice simulate --population N --days D --seed 1 --out-dir DIR`,
//! alternating the previous binary (commit 5d003d5) and this one, 3 runs each, medians, in
//! a quiet moment (other processes 0-2 % busy before each run, load average ~1):
//!
//! | run | before: wall, rate, CPU | now: wall, end-to-end rate, per-day rate, CPU |
//! |---|---|---|
//! | 1M accounts × 7 days, 14.65M payments, 1.6 GB | 5.35 s, 2.76M/s, 8.9 s | 3.85 s, 3.83M/s, 4.72M/s, 6.2 s |
//! | 100k accounts × 14 days, 2.96M payments | 0.82 s, 3.62M/s, 1.45 s | 0.72 s, 4.10M/s, 4.47M/s, 1.22 s |
//!
//! At 1M × 7 the world build took 0.36-0.45 s of the 3.85 s and the account files with the
//! final sync 0.26-0.31 s. Most of the day the machine is shared: in 3 rounds of the same
//! alternation while other jobs kept it 85-100 % busy (load 3-8, some copying gigabytes on
//! the same disk), medians of the 9 runs were, 1M × 7: 16.1 s, 0.91M/s, 10.9 CPU-s before,
//! 11.8 s, 1.24M/s (1.47M/s per day), 6.7 CPU-s now; 100k × 14: 2.37 s, 1.25M/s, 1.37 CPU-s
//! before, 2.82 s, 1.05M/s, 1.12 CPU-s now. Under that load the 100k run's wall time did
//! not improve although its CPU time did: the plain files now go to the disk as they are
//! written, so a disk busy with other jobs is waited for during the run rather than in the
//! final sync; a second day buffer and a deeper writer queue made no difference measurable
//! under the load (4 alternating pairs) and were left out.
//!
//! Where the CPU time went before (`perf record -g`, 1M × 7): a fifth in the kernel copying
//! written bytes into the page cache (now written with `O_DIRECT`, `src/direct.rs`), a tenth
//! gathering each day's events in sorted order from random places (now moved once, in
//! cached buckets, `src/order.rs`), 5 % each sorting and counting statistics on one thread;
//! now nearly half is generation itself (`normal::shard_day`, mostly cache misses on the
//! accounts and circles it picks at random), a fifth formatting CSV, a tenth the world build
//! and the account files.
//!
//! Memory is measured outside criterion (one run is enough), same command with
//! `--population 10000000` (maximum RSS, this binary and the one before, one run each):
//! `--days 2` peaks at 2.28 GiB (3.08 GiB before), `--days 1` at 2.18 GiB (1.89 GiB
//! before: it merged a day by freeing each shard as it was copied, which the one scatter
//! into the day's buffer cannot). The world and the ids grow with the
//! population; a day's events (~2 per account, 32 B each) are held twice: the shards of the
//! day being generated and the day being formatted, in one buffer that goes round; nothing
//! grows with the number of days.
//!
//! The criterion figures (`100k_accounts_14_days_csv`, `world_build/100k_accounts`) were not
//! re-measured for this change.

#![allow(
    clippy::unwrap_used,
    missing_docs,
    reason = "benchmark code; criterion macros generate undocumented items"
)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice_io::Format;
use sluice_sim::config::SimConfig;
use sluice_sim::{SimOptions, simulate};
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let opts = SimOptions {
        config: SimConfig::default_config().unwrap(),
        seed: 1,
        evasion: 2,
        start: sluice_core::CivilDate::parse("2026-03-02").unwrap(),
        days: 14,
        population: 100_000,
        out_dir: dir.path().to_path_buf(),
        format: Format::Csv,
        gzip: false,
    };
    let n = simulate(&opts, |_| {}).unwrap().transactions;
    let mut g = c.benchmark_group("simulate");
    g.sample_size(10).measurement_time(Duration::from_secs(12)).throughput(Throughput::Elements(n));
    g.bench_function("100k_accounts_14_days_csv", |b| {
        b.iter(|| simulate(&opts, |_| {}).unwrap().transactions)
    });
    g.finish();
    let mut g = c.benchmark_group("world_build");
    g.sample_size(10).throughput(Throughput::Elements(u64::from(opts.population)));
    g.bench_function("100k_accounts", |b| {
        b.iter(|| {
            sluice_sim::world::World::build(opts.config.clone(), 1, 2, opts.start, opts.days, opts.population)
                .accts
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
