//! Fuzzes the UN consolidated list XML import: entries or an error, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(list) = sluice_core::ListName::parse("sanctions") else { return };
    let _ = sluice_screen::import::un_consolidated_xml_from(data, Path::new("fuzz.xml"), &list);
});
