//! Replays the saved cargo-fuzz corpus of the policy checker (`fuzz/corpus/policy_check/`)
//! through the same calls as `fuzz/fuzz_targets/policy_check.rs` — `policy::check` against
//! the shipped lists, then every diagnostic rendered — on stable Rust. Keep the two in step.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use sluice_core::ListEntry;
use sluice_engine::lists::ListStore;
use sluice_engine::policy;
use sluice_io::{Format, ReadItem, RecordReader};
use std::io::Cursor;
use std::path::{Path, PathBuf};

fn default_lists() -> ListStore {
    let src = include_str!("../../../lists/default.csv");
    let mut reader = RecordReader::<ListEntry>::from_reader(
        Path::new("default.csv"),
        Format::Csv,
        Box::new(Cursor::new(src.as_bytes())),
    )
    .unwrap();
    let mut entries = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        if let ReadItem::Record(e, _) = item {
            entries.push(e);
        }
    }
    ListStore::new(entries, None).unwrap()
}

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/policy_check");
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("fuzz corpus {} is missing: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    assert!(!files.is_empty(), "fuzz corpus {} is empty", dir.display());
    files
}

#[test]
fn policy_check_corpus_never_panics() {
    let lists = default_lists();
    for file in corpus() {
        let data = std::fs::read(&file).unwrap();
        let Ok(src) = std::str::from_utf8(&data) else { continue };
        let run = || {
            let checked = policy::check(src, &lists);
            for d in &checked.diagnostics {
                let _ = d.render("fuzz.toml", src);
            }
        };
        // The panic hook has printed the message; name the file that caused it.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).is_err() {
            panic!("corpus file {} failed; see the panic above", file.display());
        }
    }
}
