//! Times ingest passes over a transactions file (developer tool):
//! `cargo run --release -p sluice-io --example ingest_once -- ACCOUNTS TRANSACTIONS [RUNS]`.

#![allow(clippy::unwrap_used, reason = "a developer tool: failures should be loud")]

use sluice_io::{RejectLog, TransactionIngest, load_accounts};
use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args.get(3).map_or(5, |s| s.parse().unwrap());
    let mut log = RejectLog::new();
    let accounts = load_accounts(Path::new(&args[1]), &mut log, |_, _| {}).unwrap();
    for _ in 0..runs {
        let t = Instant::now();
        let mut ingest = TransactionIngest::open(Path::new(&args[2]), &accounts.book, None).unwrap();
        let mut n = 0u64;
        while let Some(a) = ingest.next(&mut log).unwrap() {
            n += a.tx.amount.minor() as u64 & 1;
        }
        let rows = ingest.stats().rows;
        let s = t.elapsed().as_secs_f64();
        println!("{rows} rows in {s:.3} s = {:.0} rows/s ({n})", rows as f64 / s);
    }
}
