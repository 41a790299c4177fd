//! Where one decision's CPU time goes, phase by phase, on a simulated world already on disk
//! (`sluice bench --data-dir D` leaves one): the stateless preparation, recording the payment
//! in the behaviour state, and the whole decision; rules and the decision record are the
//! difference. One thread, CPU time of this thread.
//!
//! ```sh
//! cargo run --release -p sluice-engine --example phases -- /tmp/benchdata/bench-100000-7d-seed1
//! ```
//!
//! `phases DIR observe` replays only `FeatureStore::observe`, once, inside
//! `observe_all` (not inlined), and prints the state's bytes per account at the end; for
//! counting observe's instructions:
//!
//! ```sh
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='phases::observe_all' \
//!     target/release/examples/phases /tmp/w20k observe
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a diagnostic tool")]

use sluice_core::ListEntry;
use sluice_engine::decide::{Engine, Prepared};
use sluice_engine::features::{FeatureConfig, FeatureStore, Payment};
use sluice_engine::lists::ListStore;
use sluice_engine::policy::Policy;
use sluice_io::{Format, ReadItem, RecordReader, RejectLog, TransactionIngest, load_accounts};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0)
}

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("a world directory"));
    let mut log = RejectLog::new();
    let mut accounts = Vec::new();
    let load = load_accounts(&dir.join("accounts.csv"), &mut log, |_, a| accounts.push(a)).unwrap();
    let mut ingest = TransactionIngest::open(&dir.join("transactions.csv"), &load.book, None).unwrap();
    let mut txs = Vec::new();
    while let Some(a) = ingest.next(&mut log).unwrap() {
        txs.push((a.tx, a.payer, a.payee));
    }
    let accounts: Arc<[_]> = accounts.into();
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
    let lists = Arc::new(ListStore::new(entries, None).unwrap());
    let src = include_str!("../../../policies/default.toml");
    let policy = Arc::new(Policy::compile(src, "policies/default.toml", &lists).unwrap());
    // The same decisions with no rules at all: what deciding costs besides the rules.
    let bare_src = "id = \"bare\"\nversion = \"1\"\ntimezone = \"Asia/Shanghai\"\n[thresholds]\nreview = 0.5\nblock = 0.9\n";
    let bare = Arc::new(Policy::compile(bare_src, "bare.toml", &lists).unwrap());
    let n = txs.len() as f64;
    if std::env::args().nth(2).as_deref() == Some("observe") {
        let payments: Vec<Payment> =
            txs.iter().map(|(tx, p, q)| Payment::of(tx, *p, *q, &load.book)).collect();
        let mut store = FeatureStore::new(&FeatureConfig::default(), accounts.len());
        let t = cpu_ns();
        observe_all(&mut store, &payments);
        println!(
            "{} payments · observe {:.0} ns · state {:.2} bytes per account (FeatureStore::bytes)",
            payments.len(),
            (cpu_ns() - t) as f64 / n,
            store.bytes() as f64 / accounts.len() as f64
        );
        return;
    }
    let rounds: usize = std::env::args().nth(2).and_then(|r| r.parse().ok()).unwrap_or(3);
    for round in 0..rounds {
        let mut bare_engine =
            Engine::new(Arc::clone(&bare), Arc::clone(&lists), Arc::clone(&accounts)).unwrap();
        let no_rules = whole(&mut bare_engine, &txs) / n;
        drop(bare_engine);
        let engine = Engine::new(Arc::clone(&policy), Arc::clone(&lists), Arc::clone(&accounts)).unwrap();
        let mut preparer = engine.preparer();
        let mut slot = Prepared::default();
        let t = cpu_ns();
        for (tx, p, q) in &txs {
            preparer.prepare(tx, *p, *q, &mut slot);
            black_box(&slot);
        }
        let prepare = (cpu_ns() - t) as f64 / n;

        let payments: Vec<Payment> =
            txs.iter().map(|(tx, p, q)| Payment::of(tx, *p, *q, &load.book)).collect();
        let mut store = FeatureStore::new(&FeatureConfig::default(), accounts.len());
        let t = cpu_ns();
        observe_all(&mut store, &payments);
        let observe = (cpu_ns() - t) as f64 / n;

        let mut engine = engine;
        let whole = whole(&mut engine, &txs) / n;
        println!(
            "round {round}: prepare {prepare:.0} ns · observe {observe:.0} ns · whole {whole:.0} ns · rules + decision ≈ {:.0} ns · whole without rules {no_rules:.0} ns",
            whole - prepare - observe
        );
    }
}

/// Observes every payment, prefetching as the hooks ask.
#[inline(never)]
fn observe_all(store: &mut FeatureStore, payments: &[Payment]) {
    for (i, p) in payments.iter().enumerate() {
        if let Some(n) = payments.get(i + 2) {
            store.prefetch_early(n);
        }
        if let Some(n) = payments.get(i + 1) {
            store.prefetch(n);
        }
        black_box(store.observe(p));
    }
}

/// CPU nanoseconds of deciding every payment of `txs`, prepared two ahead and prefetched
/// as `sluice bench` does on one thread.
fn whole(engine: &mut Engine, txs: &[(sluice_core::Transaction, Option<u32>, Option<u32>)]) -> f64 {
    let mut preparer = engine.preparer();
    let mut slots: [Prepared<'_>; 3] = Default::default();
    let t = cpu_ns();
    for (k, (tx, p, q)) in txs.iter().take(2).enumerate() {
        preparer.prepare(tx, *p, *q, &mut slots[k]);
    }
    for (i, (tx, payer, payee)) in txs.iter().enumerate() {
        if let Some((ntx, p, q)) = txs.get(i + 2) {
            let slot = &mut slots[(i + 2) % 3];
            preparer.prepare(ntx, *p, *q, slot);
            engine.prefetch_prepared_early(slot);
        }
        if i + 1 < txs.len() {
            engine.prefetch_prepared_late(&slots[(i + 1) % 3]);
        }
        black_box(engine.decide_prepared(tx, *payer, *payee, &slots[i % 3]));
    }
    (cpu_ns() - t) as f64
}
