//! File formats chosen by extension, and opening files for reading and writing with
//! transparent gzip.

use crate::Error;
use flate2::Compression as GzLevel;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How rows are encoded.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object per line.
    Ndjson,
}

/// Whether the bytes are compressed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain.
    None,
    /// gzip (any number of members).
    Gzip,
}

/// A file's format and compression, from its name.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FileFormat {
    /// Row encoding.
    pub format: Format,
    /// Compression.
    pub compression: Compression,
}

impl FileFormat {
    /// `.csv`, `.ndjson` or `.jsonl`, each optionally followed by `.gz` (case-insensitive).
    pub fn from_path(path: &Path) -> Result<Self, Error> {
        let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        let (stem, compression) = match name.strip_suffix(".gz") {
            Some(stem) => (stem, Compression::Gzip),
            None => (name.as_str(), Compression::None),
        };
        let format = if stem.ends_with(".csv") {
            Format::Csv
        } else if stem.ends_with(".ndjson") || stem.ends_with(".jsonl") {
            Format::Ndjson
        } else {
            return Err(Error::UnknownFormat { path: path.to_path_buf() });
        };
        Ok(FileFormat { format, compression })
    }
}

const READ_BUF: usize = 256 * 1024;

/// Counts bytes read from the underlying file, for progress bars.
#[derive(Clone, Default, Debug)]
pub struct ByteCounter(Arc<AtomicU64>);

impl ByteCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }
    /// Bytes read so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Counting<R> {
    inner: R,
    counter: ByteCounter,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a file for reading, decompressing gzip when its name says so.
pub fn open_read(
    path: &Path,
    counter: Option<ByteCounter>,
) -> Result<(FileFormat, Box<dyn BufRead + Send>), Error> {
    let ff = FileFormat::from_path(path)?;
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let raw: Box<dyn Read + Send> = match counter {
        Some(counter) => Box::new(Counting { inner: file, counter }),
        None => Box::new(file),
    };
    let reader: Box<dyn BufRead + Send> = match ff.compression {
        Compression::None => Box::new(BufReader::with_capacity(READ_BUF, raw)),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            READ_BUF,
            MultiGzDecoder::new(BufReader::with_capacity(READ_BUF, raw)),
        )),
    };
    Ok((ff, reader))
}

/// A byte sink that finishes its gzip stream when asked, so errors at the end are seen.
pub struct OutputFile {
    inner: OutputInner,
}

enum OutputInner {
    Plain(BufWriter<File>),
    Gzip(GzEncoder<BufWriter<File>>),
    Done,
}

impl OutputFile {
    /// Creates (truncates) a file, compressing when its name ends in `.gz`.
    pub fn create(path: &Path) -> Result<(FileFormat, OutputFile), Error> {
        let ff = FileFormat::from_path(path)?;
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let buf = BufWriter::with_capacity(READ_BUF, file);
        let inner = match ff.compression {
            Compression::None => OutputInner::Plain(buf),
            Compression::Gzip => OutputInner::Gzip(GzEncoder::new(buf, GzLevel::fast())),
        };
        Ok((ff, OutputFile { inner }))
    }

    /// Flushes everything, writes the gzip trailer and syncs the file to disk.
    pub fn finish(&mut self) -> io::Result<()> {
        let file = match std::mem::replace(&mut self.inner, OutputInner::Done) {
            OutputInner::Plain(w) => w.into_inner().map_err(|e| e.into_error())?,
            OutputInner::Gzip(g) => g.finish()?.into_inner().map_err(|e| e.into_error())?,
            OutputInner::Done => return Ok(()),
        };
        file.sync_all()
    }

    /// Waits until the bytes already handed to the file system are on disk; bytes still
    /// buffered here are not flushed, so the output is byte for byte what it would have been.
    /// A long writer calls it now and then so that the final sync of [`finish`](Self::finish)
    /// has little left to wait for.
    pub fn sync_written(&self) -> io::Result<()> {
        match &self.inner {
            OutputInner::Plain(w) => w.get_ref().sync_data(),
            OutputInner::Gzip(g) => g.get_ref().get_ref().sync_data(),
            OutputInner::Done => Ok(()),
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            OutputInner::Plain(w) => w.write(buf),
            OutputInner::Gzip(w) => w.write(buf),
            OutputInner::Done => Err(io::Error::other("write after finish")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            OutputInner::Plain(w) => w.flush(),
            OutputInner::Gzip(w) => w.flush(),
            OutputInner::Done => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        let f = |p: &str| FileFormat::from_path(Path::new(p)).ok();
        assert_eq!(f("a/tx.csv"), Some(FileFormat { format: Format::Csv, compression: Compression::None }));
        assert_eq!(f("tx.CSV.GZ"), Some(FileFormat { format: Format::Csv, compression: Compression::Gzip }));
        assert_eq!(f("tx.jsonl.gz").map(|f| f.format), Some(Format::Ndjson));
        assert_eq!(f("tx.ndjson").map(|f| f.format), Some(Format::Ndjson));
        assert_eq!(f("tx.json"), None);
        assert_eq!(f("tx.gz"), None);
    }
}
