//! Fuzzes the NDJSON reader of `Decision` rows, with a round trip of every accepted record.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_core::Decision;
use sluice_io::Format;

fuzz_target!(|data: &[u8]| {
    sluice_fuzz::check::<Decision>(data, Format::Ndjson);
});
