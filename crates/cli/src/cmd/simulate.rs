//! `sluice simulate`: writes a simulated week (or any period) of a payment platform, with
//! crypto operators hidden in it and the truth in label files, plus a report.

use crate::fmt::{rate, thousands};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sluice_core::CivilDate;
use sluice_io::Format;
use sluice_sim::config::{DEFAULT_TOML, SimConfig};
use sluice_sim::{SimOptions, simulate};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Output format.
#[derive(Copy, Clone, clap::ValueEnum)]
enum FormatArg {
    Csv,
    Ndjson,
}

/// Flags of `sluice simulate`.
#[derive(clap::Args)]
pub struct Args {
    /// Accounts in the simulated world.
    #[arg(long, default_value_t = 100_000)]
    population: u32,
    /// Days to simulate.
    #[arg(long, default_value_t = 7)]
    days: u32,
    /// First day (China local date, YYYY-MM-DD).
    #[arg(long, default_value = "2026-03-02")]
    start: String,
    /// Random seed: the same seed gives byte-identical output.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How hard crypto operators hide: 0 naive .. 3 careful.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=3))]
    evasion: u8,
    /// Directory for accounts, transactions, labels and the report.
    #[arg(long, default_value = "data")]
    out_dir: PathBuf,
    /// Rates and distributions (TOML) merged over the defaults; see --print-config.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the default configuration, with its documentation, and exit.
    #[arg(long)]
    print_config: bool,
    /// File format.
    #[arg(long, value_enum, default_value = "csv")]
    format: FormatArg,
    /// Compress outputs (.gz).
    #[arg(long)]
    gzip: bool,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if args.print_config {
        print!("{DEFAULT_TOML}");
        return Ok(ExitCode::SUCCESS);
    }
    let config = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            SimConfig::from_toml_over_default(&text).with_context(|| format!("{}", p.display()))?
        }
        None => SimConfig::default_config()?,
    };
    let start = CivilDate::parse(&args.start).with_context(|| "--start")?;
    let opts = SimOptions {
        config,
        seed: args.seed,
        evasion: usize::from(args.evasion),
        start,
        days: args.days,
        population: args.population,
        out_dir: args.out_dir.clone(),
        format: match args.format {
            FormatArg::Csv => Format::Csv,
            FormatArg::Ndjson => Format::Ndjson,
        },
        gzip: args.gzip,
    };
    let pb = ProgressBar::new(u64::from(args.days));
    pb.set_style(
        ProgressStyle::with_template("simulating [{bar:30}] day {pos}/{len} {msg} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let summary = simulate(&opts, |p| {
        pb.set_position(u64::from(p.days_done));
        pb.set_message(format!("{} transactions", thousands(p.transactions)));
    })?;
    pb.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();

    let report_dir = args.out_dir.join("report");
    std::fs::create_dir_all(&report_dir)
        .with_context(|| format!("cannot create {}", report_dir.display()))?;
    let text = summary.stats.text();
    std::fs::write(report_dir.join("report.txt"), &text)?;
    std::fs::write(report_dir.join("index.html"), summary.stats.html())?;

    let mut out = std::io::stdout().lock();
    write!(out, "{text}")?;
    // Two rates: end to end (everything the command did, world build and final sync
    // included: what a user waits for), and over the days alone (generation, formatting and
    // writing: the steady rate that longer runs approach).
    let t = summary.timings;
    let days = t.days.as_secs_f64();
    writeln!(
        out,
        "wrote {} accounts and {} transactions ({} crypto-related) in {secs:.1} s: {} transactions end to end; \
         world {:.2} s, days {days:.2} s ({}), accounts and final sync {:.2} s",
        thousands(summary.accounts),
        thousands(summary.transactions),
        thousands(summary.crypto_transactions),
        rate(summary.transactions, secs),
        t.world.as_secs_f64(),
        rate(summary.transactions, days),
        t.finish.as_secs_f64(),
    )?;
    for f in &summary.files {
        writeln!(out, "  {}", f.display())?;
    }
    writeln!(out, "  {}", report_dir.join("index.html").display())?;
    Ok(ExitCode::SUCCESS)
}
