//! Replays the saved cargo-fuzz corpus of the screening targets (`fuzz/corpus/<target>/`)
//! through the same functions as the fuzz targets, on stable Rust: no input may panic.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use sluice_core::ListName;
use std::path::{Path, PathBuf};

// Each check mirrors `fuzz/fuzz_targets/<target>.rs`; keep the two in step.

fn list() -> ListName {
    ListName::parse("sanctions").unwrap()
}

fn import_ofac_xml(data: &[u8]) {
    let _ = sluice_screen::import::ofac_advanced_xml_from(data, Path::new("fuzz.xml"), &list());
}

fn import_un_xml(data: &[u8]) {
    let _ = sluice_screen::import::un_consolidated_xml_from(data, Path::new("fuzz.xml"), &list());
}

fn import_ofac_csv(data: &[u8]) {
    let mut parts = data.splitn(3, |&b| b == 0);
    let (sdn, alt, add) =
        (parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]));
    let files = [(sdn, Path::new("sdn.csv")), (alt, Path::new("alt.csv")), (add, Path::new("add.csv"))];
    let _ = sluice_screen::import::ofac_sdn_csv_from(files, &list());
}

fn import_ofac_crypto(data: &[u8]) {
    let _ = sluice_screen::import::ofac_crypto_csv_from(data, Path::new("fuzz.csv"), &list());
}

fn screen_name(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let (a, b) = s.split_once('|').unwrap_or((s, s));
    let ab = sluice_screen::score::score_names(a, b).score;
    let ba = sluice_screen::score::score_names(b, a).score;
    assert!((0.0..=1.0).contains(&ab) && (0.0..=1.0).contains(&ba), "{ab} {ba}");
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

fn replay(target: &str, check: fn(&[u8])) {
    for file in corpus(target) {
        let data = std::fs::read(&file).unwrap();
        // The panic hook has printed the message; name the file that caused it.
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("corpus file {} failed; see the panic above", file.display());
        }
    }
}

#[test]
fn corpus_import_ofac_xml() {
    replay("import_ofac_xml", import_ofac_xml);
}

#[test]
fn corpus_import_un_xml() {
    replay("import_un_xml", import_un_xml);
}

#[test]
fn corpus_import_ofac_csv() {
    replay("import_ofac_csv", import_ofac_csv);
}

#[test]
fn corpus_import_ofac_crypto() {
    replay("import_ofac_crypto", import_ofac_crypto);
}

#[test]
fn corpus_screen_name() {
    replay("screen_name", screen_name);
}
