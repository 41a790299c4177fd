//! `sluice`: the command-line front of Sluice. A thin layer: parse flags, call the library
//! crates, print for people. Errors exit with status 2, rejected rows beyond the tolerated
//! number with status 1.

mod backtest;
mod cmd;
mod fmt;
mod setup;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Sluice: a real-time payment-compliance engine that keeps crypto trading off a payment
/// platform.
#[derive(Parser)]
#[command(name = "sluice", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole pipeline on the built-in simulator, no set-up: simulate, decide, train,
    /// sweep, evaluate; a short summary and an HTML report.
    Demo(cmd::demo::Args),
    /// Check accounts and transactions files against the data-format contract and summarise
    /// them.
    Validate(cmd::validate::Args),
    /// Generate a simulated payment network with labeled crypto actors.
    Simulate(cmd::simulate::Args),
    /// Decide on every payment of a file with a policy and write decisions.ndjson.
    Replay(cmd::replay::Args),
    /// Replay one history through a candidate and a baseline policy and report what would
    /// change: decisions, rules, accounts, and precision and recall against labels.
    Backtest(cmd::backtest::Args),
    /// Measure the decision engine on a simulated world: throughput, latency percentiles,
    /// bytes of state per account.
    Bench(cmd::bench::Args),
    /// Check policies; print the condition vocabulary and the reason catalogue.
    #[command(subcommand)]
    Policy(cmd::policy::Command),
    /// Import sanctions and exchange lists, say what is in them, re-screen accounts.
    #[command(subcommand)]
    Lists(cmd::lists::Command),
    /// Screen a name (or a CSV file of names) against the lists: best matches and why.
    Screen(cmd::screen::Args),
    /// Score every account over a period's payment graph and write verdicts.csv.
    Sweep(cmd::sweep::Args),
    /// Measure verdicts (and decisions) against labels; JSON and an HTML report.
    Eval(cmd::eval::Args),
    /// Learn a calibrated gradient-boosted model of operators from labelled periods.
    Train(cmd::train::Args),
    /// Convert another system's data set (IBM AMLSim, ...) into the contract's files.
    #[command(subcommand)]
    Import(cmd::import::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(&args),
        Command::Validate(args) => cmd::validate::run(&args),
        Command::Simulate(args) => cmd::simulate::run(&args),
        Command::Replay(args) => cmd::replay::run(&args),
        Command::Backtest(args) => cmd::backtest::run(&args),
        Command::Bench(args) => cmd::bench::run(&args),
        Command::Policy(c) => cmd::policy::run(&c),
        Command::Lists(c) => cmd::lists::run(&c),
        Command::Screen(args) => cmd::screen::run(&args),
        Command::Sweep(args) => cmd::sweep::run(&args),
        Command::Eval(args) => cmd::eval::run(&args),
        Command::Train(args) => cmd::train::run(&args),
        Command::Import(c) => cmd::import::run(&c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("sluice: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
