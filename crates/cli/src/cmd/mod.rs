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

use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;

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
