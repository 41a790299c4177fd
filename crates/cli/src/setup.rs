//! Loading what every deciding command needs — the list store and a checked policy — the
//! same way everywhere. Built-in defaults (lists/default.csv, policies/default.toml) are
//! compiled into the binary so that the demo needs no files.

use anyhow::{Context, bail};
use sluice_core::ListEntry;
use sluice_engine::lists::ListStore;
use sluice_engine::policy::facts::NameScreener;
use sluice_engine::policy::{self, Policy, Severity};
use sluice_io::{Format, ReadItem, RecordReader};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The built-in list store's source.
pub const DEFAULT_LISTS: &str = include_str!("../../../lists/default.csv");
/// The built-in policy's source.
pub const DEFAULT_POLICY: &str = include_str!("../../../policies/default.toml");

fn read_entries(mut reader: RecordReader<ListEntry>, out: &mut Vec<ListEntry>) -> anyhow::Result<()> {
    let mut bad = Vec::new();
    while let Some(item) = reader.next_item()? {
        match item {
            ReadItem::Record(e, _) => out.push(e),
            ReadItem::Rejected(r) => bad.push(r.to_string()),
        }
    }
    if !bad.is_empty() {
        let shown: Vec<&str> = bad.iter().take(10).map(String::as_str).collect();
        bail!("{} bad list row(s); nothing was loaded:\n  {}", bad.len(), shown.join("\n  "));
    }
    Ok(())
}

/// The lists a deciding command runs with, and the fuzzy screener of an imported lists
/// directory if one was given.
pub struct Lists {
    /// The list store.
    pub store: ListStore,
    /// The screening index of `--lists-dir`.
    pub screener: Option<Arc<dyn NameScreener>>,
}

/// Loads list files and an imported lists directory (`sluice lists import`): the built-in
/// lists unless files are given, plus the directory's entries, with the directory's
/// screening index for `screen()`.
pub fn load_lists_and_dir(paths: &[PathBuf], dir: Option<&Path>) -> anyhow::Result<Lists> {
    let mut entries = read_list_files(paths)?;
    let mut screener: Option<Arc<dyn NameScreener>> = None;
    if let Some(d) = dir {
        let ld = sluice_screen::store::ListsDir::new(d);
        entries.extend(ld.entries().with_context(|| format!("cannot read the lists in {}", d.display()))?);
        let s =
            ld.screener().with_context(|| format!("cannot load the screening index in {}", d.display()))?;
        screener = Some(Arc::new(s));
    }
    Ok(Lists { store: ListStore::new(entries, None)?, screener })
}

/// Loads list files (all or nothing: one bad row refuses the whole set, so a half-read list
/// never goes live), or the built-in lists when `paths` is empty.
pub fn load_lists(paths: &[PathBuf]) -> anyhow::Result<ListStore> {
    Ok(ListStore::new(read_list_files(paths)?, None)?)
}

fn read_list_files(paths: &[PathBuf]) -> anyhow::Result<Vec<ListEntry>> {
    let mut entries = Vec::new();
    if paths.is_empty() {
        let reader = RecordReader::<ListEntry>::from_reader(
            Path::new("lists/default.csv (built in)"),
            Format::Csv,
            Box::new(Cursor::new(DEFAULT_LISTS.as_bytes())),
        )?;
        read_entries(reader, &mut entries)?;
    }
    for p in paths {
        let reader = RecordReader::<ListEntry>::open(p)
            .with_context(|| format!("cannot read lists {}", p.display()))?;
        read_entries(reader, &mut entries).with_context(|| format!("in lists {}", p.display()))?;
    }
    Ok(entries)
}

/// A policy's text and the name to show in diagnostics.
pub fn policy_source(path: Option<&Path>) -> anyhow::Result<(String, String)> {
    match path {
        None => Ok((DEFAULT_POLICY.to_string(), "policies/default.toml (built in)".to_string())),
        Some(p) => {
            let src =
                std::fs::read_to_string(p).with_context(|| format!("cannot read policy {}", p.display()))?;
            Ok((src, p.display().to_string()))
        }
    }
}

/// Checks and compiles a policy; warnings go to stderr, errors refuse it.
pub fn load_policy(path: Option<&Path>, lists: &ListStore) -> anyhow::Result<Policy> {
    let (src, origin) = policy_source(path)?;
    let checked = policy::check(&src, lists);
    let warnings = checked.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count();
    if warnings > 0 && checked.policy.is_some() {
        eprintln!("policy {origin}: {warnings} warning(s); `sluice policy check` shows them");
    }
    match checked.policy {
        Some(p) => Ok(p),
        None => {
            let text: String = checked
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| d.render(&origin, &src))
                .collect();
            bail!("the policy does not check; nothing runs on it:\n{text}")
        }
    }
}

/// The flags of every command that decides: which policy, which lists.
#[derive(clap::Args)]
pub struct DecideArgs {
    /// Policy file (default: the built-in crypto-ban policy).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// List files (default: the built-in lists).
    #[arg(long)]
    pub lists: Vec<PathBuf>,
    /// A lists directory made by `sluice lists import`: its entries are added and its
    /// fuzzy screening index serves `screen()` in conditions.
    #[arg(long)]
    pub lists_dir: Option<PathBuf>,
}

/// A checked policy with the lists it was checked against and their screener: everything
/// an engine needs besides the accounts.
pub struct Deciding {
    /// The list store.
    pub lists: Arc<ListStore>,
    /// The policy, checked against `lists`.
    pub policy: Arc<Policy>,
    screener: Option<Arc<dyn NameScreener>>,
}

impl DecideArgs {
    /// Loads the lists and checks the policy against them.
    pub fn load(&self) -> anyhow::Result<Deciding> {
        let loaded = load_lists_and_dir(&self.lists, self.lists_dir.as_deref())?;
        let lists = Arc::new(loaded.store);
        let policy = Arc::new(load_policy(self.policy.as_deref(), &lists)?);
        Ok(Deciding { lists, policy, screener: loaded.screener })
    }
}

impl Deciding {
    /// The same lists and screener with another policy (`None`: the built-in one), checked
    /// against these lists: two policies compared over one set of lists.
    pub fn with_policy(&self, path: Option<&Path>) -> anyhow::Result<Deciding> {
        let policy = Arc::new(load_policy(path, &self.lists)?);
        Ok(Deciding { lists: Arc::clone(&self.lists), policy, screener: self.screener.clone() })
    }

    /// A fresh engine over `accounts`.
    pub fn engine(
        &self,
        accounts: Arc<[sluice_core::Account]>,
    ) -> anyhow::Result<sluice_engine::decide::Engine> {
        let engine =
            sluice_engine::decide::Engine::new(Arc::clone(&self.policy), Arc::clone(&self.lists), accounts)?;
        Ok(match &self.screener {
            Some(s) => engine.with_screener(Arc::clone(s)),
            None => engine,
        })
    }
}
