//! `sluice screen`: the best list matches of a name, or of every name in a CSV file, with
//! scores and the tokens that matched.

use anyhow::Context;
use sluice_screen::store::ListsDir;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `sluice screen`.
#[derive(clap::Args)]
pub struct Args {
    /// The name to screen.
    #[arg(required_unless_present = "names")]
    name: Option<String>,
    /// Screen every name of this CSV file instead (column `name`, else the first; an `id`
    /// or `account_id` column is carried into the output). Output: CSV on stdout.
    #[arg(long, conflicts_with = "name")]
    names: Option<PathBuf>,
    /// The lists directory.
    #[arg(long, default_value = "lists")]
    dir: PathBuf,
    /// Only this list.
    #[arg(long)]
    list: Option<String>,
    /// How many matches per name.
    #[arg(long, default_value_t = 5)]
    limit: usize,
    /// Show only matches scoring at least this.
    #[arg(long, default_value_t = 0.5)]
    min_score: f64,
}

/// Runs the command.
pub fn run(a: &Args) -> anyhow::Result<ExitCode> {
    let dir = ListsDir::new(&a.dir);
    let screener = dir.screener()?;
    if screener.lists().is_empty() {
        anyhow::bail!(
            "{}: no name lists; import some first (sluice lists import FILE --dir DIR)",
            a.dir.display()
        );
    }
    if let Some(list) = &a.list
        && !screener.lists().iter().any(|(n, _)| n.as_str() == list)
    {
        anyhow::bail!("no name list `{list}` in {}", a.dir.display());
    }
    let mut out = std::io::stdout().lock();
    if let Some(path) = &a.names {
        let mut rdr = csv::Reader::from_path(path).with_context(|| format!("{}", path.display()))?;
        let headers = rdr.headers().with_context(|| format!("{}", path.display()))?.clone();
        let col_name = headers.iter().position(|h| h.trim_start_matches('\u{feff}') == "name").unwrap_or(0);
        let col_id = headers.iter().position(|h| h == "id" || h == "account_id");
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record([
            "id",
            "name",
            "rank",
            "score",
            "list",
            "party",
            "party_type",
            "party_countries",
            "party_born",
            "entry",
            "alias",
            "why",
        ])?;
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.with_context(|| format!("{}: record {}", path.display(), i + 1))?;
            let name = rec.get(col_name).unwrap_or("");
            let id = col_id.and_then(|c| rec.get(c)).unwrap_or("");
            let hits = screener.screen(name, a.list.as_deref(), a.limit);
            for (rank, h) in hits.iter().filter(|h| h.score() >= a.min_score).enumerate() {
                w.write_record([
                    id,
                    name,
                    &(rank + 1).to_string(),
                    &format!("{:.4}", h.score()),
                    &h.list,
                    &h.id,
                    h.party.kind.as_str(),
                    &h.party.countries.join(";"),
                    &h.party.born.join(";"),
                    &h.entry,
                    &h.alias,
                    &h.explain(),
                ])?;
            }
        }
        w.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let name = a.name.as_deref().unwrap_or("");
    let hits: Vec<_> = screener
        .screen(name, a.list.as_deref(), a.limit)
        .into_iter()
        .filter(|h| h.score() >= a.min_score)
        .collect();
    if hits.is_empty() {
        writeln!(out, "no match for `{name}` at ≥ {} (lists version {})", a.min_score, screener.version())?;
        return Ok(ExitCode::SUCCESS);
    }
    for h in &hits {
        writeln!(
            out,
            "{:.4}  {:<10} {:<14} {:<10} {}",
            h.score(),
            h.list,
            h.id,
            h.party.kind.as_str(),
            h.entry
        )?;
        if !h.party.countries.is_empty() || !h.party.born.is_empty() {
            writeln!(
                out,
                "        countries: {}  born: {}",
                if h.party.countries.is_empty() { "-".to_string() } else { h.party.countries.join(",") },
                if h.party.born.is_empty() { "-".to_string() } else { h.party.born.join(",") }
            )?;
        }
        if h.alias != h.entry {
            writeln!(out, "        alias: {}", h.alias)?;
        }
        writeln!(out, "        why:   {}", h.explain())?;
    }
    Ok(ExitCode::SUCCESS)
}
