//! Simulator throughput: transactions generated and written (CSV, to a temporary
//! directory) per second, for a 100,000-account world over 14 days (so the one-off world
//! build is amortised as in real runs), and the world build on its own.
//!
//! `cargo bench -p sluice-sim --bench simulate`
//!
//! Figures of 2026-11-25 on the shared 2-core machine while other builds kept its load
//! average at ~9 (so about half a core for this process; an idle machine does better):
//! `100k_accounts_14_days_csv` 826k transactions/s (criterion median, 3.56 s per run);
//! `world_build/100k_accounts` 80 ms. Under that load the change from the previous
//! version shows best in CPU time: `sluice simulate --population 1000000 --days 7`,
//! alternating old and new binaries, 3 runs each, medians 28.0 → 14.0 CPU-seconds,
//! 59.1 → 29.4 s wall.
//!
//! Memory is measured outside criterion (one run is enough):
//! `/usr/bin/time -v sluice simulate --population 10000000 --days 1` peaks at 1.97 GB
//! (2.46 GB before), `--days 2` at 3.25 GB (3.17 GB before): the world and the ids grow
//! with the population (the ids 4 B per account), and a day's events (~2 per account, 32 B
//! each) are held twice at most (one day formatted while the next is generated and
//! merged); nothing grows with the number of days.

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
