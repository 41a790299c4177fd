//! Every reject reason, driven by the files in `tests/rejects/`: each rejected row's message
//! must name the file, the record and physical line, the field and the reason. The messages
//! are snapshots (`insta`): a change in wording or position shows up in review.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::type_complexity,
    reason = "test code: a failure should stop the test loudly"
)]

use sluice_core::{AccountLabel, Decision, ListEntry, TxLabel, Verdict};
use sluice_io::{ReadItem, Record, RecordReader, RejectCode, RejectLog, TransactionIngest, load_accounts};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rejects").join(name)
}

/// A log that keeps every message, with the file shown by its name only.
fn recording_log() -> (RejectLog, Arc<Mutex<Vec<(RejectCode, String)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let log = RejectLog::new().with_callback(move |r| {
        let mut r = r.clone();
        r.file = Path::new(&*r.file).file_name().unwrap().to_string_lossy().into();
        sink.lock().unwrap().push((r.code, r.to_string()));
    });
    (log, seen)
}

fn read_plain<T: Record>(name: &str, log: &mut RejectLog) -> usize {
    let mut r = RecordReader::<T>::open(&corpus(name)).unwrap();
    let mut ok = 0;
    while let Some(item) = r.next_item().unwrap() {
        match item {
            ReadItem::Record(..) => ok += 1,
            ReadItem::Rejected(rej) => log.log(&rej).unwrap(),
        }
    }
    ok
}

#[test]
fn every_reject_reason_names_file_line_and_field() {
    let (mut log, seen) = recording_log();
    let mut report = String::new();

    let accounts = load_accounts(&corpus("accounts.csv"), &mut log, |_, _| {}).unwrap();
    report += &format!("accounts.csv: {} rows, {} accepted\n", accounts.rows, accounts.book.len());
    for file in ["transactions.csv", "transactions.ndjson"] {
        let mut ingest = TransactionIngest::open(&corpus(file), &accounts.book, None).unwrap();
        let mut ids = Vec::new();
        while let Some(a) = ingest.next(&mut log).unwrap() {
            ids.push(format!("{}{}", a.tx.tx_id, if a.late { " (late)" } else { "" }));
        }
        report += &format!("{file}: accepted [{}]; {:?}\n", ids.join(", "), ingest.stats());
    }
    report += &format!("lists.csv: {} accepted\n", read_plain::<ListEntry>("lists.csv", &mut log));
    report +=
        &format!("decisions.ndjson: {} accepted\n", read_plain::<Decision>("decisions.ndjson", &mut log));
    report += &format!("verdicts.csv: {} accepted\n", read_plain::<Verdict>("verdicts.csv", &mut log));
    report += &format!(
        "labels_accounts.csv: {} accepted\n",
        read_plain::<AccountLabel>("labels_accounts.csv", &mut log)
    );
    report += &format!(
        "labels_transactions.csv: {} accepted\n",
        read_plain::<TxLabel>("labels_transactions.csv", &mut log)
    );

    let seen = seen.lock().unwrap();
    report += "\n";
    for (_, msg) in seen.iter() {
        report += msg;
        report += "\n";
    }
    insta::assert_snapshot!(report);

    // Every message locates the row; every code except the row-level ones names a field.
    for (code, msg) in seen.iter() {
        assert!(msg.contains(": record ") && msg.contains(" (line "), "{msg}");
        if *code != RejectCode::BadRow {
            assert!(msg.contains("field `"), "no field named: {msg}");
        }
    }
    let covered: BTreeSet<RejectCode> = seen.iter().map(|(c, _)| *c).collect();
    let missing: Vec<&str> =
        RejectCode::ALL.iter().filter(|c| !covered.contains(c)).map(|c| c.as_str()).collect();
    assert!(missing.is_empty(), "reject codes without a test: {missing:?}");
}

#[test]
fn a_header_without_required_columns_is_an_error_for_the_file() {
    let err = RecordReader::<sluice_core::Transaction>::open(&corpus("header_missing.csv")).err().unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains(
            "header_missing.csv: line 1: header lacks required columns `payee`, `channel` for transactions"
        ),
        "{msg}"
    );
}

#[test]
fn an_empty_csv_and_an_unknown_extension_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("t.csv");
    std::fs::write(&empty, "").unwrap();
    let msg = RecordReader::<TxLabel>::open(&empty).err().unwrap().to_string();
    assert!(
        msg.ends_with("t.csv: line 1: empty file: a labels_transactions CSV needs a header row"),
        "{msg}"
    );
    let msg = RecordReader::<TxLabel>::open(&dir.path().join("t.json")).err().unwrap().to_string();
    assert!(msg.contains("cannot tell the format from the file name"), "{msg}");
}

#[test]
fn the_rejects_file_holds_every_rejected_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rejects.csv");
    let mut log = RejectLog::new().with_file(&path).unwrap();
    read_plain::<ListEntry>("lists.csv", &mut log);
    let total = log.total();
    log.finish().unwrap();
    let mut r = csv::Reader::from_path(&path).unwrap();
    assert_eq!(r.headers().unwrap(), vec!["file", "record", "line", "field", "code", "reason", "row"]);
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, total);
    assert_eq!(&rows[0][4], "BAD_LIST_KIND");
    assert_eq!(&rows[0][6], "exchanges,url,binance.com,,,,,");
}

#[test]
fn rejects_found_after_parsing_keep_the_row_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut plain = RejectLog::new();
    let accounts = load_accounts(&corpus("accounts.csv"), &mut plain, |_, _| {}).unwrap();
    for (file, expected) in [
        (
            "transactions.csv",
            vec![
                ("DUPLICATE_CONFLICT", "t1,2026-03-01T10:00:00Z,A1,M1,12.51,CNY,merchant,饭钱,d1"),
                ("UNKNOWN_ACCOUNT", "t2,2026-03-01T10:00:01Z,A1,NOPE,1.00,CNY,p2p,,"),
            ],
        ),
        (
            "transactions.ndjson",
            vec![(
                "UNKNOWN_ACCOUNT",
                r#"{"tx_id":"n11","ts":"2026-03-01T10:00:00Z","payer":"A1","payee":"NOPE","amount":"1.00","currency":"CNY","channel":"p2p","memo":"引号\"q\""}"#,
            )],
        ),
    ] {
        let path = dir.path().join(format!("{file}.rejects.csv"));
        let mut log = RejectLog::new().with_file(&path).unwrap();
        let mut ingest = TransactionIngest::open(&corpus(file), &accounts.book, None).unwrap();
        while ingest.next(&mut log).unwrap().is_some() {}
        log.finish().unwrap();
        let mut r = csv::Reader::from_path(&path).unwrap();
        let late: Vec<(String, String)> = r
            .records()
            .map(Result::unwrap)
            .filter(|row| matches!(&row[4], "DUPLICATE_CONFLICT" | "UNKNOWN_ACCOUNT"))
            .map(|row| (row[4].to_string(), row[6].to_string()))
            .collect();
        let expected: Vec<(String, String)> =
            expected.into_iter().map(|(c, r)| (c.to_string(), r.to_string())).collect();
        assert_eq!(late, expected, "{file}");
    }
}

#[test]
fn a_byte_order_mark_and_crlf_in_csv_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("labels_accounts.csv");
    std::fs::write(&path, b"\xEF\xBB\xBFrole,account_id\r\nmule,A1\r\nnormal,A2\r\n").unwrap();
    let mut r = RecordReader::<AccountLabel>::open(&path).unwrap();
    let mut got = Vec::new();
    while let Some(item) = r.next_item().unwrap() {
        match item {
            ReadItem::Record(l, pos) => got.push((l.account_id.to_string(), l.role, pos.line)),
            ReadItem::Rejected(rej) => panic!("{rej}"),
        }
    }
    assert_eq!(
        got,
        vec![
            ("A1".to_string(), sluice_core::Role::Mule, 2),
            ("A2".to_string(), sluice_core::Role::Normal, 3)
        ]
    );
}
