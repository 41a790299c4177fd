//! `sluice lists import|info|rescreen`: bring list sources into a lists directory, say what
//! is in it, and re-screen every account when the lists change.

use crate::fmt::thousands;
use anyhow::Context;
use sluice_core::Account;
use sluice_io::{ReadItem, RecordReader};
use sluice_screen::Screener;
use sluice_screen::assess::assess;
use sluice_screen::import::{Format, import};
use sluice_screen::store::ListsDir;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Subcommands of `sluice lists`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Import list sources (OFAC SDN CSV or advanced XML, UN consolidated XML, OFAC crypto
    /// addresses, the exchange list, or the lists format) into a lists directory.
    Import(ImportArgs),
    /// Say what a lists directory holds: sources, dates, counts, version.
    Info(InfoArgs),
    /// Screen every account's name against the name lists; report alerts not raised before
    /// (a person's name is an alert only with a country that agrees: see `hits.csv`).
    Rescreen(RescreenArgs),
}

/// Flags of `sluice lists import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// Source files (for OFAC classic CSV: `sdn.csv`, with `alt.csv` and `add.csv` beside it).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The lists directory.
    #[arg(long, default_value = "lists")]
    dir: PathBuf,
    /// The list to import into (default: `sanctions` for OFAC and UN sources, `exchanges`
    /// for the exchange list; rows of the lists format name their own lists).
    #[arg(long)]
    list: Option<String>,
    /// The source format, when the file name does not tell: ofac-csv, ofac-xml, un-xml,
    /// ofac-crypto, exchanges, lists.
    #[arg(long)]
    format: Option<String>,
    /// Re-screen these accounts after the import (as `lists rescreen`).
    #[arg(long)]
    accounts: Option<PathBuf>,
    /// Score from which a re-screen hit is an alert.
    #[arg(long, default_value_t = sluice_screen::eval::DEFAULT_THRESHOLD)]
    threshold: f64,
}

/// Flags of `sluice lists info`.
#[derive(clap::Args)]
pub struct InfoArgs {
    /// The lists directory.
    #[arg(long, default_value = "lists")]
    dir: PathBuf,
}

/// Flags of `sluice lists rescreen`.
#[derive(clap::Args)]
pub struct RescreenArgs {
    /// Accounts file (.csv, .ndjson or .jsonl, optionally .gz).
    #[arg(long)]
    accounts: PathBuf,
    /// The lists directory.
    #[arg(long, default_value = "lists")]
    dir: PathBuf,
    /// Score from which a hit is an alert.
    #[arg(long, default_value_t = sluice_screen::eval::DEFAULT_THRESHOLD)]
    threshold: f64,
    /// Write the new hits (alerts) here as CSV; they are also printed.
    #[arg(long)]
    alerts: Option<PathBuf>,
}

/// Runs a `lists` subcommand.
pub fn run(c: &Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Import(a) => run_import(a),
        Command::Info(a) => run_info(a),
        Command::Rescreen(a) => {
            let dir = ListsDir::new(&a.dir);
            let screener = dir.screener()?;
            rescreen(&dir, &screener, &a.accounts, a.threshold, a.alerts.as_deref())
        }
    }
}

fn run_import(a: &ImportArgs) -> anyhow::Result<ExitCode> {
    let dir = ListsDir::new(&a.dir);
    let format = match &a.format {
        Some(f) => Some(Format::parse(f).with_context(|| {
            format!("unknown format `{f}`; use ofac-csv, ofac-xml, un-xml, ofac-crypto, exchanges or lists")
        })?),
        None => None,
    };
    let mut screener = None;
    for file in &a.files {
        let started = Instant::now();
        let fmt = match format {
            Some(f) => f,
            None => sluice_screen::import::detect(file)?,
        };
        let list = a.list.clone().unwrap_or_else(|| match fmt {
            Format::Exchanges => "exchanges".into(),
            _ => "sanctions".into(),
        });
        // Read the whole source first: on any error nothing is written and the previous
        // lists stay in use.
        let imp =
            import(file, &list, Some(fmt)).context("import failed; the previous lists are still in use")?;
        let read = started.elapsed();
        let s = dir.apply(&imp, &list)?;
        eprintln!(
            "imported {} ({}) into `{}`: {} parties, {} entries, read in {:.2} s, indexed in {:.2} s; lists version {}",
            imp.source,
            fmt.as_str(),
            if fmt == Format::Lists { "(lists named in the file)" } else { list.as_str() },
            thousands(imp.parties as u64),
            thousands(imp.entries.len() as u64),
            read.as_secs_f64(),
            (started.elapsed() - read).as_secs_f64(),
            s.version()
        );
        screener = Some(s);
    }
    if let (Some(accounts), Some(s)) = (&a.accounts, &screener) {
        return rescreen(&dir, s, accounts, a.threshold, None);
    }
    Ok(ExitCode::SUCCESS)
}

fn run_info(a: &InfoArgs) -> anyhow::Result<ExitCode> {
    let dir = ListsDir::new(&a.dir);
    let sources = dir.sources()?;
    if sources.is_empty() {
        println!(
            "{}: no lists imported yet (sluice lists import FILE --dir {})",
            a.dir.display(),
            a.dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let started = Instant::now();
    let s = dir.screener()?;
    let load = started.elapsed();
    let mut out = std::io::stdout().lock();
    writeln!(out, "lists directory {}", a.dir.display())?;
    writeln!(out, "version          {}", s.version())?;
    let idx_len = std::fs::metadata(dir.index_path()).map(|m| m.len()).unwrap_or(0);
    writeln!(
        out,
        "screening index  {} ({:.1} MB, loaded in {:.0} ms)",
        dir.index_path().display(),
        idx_len as f64 / 1e6,
        load.as_secs_f64() * 1000.0
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<12} {:<12} {:<32} {:<10} {:>8} {:>8} {:>9} {:>6} {:>8}",
        "list", "format", "source", "date", "parties", "names", "addresses", "hosts", "accounts"
    )?;
    for r in &sources {
        writeln!(
            out,
            "{:<12} {:<12} {:<32} {:<10} {:>8} {:>8} {:>9} {:>6} {:>8}",
            if r.list.is_empty() { "(per row)" } else { r.list.as_str() },
            r.format,
            r.source,
            if r.date.is_empty() { "-" } else { r.date.as_str() },
            r.parties,
            r.names,
            r.addresses,
            r.hosts,
            r.account_ids
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{:<12} {:>8} {:>8} {:>10}", "name list", "parties", "aliases", "name forms")?;
    for (name, ix) in s.lists() {
        writeln!(out, "{:<12} {:>8} {:>8} {:>10}", name, ix.parties.len(), ix.aliases.len(), ix.len())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One alert of a re-screen: account, list, party.
type HitKey = (String, String, String);

/// The alerts of the previous re-screen (`hits.csv` rows with status `alert`; every row of a
/// file written before hits had a status).
fn read_alerts(path: &Path) -> HashSet<HitKey> {
    let mut out = HashSet::new();
    let Ok(mut r) = csv::Reader::from_path(path) else { return out };
    let Ok(headers) = r.headers().cloned() else { return out };
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (Some(ca), Some(cl), Some(cp)) = (col("account_id"), col("list"), col("party")) else { return out };
    let cs = col("status");
    for rec in r.records().flatten() {
        if cs.is_some_and(|c| rec.get(c) != Some("alert")) {
            continue;
        }
        let g = |i: usize| rec.get(i).unwrap_or("").to_string();
        out.insert((g(ca), g(cl), g(cp)));
    }
    out
}

/// Matches looked at per account: enough that a listed person is not crowded out of them by
/// companies of a similar name.
const RESCREEN_LIMIT: usize = 10;

const HITS_HEADER: [&str; 16] = [
    "account_id",
    "name",
    "kind",
    "country",
    "list",
    "score",
    "party",
    "party_type",
    "party_countries",
    "party_born",
    "entry",
    "alias",
    "why",
    "status",
    "assessment",
    "version",
];

/// Screens every account name against every name list and judges each hit by the account's
/// kind and country ([`sluice_screen::assess`]); writes all hits to `DIR/hits.csv` with their
/// status (`alert` or `weak`), and reports (and writes to `alerts`) the alerts not raised
/// before.
fn rescreen(
    dir: &ListsDir,
    screener: &Screener,
    accounts: &Path,
    threshold: f64,
    alerts: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut rdr = RecordReader::<Account>::open(accounts)?;
    let mut names: Vec<Account> = Vec::new();
    let mut rejected = 0u64;
    while let Some(item) = rdr.next_item()? {
        match item {
            ReadItem::Record(a, _) => names.push(a),
            ReadItem::Rejected(r) => {
                rejected += 1;
                eprintln!("reject: {r}");
            }
        }
    }
    // Two halves on two threads: the machine this runs on has two cores.
    let half = names.len().div_ceil(2);
    fn screen_part<'a>(
        screener: &Screener,
        threshold: f64,
        part: &'a [Account],
    ) -> Vec<(&'a Account, sluice_screen::Hit, sluice_screen::assess::Assessment)> {
        let mut hits = Vec::new();
        for a in part {
            for h in screener.screen(&a.name, None, RESCREEN_LIMIT) {
                if h.score() >= threshold {
                    let verdict = assess(a.kind, a.country.as_str(), &h);
                    hits.push((a, h, verdict));
                }
            }
        }
        hits
    }
    let hits = std::thread::scope(|s| {
        let (a, b) = names.split_at(half.min(names.len()));
        let ta = s.spawn(|| screen_part(screener, threshold, a));
        let hb = screen_part(screener, threshold, b);
        let mut ha = ta.join().unwrap_or_default();
        ha.extend(hb);
        ha
    });
    let hits_path = dir.dir.join("hits.csv");
    let before = read_alerts(&hits_path);
    let tmp = dir.dir.join("hits.csv.tmp");
    let mut w = csv::Writer::from_path(&tmp).with_context(|| format!("{}", tmp.display()))?;
    w.write_record(HITS_HEADER)?;
    let mut alert_w = match alerts {
        Some(p) => {
            let mut aw = csv::Writer::from_path(p).with_context(|| format!("{}", p.display()))?;
            aw.write_record(HITS_HEADER)?;
            Some(aw)
        }
        None => None,
    };
    let (mut new, mut strong) = (0u64, 0u64);
    for (a, h, verdict) in &hits {
        let id = a.account_id.as_str();
        let row = [
            id.to_string(),
            a.name.to_string(),
            a.kind.as_str().to_string(),
            a.country.as_str().to_string(),
            h.list.to_string(),
            format!("{:.4}", h.score()),
            h.id.to_string(),
            h.party.kind.as_str().to_string(),
            h.party.countries.join(";"),
            h.party.born.join(";"),
            h.entry.to_string(),
            h.alias.to_string(),
            h.explain(),
            verdict.status().to_string(),
            verdict.why.clone(),
            screener.version().to_string(),
        ];
        w.write_record(&row)?;
        if !verdict.alert {
            continue;
        }
        strong += 1;
        if !before.contains(&(id.to_string(), h.list.to_string(), h.id.to_string())) {
            new += 1;
            println!(
                "alert: {} account {id} `{}` ({}) ~ {} {} `{}` (alias `{}`) in `{}`: {:.4}; {}",
                a.kind.as_str(),
                a.name,
                a.country.as_str(),
                h.party.kind.as_str(),
                h.id,
                h.entry,
                h.alias,
                h.list,
                h.score(),
                verdict.why
            );
            if let Some(aw) = &mut alert_w {
                aw.write_record(&row)?;
            }
        }
    }
    w.flush()?;
    drop(w);
    std::fs::rename(&tmp, &hits_path)?;
    if let Some(mut aw) = alert_w {
        aw.flush()?;
    }
    eprintln!(
        "re-screened {} accounts against lists version {} in {:.2} s: {} hits at ≥ {threshold}, of which {} alerts and {} weak (kept in {}, not alerts); {} new alerts; {} rows rejected",
        thousands(names.len() as u64),
        screener.version(),
        started.elapsed().as_secs_f64(),
        thousands(hits.len() as u64),
        thousands(strong),
        thousands(hits.len() as u64 - strong),
        hits_path.display(),
        thousands(new),
        rejected
    );
    Ok(ExitCode::SUCCESS)
}
