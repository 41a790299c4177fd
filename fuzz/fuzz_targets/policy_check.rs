//! Fuzzes the policy checker: `sluice_engine::policy::check` on arbitrary UTF-8, against the
//! shipped lists, and every diagnostic rendered (its span must slice the source cleanly).
//! It must never panic, whatever the text.
//!
//! `crates/engine/tests/fuzz_policy_corpus.rs` replays the saved corpus on stable Rust.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_core::ListEntry;
use sluice_engine::lists::ListStore;
use sluice_engine::policy;
use sluice_io::{Format, ReadItem, RecordReader};
use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

/// The shipped lists, read once.
fn lists() -> &'static ListStore {
    static LISTS: OnceLock<ListStore> = OnceLock::new();
    LISTS.get_or_init(|| {
        let src = include_str!("../../lists/default.csv");
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
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let checked = policy::check(src, lists());
    for d in &checked.diagnostics {
        let _ = d.render("fuzz.toml", src);
    }
});
