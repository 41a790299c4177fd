//! `sluice bench`: how fast the decision engine decides, on a simulated world, measured the
//! way the issue asks — a week of payments through the default policy, throughput and
//! per-decision latency percentiles, bytes of state per account. Reading and parsing are
//! done before the clock starts: this measures deciding, not CSV.

use crate::fmt::thousands;
use crate::setup;
use anyhow::Context;
use sluice_core::{Account, CivilDate, Transaction};
use sluice_io::{RejectLog, TransactionIngest, load_accounts};
use sluice_sim::config::SimConfig;
use sluice_sim::{SimOptions, simulate};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Flags of `sluice bench`.
#[derive(clap::Args)]
pub struct Args {
    /// World sizes to run (accounts), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = vec![100_000u32, 1_000_000])]
    population: Vec<u32>,
    /// Days of payments.
    #[arg(long, default_value_t = 7)]
    days: u32,
    /// Simulator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    decide: setup::DecideArgs,
    /// Keep the simulated data here (default: a temporary directory, removed afterwards).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Repetitions of the timed replay per world (the median is reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

struct Loaded {
    accounts: Arc<[Account]>,
    txs: Vec<(Transaction, Option<u32>, Option<u32>)>,
}

fn load(dir: &std::path::Path) -> anyhow::Result<Loaded> {
    let mut log = RejectLog::new();
    let mut accounts = Vec::new();
    let load = load_accounts(&dir.join("accounts.csv"), &mut log, |_, a| accounts.push(a))?;
    let mut ingest = TransactionIngest::open(&dir.join("transactions.csv"), &load.book, None)?;
    let mut txs = Vec::new();
    while let Some(a) = ingest.next(&mut log)? {
        txs.push((a.tx, a.payer, a.payee));
    }
    anyhow::ensure!(log.total() == 0, "the simulated data had {} rejected rows", log.total());
    Ok(Loaded { accounts: accounts.into(), txs })
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let deciding = args.decide.load()?;
    let (lists, policy) = (&deciding.lists, &deciding.policy);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "policy {} ({} rules), lists {}",
        policy.reference.as_str(),
        policy.rules.len(),
        lists.version()
    )?;
    for &population in &args.population {
        let tmp;
        let dir = match &args.data_dir {
            Some(d) => d.join(format!("bench-{population}-{}d-seed{}", args.days, args.seed)),
            None => {
                tmp = tempfile::tempdir()?;
                tmp.path().to_path_buf()
            }
        };
        if !dir.join("transactions.csv").exists() {
            let opts = SimOptions {
                config: SimConfig::default_config()?,
                seed: args.seed,
                evasion: 2,
                start: CivilDate::parse("2026-03-02").context("start date")?,
                days: args.days,
                population,
                out_dir: dir.clone(),
                format: sluice_io::Format::Csv,
                gzip: false,
            };
            eprintln!("simulating {} accounts × {} days ...", thousands(u64::from(population)), args.days);
            simulate(&opts, |_| {})?;
        }
        eprintln!("loading ...");
        let data = load(&dir)?;
        let n = data.txs.len() as u64;
        let mut runs = Vec::new();
        let mut last = None;
        for _ in 0..args.runs.max(1) {
            let mut engine = deciding.engine(Arc::clone(&data.accounts))?;
            let mut hist = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3)?;
            let mut sink = 0u64;
            let started = Instant::now();
            for (i, (tx, payer, payee)) in data.txs.iter().enumerate() {
                if let Some((next, p, q)) = data.txs.get(i + 1) {
                    engine.prefetch(next, *p, *q);
                }
                let t0 = Instant::now();
                let d = engine.decide(tx, *payer, *payee);
                let ns = t0.elapsed().as_nanos() as u64;
                sink = sink.wrapping_add(u64::from(d.score.ten_thousandths()) + d.reasons.len() as u64);
                hist.saturating_record(ns.max(1));
            }
            let secs = started.elapsed().as_secs_f64();
            std::hint::black_box(sink);
            runs.push(secs);
            last = Some((engine, hist));
        }
        runs.sort_by(f64::total_cmp);
        let median = runs[runs.len() / 2];
        let Some((engine, hist)) = last else { continue };
        let bytes = engine.state_bytes() as f64 / data.accounts.len().max(1) as f64;
        let s = engine.stats();
        writeln!(
            out,
            "world {} accounts, {} days, {} decisions (allow {} · review {} · block {})",
            thousands(data.accounts.len() as u64),
            args.days,
            thousands(n),
            thousands(s.by_outcome[0]),
            thousands(s.by_outcome[1]),
            thousands(s.by_outcome[2])
        )?;
        writeln!(
            out,
            "  throughput {:.0} decisions/s on one core (median of {} runs: {})",
            n as f64 / median,
            runs.len(),
            runs.iter().map(|r| format!("{:.0}/s", n as f64 / r)).collect::<Vec<_>>().join(", ")
        )?;
        writeln!(
            out,
            "  latency per decision (last run, incl. ~20 ns timer): p50 {} ns · p99 {} ns · p999 {} ns · max {} ns",
            hist.value_at_quantile(0.5),
            hist.value_at_quantile(0.99),
            hist.value_at_quantile(0.999),
            hist.max()
        )?;
        writeln!(
            out,
            "  engine state {:.1} bytes per account (windows, restrictions, screening cache)",
            bytes
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
