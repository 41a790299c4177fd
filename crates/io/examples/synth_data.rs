//! Writes the ingest benchmark's synthetic files: `cargo run --release -p sluice-io
//! --example synth_data -- DIR [ACCOUNTS] [ROWS] [csv|ndjson|csv.gz]`.

#![allow(clippy::unwrap_used, reason = "a developer tool: failures should be loud")]

#[path = "../benches/synth.rs"]
mod synth;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).map_or("bench-data", String::as_str));
    let accounts = args.get(2).map_or(100_000, |s| s.parse().unwrap());
    let rows = args.get(3).map_or(1_000_000, |s| s.parse().unwrap());
    let ext = args.get(4).map_or("csv", String::as_str);
    std::fs::create_dir_all(&dir).unwrap();
    let (a, t) = synth::write(&dir, accounts, rows, ext);
    println!("{}\n{}", a.display(), t.display());
}
