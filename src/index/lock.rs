//! The update lock: one `zhsearch index` (or `search --refresh`) per index at a time.
//!
//! An advisory lock (`flock` on Unix) on a file inside the index folder. The
//! operating system releases it when the process ends, however it ends, so a
//! killed run never leaves a stale lock behind. Searches do not take it: they
//! read the last committed index while an update runs.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Name of the lock file inside the index folder.
pub const LOCK_FILE: &str = ".zhsearch.lock";

/// Whether to wait for another update to finish or to fail at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    No,
    Yes,
}

/// Another process holds the lock.
#[derive(Debug)]
pub struct LockBusy {
    pub lock_file: PathBuf,
}

impl std::fmt::Display for LockBusy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "another zhsearch is updating this index (it holds the lock file '{}'): \
             let it finish, or pass --wait to wait for it",
            self.lock_file.display()
        )
    }
}

impl std::error::Error for LockBusy {}

/// Held while an update runs; released on drop (or when the process dies).
#[derive(Debug)]
pub struct UpdateLock {
    _file: File,
}

impl UpdateLock {
    /// Takes the lock of the index in `index_dir`, creating the folder if needed.
    /// With [`Wait::No`] a busy lock fails at once with [`LockBusy`]; `on_wait`
    /// is called once before waiting otherwise.
    pub fn acquire(index_dir: &Path, wait: Wait, on_wait: impl FnOnce()) -> Result<UpdateLock> {
        fs::create_dir_all(index_dir)
            .with_context(|| format!("cannot create index folder '{}'", index_dir.display()))?;
        let lock_file = index_dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_file)
            .with_context(|| format!("cannot open the lock file '{}'", lock_file.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) if wait == Wait::Yes => {
                on_wait();
                file.lock().with_context(|| {
                    format!("cannot lock the lock file '{}'", lock_file.display())
                })?;
            }
            Err(TryLockError::WouldBlock) => return Err(LockBusy { lock_file }.into()),
            Err(TryLockError::Error(err)) => {
                return Err(err).with_context(|| {
                    format!("cannot lock the lock file '{}'", lock_file.display())
                });
            }
        }
        Ok(UpdateLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_busy_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index");
        let first = UpdateLock::acquire(&index, Wait::No, || {}).unwrap();
        let err = UpdateLock::acquire(&index, Wait::No, || {}).unwrap_err();
        let busy = err.downcast_ref::<LockBusy>().expect("LockBusy");
        assert!(busy.lock_file.ends_with(LOCK_FILE));
        assert!(err.to_string().contains("--wait"), "{err}");
        drop(first);
        UpdateLock::acquire(&index, Wait::No, || {}).unwrap();
    }
}
