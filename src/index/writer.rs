//! Bringing the index up to date with a corpus folder.
//!
//! **Incremental.** [`update`] compares the corpus with the index's
//! [`Manifest`]: new files are added, changed ones (by content hash) have
//! their passages deleted by path and added again, vanished ones are deleted,
//! and unchanged ones are not even read. The changes and the new manifest go
//! into one tantivy commit, which is atomic (tantivy switches `meta.json` by
//! rename): a run killed at any moment leaves the previous commit, complete
//! and searchable, and the next run simply does the work again.
//!
//! **From scratch.** With `--rebuild`, or when the index is missing,
//! incompatible or damaged, a new index is built beside the old one in
//! `INDEX/.zhsearch-build/` and then installed: its segment files are moved
//! in, then its `meta.json` replaces the old one by rename (the switch), then
//! the old files are deleted. Until the switch the old index is what searches
//! see; after it, the new one. Memory stays within the writer budget: tantivy
//! flushes segments to disk as its buffers fill, and only one article is held
//! in memory at a time.

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use tantivy::directory::{Directory, META_LOCK, MmapDirectory};
use tantivy::indexer::UserOperation;
use tantivy::schema::Term;
use tantivy::{Index, IndexWriter, TantivyDocument, doc};

use super::files::{self, is_segment_file, managed_files, sync_dir, write_managed};
use super::lock::{UpdateLock, Wait};
use super::manifest::{
    FileEntry, Manifest, RACY_WINDOW_NANOS, UserFiles, has_content, hash_bytes, is_settled,
    racy_window,
};
use super::{Fields, IndexInfo, OpenError, Payload};
use crate::analysis::{self, Segmenters};
use crate::corpus::{self, Article, SkipReason, Skipped, SourceFile};

/// Memory the tantivy writer may use for its buffers, in bytes, across threads.
pub const WRITER_BUDGET: usize = 96 * 1024 * 1024;

/// Where a from-scratch build is made before it replaces the index.
pub const STAGING_DIR: &str = ".zhsearch-build";

/// How to update.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Build from scratch even when the index could be updated.
    pub rebuild: bool,
    /// Wait for another update of the same index instead of failing.
    pub wait: Wait,
    /// The user files this update analyzes with, recorded in the index.
    pub user_files: UserFiles,
}

/// Why the whole index was built anew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebuilt {
    /// `--rebuild` was asked for.
    Requested,
    /// There was no index.
    Missing,
    /// The index could not be updated (incompatible or damaged): why.
    Replaced(String),
}

/// Where an update is, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// Another update holds the lock; waiting for it.
    Waiting,
    /// The corpus was listed: `files` article files.
    Scanned { files: usize },
    /// About to look at the `done`-th file (0-based) of the corpus.
    File { done: usize, path: &'a str },
    /// All files seen; committing (and merging) the index.
    Committing,
}

/// What an update did, for the summary line.
#[derive(Debug, Clone, Default)]
pub struct UpdateReport {
    /// Articles new to the index.
    pub added: usize,
    /// Articles whose content changed and were indexed again.
    pub updated: usize,
    /// Articles deleted from the index because their file is gone.
    pub removed: usize,
    /// Articles whose content did not change.
    pub unchanged: usize,
    /// Files not in the index, and why (including files that were before).
    pub skipped: Vec<Skipped>,
    /// Files indexed with something the user should know (bytes that were
    /// not valid UTF-8). Only files read in this run: an unchanged file is
    /// not read, so its notice was given when it was indexed.
    pub notices: Vec<Notice>,
    /// `Some` when the whole index was built anew.
    pub rebuilt: Option<Rebuilt>,
    /// Articles in the index afterwards.
    pub articles: usize,
    /// Passages in the index afterwards.
    pub passages: usize,
    pub elapsed: Duration,
}

/// Something to tell the user about a file that was indexed all the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub rel_path: String,
    /// A short sentence, e.g. `2 invalid UTF-8 bytes replaced`.
    pub message: String,
}

/// Brings the index in `index_dir` up to date with `corpus_dir` (see the
/// module docs). Fails when the corpus folder is missing, unreadable or has no
/// article files, and when another update holds the lock (unless waiting).
/// A panic inside tantivy (damaged segment data it trusted) is an error that
/// says to rebuild, like every other damage.
pub fn update(
    corpus_dir: &Path,
    index_dir: &Path,
    segmenters: &Arc<Segmenters>,
    options: UpdateOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<UpdateReport> {
    let guarded = crate::panic_guard::catch(std::panic::AssertUnwindSafe(|| {
        update_unlabelled(corpus_dir, index_dir, segmenters, options, progress)
    }));
    match guarded {
        Ok(Err(err)) if is_disk_full(&err) => Err(err.context(format!(
            "the disk holding '{}' is full: free some space, then run `zhsearch index` again \
             (the previous index is unchanged)",
            index_dir.display()
        ))),
        Ok(result) => result,
        Err(panic) => Err(anyhow::anyhow!(
            "the index at '{}' could not be updated ({panic}); it may be damaged: run \
             `zhsearch index --rebuild`",
            index_dir.display()
        )),
    }
}

/// Whether `err` comes from a full disk (or quota), however deep tantivy
/// wrapped it: its I/O errors reach us as text inside `TantivyError`.
fn is_disk_full(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| {
            io.kind() == std::io::ErrorKind::StorageFull
                || io.kind() == std::io::ErrorKind::QuotaExceeded
        }) || cause.to_string().contains("No space left on device")
    })
}

fn update_unlabelled(
    corpus_dir: &Path,
    index_dir: &Path,
    segmenters: &Arc<Segmenters>,
    options: UpdateOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<UpdateReport> {
    let started = Instant::now();
    if let (Ok(corpus), Ok(index)) = (fs::canonicalize(corpus_dir), fs::canonicalize(index_dir))
        && corpus == index
    {
        bail!(
            "the index folder '{}' is the corpus folder itself: pass an --index folder of its \
             own (the default is 'index')",
            index_dir.display()
        );
    }
    // List the corpus before creating anything: a missing or empty corpus
    // leaves no index folder behind.
    let mut scanned_at = corpus::nanos_since_epoch(SystemTime::now());
    let mut walked = corpus::walk_with_folders(corpus_dir, Some(index_dir))?;
    if walked.files.is_empty() && walked.skipped.is_empty() {
        bail!(
            "corpus folder '{}' has no articles (.md, .markdown or .txt files)",
            corpus_dir.display()
        );
    }
    let mut waited = false;
    let _lock = UpdateLock::acquire(index_dir, options.wait, || {
        waited = true;
        progress(Progress::Waiting);
    })?;
    if waited {
        // The other update may have taken a while: list again.
        scanned_at = corpus::nanos_since_epoch(SystemTime::now());
        walked = corpus::walk_with_folders(corpus_dir, Some(index_dir))?;
    }
    let corpus::Walked {
        files,
        skipped: walk_skipped,
        folders,
    } = walked;
    progress(Progress::Scanned { files: files.len() });
    files::remove_temp_files(index_dir);
    let staging = index_dir.join(STAGING_DIR);
    if staging.exists() {
        // Left by a run that was killed: its work is lost, the index is not.
        fs::remove_dir_all(&staging).with_context(|| {
            format!("cannot remove the unfinished build '{}'", staging.display())
        })?;
    }
    let manifest = Manifest {
        corpus: fs::canonicalize(corpus_dir).ok(),
        user_files: options.user_files.clone(),
        scanned_at,
        files: Default::default(),
        folders,
    };
    // Before anything is written: a killed run's files would collide with
    // the ones this run writes, or pile up run after run (see `files`).
    if let Ok(Ok(index)) = crate::panic_guard::catch(|| super::schema::open(index_dir)) {
        files::sweep(index_dir, &index)?;
    }
    let previous = if options.rebuild {
        Err(Rebuilt::Requested)
    } else {
        open_previous(index_dir, segmenters)
    };
    let mut report = match previous {
        Ok(previous) => {
            let mut pass = IndexPass::new(
                previous.index.clone(),
                Some(previous.manifest),
                manifest,
                segmenters,
            );
            let outcome = pass.index_files(&files, progress).and_then(|()| {
                pass.settle(corpus_dir, index_dir)?;
                if pass.changed() {
                    progress(Progress::Committing);
                    pass.commit()?;
                }
                Ok(())
            });
            if let Err(err) = outcome {
                // The commit did not happen: leave no files of it behind.
                drop(pass);
                let _ = files::sweep(index_dir, &previous.index);
                return Err(err);
            }
            pass.report.articles = pass.new.articles();
            pass.report.passages = pass.new.passages();
            pass.report
        }
        Err(why) => {
            let replaced = replaced_manifest(index_dir);
            fs::create_dir_all(&staging)
                .with_context(|| format!("cannot create '{}'", staging.display()))?;
            let (schema, _) = Fields::build_schema();
            let index = super::schema::builder()
                .schema(schema)
                .create_in_dir(&staging)
                .with_context(|| format!("cannot create an index in '{}'", staging.display()))?;
            let mut pass = IndexPass::new(index, None, manifest, segmenters);
            let outcome = pass.index_files(&files, progress).and_then(|()| {
                pass.settle(corpus_dir, index_dir)?;
                progress(Progress::Committing);
                pass.commit()
            });
            let mut report = pass.report;
            let new_manifest = pass.new;
            let installed = outcome.and_then(|()| install(&staging, index_dir));
            if let Err(err) = installed {
                // A build that failed (a full disk, say) must not keep
                // holding the space it took.
                let _ = fs::remove_dir_all(&staging);
                return Err(err);
            }
            if let Some(old) = &replaced {
                recount_against(&mut report, old, &new_manifest);
            }
            report.rebuilt = Some(why);
            report
        }
    };
    // After the commit, which it never holds up: a run killed here leaves
    // readings of the commit before, which the next run replaces.
    let index = super::schema::open(index_dir)
        .with_context(|| format!("cannot open the index in '{}'", index_dir.display()))?;
    let fields = Fields::from_schema(&index.schema())?;
    super::readings::refresh(index_dir, &index, &fields)?;
    report.skipped.extend(walk_skipped);
    report.skipped.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The list of files of the index a rebuild is about to replace, when it
/// can be read: read before the install, so the rebuild can say what
/// changed against it.
fn replaced_manifest(index_dir: &Path) -> Option<Manifest> {
    super::read_payload(index_dir).ok()?.manifest.unpack().ok()
}

/// Counts a rebuild's articles against the index it replaced, the way an
/// update would have: otherwise `search` says "2 removed" while the rebuild
/// that follows says "0 removed, 2000 added".
fn recount_against(report: &mut UpdateReport, old: &Manifest, new: &Manifest) {
    let indexed =
        |m: &Manifest, path: &str| m.files.get(path).filter(|e| e.is_indexed()).map(|e| e.hash);
    let (mut added, mut updated, mut unchanged) = (0, 0, 0);
    for (path, entry) in new.files.iter().filter(|(_, e)| e.is_indexed()) {
        match indexed(old, path) {
            None => added += 1,
            Some(hash) if hash == entry.hash => unchanged += 1,
            Some(_) => updated += 1,
        }
    }
    let removed = (old.files.iter())
        .filter(|(path, e)| e.is_indexed() && indexed(new, path).is_none())
        .count();
    report.added = added;
    report.updated = updated;
    report.unchanged = unchanged;
    report.removed = removed;
}

/// The index to update in place, with its manifest; else why to rebuild.
fn open_previous(index_dir: &Path, segmenters: &Arc<Segmenters>) -> Result<Previous, Rebuilt> {
    let opened = match super::open(index_dir, segmenters) {
        Ok(opened) => opened,
        Err(OpenError::Missing(_)) => return Err(Rebuilt::Missing),
        Err(err) => return Err(Rebuilt::Replaced(err.reason())),
    };
    let manifest = match opened.manifest.unpack() {
        Ok(manifest) => manifest,
        Err(err) => return Err(Rebuilt::Replaced(format!("it is damaged ({err})"))),
    };
    // Deleting by path reads every segment: make sure they are sound.
    if let Err(cause) = super::check_segments(&opened.index) {
        return Err(Rebuilt::Replaced(format!("it is damaged ({cause})")));
    }
    Ok(Previous {
        index: opened.index,
        manifest,
    })
}

/// An index to update in place.
struct Previous {
    index: Index,
    manifest: Manifest,
}

/// An index pass: one pass over the corpus files into one index, from
/// the first file read to the commit (an update or a from-scratch build).
struct IndexPass {
    index: Index,
    fields: Fields,
    writer: Option<IndexWriter>,
    old: Manifest,
    new: Manifest,
    /// Whether the old manifest had entries that were only hashed (racy) or
    /// whose stat changed: the new manifest must be saved even without new
    /// documents.
    manifest_dirty: bool,
    report: UpdateReport,
    /// How this pass analyzes text, recorded with its commit.
    info: IndexInfo,
    segmenters: Arc<Segmenters>,
    /// Bytes of articles this pass (re)indexes, which decide the writer's
    /// threads (see [`ONE_THREAD_BYTES`]).
    to_read: u64,
    /// Passages not yet given to the writer (see [`IndexPass::add_article`]).
    batch: Vec<TantivyDocument>,
}

/// Passages given to the writer's thread at once, in a pass that reads at
/// most [`ONE_THREAD_BYTES`] (see [`IndexPass::add_article`]).
const BATCH_PASSAGES: usize = 64;

/// Corpora of this many files or more wait out the racy window at the end
/// of an index run (see `IndexPass::settle`): walking and stat'ing 1,000
/// files takes a search about 2 ms, hashing them as many again.
pub const SETTLE_WAIT_FILES: usize = 1_000;

/// Bytes of articles to (re)index above which the whole dictionary is
/// loaded (0.1–0.2 s); below, each passage gets a jieba built from the
/// entries it contains, which segments the same. Both cost about the same
/// around 1 MB.
const FULL_DICTIONARY_BYTES: u64 = 1 << 20;

/// Bytes of articles to (re)index up to which the writer has one thread.
/// Each thread writes its own segment, so two threads made x1 (14.7 MB)
/// two segments: with one, its index was 19.7 MB instead of 21.0 (a term
/// dictionary per segment), `search --batch -n 10` over the 2,000
/// InsuranceQA questions 11% faster (p50 0.71 ms against 0.79), for the
/// same CPU (3.0 s against 3.2) and 0.7 s more wall time; an update adds
/// one segment, not two. One thread's share of [`WRITER_BUDGET`] holds
/// about 50 MB of articles before it writes a segment.
const ONE_THREAD_BYTES: u64 = 32 << 20;

impl IndexPass {
    fn new(
        index: Index,
        old: Option<Manifest>,
        new: Manifest,
        segmenters: &Arc<Segmenters>,
    ) -> Self {
        analysis::register_tokenizers(&index, segmenters);
        let (_, fields) = Fields::build_schema();
        IndexPass {
            index,
            fields,
            writer: None,
            manifest_dirty: old.is_none(),
            old: old.unwrap_or_default(),
            new,
            report: UpdateReport::default(),
            info: IndexInfo::current(segmenters),
            segmenters: Arc::clone(segmenters),
            to_read: 0,
            batch: Vec::new(),
        }
    }

    fn changed(&self) -> bool {
        let r = &self.report;
        self.manifest_dirty
            || r.added + r.updated + r.removed > 0
            || self.old.folders != self.new.folders
    }

    /// Makes the stat of what this pass saw within the racy window count, so
    /// that later checks need not hash those files (nor, for a search, walk
    /// the corpus): after the window has passed, the corpus is walked again,
    /// and each file modified within it is hashed once more. The same stat
    /// and content then prove the file settled (a later write moves its
    /// mtime), and the folders are recorded as this walk saw them. A file
    /// whose stat or content moved meanwhile keeps an unknown mtime, which
    /// no check trusts.
    ///
    /// Waiting out the window costs at most its length (see [`racy_window`]:
    /// 0.1 s where mtimes keep fractions of a second, else
    /// [`RACY_WINDOW_NANOS`]), and only a run that took less than that
    /// after the files were written. It is
    /// spent on corpora of [`SETTLE_WAIT_FILES`] files or more, where a
    /// search's whole check (walk and hashes) costs more than the 20 ms a
    /// search may take; below, the pass's own scan stands. A corpus that
    /// changed while the pass ran is left as that scan saw it.
    fn settle(&mut self, corpus_dir: &Path, index_dir: &Path) -> Result<()> {
        let scanned_at = self.new.scanned_at;
        let racy = |mtime: u64| mtime != 0 && !is_settled(mtime, scanned_at);
        let entries = self.new.files.values().map(|e| e.mtime);
        let Some(ready_at) = (entries.chain(self.new.folders.values().copied()))
            .filter(|&m| racy(m))
            .map(|m| m.saturating_add(racy_window(m) + 1))
            .max()
        else {
            return Ok(());
        };
        let now = corpus::nanos_since_epoch(SystemTime::now());
        if now < ready_at {
            let wait = ready_at - now;
            if self.new.files.len() < SETTLE_WAIT_FILES || wait > RACY_WINDOW_NANOS + 1 {
                // Too small to be worth the wait, or written in the future.
                return Ok(());
            }
            std::thread::sleep(Duration::from_nanos(wait));
        }
        let settled_at = corpus::nanos_since_epoch(SystemTime::now());
        let listing = corpus::list(corpus_dir, Some(index_dir))?;
        if listing.files.len() != self.new.files.len() {
            return Ok(());
        }
        let mut entries = Vec::with_capacity(listing.files.len());
        for file in &listing.files {
            match self.new.files.get(&file.rel_path) {
                Some(entry) => entries.push((file, entry)),
                None => return Ok(()),
            }
        }
        let moved: Vec<String> = (entries.into_iter())
            .filter(|(file, entry)| {
                if (entry.size, entry.mtime) != (file.size, file.mtime) {
                    return true;
                }
                racy(entry.mtime)
                    && file.size <= corpus::MAX_ARTICLE_BYTES
                    && !has_content(entry, file.full_path())
            })
            .map(|(file, _)| file.rel_path.clone())
            .collect();
        for path in moved {
            if let Some(entry) = self.new.files.get_mut(&path) {
                entry.mtime = 0;
            }
        }
        self.new.folders = listing.folders;
        self.new.scanned_at = settled_at;
        self.manifest_dirty = true;
        Ok(())
    }

    /// The writer, opened on first use (an update with nothing to do opens none).
    fn writer(&mut self) -> Result<&IndexWriter> {
        if self.writer.is_none() {
            let threads = if self.to_read <= ONE_THREAD_BYTES {
                1
            } else {
                std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
            };
            let writer = self
                .index
                .writer_with_num_threads(threads, WRITER_BUDGET)
                .context("cannot open the index for writing")?;
            self.writer = Some(writer);
        }
        Ok(self.writer.as_ref().expect("writer was just set"))
    }

    fn delete(&mut self, path: &str) -> Result<()> {
        let term = Term::from_field_text(self.fields.path, path);
        self.writer()?.delete_term(term);
        Ok(())
    }

    fn skip(&mut self, file: &SourceFile, hash: u64, reason: SkipReason) {
        self.report.skipped.push(Skipped {
            rel_path: file.rel_path.clone(),
            reason: reason.clone(),
        });
        let entry = FileEntry {
            size: file.size,
            mtime: file.mtime,
            hash,
            passages: 0,
            skipped: Some(reason),
        };
        self.new.files.insert(file.rel_path.clone(), entry);
    }

    fn index_files(
        &mut self,
        files: &[SourceFile],
        progress: &mut dyn FnMut(Progress),
    ) -> Result<()> {
        let to_read: u64 = files
            .iter()
            .filter(|f| {
                self.old
                    .files
                    .get(&f.rel_path)
                    .is_none_or(|entry| !self.old.is_fresh(entry, f))
            })
            .map(|f| f.size)
            .sum();
        self.to_read = to_read;
        if to_read > FULL_DICTIONARY_BYTES {
            self.segmenters.preload();
        }
        for (done, file) in files.iter().enumerate() {
            progress(Progress::File {
                done,
                path: &file.rel_path,
            });
            self.index_file(file)?;
        }
        let gone: Vec<(String, bool)> = self
            .old
            .files
            .iter()
            .filter(|(path, _)| !self.new.files.contains_key(*path))
            .map(|(path, entry)| (path.clone(), entry.is_indexed()))
            .collect();
        for (path, was_indexed) in gone {
            self.manifest_dirty = true;
            if was_indexed {
                self.delete(&path)?;
                self.report.removed += 1;
            }
        }
        Ok(())
    }

    fn index_file(&mut self, file: &SourceFile) -> Result<()> {
        let old = self.old.files.get(&file.rel_path).cloned();
        if let Some(entry) = &old
            && self.old.is_fresh(entry, file)
            && !entry.is_read_error()
        {
            self.keep(file, entry.clone());
            return Ok(());
        }
        self.manifest_dirty = true;
        let was_indexed = old.as_ref().is_some_and(FileEntry::is_indexed);
        let bytes = match corpus::read_bytes(file) {
            Ok(bytes) => bytes,
            Err(reason) => {
                if was_indexed {
                    self.delete(&file.rel_path)?;
                }
                self.skip(file, 0, reason);
                return Ok(());
            }
        };
        let hash = hash_bytes(&bytes);
        if let Some(entry) = &old
            && entry.hash == hash
            && !entry.is_read_error()
        {
            let entry = FileEntry {
                size: file.size,
                mtime: file.mtime,
                ..entry.clone()
            };
            self.keep(file, entry);
            return Ok(());
        }
        if was_indexed {
            self.delete(&file.rel_path)?;
        }
        let (text, notice) = match corpus::decode_article(bytes) {
            Ok(decoded) => {
                let notice = decoded.notice();
                (decoded.text, notice)
            }
            Err(reason) => {
                self.skip(file, hash, reason);
                return Ok(());
            }
        };
        // Piece by piece: a huge article never has all its passages in memory.
        let mut passages = 0u32;
        corpus::parse_article_in_pieces(
            &file.rel_path,
            &file.stem(),
            &text,
            corpus::PIECE_BYTES,
            |piece| -> Result<()> {
                passages = passages.saturating_add(self.add_article(&piece)?);
                Ok(())
            },
        )?;
        drop(text);
        if passages == 0 {
            self.skip(file, hash, SkipReason::NoText);
            return Ok(());
        }
        let entry = FileEntry {
            size: file.size,
            mtime: file.mtime,
            hash,
            passages,
            skipped: None,
        };
        self.new.files.insert(file.rel_path.clone(), entry);
        if let Some(message) = notice {
            let rel_path = file.rel_path.clone();
            self.report.notices.push(Notice { rel_path, message });
        }
        if was_indexed {
            self.report.updated += 1;
        } else {
            self.report.added += 1;
        }
        Ok(())
    }

    /// Records an unchanged file (indexed or skipped as before).
    fn keep(&mut self, file: &SourceFile, entry: FileEntry) {
        match &entry.skipped {
            Some(reason) => self.report.skipped.push(Skipped {
                rel_path: file.rel_path.clone(),
                reason: reason.clone(),
            }),
            None => self.report.unchanged += 1,
        }
        self.new.files.insert(file.rel_path.clone(), entry);
    }

    /// Adds one document per passage; returns how many.
    ///
    /// While the pass reads at most [`ONE_THREAD_BYTES`], the passages go to
    /// the writer's thread [`BATCH_PASSAGES`] at a time, else one by one.
    /// Reading outpaces indexing, so tantivy's queue (10,000 batches) stays
    /// full, and each batch sent wakes the reading thread once. A full queue
    /// then holds every article, so batches are kept to passes that small:
    /// on x10 (145 MB, two writer threads) one batch per article saved no
    /// CPU and raised the peak RSS from 292 to 393 MB.
    fn add_article(&mut self, article: &Article) -> Result<u32> {
        let fields = self.fields;
        let full = if self.to_read <= ONE_THREAD_BYTES {
            BATCH_PASSAGES
        } else {
            1
        };
        for passage in &article.passages {
            self.batch.push(doc!(
                fields.path => article.path.as_str(),
                fields.line => passage.line as u64,
                fields.title => article.title.as_str(),
                fields.heading => passage.breadcrumb(),
                fields.text => passage.text.as_str(),
                fields.chars => passage.text.as_str(),
            ));
            if self.batch.len() >= full {
                self.send_batch()?;
            }
        }
        Ok(u32::try_from(article.passages.len()).unwrap_or(u32::MAX))
    }

    /// Gives the writer the passages not yet given. A delete needs no batch
    /// sent before it: it removes another article's passages than those
    /// waiting, and theirs are stamped after it.
    fn send_batch(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        self.writer()?
            .run(batch.into_iter().map(UserOperation::Add))?;
        Ok(())
    }

    /// Commits the documents and the new manifest in one atomic step.
    fn commit(&mut self) -> Result<()> {
        self.send_batch()?;
        let payload = Payload::json(&self.info, &self.new)?;
        self.writer()?;
        let writer = self.writer.as_mut().expect("writer was just opened");
        let mut commit = writer.prepare_commit().context("cannot commit the index")?;
        commit.set_payload(&payload);
        commit.commit().context("cannot commit the index")?;
        if let Some(writer) = self.writer.take() {
            writer
                .wait_merging_threads()
                .context("cannot merge the index segments")?;
        }
        self.report.articles = self.new.articles();
        self.report.passages = self.new.passages();
        Ok(())
    }
}

/// Installs the index built in `staging` as the index in `index_dir`
/// (see the module docs for why each step is safe to be killed after).
fn install(staging: &Path, index_dir: &Path) -> Result<()> {
    let context = || format!("cannot install the new index in '{}'", index_dir.display());
    let new_files = managed_files(staging)?;
    let old_files = managed_files(index_dir).unwrap_or_default();
    // 1. Move the new segment files in; their names are unique, nothing is overwritten.
    for name in new_files.iter().filter(|n| *n != "meta.json") {
        fs::rename(staging.join(name), index_dir.join(name)).with_context(context)?;
    }
    // 2. Tantivy's list of its files: both sets, so whichever meta.json is in
    //    place after a crash, the next writer collects the other set's files.
    let union: HashSet<&String> = new_files.iter().chain(&old_files).collect();
    write_managed(index_dir, union).with_context(context)?;
    sync_dir(index_dir).with_context(context)?;
    // 3. The switch.
    fs::rename(staging.join("meta.json"), index_dir.join("meta.json")).with_context(context)?;
    sync_dir(index_dir).with_context(context)?;
    // 4. Delete the old files, holding tantivy's meta lock so that no search is
    //    between reading meta.json and opening the files it names.
    let directory = MmapDirectory::open(index_dir).with_context(context)?;
    let meta_lock = directory.acquire_lock(&META_LOCK).with_context(context)?;
    let keep: HashSet<&String> = new_files.iter().collect();
    for entry in fs::read_dir(index_dir).with_context(context)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = old_files.contains(&name) || is_segment_file(&name);
        if stale && !keep.contains(&name) {
            // A file that cannot be deleted is only wasted space.
            let _ = fs::remove_file(entry.path());
        }
    }
    write_managed(index_dir, keep).with_context(context)?;
    drop(meta_lock);
    let _ = fs::remove_dir_all(staging);
    Ok(())
}
