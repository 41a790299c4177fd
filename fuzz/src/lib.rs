//! Shared logic of Sluice's fuzz targets: drain a [`RecordReader`] over arbitrary bytes,
//! and send every record it accepts through a write → read round trip.
//!
//! The same logic is duplicated in `crates/io/tests/fuzz_corpus.rs`, which replays the saved
//! corpus on stable Rust; keep the two in step.

use sluice_io::{Format, ReadItem, Record, RecordReader, RecordWriter};
use std::fmt::Debug;
use std::io::Cursor;
use std::path::Path;

fn path_for(format: Format) -> &'static Path {
    Path::new(match format {
        Format::Csv => "fuzz.csv",
        Format::Ndjson => "fuzz.ndjson",
    })
}

/// Reads `data` as a file of `T` in `format` until the end or a stream error. Rejected rows
/// are fine; a panic is a bug. Every accepted record must survive a round trip.
pub fn check<T: Record + PartialEq + Debug>(data: &[u8], format: Format) {
    let reader =
        RecordReader::<T>::from_reader(path_for(format), format, Box::new(Cursor::new(data.to_vec())));
    let Ok(mut reader) = reader else { return };
    loop {
        match reader.next_item() {
            Ok(Some(ReadItem::Record(rec, _))) => {
                // The input's own format first, then the other one.
                round_trip(&rec, format);
                round_trip(
                    &rec,
                    match format {
                        Format::Csv => Format::Ndjson,
                        Format::Ndjson => Format::Csv,
                    },
                );
            }
            Ok(Some(ReadItem::Rejected(_))) => {}
            Ok(None) | Err(_) => break,
        }
    }
}

/// Writes `rec` alone in `format`, reads it back and asserts the result is `rec`.
pub fn round_trip<T: Record + PartialEq + Debug>(rec: &T, format: Format) {
    let path = path_for(format);
    let mut w = match RecordWriter::<T, Vec<u8>>::to_writer(path, format, Vec::new()) {
        Ok(w) => w,
        Err(e) => panic!("{format:?}: cannot start writer: {e}"),
    };
    if let Err(e) = w.write(rec) {
        panic!("{format:?}: cannot write {rec:?}: {e}");
    }
    let bytes = match w.into_inner() {
        Ok(b) => b,
        Err(e) => panic!("{format:?}: cannot finish writer: {e}"),
    };
    let shown = String::from_utf8_lossy(&bytes).into_owned();
    let mut rd = match RecordReader::<T>::from_reader(path, format, Box::new(Cursor::new(bytes))) {
        Ok(r) => r,
        Err(e) => panic!("{format:?}: written output unreadable: {e}\nwritten: {shown:?}"),
    };
    match rd.next_item() {
        Ok(Some(ReadItem::Record(back, _))) => {
            assert_eq!(&back, rec, "{format:?}: round trip changed the record\nwritten: {shown:?}");
        }
        other => panic!("{format:?}: written record not read back: {other:?}\nwritten: {shown:?}"),
    }
    match rd.next_item() {
        Ok(None) => {}
        other => panic!("{format:?}: one record written, more read back: {other:?}\nwritten: {shown:?}"),
    }
}

/// The AMLSim importer on arbitrary bytes, split at the first `\0` into `nodes.csv` and
/// `transactions.csv`: an error or a conversion, never a panic; and every row a conversion
/// writes is accepted by the contract's own readers (so `sluice validate` takes it).
///
/// Duplicated in `crates/peers/tests/fuzz_corpus.rs`; keep the two in step.
pub fn check_amlsim(data: &[u8]) {
    use sluice_core::{Account, AccountLabel, Country, Currency, Timestamp, Transaction, TxLabel};
    use sluice_peers::amlsim::{Converter, OUTPUT_FILES, Options, Outputs};

    let (nodes, txs) = match data.iter().position(|&b| b == 0) {
        Some(p) => (&data[..p], &data[p + 1..]),
        None => (data, &[][..]),
    };
    let (Ok(start), Some(country)) =
        (Timestamp::parse_rfc3339("2026-01-01T00:00:00+08:00"), Country::parse("CN"))
    else {
        return;
    };
    let opts = Options { start, step_secs: 86_400, currency: Currency::CNY, country };
    let Ok(mut out) = Outputs::csv(OUTPUT_FILES.map(Path::new), [(); 4].map(|()| Vec::new())) else {
        return;
    };
    let mut conv = Converter::new(&opts);
    if conv.nodes(nodes, "nodes.csv", &mut out).is_err()
        || conv.transactions(txs, "transactions.csv", &mut out).is_err()
    {
        return;
    }
    let s = conv.summary().clone();
    let [a, t, la, lt] = match out.into_inner() {
        Ok(files) => files,
        Err(e) => panic!("cannot finish the outputs: {e}"),
    };
    assert_eq!(accepted::<Account>(a), s.accounts);
    assert_eq!(accepted::<AccountLabel>(la), s.accounts);
    assert_eq!(accepted::<Transaction>(t), s.transactions);
    assert_eq!(accepted::<TxLabel>(lt), s.transactions);
}

/// Reads CSV `bytes` of `T`; every row must be accepted. Returns the number of rows.
fn accepted<T: Record + Debug>(bytes: Vec<u8>) -> u64 {
    let shown = String::from_utf8_lossy(&bytes).into_owned();
    let mut rd =
        match RecordReader::<T>::from_reader(Path::new("out.csv"), Format::Csv, Box::new(Cursor::new(bytes)))
        {
            Ok(r) => r,
            Err(e) => panic!("output unreadable: {e}\n{shown}"),
        };
    let mut n = 0;
    loop {
        match rd.next_item() {
            Ok(Some(ReadItem::Record(..))) => n += 1,
            Ok(None) => return n,
            other => panic!("the importer wrote a row the contract refuses: {other:?}\n{shown}"),
        }
    }
}
