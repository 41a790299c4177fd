//! One module per subcommand.

pub mod backtest;
pub mod bench;
pub mod demo;
pub mod eval;
pub mod import;
pub mod lists;
pub mod policy;
pub mod replay;
pub mod screen;
pub mod simulate;
pub mod sweep;
pub mod train;
pub mod validate;

use crate::fmt::thousands;
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use sluice_io::{ReadItem, RecordReader};
use std::path::Path;
use std::process::ExitCode;

/// The exit status after reading: 1 (with a message) when more rows were rejected than
/// `--max-rejects` allows, else success.
pub fn rejects_status(rejected: u64, max_rejects: u64) -> ExitCode {
    if rejected > max_rejects {
        eprintln!("sluice: {} rows rejected, more than --max-rejects {max_rejects}", thousands(rejected));
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Reads every record of `path` into `each`; rejected rows are printed (the first five) and
/// make the whole read an error naming the file, after the good rows were seen.
pub fn read_all<T: sluice_io::Record>(path: &Path, mut each: impl FnMut(T)) -> anyhow::Result<()> {
    let mut r = RecordReader::<T>::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut bad = 0u64;
    while let Some(item) = r.next_item()? {
        match item {
            ReadItem::Record(v, _) => each(v),
            ReadItem::Rejected(rej) => {
                bad += 1;
                if bad <= 5 {
                    eprintln!("reject: {rej}");
                }
            }
        }
    }
    if bad > 0 {
        bail!("{} bad row(s) in {}", thousands(bad), path.display());
    }
    Ok(())
}

/// A byte-based progress bar on stderr for reading `path` (hidden when stderr is not a
/// terminal).
pub fn file_progress(path: &Path, what: &str) -> ProgressBar {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}
