//! Searching the index: a query in, ranked passages with snippets out.

pub(crate) mod analyzed;
pub mod collapse;
pub(crate) mod explain;
pub(crate) mod feedback;
pub mod filter;
mod kept;
pub(crate) mod phrase;
pub(crate) mod prefix;
pub(crate) mod presence;
pub(crate) mod query;
pub(crate) mod ranking;
pub(crate) mod rerank;
pub(crate) mod snippet;
pub(crate) mod sound;
pub(crate) mod stats;
#[cfg(test)]
pub(crate) mod testing;
pub(crate) mod topk;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Result;
use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocSet, IndexReader, ReloadPolicy, Searcher, Term};

use crate::index::passages::{Passages, StoredPassage};

pub use analyzed::AnalyzedQuery;
pub use filter::{FilterError, Filters, Within};
pub use query::{MAX_WORDS, ParsedQuery, QueryError};
pub use snippet::{DEFAULT_SNIPPET_CHARS, Snippet};
pub use topk::{EXACT_TOTAL_UP_TO, TotalRelation};

use crate::analysis::{self, Segmenters, Synonyms};
use crate::index::{LINE_COLUMN, OpenError, PATH_COLUMN, Readings, SearchIndex};
use presence::Presence;

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
    /// Found only through the related terms of [`feedback`] (past the first
    /// page): the passage does not match the query as typed.
    pub via_feedback: bool,
    /// Near-duplicates of this passage ranked below it, folded into it
    /// (see [`collapse`]); empty with [`SearchOptions::collapse`] off.
    pub duplicates: Vec<Duplicate>,
    /// Why it scored so (with `--explain`).
    pub report: Option<explain::HitReport>,
}

/// Where a near-duplicate of a hit is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// Article path relative to the corpus folder.
    pub path: String,
    /// 1-based line where the passage starts.
    pub line: u64,
}

/// One ranked article: where its best passage ranks.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleHit {
    /// 1-based rank among articles.
    pub rank: usize,
    /// The score of the article's best passage.
    pub score: f32,
    /// Article path relative to the corpus folder.
    pub path: String,
}

/// The answer to one query.
#[derive(Debug, Clone)]
pub struct SearchResults {
    pub query: String,
    /// How many passages could be returned (hits holds at most the limit):
    /// those matching the query, and when [`feedback`] ran (past the first
    /// page), those matching its related terms. Exact up to
    /// [`EXACT_TOTAL_UP_TO`], then (see `total_relation`) a lower bound.
    pub total: usize,
    /// Whether `total` is exact or a lower bound.
    pub total_relation: TotalRelation,
    pub hits: Vec<Hit>,
    /// Query words left out because the query was too long.
    pub ignored: Vec<String>,
    /// The query with its variant spellings corrected, when a variant no
    /// passage has was searched as its standard form (`身分证` → `身份证`):
    /// what "Showing results for" names. `None` when nothing was corrected.
    pub corrected: Option<String>,
    /// How the query was understood (with `--explain`).
    pub report: Option<explain::QueryReport>,
    /// The `--in` filters and what they named; `None` without filters.
    pub within: Option<Within>,
    /// A sentence about how the query could not be read, for the user to
    /// act on: pinyin on an index with no readings (built by an older
    /// zhsearch) says to run `zhsearch index`.
    pub notice: Option<String>,
}

/// Said when a query has pinyin and the index no readings to read it by.
pub const NO_READINGS: &str = "This index has no pinyin readings yet, so pinyin in the query was searched as typed: \
     run `zhsearch index` to add them.";

/// Options of a search.
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    /// Most hits to return.
    pub limit: usize,
    /// Snippet length in characters.
    pub snippet_chars: usize,
    /// Explain the query and each hit's score.
    pub explain: bool,
    /// Fold near-duplicate passages into the best-ranked one (see [`collapse`]).
    pub collapse: bool,
    /// Read Latin words of consonants as the initials of Han words (`zx`:
    /// 注销; see [`sound::initials`]).
    pub pinyin_initials: bool,
    /// When to give up with [`TimedOut`]; `None` never does. tantivy cannot
    /// stop a running search, so the engine looks at the clock between its
    /// phases (after the query is built, after each ranking pass, between
    /// snippets): a search overruns its deadline by at most one phase.
    pub deadline: Option<Instant>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            snippet_chars: DEFAULT_SNIPPET_CHARS,
            explain: false,
            collapse: true,
            pinyin_initials: false,
            deadline: None,
        }
    }
}

/// A search stopped at its [`SearchOptions::deadline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the search took longer than its time limit")
    }
}

impl std::error::Error for TimedOut {}

/// Fails with [`TimedOut`] once `deadline` has passed.
fn check(deadline: Option<Instant>) -> Result<(), TimedOut> {
    match deadline {
        Some(deadline) if Instant::now() >= deadline => Err(TimedOut),
        _ => Ok(()),
    }
}

/// Memory for decompressed passages a single search keeps: the blocks of
/// its hits and of the passages that collapse and feedback read.
const ONE_QUERY_STORE_CACHE_BYTES: u64 = 4 * 1024 * 1024;
/// Memory for decompressed stored passages when serving many queries:
/// each block a hit is read from is decompressed once, not once per hit,
/// and a page of ten hits lies in ten blocks. At x10 (about 160 MB
/// decompressed) with tantivy's store of 64 KB blocks, `search --batch -n
/// 10` over the 2,000 InsuranceQA questions, three alternating runs each:
/// p50 2.77–2.89 ms with 64 MB, 2.48–2.56 with 128 MB, 2.36–2.43 with 256
/// MB, for a peak RSS of 407, 478 and 520 MB. A store that fits is held
/// whole.
pub const MANY_QUERIES_STORE_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// How many queries an [`Engine`] will answer, which decides what it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// One query: a small cache of passages.
    OneQuery,
    /// A batch, an eval or a server: up to [`MANY_QUERIES_STORE_CACHE_BYTES`]
    /// of decompressed passages, so each stored block is decompressed once
    /// rather than once per hit.
    ManyQueries,
}

/// An open index with its reader: open once per process, search many times.
pub struct Engine {
    index: SearchIndex,
    reader: IndexReader,
    /// The stored passages, with the blocks read so far.
    passages: Passages,
    segmenters: Arc<Segmenters>,
    synonyms: Synonyms,
    /// Read on first use by [`Engine::search_articles`], for the searcher
    /// of its generation.
    path_table: Mutex<Option<(kept::Generation, Arc<PathTable>)>>,
    /// Passages of the lone characters searched so far (see [`prefix`]).
    /// This and the next two are kept for the searcher they were filled
    /// from, and refill for another (see `kept::Generation`).
    prefixes: Arc<prefix::PrefixCache>,
    /// Document frequencies asked for so far.
    doc_freqs: stats::DocFreqs,
    /// Passages shown so far, normalized for their snippets.
    normalized: snippet::NormalizedPassages,
    /// [`ranking::PRUNE_FROM_POSTINGS`]; tests lower it to prune tiny indexes.
    prune_from_postings: u64,
    /// [`ranking::FIRST_PHASE_TERMS`]; tests raise it to find every match.
    first_phase_terms: usize,
    /// [`ranking::FIRST_PHASE_COMMON_SHARE`]; tests raise it to find every match.
    first_phase_common_share: f64,
    /// The last `--in` filters resolved, for the searcher they were
    /// resolved on: a batch or a server asks for the same ones again.
    last_filters: Mutex<Option<KeptFilters>>,
    /// The index's readings (see [`Readings`]), read on first use for the
    /// searcher of its generation; `None` inside when it has none.
    readings: Mutex<Option<KeptReadings>>,
    /// Whether queries search what they sound like ([`sound`]); tests turn
    /// it off to compare with the results without.
    hears_sounds: bool,
}

/// How long a searcher keeps readings of another commit before it looks
/// for the file of its own again.
const READINGS_RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// The readings read for the searcher of one generation.
struct KeptReadings {
    generation: kept::Generation,
    /// `None` when the index folder has none.
    readings: Option<Arc<Readings>>,
    /// Whether they are of the searcher's commit.
    current: bool,
    read_at: Instant,
}

/// Filters resolved on the searcher of one generation.
struct KeptFilters {
    generation: kept::Generation,
    given: Vec<String>,
    resolved: Arc<filter::Resolved>,
}

impl Engine {
    /// An engine on `index` for `workload`.
    pub fn new(
        index: SearchIndex,
        segmenters: Arc<Segmenters>,
        synonyms: Synonyms,
        workload: Workload,
    ) -> Result<Engine> {
        let dir = index.dir.clone();
        guarded(&dir, || {
            Self::new_unguarded(index, segmenters, synonyms, workload)
        })
    }

    fn new_unguarded(
        index: SearchIndex,
        segmenters: Arc<Segmenters>,
        synonyms: Synonyms,
        workload: Workload,
    ) -> Result<Engine> {
        let cache_bytes = match workload {
            Workload::ManyQueries => MANY_QUERIES_STORE_CACHE_BYTES,
            Workload::OneQuery => ONE_QUERY_STORE_CACHE_BYTES,
        };
        // tantivy's own store holds nothing: the passages are in ours.
        let reader = index
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(0)
            .try_into()
            .map_err(|e| OpenError::damaged(&index.dir, e))?;
        crate::index::check_doc_counts(&reader.searcher(), &index.fields)
            .map_err(|cause| OpenError::damaged(&index.dir, cause))?;
        Ok(Engine {
            index,
            reader,
            passages: Passages::new(cache_bytes),
            segmenters,
            synonyms,
            path_table: Mutex::new(None),
            prefixes: Arc::default(),
            doc_freqs: stats::DocFreqs::default(),
            normalized: snippet::NormalizedPassages::default(),
            prune_from_postings: ranking::PRUNE_FROM_POSTINGS,
            first_phase_terms: ranking::FIRST_PHASE_TERMS,
            first_phase_common_share: ranking::FIRST_PHASE_COMMON_SHARE,
            last_filters: Mutex::new(None),
            readings: Mutex::new(None),
            hears_sounds: true,
        })
    }

    /// The readings for `searcher`'s generation, read from the index
    /// folder on first use. An unreadable file only turns pinyin and
    /// homophones off: it is derived data the next update rewrites. An
    /// update writes it just after its commit, so a searcher that moved to
    /// the commit first reads the older file meanwhile, and looks again
    /// [`READINGS_RECHECK`] later.
    fn readings(&self, searcher: &Searcher) -> Option<Arc<Readings>> {
        let generation = kept::Generation::of(searcher);
        let mut kept = self.readings.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = kept.as_ref()
            && k.generation == generation
            && (k.current || k.read_at.elapsed() < READINGS_RECHECK)
        {
            return k.readings.clone();
        }
        let readings = Readings::open(&self.index.dir).ok().flatten().map(Arc::new);
        let commit = crate::index::searcher_commit_id(searcher);
        *kept = Some(KeptReadings {
            generation,
            current: readings.as_ref().is_some_and(|r| r.commit == commit),
            read_at: Instant::now(),
            readings: readings.clone(),
        });
        readings
    }

    /// `filters` resolved on `searcher`, kept for the next search with the
    /// same filters on the same generation.
    fn resolved(&self, searcher: &Searcher, filters: &Filters) -> Result<Arc<filter::Resolved>> {
        let generation = kept::Generation::of(searcher);
        let mut kept = self.last_filters.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = kept.as_ref()
            && k.generation == generation
            && k.given == filters.given()
        {
            return Ok(Arc::clone(&k.resolved));
        }
        let resolved = Arc::new(
            filters
                .resolve(searcher, self.index.fields.path)
                .map_err(|e| OpenError::damaged(&self.index.dir, e))?,
        );
        *kept = Some(KeptFilters {
            generation,
            given: filters.given().to_vec(),
            resolved: Arc::clone(&resolved),
        });
        Ok(resolved)
    }

    /// Runs one query. A query with nothing searchable fails with [`QueryError`];
    /// a failure to read the index (a damaged file, even one that makes tantivy
    /// panic) with [`OpenError::Damaged`].
    pub fn search(&self, raw: &str, options: SearchOptions) -> Result<SearchResults> {
        self.search_in(raw, &Filters::none(), options)
    }

    /// Runs one query on the part of the corpus `filters` name (all of it
    /// when there are none). Filters that name no indexed article are not
    /// an error: the answer has no hits and its [`Within`] says why.
    pub fn search_in(
        &self,
        raw: &str,
        filters: &Filters,
        options: SearchOptions,
    ) -> Result<SearchResults> {
        guarded(&self.index.dir, || {
            self.search_unguarded(raw, filters, options)
        })
    }

    fn search_unguarded(
        &self,
        raw: &str,
        filters: &Filters,
        options: SearchOptions,
    ) -> Result<SearchResults> {
        let fields = &self.index.fields;
        // One searcher for the whole search: every count, score and
        // passage below comes from the same commit.
        let searcher = self.reader.searcher();
        let parsed = ParsedQuery::parse(raw);
        let built = self.build(&searcher, &parsed, options.pinyin_initials)?;
        let resolved = if filters.is_empty() {
            None
        } else {
            Some(self.resolved(&searcher, filters)?)
        };
        let within = resolved.as_ref().map(|r| Within {
            given: filters.given().to_vec(),
            articles: r.paths.len(),
            matched_nothing: r.paths.is_empty().then(|| filters.matched_nothing()),
        });
        let report = options.explain.then(|| explain::QueryReport::new(&built));
        if within.as_ref().is_some_and(|w| w.articles == 0) {
            return Ok(SearchResults {
                query: raw.to_string(),
                total: 0,
                total_relation: TotalRelation::Eq,
                hits: Vec::new(),
                ignored: built.analyzed.ignored,
                corrected: None,
                report,
                within,
                notice: None,
            });
        }
        check(options.deadline)?;
        let limit = options.limit.max(1);
        let filter = resolved.as_deref();
        let generation = kept::Generation::of(&searcher);
        let mut runs = Runs::default();
        let mut ranking = self.rank(
            &searcher,
            &built,
            filter,
            limit,
            options.deadline,
            &mut runs,
        )?;
        let first_total = (ranking.total, ranking.total_relation);
        let mut duplicates: HashMap<DocAddress, Vec<Duplicate>> = HashMap::new();
        if options.collapse {
            let mut depth = limit;
            for round in 1..=COLLAPSE_ROUNDS {
                let collapsed = self.collapse(&searcher, &ranking.candidates, limit)?;
                let exhausted = ranking.candidates.len() < depth;
                if collapsed.kept.len() >= limit || exhausted || round == COLLAPSE_ROUNDS {
                    let mut kept = collapsed.kept.into_iter().peekable();
                    let mut i = 0;
                    ranking.candidates.retain(|_| {
                        let keep = kept.next_if_eq(&i).is_some();
                        i += 1;
                        keep
                    });
                    duplicates = collapsed.duplicates;
                    break;
                }
                // Ranks do not depend on the depth: a deeper ranking starts
                // with the same passages and has more to fill the page, so a
                // collapsed `-n 10` is the first ten of a collapsed `-n 100`
                // (and a server's pages follow on from one another).
                depth += limit.max(depth - collapsed.kept.len());
                check(options.deadline)?;
                ranking = self.rank(
                    &searcher,
                    &built,
                    filter,
                    depth,
                    options.deadline,
                    &mut runs,
                )?;
            }
        }
        // The count of the first ranking: a deeper one to fill a collapsed
        // page past rank 10 would also count the feedback terms' matches,
        // which `-n 10` never does.
        let (total, total_relation) = first_total;
        let Ranking {
            mut candidates,
            feedback,
            ..
        } = ranking;
        candidates.truncate(limit);
        let expanded: Vec<DocAddress> = candidates
            .iter()
            .filter(|c| c.expanded)
            .map(|c| c.address)
            .collect();
        let typed = self.matching(&searcher, built.query.as_ref(), &expanded)?;
        let needles = highlight_words(&built.analyzed);
        let mut hits = Vec::with_capacity(candidates.len());
        for (i, c) in candidates.into_iter().enumerate() {
            check(options.deadline)?;
            let passage = self.passage(&searcher, c.address)?;
            let text = passage.text;
            let normalized = self.normalized.get(generation, c.address, &text);
            let chars = options.snippet_chars;
            let mut snippet = snippet::make_snippet(&text, &normalized, &needles, chars);
            if snippet.highlights.is_empty() {
                snippet =
                    snippet::make_snippet(&text, &normalized, &built.analyzed.terms.grams, chars);
            }
            let report = options.explain.then(|| {
                let feedback = feedback
                    .as_ref()
                    .filter(|_| c.expanded)
                    .map(|f| (f.terms.as_slice(), f.query.as_ref()));
                let scores = explain::HitScore {
                    bm25: c.bm25,
                    coverage: c.coverage,
                    score: c.score,
                };
                explain::explain_hit(&searcher, fields, &built, feedback, c.address, scores)
            });
            hits.push(Hit {
                rank: i + 1,
                score: c.score,
                path: passage.path,
                line: passage.line,
                title: passage.title,
                heading: passage.heading,
                text,
                snippet,
                via_feedback: c.expanded && !typed.contains(&c.address),
                duplicates: duplicates.remove(&c.address).unwrap_or_default(),
                report,
            });
        }
        let corrected = corrected_query(raw, &built);
        Ok(SearchResults {
            corrected,
            query: raw.to_string(),
            total,
            total_relation,
            hits,
            ignored: built.analyzed.ignored,
            report,
            within,
            notice: built.unread_pinyin.then(|| NO_READINGS.to_string()),
        })
    }

    /// The `limit` best articles for a query, best first, without snippets:
    /// an article ranks where its best passage ranks. A query with nothing
    /// searchable fails with [`QueryError`].
    pub fn search_articles(&self, raw: &str, limit: usize) -> Result<Vec<ArticleHit>> {
        guarded(&self.index.dir, || {
            self.search_articles_unguarded(raw, limit)
        })
    }

    fn search_articles_unguarded(&self, raw: &str, limit: usize) -> Result<Vec<ArticleHit>> {
        let searcher = self.reader.searcher();
        let parsed = ParsedQuery::parse(raw);
        let built = self.build(&searcher, &parsed, false)?;
        let limit = limit.max(1);
        // Most articles have a few passages: start with a few per article and
        // look deeper only while passages of the same articles fill the list.
        let mut depth = limit * ranking::PASSAGES_PER_ARTICLE;
        let mut runs = Runs::default();
        loop {
            let ranking = self.rank(&searcher, &built, None, depth, None, &mut runs)?;
            let candidates = ranking.candidates;
            let exhausted = candidates.len() < depth;
            let paths = self.paths(&searcher, &candidates)?;
            let mut seen = HashSet::new();
            let mut articles: Vec<ArticleHit> = Vec::with_capacity(limit);
            for (c, path) in candidates.into_iter().zip(paths) {
                if !seen.insert(path.clone()) {
                    continue;
                }
                articles.push(ArticleHit {
                    rank: articles.len() + 1,
                    score: c.score,
                    path,
                });
                if articles.len() == limit {
                    break;
                }
            }
            if articles.len() == limit || exhausted {
                return Ok(articles);
            }
            depth *= ranking::PASSAGES_PER_ARTICLE;
        }
    }

    /// The index this engine searches, as it was when opened: its folder,
    /// how it was built and the files it held then.
    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Passages in the commit the engine now searches.
    pub fn passages(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Moves to the index's newest commit. Searches already running finish on
    /// the searcher they started with; later ones see the new commit whole
    /// (tantivy replaces a reader's searchers at once), and the kept values
    /// refill for it. Only for a commit built the way this engine analyzes
    /// queries (the same [`crate::index::IndexInfo`]): one built with another
    /// dictionary needs a new `Engine`.
    pub fn reload(&self) -> Result<()> {
        guarded(&self.index.dir, || {
            let damaged = |e: &dyn std::fmt::Display| OpenError::damaged(&self.index.dir, e);
            self.reader.reload().map_err(|e| damaged(&e))?;
            crate::index::check_doc_counts(&self.reader.searcher(), &self.index.fields)
                .map_err(|e| damaged(&e))?;
            Ok(())
        })
    }

    /// The paths of every indexed article, sorted.
    pub fn article_paths(&self) -> Result<Vec<String>> {
        guarded(&self.index.dir, || self.article_paths_unguarded())
    }

    fn article_paths_unguarded(&self) -> Result<Vec<String>> {
        let searcher = self.reader.searcher();
        let mut paths = BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment
                .inverted_index(self.index.fields.path)
                .map_err(|e| OpenError::damaged(&self.index.dir, e))?;
            let mut terms = inverted
                .terms()
                .stream()
                .map_err(|e| OpenError::damaged(&self.index.dir, e))?;
            while terms.advance() {
                paths.insert(String::from_utf8_lossy(terms.key()).into_owned());
            }
        }
        Ok(paths.into_iter().collect())
    }

    /// Analyzes a parsed query and builds its tantivy query against this
    /// index, reading consonant words as initials when `initials` is set.
    fn build(
        &self,
        searcher: &Searcher,
        parsed: &ParsedQuery,
        initials: bool,
    ) -> Result<query::BuiltQuery, QueryError> {
        let doc_freq = |field: tantivy::schema::Field, word: &str| {
            self.doc_freqs
                .get(searcher, &Term::from_field_text(field, word))
                .unwrap_or(0)
        };
        let fields = &self.index.fields;
        let word_docs = |word: &str| {
            [fields.text, fields.title, fields.heading]
                .into_iter()
                .map(|field| doc_freq(field, word))
                .max()
                .unwrap_or(0)
        };
        let gram_docs = |gram: &str| doc_freq(fields.chars, gram);
        let dictionary = self.segmenters.dictionary();
        let language = |word: &str| dictionary.freq(word).unwrap_or(0);
        let counts = sound::Counts {
            word: &word_docs,
            gram: &gram_docs,
            language: &language,
        };
        let unread_pinyin = std::cell::Cell::new(false);
        let hear = |normalized: &str, segmenter: &analysis::Segmenter| {
            if !self.hears_sounds {
                return Vec::new();
            }
            let load = || self.readings(searcher);
            let readings = sound::LazyReadings::new(&load);
            let mut heard = sound::pinyin(normalized, &readings, &counts);
            if heard.is_empty()
                && !analysis::pinyin::pinyin_runs(normalized).is_empty()
                && readings.get().is_none()
            {
                unread_pinyin.set(true);
            }
            heard.extend(sound::homophones(normalized, segmenter, &readings, &counts));
            if initials {
                heard.extend(sound::initials(normalized, &readings, &counts));
            }
            heard
        };
        let analyzed = AnalyzedQuery::new(parsed, &self.segmenters, &self.synonyms, &hear);
        let stats = query::TermStats {
            num_docs: searcher.num_docs(),
            doc_freq: &doc_freq,
            text: self.index.fields.text,
        };
        let mut built = query::build(analyzed, &self.index.fields, &stats, &self.prefixes)?;
        built.unread_pinyin = unread_pinyin.get();
        Ok(built)
    }

    /// The best `depth` passages (fewer when fewer match) and how many
    /// matched, among those `filter` (a clause scoring 0) matches, if given.
    ///
    /// The top [`ranking::RERANK_DEPTH`] by BM25 are re-scored by coverage and
    /// sorted; passages below them keep BM25 order after them, with scores
    /// capped so they never rise down the list. Past the first page (a
    /// `depth` above [`ranking::FIRST_PAGE`]) the results come from the
    /// query expanded by [`feedback`]. A passage's rank therefore does not
    /// depend on `depth`: `-n 10` shows the first ten of `-n 100`. The
    /// queries' runs are kept in `runs`, for a deeper ranking of the same
    /// search to reuse.
    fn rank(
        &self,
        searcher: &Searcher,
        built: &query::BuiltQuery,
        filter: Option<&filter::Resolved>,
        depth: usize,
        deadline: Option<Instant>,
        runs: &mut Runs,
    ) -> Result<Ranking> {
        let plan = Plan {
            whole: built.query.as_ref(),
            pruned: built.pruned.as_ref().map(Cow::Borrowed),
            filter,
        };
        let (total, mut candidates) =
            self.ranked(&mut runs.typed, searcher, &plan, built, depth)?;
        check(deadline)?;
        let mut ranking = Ranking {
            total: total.0,
            total_relation: total.1,
            candidates: Vec::new(),
            feedback: None,
        };
        if depth <= ranking::FIRST_PAGE || candidates.len() <= ranking::FIRST_PAGE {
            ranking.candidates = candidates;
            return Ok(ranking);
        }
        let Some(expansion) = self.expansion(searcher, built, &candidates)? else {
            ranking.candidates = candidates;
            return Ok(ranking);
        };
        check(deadline)?;
        let expanded = BooleanQuery::new(vec![
            (Occur::Should, built.query.box_clone()),
            (Occur::Should, expansion.query.box_clone()),
        ]);
        let pruned = built.pruned.as_ref().map(|p| {
            let mut terms = p.terms.clone();
            expansion.node.terms(&mut terms);
            let with_feedback =
                |node: &query::Node| query::Node::Sum(vec![node.clone(), expansion.node.clone()]);
            Cow::Owned(query::Pruned {
                terms,
                node: with_feedback(&p.node),
                count: with_feedback(&p.count),
                partial: p.partial,
            })
        });
        // The same filter: feedback only reorders and extends what is inside it.
        let plan = Plan {
            whole: &expanded,
            pruned,
            filter,
        };
        // Every passage the expanded query matches can be returned.
        let depth_with_feedback = depth + ranking::FIRST_PAGE;
        let (total, more) = self.ranked(
            &mut runs.expanded,
            searcher,
            &plan,
            built,
            depth_with_feedback,
        )?;
        check(deadline)?;
        (ranking.total, ranking.total_relation) = total;
        candidates.truncate(ranking::FIRST_PAGE);
        let first_page: HashSet<DocAddress> = candidates.iter().map(|c| c.address).collect();
        let floor = candidates.last().map_or(f32::MAX, |c| c.score);
        for mut c in more {
            if candidates.len() == depth {
                break;
            }
            if !first_page.contains(&c.address) {
                c.score = c.score.min(floor);
                c.expanded = true;
                candidates.push(c);
            }
        }
        ranking.candidates = candidates;
        ranking.feedback = Some(expansion);
        Ok(ranking)
    }

    /// The best `depth` passages of `plan` and how many it matches: from
    /// the run kept in `kept` when it fetched as many passages as this
    /// depth needs, else from a new run, which is kept there.
    fn ranked(
        &self,
        kept: &mut Option<Run>,
        searcher: &Searcher,
        plan: &Plan,
        built: &query::BuiltQuery,
        depth: usize,
    ) -> Result<(topk::Total, Vec<Candidate>)> {
        let fetch = depth.max(ranking::RERANK_DEPTH);
        let run = match kept.take() {
            Some(run) if run.fetch == fetch => run,
            _ => self.rank_query(searcher, plan, built, fetch)?,
        };
        let candidates = run.candidates[..depth.min(run.candidates.len())].to_vec();
        let total = run.total;
        *kept = Some(run);
        Ok((total, candidates))
    }

    /// The best `fetch` passages of `plan`, re-ranked by coverage (see
    /// [`Engine::rank`]), with how many passages it matches.
    fn rank_query(
        &self,
        searcher: &Searcher,
        plan: &Plan,
        built: &query::BuiltQuery,
        fetch: usize,
    ) -> Result<Run> {
        let damaged = |e: tantivy::TantivyError| OpenError::damaged(&self.index.dir, e);
        let stats = stats::KeptStats {
            searcher,
            doc_freqs: &self.doc_freqs,
        };
        let pruned = match &plan.pruned {
            Some(pruned) => self.run_pruned(searcher, &stats, pruned, plan.filter, fetch)?,
            None => None,
        };
        let (total, top) = match pruned {
            Some(found) => found,
            None => {
                let collector = (Count, TopDocs::with_limit(fetch).order_by_score());
                let whole = filtered(plan.whole.box_clone(), plan.filter);
                let (total, top) = searcher
                    .search_with_statistics_provider(whole.as_ref(), &collector, &stats)
                    .map_err(damaged)?;
                ((total, TotalRelation::Eq), top)
            }
        };
        let head = top.len().min(ranking::RERANK_DEPTH);
        let addresses: Vec<DocAddress> = top[..head].iter().map(|(_, a)| *a).collect();
        let mut presence = Presence::new(
            searcher,
            &self.index.fields,
            &self.prefixes,
            &self.doc_freqs,
            &addresses,
        );
        let coverages = rerank::coverages(&built.analyzed.concepts, head, |text| {
            presence.contains(text)
        })
        .map_err(damaged)?;
        let mut candidates: Vec<Candidate> = top
            .into_iter()
            .enumerate()
            .map(|(i, (bm25, address))| {
                let coverage = coverages.get(i).copied().unwrap_or(1.0);
                Candidate {
                    address,
                    bm25,
                    coverage,
                    expanded: false,
                    score: if i < head {
                        ranking::final_score(bm25, coverage)
                    } else {
                        bm25
                    },
                }
            })
            .collect();
        // Stable: equal scores keep tantivy's order.
        candidates[..head].sort_by(|a, b| b.score.total_cmp(&a.score));
        let (reranked, rest) = candidates.split_at_mut(head);
        self.break_ties(searcher, reranked)?;
        self.break_ties(searcher, rest)?;
        if let Some(floor) = candidates[..head].last().map(|c| c.score) {
            for c in &mut candidates[head..] {
                c.score = c.score.min(floor);
            }
        }
        score_uncovered(&mut candidates);
        Ok(Run {
            fetch,
            total,
            candidates,
        })
    }

    /// Which of `candidates` (in rank order) a page of `limit` shows, and the
    /// near-duplicates folded into each: a candidate that is a near-duplicate
    /// of one kept above it is listed under that one instead.
    fn collapse(
        &self,
        searcher: &Searcher,
        candidates: &[Candidate],
        limit: usize,
    ) -> Result<Collapsed> {
        let generation = kept::Generation::of(searcher);
        let mut kept: Vec<(usize, DocAddress)> = Vec::new();
        let mut page = collapse::Page::default();
        let mut duplicates: HashMap<DocAddress, Vec<Duplicate>> = HashMap::new();
        for (i, c) in candidates.iter().enumerate() {
            let passage = self.passage(searcher, c.address)?;
            let normalized = self.normalized.get(generation, c.address, &passage.text);
            let shingles = collapse::Shingles::of(normalized.as_str());
            match page.find(&shingles).map(|k| kept[k].1) {
                Some(above) => duplicates.entry(above).or_default().push(Duplicate {
                    path: passage.path,
                    line: passage.line,
                }),
                None => {
                    kept.push((i, c.address));
                    page.keep(shingles);
                    // Each candidate read costs a stored block: stop at a full page.
                    if kept.len() == limit {
                        break;
                    }
                }
            }
        }
        Ok(Collapsed {
            kept: kept.into_iter().map(|(i, _)| i).collect(),
            duplicates,
        })
    }

    /// The best `fetch` passages of a pruned plan (see [`topk`]) by their
    /// whole-query score, and the capped count of its matches; `None` when
    /// the query should run whole after all: its terms' postings are too few
    /// for pruning to pay ([`ranking::PRUNE_FROM_POSTINGS`]), or they found
    /// too few passages (see [`query::Pruned::partial`]). With a `filter`,
    /// both the first phase and the count require it; the candidates it
    /// finds then all match it, so the second phase's tree needs no part for it.
    fn run_pruned(
        &self,
        searcher: &Searcher,
        stats: &stats::KeptStats,
        pruned: &query::Pruned,
        filter: Option<&filter::Resolved>,
        fetch: usize,
    ) -> Result<Option<TopOfPlan>> {
        let damaged = |e: tantivy::TantivyError| OpenError::damaged(&self.index.dir, e);
        let docs = pruned
            .terms
            .iter()
            .map(|(term, _)| self.doc_freqs.get(searcher, term))
            .collect::<tantivy::Result<Vec<u64>>>()
            .map_err(damaged)?;
        if docs.iter().sum::<u64>() < self.prune_from_postings {
            return Ok(None);
        }
        let wanted = fetch.max(ranking::CANDIDATES);
        let terms = self.strongest_terms(searcher.num_docs(), &pruned.terms, &docs);
        let flat = topk::flat_query(&terms);
        let found = match filter {
            Some(inside)
                if !filter::intersect_first_phase(inside.passages, searcher.num_docs()) =>
            {
                topk::top_pruned_inside(searcher, stats, flat.as_ref(), inside, wanted)
                    .map_err(damaged)?
            }
            _ => {
                let first_phase = TopDocs::with_limit(wanted).order_by_score();
                let flat = filtered(flat, filter);
                searcher
                    .search_with_statistics_provider(flat.as_ref(), &first_phase, stats)
                    .map_err(damaged)?
            }
        };
        if pruned.partial && found.len() < wanted {
            return Ok(None);
        }
        let addresses: Vec<DocAddress> = found.iter().map(|(_, a)| *a).collect();
        let scores = topk::rescore(searcher, stats, &pruned.node, &addresses).map_err(damaged)?;
        let mut top: Vec<(f32, DocAddress)> = scores
            .into_iter()
            .zip(addresses)
            .filter_map(|(score, address)| Some((score?, address)))
            .collect();
        // As tantivy orders its top k: by score, then document.
        top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        top.truncate(fetch);
        // A term's document frequency says nothing of how many of its
        // passages are inside a filter.
        let mut sufficient = Vec::new();
        if filter.is_none() {
            pruned.count.sufficient_terms(&mut sufficient);
        }
        let count = filtered(pruned.count.query(), filter);
        let total = topk::count(searcher, count.as_ref(), &sufficient, EXACT_TOTAL_UP_TO)
            .map_err(damaged)?;
        Ok(Some((total, top)))
    }

    /// The first phase's terms: the [`ranking::FIRST_PHASE_TERMS`] that weigh
    /// most (weight times IDF, from each term's `docs`) when there are more;
    /// of those, the common ones are left out, the weakest first, while
    /// [`ranking::FIRST_PHASE_MIN_TERMS`] remain (see
    /// [`ranking::FIRST_PHASE_COMMON_SHARE`]).
    fn strongest_terms(
        &self,
        num_docs: u64,
        terms: &[(Term, f32)],
        docs: &[u64],
    ) -> Vec<(Term, f32)> {
        let common_from = self.first_phase_common_share * num_docs as f64;
        let mut weighed: Vec<(f32, bool, &(Term, f32))> = terms
            .iter()
            .zip(docs)
            .map(|(term, &docs)| {
                let weight = term.1 * ranking::idf(docs, num_docs);
                (weight, docs as f64 > common_from, term)
            })
            .collect();
        if weighed.len() > self.first_phase_terms {
            // Stable: equal weights keep the query's order.
            weighed.sort_by(|a, b| b.0.total_cmp(&a.0));
            weighed.truncate(self.first_phase_terms);
        }
        // The common terms, weakest first, as many as may go.
        let mut left_out: Vec<usize> = (0..weighed.len()).filter(|&i| weighed[i].1).collect();
        left_out.sort_by(|&a, &b| weighed[a].0.total_cmp(&weighed[b].0));
        left_out.truncate(weighed.len().saturating_sub(ranking::FIRST_PHASE_MIN_TERMS));
        (weighed.into_iter().enumerate())
            .filter(|(i, _)| !left_out.contains(i))
            .map(|(_, (_, _, term))| term.clone())
            .collect()
    }

    /// Orders runs of passages with the same score and BM25 by path, then
    /// line. Without it their order is tantivy's document order, which
    /// depends on how the writer's threads split the passages into segments:
    /// two builds of InsuranceQA ordered tied hits differently in 40 of the
    /// 2,000 validation queries. Only such runs move, so the ranking is
    /// otherwise untouched (equal scores with different BM25 keep BM25
    /// order, as the re-ranked head and the tail below it always did). Ties
    /// cut by tantivy's own top-k stay in document order. Paths are looked up
    /// one by one rather than through [`Engine::paths`]: its table reads every
    /// path of the index, too much for a one-off search with a few ties.
    fn break_ties(&self, searcher: &Searcher, candidates: &mut [Candidate]) -> Result<()> {
        let tie = |a: &Candidate, b: &Candidate| a.score == b.score && a.bm25 == b.bm25;
        if !candidates.windows(2).any(|w| tie(&w[0], &w[1])) {
            return Ok(());
        }
        let damaged = |e: &dyn std::fmt::Display| OpenError::damaged(&self.index.dir, e);
        let key = |address: DocAddress| -> Result<(String, u64)> {
            let columns = searcher.segment_reader(address.segment_ord).fast_fields();
            let mut path = String::new();
            let paths = columns
                .str(PATH_COLUMN)
                .map_err(|e| damaged(&e))?
                .ok_or_else(|| damaged(&"its path column is missing"))?;
            if let Some(ord) = paths.term_ords(address.doc_id).next() {
                paths.ord_to_str(ord, &mut path).map_err(|e| damaged(&e))?;
            }
            let line = columns
                .u64(LINE_COLUMN)
                .map_err(|e| damaged(&e))?
                .first(address.doc_id)
                .unwrap_or(0);
            Ok((path, line))
        };
        for tied in candidates.chunk_by_mut(tie) {
            if tied.len() > 1 {
                let mut keyed = Vec::with_capacity(tied.len());
                for c in tied.iter() {
                    keyed.push((key(c.address)?, c.address));
                }
                keyed.sort();
                let order: HashMap<DocAddress, usize> = keyed
                    .iter()
                    .enumerate()
                    .map(|(i, (_, a))| (*a, i))
                    .collect();
                tied.sort_by_key(|c| order[&c.address]);
            }
        }
        Ok(())
    }

    /// Which of `addresses` `query` matches.
    fn matching(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        addresses: &[DocAddress],
    ) -> Result<HashSet<DocAddress>> {
        let mut found = HashSet::new();
        if addresses.is_empty() {
            return Ok(found);
        }
        let damaged = |e: tantivy::TantivyError| OpenError::damaged(&self.index.dir, e);
        let weight = query
            .weight(EnableScoring::disabled_from_searcher(searcher))
            .map_err(damaged)?;
        let mut sorted = addresses.to_vec();
        sorted.sort();
        for docs in sorted.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
            let reader = searcher.segment_reader(docs[0].segment_ord);
            let mut scorer = weight.scorer(reader, 1.0).map_err(damaged)?;
            for address in docs {
                if scorer.doc() <= address.doc_id && scorer.seek(address.doc_id) == address.doc_id {
                    found.insert(*address);
                }
            }
        }
        Ok(found)
    }

    /// The expansion terms of the query's best passages, as a query; `None`
    /// for a query with phrases or exclusions (whose constraints the
    /// expansion terms would bypass) or when no term qualifies.
    fn expansion(
        &self,
        searcher: &Searcher,
        built: &query::BuiltQuery,
        candidates: &[Candidate],
    ) -> Result<Option<Feedback>> {
        let analyzed = &built.analyzed;
        if analyzed.searchable_phrases().next().is_some() || !analyzed.excluded.is_empty() {
            return Ok(None);
        }
        let fields = &self.index.fields;
        let mut passages = Vec::new();
        for c in candidates.iter().take(ranking::FEEDBACK_PASSAGES) {
            passages.push(self.passage(searcher, c.address)?.text);
        }
        let num_docs = searcher.num_docs();
        let idf = |term: &str| {
            let docs = self
                .doc_freqs
                .get(searcher, &Term::from_field_text(fields.chars, term))
                .unwrap_or(0);
            (docs > 0 && !ranking::is_common(docs, num_docs)).then(|| ranking::idf(docs, num_docs))
        };
        let terms = feedback::expansion_terms(&passages, &analyzed.terms.grams, idf);
        if terms.is_empty() {
            return Ok(None);
        }
        let node = query::Node::Sum(
            terms
                .iter()
                .map(|(term, weight)| {
                    let term = query::Node::Term(
                        Term::from_field_text(fields.chars, term),
                        IndexRecordOption::WithFreqs,
                    );
                    query::Node::Boost(Box::new(term), weight * ranking::FEEDBACK_WEIGHT)
                })
                .collect(),
        );
        Ok(Some(Feedback {
            terms: terms.into_iter().map(|(term, _)| term).collect(),
            query: node.query(),
            node,
        }))
    }

    /// The article path of each candidate, from the path column (no stored
    /// passage is read).
    fn paths(&self, searcher: &Searcher, candidates: &[Candidate]) -> Result<Vec<String>> {
        let generation = kept::Generation::of(searcher);
        let mut kept = self.path_table.lock().unwrap_or_else(|e| e.into_inner());
        let table = match kept.as_ref().filter(|(g, _)| *g == generation) {
            Some((_, table)) => Arc::clone(table),
            None => {
                let table = Arc::new(self.read_path_table(searcher)?);
                *kept = Some((generation, Arc::clone(&table)));
                table
            }
        };
        drop(kept);
        Ok(candidates
            .iter()
            .map(|c| {
                let (segment, doc) = (c.address.segment_ord as usize, c.address.doc_id);
                table.ords[segment]
                    .term_ords(doc)
                    .next()
                    .and_then(|ord| table.paths[segment].get(ord as usize))
                    .cloned()
                    .unwrap_or_default()
            })
            .collect())
    }

    /// Every segment's path column and its dictionary read out in full:
    /// looking paths up one by one decompresses a block each time.
    fn read_path_table(&self, searcher: &Searcher) -> Result<PathTable> {
        let damaged = |e: &dyn std::fmt::Display| OpenError::damaged(&self.index.dir, e);
        let mut table = PathTable {
            ords: Vec::new(),
            paths: Vec::new(),
        };
        for reader in searcher.segment_readers() {
            let column = reader
                .fast_fields()
                .str(PATH_COLUMN)
                .map_err(|e| damaged(&e))?
                .ok_or_else(|| damaged(&"its path column is missing"))?;
            let mut paths = Vec::with_capacity(column.num_terms());
            let mut terms = column.dictionary().stream().map_err(|e| damaged(&e))?;
            while terms.advance() {
                paths.push(String::from_utf8_lossy(terms.key()).into_owned());
            }
            table.ords.push(column);
            table.paths.push(paths);
        }
        Ok(table)
    }
}

/// Rankings a search runs at most to fill a page that collapsing
/// near-duplicates left short: each looks deeper by what the last one
/// lacked (at least a page more).
const COLLAPSE_ROUNDS: usize = 3;

/// Which candidates a collapsed page shows (their indexes, in rank order)
/// and the near-duplicates folded into each.
struct Collapsed {
    kept: Vec<usize>,
    duplicates: HashMap<DocAddress, Vec<Duplicate>>,
}

impl Engine {
    /// The stored passage at `address`.
    fn passage(&self, searcher: &Searcher, address: DocAddress) -> Result<StoredPassage> {
        Ok(self
            .passages
            .get(searcher, address)
            .map_err(|e| OpenError::damaged(&self.index.dir, e))?)
    }
}

/// Runs `f`, one of the engine's entry points, turning a panic inside
/// tantivy (damaged segment data it trusted) into the one-line "damaged:
/// rebuild" error. Every public method of [`Engine`] goes through here.
fn guarded<T>(dir: &std::path::Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match crate::panic_guard::catch(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(message) => Err(OpenError::damaged(dir, message).into()),
    }
}

/// The article paths of an index's passages, by segment.
struct PathTable {
    /// Each segment's path column (document to path ordinal).
    ords: Vec<StrColumn>,
    /// Each segment's paths, by ordinal.
    paths: Vec<Vec<String>>,
}

/// A passage among the top BM25 results, before re-ranking cuts the list.
#[derive(Clone)]
struct Candidate {
    address: DocAddress,
    bm25: f32,
    coverage: f32,
    score: f32,
    /// Ranked by the query expanded with [`Feedback`] (past the first page).
    expanded: bool,
}

/// Gives the passages that re-scored to 0, those with none of the query's
/// concepts (matched through a lone character, or past the first page through
/// the feedback terms only), a score above 0 that keeps their place: BM25
/// scaled to start at the score of the last passage before them. They come
/// last, in BM25 order (the re-ranked head sorts them after the others, the
/// rest of the list is capped at the head's last score), so the scale keeps
/// them in order.
fn score_uncovered(candidates: &mut [Candidate]) {
    let Some(first) = candidates.iter().position(|c| c.score <= 0.0) else {
        return;
    };
    let top = candidates[first].bm25;
    let above = first.checked_sub(1).map_or(top, |i| candidates[i].score);
    if top <= 0.0 {
        return;
    }
    for c in &mut candidates[first..] {
        c.score = above * (c.bm25 / top).min(1.0);
    }
}

/// `query` restricted to what `filter` matches, when there is one. Nested,
/// not added to `query`'s clauses: beside a `Must`, tantivy would make its
/// `Should` clauses optional. The filter scores 0, so scores are `query`'s.
fn filtered(query: Box<dyn Query>, filter: Option<&filter::Resolved>) -> Box<dyn Query> {
    match filter {
        Some(filter) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, query),
            (Occur::Must, filter.query()),
        ])),
        None => query,
    }
}

/// A plan's count of matches and its best passages by BM25, best first.
type TopOfPlan = (topk::Total, Vec<(f32, DocAddress)>);

/// How one query of a search runs: whole, or in two phases.
struct Plan<'a> {
    whole: &'a dyn Query,
    pruned: Option<Cow<'a, query::Pruned>>,
    /// The `--in` filters, which every passage must be inside.
    filter: Option<&'a filter::Resolved>,
}

/// The best passages for a query.
struct Ranking {
    /// Passages that can be returned: those matching the query as typed, or
    /// the expanded query when [`feedback`] ran.
    total: usize,
    total_relation: TotalRelation,
    candidates: Vec<Candidate>,
    /// What the query was expanded with past the first page, if it was.
    feedback: Option<Feedback>,
}

/// One query run by [`Engine::rank_query`], before it is cut to a depth.
struct Run {
    /// How many passages it fetched: a ranking of any depth up to this,
    /// and at least [`ranking::RERANK_DEPTH`], is its head.
    fetch: usize,
    total: topk::Total,
    candidates: Vec<Candidate>,
}

/// The runs of one search's rankings (one query, filter and feedback, so
/// two runs that fetch as many passages are the same). Filling a collapsed
/// page asks for deeper rankings of the same query, and each run fetches at
/// least [`ranking::RERANK_DEPTH`] passages, so a deeper ranking (-n 10
/// needing 20) is most often the run already made. At x10, 54 of the 2,000
/// InsuranceQA questions needed one, 19 of them among the 40 slowest, and
/// each ran its first query twice.
#[derive(Default)]
struct Runs {
    /// The query as typed.
    typed: Option<Run>,
    /// The query with feedback terms (past the first page).
    expanded: Option<Run>,
}

/// Pseudo-relevance feedback terms and their query.
struct Feedback {
    terms: Vec<String>,
    query: Box<dyn Query>,
    /// The same query as a tree (see [`topk`]).
    node: query::Node,
}

/// `raw` with each of the query's [`query::Correction`]s made, `None` when it
/// has none. The typed spelling is replaced where `raw` has it as typed;
/// where it does not (typed in traditional or full-width form), the
/// normalized query is corrected instead.
fn corrected_query(raw: &str, built: &query::BuiltQuery) -> Option<String> {
    if built.corrections.is_empty() {
        return None;
    }
    let mut text = raw.trim().to_string();
    if !built.corrections.iter().all(|c| text.contains(&c.typed)) {
        text = built.analyzed.terms.normalized.trim().to_string();
    }
    for c in &built.corrections {
        text = text.replace(&c.typed, &c.corrected);
    }
    Some(text)
}

/// What to mark in snippets: the query's words, phrases and synonyms, and
/// single characters typed alone.
fn highlight_words(analyzed: &AnalyzedQuery) -> Vec<String> {
    let mut needles: Vec<String> = analyzed.terms.words.clone();
    needles.extend(analyzed.searchable_phrases().map(|p| p.normalized.clone()));
    for expansion in &analyzed.expansions {
        needles.extend(expansion.synonyms.iter().cloned());
    }
    needles.extend(
        analyzed
            .terms
            .grams
            .iter()
            .filter(|g| g.chars().count() == 1)
            .cloned(),
    );
    needles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(bm25: f32, score: f32) -> Candidate {
        Candidate {
            address: DocAddress::new(0, 0),
            bm25,
            coverage: 0.0,
            score,
            expanded: false,
        }
    }

    #[test]
    fn caches_refill_for_a_reloaded_searcher() {
        use kept::Generation;
        use tantivy::Searcher;
        let mut index = testing::TestIndex::new(&["注销卡片"]);
        let doc_freqs = stats::DocFreqs::default();
        let prefixes = prefix::PrefixCache::default();
        let normalized = snippet::NormalizedPassages::default();
        let term = Term::from_field_text(index.fields.text, "注销");
        let chars = index.fields.chars;
        let prefix_docs = |searcher: &Searcher| -> usize {
            searcher
                .segment_readers()
                .iter()
                .map(|reader| {
                    let generation = Generation::of(searcher);
                    prefixes
                        .matches(generation, reader, chars, "卡")
                        .unwrap()
                        .docs
                        .len()
                })
                .sum()
        };
        let address = DocAddress::new(0, 0);
        let before = index.searcher();
        assert_eq!(doc_freqs.get(&before, &term).unwrap(), 1);
        assert_eq!(prefix_docs(&before), 1);
        let text = normalized.get(Generation::of(&before), address, "ＡＢ");
        assert_eq!(text.as_str(), "ab");

        index.commit(&["注销卡号"]);
        let after = index.searcher();
        assert_ne!(Generation::of(&before), Generation::of(&after));
        assert_eq!(doc_freqs.get(&after, &term).unwrap(), 2, "not the kept 1");
        assert_eq!(prefix_docs(&after), 2);
        // After a merge the same address holds another passage.
        let text = normalized.get(Generation::of(&after), address, "ＣＤ");
        assert_eq!(text.as_str(), "cd", "not the kept passage");
    }

    #[test]
    fn uncovered_passages_score_above_zero_in_their_place() {
        let mut list = vec![
            candidate(9.0, 6.0),
            candidate(3.0, 2.0),
            candidate(8.0, 0.0),
            candidate(4.0, 0.0),
            candidate(2.0, 0.0),
        ];
        score_uncovered(&mut list);
        let scores: Vec<f32> = list.iter().map(|c| c.score).collect();
        assert_eq!(scores, [6.0, 2.0, 2.0, 1.0, 0.5]);
        // With no covered passage before them they keep their BM25.
        let mut list = vec![candidate(8.0, 0.0), candidate(4.0, 0.0)];
        score_uncovered(&mut list);
        assert_eq!(list[1].score, 4.0);
    }

    /// An engine on a real index of `articles` (name, text) in `dir`.
    fn engine_on(dir: &std::path::Path, articles: &[(&str, &str)]) -> Engine {
        let corpus = dir.join("corpus");
        std::fs::create_dir_all(&corpus).unwrap();
        for (name, text) in articles {
            let path = corpus.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let index_dir = dir.join("index");
        let segmenters = testing::SEGMENTERS.clone();
        let options = crate::index::UpdateOptions {
            rebuild: false,
            wait: crate::index::Wait::No,
            user_files: Default::default(),
        };
        crate::index::update(&corpus, &index_dir, &segmenters, options, &mut |_| {}).unwrap();
        let opened = crate::index::open(&index_dir, &segmenters).unwrap();
        Engine::new(
            opened,
            segmenters,
            Synonyms::builtin(),
            Workload::ManyQueries,
        )
        .unwrap()
    }

    /// The seed corpus's articles, for tests on real text.
    fn seed_articles() -> Vec<(String, String)> {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let mut articles: Vec<(String, String)> = std::fs::read_dir(corpus)
            .unwrap()
            .flatten()
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(e.path()).unwrap())
            })
            .collect();
        articles.sort();
        articles
    }

    /// Engines on one index of the seed corpus: one hears sounds, one does not.
    static SEED_ENGINES: std::sync::LazyLock<(tempfile::TempDir, Engine, Engine)> =
        std::sync::LazyLock::new(|| {
            let dir = tempfile::tempdir().unwrap();
            let articles = seed_articles();
            let borrowed: Vec<(&str, &str)> = articles
                .iter()
                .map(|(n, t)| (n.as_str(), t.as_str()))
                .collect();
            let hearing = engine_on(dir.path(), &borrowed);
            let segmenters = testing::SEGMENTERS.clone();
            let opened = crate::index::open(&dir.path().join("index"), &segmenters).unwrap();
            let mut deaf = Engine::new(
                opened,
                segmenters,
                Synonyms::builtin(),
                Workload::ManyQueries,
            )
            .unwrap();
            deaf.hears_sounds = false;
            (dir, hearing, deaf)
        });

    /// The seed corpus's Han characters and some punctuation: what the
    /// property's queries are made of.
    fn seed_alphabet() -> Vec<char> {
        let mut chars: Vec<char> = seed_articles()
            .iter()
            .flat_map(|(_, text)| {
                text.chars()
                    .filter(|&c| analysis::is_han(c))
                    .collect::<Vec<_>>()
            })
            .collect();
        chars.sort_unstable();
        chars.dedup();
        chars.extend(['，', '？', ' ', '的', '听', '消', '应']);
        chars
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// A query with no Latin letters, and none of whose spans is read
        /// as a homophone typo, searches exactly as without pinyin and
        /// homophones (#14).
        #[test]
        fn queries_with_nothing_to_hear_rank_as_without(
            picks in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 1..12)
        ) {
            let alphabet = seed_alphabet();
            let query: String = picks.iter().map(|i| alphabet[i.index(alphabet.len())]).collect();
            let (_, hearing, deaf) = &*SEED_ENGINES;
            let options = SearchOptions { limit: 10, explain: true, ..SearchOptions::default() };
            let heard = hearing.search(&query, options);
            let plain = deaf.search(&query, options);
            match (heard, plain) {
                (Ok(heard), Ok(plain)) => {
                    let report = heard.report.as_ref().unwrap();
                    proptest::prop_assume!(report.expansions.iter().all(|e| e.source == "synonyms"));
                    let hits = |r: &SearchResults| -> Vec<(String, u64, u32)> {
                        r.hits.iter().map(|h| (h.path.clone(), h.line, h.score.to_bits())).collect()
                    };
                    proptest::prop_assert_eq!(hits(&heard), hits(&plain), "{}", query);
                    proptest::prop_assert_eq!(heard.total, plain.total);
                    proptest::prop_assert_eq!(heard.corrected, plain.corrected);
                }
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => proptest::prop_assert!(false, "{query}: {:?} vs {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }

    #[test]
    fn a_search_past_its_deadline_stops_with_timed_out() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine_on(dir.path(), &[("a.md", "# 注销\n\n在线注销eSIM卡。\n")]);
        let late = SearchOptions {
            deadline: Some(Instant::now()),
            ..SearchOptions::default()
        };
        let err = engine.search("注销", late).unwrap_err();
        assert!(err.is::<TimedOut>(), "{err:#}");
        let far = SearchOptions {
            deadline: Some(Instant::now() + std::time::Duration::from_secs(60)),
            ..SearchOptions::default()
        };
        assert_eq!(engine.search("注销", far).unwrap().hits.len(), 1);
    }

    #[test]
    fn a_deeper_ranking_from_kept_runs_is_a_fresh_ranking() {
        let dir = tempfile::tempdir().unwrap();
        let articles: Vec<(String, String)> = (0..30)
            .map(|i| {
                let name = format!("{i:02}.md");
                let text = format!("# 注销{i}\n\n第{i}号卡可以在线注销，流量卡{i}也可以。\n");
                (name, text)
            })
            .collect();
        let articles: Vec<(&str, &str)> = articles
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let engine = engine_on(dir.path(), &articles);
        let searcher = engine.reader.searcher();
        let built = engine
            .build(&searcher, &ParsedQuery::parse("在线注销"), false)
            .unwrap();
        let ranked = |depth, runs: &mut Runs| {
            let ranking = engine.rank(&searcher, &built, None, depth, None, runs);
            let ranking = ranking.unwrap();
            let hits: Vec<(DocAddress, f32, bool)> = (ranking.candidates.iter())
                .map(|c| (c.address, c.score, c.expanded))
                .collect();
            (ranking.total, hits)
        };
        let mut runs = Runs::default();
        let first = ranked(10, &mut runs);
        assert_eq!(first.1.len(), 10);
        let kept = runs.typed.as_ref().map(|run| run.candidates.len());
        assert_eq!(kept, Some(30), "the run keeps all it fetched");
        for depth in [20, 25, 60] {
            let reused = ranked(depth, &mut runs);
            let fresh = ranked(depth, &mut Runs::default());
            assert_eq!(reused, fresh, "depth {depth}");
            assert_eq!(reused.1[..10], first.1[..], "depth {depth}");
            assert!(
                runs.expanded.is_some(),
                "depth {depth} ran the feedback query"
            );
        }
    }

    #[test]
    fn a_pruned_search_ranks_as_the_whole_query() {
        let dir = tempfile::tempdir().unwrap();
        let articles = [
            (
                "a.md",
                "# 注销\n\n在线注销eSIM卡。\n\n营业厅办理注销手续。\n",
            ),
            (
                "b.md",
                "# 销户\n\n网上销户流程很简单。\n\neSIM卡可以在线销户。\n",
            ),
            (
                "c.md",
                "# 流量卡\n\n流量卡到期自动失效。\n\n手机卡注销前请备份。\n",
            ),
            ("d.md", "# 其他\n\n与注销无关的段落，讲天气。\n"),
        ];
        let mut engine = engine_on(dir.path(), &articles);
        engine.prune_from_postings = 0;
        // With every term in the first phase, it finds every match.
        engine.first_phase_terms = usize::MAX;
        engine.first_phase_common_share = 1.0;
        let searcher = engine.reader.searcher();
        for raw in [
            "eSIM 在线销户",
            "注销手机卡",
            "流量卡 失效",
            "营业厅 注销 流程",
        ] {
            let mut built = engine
                .build(&searcher, &ParsedQuery::parse(raw), false)
                .unwrap();
            let stats = stats::KeptStats {
                searcher: &searcher,
                doc_freqs: &engine.doc_freqs,
            };
            let plan = built.pruned.as_ref().expect("a plan in two phases");
            let run = engine
                .run_pruned(&searcher, &stats, plan, None, 50)
                .unwrap();
            assert!(run.is_some(), "{raw} runs in two phases");
            let ranked = |built: &query::BuiltQuery| {
                let ranking = engine
                    .rank(&searcher, built, None, 10, None, &mut Runs::default())
                    .unwrap();
                let hits: Vec<(DocAddress, f32)> = ranking
                    .candidates
                    .iter()
                    .map(|c| (c.address, c.score))
                    .collect();
                (ranking.total, ranking.total_relation, hits)
            };
            let pruned = ranked(&built);
            built.pruned = None;
            let whole = ranked(&built);
            assert_eq!(pruned.0, whole.0, "{raw}: the same count");
            assert_eq!(pruned.1, TotalRelation::Eq);
            assert_eq!(pruned.2.len(), whole.2.len(), "{raw}");
            for (p, w) in pruned.2.iter().zip(&whole.2) {
                assert_eq!(p.0, w.0, "{raw}: the same order");
                assert!((p.1 - w.1).abs() < 1e-4, "{raw}: {} vs {}", p.1, w.1);
            }
        }
    }

    #[test]
    fn the_first_phase_keeps_the_terms_that_weigh_most() {
        let dir = tempfile::tempdir().unwrap();
        let articles = [
            ("a.md", "# 注销\n\n注销流程。\n"),
            ("b.md", "# 流程\n\n办理流程。\n"),
            ("c.md", "# 营业厅\n\n营业厅流程。\n"),
        ];
        let mut engine = engine_on(dir.path(), &articles);
        engine.first_phase_terms = 2;
        let searcher = engine.reader.searcher();
        let text = |word| Term::from_field_text(engine.index.fields.text, word);
        let terms = [
            (text("流程"), 1.0),   // in every passage: the lowest IDF
            (text("注销"), 1.0),   // in one
            (text("营业厅"), 2.0), // in one, weighted twice
        ];
        let docs: Vec<u64> = terms
            .iter()
            .map(|(term, _)| searcher.doc_freq(term).unwrap())
            .collect();
        let num_docs = searcher.num_docs();
        let kept = engine.strongest_terms(num_docs, &terms, &docs);
        assert_eq!(kept, [terms[2].clone(), terms[1].clone()]);
        engine.first_phase_terms = 3;
        assert_eq!(engine.strongest_terms(num_docs, &terms, &docs), terms);
    }

    #[test]
    fn the_first_phase_leaves_out_common_terms_while_enough_remain() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine_on(dir.path(), &[("a.md", "# 注销\n\n注销流程。\n")]);
        let text = |i: usize| Term::from_field_text(engine.index.fields.text, &format!("词{i}"));
        // In 1,000 passages: two common terms (in half and in a fifth of
        // them), the others in five each.
        let num_docs = 1_000;
        let query = |rare: usize| {
            let terms: Vec<(Term, f32)> = (0..rare + 2).map(|i| (text(i), 1.0)).collect();
            let mut docs = vec![500, 200];
            docs.extend(std::iter::repeat_n(5, rare));
            let kept = engine.strongest_terms(num_docs, &terms, &docs);
            (terms, kept)
        };
        let (terms, kept) = query(6);
        assert_eq!(kept, terms[2..], "six others remain: both left out");
        let (terms, kept) = query(5);
        assert_eq!(kept, terms[1..], "the weaker common term left out");
        let (terms, kept) = query(4);
        assert_eq!(kept, terms, "a short query keeps its common words");
    }

    #[test]
    fn a_filter_restricts_the_pruned_and_the_whole_plan_alike() {
        let dir = tempfile::tempdir().unwrap();
        let articles = [
            (
                "a/1.md",
                "# 注销\n\n在线注销eSIM卡。\n\n营业厅办理注销手续。\n",
            ),
            ("a/2.md", "# 销户\n\n网上销户流程很简单。\n"),
            (
                "b/1.md",
                "# 销户\n\neSIM卡可以在线销户。\n\n手机卡注销前请备份。\n",
            ),
            ("ab/1.md", "# 流量卡\n\n流量卡注销流程。\n"),
            ("c/1.md", "# 天气\n\n今天天气很好。\n"),
        ];
        let engine = engine_on(dir.path(), &articles);
        let searcher = engine.reader.searcher();
        let field = engine.index.fields.path;
        let mut first_phases = HashSet::new();
        // A narrow filter, and one whose first phase keeps WAND.
        for given in [&["a"][..], &["a", "b", "ab"]] {
            let filter = Filters::parse(given)
                .unwrap()
                .resolve(&searcher, field)
                .unwrap();
            first_phases.insert(filter::intersect_first_phase(
                filter.passages,
                searcher.num_docs(),
            ));
            check_filtered_ranking(&engine, &searcher, &filter);
        }
        assert_eq!(first_phases.len(), 2, "both ways of the first phase");
    }

    /// Checks that `filter` ranks as the unfiltered query restricted, run
    /// pruned or whole.
    fn check_filtered_ranking(engine: &Engine, searcher: &Searcher, filter: &filter::Resolved) {
        let paths = &filter.paths;
        for raw in ["eSIM 在线销户", "注销手机卡", "营业厅 注销 流程"] {
            let mut built = engine
                .build(searcher, &ParsedQuery::parse(raw), false)
                .unwrap();
            assert!(built.pruned.is_some(), "{raw} runs in two phases");
            // (path, score, bm25) of each candidate, and the count.
            let ranked = |built: &query::BuiltQuery, filter: Option<&filter::Resolved>| {
                let ranking = engine
                    .rank(searcher, built, filter, 10, None, &mut Runs::default())
                    .unwrap();
                let found = engine.paths(searcher, &ranking.candidates).unwrap();
                let hits: Vec<(String, f32, f32)> = found
                    .into_iter()
                    .zip(&ranking.candidates)
                    .map(|(path, c)| (path, c.score, c.bm25))
                    .collect();
                (ranking.total, hits)
            };
            let pruned = ranked(&built, Some(filter));
            built.pruned = None;
            let whole = ranked(&built, Some(filter));
            let (_, everywhere) = ranked(&built, None);
            // BM25 is the unfiltered query's; coverage weighs concepts by
            // how few candidates have them, and the candidates are the
            // filter's, so only the order and BM25 are compared.
            let without_score = |hits: &[(String, f32, f32)]| -> Vec<(String, f32)> {
                hits.iter().map(|(p, _, bm25)| (p.clone(), *bm25)).collect()
            };
            let by_hand: Vec<(String, f32)> = without_score(&everywhere)
                .into_iter()
                .filter(|(path, _)| paths.contains(path))
                .collect();
            let same = |a: &[(String, f32)], b: &[(String, f32)]| {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| x.0 == y.0 && (x.1 - y.1).abs() < 1e-4)
            };
            assert!(!by_hand.is_empty(), "{raw}");
            assert_eq!(pruned.0, whole.0, "{raw}: the same count");
            let scores = |hits: &[(String, f32, f32)]| -> Vec<(String, f32)> {
                hits.iter()
                    .map(|(p, score, _)| (p.clone(), *score))
                    .collect()
            };
            assert!(
                same(&scores(&pruned.1), &scores(&whole.1)),
                "{raw}: pruned {pruned:?}, whole {whole:?}"
            );
            assert!(
                same(&without_score(&whole.1), &by_hand),
                "{raw}: {whole:?} is not the unfiltered ranking restricted, {by_hand:?}"
            );
            assert_eq!(whole.0, by_hand.len(), "{raw}: the count too");
        }
    }

    #[test]
    fn feedback_past_the_first_page_stays_inside_the_filter() {
        let dir = tempfile::tempdir().unwrap();
        let mut articles = Vec::new();
        for i in 0..12 {
            articles.push((
                format!("in/{i}.md"),
                format!("# 注销{i}\n\n在线注销手机卡，办理流程第{i}步。\n"),
            ));
            articles.push((
                format!("out/{i}.md"),
                format!("# 流程{i}\n\n办理流程第{i}步，手机卡注销。\n"),
            ));
        }
        let articles: Vec<(&str, &str)> = articles
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let engine = engine_on(dir.path(), &articles);
        let options = SearchOptions {
            limit: 30,
            // The passages are near-duplicates of one another: kept apart.
            collapse: false,
            ..SearchOptions::default()
        };
        let filters = Filters::parse(&["in"]).unwrap();
        let results = engine.search_in("在线注销", &filters, options).unwrap();
        assert_eq!(results.hits.len(), 12);
        assert!(results.hits.iter().all(|h| h.path.starts_with("in/")));
        assert_eq!(results.total, 12);
        let within = results.within.unwrap();
        assert_eq!((within.articles, within.matched_nothing), (12, None));
    }

    #[test]
    fn a_lone_character_is_found_inside_words_whether_or_not_it_is_a_word() {
        let dir = tempfile::tempdir().unwrap();
        let articles = [
            ("a.md", "# 手机\n\n手机卡注销。\n"),
            ("b.md", "# 流量\n\n流量卡到期。\n"),
            ("c.md", "# 其他\n\n讲天气。\n"),
        ];
        let mut engine = engine_on(dir.path(), &articles);
        engine.prune_from_postings = 0;
        let results = engine.search("卡", SearchOptions::default()).unwrap();
        assert_eq!(results.total, 2);
        assert_eq!(
            results.hits.len(),
            2,
            "not just the passages with the word 卡"
        );
    }

    #[test]
    fn reload_moves_to_the_newest_commit_and_running_searchers_keep_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine_on(dir.path(), &[("a.md", "# 注销\n\n在线注销eSIM卡。\n")]);
        let held = engine.reader.searcher();
        std::fs::write(
            dir.path().join("corpus/b.md"),
            "# 销户\n\n营业厅注销手续。\n",
        )
        .unwrap();
        let segmenters = testing::SEGMENTERS.clone();
        let options = crate::index::UpdateOptions {
            rebuild: false,
            wait: crate::index::Wait::No,
            user_files: Default::default(),
        };
        let (corpus, index_dir) = (dir.path().join("corpus"), dir.path().join("index"));
        crate::index::update(&corpus, &index_dir, &segmenters, options, &mut |_| {}).unwrap();
        let options = SearchOptions::default();
        assert_eq!(
            engine.search("注销", options).unwrap().total,
            1,
            "not reloaded yet"
        );
        engine.reload().unwrap();
        assert_eq!(engine.search("注销", options).unwrap().total, 2);
        assert_eq!(engine.passages(), 2);
        // A searcher taken before the reload still reads its own commit.
        assert_eq!(held.num_docs(), 1);
    }
}
