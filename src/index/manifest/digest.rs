//! The stat digest: one hash of the path, size and mtime of every file.
//!
//! A [`StatDigest`] of the files a manifest records is stored beside them;
//! a search computes one while stat'ing the corpus, and equal digests mean
//! the same files with the same stat, so the list of files stays packed.

use xxhash_rust::xxh3::xxh3_128;

use super::Manifest;

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

impl Manifest {
    /// The [`StatDigest`] of the files.
    pub fn stat_digest(&self) -> String {
        let mut digest = StatDigest::default();
        for (path, entry) in &self.files {
            digest.add(path, entry.size, entry.mtime);
        }
        digest.finish()
    }
}
