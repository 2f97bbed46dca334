//! Finding and reading the article files of a corpus folder.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

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
    let (found, skipped) = list(root, exclude)?;
    let mut files: Vec<SourceFile> = found.into_iter().map(Found::into_source_file).collect();
    files.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    Ok((files, skipped))
}

/// An article file found by [`list`]: its path is only built when asked for.
pub struct Found {
    /// Path relative to the corpus folder with `/` separators: the document id.
    pub rel_path: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since 1970 (0 when unknown).
    pub mtime: u64,
    entry: fs::DirEntry,
}

impl Found {
    /// Where to read the file.
    pub fn full_path(&self) -> PathBuf {
        self.entry.path()
    }

    pub fn into_source_file(self) -> SourceFile {
        SourceFile {
            full_path: self.full_path(),
            rel_path: self.rel_path,
            size: self.size,
            mtime: self.mtime,
        }
    }
}

/// Lists the article files under `root`, in no particular order, and the
/// entries that could not be looked at.
///
/// Hidden entries (`.git`, editor files) and `exclude` (the index folder, when it
/// lives inside the corpus) are not walked; symlinked folders are followed
/// once, so a symlink loop cannot hang the walk. Entries that cannot be listed
/// are reported as skipped rather than ending the walk.
///
/// It runs before every search (to tell whether the index is stale), so each
/// entry costs as little as it can: its type comes with the listing, so
/// folders and non-article files need no stat, an article is stat'ed relative
/// to its folder, and the stats, most of the time of a walk, are spread over
/// the cores.
pub fn list(root: &Path, exclude: Option<&Path>) -> Result<(Vec<Found>, Vec<Skipped>)> {
    walk_root(root)?;
    let exclude = exclude.and_then(|p| fs::canonicalize(p).ok());
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut seen_dirs = HashSet::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    let mut pending = Vec::new();
    while !stack.is_empty() {
        // List the folders (and the folders in them), keeping what needs a stat.
        while let Some((dir, rel_dir)) = stack.pop() {
            let canonical = fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
            if exclude.as_ref() == Some(&canonical) || !seen_dirs.insert(canonical) {
                continue;
            }
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(err) if rel_dir.is_empty() => {
                    return Err(err).with_context(|| {
                        format!("cannot read corpus folder '{}'", root.display())
                    });
                }
                Err(err) => {
                    skipped.push(Skipped {
                        rel_path: rel_dir,
                        reason: SkipReason::UnlistableFolder(err.to_string()),
                    });
                    continue;
                }
            };
            for entry in entries.flatten() {
                // The id of a name that is not UTF-8 is escaped, so that no
                // two files share one (see `names`).
                let file_name = entry.file_name();
                let name = names::escape(file_name.as_encoded_bytes()).into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let rel_path = if rel_dir.is_empty() {
                    name
                } else {
                    format!("{rel_dir}/{name}")
                };
                let file_type = entry.file_type().ok();
                if file_type.is_some_and(|t| t.is_dir()) {
                    stack.push((entry.path(), rel_path));
                    continue;
                }
                let is_article = has_article_extension(Path::new(&rel_path));
                if file_type.is_some_and(|t| t.is_file()) && !is_article {
                    continue;
                }
                pending.push(Pending {
                    is_link: file_type.is_none_or(|t| t.is_symlink()),
                    is_article,
                    rel_path,
                    entry,
                });
            }
        }
        let stats = stat_all(&pending);
        // Keep the articles; linked folders are listed in the next round.
        for (found, stat) in pending.drain(..).zip(stats) {
            let stat = match stat {
                Ok(stat) => stat,
                Err(err) => {
                    let reason = if found.is_link {
                        SkipReason::BrokenLink(err.to_string())
                    } else {
                        SkipReason::unreadable(&io::Error::from(io::ErrorKind::NotFound))
                    };
                    let rel_path = found.rel_path;
                    skipped.push(Skipped { rel_path, reason });
                    continue;
                }
            };
            if stat.is_dir {
                stack.push((found.entry.path(), found.rel_path));
            } else if stat.is_file && found.is_article {
                files.push(Found {
                    rel_path: found.rel_path,
                    size: stat.size,
                    mtime: stat.mtime,
                    entry: found.entry,
                });
            }
        }
    }
    Ok((files, skipped))
}

/// A listed entry that needs a stat: an article file, or a link (or an entry
/// of unknown type), which may lead to a file or a folder.
struct Pending {
    entry: fs::DirEntry,
    rel_path: String,
    is_link: bool,
    is_article: bool,
}

impl Pending {
    fn stat(&self) -> io::Result<Stat> {
        // Follow symlinks: a linked file or folder is part of the corpus.
        let meta = if self.is_link {
            fs::metadata(self.entry.path())
        } else {
            self.entry.metadata()
        }?;
        Ok(Stat {
            is_dir: meta.is_dir(),
            is_file: meta.is_file(),
            size: meta.len(),
            mtime: meta.modified().map_or(0, nanos_since_epoch),
        })
    }
}

/// What a walk needs of a stat, in a seventh of the room of `fs::Metadata`
/// (a stat of every file of the corpus is held at once).
struct Stat {
    is_dir: bool,
    is_file: bool,
    size: u64,
    mtime: u64,
}

/// Fewest stats worth one more thread (starting one costs about 50 stats).
const STATS_PER_THREAD: usize = 1024;

/// Stats `pending`, spread over up to four cores when there are many: the
/// kernel serves stats on several cores at once (27,413 files took 72 ms to
/// stat on one core of a 2-core VM, 37 ms on both).
fn stat_all(pending: &[Pending]) -> Vec<io::Result<Stat>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let threads = cores.min(pending.len() / STATS_PER_THREAD).max(1);
    let chunk_len = pending.len().div_ceil(threads).max(1);
    let stat = |chunk: &[Pending]| chunk.iter().map(Pending::stat).collect::<Vec<_>>();
    std::thread::scope(|scope| {
        let mut chunks = pending.chunks(chunk_len);
        let first = chunks.next().unwrap_or_default();
        let others: Vec<_> = chunks
            .map(|chunk| {
                let thread = std::thread::Builder::new().spawn_scoped(scope, move || stat(chunk));
                (chunk, thread)
            })
            .collect();
        let mut stats = stat(first);
        for (chunk, thread) in others {
            // A thread that could not start (or died): stat its share here.
            match thread.ok().and_then(|t| t.join().ok()) {
                Some(chunk_stats) => stats.extend(chunk_stats),
                None => stats.extend(stat(chunk)),
            }
        }
        stats
    })
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
        for i in 0..3 * STATS_PER_THREAD {
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
