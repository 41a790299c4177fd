//! Fuzzes the sweep's history reader (`sluice sweep --state DIR` reads `DIR/sweep.state`):
//! arbitrary bytes must load or give an error, never panic; what loads must write back and
//! load again to the same history.
//!
//! `crates/sweep/tests/fuzz_state_corpus.rs` replays the saved corpus on stable Rust.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_sweep::state::SweepState;

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = SweepState::read(data) {
        let mut again = Vec::new();
        state.write(&mut again).unwrap();
        assert_eq!(SweepState::read(again.as_slice()).unwrap(), state);
    }
});
