//! Rejected rows: stable reject codes, the report of one rejected row, and the log that
//! counts them, prints them and writes them to a rejects file.

use crate::Error;
use crate::format::OutputFile;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

macro_rules! reject_codes {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// Why a row was rejected. The names are stable: other systems match on them.
        #[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        pub enum RejectCode {
            $($(#[$doc])* $variant,)*
        }
        impl RejectCode {
            /// Every code.
            pub const ALL: &'static [RejectCode] = &[$(RejectCode::$variant,)*];
            /// The stable name.
            pub fn as_str(self) -> &'static str {
                match self { $(RejectCode::$variant => $name,)* }
            }
        }
    };
}

reject_codes! {
    /// Not a well-formed row: wrong number of CSV fields, invalid JSON, a duplicate JSON key,
    /// a row longer than the limit.
    BadRow => "BAD_ROW",
    /// A field that is not valid UTF-8.
    BadEncoding => "BAD_ENCODING",
    /// A required field is absent, empty or null.
    MissingField => "MISSING_FIELD",
    /// An id that breaks the id grammar (or an `ext:` id where a platform id is required).
    BadId => "BAD_ID",
    /// A timestamp or date that is not RFC 3339.
    BadTimestamp => "BAD_TIMESTAMP",
    /// An amount that is not a plain positive decimal within the currency's digits and the
    /// ceiling.
    BadAmount => "BAD_AMOUNT",
    /// Not an ISO 4217 code with a minor unit.
    BadCurrency => "BAD_CURRENCY",
    /// Not an ISO 3166-1 alpha-2 code.
    BadCountry => "BAD_COUNTRY",
    /// An account kind other than personal, merchant, enterprise.
    BadKind => "BAD_KIND",
    /// A payment channel outside the contract's five.
    BadChannel => "BAD_CHANNEL",
    /// A KYC level outside 0-3.
    BadKycLevel => "BAD_KYC_LEVEL",
    /// A merchant category code that is not four digits.
    BadMcc => "BAD_MCC",
    /// A website that is not a lower-case hostname.
    BadWebsite => "BAD_WEBSITE",
    /// Text longer than its field allows (name 200, memo 256, entry 200 characters).
    TooLong => "TOO_LONG",
    /// Payer and payee are the same.
    SelfPayment => "SELF_PAYMENT",
    /// Neither side of a payment is a platform account.
    NoPlatformParty => "NO_PLATFORM_PARTY",
    /// A payer or payee that is not in the accounts file and not an `ext:` id.
    UnknownAccount => "UNKNOWN_ACCOUNT",
    /// An `account_id` defined a second time.
    DuplicateAccount => "DUPLICATE_ACCOUNT",
    /// A `tx_id` seen before with a different body.
    DuplicateConflict => "DUPLICATE_CONFLICT",
    /// A list kind other than account_id, name, host, address.
    BadListKind => "BAD_LIST_KIND",
    /// A jurisdictions field with a code that is not alpha-2.
    BadJurisdiction => "BAD_JURISDICTION",
    /// `effective_until` not after `effective_from`.
    BadPeriod => "BAD_PERIOD",
    /// A decision other than allow, review, block.
    BadOutcome => "BAD_OUTCOME",
    /// An account action outside the contract's vocabulary.
    BadAction => "BAD_ACTION",
    /// A score outside 0..1 or with more than 4 decimals.
    BadScore => "BAD_SCORE",
    /// A reason code that is not upper-case ASCII, digits and `_`.
    BadReasonCode => "BAD_REASON_CODE",
    /// Nested JSON (reasons, actions) that does not have the contract's shape.
    BadJson => "BAD_JSON",
    /// A policy reference that is not `id@version`.
    BadPolicy => "BAD_POLICY",
    /// A role outside the contract's six.
    BadRole => "BAD_ROLE",
    /// A crypto_related flag other than 0 or 1.
    BadFlag => "BAD_FLAG",
}

impl fmt::Display for RejectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rejected row, located precisely enough for a person to open the file at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// The file, as given.
    pub file: Arc<str>,
    /// 1-based record number (the header is not a record; blank NDJSON lines are not either).
    pub record: u64,
    /// 1-based physical line where the record starts.
    pub line: u64,
    /// The field at fault, when one is.
    pub field: Option<String>,
    /// Stable code.
    pub code: RejectCode,
    /// What is wrong, in words.
    pub reason: String,
    /// The row as read (lossy UTF-8), for the rejects file.
    pub raw: String,
}

impl Reject {
    /// A reject for the record at `pos` of `file`, with its raw text.
    pub fn at(
        file: &Arc<str>,
        pos: crate::Position,
        field: Option<&str>,
        code: RejectCode,
        reason: String,
        raw: String,
    ) -> Reject {
        Reject {
            file: file.clone(),
            record: pos.record,
            line: pos.line,
            field: field.map(str::to_string),
            code,
            reason,
            raw,
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: record {} (line {})", self.file, self.record, self.line)?;
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        write!(f, ": {}: {}", self.code, self.reason)
    }
}

/// Counts rejects by code, hands each to a callback (to print), and writes them to a CSV
/// rejects file with columns `file,record,line,field,code,reason,row`.
pub struct RejectLog {
    out: Option<(PathBuf, csv::Writer<OutputFile>)>,
    counts: BTreeMap<RejectCode, u64>,
    total: u64,
    on_reject: Box<dyn FnMut(&Reject) + Send>,
}

impl Default for RejectLog {
    fn default() -> Self {
        Self::new()
    }
}

impl RejectLog {
    /// A log that only counts.
    pub fn new() -> Self {
        RejectLog { out: None, counts: BTreeMap::new(), total: 0, on_reject: Box::new(|_| {}) }
    }

    /// Also writes every reject to `path` (CSV, gzip if named `.gz`).
    pub fn with_file(mut self, path: &Path) -> Result<Self, Error> {
        let (_, file) = OutputFile::create(path).map_err(|e| match e {
            Error::Io { source, .. } => Error::RejectsFile { path: path.to_path_buf(), source },
            other => other,
        })?;
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(file);
        w.write_record(["file", "record", "line", "field", "code", "reason", "row"])
            .map_err(|e| Error::RejectsFile { path: path.to_path_buf(), source: e.into() })?;
        self.out = Some((path.to_path_buf(), w));
        Ok(self)
    }

    /// Calls `f` with every reject as it is logged (e.g. to print it).
    pub fn with_callback(mut self, f: impl FnMut(&Reject) + Send + 'static) -> Self {
        self.on_reject = Box::new(f);
        self
    }

    /// Records one reject.
    pub fn log(&mut self, r: &Reject) -> Result<(), Error> {
        *self.counts.entry(r.code).or_insert(0) += 1;
        self.total += 1;
        (self.on_reject)(r);
        if let Some((path, w)) = &mut self.out {
            let record = r.record.to_string();
            let line = r.line.to_string();
            w.write_record([
                &*r.file,
                &record,
                &line,
                r.field.as_deref().unwrap_or(""),
                r.code.as_str(),
                &r.reason,
                &r.raw,
            ])
            .map_err(|e| Error::RejectsFile { path: path.clone(), source: e.into() })?;
        }
        Ok(())
    }

    /// Rejects so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Rejects so far, by code.
    pub fn counts(&self) -> &BTreeMap<RejectCode, u64> {
        &self.counts
    }

    /// Flushes and closes the rejects file.
    pub fn finish(&mut self) -> Result<(), Error> {
        if let Some((path, w)) = self.out.take() {
            let mut file = w
                .into_inner()
                .map_err(|e| Error::RejectsFile { path: path.clone(), source: e.into_error() })?;
            file.flush()
                .and_then(|()| file.finish())
                .map_err(|source| Error::RejectsFile { path, source })?;
        }
        Ok(())
    }
}
