//! Readers and writers of Sluice's data formats (`shared/spec/data-format.md`).
//!
//! Every record type of the contract — accounts, transactions, list entries, decisions,
//! verdicts and both label files — is read and written as CSV or NDJSON, gzip-compressed when
//! the file name ends in `.gz`, through one generic pair: [`RecordReader`] and
//! [`RecordWriter`], driven by the [`Record`] trait that each type implements in
//! [`records`].
//!
//! Reading streams: one row is held at a time, so memory does not grow with the file. A row
//! that breaks the contract does not stop the reader: it comes back as a [`Reject`] naming
//! the file, the record number and physical line where the row starts, the field, a stable
//! [`RejectCode`] and the reason, and the reader goes on. Only a file that cannot be read at
//! all (missing, unknown extension, a CSV header without a required column) is an [`Error`].
//!
//! [`ingest`] adds the rules that need memory of earlier rows (unknown accounts, duplicates,
//! late rows) on top of the reader, using `sluice_core::admission`.

pub mod cell;
pub mod format;
pub mod ingest;
pub mod read;
pub mod records;
pub mod reject;
pub mod write;

pub use format::{Compression, FileFormat, Format};
pub use ingest::{AccountLoad, IngestStats, TransactionIngest, load_accounts};
pub use read::{BackgroundReader, Batch, Position, ReadItem, RecordReader};
pub use records::Record;
pub use reject::{Reject, RejectCode, RejectLog};
pub use write::RecordWriter;

use std::path::PathBuf;

/// A file that cannot be read or written at all. Row-level problems are [`Reject`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file name does not say which format it holds.
    #[error(
        "{path}: cannot tell the format from the file name; use .csv, .ndjson or .jsonl, optionally followed by .gz"
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// A CSV header that cannot serve the record type.
    #[error("{path}: line {line}: {why}")]
    Header {
        /// The file.
        path: PathBuf,
        /// Physical line of the header.
        line: u64,
        /// What is wrong.
        why: String,
    },
    /// The reject log could not be written.
    #[error("rejects file {path}: {source}")]
    RejectsFile {
        /// The reject file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
