//! Plain output files written straight to the disk (`O_DIRECT`), a few megabytes at a time
//! from an aligned buffer. Through the page cache, the kernel copied every byte into its
//! cache on the writing thread and wrote it back on its own threads: over a fifth of a run's
//! CPU time on this 2-core machine, and ~3× the wall time of a direct write to sync 1.6 GB.
//! Written directly, the bytes go from the buffer to the device and are on it when the
//! write returns; the last partial block is written padded and the file cut to its length.
//!
//! Where the file system refuses `O_DIRECT` (tmpfs, some network file systems) the same
//! blocks are written through the page cache and synced every [`SYNC_EVERY`] bytes, so the
//! final sync stays short. The bytes of the file are the same either way.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;

/// Alignment of the buffer, of every write's offset and of its length.
const ALIGN: usize = 4096;
/// Bytes per write.
const BLOCK: usize = 4 << 20;
/// Bytes written through the page cache between two syncs (fallback only).
const SYNC_EVERY: u64 = 64 << 20;

/// `O_DIRECT` where its value is known (it differs between architectures).
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "x86")))]
const O_DIRECT: Option<i32> = Some(0o40_000);
#[cfg(all(target_os = "linux", any(target_arch = "aarch64", target_arch = "arm")))]
const O_DIRECT: Option<i32> = Some(0o200_000);
#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64", target_arch = "arm")
)))]
const O_DIRECT: Option<i32> = None;

/// A file being written in aligned blocks.
pub(crate) struct DirectFile {
    file: File,
    /// Written with `O_DIRECT` (else through the page cache).
    direct: bool,
    /// `BLOCK + ALIGN` bytes, of which `window..window + BLOCK` is aligned.
    storage: Vec<u8>,
    window: usize,
    /// Bytes waiting in the window.
    len: usize,
    /// Bytes in the file.
    written: u64,
    /// Bytes written through the page cache since the last sync.
    unsynced: u64,
}

impl DirectFile {
    /// Creates (truncates) `path`.
    pub(crate) fn create(path: &Path) -> io::Result<Self> {
        let mut direct = false;
        let mut file = None;
        if let Some(flag) = O_DIRECT {
            use std::os::unix::fs::OpenOptionsExt;
            if let Ok(f) =
                OpenOptions::new().write(true).create(true).truncate(true).custom_flags(flag).open(path)
            {
                file = Some(f);
                direct = true;
            }
        }
        let file = match file {
            Some(f) => f,
            None => File::create(path)?,
        };
        let storage = vec![0u8; BLOCK + ALIGN];
        let window = storage.as_ptr().align_offset(ALIGN).min(ALIGN);
        Ok(DirectFile { file, direct, storage, window, len: 0, written: 0, unsynced: 0 })
    }

    /// Appends `bytes`.
    pub(crate) fn write_all(&mut self, mut bytes: &[u8], path: &Path) -> io::Result<()> {
        while !bytes.is_empty() {
            let n = (BLOCK - self.len).min(bytes.len());
            let (head, rest) = bytes.split_at(n);
            let at = self.window + self.len;
            if let Some(dst) = self.storage.get_mut(at..at + n) {
                dst.copy_from_slice(head);
            }
            self.len += n;
            bytes = rest;
            if self.len == BLOCK {
                self.flush_window(BLOCK, path)?;
                self.len = 0;
            }
        }
        Ok(())
    }

    /// Writes the first `n` bytes of the window (a multiple of [`ALIGN`] when direct).
    fn flush_window(&mut self, n: usize, path: &Path) -> io::Result<()> {
        let block = self.storage.get(self.window..self.window + n).unwrap_or(&[]);
        if self.direct {
            match self.file.write_all(block) {
                Ok(()) => {
                    self.written += n as u64;
                    return Ok(());
                }
                // Refused only when the first write is tried: carry on through the cache.
                Err(e) if self.written == 0 && e.raw_os_error() == Some(EINVAL) => {
                    let mut f = OpenOptions::new().write(true).open(path)?;
                    f.seek(SeekFrom::Start(0))?;
                    self.file = f;
                    self.direct = false;
                }
                Err(e) => return Err(e),
            }
        }
        self.file.write_all(block)?;
        self.written += n as u64;
        self.unsynced += n as u64;
        if self.unsynced >= SYNC_EVERY {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        Ok(())
    }

    /// Writes what is left and syncs the file.
    pub(crate) fn finish(mut self, path: &Path) -> io::Result<()> {
        if self.len > 0 {
            let len = self.len;
            if self.direct {
                // The last block padded to the alignment, then the file cut to its length.
                let padded = len.next_multiple_of(ALIGN);
                let at = self.window + len;
                if let Some(pad) = self.storage.get_mut(at..self.window + padded) {
                    pad.fill(0);
                }
                self.flush_window(padded, path)?;
                self.written -= (padded - len) as u64;
                self.file.set_len(self.written)?;
            } else {
                self.flush_window(len, path)?;
            }
        }
        self.file.sync_all()
    }
}

/// `EINVAL`: what `O_DIRECT` writes return where the file system does not support them.
const EINVAL: i32 = 22;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_written_as_given_whatever_the_sizes() {
        let dir = tempfile::tempdir().unwrap();
        for total in [0usize, 1, 4095, 4096, 4097, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 12_345] {
            let path = dir.path().join(format!("f{total}"));
            let want: Vec<u8> = (0..total).map(|i| (i * 7 + i / 4096) as u8).collect();
            let mut f = DirectFile::create(&path).unwrap();
            let mut at = 0;
            let mut step = 1;
            while at < total {
                let n = step.min(total - at);
                f.write_all(&want[at..at + n], &path).unwrap();
                at += n;
                step = step * 3 + 1;
            }
            f.finish(&path).unwrap();
            assert!(std::fs::read(&path).unwrap() == want, "{total} bytes");
        }
    }
}
