//! Fuzzes the OFAC SDN classic CSV import: the input is split in three at the first two
//! `\0` bytes (sdn, alt, add); entries or an error, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(list) = sluice_core::ListName::parse("sanctions") else { return };
    let mut parts = data.splitn(3, |&b| b == 0);
    let (sdn, alt, add) =
        (parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]));
    let files = [(sdn, Path::new("sdn.csv")), (alt, Path::new("alt.csv")), (add, Path::new("add.csv"))];
    let _ = sluice_screen::import::ofac_sdn_csv_from(files, &list);
});
