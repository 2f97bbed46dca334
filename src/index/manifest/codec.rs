//! The codec: how a [`Manifest`] is stored in the commit payload.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde::{Deserialize, Serialize};

use super::{FileEntry, Manifest, UserFiles};
use crate::corpus::{Folders, SkipReason};

/// The manifest as stored in the commit payload (JSON), its files packed.
///
/// `corpus` and `scanned_at` stay plain JSON so they can be read without
/// unpacking anything; the files are packed (see [`pack`]), because a corpus
/// of 27,000 files made 1.8 MB of JSON rows that every search read and parsed.
/// Every field but `folders` is required: an index without one is from
/// another version (its `SCHEMA_VERSION` says so) or damaged; one without
/// `folders` was written before they were kept, and is checked the long way.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredManifest {
    pub corpus: Option<PathBuf>,
    #[serde(flatten)]
    pub user_files: UserFiles,
    pub scanned_at: u64,
    /// The [`StatDigest`](super::StatDigest) of the files.
    pub(super) stat_digest: String,
    /// The files, packed by [`pack`].
    pub(super) packed: String,
    /// The folders walked and their mtimes: a handful in a corpus of
    /// thousands of files, so kept as plain JSON, read without unpacking.
    #[serde(default)]
    pub(super) folders: Folders,
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
            folders: manifest.folders.clone(),
        }
    }

    /// The manifest, files unpacked.
    pub fn unpack(&self) -> Result<Manifest, UnpackError> {
        let files = unpack(&self.packed)?;
        Ok(Manifest {
            corpus: self.corpus.clone(),
            user_files: self.user_files.clone(),
            scanned_at: self.scanned_at,
            files,
            folders: self.folders.clone(),
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
///
/// Kept hand-written after measuring a serializer on the same 27,413-file
/// manifest (#11; zstd level 3 and base64 for all, unpack to the map timed
/// over 20 runs, release build): this codec 459,716 bytes, 4.2 ms;
/// postcard of the same columns without front-coded paths 476,516 bytes
/// (+4%), 4.7 ms (+12%); postcard of rows 660,768 bytes (+44%), 7.7 ms.
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
    use super::super::hash_bytes;
    use super::super::tests::{entry, sample};
    use super::*;

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
}
