//! `sluice policy`: check a policy file, and print the vocabulary and reason catalogue
//! policy authors write against.

use crate::setup;
use sluice_engine::policy::{self, Severity, reasons, schema};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Subcommands of `sluice policy`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Parse, type-check and lint a policy: errors with line, column and a caret; exit 1 if
    /// any error.
    Check {
        /// The policy file (TOML).
        file: PathBuf,
        /// List files to check list names against (default: the built-in lists).
        #[arg(long)]
        lists: Vec<PathBuf>,
    },
    /// Print every field and function a condition can use.
    Schema,
    /// Print the reason-code catalogue.
    Reasons,
    /// Print the built-in default policy.
    Default,
}

/// Runs the command.
pub fn run(cmd: &Command) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        Command::Check { file, lists } => {
            let store = setup::load_lists(lists)?;
            let (src, origin) = setup::policy_source(Some(file))?;
            let checked = policy::check(&src, &store);
            for d in &checked.diagnostics {
                write!(out, "{}", d.render(&origin, &src))?;
                writeln!(out)?;
            }
            let errors = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
            let warnings = checked.diagnostics.len() - errors;
            match checked.policy {
                Some(p) => {
                    writeln!(
                        out,
                        "{origin}: ok — policy {} with {} rules, {warnings} warning(s); checked against lists {}",
                        p.reference.as_str(),
                        p.rules.len(),
                        store.version()
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    writeln!(
                        out,
                        "{origin}: {errors} error(s), {warnings} warning(s); the policy cannot run"
                    )?;
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Schema => {
            writeln!(out, "Variables: tx, payer, payee, memo. Money is an int of minor units (fen).")?;
            writeln!(out, "\ntx.<field>")?;
            for (n, f, doc) in schema::TX_FIELDS {
                writeln!(out, "  {n:<12} {:<7} {doc}", ty_tx(f))?;
            }
            writeln!(out, "\npayer.<field> / payee.<field>")?;
            for (n, f, doc) in schema::PARTY_FIELDS {
                writeln!(out, "  {n:<12} {:<7} {doc}", ty_party(f))?;
            }
            let windows: Vec<&str> = schema::WINDOWS.iter().map(|(n, ..)| *n).collect();
            writeln!(
                out,
                "\npayer.<window>.<field> / payee.<window>.<field>, window one of {}",
                windows.join(", ")
            )?;
            for (n, f, doc) in schema::WINDOW_FIELDS {
                let ty = if f.is_double() { "double" } else { "int" };
                let doc = doc.split_once(": ").map_or(*doc, |(_, d)| d);
                writeln!(out, "  {n:<12} {ty:<7} {doc}")?;
            }
            writeln!(out, "\nfunctions")?;
            for (sig, doc) in schema::FUNCTIONS {
                writeln!(out, "  {sig}\n      {doc}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Reasons => {
            let c = reasons::catalogue();
            writeln!(out, "reason-code catalogue, version {}", c.version)?;
            for e in &c.entries {
                writeln!(out, "  {:<24} {:<12} {}", e.code, e.category.as_str(), e.meaning)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Default => {
            write!(out, "{}", setup::DEFAULT_POLICY)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn ty_tx(f: &schema::TxField) -> &'static str {
    match f {
        schema::TxField::Int(_) => "int",
        schema::TxField::Bool(_) => "bool",
        schema::TxField::Str(_) => "string",
    }
}

fn ty_party(f: &schema::PartyField) -> &'static str {
    match f {
        schema::PartyField::Int(_) => "int",
        schema::PartyField::Double(_) => "double",
        schema::PartyField::Bool(_) => "bool",
        schema::PartyField::Str(_) => "string",
    }
}
