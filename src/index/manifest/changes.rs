//! Change detection: how a corpus folder differs from a [`Manifest`].
//!
//! Whether a file changed is decided cheaply first: the same size and
//! modification time mean unchanged, and only a file whose stat differs is
//! read and hashed (a touched but unchanged file is not re-indexed). A file
//! modified within [`RACY_WINDOW_NANOS`] before the scan could change again in
//! the same clock tick without its mtime moving (git's "racy clean" problem),
//! so for such files size and mtime prove nothing and the hash decides.
//!
//! A search checks an unchanged corpus cheaper still: the stored
//! [`StatDigest`] of every file's path, size and mtime is compared with one
//! computed while stat'ing the corpus, so the list of files is only unpacked
//! when something changed (or a file is in its racy window). What is left is
//! listing and stat'ing the files, which a check that notices a file edited
//! in place cannot skip (its folder does not change).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use anyhow::Result;

#[cfg(doc)]
use super::RACY_WINDOW_NANOS;
use super::{FileEntry, Manifest, StatDigest, StoredManifest, is_settled};
use crate::corpus::{self, Found};

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

impl Manifest {
    /// How the corpus differs from this manifest, checked cheaply: the files
    /// are listed and stat'ed, and only those whose size or mtime differ (or
    /// whose stat proves nothing) are hashed.
    pub fn changes(&self, corpus_dir: &Path, index_dir: &Path) -> Result<Changes> {
        let (files, _) = corpus::list(corpus_dir, Some(index_dir))?;
        Ok(self.compare(&files))
    }

    /// How `files`, a listing of the corpus, differ from this manifest.
    fn compare(&self, files: &[Found]) -> Changes {
        let mut changes = Changes::default();
        let mut seen = Vec::with_capacity(self.files.len());
        for file in files {
            let Some((path, entry)) = self.files.get_key_value(&file.rel_path) else {
                changes.added.push(file.rel_path.clone());
                continue;
            };
            seen.push(path.as_str());
            if !self.is_fresh_stat(entry, file.size, file.mtime)
                && !has_content(entry, file.full_path())
            {
                changes.changed.push(file.rel_path.clone());
            }
        }
        if seen.len() < self.files.len() {
            // Some files are gone: which.
            let seen: HashSet<&str> = seen.into_iter().collect();
            changes.removed = (self.files.keys())
                .filter(|path| !seen.contains(path.as_str()))
                .cloned()
                .collect();
        }
        changes.added.sort();
        changes.changed.sort();
        changes.removed.sort();
        changes
    }
}

impl StoredManifest {
    /// How the corpus differs from the manifest (see [`Manifest::changes`]).
    /// Runs before every search, so an unchanged corpus is told cheaply: its
    /// files are listed and stat'ed into a [`StatDigest`]; when that equals
    /// the stored one, the same files have the same stat, and only those
    /// whose stat proves nothing (modified within the racy window of the
    /// scan) are looked up and hashed. Otherwise the manifest is unpacked to
    /// say what changed. Fails with an [`UnpackError`](super::UnpackError) in the chain when the
    /// manifest is damaged.
    pub fn changes(&self, corpus_dir: &Path, index_dir: &Path) -> Result<Changes> {
        let (files, _) = corpus::list(corpus_dir, Some(index_dir))?;
        let mut digest = StatDigest::default();
        for file in &files {
            digest.add(&file.rel_path, file.size, file.mtime);
        }
        if digest.finish() != self.stat_digest {
            return Ok(self.unpack()?.compare(&files));
        }
        let mut unsettled = (files.iter())
            .filter(|file| !is_settled(file.mtime, self.scanned_at))
            .peekable();
        let mut changes = Changes::default();
        if unsettled.peek().is_some() {
            let manifest = self.unpack()?;
            for file in unsettled {
                match manifest.files.get(&file.rel_path) {
                    Some(entry) if has_content(entry, file.full_path()) => {}
                    _ => changes.changed.push(file.rel_path.clone()),
                }
            }
            changes.changed.sort();
        }
        Ok(changes)
    }
}

/// Whether the file at `path` has the content recorded in `entry`.
fn has_content(entry: &FileEntry, path: &Path) -> bool {
    match hash_file(path) {
        Ok(hash) => hash == entry.hash && !entry.is_read_error(),
        Err(_) => entry.is_read_error(),
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

#[cfg(test)]
mod tests {

    use super::super::UserFiles;
    use super::super::tests::entry;
    use super::*;

    #[test]
    fn file_hash_equals_bytes_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(hash_file(&path).unwrap(), hash_bytes(&bytes));
    }

    /// The manifest an update would record for the corpus in `dir` as it is.
    fn record(dir: &Path, scanned_at: u64) -> Manifest {
        let (files, _) = corpus::walk(dir, None).unwrap();
        let files = files
            .into_iter()
            .map(|f| {
                let entry = FileEntry {
                    hash: hash_file(&f.full_path).unwrap(),
                    ..entry(f.size, f.mtime)
                };
                (f.rel_path, entry)
            })
            .collect();
        Manifest {
            corpus: None,
            user_files: UserFiles::default(),
            scanned_at,
            files,
        }
    }

    fn through_json(stored: &StoredManifest) -> StoredManifest {
        serde_json::from_str(&serde_json::to_string(stored).unwrap()).unwrap()
    }

    #[test]
    fn the_digest_shortcut_says_what_the_full_check_says() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus");
        let index = dir.path().join("index");
        let write = |rel: &str, text: &str| {
            let path = corpus.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        };
        let set_mtime = |path: &Path, nanos: u64| {
            let time = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(nanos);
            File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(time)
                .unwrap();
        };
        let long_ago = 1_600_000_000_000_000_000;
        let later = long_ago + 3600 * 1_000_000_000;
        let a = write("a.md", "甲文章");
        let b = write("sub/b.md", "乙文章");
        write("c.md", "丙文章");
        for path in [&a, &b, &corpus.join("c.md")] {
            set_mtime(path, long_ago);
        }
        let check = |manifest: &Manifest, expected: [&[&str]; 3], what: &str| {
            let full = manifest.changes(&corpus, &index).unwrap();
            let stored = through_json(&StoredManifest::new(manifest));
            let fast = stored.changes(&corpus, &index).unwrap();
            assert_eq!(fast, full, "{what}");
            let [added, changed, removed] =
                expected.map(|paths| paths.iter().map(|p| p.to_string()).collect::<Vec<_>>());
            assert_eq!(
                (full.added, full.changed, full.removed),
                (added, changed, removed),
                "{what}"
            );
        };
        let settled = record(&corpus, later);
        check(&settled, [&[], &[], &[]], "unchanged");
        let unsettled = record(&corpus, long_ago + 1);
        check(
            &unsettled,
            [&[], &[], &[]],
            "unchanged, stat proves nothing",
        );

        // Same stat, other content: only the hash of an unsettled file tells.
        write("a.md", "丁文章");
        set_mtime(&a, long_ago);
        check(&settled, [&[], &[], &[]], "same stat, settled");
        check(&unsettled, [&[], &["a.md"], &[]], "same stat, unsettled");
        write("a.md", "甲文章");
        set_mtime(&a, long_ago);

        set_mtime(&b, later);
        check(&settled, [&[], &[], &[]], "touched");
        write("sub/b.md", "乙文章改");
        check(&settled, [&[], &["sub/b.md"], &[]], "modified in place");
        let settled = record(&corpus, later);
        write("d.md", "新文章");
        check(&settled, [&["d.md"], &[], &[]], "added");
        std::fs::remove_file(corpus.join("d.md")).unwrap();
        std::fs::remove_file(corpus.join("c.md")).unwrap();
        check(&settled, [&[], &[], &["c.md"]], "removed");
        std::fs::rename(&a, corpus.join("e.md")).unwrap();
        check(&settled, [&["e.md"], &[], &["a.md", "c.md"]], "renamed");
    }
}
