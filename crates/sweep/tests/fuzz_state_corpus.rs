//! Replays the saved cargo-fuzz corpus of the sweep's history reader
//! (`fuzz/corpus/sweep_state/`) through the same checks as `fuzz/fuzz_targets/sweep_state.rs`
//! on stable Rust: every file loads or gives an error, and what loads round-trips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use sluice_sweep::state::SweepState;
use std::path::Path;

#[test]
fn sweep_state_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/sweep_state");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fuzz corpus {} is missing: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut loaded = 0;
    for file in files {
        let data = std::fs::read(&file).unwrap();
        if let Ok(state) = SweepState::read(data.as_slice()) {
            loaded += 1;
            let mut again = Vec::new();
            state.write(&mut again).unwrap();
            assert_eq!(SweepState::read(again.as_slice()).unwrap(), state, "{}", file.display());
        }
    }
    assert!(loaded >= 1, "the seed state must load");
}
