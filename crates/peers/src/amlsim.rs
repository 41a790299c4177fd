//! IBM AMLSim's published samples (`IBM/AMLSim`, `sample/*.tgz`) → Sluice's contract.
//!
//! # The source
//!
//! A sample is a directory (usually inside a `.tgz`) with `nodes.csv`, `transactions.csv`,
//! `metadata.txt` and some plots. Only the two CSV files are read; columns are found by
//! header name, so their order does not matter and extra columns are ignored.
//!
//! | file | column | meaning in AMLSim |
//! |---|---|---|
//! | `nodes.csv` | `nodeid` | account number (unique) |
//! | | `isFraud` | `1` when the account takes part in a laundering pattern (fan-in, cycle ...) |
//! | | `init_balance`, `fraudStep` | opening balance; the step of the account's laundering payment (`-1`: none recorded) — not used |
//! | `transactions.csv` | `sourceNodeId`, `targetNodeId` | payer and payee node |
//! | | `value` | amount, decimal text without a currency (Java/Python float printing) |
//! | | `time` | simulation step, a whole number (one step = one day in AMLSim) |
//!
//! # The mapping
//!
//! | contract field | value | why |
//! |---|---|---|
//! | `account_id` | `amlsim-` + `nodeid` | the prefix says where the account comes from and keeps a numeric id from ever looking like an `ext:` id |
//! | `kind` | `personal` | AMLSim has no account kinds; its accounts are ordinary bank customers |
//! | `name` | `AMLSim account <nodeid>` | AMLSim has no names; screening has nothing to match on |
//! | `country` | [`Options::country`] (CLI default `CN`) | AMLSim has no jurisdiction |
//! | `created_at` | the start of step 0 | every node exists from the first step |
//! | `kyc_level` | `3` | bank accounts are fully identified |
//! | `tx_id` | `amlsim-tx-` + the row's record number in `transactions.csv` (1 = first data row) | traceable to the source row; a skipped row leaves a gap |
//! | `ts` | [`Options::start`] + `time` × [`Options::step_secs`] | AMLSim has no time of day: every payment of a step gets the step's first instant (CLI default: 2026-01-01T00:00:00+08:00, steps of one day). Written in UTC, as the contract says |
//! | `payer`, `payee` | the two nodes' account ids | both must be nodes of `nodes.csv` |
//! | `amount` | `value`, exact, by [`parse_amount`] | parsed from the decimal text straight into minor units, never through a binary float; digits below the currency's minor unit must be zeros, or the row is an error |
//! | `currency` | [`Options::currency`] (CLI default `CNY`) | AMLSim's amounts have none; CNY is the platform's and the sweep's currency |
//! | `channel` | `p2p` | AMLSim's payments are account-to-account transfers |
//! | `memo`, `device_id` | absent | AMLSim has neither |
//!
//! Labels:
//!
//! * `labels_accounts.role`: `isFraud = 1` → `mule`, otherwise `normal`. AMLSim's laundering
//!   accounts exist to move dirty money through fan-in and cycle patterns: they are the
//!   contract's *mules* ("layers the proceeds"), an operator role the platform must restrict,
//!   so `sluice eval` counts them as positives. None of them sells or buys crypto, so
//!   `otc_merchant`, `exchange_agent` and `crypto_buyer` would be wrong; a fan-in's receiving
//!   hub could be called a `scam_collector`, but the sample does not say which account is the
//!   hub, and guessing it from the graph would put the detector's own inference into the
//!   ground truth.
//! * `labels_transactions.crypto_related`: `1` when payer *and* payee are laundering
//!   accounts. The 2019 samples carry no per-payment alert (SAR) flag, so this is derived,
//!   the closest thing to AMLSim's alert transactions the sample allows: the patterns move
//!   money only between their own members. It may also mark an ordinary payment that happens
//!   to join two laundering accounts.
//!
//! Rows the contract cannot express are skipped and counted, never written: a payment from a
//! node to itself ([`Summary::self_payments_skipped`]; the contract requires payer ≠ payee).
//! Every other problem — a missing file or column, malformed CSV, a flag that is not 0/1, an
//! amount that is not exact, a negative or fractional step, an unknown or duplicate node — is
//! an [`AmlsimError`] naming the file, line, field and why, and [`import`] then leaves no
//! output file behind.

use flate2::read::MultiGzDecoder;
use sluice_core::{
    Account, AccountId, AccountKind, AccountLabel, Channel, Country, Currency, IdError, KycLevel, Money,
    Party, Role, Timestamp, Transaction, TxId, TxLabel,
};
use sluice_io::{Format, RecordWriter};
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The accounts file of a sample.
pub const NODES_FILE: &str = "nodes.csv";
/// The payments file of a sample.
pub const TRANSACTIONS_FILE: &str = "transactions.csv";
/// Prefix of every imported account id.
pub const ACCOUNT_PREFIX: &str = "amlsim-";
/// Prefix of every imported transaction id.
pub const TX_PREFIX: &str = "amlsim-tx-";
/// Seconds in one AMLSim step (a day).
pub const DAY_SECS: i64 = 86_400;

const MICROS_PER_SEC: i64 = 1_000_000;

/// The output files, in the order [`import`] writes them.
pub const OUTPUT_FILES: [&str; 4] =
    ["accounts.csv", "transactions.csv", "labels_accounts.csv", "labels_transactions.csv"];

/// How AMLSim's unit-less fields become contract values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The instant step 0 starts.
    pub start: Timestamp,
    /// Length of one step, in seconds (> 0).
    pub step_secs: i64,
    /// Currency of every amount.
    pub currency: Currency,
    /// Jurisdiction of every account.
    pub country: Country,
}

/// Counts of one import.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Accounts written (= nodes).
    pub accounts: u64,
    /// Of which laundering accounts (`mule`).
    pub laundering_accounts: u64,
    /// Payments written.
    pub transactions: u64,
    /// Of which between two laundering accounts (`crypto_related = 1`).
    pub laundering_transactions: u64,
    /// Payments from a node to itself, skipped.
    pub self_payments_skipped: u64,
    /// Smallest step of a written payment.
    pub first_step: Option<i64>,
    /// Largest step of a written payment.
    pub last_step: Option<i64>,
}

/// Why an amount text is not an exact, positive amount of the currency.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not `digits[.digits][e[+-]digits]`.
    #[error("is not a decimal number (digits, optionally `.` and digits, optionally an exponent)")]
    Syntax,
    /// Non-zero digits below the currency's minor unit.
    #[error("has non-zero digits below the minor unit of {currency} ({decimals} decimals)")]
    TooPrecise {
        /// The currency.
        currency: Currency,
        /// Its minor-unit digits.
        decimals: u8,
    },
    /// Zero.
    #[error("is zero; amounts must be positive")]
    Zero,
    /// Above the contract's ceiling.
    #[error("exceeds the maximum 999999999999.99")]
    TooLarge,
}

/// What is wrong with one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldWhy {
    /// The laundering flag is not `0`, `1`, `true` or `false`.
    BadFlag(String),
    /// The node id does not make a contract account id.
    BadNodeId(String, IdError),
    /// Two rows of `nodes.csv` with one id.
    DuplicateNode(String, u64),
    /// A payment names a node `nodes.csv` does not have.
    UnknownNode(String),
    /// The step is not a whole number ≥ 0.
    BadStep(String),
    /// The step's instant is outside the years 0000-9999.
    StepOutOfRange(String),
    /// The amount is not exact and positive.
    BadAmount(String, AmountError),
}

/// Quotes user input in backticks, cut to 60 characters.
fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("`{out}`")
}

impl fmt::Display for FieldWhy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldWhy::BadFlag(v) => write!(f, "{} is not 0, 1, true or false", shown(v)),
            FieldWhy::BadNodeId(v, _) if v.is_empty() => f.write_str("is empty"),
            FieldWhy::BadNodeId(v, e) => {
                write!(f, "{} does not make an account id: {} {e}", shown(v), shown(&account_id_text(v)))
            }
            FieldWhy::DuplicateNode(v, first) => {
                write!(f, "node {} already appeared on line {first}", shown(v))
            }
            FieldWhy::UnknownNode(v) => write!(f, "node {} is not in {NODES_FILE}", shown(v)),
            FieldWhy::BadStep(v) => write!(f, "{} is not a whole step number >= 0", shown(v)),
            FieldWhy::StepOutOfRange(v) => write!(f, "step {} falls after the year 9999", shown(v)),
            FieldWhy::BadAmount(v, e) => write!(f, "{} {e}", shown(v)),
        }
    }
}

/// A sample that cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum AmlsimError {
    /// The operating system refused.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The archive is not a readable (gzipped) tar file.
    #[error("{path}: not a readable tar archive: {source}")]
    Archive {
        /// The archive.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The archive or directory has no such file.
    #[error("{input}: no `{name}` in it")]
    MissingFile {
        /// The archive or directory.
        input: PathBuf,
        /// The file looked for.
        name: &'static str,
    },
    /// A header without a column the importer needs.
    #[error("{file}: line {line}: the header has no `{column}` column")]
    MissingColumn {
        /// The file (`archive.tgz:dir/nodes.csv` inside an archive).
        file: String,
        /// Physical line of the header.
        line: u64,
        /// The column.
        column: &'static str,
    },
    /// Text that is not CSV: bad UTF-8, a row with a different number of fields, a read error.
    #[error("{file}: line {line}: {why}")]
    Csv {
        /// The file.
        file: String,
        /// Physical line where the row starts.
        line: u64,
        /// What is wrong.
        why: String,
    },
    /// A field that cannot be mapped.
    #[error("{file}: line {line}: field `{field}`: {why}")]
    Field {
        /// The file.
        file: String,
        /// Physical line where the row starts.
        line: u64,
        /// The source column.
        field: &'static str,
        /// What is wrong.
        why: FieldWhy,
    },
    /// An output file could not be written.
    #[error(transparent)]
    Write(#[from] sluice_io::Error),
}

/// Parses AMLSim's amount text exactly into minor units of `currency`.
///
/// Accepts `digits[.digits][(e|E)[+|-]digits]` — plain decimals as Python and Java print
/// them, and the exponent form Java switches to at 10^7 (`1.2345E7`). The value is computed
/// on the decimal digits, never through a binary float: `163.3` is 16330 fen, `1.0E7` is
/// 1,000,000,000 fen. Digits below the currency's minor unit are accepted only when they are
/// zeros (`2.500` CNY); anything finer is [`AmountError::TooPrecise`], never rounded.
pub fn parse_amount(text: &str, currency: Currency) -> Result<Money, AmountError> {
    let b = text.as_bytes();
    let (mantissa, exponent) = match b.iter().position(|&c| c == b'e' || c == b'E') {
        Some(p) => (&b[..p], Some(&b[p + 1..])),
        None => (b, None),
    };
    let (int_part, frac_part) = match mantissa.iter().position(|&c| c == b'.') {
        Some(p) => (&mantissa[..p], Some(&mantissa[p + 1..])),
        None => (mantissa, None),
    };
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
        return Err(AmountError::Syntax);
    }
    let frac = frac_part.unwrap_or(&[]);
    // The exponent saturates far beyond any value the ceiling allows; the digits then decide
    // between zero, too large and too precise.
    const EXP_CAP: i64 = 1_000_000;
    let exp = match exponent {
        None => 0,
        Some(e) => {
            let (negative, digits) = match e.first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            if !all_digits(digits) {
                return Err(AmountError::Syntax);
            }
            let v = digits.iter().fold(0i64, |v, &d| (v * 10 + i64::from(d - b'0')).min(EXP_CAP));
            if negative { -v } else { v }
        }
    };
    // value = D × 10^(exp − |frac|), D = int ++ frac; minor = value × 10^decimals.
    let frac_len = i64::try_from(frac.len()).unwrap_or(i64::MAX);
    let scale = exp.saturating_sub(frac_len).saturating_add(i64::from(currency.exponent()));
    let digits: Vec<u8> = int_part.iter().chain(frac).copied().skip_while(|&c| c == b'0').collect();
    if digits.is_empty() {
        return Err(AmountError::Zero);
    }
    let to_int = |d: &[u8]| d.iter().fold(0i64, |v, &c| v * 10 + i64::from(c - b'0'));
    let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let minor = if scale < 0 {
        let cut = scale.unsigned_abs();
        if cut >= digits.len() as u64 {
            // Below one minor unit, yet not zero.
            return Err(AmountError::TooPrecise { currency, decimals: currency.exponent() });
        }
        let (keep, dropped) = digits.split_at(digits.len() - cut as usize);
        if dropped.iter().any(|&c| c != b'0') {
            return Err(AmountError::TooPrecise { currency, decimals: currency.exponent() });
        }
        if keep.len() > 17 {
            return Err(AmountError::TooLarge);
        }
        to_int(keep)
    } else {
        if len.saturating_add(scale) > 17 {
            return Err(AmountError::TooLarge);
        }
        // At most 17 digits: fits an i64 with room to spare.
        to_int(&digits) * 10i64.pow(u32::try_from(scale).unwrap_or(0))
    };
    Money::from_minor(minor, currency).ok_or(AmountError::TooLarge)
}

fn account_id_text(node: &str) -> String {
    format!("{ACCOUNT_PREFIX}{node}")
}

/// The contract account id of an AMLSim node.
pub fn account_id(node: &str) -> Result<AccountId, IdError> {
    if node.is_empty() {
        return Err(IdError::Empty);
    }
    AccountId::parse(&account_id_text(node))
}

/// Parses the laundering flag: `0`/`1`, or `true`/`false` in any case.
pub fn parse_flag(text: &str) -> Option<bool> {
    match text {
        "1" => Some(true),
        "0" => Some(false),
        t if t.eq_ignore_ascii_case("true") => Some(true),
        t if t.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Parses a step: a whole number ≥ 0 (at most 12 digits).
pub fn parse_step(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.is_empty() || b.len() > 12 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |v, &d| v * 10 + i64::from(d - b'0')))
}

/// The four writers of one import.
pub struct Outputs<W: Write> {
    /// `accounts.csv`.
    pub accounts: RecordWriter<Account, W>,
    /// `transactions.csv`.
    pub transactions: RecordWriter<Transaction, W>,
    /// `labels_accounts.csv`.
    pub labels_accounts: RecordWriter<AccountLabel, W>,
    /// `labels_transactions.csv`.
    pub labels_transactions: RecordWriter<TxLabel, W>,
}

impl<W: Write> Outputs<W> {
    /// CSV writers over four streams, in [`OUTPUT_FILES`] order; `names` name them in errors.
    pub fn csv(names: [&Path; 4], streams: [W; 4]) -> Result<Self, AmlsimError> {
        let [a, t, la, lt] = streams;
        Ok(Outputs {
            accounts: RecordWriter::to_writer(names[0], Format::Csv, a)?,
            transactions: RecordWriter::to_writer(names[1], Format::Csv, t)?,
            labels_accounts: RecordWriter::to_writer(names[2], Format::Csv, la)?,
            labels_transactions: RecordWriter::to_writer(names[3], Format::Csv, lt)?,
        })
    }

    /// Flushes all four and returns the streams in [`OUTPUT_FILES`] order.
    pub fn into_inner(self) -> Result<[W; 4], AmlsimError> {
        Ok([
            self.accounts.into_inner()?,
            self.transactions.into_inner()?,
            self.labels_accounts.into_inner()?,
            self.labels_transactions.into_inner()?,
        ])
    }
}

struct Node {
    account: AccountId,
    laundering: bool,
    line: u64,
}

/// Converts one sample: [`Converter::nodes`] first, then [`Converter::transactions`].
pub struct Converter<'o> {
    opts: &'o Options,
    nodes: HashMap<String, Node>,
    summary: Summary,
}

fn csv_reader<R: Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(r)
}

fn csv_error(file: &str, e: &csv::Error, fallback_line: u64) -> AmlsimError {
    let line = e.position().map_or(fallback_line, csv::Position::line);
    let why = match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!("field {} is not UTF-8", err.field() + 1),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields, but the header has {expected_len}")
        }
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => e.to_string(),
    };
    AmlsimError::Csv { file: file.to_string(), line, why }
}

/// Column indexes of `columns` in the header; the first missing one is an error.
fn header_columns<R: Read, const N: usize>(
    rdr: &mut csv::Reader<R>,
    file: &str,
    columns: [&'static str; N],
) -> Result<[usize; N], AmlsimError> {
    let header = rdr.headers().map_err(|e| csv_error(file, &e, 1))?.clone();
    let mut out = [0usize; N];
    for (slot, column) in out.iter_mut().zip(columns) {
        // The first header field may carry a byte-order mark.
        *slot = header
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == column)
            .ok_or_else(|| AmlsimError::MissingColumn { file: file.to_string(), line: 1, column })?;
    }
    Ok(out)
}

impl<'o> Converter<'o> {
    /// A converter with `opts`.
    pub fn new(opts: &'o Options) -> Self {
        Converter { opts, nodes: HashMap::new(), summary: Summary::default() }
    }

    /// Reads `nodes.csv` (named `file` in errors) and writes accounts and account labels.
    pub fn nodes<R: Read, W: Write>(
        &mut self,
        input: R,
        file: &str,
        out: &mut Outputs<W>,
    ) -> Result<(), AmlsimError> {
        let mut rdr = csv_reader(input);
        let [c_id, c_flag] = header_columns(&mut rdr, file, ["nodeid", "isFraud"])?;
        let kyc_level = KycLevel::new(3).ok_or_else(|| AmlsimError::Csv {
            file: file.to_string(),
            line: 1,
            why: "internal: kyc level 3".into(),
        })?;
        let mut rec = csv::StringRecord::new();
        loop {
            match rdr.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_error(file, &e, rdr.position().line())),
            }
            let line = rec.position().map_or(0, csv::Position::line);
            let field_err = |field, why| AmlsimError::Field { file: file.to_string(), line, field, why };
            let node = rec.get(c_id).unwrap_or("");
            let flag = rec.get(c_flag).unwrap_or("");
            let account =
                account_id(node).map_err(|e| field_err("nodeid", FieldWhy::BadNodeId(node.into(), e)))?;
            let laundering =
                parse_flag(flag).ok_or_else(|| field_err("isFraud", FieldWhy::BadFlag(flag.into())))?;
            if let Some(first) = self.nodes.get(node) {
                return Err(field_err("nodeid", FieldWhy::DuplicateNode(node.into(), first.line)));
            }
            out.accounts.write(&Account {
                account_id: account.clone(),
                kind: AccountKind::Personal,
                name: format!("AMLSim account {node}").into(),
                country: self.opts.country,
                created_at: self.opts.start,
                kyc_level,
                mcc: None,
                website: None,
            })?;
            out.labels_accounts.write(&AccountLabel {
                account_id: account.clone(),
                role: if laundering { Role::Mule } else { Role::Normal },
            })?;
            self.summary.accounts += 1;
            self.summary.laundering_accounts += u64::from(laundering);
            self.nodes.insert(node.to_string(), Node { account, laundering, line });
        }
        Ok(())
    }

    /// Reads `transactions.csv` (named `file` in errors) and writes payments and their labels.
    pub fn transactions<R: Read, W: Write>(
        &mut self,
        input: R,
        file: &str,
        out: &mut Outputs<W>,
    ) -> Result<(), AmlsimError> {
        let mut rdr = csv_reader(input);
        let [c_src, c_dst, c_value, c_time] =
            header_columns(&mut rdr, file, ["sourceNodeId", "targetNodeId", "value", "time"])?;
        let step_micros = self.opts.step_secs.saturating_mul(MICROS_PER_SEC);
        let mut rec = csv::StringRecord::new();
        let mut record: u64 = 0;
        loop {
            match rdr.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_error(file, &e, rdr.position().line())),
            }
            record += 1;
            let line = rec.position().map_or(0, csv::Position::line);
            let field_err = |field, why| AmlsimError::Field { file: file.to_string(), line, field, why };
            let node = |field: &'static str, col: usize| {
                let id = rec.get(col).unwrap_or("");
                self.nodes.get(id).ok_or_else(|| field_err(field, FieldWhy::UnknownNode(id.into())))
            };
            let payer = node("sourceNodeId", c_src)?;
            let payee = node("targetNodeId", c_dst)?;
            let value = rec.get(c_value).unwrap_or("");
            let amount = parse_amount(value, self.opts.currency)
                .map_err(|e| field_err("value", FieldWhy::BadAmount(value.into(), e)))?;
            let time = rec.get(c_time).unwrap_or("");
            let step = parse_step(time).ok_or_else(|| field_err("time", FieldWhy::BadStep(time.into())))?;
            let ts = step
                .checked_mul(step_micros)
                .and_then(|d| self.opts.start.as_micros().checked_add(d))
                .and_then(Timestamp::from_micros)
                .ok_or_else(|| field_err("time", FieldWhy::StepOutOfRange(time.into())))?;
            if payer.account == payee.account {
                self.summary.self_payments_skipped += 1;
                continue;
            }
            // The prefix and a record number are always a valid id.
            let tx_id = TxId::parse(&format!("{TX_PREFIX}{record}")).map_err(|e| AmlsimError::Csv {
                file: file.to_string(),
                line,
                why: format!("internal: transaction id: {e}"),
            })?;
            let laundering = payer.laundering && payee.laundering;
            out.transactions.write(&Transaction {
                tx_id: tx_id.clone(),
                ts,
                payer: Party::Account(payer.account.clone()),
                payee: Party::Account(payee.account.clone()),
                amount,
                channel: Channel::P2p,
                memo: None,
                device_id: None,
            })?;
            out.labels_transactions.write(&TxLabel { tx_id, crypto_related: laundering })?;
            let s = &mut self.summary;
            s.transactions += 1;
            s.laundering_transactions += u64::from(laundering);
            s.first_step = Some(s.first_step.map_or(step, |f| f.min(step)));
            s.last_step = Some(s.last_step.map_or(step, |l| l.max(step)));
        }
        Ok(())
    }

    /// The counts so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }
}

/// Whether `path` names a gzip-compressed archive (`.tgz`, `.tar.gz`, `.gz`).
fn is_gzip(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    name.ends_with(".tgz") || name.ends_with(".gz")
}

/// Finds the first regular file called `name` (in any folder) in the archive at `path` and
/// hands it to `f`, streaming: the archive is never unpacked.
fn with_archive_file<T>(
    path: &Path,
    name: &'static str,
    f: impl FnOnce(&mut dyn Read, &str) -> Result<T, AmlsimError>,
) -> Result<T, AmlsimError> {
    let file = File::open(path).map_err(|source| AmlsimError::Io { path: path.to_path_buf(), source })?;
    let raw = BufReader::with_capacity(256 * 1024, file);
    let stream: Box<dyn Read> =
        if is_gzip(path) { Box::new(MultiGzDecoder::new(raw)) } else { Box::new(raw) };
    let mut archive = tar::Archive::new(stream);
    let archive_err = |source| AmlsimError::Archive { path: path.to_path_buf(), source };
    for entry in archive.entries().map_err(archive_err)? {
        let mut entry = entry.map_err(archive_err)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let inner = entry.path().map_err(archive_err)?.into_owned();
        if inner.file_name().is_some_and(|n| n == name) {
            let shown = format!("{}:{}", path.display(), inner.display());
            return f(&mut entry, &shown);
        }
    }
    Err(AmlsimError::MissingFile { input: path.to_path_buf(), name })
}

fn with_dir_file<T>(
    dir: &Path,
    name: &'static str,
    f: impl FnOnce(&mut dyn Read, &str) -> Result<T, AmlsimError>,
) -> Result<T, AmlsimError> {
    let path = dir.join(name);
    if !path.is_file() {
        return Err(AmlsimError::MissingFile { input: dir.to_path_buf(), name });
    }
    let file = File::open(&path).map_err(|source| AmlsimError::Io { path: path.clone(), source })?;
    f(&mut BufReader::with_capacity(256 * 1024, file), &path.display().to_string())
}

/// Imports the sample at `input` — a directory holding `nodes.csv` and `transactions.csv`,
/// or a `.tgz`/`.tar.gz`/`.tar` archive holding them in any folder, read as a stream — into
/// the four [`OUTPUT_FILES`] in `out_dir` (created if needed).
///
/// All or nothing: the files are written under temporary names and renamed only when the
/// whole sample converted; on an error they are removed and earlier files of those names are
/// left as they were.
pub fn import(input: &Path, out_dir: &Path, opts: &Options) -> Result<Summary, AmlsimError> {
    std::fs::create_dir_all(out_dir)
        .map_err(|source| AmlsimError::Io { path: out_dir.to_path_buf(), source })?;
    let finals = OUTPUT_FILES.map(|n| out_dir.join(n));
    let temps = OUTPUT_FILES.map(|n| out_dir.join(format!(".{n}.partial")));
    let result = write_all(input, &finals, &temps, opts);
    if result.is_err() {
        for t in &temps {
            let _ = std::fs::remove_file(t);
        }
    }
    result
}

fn write_all(
    input: &Path,
    finals: &[PathBuf; 4],
    temps: &[PathBuf; 4],
    opts: &Options,
) -> Result<Summary, AmlsimError> {
    let mut streams = Vec::with_capacity(4);
    for t in temps {
        let f = File::create(t).map_err(|source| AmlsimError::Io { path: t.clone(), source })?;
        streams.push(BufWriter::with_capacity(256 * 1024, f));
    }
    let streams: [BufWriter<File>; 4] = streams.try_into().map_err(|_| AmlsimError::Io {
        path: temps[0].clone(),
        source: io::Error::other("internal: four files"),
    })?;
    let names = [finals[0].as_path(), finals[1].as_path(), finals[2].as_path(), finals[3].as_path()];
    let mut out = Outputs::csv(names, streams)?;
    let mut conv = Converter::new(opts);
    if input.is_dir() {
        with_dir_file(input, NODES_FILE, |r, name| conv.nodes(r, name, &mut out))?;
        with_dir_file(input, TRANSACTIONS_FILE, |r, name| conv.transactions(r, name, &mut out))?;
    } else {
        // Two passes over the archive: accounts must be known before payments, whatever the
        // order of the files in it.
        with_archive_file(input, NODES_FILE, |r, name| conv.nodes(r, name, &mut out))?;
        with_archive_file(input, TRANSACTIONS_FILE, |r, name| conv.transactions(r, name, &mut out))?;
    }
    let summary = conv.summary.clone();
    for ((stream, temp), fin) in out.into_inner()?.into_iter().zip(temps).zip(finals) {
        let file = stream
            .into_inner()
            .map_err(|e| AmlsimError::Io { path: temp.clone(), source: e.into_error() })?;
        file.sync_all().map_err(|source| AmlsimError::Io { path: temp.clone(), source })?;
        std::fs::rename(temp, fin).map_err(|source| AmlsimError::Io { path: fin.clone(), source })?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests;
