//! Data-driven scenarios: each folder of `tests/scenarios/` holds `accounts.csv`,
//! `transactions.csv`, `policy.toml` and `lists.csv`; the files are read exactly as
//! `sluice replay` reads them (`load_accounts`, `TransactionIngest`, `RecordReader`), every
//! admitted payment is decided, and the decisions are written with `RecordWriter<Decision>`
//! as the contract's NDJSON. The snapshot is that NDJSON plus the rejected rows and the
//! ingest counts: a change in any decision, reason or action shows up in review.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use sluice_core::{Account, Decision, ListEntry};
use sluice_engine::decide::{Engine, Prepared};
use sluice_engine::lists::ListStore;
use sluice_engine::policy::Policy;
use sluice_io::{Format, ReadItem, RecordReader, RecordWriter, RejectLog, TransactionIngest, load_accounts};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios").join(name)
}

fn lists(path: &Path) -> ListStore {
    let mut reader = RecordReader::<ListEntry>::open(path).unwrap();
    let mut entries = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        match item {
            ReadItem::Record(e, _) => entries.push(e),
            ReadItem::Rejected(r) => panic!("{r}"),
        }
    }
    // A fixed version: the digest would change with every edit of the file.
    ListStore::new(entries, Some("scenario".into())).unwrap()
}

/// Runs the scenario in `tests/scenarios/<name>/` and returns the snapshot text.
fn run(name: &str) -> String {
    let d = dir(name);
    let lists = Arc::new(lists(&d.join("lists.csv")));
    let src = std::fs::read_to_string(d.join("policy.toml")).unwrap();
    let policy = Arc::new(Policy::compile(&src, "policy.toml", &lists).unwrap_or_else(|e| panic!("{e}")));
    let rejects = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&rejects);
    let mut log = RejectLog::new().with_callback(move |r| {
        sink.lock().unwrap().push(format!("{} line {}: {}: {}", r.record, r.line, r.code, r.reason));
    });
    let mut accounts: Vec<Account> = Vec::new();
    let load = load_accounts(&d.join("accounts.csv"), &mut log, |_, a| accounts.push(a)).unwrap();
    let accounts: Arc<[Account]> = accounts.into();
    let mut engine = Engine::new(Arc::clone(&policy), Arc::clone(&lists), Arc::clone(&accounts)).unwrap();
    // The pipeline's path (stateless part prepared on another thread, then
    // `decide_prepared`) must decide exactly as `decide`.
    let mut prepared_engine =
        Engine::new(Arc::clone(&policy), Arc::clone(&lists), Arc::clone(&accounts)).unwrap();
    let mut preparer = std::thread::spawn({
        let p = prepared_engine.preparer();
        move || p
    })
    .join()
    .unwrap();
    let mut writer = RecordWriter::<Decision, Vec<u8>>::to_writer(
        Path::new("decisions.ndjson"),
        Format::Ndjson,
        Vec::new(),
    )
    .unwrap();
    let mut ingest = TransactionIngest::open(&d.join("transactions.csv"), &load.book, None).unwrap();
    let (mut admitted, mut decisions) = (Vec::new(), Vec::new());
    while let Some(adm) = ingest.next(&mut log).unwrap() {
        let decision = engine.decide(&adm.tx, adm.payer, adm.payee);
        let mut prepared = Prepared::default();
        preparer.prepare(&adm.tx, adm.payer, adm.payee, &mut prepared);
        prepared_engine.prefetch_prepared(&prepared);
        let same = prepared_engine.decide_prepared(&adm.tx, adm.payer, adm.payee, &prepared);
        assert_eq!(same, decision, "decide_prepared differs from decide");
        writer.write(&decision).unwrap();
        admitted.push((adm.tx, adm.payer, adm.payee));
        decisions.push(decision);
    }
    // The two lanes (`decide_lanes`) must decide exactly as `decide`, whatever the batch.
    for batch in [1, 2, 5, 64] {
        let mut lanes = Engine::new(Arc::clone(&policy), Arc::clone(&lists), Arc::clone(&accounts)).unwrap();
        let mut got = Vec::new();
        lanes.decide_lanes(admitted.chunks(batch), |_, d| got.push(d)).unwrap();
        assert_eq!(got, decisions, "the lanes (batches of {batch}) differ from decide");
        assert_eq!(lanes.stats(), engine.stats(), "the lanes' counters differ");
    }
    // The state stays split between calls of the lanes and is joined for `decide`: a third
    // of the stream on the lanes, a third on one thread, the rest on the lanes again.
    let third = admitted.len() / 3;
    let mut mixed = Engine::new(Arc::clone(&policy), Arc::clone(&lists), Arc::clone(&accounts)).unwrap();
    let mut got = Vec::new();
    mixed.decide_lanes(admitted[..third].chunks(4), |_, d| got.push(d)).unwrap();
    for (tx, payer, payee) in &admitted[third..2 * third] {
        got.push(mixed.decide(tx, *payer, *payee));
    }
    mixed.decide_lanes(admitted[2 * third..].chunks(4), |_, d| got.push(d)).unwrap();
    assert_eq!(got, decisions, "lanes, then one thread, then lanes again differ from decide");
    // Read while split: every account's features are where the whole store has them.
    if let Some((last, ..)) = admitted.last() {
        for idx in 0..accounts.len() as u32 {
            assert_eq!(mixed.features_at(idx, last.ts), engine.features_at(idx, last.ts), "account {idx}");
        }
    }
    let stats = ingest.stats().clone();
    let mut out = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    for r in rejects.lock().unwrap().iter() {
        out.push_str(&format!("reject: {r}\n"));
    }
    out.push_str(&format!(
        "input: {} rows, {} accepted, {} rejected, {} duplicates, {} late, {} out of order\n",
        stats.rows, stats.accepted, stats.rejected, stats.duplicates, stats.late, stats.out_of_order
    ));
    out
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                insta::assert_snapshot!(stringify!($name), run(stringify!($name)));
            }
        )*

        /// Every folder has a test, and every test a folder.
        #[test]
        fn every_scenario_folder_is_run() {
            let mut on_disk: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            on_disk.sort();
            let mut listed = vec![$(stringify!($name).to_string()),*];
            listed.sort();
            assert_eq!(on_disk, listed);
        }
    };
}

scenarios!(
    account_list,
    host_list,
    memo_address,
    memo_host,
    memo_terms,
    name_screening,
    allowlist,
    score_thresholds,
    restriction,
    restriction_expiry,
    window_1h,
    window_24h,
    window_7d,
    effective_date,
    late_events,
    duplicates,
    devices,
    window_counterparties,
    window_round_share,
    window_pegged_share,
    window_night_share,
    pass_through,
    account_age,
);

/// A policy whose rule reads a side's `restriction` (which earlier decisions set) is
/// evaluated by the lanes in input order, and decides as one thread does.
#[test]
fn lanes_run_rules_that_read_restrictions_in_order() {
    let d = dir("restriction");
    let lists = Arc::new(lists(&d.join("lists.csv")));
    let src = std::fs::read_to_string(d.join("policy.toml")).unwrap()
        + "\n[[rule]]\nid = \"still-trying\"\nwhen = 'payer.restriction != \"none\"'\noutcome = \"review\"\nweight = 0.2\nreason = \"OTC_PATTERN\"\n";
    let policy = Arc::new(Policy::compile(&src, "policy.toml", &lists).unwrap_or_else(|e| panic!("{e}")));
    assert!(policy.reads_restrictions());
    let mut log = RejectLog::new();
    let mut accounts: Vec<Account> = Vec::new();
    let load = load_accounts(&d.join("accounts.csv"), &mut log, |_, a| accounts.push(a)).unwrap();
    let accounts: Arc<[Account]> = accounts.into();
    let mut engine = Engine::new(Arc::clone(&policy), Arc::clone(&lists), Arc::clone(&accounts)).unwrap();
    let mut ingest = TransactionIngest::open(&d.join("transactions.csv"), &load.book, None).unwrap();
    let (mut admitted, mut want) = (Vec::new(), Vec::new());
    while let Some(adm) = ingest.next(&mut log).unwrap() {
        want.push(engine.decide(&adm.tx, adm.payer, adm.payee));
        admitted.push((adm.tx, adm.payer, adm.payee));
    }
    assert!(engine.stats().fired.last().is_some_and(|&n| n > 0), "the scenario must exercise the rule");
    for batch in [1, 3, 64] {
        let mut lanes = Engine::new(Arc::clone(&policy), Arc::clone(&lists), Arc::clone(&accounts)).unwrap();
        let mut got = Vec::new();
        lanes.decide_lanes(admitted.chunks(batch), |_, d| got.push(d)).unwrap();
        assert_eq!(got, want, "batches of {batch}");
        assert_eq!(lanes.stats(), engine.stats());
    }
}
