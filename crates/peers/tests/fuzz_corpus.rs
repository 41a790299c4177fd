//! Replays the saved cargo-fuzz corpus of `import_amlsim` (`fuzz/corpus/import_amlsim/`) on
//! stable Rust through the same check as the fuzz target: no input may panic, and every row
//! a conversion writes is accepted by the contract's readers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use sluice_core::{Account, AccountLabel, Country, Currency, Timestamp, Transaction, TxLabel};
use sluice_io::{Format, ReadItem, Record, RecordReader};
use sluice_peers::amlsim::{Converter, OUTPUT_FILES, Options, Outputs};
use std::fmt::Debug;
use std::io::Cursor;
use std::path::{Path, PathBuf};

// Mirrors `check_amlsim` in `fuzz/src/lib.rs`; keep the two in step.
fn check_amlsim(data: &[u8]) {
    let (nodes, txs) = match data.iter().position(|&b| b == 0) {
        Some(p) => (&data[..p], &data[p + 1..]),
        None => (data, &[][..]),
    };
    let opts = Options {
        start: Timestamp::parse_rfc3339("2026-01-01T00:00:00+08:00").unwrap(),
        step_secs: 86_400,
        currency: Currency::CNY,
        country: Country::parse("CN").unwrap(),
    };
    let mut out = Outputs::csv(OUTPUT_FILES.map(Path::new), [(); 4].map(|()| Vec::new())).unwrap();
    let mut conv = Converter::new(&opts);
    if conv.nodes(nodes, "nodes.csv", &mut out).is_err()
        || conv.transactions(txs, "transactions.csv", &mut out).is_err()
    {
        return;
    }
    let s = conv.summary().clone();
    let [a, t, la, lt] = out.into_inner().unwrap();
    assert_eq!(accepted::<Account>(a), s.accounts);
    assert_eq!(accepted::<AccountLabel>(la), s.accounts);
    assert_eq!(accepted::<Transaction>(t), s.transactions);
    assert_eq!(accepted::<TxLabel>(lt), s.transactions);
}

fn accepted<T: Record + Debug>(bytes: Vec<u8>) -> u64 {
    let shown = String::from_utf8_lossy(&bytes).into_owned();
    let mut rd =
        RecordReader::<T>::from_reader(Path::new("out.csv"), Format::Csv, Box::new(Cursor::new(bytes)))
            .unwrap();
    let mut n = 0;
    loop {
        match rd.next_item() {
            Ok(Some(ReadItem::Record(..))) => n += 1,
            Ok(None) => return n,
            other => panic!("the importer wrote a row the contract refuses: {other:?}\n{shown}"),
        }
    }
}

/// The files of one target's corpus, sorted; fails when there are none.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("fuzz corpus {} is missing: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    assert!(!files.is_empty(), "fuzz corpus {} is empty", dir.display());
    files
}

#[test]
fn corpus_import_amlsim() {
    for file in corpus("import_amlsim") {
        let data = std::fs::read(&file).unwrap();
        // The panic hook has printed the message; name the file that caused it.
        if std::panic::catch_unwind(|| check_amlsim(&data)).is_err() {
            panic!("corpus file {} failed; see the panic above", file.display());
        }
    }
}
