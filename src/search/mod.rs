//! Searching the index: a query in, ranked passages with snippets out.

pub mod query;
pub mod rerank;
pub mod snippet;

use std::sync::Arc;

use anyhow::Result;
use tantivy::collector::{Count, TopDocs};
use tantivy::schema::Value;
use tantivy::{IndexReader, ReloadPolicy, TantivyDocument};

pub use query::{ParsedQuery, QueryError};
pub use snippet::{DEFAULT_SNIPPET_CHARS, Snippet};

use crate::analysis::{Segmenter, Synonyms};
use crate::index::{OpenError, SearchIndex};

/// One ranked passage.
#[derive(Debug, Clone)]
pub struct Hit {
    /// 1-based rank.
    pub rank: usize,
    pub score: f32,
    /// Article path relative to the corpus folder.
    pub path: String,
    /// 1-based line where the passage starts.
    pub line: u64,
    pub title: String,
    /// Heading breadcrumb, `a › b`; empty for text before the first heading.
    pub heading: String,
    /// The whole passage.
    pub text: String,
    pub snippet: Snippet,
}

/// The answer to one query.
#[derive(Debug, Clone)]
pub struct SearchResults {
    pub query: String,
    /// How many passages matched in all (hits holds at most the limit).
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Query words left out because the query was too long.
    pub ignored: Vec<String>,
}

/// Options of a search.
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    /// Most hits to return.
    pub limit: usize,
    /// Snippet length in characters.
    pub snippet_chars: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            snippet_chars: DEFAULT_SNIPPET_CHARS,
        }
    }
}

/// An open index with its reader: open once per process, search many times.
pub struct Engine {
    index: SearchIndex,
    reader: IndexReader,
    segmenter: Arc<Segmenter>,
    synonyms: Synonyms,
}

impl Engine {
    pub fn new(
        index: SearchIndex,
        segmenter: Arc<Segmenter>,
        synonyms: Synonyms,
    ) -> Result<Engine> {
        let reader = index
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| OpenError::damaged(&index.dir, e))?;
        Ok(Engine {
            index,
            reader,
            segmenter,
            synonyms,
        })
    }

    /// Runs one query. A query with nothing searchable fails with [`QueryError`];
    /// a failure to read the index (a damaged file, even one that makes tantivy
    /// panic) with [`OpenError::Damaged`].
    pub fn search(&self, raw: &str, options: SearchOptions) -> Result<SearchResults> {
        let run = std::panic::AssertUnwindSafe(|| self.search_unguarded(raw, options));
        match crate::panic_guard::catch(run) {
            Ok(result) => result,
            Err(message) => Err(OpenError::damaged(&self.index.dir, message).into()),
        }
    }

    fn search_unguarded(&self, raw: &str, options: SearchOptions) -> Result<SearchResults> {
        let fields = &self.index.fields;
        let parsed = ParsedQuery::parse(raw);
        let built = query::build(&parsed, &self.segmenter, &self.synonyms, fields)?;
        let searcher = self.reader.searcher();
        let limit = options.limit.max(1);
        let depth = limit.max(rerank::RERANK_DEPTH);
        let (total, top) = searcher
            .search(
                &built.query,
                &(Count, TopDocs::with_limit(depth).order_by_score()),
            )
            .map_err(|e| OpenError::damaged(&self.index.dir, e))?;
        let concepts = rerank::concepts(&built.terms.sequence, &self.synonyms);
        let mut candidates = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher
                .doc(address)
                .map_err(|e| OpenError::damaged(&self.index.dir, e))?;
            let text_of = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let (title, heading, text) = (
                text_of(fields.title),
                text_of(fields.heading),
                text_of(fields.text),
            );
            let score = rerank::rescore(score, &concepts, &title, &heading, &text);
            candidates.push((
                score,
                text_of(fields.path),
                doc.get_first(fields.line)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0),
                title,
                heading,
                text,
            ));
        }
        // Stable: equal scores keep tantivy's order.
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        candidates.truncate(limit);
        let mut needles: Vec<String> = built.terms.words.clone();
        needles.extend(built.phrases.iter().cloned());
        for (_, synonyms) in &built.expansions {
            needles.extend(synonyms.iter().cloned());
        }
        needles.extend(
            built
                .terms
                .grams
                .iter()
                .filter(|g| g.chars().count() == 1)
                .cloned(),
        );
        let hits = candidates
            .into_iter()
            .enumerate()
            .map(|(i, (score, path, line, title, heading, text))| {
                let mut snippet = snippet::make_snippet(&text, &needles, options.snippet_chars);
                if snippet.highlights.is_empty() {
                    snippet =
                        snippet::make_snippet(&text, &built.terms.grams, options.snippet_chars);
                }
                Hit {
                    rank: i + 1,
                    score,
                    path,
                    line,
                    title,
                    heading,
                    text,
                    snippet,
                }
            })
            .collect();
        Ok(SearchResults {
            query: raw.to_string(),
            total,
            hits,
            ignored: built.ignored,
        })
    }
}
