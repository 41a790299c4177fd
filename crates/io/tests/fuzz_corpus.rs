//! Replays the saved cargo-fuzz corpus (`fuzz/corpus/<target>/`) through the same checks as
//! the fuzz targets — drain the reader, round-trip every accepted record — on stable Rust.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use sluice_core::{Account, Decision, ListEntry, Transaction};
use sluice_io::{Format, ReadItem, Record, RecordReader, RecordWriter};
use std::fmt::Debug;
use std::io::Cursor;
use std::path::{Path, PathBuf};

// The checks below mirror `fuzz/src/lib.rs`; keep the two in step.

fn path_for(format: Format) -> &'static Path {
    Path::new(match format {
        Format::Csv => "fuzz.csv",
        Format::Ndjson => "fuzz.ndjson",
    })
}

/// Reads `data` as a file of `T` until the end or a stream error; every accepted record
/// must survive a round trip in both formats.
fn check<T: Record + PartialEq + Debug>(data: &[u8], format: Format) {
    let reader =
        RecordReader::<T>::from_reader(path_for(format), format, Box::new(Cursor::new(data.to_vec())));
    let Ok(mut reader) = reader else { return };
    loop {
        match reader.next_item() {
            Ok(Some(ReadItem::Record(rec, _))) => {
                round_trip(&rec, format);
                round_trip(
                    &rec,
                    match format {
                        Format::Csv => Format::Ndjson,
                        Format::Ndjson => Format::Csv,
                    },
                );
            }
            Ok(Some(ReadItem::Rejected(_))) => {}
            Ok(None) | Err(_) => break,
        }
    }
}

/// Writes `rec` alone in `format`, reads it back and asserts the result is `rec`.
fn round_trip<T: Record + PartialEq + Debug>(rec: &T, format: Format) {
    let path = path_for(format);
    let mut w = RecordWriter::<T, Vec<u8>>::to_writer(path, format, Vec::new()).unwrap();
    w.write(rec).unwrap();
    let bytes = w.into_inner().unwrap();
    let shown = String::from_utf8_lossy(&bytes).into_owned();
    let mut rd = RecordReader::<T>::from_reader(path, format, Box::new(Cursor::new(bytes))).unwrap();
    match rd.next_item() {
        Ok(Some(ReadItem::Record(back, _))) => {
            assert_eq!(&back, rec, "{format:?}: round trip changed the record\nwritten: {shown:?}");
        }
        other => panic!("{format:?}: written record not read back: {other:?}\nwritten: {shown:?}"),
    }
    match rd.next_item() {
        Ok(None) => {}
        other => panic!("{format:?}: one record written, more read back: {other:?}\nwritten: {shown:?}"),
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

fn replay<T: Record + PartialEq + Debug>(target: &str, format: Format) {
    for file in corpus(target) {
        let data = std::fs::read(&file).unwrap();
        // The panic hook has printed the message; name the file that caused it.
        if std::panic::catch_unwind(|| check::<T>(&data, format)).is_err() {
            panic!("corpus file {} failed; see the panic above", file.display());
        }
    }
}

#[test]
fn csv_transactions() {
    replay::<Transaction>("csv_transactions", Format::Csv);
}

#[test]
fn ndjson_transactions() {
    replay::<Transaction>("ndjson_transactions", Format::Ndjson);
}

#[test]
fn csv_accounts() {
    replay::<Account>("csv_accounts", Format::Csv);
}

#[test]
fn ndjson_lists() {
    replay::<ListEntry>("ndjson_lists", Format::Ndjson);
}

#[test]
fn ndjson_decisions() {
    replay::<Decision>("ndjson_decisions", Format::Ndjson);
}
