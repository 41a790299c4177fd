//! A hand-made week: an OTC operator with two counter accounts on one device paid by
//! strangers in pegged amounts and forwarding to a mule who withdraws to a card; a family;
//! a supermarket; a street vendor paid by strangers. The verdicts are snapshotted. The ring is
//! small (10 buyers in a week): the rule scorer puts it in front of an analyst (`review`)
//! rather than restricting it on its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use sluice_core::{Account, Verdict};
use sluice_engine::lists::ListStore;
use sluice_io::{RecordWriter, RejectLog, TransactionIngest, load_accounts};
use std::path::Path;

fn sweep(dir: &Path) -> String {
    let mut log = RejectLog::new();
    let mut accounts: Vec<Account> = Vec::new();
    let load = load_accounts(&dir.join("accounts.csv"), &mut log, |_, a| accounts.push(a)).unwrap();
    let lists = ListStore::empty();
    let mut s = sluice_sweep::Sweep::new(&accounts, &lists);
    let mut ingest = TransactionIngest::open(&dir.join("transactions.csv"), &load.book, None).unwrap();
    while let Some(adm) = ingest.next(&mut log).unwrap() {
        s.add(&adm.tx, adm.payer, adm.payee);
    }
    assert_eq!(log.total(), 0);
    let out = s.finish();
    let mut w = RecordWriter::<Verdict, Vec<u8>>::to_writer(
        Path::new("verdicts.csv"),
        sluice_io::Format::Csv,
        Vec::new(),
    )
    .unwrap();
    for v in &out.verdicts {
        w.write(v).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[test]
fn otc_ring_family_vendor() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenario");
    let text = sweep(&dir);
    insta::assert_snapshot!(text);
}
