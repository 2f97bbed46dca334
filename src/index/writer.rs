//! Building the index from a corpus folder.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tantivy::{Index, IndexWriter, TantivyDocument, doc};

use super::{Fields, IndexInfo};
use crate::analysis::{self, Lexicon};
use crate::corpus::{self, Article, Skipped};

/// Memory the tantivy writer may use for its buffers, in bytes, across threads.
const WRITER_BUDGET: usize = 96 * 1024 * 1024;

/// What a build did, for the summary line.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    pub articles: usize,
    pub passages: usize,
    pub skipped: Vec<Skipped>,
    pub elapsed: Duration,
}

/// Builds the index of `corpus_dir` into `index_dir` from scratch, replacing
/// what was there in one atomic commit (a crash leaves the previous index).
pub fn build(corpus_dir: &Path, index_dir: &Path, lexicon: &Arc<Lexicon>) -> Result<BuildReport> {
    let started = Instant::now();
    let (files, mut skipped) = corpus::walk(corpus_dir, Some(index_dir))?;
    if files.is_empty() && skipped.is_empty() {
        bail!(
            "corpus folder '{}' has no articles (.md, .markdown or .txt files)",
            corpus_dir.display()
        );
    }
    let (index, fields) = create_or_open(index_dir)?;
    analysis::register_tokenizers(&index, lexicon);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let mut writer: IndexWriter = index
        .writer_with_num_threads(threads, WRITER_BUDGET)
        .with_context(|| format!("cannot write the index at '{}'", index_dir.display()))?;
    writer.delete_all_documents()?;
    let mut report = BuildReport::default();
    for file in &files {
        match corpus::read_article(file) {
            Ok(article) => {
                report.passages += add_article(&writer, &fields, &article)?;
                report.articles += 1;
            }
            Err(reason) => skipped.push(Skipped {
                rel_path: file.rel_path.clone(),
                reason,
            }),
        }
    }
    let payload = serde_json::to_string(&IndexInfo::current(lexicon))?;
    let mut commit = writer.prepare_commit()?;
    commit.set_payload(&payload);
    commit.commit().context("cannot commit the index")?;
    writer.wait_merging_threads()?;
    report.skipped = skipped;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Adds one document per passage; returns how many.
fn add_article(writer: &IndexWriter, fields: &Fields, article: &Article) -> Result<usize> {
    for passage in &article.passages {
        let doc: TantivyDocument = doc!(
            fields.path => article.path.as_str(),
            fields.line => passage.line as u64,
            fields.title => article.title.as_str(),
            fields.heading => passage.breadcrumb(),
            fields.text => passage.text.as_str(),
            fields.chars => passage.text.as_str(),
        );
        writer.add_document(doc)?;
    }
    Ok(article.passages.len())
}

/// Opens the index in `dir` when its schema is ours, else starts a new one
/// (an incompatible or damaged index is replaced).
fn create_or_open(dir: &Path) -> Result<(Index, Fields)> {
    let (schema, fields) = Fields::build_schema();
    if super::exists(dir) {
        if let Ok(index) = Index::open_in_dir(dir)
            && index.schema() == schema
        {
            return Ok((index, fields));
        }
        clear_index_files(dir)?;
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create index folder '{}'", dir.display()))?;
    let index = Index::create_in_dir(dir, schema)
        .with_context(|| format!("cannot create an index in '{}'", dir.display()))?;
    Ok((index, fields))
}

/// Removes tantivy's files from `dir`, leaving anything else (e.g. `.gitkeep`).
fn clear_index_files(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name == "meta.json"
            || name == ".managed.json"
            || name.ends_with(".lock")
            || name.contains('.') && name.len() > 32;
        if ours && entry.path().is_file() {
            std::fs::remove_file(entry.path()).with_context(|| {
                format!("cannot remove old index file {}", entry.path().display())
            })?;
        }
    }
    Ok(())
}
