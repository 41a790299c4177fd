//! Reading a whole input the way every command does: accounts into an
//! [`AccountBook`](sluice_core::admission::AccountBook), then transactions streamed through
//! the admission gate, every reject logged.

use crate::Error;
use crate::format::ByteCounter;
use crate::read::{BackgroundReader, Batch, Position, ReadItem, RecordReader};
use crate::reject::{RejectCode, RejectLog};
use sluice_core::admission::{
    AccountBook, Admission, AdmissionError, DuplicateAccount, Prepared, TxGate, prepare,
};
use sluice_core::{Account, Transaction};
use std::path::Path;
use std::sync::Arc;

/// What loading an accounts file found.
pub struct AccountLoad {
    /// The accepted accounts, indexed (shared: transaction readers resolve accounts on
    /// their own thread).
    pub book: Arc<AccountBook>,
    /// Rows read.
    pub rows: u64,
    /// Rows rejected.
    pub rejected: u64,
}

/// Loads an accounts file into a book, logging rejects (a second row for an id is
/// `DUPLICATE_ACCOUNT`); `each` sees every accepted account with its dense index.
pub fn load_accounts(
    path: &Path,
    log: &mut RejectLog,
    mut each: impl FnMut(u32, Account),
) -> Result<AccountLoad, Error> {
    let mut reader = RecordReader::<Account>::open(path)?;
    let mut book = AccountBook::new();
    let (mut rows, mut rejected) = (0, 0);
    while let Some(item) = reader.next_item()? {
        rows += 1;
        match item {
            ReadItem::Record(acct, pos) => match book.insert(&acct) {
                Ok(idx) => each(idx, acct),
                Err(DuplicateAccount(id)) => {
                    rejected += 1;
                    let reason = format!("account `{id}` is already defined earlier in the file");
                    log.log(&reader.reject_current(
                        pos,
                        Some("account_id"),
                        RejectCode::DuplicateAccount,
                        reason,
                    ))?;
                }
            },
            ReadItem::Rejected(r) => {
                rejected += 1;
                log.log(&r)?;
            }
        }
    }
    Ok(AccountLoad { book: Arc::new(book), rows, rejected })
}

/// Counts kept while a transaction stream is admitted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestStats {
    /// Rows read (records, not lines).
    pub rows: u64,
    /// New transactions admitted.
    pub accepted: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Identical re-deliveries, not counted again.
    pub duplicates: u64,
    /// Admitted rows more than 10 minutes behind the newest `ts` read so far.
    pub late: u64,
    /// Admitted rows behind the newest `ts` at all (including the tolerated ones).
    pub out_of_order: u64,
    /// The most any admitted row was behind, in microseconds.
    pub max_behind_micros: i64,
    /// Admitted rows dated before their payer's or payee's account was opened (warning).
    pub before_account_created: u64,
}

/// A transaction that passed every rule, with what the gate learned about it.
#[derive(Debug)]
pub struct Admitted {
    /// The payment.
    pub tx: Transaction,
    /// Where it was in the file.
    pub pos: Position,
    /// Dense index of the payer, if a platform account.
    pub payer: Option<u32>,
    /// Dense index of the payee, if a platform account.
    pub payee: Option<u32>,
    /// More than 10 minutes behind the newest `ts`.
    pub late: bool,
}

/// Streams a transactions file through the admission gate. Parsing and the stateless half
/// of admission ([`prepare`]: account lookups, hashing) run on a background thread; the
/// caller's thread keeps the gate's state (duplicates, watermark) and does its own work, so
/// the two cores of a small machine share the load.
pub struct TransactionIngest {
    reader: BackgroundReader<PreparedTx>,
    batch: Option<Batch<PreparedTx>>,
    items: std::iter::Enumerate<std::vec::IntoIter<ReadItem<PreparedTx>>>,
    gate: TxGate,
    book: Arc<AccountBook>,
    stats: IngestStats,
}

/// A guess at the number of rows in a transactions file, to size the de-duplication set
/// once instead of growing it (rows are rarely under ~70 bytes; gzip shrinks them ~4x).
fn expected_rows(path: &Path) -> usize {
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
    let gz = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let rows = if gz { bytes / 18 } else { bytes / 70 };
    usize::try_from(rows).unwrap_or(0).min(64 << 20)
}

/// A parsed transaction with the stateless half of its admission.
type PreparedTx = (Transaction, Result<Prepared, AdmissionError>);

/// Batches waiting between the reader thread and the caller.
const QUEUE_DEPTH: usize = 4;

impl TransactionIngest {
    /// Opens a transactions file against a book of accounts, with a fresh gate.
    pub fn open(path: &Path, book: &Arc<AccountBook>, counter: Option<ByteCounter>) -> Result<Self, Error> {
        let reader = RecordReader::open_counted(path, counter)?;
        let shared = book.clone();
        Ok(TransactionIngest {
            reader: BackgroundReader::spawn(reader, QUEUE_DEPTH, move |tx: Transaction| {
                let p = prepare(&tx, &shared);
                (tx, p)
            })?,
            batch: None,
            items: Vec::new().into_iter().enumerate(),
            gate: TxGate::with_capacity(expected_rows(path)),
            book: book.clone(),
            stats: IngestStats::default(),
        })
    }

    /// Uses `gate` (e.g. one carried over from an earlier file) instead of a fresh one.
    pub fn with_gate(mut self, gate: TxGate) -> Self {
        self.gate = gate;
        self
    }

    /// Counts so far.
    pub fn stats(&self) -> &IngestStats {
        &self.stats
    }

    /// Gives back the gate, to carry de-duplication into the next file.
    pub fn into_gate(self) -> TxGate {
        self.gate
    }

    /// The next admitted transaction; rejects and duplicates are logged and skipped.
    pub fn next(&mut self, log: &mut RejectLog) -> Result<Option<Admitted>, Error> {
        loop {
            let Some((i, item)) = self.items.next() else {
                match self.reader.next_batch()? {
                    Some(mut b) => {
                        self.items = b.take_items();
                        self.batch = Some(b);
                        continue;
                    }
                    None => return Ok(None),
                }
            };
            self.stats.rows += 1;
            let ((tx, prepared), pos) = match item {
                ReadItem::Record(rec, pos) => (rec, pos),
                ReadItem::Rejected(r) => {
                    self.stats.rejected += 1;
                    log.log(&r)?;
                    continue;
                }
            };
            match prepared.and_then(|p| self.gate.admit_prepared(&tx, &p, &self.book)) {
                Ok(Admission::Duplicate) => self.stats.duplicates += 1,
                Ok(Admission::Accepted { behind_micros, late, before_account_created, payer, payee }) => {
                    self.stats.accepted += 1;
                    if behind_micros > 0 {
                        self.stats.out_of_order += 1;
                        self.stats.max_behind_micros = self.stats.max_behind_micros.max(behind_micros);
                    }
                    self.stats.late += u64::from(late);
                    self.stats.before_account_created += u64::from(before_account_created);
                    return Ok(Some(Admitted { tx, pos, payer, payee, late }));
                }
                Err(e) => {
                    self.stats.rejected += 1;
                    let code = match e {
                        AdmissionError::UnknownAccount { .. } => RejectCode::UnknownAccount,
                        AdmissionError::DuplicateConflict(_) => RejectCode::DuplicateConflict,
                    };
                    if let Some(b) = &self.batch {
                        log.log(&b.reject(i, pos, Some(e.field()), code, e.to_string()))?;
                    }
                }
            }
        }
    }
}
