//! `sluice import <source>`: convert another system's data set into the contract's four files
//! (accounts, transactions and both label files). Sources: `amlsim` (IBM AMLSim samples).
//! The mapping lives in `sluice_peers`; this module only parses flags and prints a summary.

use crate::fmt::{rate, thousands};
use anyhow::Context;
use sluice_core::{Country, Currency, Timestamp};
use sluice_peers::amlsim;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// The sources `sluice import` reads.
#[derive(clap::Subcommand)]
pub enum Command {
    /// IBM AMLSim sample (nodes.csv + transactions.csv, in a .tgz or a directory); laundering
    /// accounts become `mule`, payments between two of them `crypto_related = 1`.
    Amlsim(AmlsimArgs),
}

/// Flags of `sluice import amlsim`.
#[derive(clap::Args)]
pub struct AmlsimArgs {
    /// The sample: a .tgz / .tar.gz / .tar archive (read as a stream) or a directory holding
    /// nodes.csv and transactions.csv.
    #[arg(long)]
    archive: PathBuf,
    /// Directory for accounts.csv, transactions.csv, labels_accounts.csv and
    /// labels_transactions.csv (created if needed).
    #[arg(long)]
    out_dir: PathBuf,
    /// The instant step 0 starts (RFC 3339, with its offset).
    #[arg(long, default_value = "2026-01-01T00:00:00+08:00")]
    start: String,
    /// Seconds in one AMLSim step.
    #[arg(long, default_value_t = amlsim::DAY_SECS, value_parser = clap::value_parser!(i64).range(1..))]
    step_secs: i64,
    /// Currency of the amounts (ISO 4217).
    #[arg(long, default_value = "CNY")]
    currency: String,
    /// Country of the accounts (ISO 3166-1 alpha-2).
    #[arg(long, default_value = "CN")]
    country: String,
}

/// Runs the command.
pub fn run(cmd: &Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Amlsim(args) => run_amlsim(args),
    }
}

fn run_amlsim(args: &AmlsimArgs) -> anyhow::Result<ExitCode> {
    let opts = amlsim::Options {
        start: Timestamp::parse_rfc3339(&args.start).with_context(|| format!("--start `{}`", args.start))?,
        step_secs: args.step_secs,
        currency: Currency::parse(&args.currency).with_context(|| "--currency")?,
        country: Country::parse(&args.country)
            .with_context(|| format!("--country `{}` is not an ISO 3166-1 alpha-2 code", args.country))?,
    };
    let started = Instant::now();
    let s = amlsim::import(&args.archive, &args.out_dir, &opts)
        .with_context(|| format!("cannot import {}", args.archive.display()))?;
    let secs = started.elapsed().as_secs_f64();
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "accounts {} ({} laundering → mule), transactions {} ({} between laundering accounts), \
         self-payments skipped {}",
        thousands(s.accounts),
        thousands(s.laundering_accounts),
        thousands(s.transactions),
        thousands(s.laundering_transactions),
        thousands(s.self_payments_skipped)
    )?;
    if let (Some(first), Some(last)) = (s.first_step, s.last_step) {
        writeln!(o, "steps {first}..{last} of {} s from {}", args.step_secs, args.start)?;
    }
    writeln!(o, "imported in {secs:.2} s ({} transactions)", rate(s.transactions, secs))?;
    for f in amlsim::OUTPUT_FILES {
        writeln!(o, "  {}", args.out_dir.join(f).display())?;
    }
    Ok(ExitCode::SUCCESS)
}
