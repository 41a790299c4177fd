//! Fuzzes the streamed OFAC SDN advanced XML import: any bytes give entries or an error
//! naming the file and record, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(list) = sluice_core::ListName::parse("sanctions") else { return };
    let _ = sluice_screen::import::ofac_advanced_xml_from(data, Path::new("fuzz.xml"), &list);
});
