//! The writer: domain records out as CSV (with header) or NDJSON, gzip by file name.

use crate::Error;
use crate::cell::CellSink;
use crate::format::{Format, OutputFile};
use crate::records::Record;
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Ndjson { out: W, line: Vec<u8> },
}

/// Writes records of type `T`.
pub struct RecordWriter<T, W: Write = OutputFile> {
    path: PathBuf,
    sink: Sink<W>,
    _t: PhantomData<fn(&T)>,
}

impl<T: Record> RecordWriter<T, OutputFile> {
    /// Creates (truncates) a file; the format comes from its name.
    pub fn create(path: &Path) -> Result<Self, Error> {
        let (ff, out) = OutputFile::create(path)?;
        Self::to_writer(path, ff.format, out)
    }

    /// Writes everything out, finishes compression and syncs the file.
    pub fn finish(self) -> Result<(), Error> {
        let path = self.path.clone();
        let mut out = self.into_inner()?;
        out.finish().map_err(|e| Error::io(&path, e))
    }
}

impl<T: Record, W: Write> RecordWriter<T, W> {
    /// Writes to any stream; `path` names it in messages.
    pub fn to_writer(path: &Path, format: Format, out: W) -> Result<Self, Error> {
        let sink = match format {
            Format::Csv => {
                let mut w =
                    csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(out);
                w.write_record(T::FIELDS).map_err(|e| Error::io(path, e.into()))?;
                Sink::Csv(Box::new(w))
            }
            Format::Ndjson => Sink::Ndjson { out, line: Vec::with_capacity(512) },
        };
        Ok(RecordWriter { path: path.to_path_buf(), sink, _t: PhantomData })
    }

    /// Writes one record.
    pub fn write(&mut self, rec: &T) -> Result<(), Error> {
        match &mut self.sink {
            Sink::Csv(w) => {
                let mut cells = CsvCells { w, err: None };
                rec.write_cells(&mut cells);
                if let Some(e) = cells.err {
                    return Err(Error::io(&self.path, e.into()));
                }
                w.write_record(None::<&[u8]>).map_err(|e| Error::io(&self.path, e.into()))
            }
            Sink::Ndjson { out, line } => {
                line.clear();
                line.push(b'{');
                let mut cells = JsonCells { line, fields: T::FIELDS, next: 0, first: true };
                rec.write_cells(&mut cells);
                line.extend_from_slice(b"}\n");
                out.write_all(line).map_err(|e| Error::io(&self.path, e))
            }
        }
    }

    /// Flushes and returns the underlying stream.
    pub fn into_inner(self) -> Result<W, Error> {
        match self.sink {
            Sink::Csv(w) => (*w).into_inner().map_err(|e| Error::io(&self.path, e.into_error())),
            Sink::Ndjson { mut out, .. } => {
                out.flush().map_err(|e| Error::io(&self.path, e))?;
                Ok(out)
            }
        }
    }
}

struct CsvCells<'w, W: Write> {
    w: &'w mut csv::Writer<W>,
    err: Option<csv::Error>,
}

impl<W: Write> CsvCells<'_, W> {
    fn field(&mut self, v: &[u8]) {
        if self.err.is_none()
            && let Err(e) = self.w.write_field(v)
        {
            self.err = Some(e);
        }
    }
}

impl<W: Write> CellSink for CsvCells<'_, W> {
    fn text(&mut self, v: &str) {
        self.field(v.as_bytes());
    }
    fn null(&mut self) {
        self.field(b"");
    }
    fn number(&mut self, v: &str) {
        self.field(v.as_bytes());
    }
    fn json(&mut self, v: &str) {
        self.field(v.as_bytes());
    }
}

struct JsonCells<'l> {
    line: &'l mut Vec<u8>,
    fields: &'static [&'static str],
    next: usize,
    first: bool,
}

impl JsonCells<'_> {
    /// Starts the next key; absent values are omitted (the contract treats both alike).
    fn key(&mut self) {
        let name = self.fields.get(self.next).copied().unwrap_or("?");
        self.next += 1;
        if !self.first {
            self.line.push(b',');
        }
        self.first = false;
        self.line.push(b'"');
        self.line.extend_from_slice(name.as_bytes());
        self.line.extend_from_slice(b"\":");
    }
}

impl CellSink for JsonCells<'_> {
    fn text(&mut self, v: &str) {
        self.key();
        // Writing a &str to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *self.line, v);
    }
    fn null(&mut self) {
        self.next += 1;
    }
    fn number(&mut self, v: &str) {
        self.key();
        self.line.extend_from_slice(v.as_bytes());
    }
    fn json(&mut self, v: &str) {
        self.key();
        self.line.extend_from_slice(v.as_bytes());
    }
}
