//! Transparent huge pages for the commands that hold a large engine state.
//!
//! The engine's per-account state is tables read at random (a 100,000-account world holds
//! 25 MB, a 1,000,000-account one 250 MB): with 4 KiB pages nearly every payment misses the
//! TLB as well as the caches, and a prefetch that misses the TLB stalls until the page walk
//! is done. Huge pages (2 MiB) cover those tables with a few hundred TLB entries.
//!
//! Where the kernel gives huge pages only to memory that asks (`madvise` mode, the common
//! default), glibc's `malloc` asks when the tunable `glibc.malloc.hugetlb=1` is set, and it
//! reads tunables once, when the process starts. So [`ask`] executes the program again with
//! the tunable added to `GLIBC_TUNABLES`, before anything else happens. Nothing changes in
//! what the program computes. `SLUICE_HUGE_PAGES=0` turns this off; where the tunable is
//! already set, the kernel's mode is `always` or `never`, or the C library is not glibc (the
//! variable is then ignored), it does nothing useful and costs one `exec`.

/// The glibc tunable that makes `malloc` advise huge pages.
const TUNABLE: &str = "glibc.malloc.hugetlb";

/// Set in the environment of the re-executed program, so that it never loops.
const MARK: &str = "SLUICE_HUGE_PAGES_ASKED";

/// Re-executes the program with huge pages asked for, if the kernel gives them only on
/// request and nobody has asked yet. Returns only when it did not re-execute.
pub fn ask() {
    if !wanted() {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let Ok(exe) = std::env::current_exe() else { return };
        let current = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
        let value =
            if current.is_empty() { format!("{TUNABLE}=1") } else { format!("{current}:{TUNABLE}=1") };
        // `exec` returns only if it failed; the program then goes on with small pages.
        let _failed = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("GLIBC_TUNABLES", value)
            .env(MARK, "1")
            .exec();
    }
}

/// Whether to re-execute: on Linux, not turned off, not done already, and the kernel's
/// transparent huge pages are in `madvise` mode.
fn wanted() -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let off = std::env::var_os("SLUICE_HUGE_PAGES").is_some_and(|v| v == "0");
    let asked = std::env::var_os(MARK).is_some()
        || std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains(TUNABLE));
    !off && !asked
        && madvise_mode(
            &std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default(),
        )
}

/// Whether the kernel's setting (e.g. `always [madvise] never`) selects `madvise`.
fn madvise_mode(setting: &str) -> bool {
    setting.split_whitespace().any(|w| w == "[madvise]")
}

/// Whether this process asked for huge pages (for the bench's report).
pub fn asked() -> bool {
    std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains(TUNABLE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernel_mode() {
        assert!(madvise_mode("always [madvise] never\n"));
        assert!(!madvise_mode("[always] madvise never\n"));
        assert!(!madvise_mode("always madvise [never]\n"));
        assert!(!madvise_mode(""));
    }
}
