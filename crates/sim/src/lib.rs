//! `sluice-sim`: a simulated mobile-payment platform — a WeChat-Pay/Alipay-like wallet in
//! China, in CNY — with crypto operators hidden in its everyday traffic and the truth
//! recorded.
//!
//! [`World::build`](world::World::build) lays out the platform from a seed: people in
//! families and friend circles across cities, merchants, employers, landlords, legal
//! look-alikes of crypto actors, and the operations (OTC merchants, exchange agents, scams,
//! their mules). [`simulate`] then plays it day by day: ordinary life is generated in
//! parallel over fixed shards of accounts, crypto activity per operation, each with its own
//! seeded random stream, so the output is byte-identical for a seed whatever the thread
//! count. A day's events are put in the stable order of their delivery time (`order`),
//! formatted and counted in parallel chunks and written in order (plain files straight to
//! the disk, `direct`), with `labels_transactions` beside them; accounts and their labels
//! are written at the end.
//!
//! Speed (`sluice simulate` prints both rates, see the crate's bench for figures): end to
//! end counts everything the command waits for — the world build, the days, the account
//! files and the final sync to disk; the per-day rate counts the days alone, the rate a long
//! run approaches.
//!
//! Every rate and distribution lives in `config/default.toml` ([`config`]).

pub mod calendar;
pub mod config;
pub mod crypto;
mod direct;
pub mod event;
mod fastcsv;
mod ids;
pub mod names;
pub mod normal;
mod order;
pub mod report;
pub mod rng;
pub mod world;

use calendar::Day;
use config::SimConfig;
use event::Event;
use ids::Ids;
use rayon::prelude::*;
use sluice_core::time::MICROS_PER_DAY;
use sluice_core::{
    Account, AccountKind, AccountLabel, CivilDate, Country, Currency, Hostname, KycLevel, Mcc, Memo, Money,
    Role, Timestamp, Transaction, TxId, TxLabel,
};
use sluice_io::{Format, Record, RecordWriter};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use world::{EXT, World};

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] sluice_io::Error),
    /// Writing failed.
    #[error("{path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Bad options.
    #[error("{0}")]
    Invalid(String),
}

/// What to simulate and where to write it.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Rates and distributions.
    pub config: SimConfig,
    /// Seed: same seed, same bytes.
    pub seed: u64,
    /// How hard operators hide, 0..=3.
    pub evasion: usize,
    /// First local (China) date.
    pub start: CivilDate,
    /// Days to simulate.
    pub days: u32,
    /// Accounts in the world.
    pub population: u32,
    /// Output directory.
    pub out_dir: PathBuf,
    /// File format.
    pub format: Format,
    /// Compress the outputs.
    pub gzip: bool,
}

/// Progress reported after each day.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Days done.
    pub days_done: u32,
    /// Of how many.
    pub days: u32,
    /// Transactions written so far.
    pub transactions: u64,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct SimSummary {
    /// Output files.
    pub files: Vec<PathBuf>,
    /// Accounts written.
    pub accounts: u64,
    /// Transactions written.
    pub transactions: u64,
    /// Crypto-related transactions among them.
    pub crypto_transactions: u64,
    /// Statistics of the world, for the report.
    pub stats: report::Stats,
    /// Where the wall time went.
    pub timings: Timings,
}

/// Where the wall time of a run went; together, the whole of [`simulate`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Building the world and its id table.
    pub world: Duration,
    /// The days: from the first day's generation to the last transaction written.
    pub days: Duration,
    /// The rest: the account files, and the transaction files' final sync.
    pub finish: Duration,
}

/// One chunk of transactions (or accounts) and their labels, formatted, and how many.
type FormattedPart = (Vec<u8>, Vec<u8>, u64);
/// A [`FormattedPart`], or why not.
type FormattedChunk = Result<FormattedPart, SimError>;

/// Fixed number of shards for ordinary life: a constant, so output does not depend on the
/// number of threads.
const SHARDS: u32 = 64;
/// Events per formatting chunk.
const CHUNK: usize = 16_384;
/// Bytes written between two syncs of the output files.
const SYNC_EVERY: usize = 64 << 20;
/// Chunks formatted together before they are handed to the writer.
const GROUP_CHUNKS: usize = 8;

fn to_transaction(ids: &Ids, memos: &names::Memos, e: &Event, seq: u64) -> Option<Transaction> {
    let mut buf = Vec::with_capacity(16);
    ids::push_tx_id(&mut buf, seq);
    Some(Transaction {
        tx_id: TxId::parse(std::str::from_utf8(&buf).ok()?).ok()?,
        ts: Timestamp::from_micros(e.ts)?,
        payer: ids.party(e.payer)?,
        payee: ids.party(e.payee)?,
        amount: Money::from_minor(e.amount, Currency::CNY)?,
        channel: e.channel,
        memo: memos.text(e.memo).and_then(|m| Memo::new(m).ok()),
        device_id: if e.device == 0 || e.payer & EXT != 0 { None } else { ids.device(e.device) },
    })
}

/// An output file: plain files are written directly to the disk ([`direct`]), compressed
/// ones through `sluice-io`.
struct Out {
    path: PathBuf,
    file: OutFile,
}

enum OutFile {
    Direct(direct::DirectFile),
    Io(sluice_io::format::OutputFile),
}

impl Out {
    fn create(path: PathBuf, gzip: bool) -> Result<Self, SimError> {
        let file = if gzip {
            OutFile::Io(sluice_io::format::OutputFile::create(&path)?.1)
        } else {
            OutFile::Direct(
                direct::DirectFile::create(&path)
                    .map_err(|source| SimError::Write { path: path.clone(), source })?,
            )
        };
        Ok(Out { path, file })
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        match &mut self.file {
            OutFile::Direct(f) => f.write_all(bytes, &self.path),
            OutFile::Io(f) => f.write_all(bytes),
        }
        .map_err(|source| SimError::Write { path: self.path.clone(), source })
    }
    /// Waits until what was written so far is on disk (see `OutputFile::sync_written`); a
    /// direct file is on disk as it is written.
    fn sync_written(&self) -> Result<(), SimError> {
        match &self.file {
            OutFile::Direct(_) => Ok(()),
            OutFile::Io(f) => f.sync_written(),
        }
        .map_err(|source| SimError::Write { path: self.path.clone(), source })
    }
    fn finish(self) -> Result<PathBuf, SimError> {
        match self.file {
            OutFile::Direct(f) => f.finish(&self.path),
            OutFile::Io(mut f) => f.finish(),
        }
        .map_err(|source| SimError::Write { path: self.path.clone(), source })?;
        Ok(self.path)
    }
}

/// Formats records into bytes; only the chunk that opens a file carries the CSV header.
fn format_records<T: sluice_io::Record>(
    recs: &[T],
    format: Format,
    header: bool,
) -> Result<Vec<u8>, SimError> {
    let mut w = RecordWriter::<T, Vec<u8>>::to_writer(Path::new("chunk"), format, Vec::new())?;
    for r in recs {
        w.write(r)?;
    }
    let mut bytes = w.into_inner()?;
    if !header && format == Format::Csv {
        let cut = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
        bytes.drain(..cut);
    }
    Ok(bytes)
}

/// Runs the simulation and writes `accounts`, `transactions`, `labels_accounts` and
/// `labels_transactions` into `opts.out_dir`.
pub fn simulate(opts: &SimOptions, mut progress: impl FnMut(Progress)) -> Result<SimSummary, SimError> {
    if opts.days == 0 || opts.population < 100 {
        return Err(SimError::Invalid("simulate needs at least 1 day and 100 accounts".into()));
    }
    std::fs::create_dir_all(&opts.out_dir)
        .map_err(|source| SimError::Write { path: opts.out_dir.clone(), source })?;
    let ext = match (opts.format, opts.gzip) {
        (Format::Csv, false) => "csv",
        (Format::Csv, true) => "csv.gz",
        (Format::Ndjson, false) => "ndjson",
        (Format::Ndjson, true) => "ndjson.gz",
    };
    let file = |name: &str| opts.out_dir.join(format!("{name}.{ext}"));
    let started = Instant::now();
    let w =
        World::build(opts.config.clone(), opts.seed, opts.evasion, opts.start, opts.days, opts.population);
    let memos = names::Memos::new();
    let ids = Ids::new(&w)?;
    let fast = fastcsv::FastCsv::new(&memos);
    let stats = report::Stats::new(&w);
    let world_built = Instant::now();
    // Files are written on their own thread while the next day is generated.
    let mut tx_out = Out::create(file("transactions"), opts.gzip)?;
    let mut label_out = Out::create(file("labels_transactions"), opts.gzip)?;
    let (send, recv) = std::sync::mpsc::sync_channel::<Vec<(Vec<u8>, Vec<u8>, u64)>>(2);
    let writer = std::thread::Builder::new()
        .name("simulate writer".into())
        .spawn(move || -> Result<(Vec<PathBuf>, Instant), SimError> {
            // The files are synced as they grow, a slice at a time, while the other threads
            // compute: otherwise the final sync waits for the whole run's bytes (~0.5 s per
            // 300 MB on this machine) with nothing left to overlap it.
            let mut unsynced = 0usize;
            for day in recv {
                for (t, l, _) in day {
                    tx_out.write(&t)?;
                    label_out.write(&l)?;
                    unsynced += t.len() + l.len();
                }
                if unsynced >= SYNC_EVERY {
                    tx_out.sync_written()?;
                    label_out.sync_written()?;
                    unsynced = 0;
                }
            }
            let written = Instant::now();
            Ok((vec![tx_out.finish()?, label_out.finish()?], written))
        })
        .map_err(|source| SimError::Write { path: opts.out_dir.clone(), source })?;
    let mut state = crypto::CryptoState::new(&w);
    let mut seq: u64 = 0;
    let per_shard = w.regular.div_ceil(SHARDS);
    // Nothing is dated before the first day.
    let start = Day::new(opts.start, 0).start_micros;

    // Days are pipelined: this thread generates day d+1 while a formatter thread formats
    // and counts day d and the writer thread writes it. All three feed the same rayon pool,
    // so both cores stay busy. Memory holds two days of events: the shards of the day being
    // generated, and the day being formatted, in one buffer that goes round: the formatter
    // hands it back when done, and the next day is put in order into it.
    let (to_format, formatter_in) = std::sync::mpsc::sync_channel::<(Day, Vec<Event>, u64)>(0);
    let (give_back, returned) = std::sync::mpsc::sync_channel::<Vec<Event>>(1);
    let mut stats = std::thread::scope(|scope| -> Result<report::Stats, SimError> {
        let formatter = scope.spawn(|| -> Result<report::Stats, SimError> {
            // Both channels end with this thread, so that neither the writer nor the generator
            // waits for it forever if it stops on an error.
            let send = send;
            let give_back = give_back;
            let mut stats = stats;
            for (day, events, base) in formatter_in {
                // Formatted and counted in parallel, a group of chunks at a time, and handed
                // to the writer in order: memory holds a few groups of bytes, not the day.
                for (g, group) in events.chunks(CHUNK * GROUP_CHUNKS).enumerate() {
                    let chunks: Vec<Result<(FormattedPart, report::Counts, report::Parties), SimError>> =
                        group
                            .par_chunks(CHUNK)
                            .enumerate()
                            .map(|(k, chunk)| {
                                let k = g * GROUP_CHUNKS + k;
                                let first = base + (k * CHUNK) as u64 + 1;
                                let header = base == 0 && k == 0;
                                let mut counts = stats.counts();
                                for e in chunk {
                                    counts.add(&day, e);
                                }
                                let parties = stats.parties_of(chunk);
                                let bad = |e: &Event| {
                                    SimError::Invalid(format!(
                                        "internal: event {e:?} is not a valid transaction"
                                    ))
                                };
                                if opts.format == Format::Csv {
                                    let looked_up = fastcsv::Parties::gather(chunk, &ids);
                                    let mut tx = Vec::with_capacity(chunk.len() * 110 + 128);
                                    let mut labels = Vec::with_capacity(chunk.len() * 16 + 32);
                                    if header {
                                        tx.extend_from_slice(Transaction::FIELDS.join(",").as_bytes());
                                        tx.push(b'\n');
                                        labels.extend_from_slice(TxLabel::FIELDS.join(",").as_bytes());
                                        labels.push(b'\n');
                                    }
                                    let mut dates = fastcsv::DateCache::default();
                                    for (j, row) in chunk.iter().zip(&looked_up).enumerate() {
                                        fast.write(
                                            &ids,
                                            &mut dates,
                                            row,
                                            first + j as u64,
                                            &mut tx,
                                            &mut labels,
                                        )
                                        .ok_or_else(|| bad(row.0))?;
                                    }
                                    return Ok(((tx, labels, chunk.len() as u64), counts, parties));
                                }
                                let mut txs = Vec::with_capacity(chunk.len());
                                let mut labels = Vec::with_capacity(chunk.len());
                                for (j, e) in chunk.iter().enumerate() {
                                    let tx = to_transaction(&ids, &memos, e, first + j as u64)
                                        .ok_or_else(|| bad(e))?;
                                    labels
                                        .push(TxLabel { tx_id: tx.tx_id.clone(), crypto_related: e.crypto });
                                    txs.push(tx);
                                }
                                Ok((
                                    (
                                        format_records(&txs, opts.format, header)?,
                                        format_records(&labels, opts.format, header)?,
                                        txs.len() as u64,
                                    ),
                                    counts,
                                    parties,
                                ))
                            })
                            .collect();
                    let mut parts = Vec::with_capacity(chunks.len());
                    let mut parties = Vec::with_capacity(chunks.len());
                    for c in chunks {
                        let (part, counts, p) = c?;
                        stats.merge(&counts);
                        parts.push(part);
                        parties.push(p);
                    }
                    stats.add_parties(&parties);
                    if send.send(parts).is_err() {
                        // The writer stopped: its error is reported when it is joined below.
                        return Ok(stats);
                    }
                }
                // The generator may be gone already (after the last day, or on an error).
                let _ = give_back.send(events);
            }
            drop(send);
            Ok(stats)
        });
        let mut shards: Vec<Vec<Event>> = (0..SHARDS).map(|_| Vec::new()).collect();
        let mut crypto_events: Vec<Event> = Vec::new();
        let (mut pending, mut later): (Vec<Event>, Vec<Event>) = (Vec::new(), Vec::new());
        let mut today: Option<Vec<Event>> = Some(Vec::new());
        for d in 0..opts.days {
            let day = Day::new(opts.start, d);
            let ctx = normal::DayCtx::new(&w, day, &memos);
            shards.par_iter_mut().zip(0..SHARDS).for_each(|(out, s)| {
                // Room for as many as the day before, and a little more: the buffers are
                // kept from day to day.
                let had = out.len();
                out.clear();
                out.reserve_exact(had + had / 8);
                normal::shard_day(&ctx, s, SHARDS, s * per_shard, (s + 1) * per_shard, out);
            });
            crypto_events.clear();
            crypto::crypto_day(&ctx, &mut state, &mut crypto_events);
            let mut segments: Vec<&[Event]> = Vec::with_capacity(shards.len() + 2);
            segments.push(&pending);
            segments.extend(shards.iter().map(Vec::as_slice));
            segments.push(&crypto_events);
            debug_assert!(
                segments.iter().all(|s| s.iter().all(|e| e.ts >= day.start_micros)),
                "an event generated on day {d} is dated before it"
            );
            if u32::try_from(segments.iter().map(|s| s.len()).sum::<usize>()).is_err() {
                return Err(SimError::Invalid("more than 2^32 events in a day".into()));
            }
            // Events that fall after today wait for their day; those before the start are gone.
            let day_end = day.start_micros + MICROS_PER_DAY;
            // A few rows are delivered late: they are written after newer ones.
            let late_cut = (w.cfg.output.late_share * 1e6) as u64;
            let late_max = i64::from(w.cfg.output.late_max_secs) * 1_000_000;
            let emit_key = |e: &Event| -> i64 {
                if e.ts >= day_end {
                    return e.ts;
                }
                let h = rng::mix(opts.seed ^ e.ts as u64 ^ (u64::from(e.payer) << 20) ^ e.amount as u64);
                if h % 1_000_000 < late_cut {
                    (e.ts + (h >> 24) as i64 % late_max.max(1)).min(day_end - 1)
                } else {
                    e.ts
                }
            };
            // The day buffer, once the formatter is done with the day before.
            let Some(mut events) = today.take().or_else(|| returned.recv().ok()) else {
                // The formatter stopped: its error is reported when it is joined below.
                break;
            };
            order::deliver(&segments, start, day.start_micros, day_end, emit_key, &mut events, &mut later);
            std::mem::swap(&mut pending, &mut later);
            if d + 1 == opts.days {
                // Not needed for the last day's formatting and the accounts.
                shards = Vec::new();
            }

            let n = events.len() as u64;
            if to_format.send((day, events, seq)).is_err() {
                // The formatter stopped: its error is reported when it is joined below.
                break;
            }
            seq += n;
            progress(Progress { days_done: d + 1, days: opts.days, transactions: seq });
        }
        drop(to_format);
        formatter.join().map_err(|_| SimError::Invalid("the formatter thread panicked".into()))?
    })?;
    // The last day's buffer, handed back, is freed before the accounts are formatted.
    drop(returned);

    // Accounts and their labels, now that it is known who bought crypto; formatted in
    // parallel chunks, written in order, while the writer thread finishes and syncs the
    // transactions.
    let roles = stats.roles(&w);
    let mut acc_out = Out::create(file("accounts"), opts.gzip)?;
    let mut lab_out = Out::create(file("labels_accounts"), opts.gzip)?;
    let mut accounts_written = 0u64;
    let all: Vec<u32> = (0..w.accts.len() as u32).collect();
    for (g, group) in all.chunks(CHUNK * GROUP_CHUNKS).enumerate() {
        let parts: Vec<FormattedChunk> = group
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(k, idx)| {
                let accounts: Vec<Account> =
                    idx.iter().filter_map(|&i| account_record(&w, &ids, i)).collect();
                let labels: Vec<AccountLabel> = accounts
                    .iter()
                    .zip(idx)
                    .map(|(a, &i)| AccountLabel {
                        account_id: a.account_id.clone(),
                        role: roles.get(i as usize).copied().unwrap_or(Role::Normal),
                    })
                    .collect();
                let header = g == 0 && k == 0;
                if opts.format == Format::Csv {
                    let mut a = Vec::with_capacity(accounts.len() * 80 + 128);
                    let mut l = Vec::with_capacity(accounts.len() * 24 + 32);
                    if header {
                        a.extend_from_slice(Account::FIELDS.join(",").as_bytes());
                        a.push(b'\n');
                        l.extend_from_slice(AccountLabel::FIELDS.join(",").as_bytes());
                        l.push(b'\n');
                    }
                    let mut rows = fastcsv::CsvRows::new(&mut a);
                    accounts.iter().for_each(|r| rows.write(r));
                    let mut rows = fastcsv::CsvRows::new(&mut l);
                    labels.iter().for_each(|r| rows.write(r));
                    return Ok((a, l, accounts.len() as u64));
                }
                Ok((
                    format_records(&accounts, opts.format, header)?,
                    format_records(&labels, opts.format, header)?,
                    accounts.len() as u64,
                ))
            })
            .collect();
        for part in parts {
            let (a, l, n) = part?;
            accounts_written += n;
            acc_out.write(&a)?;
            lab_out.write(&l)?;
        }
    }
    let acc_path = acc_out.finish()?;
    let lab_path = lab_out.finish()?;
    let (mut files, days_written) =
        writer.join().map_err(|_| SimError::Invalid("the writer thread panicked".into()))??;
    files.push(acc_path);
    files.push(lab_path);
    stats.finish_roles(&roles);

    Ok(SimSummary {
        files,
        accounts: accounts_written,
        transactions: seq,
        crypto_transactions: stats.crypto_transactions(),
        stats,
        timings: Timings {
            world: world_built - started,
            days: days_written.saturating_duration_since(world_built),
            finish: days_written.elapsed(),
        },
    })
}

fn account_record(w: &World, ids: &Ids, i: u32) -> Option<Account> {
    let a = w.accts.get(i as usize)?;
    let seed = w.seed;
    let op = w.operations.get(a.operation as usize);
    let (name, website) = match (a.kind, op) {
        (AccountKind::Merchant, Some(op)) if op.kind == world::OpKind::Agent => match op.exchange {
            Some(x) => {
                let ex = names::exchanges().get(x)?;
                let brand = if ex.name_zh.is_empty() {
                    ex.name.clone()
                } else {
                    format!("{} {}", ex.name_zh, ex.name)
                };
                (format!("{brand} 数字服务"), Hostname::parse(&ex.host).ok())
            }
            None => (names::company(seed, i, a.city), None),
        },
        (AccountKind::Merchant, Some(op)) if op.kind == world::OpKind::Scam => {
            (names::scam(seed, i, a.city, w.evasion < 2), None)
        }
        (AccountKind::Merchant, _) => (names::merchant(seed, i, a.city, a.category), None),
        (AccountKind::Enterprise, _) => (names::company(seed, i, a.city), None),
        (AccountKind::Personal, _) => (names::person(seed, i), None),
    };
    let h = rng::mix(seed ^ u64::from(i) ^ 0xC0C0);
    let country = if a.kind == AccountKind::Personal && h.is_multiple_of(100) {
        Country::parse(["HK", "TW", "SG", "MY", "US", "JP", "KR", "AU"][(h >> 8) as usize % 8])?
    } else {
        Country::CN
    };
    let mcc = (a.kind == AccountKind::Merchant)
        .then(|| {
            Mcc::parse(&format!(
                "{:04}",
                world::CATEGORIES[usize::from(a.category).min(world::CATEGORIES.len() - 1)].0
            ))
        })
        .flatten();
    Some(Account {
        account_id: ids.account_id(i)?,
        kind: a.kind,
        name: name.chars().take(200).collect::<String>().into(),
        country,
        created_at: Timestamp::from_micros(a.created_at)?,
        kyc_level: KycLevel::new(a.kyc.min(3))?,
        mcc,
        website,
    })
}

/// Role of an account as labelled: its designated role if it took part in crypto payments,
/// `crypto_buyer` for any other account that did, `normal` otherwise.
pub fn label_role(designated: Role, crypto_payments: u32) -> Role {
    match (designated.is_operator(), crypto_payments > 0) {
        (true, true) => designated,
        (false, true) => Role::CryptoBuyer,
        _ => Role::Normal,
    }
}
