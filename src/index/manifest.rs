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
//!
//! A search checks an unchanged corpus cheaper still: the stored
//! [`StatDigest`] of every file's path, size and mtime is compared with one
//! computed while stat'ing the corpus, so the list of files is only unpacked
//! when something changed (or a file is in its racy window). What is left is
//! listing and stat'ing the files, which a check that notices a file edited
//! in place cannot skip (its folder does not change).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::Result;
use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_128;

use crate::corpus::{self, Found, SkipReason, SourceFile};

/// Files modified less than this long before a scan are always hashed later.
pub const RACY_WINDOW_NANOS: u64 = 2_000_000_000;

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
}

impl Manifest {
    /// Whether `file` certainly has the content recorded in `entry`, judged by
    /// size and modification time alone.
    pub fn is_fresh(&self, entry: &FileEntry, file: &SourceFile) -> bool {
        self.is_fresh_stat(entry, file.size, file.mtime)
    }

    fn is_fresh_stat(&self, entry: &FileEntry, size: u64, mtime: u64) -> bool {
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

    /// The [`StatDigest`] of the files.
    pub fn stat_digest(&self) -> String {
        let mut digest = StatDigest::default();
        for (path, entry) in &self.files {
            digest.add(path, entry.size, entry.mtime);
        }
        digest.finish()
    }

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
                && !has_content(entry, &file.full_path())
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

/// Whether a file modified at `mtime` (0: unknown) is judged by its stat in a
/// scan at `scanned_at`: not when it was modified within the racy window.
fn is_settled(mtime: u64, scanned_at: u64) -> bool {
    mtime != 0 && mtime.saturating_add(RACY_WINDOW_NANOS) < scanned_at
}

/// Whether the file at `path` has the content recorded in `entry`.
fn has_content(entry: &FileEntry, path: &Path) -> bool {
    match hash_file(path) {
        Ok(hash) => hash == entry.hash && !entry.is_read_error(),
        Err(_) => entry.is_read_error(),
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

/// A digest of the path, size and mtime of a set of files, whatever their
/// order: equal digests mean the same files with the same stat (a 128-bit
/// hash: a false match is as likely as guessing it). It lets a search tell an
/// unchanged corpus from its stat alone, without unpacking the manifest and
/// looking every file up in it.
#[derive(Debug, Default)]
pub struct StatDigest {
    sum: u128,
    count: u64,
}

impl StatDigest {
    pub fn add(&mut self, path: &str, size: u64, mtime: u64) {
        let mut file = [0u8; 32];
        file[..16].copy_from_slice(&xxh3_128(path.as_bytes()).to_le_bytes());
        file[16..24].copy_from_slice(&size.to_le_bytes());
        file[24..].copy_from_slice(&mtime.to_le_bytes());
        // A sum, not a xor: two equal terms do not cancel out.
        self.sum = self.sum.wrapping_add(xxh3_128(&file));
        self.count += 1;
    }

    /// The digest as stored, in hex.
    pub fn finish(&self) -> String {
        let mut total = [0u8; 24];
        total[..16].copy_from_slice(&self.sum.to_le_bytes());
        total[16..].copy_from_slice(&self.count.to_le_bytes());
        format!("{:032x}", xxh3_128(&total))
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

/// The manifest as stored in the commit payload (JSON), its files packed.
///
/// `corpus` and `scanned_at` stay plain JSON so they can be read without
/// unpacking anything; the files are packed (see [`pack`]), because a corpus
/// of 27,000 files made 1.8 MB of JSON rows that every search read and parsed.
/// Every field is required: an index without one is from another version
/// (its `SCHEMA_VERSION` says so) or damaged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredManifest {
    pub corpus: Option<PathBuf>,
    #[serde(flatten)]
    pub user_files: UserFiles,
    pub scanned_at: u64,
    /// The [`StatDigest`] of the files.
    stat_digest: String,
    /// The files, packed by [`pack`].
    packed: String,
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

/// Why a stored manifest cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnpackError {
    /// Names a packing format this zhsearch does not know. A zhsearch that
    /// packs another way also writes another `SCHEMA_VERSION`, which is
    /// checked first; so in an index of this version it is damage (a byte
    /// changed), not a newer zhsearch.
    UnknownFormat(u8),
    /// Not what any zhsearch writes: damaged.
    Corrupt(String),
}

impl fmt::Display for UnpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnpackError::UnknownFormat(format) => write!(
                f,
                "its list of files names packing format {format}, which no zhsearch \
                 of this index version writes"
            ),
            UnpackError::Corrupt(cause) => f.write_str(cause),
        }
    }
}

impl std::error::Error for UnpackError {}

impl StoredManifest {
    /// The manifest stored for `manifest`.
    pub fn new(manifest: &Manifest) -> Self {
        StoredManifest {
            corpus: manifest.corpus.clone(),
            user_files: manifest.user_files.clone(),
            scanned_at: manifest.scanned_at,
            stat_digest: manifest.stat_digest(),
            packed: pack(&manifest.files),
        }
    }

    /// How the corpus differs from the manifest (see [`Manifest::changes`]).
    /// Runs before every search, so an unchanged corpus is told cheaply: its
    /// files are listed and stat'ed into a [`StatDigest`]; when that equals
    /// the stored one, the same files have the same stat, and only those
    /// whose stat proves nothing (modified within the racy window of the
    /// scan) are looked up and hashed. Otherwise the manifest is unpacked to
    /// say what changed. Fails with an [`UnpackError`] in the chain when the
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
                    Some(entry) if has_content(entry, &file.full_path()) => {}
                    _ => changes.changed.push(file.rel_path.clone()),
                }
            }
            changes.changed.sort();
        }
        Ok(changes)
    }

    /// The manifest, files unpacked.
    pub fn unpack(&self) -> Result<Manifest, UnpackError> {
        let files = unpack(&self.packed)?;
        Ok(Manifest {
            corpus: self.corpus.clone(),
            user_files: self.user_files.clone(),
            scanned_at: self.scanned_at,
            files,
        })
    }
}

/// The version byte that starts a packed file list. 2: skip reasons are
/// stored as [`SkipReason`] values, not as their messages.
const PACK_FORMAT: u8 = 2;

/// zstd level for the packed file list: higher levels gain at most 3% on it
/// (the hashes, two thirds of the packed bytes, do not compress), level 19
/// at 100× the time.
const PACK_LEVEL: i32 = 3;

/// Packs `files` into a string for the JSON payload: base64 of the format
/// byte followed by a zstd frame of the entries in columns (paths
/// front-coded, then sizes, mtimes as deltas, hashes, passage counts, skip
/// reasons), because like values side by side compress best. 27,413 files
/// take 0.46 MB this way instead of 1.8 MB of JSON rows; the 64-bit hashes
/// are most of it.
pub fn pack(files: &HashMap<String, FileEntry>) -> String {
    let mut files: Vec<(&String, &FileEntry)> = files.iter().collect();
    files.sort_unstable_by_key(|(path, _)| *path);
    let entries = || files.iter().map(|(_, entry)| *entry);
    let mut raw = Vec::with_capacity(files.len() * 24);
    put_varint(&mut raw, files.len() as u64);
    let mut previous: &[u8] = &[];
    for (path, _) in &files {
        let path = path.as_bytes();
        let shared = path
            .iter()
            .zip(previous)
            .take_while(|(a, b)| a == b)
            .count();
        put_varint(&mut raw, shared as u64);
        put_varint(&mut raw, (path.len() - shared) as u64);
        raw.extend_from_slice(&path[shared..]);
        previous = path;
    }
    for entry in entries() {
        put_varint(&mut raw, entry.size);
    }
    let mut previous = 0u64;
    for entry in entries() {
        // Files written together have close times: small deltas, either sign.
        let delta = entry.mtime.wrapping_sub(previous) as i64;
        put_varint(&mut raw, ((delta << 1) ^ (delta >> 63)) as u64);
        previous = entry.mtime;
    }
    for entry in entries() {
        raw.extend_from_slice(&entry.hash.to_le_bytes());
    }
    for entry in entries() {
        put_varint(&mut raw, u64::from(entry.passages));
    }
    let skipped: Vec<(usize, &SkipReason)> = entries()
        .enumerate()
        .filter_map(|(i, e)| Some((i, e.skipped.as_ref()?)))
        .collect();
    put_varint(&mut raw, skipped.len() as u64);
    for (i, reason) in skipped {
        put_varint(&mut raw, i as u64);
        put_reason(&mut raw, reason);
    }
    let mut bytes = vec![PACK_FORMAT];
    // Compressing to memory cannot fail (zstd only fails on bad parameters):
    // stored uncompressed should it ever, which `unpack` reads all the same.
    match zstd::bulk::compress(&raw, PACK_LEVEL) {
        Ok(compressed) => bytes.extend_from_slice(&compressed),
        Err(_) => bytes.extend_from_slice(&raw),
    }
    BASE64_STANDARD.encode(bytes)
}

/// Reads what [`pack`] wrote. Never panics: every length and count is checked
/// against the bytes there are.
pub fn unpack(packed: &str) -> Result<HashMap<String, FileEntry>, UnpackError> {
    let corrupt = |what: &str| UnpackError::Corrupt(format!("its list of files {what}"));
    let bytes = BASE64_STANDARD
        .decode(packed)
        .map_err(|_| corrupt("is not base64"))?;
    let (&format, frame) = bytes.split_first().ok_or_else(|| corrupt("is empty"))?;
    if format != PACK_FORMAT {
        return Err(UnpackError::UnknownFormat(format));
    }
    let raw = if frame.starts_with(&ZSTD_MAGIC) {
        zstd::stream::decode_all(frame).map_err(|_| corrupt("does not decompress"))?
    } else {
        frame.to_vec()
    };
    let mut r = Reader(&raw);
    let truncated = || corrupt("is truncated");
    let count = r.varint().ok_or_else(truncated)?;
    // Every file takes at least 11 bytes (hash and two varints): a count past
    // that is damage, and must not size an allocation.
    let count = usize::try_from(count)
        .ok()
        .filter(|&n| n <= raw.len() / 11)
        .ok_or_else(|| corrupt("has a wrong count"))?;
    let mut paths: Vec<String> = Vec::with_capacity(count);
    for _ in 0..count {
        let shared = r.len().ok_or_else(truncated)?;
        let suffix = r.len().and_then(|n| r.take(n)).ok_or_else(truncated)?;
        let previous = paths.last().map_or(&b""[..], |p| p.as_bytes());
        let prefix = previous
            .get(..shared)
            .ok_or_else(|| corrupt("has a bad path"))?;
        let path = String::from_utf8([prefix, suffix].concat())
            .map_err(|_| corrupt("has a path that is not UTF-8"))?;
        paths.push(path);
    }
    let sizes = (0..count)
        .map(|_| r.varint())
        .collect::<Option<Vec<u64>>>()
        .ok_or_else(truncated)?;
    let mut previous = 0u64;
    let mut mtimes = Vec::with_capacity(count);
    for _ in 0..count {
        let zigzag = r.varint().ok_or_else(truncated)?;
        let delta = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
        previous = previous.wrapping_add(delta as u64);
        mtimes.push(previous);
    }
    let hashes = (0..count)
        .map(|_| r.u64_le())
        .collect::<Option<Vec<u64>>>()
        .ok_or_else(truncated)?;
    let passages = (0..count)
        .map(|_| r.varint().and_then(|n| u32::try_from(n).ok()))
        .collect::<Option<Vec<u32>>>()
        .ok_or_else(truncated)?;
    let mut skipped: Vec<Option<SkipReason>> = vec![None; count];
    for _ in 0..r.varint().ok_or_else(truncated)? {
        let i = r.len().ok_or_else(truncated)?;
        let reason = r.reason().ok_or_else(|| corrupt("has a bad skip reason"))?;
        *skipped
            .get_mut(i)
            .ok_or_else(|| corrupt("skips a file it does not list"))? = Some(reason);
    }
    if !r.0.is_empty() {
        return Err(corrupt("has bytes past its end"));
    }
    Ok(paths
        .into_iter()
        .zip(sizes)
        .zip(mtimes)
        .zip(hashes)
        .zip(passages)
        .zip(skipped)
        .map(|(((((path, size), mtime), hash), passages), skipped)| {
            let entry = FileEntry {
                size,
                mtime,
                hash,
                passages,
                skipped,
            };
            (path, entry)
        })
        .collect())
}

/// The first bytes of a zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Appends `n` as LEB128: 7 bits a byte, low bits first.
fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Appends `reason`: a tag byte (its variant), then its fields (texts as a
/// length and UTF-8 bytes, numbers as varints).
fn put_reason(out: &mut Vec<u8>, reason: &SkipReason) {
    let put_text = |out: &mut Vec<u8>, tag: u8, text: &str| {
        out.push(tag);
        put_varint(out, text.len() as u64);
        out.extend_from_slice(text.as_bytes());
    };
    match reason {
        SkipReason::UnlistableFolder(err) => put_text(out, 0, err),
        SkipReason::BrokenLink(err) => put_text(out, 1, err),
        SkipReason::Unreadable(why) => put_text(out, 2, why),
        SkipReason::TooLarge { bytes } => {
            out.push(3);
            put_varint(out, *bytes);
        }
        SkipReason::Empty => out.push(4),
        SkipReason::OnlyWhitespace => out.push(5),
        SkipReason::Binary => out.push(6),
        SkipReason::BadByteOrderMark { invalid, bytes } => {
            out.push(7);
            put_varint(out, *invalid);
            put_varint(out, *bytes);
        }
        SkipReason::NotDecodable { encoding } => put_text(out, 8, encoding),
        SkipReason::NoText => out.push(9),
    }
}

/// Reads packed bytes front to back; `None` when they run out or are malformed.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.0.split_first()?;
            self.0 = rest;
            n |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    /// A varint that counts bytes or indexes a list.
    fn len(&mut self) -> Option<usize> {
        usize::try_from(self.varint()?).ok()
    }

    fn u64_le(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn text(&mut self) -> Option<String> {
        let n = self.len()?;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }

    /// What [`put_reason`] wrote.
    fn reason(&mut self) -> Option<SkipReason> {
        let (&tag, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(match tag {
            0 => SkipReason::UnlistableFolder(self.text()?),
            1 => SkipReason::BrokenLink(self.text()?),
            2 => SkipReason::Unreadable(self.text()?),
            3 => SkipReason::TooLarge {
                bytes: self.varint()?,
            },
            4 => SkipReason::Empty,
            5 => SkipReason::OnlyWhitespace,
            6 => SkipReason::Binary,
            7 => SkipReason::BadByteOrderMark {
                invalid: self.varint()?,
                bytes: self.varint()?,
            },
            8 => SkipReason::NotDecodable {
                encoding: self.text()?,
            },
            9 => SkipReason::NoText,
            _ => return None,
        })
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

    fn sample() -> Manifest {
        let mut manifest = Manifest {
            corpus: Some(PathBuf::from("/data/corpus")),
            user_files: UserFiles::default(),
            scanned_at: 42,
            files: HashMap::new(),
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

    fn through_json(stored: &StoredManifest) -> StoredManifest {
        serde_json::from_str(&serde_json::to_string(stored).unwrap()).unwrap()
    }

    #[test]
    fn round_trips_packed_through_json() {
        let manifest = sample();
        let stored = through_json(&StoredManifest::new(&manifest));
        let back = stored.unpack().unwrap();
        assert_eq!(back, manifest);
        assert_eq!(
            (back.articles(), back.passages()),
            (3, u32::MAX as usize + 4)
        );
        let empty = Manifest::default();
        assert_eq!(
            through_json(&StoredManifest::new(&empty)).unpack(),
            Ok(empty)
        );
    }

    #[test]
    fn packing_takes_few_bytes_per_file() {
        let mut manifest = Manifest::default();
        for i in 0..10_000u64 {
            let entry = FileEntry {
                hash: hash_bytes(&i.to_le_bytes()),
                ..entry(300 + i % 2000, 1_700_000_000_000_000_000 + i * 37_000)
            };
            manifest.files.insert(format!("{i}.txt"), entry);
        }
        let packed = pack(&manifest.files);
        // The 8-byte hash, base64-encoded, is 10.7 of these bytes.
        assert!(packed.len() < 10_000 * 15, "{} bytes", packed.len());
        assert_eq!(unpack(&packed), Ok(manifest.files));
    }

    #[test]
    fn damaged_or_unknown_packing_is_an_error_not_a_panic() {
        let packed = pack(&sample().files);
        let bytes = BASE64_STANDARD.decode(&packed).unwrap();
        let mut raw = vec![PACK_FORMAT];
        raw.extend(zstd::stream::decode_all(&bytes[1..]).unwrap());
        assert_eq!(unpack(&BASE64_STANDARD.encode(&raw)), unpack(&packed));
        for cut in 0..raw.len() {
            let result = unpack(&BASE64_STANDARD.encode(&raw[..cut]));
            assert!(matches!(result, Err(UnpackError::Corrupt(_))), "{cut}");
        }
        // Any byte changed: an error or some manifest, never a panic.
        let mut state: u32 = 2_463_534_242;
        for _ in 0..2000 {
            let mut bad = raw.clone();
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let at = 1 + state as usize % (bad.len() - 1);
            bad[at] = (state >> 8) as u8;
            let _ = unpack(&BASE64_STANDARD.encode(&bad));
        }
        assert!(matches!(
            unpack("not base64!"),
            Err(UnpackError::Corrupt(_))
        ));
        assert!(matches!(unpack(""), Err(UnpackError::Corrupt(_))));
        let mut future = bytes.clone();
        future[0] = PACK_FORMAT + 1;
        assert_eq!(
            unpack(&BASE64_STANDARD.encode(&future)),
            Err(UnpackError::UnknownFormat(PACK_FORMAT + 1))
        );
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
