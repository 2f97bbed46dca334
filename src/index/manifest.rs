//! The manifest: which article files an index was built from, and in what state.
//!
//! For every file of the corpus the manifest keeps its size, modification time
//! and a content hash (xxh3), how many passages it gave, or why it was skipped.
//! It travels inside the tantivy commit payload (see [`super`]), so it is
//! written in the same atomic step as the passages it describes: after a crash
//! the index and its manifest always agree.
//!
//! Whether a file changed is decided cheaply first: the same size and
//! modification time mean unchanged, and only a file whose stat differs is
//! read and hashed (a touched but unchanged file is not re-indexed). A file
//! modified within [`RACY_WINDOW_NANOS`] before the scan could change again in
//! the same clock tick without its mtime moving (git's "racy clean" problem),
//! so for such files size and mtime prove nothing and the hash decides.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::corpus::{self, SourceFile};

/// Files modified less than this long before a scan are always hashed later.
pub const RACY_WINDOW_NANOS: u64 = 2_000_000_000;

/// Prefix of skip reasons that are worth retrying even when the file's stat
/// did not change (permissions change without touching mtime).
const READ_ERROR: &str = "cannot read";

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
    pub skipped: Option<String>,
}

impl FileEntry {
    /// Whether the file's passages are in the index.
    pub fn is_indexed(&self) -> bool {
        self.skipped.is_none()
    }

    /// Whether the file was skipped because it could not be read at all.
    pub fn is_read_error(&self) -> bool {
        self.skipped
            .as_deref()
            .is_some_and(|r| r.starts_with(READ_ERROR))
    }
}

/// The files an index was built from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "ManifestWire", from = "ManifestWire")]
pub struct Manifest {
    /// The corpus folder, absolute, so `search` can check it without `--corpus`.
    pub corpus: Option<PathBuf>,
    /// When the corpus was scanned, in nanoseconds since 1970.
    pub scanned_at: u64,
    /// Every article file seen, by relative path.
    pub files: BTreeMap<String, FileEntry>,
}

impl Manifest {
    /// Whether `file` certainly has the content recorded in `entry`, judged by
    /// size and modification time alone.
    pub fn is_fresh(&self, entry: &FileEntry, file: &SourceFile) -> bool {
        entry.size == file.size
            && entry.mtime == file.mtime
            && entry.mtime != 0
            && entry.mtime.saturating_add(RACY_WINDOW_NANOS) < self.scanned_at
    }

    /// Articles in the index.
    pub fn articles(&self) -> usize {
        self.files.values().filter(|e| e.is_indexed()).count()
    }

    /// Passages in the index.
    pub fn passages(&self) -> usize {
        self.files.values().map(|e| e.passages as usize).sum()
    }

    /// How the corpus differs from this manifest, checked cheaply: the files
    /// are listed and stat'ed, and only those whose size or mtime differ are
    /// hashed.
    pub fn changes(&self, corpus_dir: &Path, index_dir: &Path) -> Result<Changes> {
        let (files, _) = corpus::walk(corpus_dir, Some(index_dir))?;
        let mut changes = Changes::default();
        for file in &files {
            let Some(entry) = self.files.get(&file.rel_path) else {
                changes.added.push(file.rel_path.clone());
                continue;
            };
            if self.is_fresh(entry, file) {
                continue;
            }
            let same = match hash_file(&file.full_path) {
                Ok(hash) => hash == entry.hash && !entry.is_read_error(),
                Err(_) => entry.is_read_error(),
            };
            if !same {
                changes.changed.push(file.rel_path.clone());
            }
        }
        let mut seen = files.iter().map(|f| f.rel_path.as_str()).peekable();
        for path in self.files.keys() {
            // Both lists are sorted by path.
            while seen.next_if(|s| *s < path.as_str()).is_some() {}
            if seen.peek() != Some(&path.as_str()) {
                changes.removed.push(path.clone());
            }
        }
        Ok(changes)
    }
}

/// Differences between a corpus folder and an index's manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The content hash of some bytes.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// The content hash of a file, read in pieces (no copy of a large file in memory).
pub fn hash_file(path: &Path) -> io::Result<u64> {
    let mut file = File::open(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hasher.digest());
        }
        hasher.update(&buffer[..n]);
    }
}

/// The manifest on disk: rows instead of objects, because a corpus of 100,000
/// files makes 100,000 rows and field names would double the size.
#[derive(Serialize, Deserialize)]
struct ManifestWire {
    #[serde(default)]
    corpus: Option<PathBuf>,
    #[serde(default)]
    scanned_at: u64,
    /// `[path, size, mtime, hash, passages, skipped reason or null]`.
    files: Vec<(String, u64, u64, u64, u32, Option<String>)>,
}

impl From<Manifest> for ManifestWire {
    fn from(m: Manifest) -> Self {
        ManifestWire {
            corpus: m.corpus,
            scanned_at: m.scanned_at,
            files: m
                .files
                .into_iter()
                .map(|(p, e)| (p, e.size, e.mtime, e.hash, e.passages, e.skipped))
                .collect(),
        }
    }
}

impl From<ManifestWire> for Manifest {
    fn from(w: ManifestWire) -> Self {
        Manifest {
            corpus: w.corpus,
            scanned_at: w.scanned_at,
            files: w
                .files
                .into_iter()
                .map(|(path, size, mtime, hash, passages, skipped)| {
                    let entry = FileEntry {
                        size,
                        mtime,
                        hash,
                        passages,
                        skipped,
                    };
                    (path, entry)
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(size: u64, mtime: u64) -> FileEntry {
        FileEntry {
            size,
            mtime,
            hash: 7,
            passages: 2,
            skipped: None,
        }
    }

    fn file(size: u64, mtime: u64) -> SourceFile {
        SourceFile {
            full_path: PathBuf::from("a.md"),
            rel_path: "a.md".into(),
            size,
            mtime,
        }
    }

    #[test]
    fn round_trips_through_json() {
        let mut manifest = Manifest {
            corpus: Some(PathBuf::from("/data/corpus")),
            scanned_at: 42,
            files: BTreeMap::new(),
        };
        manifest.files.insert("a.md".into(), entry(10, 20));
        manifest.files.insert(
            "b.md".into(),
            FileEntry {
                skipped: Some("empty file".into()),
                passages: 0,
                ..entry(0, 3)
            },
        );
        let json = serde_json::to_string(&manifest).unwrap();
        assert!(json.contains(r#"["a.md",10,20,7,2,null]"#), "{json}");
        let back: Manifest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, manifest);
        assert_eq!((back.articles(), back.passages()), (1, 2));
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
    fn file_hash_equals_bytes_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(hash_file(&path).unwrap(), hash_bytes(&bytes));
    }
}
