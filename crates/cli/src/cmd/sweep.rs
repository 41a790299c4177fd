//! `sluice sweep`: read a period's accounts and payments, score every platform account over
//! the whole payment graph (`sluice_sweep`), and write the contract's `verdicts.csv`.

use crate::fmt::{rate, thousands};
use crate::setup;
use anyhow::{Context, bail};
use sluice_core::{Account, AccountAction, Verdict};
use sluice_engine::lists::ListStore;
use sluice_io::format::ByteCounter;
use sluice_io::{IngestStats, RecordWriter, RejectLog, TransactionIngest, load_accounts};
use sluice_sweep::features::FEATURE_NAMES;
use sluice_sweep::model::{Model, Thresholds};
use sluice_sweep::state::SweepState;
use sluice_sweep::{Sweep, SweepOutput};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Flags of `sluice sweep`.
#[derive(clap::Args)]
pub struct Args {
    /// Accounts file.
    #[arg(long)]
    accounts: PathBuf,
    /// Transactions file of the period.
    #[arg(long)]
    transactions: PathBuf,
    /// List files (default: the built-in lists).
    #[arg(long)]
    lists: Vec<PathBuf>,
    /// A model trained by `sluice train` (default: the rule scorer).
    #[arg(long)]
    model: Option<PathBuf>,
    /// A policy whose `[sweep]` thresholds replace the scorer's own.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Daily operation: read the history of earlier sweeps from DIR/sweep.state (if there),
    /// sweep it together with this period's payments, and write the new history back. Give
    /// each day's payments once.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Days of history kept in --state.
    #[arg(long, default_value_t = 28, requires = "state")]
    history_days: u32,
    /// How often the sweep runs in operation (`24h`, `6h`, `1h`, `30m`; must divide a day):
    /// first flag times are found at these cut-offs, aligned to local midnight.
    #[arg(long, default_value = "24h", value_parser = parse_cadence)]
    cadence: u32,
    /// How far back from each cut-off an account's own features read (`7d`, `48h`, `all`).
    /// Default: the window the model was trained with, or 7d for the rule scorer (the week
    /// its thresholds were set on). Longer history still feeds the graph-wide evidence.
    #[arg(long, value_parser = parse_window)]
    window: Option<u32>,
    /// Where to write the verdicts (.csv or .ndjson, optionally .gz).
    #[arg(long)]
    out: PathBuf,
    /// Also write every account's feature vector as CSV (for training and analysis).
    #[arg(long)]
    features_out: Option<PathBuf>,
    /// Write rejected rows to this CSV file.
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Exit 0 as long as at most this many rows are rejected.
    #[arg(long, default_value_t = 0)]
    max_rejects: u64,
}

/// One period swept: its accounts, the sweep's output and the input's counts.
pub struct Swept {
    /// The accounts, in file order (the verdicts' order).
    pub accounts: Vec<Account>,
    /// Verdicts and features.
    pub out: SweepOutput,
    /// Input counts.
    pub input: IngestStats,
    /// Seconds spent reading and scoring.
    pub read_secs: f64,
    /// Seconds spent scoring.
    pub score_secs: f64,
    /// Seconds from the period's first payment to its last (this period's file only).
    pub span_secs: i64,
}

/// How to sweep, beyond the input files.
pub struct SweepOptions<'a> {
    /// The lists.
    pub lists: &'a ListStore,
    /// A learned model instead of the rule scorer.
    pub model: Option<&'a Model>,
    /// Thresholds replacing the scorer's.
    pub thresholds: Option<Thresholds>,
    /// An earlier sweep's history (if any) and the days of history to hand on.
    pub history: Option<(Option<&'a SweepState>, u32)>,
    /// Seconds between sweeps in operation.
    pub cadence: u32,
    /// Read the payments as if they carried no device id (training's device-less copies).
    pub ignore_devices: bool,
    /// Feature window in seconds (default: the model's, else [`sluice_sweep::WINDOW_SECS`]).
    pub window: Option<u32>,
}

impl<'a> SweepOptions<'a> {
    /// The rule scorer (or `model`), no history, daily.
    pub fn new(lists: &'a ListStore, model: Option<&'a Model>) -> Self {
        SweepOptions {
            lists,
            model,
            thresholds: None,
            history: None,
            cadence: sluice_sweep::DAY_SECS,
            ignore_devices: false,
            window: None,
        }
    }

    /// The feature window this sweep reads.
    pub fn window_secs(&self) -> u32 {
        self.window.or(self.model.map(|m| m.window_secs)).unwrap_or(sluice_sweep::WINDOW_SECS)
    }
}

/// The history file inside a `--state` directory.
pub const STATE_FILE: &str = "sweep.state";

/// Reads `DIR/sweep.state`, or nothing when the directory has none yet.
pub fn read_state(dir: &Path) -> anyhow::Result<Option<SweepState>> {
    let path = dir.join(STATE_FILE);
    match std::fs::File::open(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot open {}", path.display())),
        Ok(f) => {
            Ok(Some(SweepState::read(std::io::BufReader::with_capacity(1 << 20, f)).with_context(|| {
                format!("{} is unusable; the previous day's state is not changed", path.display())
            })?))
        }
    }
}

/// Writes `DIR/sweep.state` atomically: a temporary file, synced, then renamed over the old.
pub fn write_state(dir: &Path, state: &SweepState) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dir.join(format!("{STATE_FILE}.tmp"));
    let f = std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    state.write(&mut w).with_context(|| format!("cannot write {}", tmp.display()))?;
    let f = w
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    f.sync_all().with_context(|| format!("cannot sync {}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join(STATE_FILE))
        .with_context(|| format!("cannot replace {}", dir.join(STATE_FILE).display()))?;
    Ok(())
}

/// Reads `accounts` and `transactions` and sweeps them as `o` says; rejected rows go to
/// `log`. With a history the output carries the new history.
pub fn sweep_with(
    accounts_path: &Path,
    transactions: &Path,
    o: &SweepOptions<'_>,
    log: &mut RejectLog,
) -> anyhow::Result<Swept> {
    let started = Instant::now();
    let mut accounts: Vec<Account> = Vec::new();
    let load =
        load_accounts(accounts_path, log, |_, a| accounts.push(a)).context("cannot read the accounts")?;
    let mut sweep = Sweep::new(&accounts, o.lists).with_cadence(o.cadence).with_window(o.window_secs());
    if let Some(m) = o.model {
        sweep = sweep.with_model(m);
    }
    if let Some(t) = o.thresholds {
        sweep = sweep.with_thresholds(t);
    }
    let mut newest_remembered: Option<u32> = None;
    if let Some((state, days)) = o.history {
        if let Some(st) = state {
            newest_remembered = st.edges.iter().map(|e| e.t).max();
            sweep = sweep.with_history(st);
        }
        sweep = sweep.keep_history(days);
    }
    let mut oldest_new: Option<i64> = None;
    let mut newest_new: Option<i64> = None;
    let bytes = std::fs::metadata(transactions).map_or(0, |m| m.len());
    sweep.reserve(usize::try_from(bytes / 90).unwrap_or(0));

    let counter = ByteCounter::new();
    let pb = super::file_progress(transactions, "reading");
    let mut ingest = TransactionIngest::open(transactions, &load.book, Some(counter.clone()))
        .context("cannot read the transactions")?;
    let mut n: u64 = 0;
    while let Some(mut adm) = ingest.next(log)? {
        if o.ignore_devices {
            adm.tx.device_id = None;
        }
        let t = adm.tx.ts.as_secs();
        oldest_new = Some(oldest_new.map_or(t, |o| o.min(t)));
        newest_new = Some(newest_new.map_or(t, |o| o.max(t)));
        sweep.add(&adm.tx, adm.payer, adm.payee);
        n += 1;
        if n.is_multiple_of(65_536) {
            pb.set_position(counter.get());
        }
    }
    pb.finish_and_clear();
    // The same day given twice would count its payments twice: refuse a period that starts
    // before the remembered history ends (beyond the 10 minutes a late payment may lag).
    if let (Some(newest), Some(oldest)) = (newest_remembered, oldest_new)
        && oldest + 600 < i64::from(newest)
    {
        bail!(
            "{} starts at {} but the history already holds payments up to {}: give each day's payments to --state once",
            transactions.display(),
            sluice_core::Timestamp::from_micros(oldest * 1_000_000)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            sluice_core::Timestamp::from_micros(i64::from(newest) * 1_000_000)
                .map(|t| t.to_string())
                .unwrap_or_default(),
        );
    }
    let read_secs = started.elapsed().as_secs_f64();
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    spinner.set_message(format!(
        "scoring {} accounts over {} payments",
        thousands(accounts.len() as u64),
        thousands(n)
    ));
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    let scoring = Instant::now();
    let out = sweep.finish();
    spinner.finish_and_clear();
    let score_secs = scoring.elapsed().as_secs_f64();
    let input = ingest.stats().clone();
    let span_secs = match (oldest_new, newest_new) {
        (Some(a), Some(b)) => b - a,
        _ => 0,
    };
    Ok(Swept { accounts, out, input, read_secs, score_secs, span_secs })
}

/// Parses a sweep cadence (`24h`, `6h`, `1h`, `30m`) into seconds that divide a day.
pub fn parse_cadence(s: &str) -> Result<u32, String> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u32 = num.parse().map_err(|_| format!("`{s}`: expected a number then h or m, like 6h"))?;
    let secs = match unit {
        "h" => n.checked_mul(3600),
        "m" => n.checked_mul(60),
        _ => None,
    }
    .ok_or_else(|| format!("`{s}`: expected a number then h or m, like 6h"))?;
    if secs == 0 || !86_400u32.is_multiple_of(secs) {
        return Err(format!("`{s}` does not divide a day into equal sweeps"));
    }
    Ok(secs)
}

/// Parses a feature window (`7d`, `48h`, `90m`, or `all` for the whole period) into seconds.
pub fn parse_window(s: &str) -> Result<u32, String> {
    if s == "all" {
        return Ok(u32::MAX);
    }
    let bad = || format!("`{s}`: expected a number then d, h or m (like 7d), or `all`");
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u32 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "d" => n.checked_mul(86_400),
        "h" => n.checked_mul(3600),
        "m" => n.checked_mul(60),
        _ => None,
    }
    .filter(|&x| x > 0 && x < u32::MAX)
    .ok_or_else(bad)?;
    Ok(secs)
}

/// A window in words: `7 days`, `36 hours`, `90 minutes`.
fn window_text(secs: u32) -> String {
    let unit = |n: u32, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if secs.is_multiple_of(86_400) {
        unit(secs / 86_400, "day")
    } else if secs.is_multiple_of(3600) {
        unit(secs / 3600, "hour")
    } else {
        unit(secs.div_ceil(60), "minute")
    }
}

/// Reads a model file.
pub fn load_model(path: &Path) -> anyhow::Result<Model> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Model::from_json(&text).with_context(|| format!("{} is not a usable model", path.display()))
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let lists = setup::load_lists(&args.lists)?;
    let model = args.model.as_deref().map(load_model).transpose()?;
    let thresholds = match &args.policy {
        None => None,
        Some(p) => setup::load_policy(Some(p), &lists)?
            .sweep
            .map(|t| Thresholds { review: t.review, restrict: t.restrict }),
    };
    let mut log = RejectLog::new().with_callback(|r| eprintln!("reject: {r}"));
    if let Some(p) = &args.rejects {
        log = log.with_file(p)?;
    }
    let state = args.state.as_deref().map(read_state).transpose()?.flatten();
    if let Some(st) = &state {
        eprintln!("history: {} payments remembered", thousands(st.edges.len() as u64));
    }
    let history = args.state.as_ref().map(|_| (state.as_ref(), args.history_days));
    let opts = SweepOptions {
        thresholds,
        history,
        cadence: args.cadence,
        window: args.window,
        ..SweepOptions::new(&lists, model.as_ref())
    };
    let Swept { accounts, out, input: ist, read_secs, score_secs, .. } =
        sweep_with(&args.accounts, &args.transactions, &opts, &mut log)?;
    let n = ist.accepted;
    if let Some(m) = &model {
        eprintln!("model {} ({} trees)", m.version, m.summary.trees);
    }
    match opts.window_secs() {
        u32::MAX => eprintln!("features over each account's whole history"),
        w => eprintln!("features over each account's last {}", window_text(w)),
    }

    let mut writer = RecordWriter::<Verdict>::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut by_action: BTreeMap<&str, u64> = BTreeMap::new();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut rings: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for v in &out.verdicts {
        writer.write(v)?;
        *by_action.entry(v.action.as_str()).or_default() += 1;
        if v.action != AccountAction::None {
            for r in &v.reasons {
                *reasons.entry(r.as_str().to_string()).or_default() += 1;
            }
        }
        if let Some(r) = &v.ring {
            rings.insert(r.as_str());
        }
    }
    writer.finish()?;
    // After the verdicts: a crash in between leaves yesterday's history, and re-running the
    // day then gives the same verdicts.
    if let (Some(dir), Some(h)) = (&args.state, &out.history) {
        write_state(dir, h)?;
        eprintln!(
            "history: {} payments kept in {}",
            thousands(h.edges.len() as u64),
            dir.join(STATE_FILE).display()
        );
    }
    if let Some(p) = &args.features_out {
        let mut w = csv::Writer::from_path(p).with_context(|| format!("cannot create {}", p.display()))?;
        let mut header = vec!["account_id"];
        header.extend_from_slice(FEATURE_NAMES);
        w.write_record(&header)?;
        for (a, f) in accounts.iter().zip(&out.features) {
            let mut rec = vec![a.account_id.as_str().to_string()];
            rec.extend(f.0.iter().map(|x| format!("{x}")));
            w.write_record(&rec)?;
        }
        w.flush()?;
    }
    log.finish()?;

    let mut o = std::io::stderr().lock();
    let actions: Vec<String> = by_action.iter().map(|(a, c)| format!("{a} {}", thousands(*c))).collect();
    writeln!(
        o,
        "verdicts {}: {}  ({} rings)",
        thousands(out.verdicts.len() as u64),
        actions.join(" · "),
        rings.len()
    )?;
    let mut top: Vec<(&String, &u64)> = reasons.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    if !top.is_empty() {
        writeln!(o, "reasons of flagged accounts:")?;
        for (code, count) in top.iter().take(10) {
            writeln!(o, "  {code:<24} {}", thousands(**count))?;
        }
    }
    writeln!(
        o,
        "input: {} rows, {} accepted, {} rejected, {} duplicates; graph {} MB",
        thousands(ist.rows),
        thousands(ist.accepted),
        thousands(ist.rejected),
        thousands(ist.duplicates),
        out.graph_bytes >> 20
    )?;
    writeln!(
        o,
        "elapsed {:.2} s (reading {:.2} s, {}; scoring {:.2} s)",
        started.elapsed().as_secs_f64(),
        read_secs,
        rate(n, read_secs),
        score_secs
    )?;
    Ok(super::rejects_status(log.total(), args.max_rejects))
}

#[cfg(test)]
mod tests {
    use super::parse_cadence;

    #[test]
    fn windows_parse() {
        use super::parse_window;
        assert_eq!(parse_window("7d"), Ok(604_800));
        assert_eq!(parse_window("48h"), Ok(172_800));
        assert_eq!(parse_window("90m"), Ok(5_400));
        assert_eq!(parse_window("all"), Ok(u32::MAX));
        for bad in ["", "0d", "7", "d", "7w", "-1d", "99999999d"] {
            assert!(parse_window(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cadences_divide_a_day() {
        assert_eq!(parse_cadence("24h"), Ok(86_400));
        assert_eq!(parse_cadence("1h"), Ok(3_600));
        assert_eq!(parse_cadence("30m"), Ok(1_800));
        for bad in ["", "h", "7h", "0h", "5", "1d", "-1h", "99999999999h"] {
            assert!(parse_cadence(bad).is_err(), "{bad}");
        }
    }
}
