//! `sluice validate`: reads accounts and transactions exactly as every other command does,
//! reports each rejected row, and prints a summary a person can read.

use crate::fmt::{duration_micros, rate, thousands};
use anyhow::Context;
use sluice_core::{AccountKind, Channel, Currency, Timestamp};
use sluice_io::format::ByteCounter;
use sluice_io::{RejectLog, TransactionIngest, load_accounts};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Flags of `sluice validate`.
#[derive(clap::Args)]
pub struct Args {
    /// Accounts file (.csv, .ndjson or .jsonl, optionally .gz).
    #[arg(long)]
    accounts: PathBuf,
    /// Transactions file (.csv, .ndjson or .jsonl, optionally .gz).
    #[arg(long)]
    transactions: PathBuf,
    /// Write every rejected row to this CSV file (file,record,line,field,code,reason,row).
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Exit with status 0 as long as at most this many rows are rejected.
    #[arg(long, default_value_t = 0)]
    max_rejects: u64,
    /// Print at most this many rejected rows on stderr (all go to --rejects).
    #[arg(long, default_value_t = 20)]
    show_rejects: u64,
}

/// What the transactions looked like.
#[derive(Default)]
struct TxSummary {
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    channels: [u64; Channel::ALL.len()],
    /// Per currency: payments and total in minor units (i128: a sum cannot overflow).
    currencies: BTreeMap<Currency, (u64, i128)>,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let shown = Arc::new(AtomicU64::new(0));
    let show_limit = args.show_rejects;
    let shown_in_cb = shown.clone();
    let mut log = RejectLog::new().with_callback(move |r| {
        if shown_in_cb.fetch_add(1, Ordering::Relaxed) < show_limit {
            eprintln!("reject: {r}");
        }
    });
    if let Some(path) = &args.rejects {
        log = log.with_file(path)?;
    }

    let mut by_kind = [0u64; AccountKind::ALL.len()];
    let accounts = load_accounts(&args.accounts, &mut log, |_, a| {
        by_kind[a.kind as usize] += 1;
    })
    .with_context(|| "cannot read the accounts")?;

    let counter = ByteCounter::new();
    let pb = super::file_progress(&args.transactions, "transactions");
    let mut ingest = TransactionIngest::open(&args.transactions, &accounts.book, Some(counter.clone()))
        .with_context(|| "cannot read the transactions")?;
    let mut active = vec![false; accounts.book.len()];
    let mut summary = TxSummary::default();
    let mut n: u64 = 0;
    while let Some(adm) = ingest.next(&mut log)? {
        let tx = &adm.tx;
        summary.first = Some(summary.first.map_or(tx.ts, |f| f.min(tx.ts)));
        summary.last = Some(summary.last.map_or(tx.ts, |l| l.max(tx.ts)));
        summary.channels[tx.channel as usize] += 1;
        let c = summary.currencies.entry(tx.amount.currency()).or_insert((0, 0));
        c.0 += 1;
        c.1 += i128::from(tx.amount.minor());
        for idx in [adm.payer, adm.payee].into_iter().flatten() {
            if let Some(a) = active.get_mut(idx as usize) {
                *a = true;
            }
        }
        n += 1;
        if n.is_multiple_of(65_536) {
            pb.set_position(counter.get());
        }
    }
    pb.finish_and_clear();
    log.finish()?;
    let elapsed = started.elapsed().as_secs_f64();
    let stats = ingest.stats().clone();

    let mut out = std::io::stdout().lock();
    writeln!(out, "accounts      {}", args.accounts.display())?;
    writeln!(
        out,
        "  rows {}  accepted {}  rejected {}",
        thousands(accounts.rows),
        thousands(accounts.book.len() as u64),
        thousands(accounts.rejected)
    )?;
    let kinds: Vec<String> =
        AccountKind::ALL.iter().map(|k| format!("{k} {}", thousands(by_kind[*k as usize]))).collect();
    writeln!(out, "  by kind: {}", kinds.join(" · "))?;
    writeln!(out, "transactions  {}", args.transactions.display())?;
    writeln!(
        out,
        "  rows {}  accepted {}  rejected {}  duplicates {} (identical copies, counted once)",
        thousands(stats.rows),
        thousands(stats.accepted),
        thousands(stats.rejected),
        thousands(stats.duplicates)
    )?;
    writeln!(
        out,
        "  late (>10 min behind) {}  out of order within tolerance {}{}  dated before account opened {}",
        thousands(stats.late),
        thousands(stats.out_of_order - stats.late),
        if stats.out_of_order > 0 {
            format!(" (max {} behind)", duration_micros(stats.max_behind_micros))
        } else {
            String::new()
        },
        thousands(stats.before_account_created)
    )?;
    if let (Some(first), Some(last)) = (summary.first, summary.last) {
        let days = (last.as_micros() - first.as_micros()) as f64 / 86_400e6;
        writeln!(out, "  time span {first} .. {last} ({days:.2} days)")?;
    }
    let channels: Vec<String> = Channel::ALL
        .iter()
        .filter(|c| summary.channels[**c as usize] > 0)
        .map(|c| format!("{c} {}", thousands(summary.channels[*c as usize])))
        .collect();
    writeln!(out, "  channels: {}", channels.join(" · "))?;
    for (cur, (count, total)) in &summary.currencies {
        let scale = i128::from(cur.minor_per_major());
        let whole = u64::try_from(total / scale).unwrap_or(u64::MAX);
        let frac = total % scale;
        let frac = if cur.exponent() > 0 {
            format!(".{:0width$}", frac, width = usize::from(cur.exponent()))
        } else {
            String::new()
        };
        writeln!(out, "  {cur}: {} payments, total {}{frac}", thousands(*count), thousands(whole))?;
    }
    let active_n = active.iter().filter(|a| **a).count() as u64;
    writeln!(out, "  active accounts: {} of {}", thousands(active_n), thousands(accounts.book.len() as u64))?;
    let total_rejects = log.total();
    if total_rejects == 0 {
        writeln!(out, "rejects: none")?;
    } else {
        let codes: Vec<String> = log.counts().iter().map(|(c, n)| format!("{c} {}", thousands(*n))).collect();
        writeln!(out, "rejects: {} ({})", thousands(total_rejects), codes.join(", "))?;
        if let Some(p) = &args.rejects {
            writeln!(out, "  every rejected row is in {}", p.display())?;
        }
    }
    writeln!(out, "elapsed {elapsed:.2} s ({} transaction rows)", rate(stats.rows, elapsed))?;
    Ok(super::rejects_status(total_rejects, args.max_rejects))
}
