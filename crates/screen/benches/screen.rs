//! Screening throughput against the full OFAC SDN advanced list (every alias, every script):
//! uncached on one thread, uncached on two threads (this machine has two cores), and
//! through the per-name cache the inline path uses.
//!
//! Queries: 2,000 names, half of them listed aliases disguised (a typo, a dropped or
//! reordered word, case), half ordinary names made from common given names, surnames and
//! company words. Needs `../shared/data`; prints a note and measures nothing without it.
//!
//! `cargo bench -p sluice-screen --bench screen`

#![allow(missing_docs, reason = "criterion macros generate undocumented items")]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice_screen::eval::bench_queries;
use sluice_screen::{NameScreener, Screener};
use std::hint::black_box;
use std::path::Path;

fn sdn() -> Option<Screener> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/lists/ofac_sdn_advanced_2025-11-19.xml.bz2");
    if !p.exists() {
        eprintln!("{} not found: nothing to measure", p.display());
        return None;
    }
    let imp = sluice_screen::import::import(&p, "sanctions", None).ok()?;
    Some(Screener::from_entries(&imp.entries, "bench"))
}

fn bench(c: &mut Criterion) {
    let Some(s) = sdn() else { return };
    let forms: usize = s.lists().iter().map(|(_, ix)| ix.len()).sum();
    eprintln!("SDN advanced: {forms} name forms");
    let qs = bench_queries(&s, 2_000);
    let mut g = c.benchmark_group("screen_sdn");
    g.throughput(Throughput::Elements(qs.len() as u64));
    g.sample_size(20);
    g.bench_function("uncached_1_thread", |b| {
        b.iter(|| {
            for q in &qs {
                black_box(s.best_uncached(q, "sanctions"));
            }
        })
    });
    g.bench_function("uncached_2_threads", |b| {
        b.iter(|| {
            let (x, y) = qs.split_at(qs.len() / 2);
            std::thread::scope(|sc| {
                let t = sc.spawn(|| x.iter().map(|q| s.best_uncached(q, "sanctions")).sum::<f64>());
                let here: f64 = y.iter().map(|q| s.best_uncached(q, "sanctions")).sum();
                black_box(here + t.join().unwrap_or(0.0));
            })
        })
    });
    g.bench_function("cached_1_thread", |b| {
        b.iter(|| {
            for q in &qs {
                black_box(s.best(q, "sanctions"));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
