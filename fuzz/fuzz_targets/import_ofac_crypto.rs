//! Fuzzes the OFAC crypto address CSV import: entries or an error, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(list) = sluice_core::ListName::parse("sanctions") else { return };
    let _ = sluice_screen::import::ofac_crypto_csv_from(data, Path::new("fuzz.csv"), &list);
});
