//! Fuzzes the AMLSim importer: input split at the first `\0` into `nodes.csv` and
//! `transactions.csv`; an error or a conversion whose every row the contract accepts.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sluice_fuzz::check_amlsim(data);
});
