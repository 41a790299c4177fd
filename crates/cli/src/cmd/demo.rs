//! `sluice demo`: the whole pipeline on the built-in simulator, with no set-up: simulate a
//! training week and an evaluation week (different seeds), decide every payment of the
//! evaluation week inline with the default policy, train the sweep's model on the training
//! week, sweep the evaluation week with it, and measure everything against the labels.
//!
//! Each step is the very `sluice` command a user would run (this binary, started again with
//! its output in `OUT/logs/`), so the demo doubles as a script to copy; the summary is read
//! back from the evaluation's `eval.json`.

use crate::fmt::thousands;
use anyhow::{Context, bail};
use serde_json::Value;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

/// Flags of `sluice demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Where the data, the model, the logs and the report go.
    #[arg(long, default_value = "sluice-demo")]
    out_dir: PathBuf,
    /// Accounts in each simulated world.
    #[arg(long, default_value_t = 100_000)]
    population: u32,
    /// Days of each simulated world.
    #[arg(long, default_value_t = 7)]
    days: u32,
    /// Seed of the training world (the evaluation world uses the next one).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Evasion level of both worlds (0 naive .. 3 hardest).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=3))]
    evasion: u8,
}

/// One `sluice` command the demo runs.
struct Step {
    name: &'static str,
    args: Vec<OsString>,
}

/// `Step { name, args }` from anything an `OsString` is made from (`&str`, `&String`, `&PathBuf`).
macro_rules! step {
    ($name:expr, [$($a:expr),* $(,)?]) => {
        Step { name: $name, args: vec![$(OsString::from($a)),*] }
    };
}

fn shell_line(s: &Step) -> String {
    let mut line = String::from("sluice");
    for a in &s.args {
        line.push(' ');
        line.push_str(&a.to_string_lossy());
    }
    line
}

fn start(exe: &Path, s: &Step, logs: &Path) -> anyhow::Result<Child> {
    let log = logs.join(format!("{}.log", s.name));
    let out = std::fs::File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
    let err = out.try_clone()?;
    Command::new(exe)
        .args(&s.args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("cannot start `{}`", shell_line(s)))
}

/// Runs steps side by side (the machine's cores are the limit) and waits for all of them.
fn run_together(exe: &Path, steps: &[Step], logs: &Path, o: &mut impl Write) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut children = Vec::new();
    for s in steps {
        children.push((s, start(exe, s, logs)?));
    }
    for (s, mut c) in children {
        let status = c.wait()?;
        if !status.success() {
            bail!(
                "step `{}` failed ({status}); its output is in {}",
                shell_line(s),
                logs.join(format!("{}.log", s.name)).display()
            );
        }
    }
    let names: Vec<&str> = steps.iter().map(|s| s.name).collect();
    writeln!(o, "  {:<28} {:>6.1} s", names.join(" + "), started.elapsed().as_secs_f64())?;
    Ok(())
}

fn num(v: &Value, path: &[&str]) -> f64 {
    path.iter().fold(v, |v, k| &v[*k]).as_f64().unwrap_or(0.0)
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let exe = std::env::current_exe().context("cannot find the sluice binary")?;
    let d = &args.out_dir;
    let logs = d.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let (train, eval) = (d.join("train"), d.join("eval"));
    let (pop, days, ev) = (args.population.to_string(), args.days.to_string(), args.evasion.to_string());
    let (seed_t, seed_e) = (args.seed.to_string(), (args.seed + 1).to_string());
    let model = d.join("model.json");
    let report = d.join("report");
    let f = |dir: &Path, name: &str| dir.join(name);

    let sim = |name, seed: &String, dir: &PathBuf| {
        step!(
            name,
            [
                "simulate",
                "--population",
                &pop,
                "--days",
                &days,
                "--seed",
                seed,
                "--evasion",
                &ev,
                "--out-dir",
                dir
            ]
        )
    };
    let plan: Vec<Vec<Step>> = vec![
        vec![sim("simulate-train", &seed_t, &train), sim("simulate-eval", &seed_e, &eval)],
        vec![
            step!(
                "replay",
                [
                    "replay",
                    "--accounts",
                    &f(&eval, "accounts.csv"),
                    "--transactions",
                    &f(&eval, "transactions.csv"),
                    "--out",
                    &f(&eval, "decisions.ndjson"),
                ]
            ),
            step!("train", ["train", "--data", &train, "--out", &model]),
        ],
        vec![step!(
            "sweep",
            [
                "sweep",
                "--accounts",
                &f(&eval, "accounts.csv"),
                "--transactions",
                &f(&eval, "transactions.csv"),
                "--model",
                &model,
                "--out",
                &f(&eval, "verdicts.csv"),
            ]
        )],
        vec![step!(
            "eval",
            [
                "eval",
                "--verdicts",
                &f(&eval, "verdicts.csv"),
                "--labels",
                &f(&eval, "labels_accounts.csv"),
                "--decisions",
                &f(&eval, "decisions.ndjson"),
                "--tx-labels",
                &f(&eval, "labels_transactions.csv"),
                "--transactions",
                &f(&eval, "transactions.csv"),
                "--report",
                &report,
            ]
        )],
    ];

    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "Sluice demo: two simulated weeks of a {}-account wallet (evasion {}): learn on seed {}, judge seed {}",
        thousands(u64::from(args.population)),
        args.evasion,
        args.seed,
        args.seed + 1
    )?;
    for group in &plan {
        run_together(&exe, group, &logs, &mut o)?;
    }
    let script = plan.iter().flatten().map(shell_line).collect::<Vec<_>>().join("\n");
    std::fs::write(d.join("commands.sh"), format!("#!/bin/sh\nset -e\n{script}\n"))?;

    let jp = report.join("eval.json");
    let j: Value = serde_json::from_str(
        &std::fs::read_to_string(&jp).with_context(|| format!("cannot read {}", jp.display()))?,
    )
    .with_context(|| format!("{} is not JSON", jp.display()))?;
    let role = |name: &str| -> Option<&Value> {
        j["roles"].as_array().and_then(|v| v.iter().find(|x| x["role"] == name))
    };
    writeln!(o)?;
    writeln!(
        o,
        "Operators restricted by the sweep: {} of {} (precision {:.3}, recall {:.3}; average precision {:.3})",
        j["operators_restricted"]["tp"],
        num(&j, &["operators_restricted", "tp"]) + num(&j, &["operators_restricted", "fn"]),
        num(&j, &["operators_restricted", "precision"]),
        num(&j, &["operators_restricted", "recall"]),
        num(&j, &["average_precision"]),
    )?;
    let parts: Vec<String> = ["otc_merchant", "exchange_agent", "scam_collector", "mule"]
        .iter()
        .filter_map(|r| role(r).map(|v| format!("{r} {}/{}", v["restricted"], v["accounts"])))
        .collect();
    writeln!(o, "  by role: {}", parts.join(", "))?;
    writeln!(
        o,
        "Innocent accounts restricted: {} of {} normal, {} of {} crypto buyers ({} buyers and {} normal accounts sent to review)",
        j["normal_restricted"],
        thousands(num(&j, &["normal_accounts"]) as u64),
        j["buyers_restricted"],
        thousands(num(&j, &["buyers"]) as u64),
        j["buyers_reviewed"],
        num(&j, &["normal_flagged"]) - num(&j, &["normal_restricted"]),
    )?;
    let ttf = &j["time_to_first_flag"];
    if ttf.is_object() {
        writeln!(
            o,
            "From an operator's first crypto payment to its flag: median {:.1} h, 90th percentile {:.1} h ({} operators)",
            num(ttf, &["median_hours"]),
            num(ttf, &["p90_hours"]),
            ttf["operators"]
        )?;
    }
    let st = &j["sweep_transactions"];
    if st.is_object() {
        writeln!(
            o,
            "Crypto payments with a restricted side: precision {:.3}, recall {:.3}; stopped in operation (inline block, or a restriction in force from the daily sweep after the day it was found): precision {:.3}, recall {:.3}",
            num(st, &["restricted_side", "precision"]),
            num(st, &["restricted_side", "recall"]),
            num(st, &["stopped", "precision"]),
            num(st, &["stopped", "recall"]),
        )?;
    }
    let tx = &j["transactions"];
    if tx.is_object() {
        writeln!(
            o,
            "Inline decisions: crypto payments blocked with precision {:.3}, recall {:.3}; reviewed or blocked: precision {:.3}, recall {:.3}",
            num(tx, &["blocked", "precision"]),
            num(tx, &["blocked", "recall"]),
            num(tx, &["flagged", "precision"]),
            num(tx, &["flagged", "recall"]),
        )?;
    }
    writeln!(
        o,
        "Done in {:.0} s. Report: {}  ·  commands: {}  ·  logs: {}",
        started.elapsed().as_secs_f64(),
        report.join("index.html").display(),
        d.join("commands.sh").display(),
        logs.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
