//! The on-disk index: a tantivy index of passages plus a record of how it was built.
//!
//! Every commit carries a JSON [`Payload`] as its tantivy commit payload, so it
//! is written atomically with the data (tantivy replaces `meta.json` by
//! rename). It holds:
//!
//! * an [`IndexInfo`]: the schema and analyzer versions and the dictionary
//!   that produced the terms. An index whose record does not match this build
//!   of zhsearch is refused with a rebuild hint, because its terms would
//!   silently miss queries analyzed the new way;
//! * the [`Manifest`] of the corpus files it holds (size, mtime, content hash),
//!   which makes updates incremental and lets `search` notice a changed corpus.
//!   Its list of files is packed (see [`StoredManifest`]): as JSON rows it made
//!   1.8 MB of `meta.json` for 27,000 files, read and parsed by every search.
//!
//! The manifest lives in the payload rather than in documents or a file of its
//! own because that is the one place tantivy commits atomically with the
//! passages. A search reads the payload once ([`read_payload`], before the
//! dictionary is loaded, since the corpus folder it names may hold a user
//! dictionary) and leaves the list of files packed unless the corpus changed.

pub(crate) mod files;
pub(crate) mod lock;
pub(crate) mod manifest;
pub mod passages;
pub(crate) mod readings;
pub(crate) mod schema;
pub(crate) mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tantivy::Index;

use crate::analysis::{self, Segmenters};
pub use lock::{LockBusy, Wait};
pub use manifest::{Changes, Manifest, StoredManifest, UnpackError, UserFiles};
pub use passages::{Passages, StoredPassage};
pub use readings::{READINGS_FILE, Readings, readings_of, searcher_commit_id};
pub use schema::{Fields, LINE_COLUMN, PATH_COLUMN, SCHEMA_VERSION, open as open_tantivy_index};
pub use writer::{Notice, Progress, Rebuilt, UpdateOptions, UpdateReport, update};

/// How an index was built, stored with every commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexInfo {
    pub schema_version: u32,
    pub analyzer_version: u32,
    /// Which dictionary segmented the words.
    pub dictionary: String,
}

impl IndexInfo {
    /// The record this build of zhsearch writes and expects with `segmenters`.
    pub fn current(segmenters: &Segmenters) -> Self {
        IndexInfo {
            schema_version: SCHEMA_VERSION,
            analyzer_version: analysis::ANALYZER_VERSION,
            dictionary: segmenters.dictionary().fingerprint().to_string(),
        }
    }
}

/// The tantivy commit payload: how the index was built and from which files.
#[derive(Debug)]
pub struct Payload {
    pub info: IndexInfo,
    /// Left packed: a search that finds the corpus unchanged never unpacks it.
    pub manifest: StoredManifest,
}

/// The payload as JSON: the [`IndexInfo`] fields at the top, readable by
/// anything, and the manifest with its files packed.
#[derive(Serialize, Deserialize)]
struct PayloadWire {
    #[serde(flatten)]
    info: IndexInfo,
    manifest: StoredManifest,
}

/// Only the [`IndexInfo`] of a payload: what can still be said of one that
/// is not a [`PayloadWire`].
#[derive(Deserialize)]
struct InfoWire {
    #[serde(flatten)]
    info: IndexInfo,
}

impl Payload {
    /// The payload this build of zhsearch writes for an index built the
    /// `info` way from the files in `manifest`, as JSON.
    pub fn json(info: &IndexInfo, manifest: &Manifest) -> serde_json::Result<String> {
        serde_json::to_string(&PayloadWire {
            info: info.clone(),
            manifest: StoredManifest::new(manifest),
        })
    }

    /// Reads the payload of the index in `dir` from `json`. One that is not
    /// what this zhsearch writes is explained by its version when it has
    /// one of another (older indexes kept no manifest, or another kind), and
    /// is damage when its version is this one.
    fn from_json(dir: &Path, json: &str) -> Result<Payload, OpenError> {
        if let Ok(wire) = serde_json::from_str::<PayloadWire>(json) {
            return Ok(Payload {
                info: wire.info,
                manifest: wire.manifest,
            });
        }
        Err(match serde_json::from_str::<InfoWire>(json) {
            Ok(InfoWire { info }) if info.schema_version != SCHEMA_VERSION => {
                OpenError::Incompatible {
                    dir: dir.to_path_buf(),
                    reason: format_mismatch(info.schema_version),
                }
            }
            Ok(_) => OpenError::damaged(dir, "its meta.json keeps no readable list of files"),
            Err(_) => OpenError::Incompatible {
                dir: dir.to_path_buf(),
                reason: "by another program or an unknown version of zhsearch".into(),
            },
        })
    }
}

/// An opened index, ready to search.
pub struct SearchIndex {
    /// The index folder.
    pub dir: PathBuf,
    pub index: Index,
    pub fields: Fields,
    pub info: IndexInfo,
    /// The corpus files the index holds.
    pub manifest: StoredManifest,
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

impl OpenError {
    /// Why the index cannot be used, without the advice (`it was built …`).
    pub fn reason(&self) -> String {
        match self {
            OpenError::Missing(_) => "it does not exist".into(),
            OpenError::Incompatible { reason, .. } => format!("it was built {reason}"),
            OpenError::Stale {
                found, expected, ..
            } => format!("it was built with dictionary '{found}' (now '{expected}')"),
            OpenError::Damaged { cause, .. } => format!("it is damaged ({cause})"),
        }
    }

    /// The error for a damaged index in `dir`.
    pub fn damaged(dir: &Path, cause: impl fmt::Display) -> Self {
        OpenError::Damaged {
            dir: dir.to_path_buf(),
            cause: one_line(&cause.to_string()),
        }
    }
}

/// A tantivy error message on one short line, naming the damaged file when
/// tantivy's message does (its `Debug`-formatted errors are unreadable).
fn one_line(message: &str) -> String {
    let file_named = |marker: &str| {
        let start = message.find(marker)? + marker.len();
        let end = message[start..].find('"')? + start;
        Some(&message[start..end])
    };
    if message.contains("FileDoesNotExist")
        && let Some(path) = file_named("FileDoesNotExist(\"")
    {
        return format!("file '{path}' is missing");
    }
    if let Some(path) = file_named("filepath: \"") {
        return format!("file '{path}' is corrupt");
    }
    let message = message
        .trim_start_matches("An IO error occurred: ")
        .trim_start_matches("Data corrupted: ");
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// Whether `dir` holds files of a tantivy index (with or without `meta.json`).
fn has_index_files(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        name == files::MANAGED_LIST || files::is_segment_file(&name)
    })
}

/// Whether `dir` holds a tantivy index at all.
pub fn exists(dir: &Path) -> bool {
    dir.join("meta.json").is_file()
}

/// Reads the payload of the index in `dir` from its `meta.json`, without
/// opening the index. A search reads it once, first: the corpus folder it
/// names decides which user dictionary to load, and [`open_with`] then checks
/// the index against that dictionary without reading it again.
pub fn read_payload(dir: &Path) -> Result<Payload, OpenError> {
    if !exists(dir) {
        if has_index_files(dir) {
            return Err(OpenError::damaged(dir, "its meta.json is missing"));
        }
        return Err(OpenError::Missing(dir.to_path_buf()));
    }
    /// Only the payload of tantivy's `meta.json`; the rest is tantivy's.
    #[derive(Deserialize)]
    struct Meta {
        payload: Option<String>,
    }
    let bytes = std::fs::read(dir.join("meta.json"))
        .map_err(|e| OpenError::damaged(dir, format!("cannot read its meta.json: {e}")))?;
    let meta: Meta = serde_json::from_slice(&bytes)
        .map_err(|e| OpenError::damaged(dir, format!("its meta.json is corrupt: {e}")))?;
    let payload = meta.payload.ok_or_else(|| OpenError::Incompatible {
        dir: dir.to_path_buf(),
        reason: "by another program or an unknown version of zhsearch".into(),
    })?;
    Payload::from_json(dir, &payload)
}

/// Opens the index in `dir`, checking it was built the way this zhsearch builds.
pub fn open(dir: &Path, segmenters: &Arc<Segmenters>) -> Result<SearchIndex, OpenError> {
    open_with(dir, read_payload(dir)?, segmenters)
}

/// Opens the index in `dir` whose payload [`read_payload`] returned, checking
/// it was built the way this zhsearch builds with `segmenters`.
pub fn open_with(
    dir: &Path,
    payload: Payload,
    segmenters: &Arc<Segmenters>,
) -> Result<SearchIndex, OpenError> {
    let expected = IndexInfo::current(segmenters);
    if payload.info.schema_version == expected.schema_version
        && payload.info.analyzer_version == expected.analyzer_version
        && payload.info.dictionary != expected.dictionary
    {
        return Err(OpenError::Stale {
            dir: dir.to_path_buf(),
            found: payload.info.dictionary,
            expected: expected.dictionary,
        });
    }
    if payload.info != expected {
        return Err(OpenError::Incompatible {
            dir: dir.to_path_buf(),
            reason: describe_mismatch(&payload.info, &expected),
        });
    }
    let damaged = |cause: String| OpenError::damaged(dir, cause);
    // Tantivy reads meta.json again: an update committed in between makes
    // the index newer than `payload`, which only decides the checks above
    // (an update keeps the dictionary) and the stale-index warning.
    let opened = crate::panic_guard::catch(|| schema::open(dir))
        .map_err(|panic| damaged(panic.to_string()))?;
    let index = opened.map_err(|e| damaged(e.to_string()))?;
    let fields = Fields::from_schema(&index.schema()).map_err(|e| damaged(e.to_string()))?;
    analysis::register_tokenizers(&index, segmenters);
    Ok(SearchIndex {
        dir: dir.to_path_buf(),
        index,
        fields,
        info: payload.info,
        manifest: payload.manifest,
    })
}

/// Checks every file of `index` before an update builds on it: opens every
/// segment the way a search does (missing or truncated files), then verifies
/// each file's checksum (garbage inside a file, which tantivy would otherwise
/// only trip over, or not notice, while searching). Reads the whole index
/// once, which an update can afford and a search could not.
pub fn check_segments(index: &Index) -> Result<(), SegmentError> {
    // Damaged data can make tantivy panic rather than fail.
    let check = std::panic::AssertUnwindSafe(|| check_segments_unguarded(index));
    crate::panic_guard::catch(check)
        .map_err(SegmentError::Panicked)
        .and_then(|checked| checked)
}

/// What [`check_segments`] or [`check_doc_counts`] found wrong with an
/// index's files. Its `Display` is the cause shown in "the index … is
/// damaged (…)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentError {
    /// tantivy could not open or read a part of the index: its message on
    /// one line (as `one_line` puts it).
    Unreadable(String),
    /// `meta.json` gives a segment (by ordinal) another number of passages
    /// than its files hold.
    DocCount {
        segment: usize,
        recorded: u32,
        found: u32,
    },
    /// The files (at least one, sorted) whose checksum fails.
    Checksum(Vec<String>),
    /// Reading the index made tantivy panic.
    Panicked(crate::panic_guard::Panic),
}

impl SegmentError {
    fn unreadable(err: impl fmt::Display) -> Self {
        SegmentError::Unreadable(one_line(&err.to_string()))
    }
}

impl fmt::Display for SegmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentError::Unreadable(message) => f.write_str(message),
            SegmentError::DocCount {
                segment,
                recorded,
                found,
            } => write!(
                f,
                "meta.json gives segment {segment} {recorded} passages, its files hold {found}"
            ),
            SegmentError::Checksum(names) => match names.as_slice() {
                [only] => write!(f, "file '{only}' fails its checksum"),
                [first, more @ ..] => write!(
                    f,
                    "file '{first}' and {} more fail their checksums",
                    more.len()
                ),
                [] => f.write_str("a file fails its checksum"),
            },
            SegmentError::Panicked(panic) => panic.fmt(f),
        }
    }
}

impl std::error::Error for SegmentError {}

/// Checks that each segment holds as many passages as `meta.json` says
/// (`max_doc`): a count edited or damaged there would make tantivy read
/// past, or short of, its real documents and answer silently wrong. Cheap:
/// the text field's norms are one byte per passage, so their length is
/// the segment's true count.
pub fn check_doc_counts(searcher: &tantivy::Searcher, fields: &Fields) -> Result<(), SegmentError> {
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let norms = segment
            .get_fieldnorms_reader(fields.text)
            .map_err(SegmentError::unreadable)?;
        if norms.num_docs() != segment.max_doc() {
            return Err(SegmentError::DocCount {
                segment: ord,
                recorded: segment.max_doc(),
                found: norms.num_docs(),
            });
        }
    }
    Ok(())
}

fn check_segments_unguarded(index: &Index) -> Result<(), SegmentError> {
    let reader = index.reader().map_err(SegmentError::unreadable)?;
    let searcher = reader.searcher();
    let fields = Fields::from_schema(&index.schema()).map_err(SegmentError::unreadable)?;
    check_doc_counts(&searcher, &fields)?;
    for segment in searcher.segment_readers() {
        passages::PassageFile::open(segment).map_err(SegmentError::unreadable)?;
    }
    let damaged = index
        .validate_checksum()
        .map_err(SegmentError::unreadable)?;
    let mut names: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
    names.sort();
    if names.is_empty() {
        Ok(())
    } else {
        Err(SegmentError::Checksum(names))
    }
}

fn describe_mismatch(found: &IndexInfo, expected: &IndexInfo) -> String {
    if found.schema_version != expected.schema_version {
        format_mismatch(found.schema_version)
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

/// Why an index of format `found` cannot be read by this zhsearch.
fn format_mismatch(found: u32) -> String {
    format!("with index format {found} (this zhsearch uses {SCHEMA_VERSION})")
}
