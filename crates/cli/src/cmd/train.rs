//! `sluice train`: sweep labelled periods, learn a gradient-boosted model of "operator" from
//! their feature vectors and labels, calibrate it on held-out accounts, and write the model
//! file that `sluice sweep --model` reads (`sluice_sweep::model`).
//!
//! Labels are the spec's `labels_accounts.csv`: from the simulator, or from analysts'
//! dispositions (accounts without a label are left out of training, so partial labels work).

use super::sweep::{SweepOptions, Swept, sweep_with};
use crate::fmt::thousands;
use crate::setup;
use anyhow::{Context, bail};
use sluice_core::{AccountLabel, Role};
use sluice_io::RejectLog;
use sluice_sweep::features::{F, Features};
use sluice_sweep::model::{Model, Thresholds, TrainOptions};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Flags of `sluice train`.
#[derive(clap::Args)]
pub struct Args {
    /// A labelled period: a directory with `accounts.csv`, `transactions.csv` and
    /// `labels_accounts.csv` (what `sluice simulate` writes). Repeat for more periods.
    #[arg(long, required = true)]
    data: Vec<PathBuf>,
    /// Account labels to use instead of each directory's `labels_accounts.csv` (one
    /// `--data` only), e.g. analysts' dispositions.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// List files (default: the built-in lists).
    #[arg(long)]
    lists: Vec<PathBuf>,
    /// Where to write the model (JSON).
    #[arg(long)]
    out: PathBuf,
    /// Boosting rounds.
    #[arg(long, default_value_t = 150)]
    iterations: usize,
    /// Depth limit of each tree.
    #[arg(long, default_value_t = 5)]
    max_depth: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 0.1)]
    learning_rate: f32,
    /// Share of accounts held out to calibrate the score.
    #[arg(long, default_value_t = 0.3)]
    holdout: f64,
    /// Seed of the hold-out choice and the booster.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Calibrated score from which accounts are reviewed.
    #[arg(long, default_value_t = 0.5)]
    review: f64,
    /// Calibrated score from which operators are restricted (the precision it keeps).
    #[arg(long, default_value_t = 0.95)]
    restrict: f64,
    /// Learn from the periods as given only. By default every period is also learnt as if
    /// its payments carried no device id, so that the model does not rest on device
    /// evidence alone: a platform whose feed lacks device ids, or operators who keep one
    /// phone per account, still meet a model that knows the other evidence.
    #[arg(long)]
    no_deviceless_copy: bool,
    /// How far back an account's features read (`7d`, `48h`, `all`); kept in the model, and
    /// every sweep with the model reads the same window. Train on periods no longer than it:
    /// a label says what an account did in the whole period.
    #[arg(long, default_value = "7d", value_parser = super::sweep::parse_window)]
    window: u32,
}

/// Reads a labels file into account id → role.
pub fn read_labels(path: &Path) -> anyhow::Result<HashMap<String, Role>> {
    let mut roles = HashMap::new();
    super::read_all::<AccountLabel>(path, |l| {
        roles.insert(l.account_id.as_str().to_string(), l.role);
    })?;
    Ok(roles)
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if args.labels.is_some() && args.data.len() != 1 {
        bail!("--labels goes with exactly one --data directory");
    }
    if !(0.0..=1.0).contains(&args.review)
        || !(0.0..=1.0).contains(&args.restrict)
        || args.review > args.restrict
    {
        bail!("thresholds must satisfy 0 <= --review <= --restrict <= 1");
    }
    if !(0.05..=0.9).contains(&args.holdout) {
        bail!("--holdout must be between 0.05 and 0.9");
    }
    let lists = setup::load_lists(&args.lists)?;
    let mut rows: Vec<Features> = Vec::new();
    let mut positive: Vec<bool> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    for (w, dir) in args.data.iter().enumerate() {
        let labels_path = args.labels.clone().unwrap_or_else(|| dir.join("labels_accounts.csv"));
        let roles = read_labels(&labels_path)?;
        let copies: &[bool] = if args.no_deviceless_copy { &[false] } else { &[false, true] };
        let (mut used, mut ops) = (0u64, 0u64);
        let mut copied = false;
        for &ignore_devices in copies {
            let mut log = RejectLog::new().with_callback(|r| eprintln!("reject: {r}"));
            let opts =
                SweepOptions { ignore_devices, window: Some(args.window), ..SweepOptions::new(&lists, None) };
            let Swept { accounts, out, span_secs, .. } =
                sweep_with(&dir.join("accounts.csv"), &dir.join("transactions.csv"), &opts, &mut log)?;
            // A label says what an account did over the whole period; features that see only
            // its last week then teach the model that a quiet week is an operator's.
            if !ignore_devices && span_secs > i64::from(args.window) + 86_400 {
                eprintln!(
                    "warning: {} spans {:.0} days but the feature window is {:.0}: accounts active only \
                     before the window keep their labels without their evidence (use --window all, or \
                     train on periods no longer than the window)",
                    dir.display(),
                    span_secs as f64 / 86_400.0,
                    f64::from(args.window) / 86_400.0
                );
            }
            log.finish()?;
            if log.total() > 0 {
                bail!("{}: {} rows rejected; fix the input first", dir.display(), log.total());
            }
            // Where no two accounts share a device (a feed without device ids, such as
            // AMLSim's), the device-less copy would only repeat every row and weigh the
            // period twice.
            let shares_devices = out.features.iter().any(|f| f.get(F::DevicePeers) > 0.0);
            for (a, f) in accounts.iter().zip(out.features) {
                let Some(role) = roles.get(a.account_id.as_str()) else { continue };
                rows.push(f);
                positive.push(role.is_operator());
                // The same key for both copies: an account and its device-less copy fall on
                // the same side of the hold-out, so calibration never sees a trained account.
                keys.push(format!("{w}:{}", a.account_id.as_str()));
                if !ignore_devices {
                    used += 1;
                    ops += u64::from(role.is_operator());
                }
            }
            copied |= ignore_devices;
            if !shares_devices {
                break;
            }
        }
        eprintln!("{}: {} labelled accounts, {} operators", dir.display(), thousands(used), thousands(ops));
        let copy = if copied { ", and a device-less copy" } else { "" };
        sources.push(format!(
            "{} ({} accounts{copy}, labels {})",
            dir.display(),
            used,
            labels_path.display()
        ));
    }
    let opts = TrainOptions {
        iterations: args.iterations,
        max_depth: args.max_depth,
        learning_rate: args.learning_rate,
        holdout: args.holdout,
        seed: args.seed,
        thresholds: Thresholds { review: args.review, restrict: args.restrict },
        sources,
        window_secs: args.window,
    };
    let started = std::time::Instant::now();
    let model = Model::train(&rows, &positive, &keys, &opts)?;
    let secs = started.elapsed().as_secs_f64();
    let text = model.to_json()?;
    std::fs::write(&args.out, text).with_context(|| format!("cannot write {}", args.out.display()))?;

    let s = &model.summary;
    let mut o = std::io::stderr().lock();
    writeln!(
        o,
        "model {}: {} trees, trained on {} accounts ({} operators) in {secs:.1} s",
        model.version,
        s.trees,
        thousands(s.train_rows as u64),
        thousands(s.train_positives as u64)
    )?;
    let [(rp, rr), (xp, xr)] = s.holdout_at_thresholds;
    writeln!(
        o,
        "held out {} accounts ({} operators): average precision {:.4}; review >= {}: precision {rp:.3} recall {rr:.3}; restrict >= {}: precision {xp:.3} recall {xr:.3}",
        thousands(s.holdout_rows as u64),
        thousands(s.holdout_positives as u64),
        s.holdout_average_precision,
        model.thresholds.review,
        model.thresholds.restrict,
    )?;
    writeln!(o, "wrote {}", args.out.display())?;
    Ok(ExitCode::SUCCESS)
}
