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
