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
use sluice_screen::{NameScreener, Screener};
use std::hint::black_box;
use std::path::Path;

/// A small deterministic generator (xorshift64*): the queries must be the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const GIVEN: &[&str] = &[
    "John", "Maria", "Wei", "Li", "Ahmed", "Olga", "Ivan", "Fatima", "Carlos", "Anna", "Mohammed", "Yuki",
    "Chen", "Sergei", "Elena", "David", "Sara", "Omar", "Hans", "Lucia",
];
const FAMILY: &[&str] = &[
    "Smith", "Wang", "Zhang", "Garcia", "Ivanov", "Petrova", "Khan", "Hassan", "Kim", "Nguyen", "Mueller",
    "Rossi", "Silva", "Tanaka", "Novak", "Popescu", "Kowalski", "Haddad", "Cohen", "Lopez",
];
const WORDS: &[&str] = &[
    "Trading",
    "Logistics",
    "Holdings",
    "Textiles",
    "Foods",
    "Digital",
    "Pacific",
    "Golden",
    "Star",
    "Ocean",
    "Technology",
    "Consulting",
    "Supply",
    "Green",
    "United",
    "Bakery",
    "Motors",
    "Pharma",
    "Energy",
    "Media",
];

/// Disguised list names and ordinary names, half and half.
pub fn queries(s: &Screener, n: usize) -> Vec<String> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let aliases: Vec<&str> =
        s.lists().iter().flat_map(|(_, ix)| ix.aliases.iter().map(|a| a.1.as_str())).collect();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        if out.len() % 2 == 0 && !aliases.is_empty() {
            let a = aliases[rng.below(aliases.len())];
            let mut words: Vec<String> = a.split_whitespace().map(str::to_string).collect();
            match rng.below(4) {
                0 if words.len() > 2 => {
                    let i = rng.below(words.len());
                    words.remove(i);
                }
                1 if words.len() > 1 => words.reverse(),
                2 => {
                    let i = rng.below(words.len());
                    let w = &mut words[i];
                    if w.len() > 4 && w.is_ascii() {
                        let k = 1 + rng.below(w.len() - 2);
                        w.remove(k);
                    }
                }
                _ => {
                    for w in &mut words {
                        *w = w.to_lowercase();
                    }
                }
            }
            out.push(words.join(" "));
        } else if rng.below(2) == 0 {
            out.push(format!("{} {}", GIVEN[rng.below(GIVEN.len())], FAMILY[rng.below(FAMILY.len())]));
        } else {
            out.push(format!(
                "{} {} {} Co., Ltd.",
                FAMILY[rng.below(FAMILY.len())],
                WORDS[rng.below(WORDS.len())],
                WORDS[rng.below(WORDS.len())]
            ));
        }
    }
    out
}

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
    let qs = queries(&s, 2_000);
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
