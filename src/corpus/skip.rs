//! Why a file of the corpus is not in the index.
//!
//! A [`SkipReason`] is what `zhsearch index` tells the user about a file it
//! left out (`skipped a.md: empty file`), and what the index's manifest
//! remembers about it. It is a value rather than its message because the
//! update branches on it: a file that could not be read is tried again even
//! when its stat did not change (permissions change without touching the
//! modification time), while a file that was empty or binary is not re-read
//! until it changes.

use std::fmt;
use std::io;

use serde::{Deserialize, Serialize};

use super::MAX_ARTICLE_BYTES;

/// Why a file (or folder) of the corpus was not indexed. Its `Display` is the
/// one-line message shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkipReason {
    /// A folder that could not be listed; the I/O error's text.
    UnlistableFolder(String),
    /// A symbolic link that leads nowhere; the I/O error's text.
    BrokenLink(String),
    /// The file could not be opened or read: why, in a few words
    /// (`permission denied`, `the file disappeared`, or the I/O error's text).
    Unreadable(String),
    /// Over [`MAX_ARTICLE_BYTES`]: `bytes` long.
    TooLarge { bytes: u64 },
    /// No bytes at all.
    Empty,
    /// Only whitespace.
    OnlyWhitespace,
    /// NUL bytes near the start, and not UTF-16.
    Binary,
    /// A UTF-8 byte-order mark, then mostly bytes that are not UTF-8.
    BadByteOrderMark { invalid: u64, bytes: u64 },
    /// Neither UTF-8 nor valid in the encoding it looks like (`encoding`).
    NotDecodable { encoding: String },
    /// Read and parsed, but no passage came of it.
    NoText,
}

impl SkipReason {
    /// The reason for a file that failed to open or read with `err`.
    pub fn unreadable(err: &io::Error) -> Self {
        SkipReason::Unreadable(match err.kind() {
            io::ErrorKind::PermissionDenied => "permission denied".into(),
            io::ErrorKind::NotFound => "the file disappeared".into(),
            _ => err.to_string(),
        })
    }

    /// Whether the file could not be read at all, which is worth trying
    /// again even when its stat did not change.
    pub fn is_read_error(&self) -> bool {
        matches!(self, SkipReason::Unreadable(_))
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::UnlistableFolder(err) => write!(f, "cannot list folder: {err}"),
            SkipReason::BrokenLink(err) => write!(f, "broken symbolic link: {err}"),
            SkipReason::Unreadable(why) => write!(f, "cannot read: {why}"),
            SkipReason::TooLarge { bytes } => write!(
                f,
                "too large ({} MB; articles over {} MB are skipped)",
                bytes >> 20,
                MAX_ARTICLE_BYTES >> 20
            ),
            SkipReason::Empty => f.write_str("empty file"),
            SkipReason::OnlyWhitespace => f.write_str("empty file (only whitespace)"),
            SkipReason::Binary => f.write_str("binary file (contains NUL bytes)"),
            SkipReason::BadByteOrderMark { invalid, bytes } => write!(
                f,
                "not UTF-8 despite its byte-order mark ({invalid} of {bytes} bytes invalid)"
            ),
            SkipReason::NotDecodable { encoding } => write!(
                f,
                "cannot decode: not UTF-8, and not valid {encoding} either (save it as UTF-8)"
            ),
            SkipReason::NoText => f.write_str("no text to index (only headings, links or images)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_reads_as_the_message_users_know() {
        for (reason, message) in [
            (
                SkipReason::UnlistableFolder("Permission denied (os error 13)".into()),
                "cannot list folder: Permission denied (os error 13)",
            ),
            (
                SkipReason::BrokenLink("No such file or directory (os error 2)".into()),
                "broken symbolic link: No such file or directory (os error 2)",
            ),
            (
                SkipReason::unreadable(&io::Error::from(io::ErrorKind::PermissionDenied)),
                "cannot read: permission denied",
            ),
            (
                SkipReason::unreadable(&io::Error::from(io::ErrorKind::NotFound)),
                "cannot read: the file disappeared",
            ),
            (
                SkipReason::unreadable(&io::Error::other("disk on fire")),
                "cannot read: disk on fire",
            ),
            (
                SkipReason::TooLarge {
                    bytes: 300 << 20 | 5,
                },
                "too large (300 MB; articles over 256 MB are skipped)",
            ),
            (SkipReason::Empty, "empty file"),
            (SkipReason::OnlyWhitespace, "empty file (only whitespace)"),
            (SkipReason::Binary, "binary file (contains NUL bytes)"),
            (
                SkipReason::BadByteOrderMark {
                    invalid: 7,
                    bytes: 9,
                },
                "not UTF-8 despite its byte-order mark (7 of 9 bytes invalid)",
            ),
            (
                SkipReason::NotDecodable {
                    encoding: "GBK".into(),
                },
                "cannot decode: not UTF-8, and not valid GBK either (save it as UTF-8)",
            ),
            (
                SkipReason::NoText,
                "no text to index (only headings, links or images)",
            ),
        ] {
            assert_eq!(reason.to_string(), message);
            assert_eq!(
                reason.is_read_error(),
                message.starts_with("cannot read"),
                "{message}"
            );
        }
    }
}
