//! Memory and speed of per-account windows over a simulated week (developer tool):
//!
//! ```sh
//! cargo run --release -- simulate --population 100000 --days 7 --out-dir data
//! cargo run --release -p sluice-engine --example window_memory -- data/transactions.csv
//! ```
//! Replays every payment on its payer (out) and payee (in) platform account, asking for the
//! totals at the payment's own time after each record, then prints bytes per account (heap +
//! inline) and nanoseconds per `record` + `totals`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a developer tool: failures should be loud")]

use sluice_core::{Party, Transaction};
use sluice_engine::windows::{AccountWindows, Direction};
use sluice_io::{ReadItem, RecordReader};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: window_memory TRANSACTIONS_FILE");
    let mut reader = RecordReader::<Transaction>::open(Path::new(&path)).unwrap();
    // Dense account indexes first, so the timed loop measures the windows, not a map.
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::new();
    let mut side = |p: &Party| {
        p.account().map(|a| {
            let n = index.len();
            *index.entry(a.as_str().to_string()).or_insert(n)
        })
    };
    while let Some(item) = reader.next_item().unwrap() {
        if let ReadItem::Record(tx, _) = item {
            rows.push((side(&tx.payer), side(&tx.payee), tx.ts, tx.amount.minor()));
        }
    }
    let mut accounts: Vec<AccountWindows> = (0..index.len()).map(|_| AccountWindows::new()).collect();
    let started = Instant::now();
    let mut calls = 0u64;
    for &(payer, payee, ts, amount) in &rows {
        for (acct, dir) in [(payer, Direction::Out), (payee, Direction::In)] {
            if let Some(a) = acct {
                let w = &mut accounts[a];
                w.record(ts, amount, dir);
                black_box(w.totals(ts));
                calls += 1;
            }
        }
    }
    let ns = started.elapsed().as_nanos() as f64 / calls as f64;
    let bytes: usize = accounts.iter().map(|a| a.heap_bytes() + std::mem::size_of::<AccountWindows>()).sum();
    println!(
        "{} payments, {} accounts: {:.1} bytes per account, {ns:.0} ns per record + totals",
        rows.len(),
        accounts.len(),
        bytes as f64 / accounts.len() as f64
    );
}
