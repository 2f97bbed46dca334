//! The JSON wire format of `zhsearch search --json` and `--batch`.
//!
//! ## Wire format
//!
//! One object per query (`--json` prints one; `--batch` prints one per input
//! line, as JSON Lines, in input order):
//!
//! ```json
//! {
//!   "query": "eSIM 在线销户",
//!   "total": 12,
//!   "total_relation": "eq",
//!   "hits": [
//!     {
//!       "rank": 1,
//!       "score": 14.2,
//!       "path": "003_ff423b3c6d56b74a.txt",
//!       "line": 11,
//!       "title": "日本流量卡是否支持在线销户？深度解读",
//!       "heading": "在线销户的概念",
//!       "text": "whole passage …",
//!       "snippet": "…<mark>在线销户</mark>是指…"
//!     }
//!   ]
//! }
//! ```
//!
//! `total` counts every passage that can be returned, exactly up to 10,000
//! (`"total_relation": "eq"`), past that as the lower bound 10,000 (`"gte"`);
//! `hits` holds at most `--limit`. Past the first page (`--limit` above 10) the results also come
//! from the query expanded with related terms (`search::feedback`): `total`
//! then counts the passages matching either, and a hit matching only the
//! related terms has `"via": "feedback"` (the field is absent otherwise).
//! `snippet` is HTML: `&`, `<` and `>` of the passage are escaped and matches
//! are wrapped in `<mark>`…`</mark>`; `…` marks where the passage was cut.
//! `text`, `title` and `heading` are plain text. In `--batch` output a query
//! that cannot run has `"error": "<reason>"`, `total` 0 and no hits; a line
//! that is not UTF-8 is such a query (`"line 2 is not valid UTF-8"`), its
//! `query` the line with U+FFFD for each invalid sequence.
//!
//! With `--in` filters the object gains `"in": ["guides/esim", …]` (the
//! filters as given) and `"in_articles"`: how many indexed articles they
//! name; when that is 0 it also has `"notice"`, the sentence saying so
//! (`"No indexed article is under 'guides/x'."`), beside `total` 0. Without
//! filters the three are absent. `"notice"` also says when pinyin in the
//! query could not be read because the index has no readings yet.
//!
//! With `--explain` the object gains `"explain": {"normalized", "words",
//! "stopped", "grams", "phrases", "excluded", "expansions": [{"word",
//! "synonyms", "weight"}], "ignored", "common"}` and every hit gains
//! `"explain": {"bm25", "coverage", "score", "parts": [{"clause", "score",
//! "fields": [{"field", "term", "score"}]}]}` (see `search::explain`). With
//! `--timings` each object also has `"took_ms"`: the milliseconds spent
//! searching and building snippets (not reading input or writing JSON).
//!
//! The server (`zhsearch serve`) answers `/search` with the same object, and
//! always with `took_ms` and `"offset"`: how many hits of the ranking were
//! skipped before the first of `hits` (whose `rank` counts from `offset + 1`).

use std::path::Path;

use serde::Serialize;

use crate::index::{Rebuilt, UpdateReport};
use crate::search::explain::{HitReport, QueryReport};
use crate::search::{Hit, SearchResults, TotalRelation};

/// The answer to one query.
#[derive(Debug, Serialize)]
pub struct JsonResults<'a> {
    pub query: &'a str,
    /// Matching passages: exact when `total_relation` is `"eq"`, a lower
    /// bound (10,000) when it is `"gte"`, as Elasticsearch reports them.
    pub total: usize,
    pub total_relation: &'static str,
    /// The query with its variant spellings corrected (`身分证` → `身份证`),
    /// when the typed spelling is in no passage; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected: Option<&'a str>,
    pub hits: Vec<JsonHit<'a>>,
    /// With `--in`: the filters as given.
    #[serde(rename = "in", skip_serializing_if = "Option::is_none")]
    pub within: Option<&'a [String]>,
    /// With `--in`: how many indexed articles the filters name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_articles: Option<usize>,
    /// With `--in` naming no indexed article: the sentence that says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// With `--explain`: how the query was understood.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<&'a QueryReport>,
    /// With `--timings`: milliseconds to search and build the snippets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub took_ms: Option<f64>,
    /// From the server: the hits skipped before the first of `hits`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
}

/// One ranked passage.
#[derive(Debug, Serialize)]
pub struct JsonHit<'a> {
    pub rank: usize,
    pub score: f32,
    pub path: &'a str,
    pub line: u64,
    pub title: &'a str,
    pub heading: &'a str,
    pub text: &'a str,
    pub snippet: String,
    /// `"feedback"` for a passage found only through the query's related
    /// terms (past the first page); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<&'static str>,
    /// Near-duplicates of this passage folded into it (unless
    /// `--no-collapse`); absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<JsonDuplicate<'a>>,
    /// With `--explain`: why this passage scored so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<&'a HitReport>,
}

/// Where a near-duplicate of a hit is.
#[derive(Debug, Serialize)]
pub struct JsonDuplicate<'a> {
    pub path: &'a str,
    pub line: u64,
}

impl<'a> JsonResults<'a> {
    pub fn from_results(results: &'a SearchResults) -> Self {
        JsonResults {
            query: &results.query,
            total: results.total,
            total_relation: results.total_relation.as_str(),
            corrected: results.corrected.as_deref(),
            hits: results.hits.iter().map(JsonHit::from_hit).collect(),
            within: results.within.as_ref().map(|w| w.given.as_slice()),
            in_articles: results.within.as_ref().map(|w| w.articles),
            notice: results
                .within
                .as_ref()
                .and_then(|w| w.matched_nothing.as_deref())
                .or(results.notice.as_deref()),
            error: None,
            explain: results.report.as_ref(),
            took_ms: None,
            offset: None,
        }
    }

    /// The hits of `results` past the first `offset`, as a page of them.
    pub fn page(results: &'a SearchResults, offset: usize) -> Self {
        JsonResults {
            hits: results
                .hits
                .iter()
                .skip(offset)
                .map(JsonHit::from_hit)
                .collect(),
            offset: Some(offset),
            ..JsonResults::from_results(results)
        }
    }

    /// The object for a query that could not run.
    pub fn from_error(query: &'a str, error: String) -> Self {
        JsonResults {
            query,
            total: 0,
            total_relation: TotalRelation::Eq.as_str(),
            corrected: None,
            hits: Vec::new(),
            within: None,
            in_articles: None,
            notice: None,
            error: Some(error),
            explain: None,
            took_ms: None,
            offset: None,
        }
    }

    /// Adds the time the query took (`--timings`).
    pub fn with_time(mut self, took: std::time::Duration) -> Self {
        self.took_ms = Some(took.as_secs_f64() * 1000.0);
        self
    }
}

impl<'a> JsonHit<'a> {
    fn from_hit(hit: &'a Hit) -> Self {
        JsonHit {
            rank: hit.rank,
            score: hit.score,
            path: &hit.path,
            line: hit.line,
            title: &hit.title,
            heading: &hit.heading,
            text: &hit.text,
            snippet: hit.snippet.render("<mark>", "</mark>", escape_html),
            via: hit.via_feedback.then_some("feedback"),
            duplicates: hit
                .duplicates
                .iter()
                .map(|d| JsonDuplicate {
                    path: &d.path,
                    line: d.line,
                })
                .collect(),
            explain: hit.report.as_ref(),
        }
    }
}

/// What an update did (`POST /index`): the counts of `zhsearch index`'s
/// summary, the files it skipped or took note of, and the summary line.
#[derive(Debug, Serialize)]
pub struct JsonUpdate<'a> {
    /// The line `zhsearch index` prints.
    pub summary: String,
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
    pub skipped: Vec<JsonFileNote<'a>>,
    pub notices: Vec<JsonFileNote<'a>>,
    /// Why the index was built from scratch, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebuilt: Option<String>,
    pub articles: usize,
    pub passages: usize,
    pub elapsed_ms: f64,
}

/// A file an update skipped, or indexed with a notice.
#[derive(Debug, Serialize)]
pub struct JsonFileNote<'a> {
    pub path: &'a str,
    pub reason: String,
}

impl<'a> JsonUpdate<'a> {
    pub fn new(report: &'a UpdateReport, corpus: &Path, index_dir: &Path) -> Self {
        JsonUpdate {
            summary: crate::output::status::summary_line(report, corpus, index_dir),
            added: report.added,
            updated: report.updated,
            removed: report.removed,
            unchanged: report.unchanged,
            skipped: report
                .skipped
                .iter()
                .map(|s| JsonFileNote {
                    path: &s.rel_path,
                    reason: s.reason.to_string(),
                })
                .collect(),
            notices: report
                .notices
                .iter()
                .map(|n| JsonFileNote {
                    path: &n.rel_path,
                    reason: n.message.clone(),
                })
                .collect(),
            rebuilt: report.rebuilt.as_ref().map(|why| match why {
                Rebuilt::Requested => "asked for".to_string(),
                Rebuilt::Missing => "there was no index".to_string(),
                Rebuilt::Replaced(why) => why.clone(),
            }),
            articles: report.articles,
            passages: report.passages,
            elapsed_ms: report.elapsed.as_secs_f64() * 1000.0,
        }
    }
}

/// Escapes the characters that are markup in HTML text.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}
