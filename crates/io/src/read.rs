//! The streaming reader: rows in, domain records or [`Reject`]s out, one row in memory at a
//! time.

use crate::Error;
use crate::cell::{Cell, Cells, FieldError, JsonRowError, MAX_FIELDS, fill_from_json};
use crate::format::{ByteCounter, Format, open_read};
use crate::records::Record;
use crate::reject::{Reject, RejectCode};
use std::borrow::Cow;
use std::io::{BufRead, ErrorKind};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a record is in its file.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct Position {
    /// 1-based record number (header and blank lines excluded).
    pub record: u64,
    /// 1-based physical line where the record starts.
    pub line: u64,
}

/// One item of a file: a valid record, or a rejected row.
#[derive(Debug)]
pub enum ReadItem<T> {
    /// A row that passed every field rule.
    Record(T, Position),
    /// A row that did not; the reader has already moved past it.
    Rejected(Reject),
}

/// An NDJSON record longer than this is rejected without being held in memory whole.
pub const MAX_NDJSON_LINE: usize = 1 << 20;

enum Source {
    Csv {
        rdr: Box<csv::Reader<Box<dyn BufRead + Send>>>,
        /// For each of the record type's fields, its column in the file.
        columns: [Option<usize>; MAX_FIELDS],
        width: usize,
        row: csv::ByteRecord,
        /// Lines end in CRLF: the csv crate then places a record's start on the `\n` that
        /// ends the previous line, one physical line early.
        crlf: bool,
    },
    Ndjson {
        src: Box<dyn BufRead + Send>,
        buf: Vec<u8>,
        line: u64,
        /// Start of the current record in `buf` after trimming.
        span: (usize, usize),
    },
}

/// Reads records of type `T` from a CSV or NDJSON stream.
pub struct RecordReader<T> {
    file: Arc<str>,
    path: PathBuf,
    source: Source,
    records: u64,
    _t: PhantomData<fn() -> T>,
}

impl<T: Record> RecordReader<T> {
    /// Opens a file; the format comes from its name.
    pub fn open(path: &Path) -> Result<Self, Error> {
        Self::open_counted(path, None)
    }

    /// Opens a file and counts the bytes read from disk into `counter` (for progress).
    pub fn open_counted(path: &Path, counter: Option<ByteCounter>) -> Result<Self, Error> {
        let (ff, reader) = open_read(path, counter)?;
        Self::from_reader(path, ff.format, reader)
    }

    /// Reads from any buffered stream; `path` names it in messages.
    pub fn from_reader(path: &Path, format: Format, reader: Box<dyn BufRead + Send>) -> Result<Self, Error> {
        let file: Arc<str> = path.display().to_string().into();
        let source = match format {
            Format::Ndjson => {
                Source::Ndjson { src: reader, buf: Vec::with_capacity(512), line: 0, span: (0, 0) }
            }
            Format::Csv => {
                let mut reader = reader;
                let crlf = header_ends_in_crlf(reader.as_mut()).map_err(|e| Error::io(path, e))?;
                let mut rdr = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .buffer_capacity(256 * 1024)
                    .from_reader(reader);
                let mut header = csv::ByteRecord::new();
                let header_err = |why: String| Error::Header { path: path.to_path_buf(), line: 1, why };
                match rdr.read_byte_record(&mut header) {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err(header_err(format!("empty file: a {} CSV needs a header row", T::KIND)));
                    }
                    Err(e) => return Err(csv_fatal(path, e)),
                }
                let (columns, width) = map_header::<T>(&header).map_err(header_err)?;
                Source::Csv { rdr: Box::new(rdr), columns, width, row: csv::ByteRecord::new(), crlf }
            }
        };
        Ok(RecordReader { file, path: path.to_path_buf(), source, records: 0, _t: PhantomData })
    }

    /// The file's name as used in messages.
    pub fn file(&self) -> &Arc<str> {
        &self.file
    }

    /// The next record or reject; `None` at the end. An `Err` means the stream itself broke.
    pub fn next_item(&mut self) -> Result<Option<ReadItem<T>>, Error> {
        match &mut self.source {
            Source::Csv { .. } => self.next_csv(),
            Source::Ndjson { .. } => self.next_ndjson(),
        }
    }

    /// A reject for the row just returned, e.g. for rules checked after reading.
    pub fn reject_current(
        &self,
        pos: Position,
        field: Option<&str>,
        code: RejectCode,
        reason: String,
    ) -> Reject {
        Reject::at(&self.file, pos, field, code, reason, self.current_raw())
    }

    /// Copies the raw bytes of the row just returned into `raw`, so that a reject can be
    /// written for it later, after the reader has moved on (see [`Batch`]).
    fn capture_raw(&self, raw: &mut RawRows) {
        match &self.source {
            Source::Csv { row, .. } => {
                for field in row.iter() {
                    raw.bytes.extend_from_slice(field);
                    raw.field_ends.push(raw.bytes.len());
                }
                raw.rows.push((RawKind::Csv, raw.field_ends.len()));
            }
            Source::Ndjson { buf, span, .. } => {
                raw.bytes.extend_from_slice(buf.get(span.0..span.1).unwrap_or_default());
                raw.field_ends.push(raw.bytes.len());
                raw.rows.push((RawKind::Line, raw.field_ends.len()));
            }
        }
    }

    /// Reads up to `max` items into a batch; `None` at the end of the stream.
    pub fn read_batch(&mut self, max: usize) -> Result<Option<Batch<T>>, Error> {
        let mut batch =
            Batch { file: self.file.clone(), items: Vec::with_capacity(max), raw: RawRows::default() };
        while batch.items.len() < max {
            match self.next_item()? {
                None => break,
                Some(item) => {
                    if matches!(item, ReadItem::Record(..)) {
                        self.capture_raw(&mut batch.raw);
                    } else {
                        batch.raw.rows.push((RawKind::Line, batch.raw.field_ends.len()));
                    }
                    batch.items.push(item);
                }
            }
        }
        Ok((!batch.items.is_empty()).then_some(batch))
    }

    fn current_raw(&self) -> String {
        match &self.source {
            Source::Csv { row, .. } => {
                let mut w =
                    csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
                let _ = w.write_byte_record(row);
                let bytes = w.into_inner().unwrap_or_default();
                let text = String::from_utf8_lossy(&bytes);
                text.trim_end_matches('\n').to_string()
            }
            Source::Ndjson { buf, span, .. } => {
                String::from_utf8_lossy(buf.get(span.0..span.1).unwrap_or_default()).into_owned()
            }
        }
    }

    fn next_csv(&mut self) -> Result<Option<ReadItem<T>>, Error> {
        let Source::Csv { rdr, columns, width, row, crlf } = &mut self.source else {
            return Ok(None);
        };
        match rdr.read_byte_record(row) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => return Err(csv_fatal(&self.path, e)),
        }
        self.records += 1;
        let line = row.position().map_or(0, csv::Position::line) + u64::from(*crlf);
        let pos = Position { record: self.records, line };
        if row.len() != *width {
            let reason = format!("has {} fields, the header has {}", row.len(), width);
            return Ok(Some(ReadItem::Rejected(self.reject_current(pos, None, RejectCode::BadRow, reason))));
        }
        let mut cells = Cells::new(T::FIELDS);
        let mut bad_encoding = None;
        // Fast path: one UTF-8 check for the whole row. Fields are contiguous in the
        // record's buffer, so each is valid on its own when the row is valid and every field
        // starts on a character boundary.
        let whole = std::str::from_utf8(row.as_slice()).ok();
        let mut offset = 0;
        let mut bounds = [(0usize, 0usize); 64];
        let fast = whole.is_some() && row.len() <= bounds.len();
        if fast {
            for (slot, field) in bounds.iter_mut().zip(row.iter()) {
                *slot = (offset, offset + field.len());
                offset += field.len();
            }
        }
        for (i, col) in columns.iter().enumerate().take(T::FIELDS.len()) {
            let Some(c) = *col else { continue };
            if let (true, Some(text), Some(&(a, b))) = (fast, whole, bounds.get(c))
                && let Some(field) = text.get(a..b)
            {
                if !field.is_empty() {
                    cells.set(i, Cell::Text(Cow::Borrowed(field)));
                }
                continue;
            }
            let Some(bytes) = row.get(c) else { continue };
            if bytes.is_empty() {
                continue;
            }
            match std::str::from_utf8(bytes) {
                Ok(s) => cells.set(i, Cell::Text(Cow::Borrowed(s))),
                Err(e) => {
                    bad_encoding = Some(FieldError::new(
                        T::FIELDS.get(i).copied().unwrap_or("?"),
                        RejectCode::BadEncoding,
                        format!("is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()),
                    ));
                    break;
                }
            }
        }
        let result = match bad_encoding {
            Some(e) => Err(e),
            None => T::from_cells(&cells),
        };
        Ok(Some(self.finish_row(result, pos)))
    }

    fn next_ndjson(&mut self) -> Result<Option<ReadItem<T>>, Error> {
        loop {
            let Source::Ndjson { src, buf, line, span } = &mut self.source else {
                return Ok(None);
            };
            buf.clear();
            let truncated = match read_line_capped(src.as_mut(), buf, MAX_NDJSON_LINE) {
                Ok(None) => return Ok(None),
                Ok(Some(t)) => t,
                Err(e) => return Err(Error::io(&self.path, e)),
            };
            *line += 1;
            let mut start = 0;
            if *line == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
                start = 3;
            }
            let mut end = buf.len();
            while end > start && matches!(buf[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            *span = (start, end);
            let body = &buf[start..end];
            if !truncated && body.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                continue;
            }
            self.records += 1;
            let pos = Position { record: self.records, line: *line };
            if truncated {
                let reason = format!("record is longer than {MAX_NDJSON_LINE} bytes");
                return Ok(Some(ReadItem::Rejected(self.reject_current(
                    pos,
                    None,
                    RejectCode::BadRow,
                    reason,
                ))));
            }
            let mut cells = Cells::new(T::FIELDS);
            let result = match fill_from_json(body, &mut cells) {
                Ok(()) => T::from_cells(&cells),
                Err(JsonRowError::DuplicateKey(k)) => {
                    Err(FieldError::new("", RejectCode::BadRow, format!("duplicate key `{k}`")))
                }
                Err(JsonRowError::Syntax(e)) => Err(match std::str::from_utf8(body) {
                    Err(u) => FieldError::new(
                        field_with_bad_utf8::<T>(body),
                        RejectCode::BadEncoding,
                        format!("is not valid UTF-8 (invalid byte at offset {})", u.valid_up_to()),
                    ),
                    Ok(_) => FieldError::new("", RejectCode::BadRow, json_error_text(&e)),
                }),
            };
            drop(cells);
            return Ok(Some(self.finish_row(result, pos)));
        }
    }

    fn finish_row(&self, result: Result<T, FieldError>, pos: Position) -> ReadItem<T> {
        match result {
            Ok(rec) => ReadItem::Record(rec, pos),
            Err(e) => {
                let field = (!e.field.is_empty()).then_some(e.field);
                ReadItem::Rejected(self.reject_current(pos, field, e.code, e.reason))
            }
        }
    }
}

/// Names the field whose value holds the invalid UTF-8 of a JSON row, if one does: the row
/// is parsed again with invalid bytes replaced, and the field showing U+FFFD is the one.
fn field_with_bad_utf8<T: Record>(body: &[u8]) -> &'static str {
    let lossy = String::from_utf8_lossy(body);
    let mut cells = Cells::new(T::FIELDS);
    if fill_from_json(lossy.as_bytes(), &mut cells).is_err() {
        return "";
    }
    cells
        .cells
        .iter()
        .position(|c| matches!(c, Cell::Text(t) if t.contains('\u{fffd}')))
        .and_then(|i| T::FIELDS.get(i).copied())
        .unwrap_or("")
}

/// serde_json's message without its "at line 1 column N" (the row is one line; the
/// physical line is already in the reject), with the column put first.
fn json_error_text(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text.split(" at line ").next().unwrap_or(&text).to_string();
    let text = text
        .replace("invalid type: sequence, expected a JSON object", "expected a JSON object, found an array");
    format!("invalid JSON at column {}: {text}", e.column())
}

/// Whether the first line of the stream ends in CRLF, looking only at what is buffered (a
/// header longer than the buffer counts as LF). A file that mixes line endings gets line
/// numbers off by one in messages after a change of ending; its data is read correctly.
fn header_ends_in_crlf(reader: &mut dyn BufRead) -> std::io::Result<bool> {
    let buf = reader.fill_buf()?;
    Ok(match memchr_newline(buf) {
        Some(i) => i > 0 && buf.get(i - 1) == Some(&b'\r'),
        None => false,
    })
}

fn csv_fatal(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map_or(0, csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        other => Error::Header { path: path.to_path_buf(), line, why: format!("unreadable CSV: {other:?}") },
    }
}

/// Maps the record type's fields to the header's columns.
fn map_header<T: Record>(header: &csv::ByteRecord) -> Result<([Option<usize>; MAX_FIELDS], usize), String> {
    let mut columns = [None; MAX_FIELDS];
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for (col, raw) in header.iter().enumerate() {
        let raw = if col == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
        let name =
            std::str::from_utf8(raw).map_err(|_| format!("header column {} is not valid UTF-8", col + 1))?;
        if names.iter().any(|n| n == name) {
            return Err(format!("header names column `{name}` twice"));
        }
        if let Some(i) = T::FIELDS.iter().position(|f| *f == name) {
            columns[i] = Some(col);
        }
        names.push(name.to_string());
    }
    let missing: Vec<&str> = T::REQUIRED.iter().filter(|r| !names.iter().any(|n| n == *r)).copied().collect();
    if !missing.is_empty() {
        return Err(format!(
            "header lacks required column{} {} for {} (found: {})",
            if missing.len() > 1 { "s" } else { "" },
            missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
            T::KIND,
            names.join(",")
        ));
    }
    Ok((columns, header.len()))
}

/// Reads up to and including the next `\n` into `buf`, keeping at most `cap` bytes and
/// discarding the rest of an over-long line. `None` at end of stream; `Some(true)` when the
/// line was cut.
fn read_line_capped(src: &mut dyn BufRead, buf: &mut Vec<u8>, cap: usize) -> std::io::Result<Option<bool>> {
    let mut read_any = false;
    let mut truncated = false;
    loop {
        let available = match src.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(read_any.then_some(truncated));
        }
        read_any = true;
        let (chunk, done) = match memchr_newline(available) {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let room = cap.saturating_sub(buf.len());
        if chunk.len() > room {
            truncated = true;
            buf.extend_from_slice(&chunk[..room]);
        } else {
            buf.extend_from_slice(chunk);
        }
        let used = chunk.len();
        src.consume(used);
        if done {
            return Ok(Some(truncated));
        }
    }
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

#[derive(Copy, Clone, Debug)]
enum RawKind {
    Csv,
    Line,
}

/// The raw rows of a batch, packed: field bytes back to back, with the end of each field and
/// of each row. Rendering one back to text happens only for the rare row rejected late.
#[derive(Default, Debug)]
struct RawRows {
    bytes: Vec<u8>,
    field_ends: Vec<usize>,
    /// Per item: how to render it and the end of its fields in `field_ends`.
    rows: Vec<(RawKind, usize)>,
}

impl RawRows {
    fn render(&self, i: usize) -> String {
        let Some(&(kind, end)) = self.rows.get(i) else { return String::new() };
        let start = if i == 0 { 0 } else { self.rows.get(i - 1).map_or(0, |r| r.1) };
        let field = |k: usize| -> &[u8] {
            let a = if k == 0 { 0 } else { self.field_ends.get(k - 1).copied().unwrap_or(0) };
            let b = self.field_ends.get(k).copied().unwrap_or(a);
            self.bytes.get(a..b).unwrap_or_default()
        };
        match kind {
            RawKind::Line => (start..end).map(|k| String::from_utf8_lossy(field(k)).into_owned()).collect(),
            RawKind::Csv => {
                let mut w =
                    csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
                let _ = w.write_record((start..end).map(field));
                let bytes = w.into_inner().unwrap_or_default();
                String::from_utf8_lossy(&bytes).trim_end_matches('\n').to_string()
            }
        }
    }
}

/// A run of consecutive items from one file, with their raw rows kept so that a reject can
/// still be written for any of them after the reader has moved on.
#[derive(Debug)]
pub struct Batch<T> {
    file: Arc<str>,
    items: Vec<ReadItem<T>>,
    raw: RawRows,
}

impl<T> Batch<T> {
    /// Applies `f` to every record, keeping rejects and raw rows as they are.
    pub fn map_records<U>(self, mut f: impl FnMut(T) -> U) -> Batch<U> {
        let items = self
            .items
            .into_iter()
            .map(|item| match item {
                ReadItem::Record(t, pos) => ReadItem::Record(f(t), pos),
                ReadItem::Rejected(r) => ReadItem::Rejected(r),
            })
            .collect();
        Batch { file: self.file, items, raw: self.raw }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Takes the items out, each with its index for [`Batch::reject`].
    pub fn take_items(&mut self) -> std::iter::Enumerate<std::vec::IntoIter<ReadItem<T>>> {
        std::mem::take(&mut self.items).into_iter().enumerate()
    }

    /// A reject for item `i`, e.g. for a rule checked after reading.
    pub fn reject(
        &self,
        i: usize,
        pos: Position,
        field: Option<&str>,
        code: RejectCode,
        reason: String,
    ) -> Reject {
        Reject::at(&self.file, pos, field, code, reason, self.raw.render(i))
    }
}

/// Items per batch handed from the reader thread: large enough to make the hand-off cost
/// negligible, small enough to keep both threads busy.
pub const BATCH_ITEMS: usize = 4096;

/// A reader running on its own thread, parsing ahead while the caller works on the previous
/// batches. At most `depth` batches wait in between, so memory stays bounded.
pub struct BackgroundReader<T> {
    rx: std::sync::mpsc::Receiver<Result<Batch<T>, Error>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl<U: Send + 'static> BackgroundReader<U> {
    /// Starts parsing `reader` on a new thread, applying `map` to each record there (work
    /// that needs no shared state belongs on that thread, next to the parsing).
    pub fn spawn<T: Record + Send + 'static>(
        mut reader: RecordReader<T>,
        depth: usize,
        mut map: impl FnMut(T) -> U + Send + 'static,
    ) -> Result<Self, Error> {
        let path = reader.path.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel(depth);
        let handle = std::thread::Builder::new()
            .name(format!("read {}", reader.file()))
            .spawn(move || {
                loop {
                    match reader.read_batch(BATCH_ITEMS) {
                        Ok(Some(b)) => {
                            if tx.send(Ok(b.map_records(&mut map))).is_err() {
                                return; // The consumer stopped listening.
                            }
                        }
                        Ok(None) => return,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    }
                }
            })
            .map_err(|e| Error::io(path, e))?;
        Ok(BackgroundReader { rx, handle: Some(handle) })
    }

    /// The next batch; `None` once the file is exhausted.
    pub fn next_batch(&mut self) -> Result<Option<Batch<U>>, Error> {
        match self.rx.recv() {
            Ok(b) => b.map(Some),
            Err(_) => {
                if let Some(h) = self.handle.take()
                    && h.join().is_err()
                {
                    return Err(Error::io(
                        PathBuf::from("reader thread"),
                        std::io::Error::other("the reader thread panicked"),
                    ));
                }
                Ok(None)
            }
        }
    }
}
