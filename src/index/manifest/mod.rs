//! The manifest: which article files an index was built from, and in what state.
//!
//! For every file of the corpus the manifest keeps its size, modification time
//! and a content hash (xxh3), how many passages it gave, or why it was skipped.
//! It travels inside the tantivy commit payload (see [`super`]), so it is
//! written in the same atomic step as the passages it describes: after a crash
//! the index and its manifest always agree.
//!
//! Its parts: this module is the model ([`Manifest`], [`FileEntry`]) and
//! when a file's stat can be trusted; `changes` tells how a corpus differs
//! from it; `digest` is the one-hash summary of every file's stat that lets
//! a search skip that work; `codec` is how it is stored in the payload.

mod changes;
mod codec;
mod digest;

use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::corpus::{Folders, SkipReason, SourceFile};
pub use changes::{Changes, has_content, hash_bytes};
pub use codec::{StoredManifest, UnpackError};
pub use digest::StatDigest;

/// Files modified less than this long before a scan are always hashed later,
/// when their mtime is in whole seconds: a filesystem that keeps only
/// seconds (ext3, HFS+; FAT keeps every other second) gives all the writes
/// of one second (two, on FAT) the same mtime.
pub const RACY_WINDOW_NANOS: u64 = 2_000_000_000;

/// The racy window of an mtime with a fraction of a second. Such a
/// filesystem stamps writes with the kernel's coarse clock, which moves once
/// a tick (1–10 ms on Linux, about 16 ms on Windows; exFAT keeps 10 ms), so
/// two writes in the same tick share an mtime. 100 ms is six of the slowest
/// of those ticks, room too for a file server's clock a little behind ours.
/// A whole `RACY_WINDOW_NANOS` made an index run of freshly written files
/// wait 2 s (`bench/run.sh`'s re-index of 274 files: 2.14 s, of which 0.33 s
/// CPU).
pub const FINE_RACY_WINDOW_NANOS: u64 = 100_000_000;

/// What the index knows about one article file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    pub size: u64,
    /// Nanoseconds since 1970; 0 when unknown.
    pub mtime: u64,
    /// xxh3-64 of the file's bytes (0 when it could not be read).
    pub hash: u64,
    /// Passages in the index from this file.
    pub passages: u32,
    /// Why the file is not in the index, if it is not.
    pub skipped: Option<SkipReason>,
}

impl FileEntry {
    /// Whether the file's passages are in the index.
    pub fn is_indexed(&self) -> bool {
        self.skipped.is_none()
    }

    /// Whether the file was skipped because it could not be read at all,
    /// which is worth trying again even when its stat did not change
    /// (permissions change without touching mtime).
    pub fn is_read_error(&self) -> bool {
        self.skipped.as_ref().is_some_and(SkipReason::is_read_error)
    }
}

/// The files an index was built from (stored as a [`StoredManifest`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The corpus folder, absolute, so `search` can check it without `--corpus`.
    pub corpus: Option<PathBuf>,
    /// The user dictionary and synonyms files the index was built with,
    /// so later commands need not name them again.
    pub user_files: UserFiles,
    /// When the corpus was scanned, in nanoseconds since 1970.
    pub scanned_at: u64,
    /// Every article file seen, by relative path. A hash map because checks
    /// and updates look every file of the corpus up in it: in a B-tree of
    /// 27,000 paths those lookups took twice as long.
    pub files: HashMap<String, FileEntry>,
    /// Every folder walked and its mtime, as the walk that the files were
    /// last checked against saw it (see [`StoredManifest::quick_changes`]).
    pub folders: Folders,
}

impl Manifest {
    /// Whether `file` certainly has the content recorded in `entry`, judged by
    /// size and modification time alone.
    pub fn is_fresh(&self, entry: &FileEntry, file: &SourceFile) -> bool {
        self.is_fresh_stat(entry, file.size, file.mtime)
    }

    pub(super) fn is_fresh_stat(&self, entry: &FileEntry, size: u64, mtime: u64) -> bool {
        entry.size == size && entry.mtime == mtime && is_settled(mtime, self.scanned_at)
    }

    /// Articles in the index.
    pub fn articles(&self) -> usize {
        self.files.values().filter(|e| e.is_indexed()).count()
    }

    /// Passages in the index.
    pub fn passages(&self) -> usize {
        self.files.values().map(|e| e.passages as usize).sum()
    }
}

/// Whether a file modified at `mtime` (0: unknown) is judged by its stat in a
/// scan at `scanned_at`: not when it was modified within its racy window.
pub fn is_settled(mtime: u64, scanned_at: u64) -> bool {
    mtime != 0 && mtime.saturating_add(racy_window(mtime)) < scanned_at
}

/// How long after `mtime` a write could still leave the same mtime: the
/// filesystem's timestamp resolution, told by whether it kept a fraction of
/// a second (one in a billion fine mtimes falls on a whole second, and gets
/// the longer window).
pub fn racy_window(mtime: u64) -> u64 {
    if mtime.is_multiple_of(1_000_000_000) {
        RACY_WINDOW_NANOS
    } else {
        FINE_RACY_WINDOW_NANOS
    }
}

/// The files named by `--dict` and `--synonyms` when the index was built
/// (absolute); the corpus's own `.zhsearch/` files are found anew each time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFiles {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dict: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synonyms: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn entry(size: u64, mtime: u64) -> FileEntry {
        FileEntry {
            size,
            mtime,
            hash: 7,
            passages: 2,
            skipped: None,
        }
    }

    pub(super) fn file(size: u64, mtime: u64) -> SourceFile {
        SourceFile {
            full_path: PathBuf::from("a.md"),
            rel_path: "a.md".into(),
            size,
            mtime,
        }
    }

    pub(super) fn sample() -> Manifest {
        let mut manifest = Manifest {
            corpus: Some(PathBuf::from("/data/corpus")),
            user_files: UserFiles::default(),
            scanned_at: 42,
            files: HashMap::new(),
            folders: [("".to_string(), 5), ("文件夹".to_string(), 6)].into(),
        };
        manifest.files.insert("a.md".into(), entry(10, 20));
        manifest.files.insert(
            "b.md".into(),
            FileEntry {
                skipped: Some(SkipReason::Empty),
                passages: 0,
                ..entry(0, 3)
            },
        );
        manifest.files.insert(
            "文件夹/长文.md".into(),
            FileEntry {
                hash: u64::MAX,
                passages: u32::MAX,
                ..entry(u64::MAX, u64::MAX)
            },
        );
        manifest
            .files
            .insert("文件夹/长文二.md".into(), entry(0, 0));
        let reasons = [
            SkipReason::UnlistableFolder("权限".into()),
            SkipReason::BrokenLink("gone".into()),
            SkipReason::Unreadable("permission denied".into()),
            SkipReason::TooLarge { bytes: u64::MAX },
            SkipReason::OnlyWhitespace,
            SkipReason::Binary,
            SkipReason::BadByteOrderMark {
                invalid: 3,
                bytes: 1 << 40,
            },
            SkipReason::NotDecodable {
                encoding: "Big5".into(),
            },
            SkipReason::NoText,
        ];
        for (i, reason) in reasons.into_iter().enumerate() {
            let entry = FileEntry {
                skipped: Some(reason),
                passages: 0,
                ..entry(i as u64, 9)
            };
            manifest.files.insert(format!("skipped/{i}.md"), entry);
        }
        manifest
    }

    #[test]
    fn freshness_needs_equal_stat_outside_the_racy_window() {
        let manifest = Manifest {
            scanned_at: 10 * RACY_WINDOW_NANOS,
            ..Manifest::default()
        };
        let old = RACY_WINDOW_NANOS;
        assert!(manifest.is_fresh(&entry(5, old), &file(5, old)));
        assert!(!manifest.is_fresh(&entry(5, old), &file(6, old)), "size");
        assert!(
            !manifest.is_fresh(&entry(5, old), &file(5, old + 1)),
            "mtime"
        );
        assert!(
            !manifest.is_fresh(&entry(5, 0), &file(5, 0)),
            "unknown mtime"
        );
        let racy = 10 * RACY_WINDOW_NANOS - 1;
        assert!(!manifest.is_fresh(&entry(5, racy), &file(5, racy)), "racy");
    }

    #[test]
    fn an_mtime_with_a_fraction_of_a_second_has_the_short_window() {
        let whole = 7 * 1_000_000_000;
        let fine = whole + 1_234_567;
        assert_eq!(racy_window(whole), RACY_WINDOW_NANOS);
        assert_eq!(racy_window(fine), FINE_RACY_WINDOW_NANOS);
        let after = |mtime: u64, nanos: u64| mtime + nanos;
        assert!(!is_settled(fine, after(fine, FINE_RACY_WINDOW_NANOS)));
        assert!(is_settled(fine, after(fine, FINE_RACY_WINDOW_NANOS + 1)));
        assert!(!is_settled(whole, after(whole, FINE_RACY_WINDOW_NANOS + 1)));
        assert!(!is_settled(whole, after(whole, RACY_WINDOW_NANOS)));
        assert!(is_settled(whole, after(whole, RACY_WINDOW_NANOS + 1)));
    }
}
