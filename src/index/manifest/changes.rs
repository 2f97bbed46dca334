//! Change detection: how a corpus folder differs from a [`Manifest`].
//!
//! Whether a file changed is decided cheaply first: the same size and
//! modification time mean unchanged, and only a file whose stat differs is
//! read and hashed (a touched but unchanged file is not re-indexed). A file
//! modified within [`RACY_WINDOW_NANOS`] before the scan could change again in
//! the same clock tick without its mtime moving (git's "racy clean" problem),
//! so for such files size and mtime prove nothing and the hash decides.
//!
//! [`StoredManifest::changes`] checks an unchanged corpus cheaper: the
//! stored [`StatDigest`] of every file's path, size and mtime is compared
//! with one computed while stat'ing the corpus, so the list of files is only
//! unpacked when something changed (or a file is in its racy window). What
//! is left is listing and stat'ing the files, which a check that notices a
//! file edited in place cannot skip (its folder does not change).
//!
//! A search does not pay even that: [`StoredManifest::quick_changes`] stats
//! only the folders the index was built from (29 for 27,413 files). A
//! folder's mtime moves whenever an entry in it is added, removed or renamed,
//! which covers new, deleted and renamed articles and every edit saved the
//! way most tools save (a new file renamed over the old). What it cannot see
//! is a file written in place (`cp` over it, an editor that truncates and
//! writes): `zhsearch index`, `search --refresh` and `/stats` still do the
//! whole check, and notice that too.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use anyhow::Result;

#[cfg(doc)]
use super::RACY_WINDOW_NANOS;
use super::{FileEntry, Manifest, StatDigest, StoredManifest, is_settled};
use crate::corpus::{self, Folders, Found};

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
        let listing = corpus::list(corpus_dir, Some(index_dir))?;
        Ok(self.compare(&listing.files))
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
        let files = corpus::list(corpus_dir, Some(index_dir))?.files;
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

    /// How the corpus differs from the manifest, as far as its folders tell:
    /// what a search checks before it answers. When every folder the index
    /// was built from is there with the mtime recorded, and that mtime is
    /// outside the racy window of the scan (an entry added in the same clock
    /// tick would not have moved it), no article was added, removed or
    /// renamed, and the answer is "no changes" after one stat per folder.
    /// Otherwise, and for an index that kept no folders, it is
    /// [`changes`](Self::changes), the whole check. A file edited in place
    /// is only seen in that second case (see the module docs).
    pub fn quick_changes(&self, corpus_dir: &Path, index_dir: &Path) -> Result<Changes> {
        if folders_unchanged(&self.folders, self.scanned_at, corpus_dir) {
            return Ok(Changes::default());
        }
        self.changes(corpus_dir, index_dir)
    }
}

/// Whether `folders`, recorded in a scan at `scanned_at`, are all still
/// there under `corpus_dir` with the mtimes recorded, each outside the racy
/// window (and there is at least one: the corpus folder itself).
fn folders_unchanged(folders: &Folders, scanned_at: u64, corpus_dir: &Path) -> bool {
    !folders.is_empty()
        && folders.iter().all(|(path, &mtime)| {
            is_settled(mtime, scanned_at) && corpus::folder_mtime(corpus_dir, path) == Some(mtime)
        })
}

/// Whether the file at `path` has the content recorded in `entry`.
pub fn has_content(entry: &FileEntry, path: &Path) -> bool {
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
        let walked = corpus::walk_with_folders(dir, None).unwrap();
        let files = walked
            .files
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
            folders: walked.folders,
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

    #[test]
    fn the_folder_check_sees_what_moves_a_folder_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus");
        let index = dir.path().join("index");
        std::fs::create_dir_all(corpus.join("sub")).unwrap();
        std::fs::write(corpus.join("a.md"), "甲文章").unwrap();
        std::fs::write(corpus.join("sub/b.md"), "乙文章").unwrap();
        let long_ago = 1_600_000_000_000_000_000;
        let age = |path: &Path| {
            let time = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(long_ago);
            File::open(path).unwrap().set_modified(time).unwrap();
        };
        for path in ["a.md", "sub/b.md", "sub", ""] {
            age(&corpus.join(path));
        }
        let later = long_ago + 3600 * 1_000_000_000;
        let manifest = record(&corpus, later);
        assert_eq!(
            manifest.folders.keys().collect::<Vec<_>>(),
            ["", "sub"],
            "the corpus folder and its subfolder"
        );
        let stored = through_json(&StoredManifest::new(&manifest));
        let quick = || stored.quick_changes(&corpus, &index).unwrap();
        let full = || stored.changes(&corpus, &index).unwrap();
        assert!(quick().is_empty() && full().is_empty());

        // Written in place: no folder moves, so only the whole check sees it.
        std::fs::write(corpus.join("a.md"), "丁文章").unwrap();
        assert!(quick().is_empty(), "an edit in place is not seen");
        assert_eq!(full().changed, ["a.md"]);

        // Saved by rename: the folder moves, and the answer is the whole check's.
        std::fs::write(corpus.join("sub/.b.md.tmp"), "乙文章改").unwrap();
        std::fs::rename(corpus.join("sub/.b.md.tmp"), corpus.join("sub/b.md")).unwrap();
        assert_eq!(quick(), full());
        assert_eq!(quick().changed, ["a.md", "sub/b.md"]);

        // A folder recorded within the racy window proves nothing.
        std::fs::write(corpus.join("a.md"), "甲文章").unwrap();
        for path in ["a.md", "sub/b.md", "sub", ""] {
            age(&corpus.join(path));
        }
        let racy = through_json(&StoredManifest::new(&record(&corpus, long_ago + 1)));
        std::fs::write(corpus.join("a.md"), "丁文章").unwrap();
        assert_eq!(
            racy.quick_changes(&corpus, &index).unwrap().changed,
            ["a.md"]
        );

        // Added, removed, a new folder; and an index that kept no folders.
        std::fs::write(corpus.join("a.md"), "甲文章").unwrap();
        age(&corpus.join("a.md"));
        std::fs::write(corpus.join("c.md"), "丙文章").unwrap();
        assert_eq!(quick().added, ["c.md"]);
        std::fs::remove_file(corpus.join("c.md")).unwrap();
        age(&corpus.join(""));
        std::fs::create_dir(corpus.join("sub/new")).unwrap();
        std::fs::write(corpus.join("sub/new/d.md"), "新文章").unwrap();
        age(&corpus.join("sub/new"));
        assert_eq!(quick().added, ["sub/new/d.md"]);
        std::fs::remove_dir_all(corpus.join("sub")).unwrap();
        assert_eq!(quick().removed, ["sub/b.md"]);
        let without = StoredManifest {
            folders: Folders::new(),
            ..stored.clone()
        };
        assert_eq!(without.quick_changes(&corpus, &index).unwrap(), full());
    }
}
