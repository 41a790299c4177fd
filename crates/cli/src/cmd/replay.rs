//! `sluice replay`: stream accounts and transactions through the decision engine and write
//! one decision per accepted payment (the contract's `decisions.ndjson`), then summarise.

use crate::fmt::{rate, thousands};
use crate::setup;
use anyhow::Context;
use sluice_core::{Account, Decision};
use sluice_io::format::ByteCounter;
use sluice_io::{RecordWriter, RejectLog, TransactionIngest, load_accounts};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Flags of `sluice replay`.
#[derive(clap::Args)]
pub struct Args {
    /// Accounts file.
    #[arg(long)]
    accounts: PathBuf,
    /// Transactions file, in time order (late rows are handled; see the data contract).
    #[arg(long)]
    transactions: PathBuf,
    #[command(flatten)]
    decide: setup::DecideArgs,
    /// Where to write the decisions (.ndjson; `-` for stdout).
    #[arg(long)]
    out: PathBuf,
    /// Write rejected rows to this CSV file.
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Exit 0 as long as at most this many rows are rejected.
    #[arg(long, default_value_t = 0)]
    max_rejects: u64,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let deciding = args.decide.load()?;
    let (lists, policy) = (Arc::clone(&deciding.lists), Arc::clone(&deciding.policy));
    let mut log = RejectLog::new().with_callback(|r| eprintln!("reject: {r}"));
    if let Some(p) = &args.rejects {
        log = log.with_file(p)?;
    }
    let mut accounts: Vec<Account> = Vec::new();
    let load = load_accounts(&args.accounts, &mut log, |idx, a| {
        debug_assert_eq!(idx as usize, accounts.len());
        accounts.push(a);
    })
    .context("cannot read the accounts")?;
    let mut engine = deciding.engine(accounts.into())?;

    let out: Box<dyn Write + Send> = if args.out.as_os_str() == "-" {
        Box::new(std::io::stdout())
    } else {
        Box::new(
            std::fs::File::create(&args.out)
                .with_context(|| format!("cannot create {}", args.out.display()))?,
        )
    };
    let mut writer = RecordWriter::<Decision, _>::to_writer(
        &args.out,
        sluice_io::Format::Ndjson,
        std::io::BufWriter::with_capacity(1 << 20, out),
    )?;

    let counter = ByteCounter::new();
    let pb = super::file_progress(&args.transactions, "deciding");
    let mut ingest = TransactionIngest::open(&args.transactions, &load.book, Some(counter.clone()))
        .context("cannot read the transactions")?;
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut n: u64 = 0;
    let decide_start = Instant::now();
    // Two threads: this one reads and admits the payments in batches; the other decides
    // them in input order and writes. Reading is the slower of the two, so deciding needs
    // one thread here: the engine's two lanes (`Engine::decide_lanes`, what `sluice bench
    // --threads 2` measures) would be a third busy thread on a 2-core machine, and made
    // replay 45 % slower (5.5 s against 3.8–4.1 s for 1.47M payments).
    type Batch = Vec<(sluice_core::Transaction, Option<u32>, Option<u32>)>;
    const BATCH: usize = 64;
    let (to_decider, batches) = std::sync::mpsc::sync_channel::<Batch>(64);
    let (ingest, mut log) = std::thread::scope(|scope| -> anyhow::Result<_> {
        let (engine, writer, reasons, n, pb, counter) =
            (&mut engine, &mut writer, &mut reasons, &mut n, &pb, &counter);
        let decider = scope.spawn(move || -> anyhow::Result<()> {
            for batch in batches {
                for (i, (tx, payer, payee)) in batch.iter().enumerate() {
                    if let Some((next, p, q)) = batch.get(i + 1) {
                        engine.prefetch(next, *p, *q);
                    }
                    let d = engine.decide(tx, *payer, *payee);
                    for r in &d.reasons {
                        *reasons.entry(r.code.as_str().to_string()).or_default() += 1;
                    }
                    writer.write(&d)?;
                    *n += 1;
                    if n.is_multiple_of(65_536) {
                        pb.set_position(counter.get());
                    }
                }
            }
            Ok(())
        });
        let mut read = || -> anyhow::Result<()> {
            loop {
                let mut v = Vec::with_capacity(BATCH);
                while v.len() < BATCH {
                    let Some(adm) = ingest.next(&mut log)? else { break };
                    v.push((adm.tx, adm.payer, adm.payee));
                }
                if v.is_empty() {
                    return Ok(());
                }
                if to_decider.send(v).is_err() {
                    // The deciding side stopped: its error is reported below.
                    return Ok(());
                }
            }
        };
        let read_result = read();
        drop(to_decider);
        let decide_result = match decider.join() {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e),
        };
        read_result?;
        decide_result?;
        Ok((ingest, log))
    })?;
    pb.finish_and_clear();
    writer.into_inner()?.flush()?;
    log.finish()?;
    let secs = decide_start.elapsed().as_secs_f64();

    let stats = engine.stats();
    let mut o = std::io::stderr().lock();
    writeln!(o, "policy {}  lists {}", policy.reference.as_str(), lists.version())?;
    writeln!(
        o,
        "decisions {}: allow {} · review {} · block {}  ({} restriction(s) taken, {} payment(s) refused by a restriction in force)",
        thousands(n),
        thousands(stats.by_outcome[0]),
        thousands(stats.by_outcome[1]),
        thousands(stats.by_outcome[2]),
        thousands(stats.actions),
        thousands(stats.restricted)
    )?;
    let mut top: Vec<(&String, &u64)> = reasons.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    if !top.is_empty() {
        writeln!(o, "top reasons:")?;
        for (code, count) in top.iter().take(10) {
            writeln!(o, "  {code:<24} {}", thousands(**count))?;
        }
    }
    writeln!(o, "rules fired:")?;
    for (i, rule) in policy.rules.iter().enumerate() {
        let err = stats.errors[i];
        let err = if err > 0 { format!("  ({} evaluation errors)", thousands(err)) } else { String::new() };
        writeln!(o, "  {:<24} {}{err}", rule.id, thousands(stats.fired[i]))?;
    }
    let ist = ingest.stats();
    writeln!(
        o,
        "input: {} rows, {} accepted, {} rejected, {} duplicates, {} late",
        thousands(ist.rows),
        thousands(ist.accepted),
        thousands(ist.rejected),
        thousands(ist.duplicates),
        thousands(ist.late)
    )?;
    writeln!(
        o,
        "elapsed {:.2} s ({} decisions incl. reading and writing)",
        started.elapsed().as_secs_f64(),
        rate(n, secs)
    )?;
    Ok(super::rejects_status(log.total(), args.max_rejects))
}
