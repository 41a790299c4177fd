//! A lists directory: what `sluice lists import` writes and `sluice screen` reads.
//!
//! - `lists.csv`: every entry of every list in the spec's lists format (what the engine's
//!   `ListStore` loads);
//! - `screen.idx`: the compact screening index of the `name` entries ([`crate::file`]);
//! - `sources.csv`: one row per imported source (list, format, label, date, files, counts).
//!
//! An import reads its source whole first; only then are the three files rewritten, each
//! through a temporary file renamed over the old one, so a failed import leaves the previous
//! lists in use.

use crate::import::{Format, Imported};
use crate::screener::Screener;
use sluice_core::{ListEntry, ListKind};
use std::path::{Path, PathBuf};

/// Why a lists directory cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// IO.
    #[error("{file}: {why}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        why: String,
    },
    /// The index file.
    #[error(transparent)]
    Index(#[from] crate::file::IndexFileError),
}

/// One imported source, as `sources.csv` keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRow {
    /// The list it went into (empty for the lists format, whose rows name their lists).
    pub list: String,
    /// Its format.
    pub format: String,
    /// Its label (the entries' `source`).
    pub source: String,
    /// Its own date, if it says.
    pub date: String,
    /// The files read, `;`-separated.
    pub files: String,
    /// Parties.
    pub parties: usize,
    /// `name` entries.
    pub names: usize,
    /// `address` entries.
    pub addresses: usize,
    /// `host` entries.
    pub hosts: usize,
    /// `account_id` entries.
    pub account_ids: usize,
}

/// The paths of a lists directory.
#[derive(Clone, Debug)]
pub struct ListsDir {
    /// The directory.
    pub dir: PathBuf,
}

fn io(path: &Path, why: impl std::fmt::Display) -> StoreError {
    StoreError::Io { file: path.display().to_string(), why: why.to_string() }
}

/// A content digest of entries, stable across machines and releases: the lists' version.
pub fn digest(entries: &[ListEntry]) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for e in entries {
        for part in [
            e.list.as_str(),
            e.kind.as_str(),
            &e.entry,
            e.source.as_deref().unwrap_or(""),
            e.note.as_deref().unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update(&[0x1f]);
        }
    }
    format!("{}-{:016x}", entries.len(), h.digest())
}

impl ListsDir {
    /// A lists directory (created on first import).
    pub fn new(dir: impl Into<PathBuf>) -> ListsDir {
        ListsDir { dir: dir.into() }
    }

    /// `lists.csv`.
    pub fn entries_path(&self) -> PathBuf {
        self.dir.join("lists.csv")
    }

    /// `screen.idx`.
    pub fn index_path(&self) -> PathBuf {
        self.dir.join("screen.idx")
    }

    /// `sources.csv`.
    pub fn sources_path(&self) -> PathBuf {
        self.dir.join("sources.csv")
    }

    /// Every entry (none before the first import).
    pub fn entries(&self) -> Result<Vec<ListEntry>, StoreError> {
        let p = self.entries_path();
        if !p.exists() {
            return Ok(Vec::new());
        }
        let imported = crate::import::plain_lists(&p).map_err(|e| io(&p, e))?;
        Ok(imported.entries)
    }

    /// The imported sources.
    pub fn sources(&self) -> Result<Vec<SourceRow>, StoreError> {
        let p = self.sources_path();
        if !p.exists() {
            return Ok(Vec::new());
        }
        let mut rdr = csv::Reader::from_path(&p).map_err(|e| io(&p, e))?;
        let mut out = Vec::new();
        for rec in rdr.records() {
            let r = rec.map_err(|e| io(&p, e))?;
            let g = |i: usize| r.get(i).unwrap_or("").to_string();
            let n = |i: usize| r.get(i).and_then(|v| v.parse().ok()).unwrap_or(0);
            out.push(SourceRow {
                list: g(0),
                format: g(1),
                source: g(2),
                date: g(3),
                files: g(4),
                parties: n(5),
                names: n(6),
                addresses: n(7),
                hosts: n(8),
                account_ids: n(9),
            });
        }
        Ok(out)
    }

    /// The screening index.
    pub fn screener(&self) -> Result<Screener, StoreError> {
        let p = self.index_path();
        if !p.exists() {
            return Ok(Screener::empty());
        }
        Ok(crate::file::load(&p)?)
    }

    /// Applies an import: its entries replace those of the same list that came from a
    /// source of the same format; then all three files are rewritten. Returns the new
    /// screener.
    pub fn apply(&self, imp: &Imported, list: &str) -> Result<Screener, StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, e))?;
        let list = if imp.format == Format::Lists { "" } else { list };
        let mut sources = self.sources()?;
        let replaced: Vec<SourceRow> =
            sources.iter().filter(|s| s.list == list && s.format == imp.format.as_str()).cloned().collect();
        let mut entries: Vec<ListEntry> = self
            .entries()?
            .into_iter()
            .filter(|e| {
                !replaced.iter().any(|s| {
                    (s.list.is_empty() || s.list == e.list.as_str())
                        && Some(s.source.as_str()) == e.source.as_deref()
                })
            })
            .collect();
        // The lists format may re-import entries of its own source: drop exact repeats.
        entries.extend(imp.entries.iter().cloned());
        sources.retain(|s| !(s.list == list && s.format == imp.format.as_str()));
        let count = |k: ListKind| imp.entries.iter().filter(|e| e.kind == k).count();
        sources.push(SourceRow {
            list: list.to_string(),
            format: imp.format.as_str().to_string(),
            source: imp.source.clone(),
            date: imp.date.clone().unwrap_or_default(),
            files: imp.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(";"),
            parties: imp.parties,
            names: count(ListKind::Name),
            addresses: count(ListKind::Address),
            hosts: count(ListKind::Host),
            account_ids: count(ListKind::AccountId),
        });
        let version = digest(&entries);
        let screener = Screener::from_entries(&entries, &version);
        // Write everything to temporary files first, then rename: a failure before the
        // renames leaves the old lists whole.
        let tmp_entries = self.dir.join("lists.csv.tmp.csv");
        {
            let mut w = sluice_io::RecordWriter::<ListEntry>::create(&tmp_entries)
                .map_err(|e| io(&tmp_entries, e))?;
            for e in &entries {
                w.write(e).map_err(|e| io(&tmp_entries, e))?;
            }
            w.finish().map_err(|e| io(&tmp_entries, e))?;
        }
        let tmp_sources = self.dir.join("sources.csv.tmp");
        {
            let mut w = csv::Writer::from_path(&tmp_sources).map_err(|e| io(&tmp_sources, e))?;
            w.write_record([
                "list",
                "format",
                "source",
                "date",
                "files",
                "parties",
                "names",
                "addresses",
                "hosts",
                "account_ids",
            ])
            .map_err(|e| io(&tmp_sources, e))?;
            for s in &sources {
                w.write_record([
                    s.list.clone(),
                    s.format.clone(),
                    s.source.clone(),
                    s.date.clone(),
                    s.files.clone(),
                    s.parties.to_string(),
                    s.names.to_string(),
                    s.addresses.to_string(),
                    s.hosts.to_string(),
                    s.account_ids.to_string(),
                ])
                .map_err(|e| io(&tmp_sources, e))?;
            }
            w.flush().map_err(|e| io(&tmp_sources, e))?;
        }
        crate::file::save(&screener, &self.index_path())?;
        std::fs::rename(&tmp_entries, self.entries_path()).map_err(|e| io(&self.entries_path(), e))?;
        std::fs::rename(&tmp_sources, self.sources_path()).map_err(|e| io(&self.sources_path(), e))?;
        Ok(screener)
    }
}
