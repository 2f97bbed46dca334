//! Finding and reading the article files of a corpus folder.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use ignore::{WalkBuilder, WalkState};

use super::decode::{Decoded, decode};
use super::{Article, SkipReason, names, parse_article};

/// File extensions read as articles (plain text is Markdown too).
pub const ARTICLE_EXTENSIONS: &[&str] = &["md", "markdown", "txt"];

/// Larger files are skipped: no article is this long, and reading one would
/// cost memory out of proportion (a log or a dump saved as `.txt`).
pub const MAX_ARTICLE_BYTES: u64 = 256 * 1024 * 1024;

/// An article file found in the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Where to read it.
    pub full_path: PathBuf,
    /// Path relative to the corpus folder with `/` separators: the document
    /// id (names that are not UTF-8 escaped by [`names::escape`]).
    pub rel_path: String,
    /// Size in bytes when the folder was walked.
    pub size: u64,
    /// Modification time in nanoseconds since 1970 when the folder was walked
    /// (0 when unknown).
    pub mtime: u64,
}

impl SourceFile {
    /// The file name without extension: the title of last resort.
    pub fn stem(&self) -> String {
        Path::new(&self.rel_path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// A file that was not indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub rel_path: String,
    pub reason: SkipReason,
}

/// Lists the article files under `root`, sorted by relative path (see
/// [`list`] for what is walked).
pub fn walk(root: &Path, exclude: Option<&Path>) -> Result<(Vec<SourceFile>, Vec<Skipped>)> {
    let walked = walk_with_folders(root, exclude)?;
    Ok((walked.files, walked.skipped))
}

/// What [`walk_with_folders`] found: the article files sorted by relative
/// path, what was skipped, and the folders walked.
#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<SourceFile>,
    pub skipped: Vec<Skipped>,
    pub folders: Folders,
}

/// [`walk`], with the folders it walked and their mtimes.
pub fn walk_with_folders(root: &Path, exclude: Option<&Path>) -> Result<Walked> {
    let listing = list(root, exclude)?;
    let mut files: Vec<SourceFile> = (listing.files.into_iter())
        .map(Found::into_source_file)
        .collect();
    files.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    Ok(Walked {
        files,
        skipped: listing.skipped,
        folders: listing.folders,
    })
}

/// The folders a walk entered, by path relative to the corpus folder (`""`
/// is the corpus folder itself), each with its modification time in
/// nanoseconds since 1970 (0 when unknown). A folder's mtime moves when an
/// entry is added to it, removed from it or renamed in it, not when a file
/// in it is written in place.
pub type Folders = BTreeMap<String, u64>;

/// What [`list`] found.
#[derive(Default)]
pub struct Listing {
    /// The article files, in no particular order.
    pub files: Vec<Found>,
    /// The entries that could not be looked at.
    pub skipped: Vec<Skipped>,
    /// The folders walked.
    pub folders: Folders,
}

/// An article file found by [`list`].
pub struct Found {
    /// Path relative to the corpus folder with `/` separators: the document id.
    pub rel_path: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since 1970 (0 when unknown).
    pub mtime: u64,
    full_path: PathBuf,
}

impl Found {
    /// Where to read the file.
    pub fn full_path(&self) -> &Path {
        &self.full_path
    }

    pub fn into_source_file(self) -> SourceFile {
        SourceFile {
            full_path: self.full_path,
            rel_path: self.rel_path,
            size: self.size,
            mtime: self.mtime,
        }
    }
}

/// The name of the files that exclude parts of a corpus, in gitignore
/// syntax, read in every folder of the corpus (and only there).
pub const IGNORE_FILE: &str = ".zhsearchignore";

/// Lists the article files under `root`, in no particular order, the
/// entries that could not be looked at, and the folders walked.
///
/// Hidden entries (`.git`, editor files), `exclude` (the index folder, when
/// it lives inside the corpus) and whatever a [`IGNORE_FILE`] matches are not
/// walked; `.gitignore` and git's other excludes are not read (an article
/// folder kept in git must not lose files). Symbolic links are followed; a
/// link to a folder of the corpus is not (the folder is walked under its own
/// name), and a loop is never entered. Entries that cannot be listed are
/// reported as skipped rather than ending the walk.
///
/// It runs before every search (to tell whether the index is stale), so each
/// entry costs as little as it can: the `ignore` crate walks folders on
/// several threads (up to four), an entry's type comes with its listing,
/// and only article files are stat'ed.
pub fn list(root: &Path, exclude: Option<&Path>) -> Result<Listing> {
    walk_root(root)?;
    let canonical_root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let exclude = exclude.and_then(|p| fs::canonicalize(p).ok());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let mut builder = WalkBuilder::new(root);
    builder
        .standard_filters(false)
        .hidden(true)
        .follow_links(true)
        .threads(threads)
        .add_custom_ignore_filename(IGNORE_FILE)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if !is_dir {
                return has_article_extension(entry.path());
            }
            if entry.depth() == 0 {
                return true;
            }
            if let Some(exclude) = &exclude
                && Some(entry.file_name()) == exclude.file_name()
                && fs::canonicalize(entry.path()).ok().as_ref() == Some(exclude)
            {
                return false;
            }
            !(entry.path_is_symlink() && leads_into(entry.path(), &canonical_root))
        });
    let found = Mutex::new(Listing::default());
    builder.build_parallel().run(|| {
        Box::new(|result| {
            let outcome = match result {
                Ok(entry) => look_at(root, entry),
                Err(err) => trouble(root, err).map(Seen::Skipped),
            };
            if let Some(outcome) = outcome
                && let Ok(mut found) = found.lock()
            {
                match outcome {
                    Seen::File(file) => found.files.push(file),
                    Seen::Skipped(skipped) => found.skipped.push(skipped),
                    Seen::Folder(path, mtime) => {
                        found.folders.insert(path, mtime);
                    }
                }
            }
            WalkState::Continue
        })
    });
    Ok(found
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner()))
}

/// What the walk keeps of an entry.
enum Seen {
    File(Found),
    Skipped(Skipped),
    /// A folder: its relative path and mtime.
    Folder(String, u64),
}

/// What a walked entry is: an article file (stat'ed), a file that could not
/// be stat'ed, a folder (stat'ed), or nothing to keep.
fn look_at(root: &Path, entry: ignore::DirEntry) -> Option<Seen> {
    let file_type = entry.file_type()?;
    if file_type.is_dir() {
        let rel_path = if entry.depth() == 0 {
            String::new()
        } else {
            rel_path(root, entry.path())?
        };
        let mtime = entry.metadata().ok().and_then(|m| m.modified().ok());
        return Some(Seen::Folder(rel_path, mtime.map_or(0, nanos_since_epoch)));
    }
    if !file_type.is_file() {
        return None;
    }
    let rel_path = rel_path(root, entry.path())?;
    let meta = match entry.metadata() {
        Ok(meta) => meta,
        Err(_) => {
            let reason = SkipReason::unreadable(&io::Error::from(io::ErrorKind::NotFound));
            return Some(Seen::Skipped(Skipped { rel_path, reason }));
        }
    };
    Some(Seen::File(Found {
        rel_path,
        size: meta.len(),
        mtime: meta.modified().map_or(0, nanos_since_epoch),
        full_path: entry.into_path(),
    }))
}

/// The mtime of the folder at `rel_path` (as [`Folders`] names it) under
/// `root`, following links as the walk does; `None` when it cannot be
/// stat'ed or is no folder, and when its name was escaped (a backslash, or
/// bytes that are not UTF-8: see `names`), which is not worth undoing for
/// so rare a name: the caller then checks the long way.
pub fn folder_mtime(root: &Path, rel_path: &str) -> Option<u64> {
    if rel_path.contains('\\') {
        return None;
    }
    let path = root.join(rel_path);
    let meta = fs::metadata(path).ok().filter(fs::Metadata::is_dir)?;
    Some(meta.modified().map_or(0, nanos_since_epoch))
}

/// An entry the walk could not look at, as a skipped file or folder: a
/// broken link, a folder that cannot be listed. Loops (met at a link back
/// into a folder being walked) are not errors: the folder is walked once.
fn trouble(root: &Path, err: ignore::Error) -> Option<Skipped> {
    if is_loop(&err) {
        return None;
    }
    let path = error_path(&err)?;
    let rel_path = rel_path(root, path)?;
    let io_text = err
        .io_error()
        .map_or_else(|| err.to_string(), io::Error::to_string);
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let reason = if is_link {
        SkipReason::BrokenLink(io_text)
    } else if path.is_dir() {
        SkipReason::UnlistableFolder(io_text)
    } else {
        SkipReason::Unreadable(io_text)
    };
    Some(Skipped { rel_path, reason })
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        ignore::Error::Partial(errs) => errs.iter().any(is_loop),
        _ => false,
    }
}

/// The path an error of the walk is about, if it names one.
fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

/// Whether the link at `path` leads to `root` or a folder inside it that is
/// not hidden, which the walk reaches under its own name.
fn leads_into(path: &Path, root: &Path) -> bool {
    let Ok(target) = fs::canonicalize(path) else {
        return false;
    };
    target.strip_prefix(root).is_ok_and(|inside| {
        !inside
            .components()
            .any(|c| c.as_os_str().as_encoded_bytes().starts_with(b"."))
    })
}

/// The document id of the file at `path` under `root`: its path relative to
/// `root` with `/` separators, each name that is not UTF-8 escaped (see
/// `names`), so that no two files share one.
fn rel_path(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let mut rel_path = String::new();
    for component in relative.components() {
        if !rel_path.is_empty() {
            rel_path.push('/');
        }
        rel_path.push_str(&names::escape(component.as_os_str().as_encoded_bytes()));
    }
    (!rel_path.is_empty()).then_some(rel_path)
}

/// Checks that `root` is a folder that can be listed: a clear error otherwise.
pub fn walk_root(root: &Path) -> Result<()> {
    let meta = fs::metadata(root)
        .with_context(|| format!("cannot open corpus folder '{}'", root.display()))?;
    if !meta.is_dir() {
        bail!("corpus '{}' is not a folder", root.display());
    }
    fs::read_dir(root)
        .with_context(|| format!("cannot read corpus folder '{}'", root.display()))?;
    Ok(())
}

fn has_article_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ARTICLE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Nanoseconds since 1970 (0 for earlier times, read as "unknown").
pub fn nanos_since_epoch(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Reads and parses one article; `Err` is why to skip it.
pub fn read_article(file: &SourceFile) -> Result<Article, SkipReason> {
    let text = decode_article(read_bytes(file)?)?.text;
    let article = parse_article(&file.rel_path, &file.stem(), &text);
    if article.passages.is_empty() {
        return Err(SkipReason::NoText);
    }
    Ok(article)
}

/// Room left after a file's bytes when they are read, so that repairing
/// damaged UTF-8 in place (U+FFFD is up to two bytes longer than what it
/// replaces) does not move a huge file to a bigger buffer.
const REPAIR_HEADROOM: usize = 4096;

/// The raw bytes of an article file; `Err` is why to skip it.
pub fn read_bytes(file: &SourceFile) -> Result<Vec<u8>, SkipReason> {
    if file.size > MAX_ARTICLE_BYTES {
        return Err(SkipReason::TooLarge { bytes: file.size });
    }
    let mut bytes = Vec::with_capacity(file.size as usize + REPAIR_HEADROOM);
    fs::File::open(&file.full_path)
        .and_then(|f| f.take(MAX_ARTICLE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|err| SkipReason::unreadable(&err))?;
    if bytes.len() as u64 > MAX_ARTICLE_BYTES {
        let bytes = bytes.len() as u64;
        return Err(SkipReason::TooLarge { bytes });
    }
    Ok(bytes)
}

/// The text of an article file from its bytes, and how it was decoded;
/// `Err` is why to skip it (empty, binary, not decodable).
pub fn decode_article(bytes: Vec<u8>) -> Result<Decoded, SkipReason> {
    if bytes.is_empty() {
        return Err(SkipReason::Empty);
    }
    let decoded = decode(bytes)?;
    if decoded.text.trim().is_empty() {
        return Err(SkipReason::OnlyWhitespace);
    }
    Ok(Decoded {
        text: lone_cr_to_lf(decoded.text),
        ..decoded
    })
}

/// Turns old-Mac line ends (a lone `\r`) into `\n`: the Markdown parser
/// mishandles some blocks (code fences) after a lone `\r`. Lines are counted
/// the same either way, so line numbers do not move.
fn lone_cr_to_lf(text: String) -> String {
    let bytes = text.as_bytes();
    let lone = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    if !(0..bytes.len()).any(lone) {
        return text;
    }
    let mut out = text.into_bytes();
    for i in 0..out.len() {
        if out[i] == b'\r' && out.get(i + 1) != Some(&b'\n') {
            out[i] = b'\n';
        }
    }
    // Only ASCII bytes were replaced by ASCII bytes.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_big_folder_is_walked_whole_whichever_thread_stats_what() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut expected = Vec::new();
        for i in 0..3000 {
            let name = format!("{i:05}.md");
            fs::write(root.join(&name), "x".repeat(i % 7)).unwrap();
            expected.push((name, (i % 7) as u64));
        }
        fs::create_dir(root.join("sub")).unwrap();
        fs::write(root.join("sub/a.txt"), "abc").unwrap();
        expected.push(("sub/a.txt".into(), 3));
        fs::write(root.join("notes.pdf"), "not an article").unwrap();
        fs::write(root.join(".hidden.md"), "hidden").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("sub", root.join("linked")).unwrap();
            std::os::unix::fs::symlink("nowhere.md", root.join("broken.md")).unwrap();
            // The linked folder is the one already walked as `sub`.
        }
        expected.sort();
        let (files, skipped) = walk(root, None).unwrap();
        let found: Vec<(String, u64)> = files.into_iter().map(|f| (f.rel_path, f.size)).collect();
        assert_eq!(found, expected);
        #[cfg(unix)]
        {
            assert_eq!(skipped.len(), 1, "{skipped:?}");
            assert_eq!(skipped[0].rel_path, "broken.md");
            assert!(matches!(skipped[0].reason, SkipReason::BrokenLink(_)));
        }
    }
}
