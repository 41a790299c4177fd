//! `sluice bench`: how fast the decision engine decides, on a simulated world, measured the
//! way the issue asks — a week of payments through the default policy, throughput and
//! per-decision latency percentiles, bytes of state per account. Reading and parsing are
//! done before the clock starts: this measures deciding, not CSV.

use crate::fmt::thousands;
use crate::setup;
use anyhow::Context;
use hdrhistogram::Histogram;
use sluice_core::{Account, CivilDate, Decision, Transaction};
use sluice_engine::decide::{Engine, Prepared};
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
    /// Thread counts to measure, comma-separated: 1 decides on one thread; 2 on the
    /// engine's two lanes (`Engine::decide_lanes`), in batches of `--batch`: each thread
    /// records the behaviour of half the accounts, both run the rules of the batch before,
    /// and one finalizes the decisions in input order.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 2])]
    threads: Vec<usize>,
    /// Payments per batch (2 threads): larger batches spread the threads' handovers over
    /// more payments; a payment is decided about two batches' work after its batch is taken.
    #[arg(long, default_value_t = 8)]
    batch: usize,
}

type Tx = (Transaction, Option<u32>, Option<u32>);

/// An order-sensitive checksum of the decisions (outcome, score, reasons and their detail
/// lengths, actions), so the thread counts can be checked to decide alike.
fn fold(sink: u64, d: &Decision) -> u64 {
    let reasons = d
        .reasons
        .iter()
        .fold(0u64, |h, r| h.rotate_left(7) ^ r.detail.len() as u64 ^ (r.code.as_str().len() as u64) << 32);
    let v = u64::from(d.score.ten_thousandths())
        ^ (d.decision as u64) << 16
        ^ (d.actions.len() as u64) << 20
        ^ reasons.rotate_left(24);
    sink.rotate_left(5).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ v
}

/// One timed pass over `txs` on one thread; returns the checksum, the per-decision latency
/// histogram (prepare + decide of each payment; prefetching the state of the next two is
/// outside the timer) and the thread's CPU time.
fn run_one(engine: &mut Engine, txs: &[Tx], hist: &mut Histogram<u64>) -> (u64, [u64; 2]) {
    let started = cpu_ns();
    let mut preparer = engine.preparer();
    // Payment i is decided while i+1 and i+2 are prepared and their state is on its way.
    let mut slots: [Prepared<'_>; 3] = Default::default();
    let mut prep_ns = [0u64; 3];
    let mut sink = 0u64;
    for (k, (tx, p, q)) in txs.iter().take(2).enumerate() {
        let t0 = Instant::now();
        preparer.prepare(tx, *p, *q, &mut slots[k]);
        prep_ns[k] = t0.elapsed().as_nanos() as u64;
    }
    if let Some(s) = slots.get(1) {
        engine.prefetch_prepared_early(s);
    }
    for (i, (tx, payer, payee)) in txs.iter().enumerate() {
        // Reading ahead in the input: the payment four on and its sides' creation times.
        if let Some((ftx, p, q)) = txs.get(i + 4) {
            sluice_engine::decide::prefetch_transaction(ftx);
            preparer.prefetch([*p, *q]);
        }
        if let Some((ntx, p, q)) = txs.get(i + 2) {
            let slot = &mut slots[(i + 2) % 3];
            let t0 = Instant::now();
            preparer.prepare(ntx, *p, *q, slot);
            prep_ns[(i + 2) % 3] = t0.elapsed().as_nanos() as u64;
            engine.prefetch_prepared_early(slot);
        }
        if i + 1 < txs.len() {
            engine.prefetch_prepared_late(&slots[(i + 1) % 3]);
        }
        let t0 = Instant::now();
        let d = engine.decide_prepared(tx, *payer, *payee, &slots[i % 3]);
        let ns = t0.elapsed().as_nanos() as u64 + prep_ns[i % 3];
        sink = fold(sink, &d);
        hist.saturating_record(ns.max(1));
    }
    (sink, [cpu_ns().saturating_sub(started), 0])
}

/// Nanoseconds the calling thread has run on a CPU (`/proc/thread-self/schedstat`; 0 where
/// there is none): unlike wall time, not inflated by other processes on a busy machine.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0)
}

/// CPU time of this process so far, every thread's, those that have ended included
/// (`utime + stime` of `/proc/self/stat`, in clock ticks of 10 ms: Linux's `USER_HZ` is 100);
/// 0 where there is none. A run lasts seconds, so the tick is well under 1 %.
fn process_cpu_ns() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0 };
    // Fields after the command name (in parentheses, which may hold spaces): state is the
    // first, utime the 12th, stime the 13th.
    let Some((_, rest)) = stat.rsplit_once(')') else { return 0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) * 10_000_000
}

/// One timed pass over `txs` on the engine's two lanes ([`Engine::decide_lanes`]), in
/// batches of `batch`. Returns the checksum, the latency histogram (from the start of a
/// payment's batch to its decision) and the CPU time of both threads together.
fn run_two(
    engine: &mut Engine,
    txs: &[Tx],
    hist: &mut Histogram<u64>,
    batch: usize,
) -> anyhow::Result<(u64, [u64; 2])> {
    let batch = batch.max(1);
    let started = process_cpu_ns();
    let mut sink = 0u64;
    // A batch starts when the lanes take it from the iterator (when the first of them starts
    // on it; batches overlap in the lanes' stages); its payments' latency runs from there to
    // each decision.
    let taken = std::sync::Mutex::new(std::collections::VecDeque::new());
    let batches = txs.chunks(batch).inspect(|_| {
        if let Ok(mut t) = taken.lock() {
            t.push_back(Instant::now());
        }
    });
    let mut batch_start = Instant::now();
    let mut left = 0usize;
    engine.decide_lanes(batches, |_, d| {
        if left == 0 {
            left = batch;
            batch_start = taken.lock().ok().and_then(|mut t| t.pop_front()).unwrap_or(batch_start);
        }
        sink = fold(sink, &d);
        let now = Instant::now();
        hist.saturating_record((now.duration_since(batch_start).as_nanos() as u64).max(1));
        left -= 1;
    })?;
    let cpu = process_cpu_ns().saturating_sub(started);
    Ok((sink, [cpu, 0]))
}

struct Loaded {
    accounts: Arc<[Account]>,
    txs: Vec<Tx>,
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
        let mut results = Vec::new();
        let mut checksums = Vec::new();
        for &threads in &args.threads {
            let mut runs = Vec::new();
            let mut last = None;
            let mut sums = Vec::new();
            let mut cpus = Vec::new();
            for _ in 0..args.runs.max(1) {
                let mut engine = deciding.engine(Arc::clone(&data.accounts))?;
                let mut hist = Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3)?;
                let started = Instant::now();
                let (sink, cpu) = if threads >= 2 {
                    run_two(&mut engine, &data.txs, &mut hist, args.batch)?
                } else {
                    run_one(&mut engine, &data.txs, &mut hist)
                };
                let secs = started.elapsed().as_secs_f64();
                sums.push(sink);
                cpus.push(cpu);
                runs.push(secs);
                last = Some((engine, hist));
            }
            sums.dedup();
            checksums.extend(sums);
            results.push((threads.clamp(1, 2), runs, last, cpus));
        }
        checksums.dedup();
        anyhow::ensure!(
            checksums.len() <= 1,
            "the thread counts decided differently (decision checksums {checksums:x?})"
        );
        let Some((_, _, Some((engine, _)), _)) = results.last_mut() else { continue };
        // The state in one piece, as one thread holds it (the lanes keep theirs apart).
        engine.join_lanes();
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
        for (threads, runs, last, cpus) in &mut results {
            runs.sort_by(f64::total_cmp);
            let median = runs[runs.len() / 2];
            let Some((_, hist)) = last else { continue };
            let (what, measured) = if *threads >= 2 {
                ("2 threads (lanes)", "from when the lanes took its batch to the decision")
            } else {
                ("1 thread", "prepare + decide")
            };
            writeln!(
                out,
                "  {what}: throughput {:.0} decisions/s (median of {} runs: {})",
                n as f64 / median,
                runs.len(),
                runs.iter().map(|r| format!("{:.0}/s", n as f64 / r)).collect::<Vec<_>>().join(", ")
            )?;
            writeln!(
                out,
                "    latency per decision ({measured}; last run, incl. ~20 ns timer): p50 {} ns · p99 {} ns · p999 {} ns · max {} ns",
                hist.value_at_quantile(0.5),
                hist.value_at_quantile(0.99),
                hist.value_at_quantile(0.999),
                hist.max()
            )?;
            // CPU time per decision of each thread, median over the runs: what the
            // throughput would be on otherwise idle cores is about 1e9 / the larger.
            let per = |k: usize| {
                let mut v: Vec<f64> = cpus.iter().map(|c| c[k] as f64 / n.max(1) as f64).collect();
                v.sort_by(f64::total_cmp);
                v.get(v.len() / 2).copied().unwrap_or(0.0)
            };
            if *threads >= 2 {
                writeln!(out, "    CPU per decision (both threads' CPU time, median): {:.0} ns", per(0))?;
            } else {
                writeln!(out, "    CPU per decision (thread CPU time, median): {:.0} ns", per(0))?;
            }
        }
        writeln!(
            out,
            "  engine state {:.1} bytes per account (windows, restrictions, screening cache)",
            bytes
        )?;
        if let Some(c) = checksums.first() {
            writeln!(out, "  decision checksum {c:016x} (the same for every thread count)")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
