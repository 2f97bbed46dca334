//! The on-disk index: a tantivy index of passages plus a record of how it was built.
//!
//! Every commit carries an [`IndexInfo`] as its tantivy commit payload, written
//! atomically with the data: the schema and analyzer versions and the
//! dictionary that produced the terms. An index whose record does not match
//! this build of zhsearch is refused with a rebuild hint, because its terms
//! would silently miss queries analyzed the new way.

pub mod schema;
pub mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tantivy::Index;

use crate::analysis::{self, Lexicon};
pub use schema::{Fields, SCHEMA_VERSION};
pub use writer::{BuildReport, build};

/// How an index was built, stored with every commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexInfo {
    pub schema_version: u32,
    pub analyzer_version: u32,
    /// Which dictionary segmented the words.
    pub dictionary: String,
}

impl IndexInfo {
    /// The record this build of zhsearch writes and expects with `lexicon`.
    pub fn current(lexicon: &Lexicon) -> Self {
        IndexInfo {
            schema_version: SCHEMA_VERSION,
            analyzer_version: analysis::ANALYZER_VERSION,
            dictionary: lexicon.dictionary().fingerprint().to_string(),
        }
    }
}

/// An opened index, ready to search.
pub struct SearchIndex {
    pub index: Index,
    pub fields: Fields,
    pub info: IndexInfo,
}

/// Why an index could not be opened; callers branch on `Missing` to build one.
#[derive(Debug)]
pub enum OpenError {
    /// No index in the folder.
    Missing(PathBuf),
    /// Built by another version of zhsearch or with other analysis settings.
    Incompatible { dir: PathBuf, reason: String },
    /// Built with another dictionary: its words no longer match how queries are segmented.
    Stale {
        dir: PathBuf,
        found: String,
        expected: String,
    },
    /// Present but unreadable or damaged.
    Damaged { dir: PathBuf, cause: String },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Missing(dir) => write!(
                f,
                "no index at '{}': run `zhsearch index` first",
                dir.display()
            ),
            OpenError::Incompatible { dir, reason } => write!(
                f,
                "the index at '{}' was built {reason}: run `zhsearch index --rebuild`",
                dir.display()
            ),
            OpenError::Stale {
                dir,
                found,
                expected,
            } => write!(
                f,
                "the index at '{}' is stale: it was built with dictionary '{found}', \
                 the dictionary is now '{expected}'; run `zhsearch index` to rebuild it",
                dir.display()
            ),
            OpenError::Damaged { dir, cause } => write!(
                f,
                "the index at '{}' is damaged ({cause}): run `zhsearch index --rebuild`",
                dir.display()
            ),
        }
    }
}

impl std::error::Error for OpenError {}

/// Whether `dir` holds a tantivy index at all.
pub fn exists(dir: &Path) -> bool {
    dir.join("meta.json").is_file()
}

/// Opens the index in `dir`, checking it was built the way this zhsearch builds.
pub fn open(dir: &Path, lexicon: &Arc<Lexicon>) -> Result<SearchIndex, OpenError> {
    if !exists(dir) {
        return Err(OpenError::Missing(dir.to_path_buf()));
    }
    let damaged = |cause: String| OpenError::Damaged {
        dir: dir.to_path_buf(),
        cause,
    };
    let index = Index::open_in_dir(dir).map_err(|e| damaged(e.to_string()))?;
    let metas = index.load_metas().map_err(|e| damaged(e.to_string()))?;
    let info: IndexInfo = metas
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or_else(|| OpenError::Incompatible {
            dir: dir.to_path_buf(),
            reason: "by another program or an unknown version of zhsearch".into(),
        })?;
    let expected = IndexInfo::current(lexicon);
    if info.schema_version == expected.schema_version
        && info.analyzer_version == expected.analyzer_version
        && info.dictionary != expected.dictionary
    {
        return Err(OpenError::Stale {
            dir: dir.to_path_buf(),
            found: info.dictionary,
            expected: expected.dictionary,
        });
    }
    if info != expected {
        return Err(OpenError::Incompatible {
            dir: dir.to_path_buf(),
            reason: describe_mismatch(&info, &expected),
        });
    }
    let fields = Fields::from_schema(&index.schema()).map_err(|e| damaged(e.to_string()))?;
    analysis::register_tokenizers(&index, lexicon);
    Ok(SearchIndex {
        index,
        fields,
        info,
    })
}

fn describe_mismatch(found: &IndexInfo, expected: &IndexInfo) -> String {
    if found.schema_version != expected.schema_version {
        format!(
            "with index format {} (this zhsearch uses {})",
            found.schema_version, expected.schema_version
        )
    } else if found.analyzer_version != expected.analyzer_version {
        format!(
            "with analyzer version {} (this zhsearch uses {})",
            found.analyzer_version, expected.analyzer_version
        )
    } else {
        format!(
            "with dictionary '{}' (now '{}')",
            found.dictionary, expected.dictionary
        )
    }
}
