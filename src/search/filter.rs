//! Where to search: `--in PATH` filters, answered from the index.
//!
//! A filter names part of the corpus by article path (relative to the corpus
//! folder, `/`-separated, as the `path` field holds it): a folder prefix
//! (`guides/esim` is `guides/esim` itself and everything below it, never
//! `guides/esim2`) or, when it has `*`, `?`, `[` or `{`, a glob
//! (`guides/*/faq-*.md`, `**/*.txt`; `*` stays within one folder, `**`
//! crosses them). Several filters are ORed. A search resolves them against
//! the path terms of the searcher it runs on (a prefix is a range of the
//! term dictionary, a glob is matched against every path) into the set of
//! articles they name, and requires that set as one more clause scoring 0,
//! in both phases of a pruned query and in the capped count. BM25 scores
//! are therefore the unfiltered query's (statistics stay the whole index's);
//! the coverage re-ranking weighs concepts by how few candidates have them,
//! and the candidates are the filter's, which is the point of filtering.
//! The set of indexed paths is small next to the passages (27k articles for
//! 291k passages at x10), which is what makes resolving them per search
//! cheap.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::query::{
    BitSetDocSet, ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::termdict::TermDictionary;
use tantivy::{BitSet, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

/// The characters that make a filter a glob rather than a folder prefix.
const GLOB_CHARS: &[char] = &['*', '?', '[', '{'];

/// Why a `--in` filter cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// Empty, or only `/` and `.`.
    Empty,
    /// Starts with `/`: paths are relative to the corpus folder.
    Absolute(String),
    /// Has a `..` component, which would name something outside the corpus.
    Parent(String),
    /// A glob that does not parse.
    BadGlob(String, String),
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilterError::Empty => f.write_str(
                "--in needs a folder or file path relative to the corpus, or a glob, not an empty one",
            ),
            FilterError::Absolute(given) => write!(
                f,
                "--in '{given}' is absolute: give a path relative to the corpus folder, like 'guides/esim'"
            ),
            FilterError::Parent(given) => write!(
                f,
                "--in '{given}' has '..': give a path inside the corpus folder, like 'guides/esim'"
            ),
            FilterError::BadGlob(given, why) => write!(f, "--in '{given}' is not a valid glob: {why}"),
        }
    }
}

impl std::error::Error for FilterError {}

/// One parsed filter.
#[derive(Debug, Clone)]
enum Place {
    /// A folder or file path, normalized: no empty or `.` components, no
    /// trailing `/`.
    Prefix(String),
    /// A glob, by its index in [`Filters::globs`].
    Glob,
}

/// The `--in` filters of a search, ORed; none means the whole corpus.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// As the user gave them, for the JSON and the messages.
    given: Vec<String>,
    places: Vec<Place>,
    globs: Option<GlobSet>,
}

impl Filters {
    /// No filter: the whole corpus.
    pub fn none() -> Filters {
        Filters::default()
    }

    /// Parses each of `given`, failing on the first that is empty,
    /// absolute, climbs out with `..` or is a glob that does not parse.
    pub fn parse<S: AsRef<str>>(given: &[S]) -> Result<Filters, FilterError> {
        let given: Vec<String> = given.iter().map(|g| g.as_ref().to_string()).collect();
        let mut places = Vec::with_capacity(given.len());
        let mut globs = GlobSetBuilder::new();
        let mut any_glob = false;
        for filter in &given {
            let place = Place::parse(filter)?;
            if let Place::Glob = place {
                globs.add(glob(filter)?);
                any_glob = true;
            }
            places.push(place);
        }
        let globs = if any_glob {
            let set = globs
                .build()
                .map_err(|e| FilterError::BadGlob(given.join(" "), e.to_string()))?;
            Some(set)
        } else {
            None
        };
        Ok(Filters {
            given,
            places,
            globs,
        })
    }

    /// Whether there is no filter.
    pub fn is_empty(&self) -> bool {
        self.given.is_empty()
    }

    /// The filters as given.
    pub fn given(&self) -> &[String] {
        &self.given
    }

    /// Whether `path` (an article path as indexed) is in the filters' part
    /// of the corpus.
    pub fn matches(&self, path: &str) -> bool {
        self.places.iter().any(|place| match place {
            Place::Prefix(prefix) => is_under(path, prefix),
            Place::Glob => false,
        }) || self.globs.as_ref().is_some_and(|g| g.is_match(path))
    }

    /// The indexed articles of `searcher` the filters name, and their
    /// passages.
    pub fn resolve(&self, searcher: &Searcher, path_field: Field) -> tantivy::Result<Resolved> {
        self.resolve_with(searcher, path_field, SCAN_PER_TERM)
    }

    /// [`Filters::resolve`], reading the passages of a segment from its path
    /// column rather than from postings once more than one path term per
    /// `scan_per_term` passages matches.
    fn resolve_with(
        &self,
        searcher: &Searcher,
        path_field: Field,
        scan_per_term: u32,
    ) -> tantivy::Result<Resolved> {
        let mut paths = BTreeSet::new();
        let mut docs = HashMap::new();
        let mut passages = 0u64;
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(path_field)?;
            let matched = self.matching_terms(inverted.terms())?;
            let alive = segment.alive_bitset();
            let is_alive = |doc: DocId| alive.is_none_or(|a| a.is_alive(doc));
            let mut inside = BitSet::with_max_value(segment.max_doc());
            if matched.len() as u64 * u64::from(scan_per_term) > u64::from(segment.max_doc()) {
                let column = segment
                    .fast_fields()
                    .str(crate::index::PATH_COLUMN)?
                    .ok_or_else(|| {
                        tantivy::TantivyError::SchemaError("the path column is missing".into())
                    })?;
                let mut wanted = BitSet::with_max_value(column.num_terms() as u32);
                let mut terms = column.dictionary().stream()?;
                let mut ord = 0u32;
                while terms.advance() {
                    if std::str::from_utf8(terms.key()).is_ok_and(|p| self.matches(p)) {
                        wanted.insert(ord);
                    }
                    ord += 1;
                }
                for doc in 0..segment.max_doc() {
                    let ord = column.term_ords(doc).next();
                    if ord.is_some_and(|o| wanted.contains(o as u32)) && is_alive(doc) {
                        inside.insert(doc);
                    }
                }
            } else {
                for (_, info) in &matched {
                    let mut postings =
                        inverted.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
                    let mut doc = postings.doc();
                    while doc != TERMINATED {
                        if is_alive(doc) {
                            inside.insert(doc);
                        }
                        doc = postings.advance();
                    }
                }
            }
            passages += inside.len() as u64;
            paths.extend(matched.into_iter().map(|(path, _)| path));
            docs.insert(segment.segment_id(), inside);
        }
        Ok(Resolved {
            paths: paths.into_iter().collect(),
            passages,
            docs: Arc::new(docs),
        })
    }

    /// The terms of one segment's path dictionary the filters name, each
    /// once, with where their postings are.
    fn matching_terms(&self, terms: &TermDictionary) -> tantivy::Result<Vec<(String, TermInfo)>> {
        let mut found: BTreeMap<String, TermInfo> = BTreeMap::new();
        for place in &self.places {
            let Place::Prefix(prefix) = place else {
                continue;
            };
            // Every path equal to the prefix or below it sorts in
            // [prefix, prefix + "0"): '0' is the byte after '/'. So do
            // `guides/esim-x` and `guides/esim.md`, hence the check.
            let mut stream = terms
                .range()
                .ge(prefix.as_bytes())
                .lt(format!("{prefix}0").as_bytes())
                .into_stream()?;
            while stream.advance() {
                if let Ok(path) = std::str::from_utf8(stream.key())
                    && is_under(path, prefix)
                {
                    found.insert(path.to_string(), stream.value().clone());
                }
            }
        }
        if let Some(globs) = &self.globs {
            let mut stream = terms.stream()?;
            while stream.advance() {
                if let Ok(path) = std::str::from_utf8(stream.key())
                    && globs.is_match(path)
                {
                    found.insert(path.to_string(), stream.value().clone());
                }
            }
        }
        Ok(found.into_iter().collect())
    }

    /// One sentence saying that no indexed article is where the filters
    /// point, e.g. `No indexed article is under 'guides/x'.`
    pub fn matched_nothing(&self) -> String {
        let each: Vec<String> = self
            .given
            .iter()
            .zip(&self.places)
            .map(|(given, place)| match place {
                Place::Prefix(_) => format!("under '{given}'"),
                Place::Glob => format!("matches '{given}'"),
            })
            .collect();
        format!("No indexed article is {}.", each.join(" or "))
    }
}

impl Place {
    fn parse(given: &str) -> Result<Place, FilterError> {
        if given.starts_with('/') {
            return Err(FilterError::Absolute(given.to_string()));
        }
        let components: Vec<&str> = given
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        if components.contains(&"..") {
            return Err(FilterError::Parent(given.to_string()));
        }
        if components.is_empty() {
            return Err(FilterError::Empty);
        }
        if given.contains(GLOB_CHARS) {
            Ok(Place::Glob)
        } else {
            Ok(Place::Prefix(components.join("/")))
        }
    }
}

/// The glob of `given`, `*` not crossing `/` (as in a shell), `**` crossing
/// any number of folders; a leading `./` is dropped, as paths have none.
fn glob(given: &str) -> Result<Glob, FilterError> {
    let pattern = given.trim_start_matches("./");
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| FilterError::BadGlob(given.to_string(), e.kind().to_string()))
}

/// Whether `path` is `prefix` itself or below the folder `prefix`.
fn is_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The filters of a search as its results report them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Within {
    /// The filters as given.
    pub given: Vec<String>,
    /// How many indexed articles they named.
    pub articles: usize,
    /// When they named none: the one sentence that says so (see
    /// [`Filters::matched_nothing`]).
    pub matched_nothing: Option<String>,
}

/// Resolving reads a matched path's postings (about a microsecond each) until
/// more than one path per this many passages matches; then it reads every
/// passage's path ordinal from the path column instead (tens of
/// nanoseconds each). At x10 a one-off `search --json --timings --in '**'`
/// (27,413 paths, 291k passages) took 31 ms reading postings and 17 ms
/// scanning the column (best of five, on a loaded machine; 2.8 ms without
/// the filter). Batches and the server resolve once per commit.
const SCAN_PER_TERM: u32 = 64;

/// Up to this share of the passages inside the filters, the first phase of a
/// pruned query intersects its flat OR with them, and its cost follows the
/// passages inside. Past it, block-max WAND runs as without a filter and
/// skips the passages outside as they come
/// ([`super::topk::top_pruned_inside`]): intersecting would score nearly
/// every match. At x10 (27,413 articles in 28 folders; `search --batch -n 10`
/// over the 2,000 InsuranceQA questions, p50 of took_ms, no filter 2.7 ms):
///
/// | filter | share | intersected | WAND, skipping |
/// | --- | --- | --- | --- |
/// | `0003` | 3.6% | 0.80 ms | 4.64 ms |
/// | `0001`…`0006` | 22% | 1.75 ms | 3.93 ms |
/// | `000*/**` | 36% | 2.42 ms | 3.96 ms |
/// | `00[0-1]*/**` | 73% | 3.70 ms | — |
/// | `**` | 100% | 4.55 ms | 3.08 ms |
const INTERSECT_UP_TO: f64 = 0.75;

/// Whether the first phase intersects with filters holding `passages` of
/// `num_docs` (see [`INTERSECT_UP_TO`]).
pub fn intersect_first_phase(passages: u64, num_docs: u64) -> bool {
    (passages as f64) <= INTERSECT_UP_TO * num_docs as f64
}

/// The filters resolved on one searcher: the articles they name and the
/// passages of each segment inside them.
pub struct Resolved {
    /// The indexed article paths the filters name, sorted.
    pub paths: Vec<String>,
    /// Live passages inside the filters.
    pub passages: u64,
    /// Each segment's passages inside the filters (deleted ones left out).
    docs: Arc<HashMap<SegmentId, BitSet>>,
}

impl Resolved {
    /// The clause requiring a passage inside the filters, scoring 0 so the
    /// filtered query scores as the unfiltered one. Its scorer is the
    /// segment's bitset: no term dictionary is read again.
    pub fn query(&self) -> Box<dyn Query> {
        Box::new(Inside(Arc::clone(&self.docs)))
    }

    /// Whether the passage `doc` of `segment` is inside the filters.
    pub fn contains(&self, segment: SegmentId, doc: DocId) -> bool {
        self.docs
            .get(&segment)
            .is_some_and(|bits| bits.contains(doc))
    }
}

/// The query of [`Resolved::query`], also its own weight.
#[derive(Clone)]
struct Inside(Arc<HashMap<SegmentId, BitSet>>);

impl std::fmt::Debug for Inside {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let passages: usize = self.0.values().map(BitSet::len).sum();
        write!(f, "Inside({passages} passages)")
    }
}

impl Query for Inside {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for Inside {
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.0.get(&reader.segment_id()) {
            Some(bits) => Box::new(ConstScorer::new(BitSetDocSet::from(bits.clone()), 0.0)),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let inside = self
            .0
            .get(&reader.segment_id())
            .is_some_and(|bits| bits.contains(doc));
        if inside {
            Ok(Explanation::new("inside the --in filters", 0.0))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!(
                "passage {doc} is outside the --in filters"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(given: &[&str]) -> Filters {
        Filters::parse(given).unwrap()
    }

    #[test]
    fn a_prefix_is_a_folder_or_a_file_never_a_longer_name() {
        let f = filters(&["guides/esim"]);
        assert!(f.matches("guides/esim/a.md"));
        assert!(f.matches("guides/esim/deep/b.md"));
        assert!(f.matches("guides/esim"), "an exact file path");
        assert!(!f.matches("guides/esim2/a.md"));
        assert!(!f.matches("guides/esim.md"));
        assert!(!f.matches("other/guides/esim/a.md"));
        let trailing = filters(&["guides/esim/"]);
        assert!(trailing.matches("guides/esim/a.md"));
        assert!(!trailing.matches("guides/esim2/a.md"));
        assert!(filters(&["./guides//esim"]).matches("guides/esim/a.md"));
        assert!(filters(&["a.md"]).matches("a.md"));
    }

    #[test]
    fn a_glob_matches_whole_paths_and_star_stays_in_one_folder() {
        let f = filters(&["guides/*/faq-*.md"]);
        assert!(f.matches("guides/esim/faq-1.md"));
        assert!(!f.matches("guides/esim/deep/faq-1.md"));
        assert!(!f.matches("guides/esim/howto.md"));
        let any = filters(&["**/*.txt"]);
        assert!(any.matches("a.txt"), "** also matches no folder");
        assert!(any.matches("x/y/z.txt"));
        assert!(!any.matches("x/y/z.md"));
        assert!(filters(&["1*.md"]).matches("1a.md"));
        assert!(!filters(&["1*.md"]).matches("0001/1a.md"));
    }

    #[test]
    fn several_filters_are_ored() {
        let f = filters(&["guides/esim", "*.txt"]);
        assert!(f.matches("guides/esim/a.md"));
        assert!(f.matches("notes.txt"));
        assert!(!f.matches("guides/roaming/a.md"));
        assert!(!Filters::none().matches("a.md"));
        assert!(Filters::none().is_empty());
    }

    #[test]
    fn bad_filters_are_refused_with_a_reason() {
        let err = |given: &str| Filters::parse(&[given]).unwrap_err();
        assert_eq!(err(""), FilterError::Empty);
        assert_eq!(err("/"), FilterError::Absolute("/".into()));
        assert_eq!(err("./"), FilterError::Empty);
        assert_eq!(err("/etc"), FilterError::Absolute("/etc".into()));
        assert_eq!(err("a/../b"), FilterError::Parent("a/../b".into()));
        assert_eq!(err(".."), FilterError::Parent("..".into()));
        assert!(matches!(err("a/[b"), FilterError::BadGlob(..)));
        assert!(!err("a/[b").to_string().contains('\n'), "one sentence");
        // `..` inside a name is a name.
        assert!(Filters::parse(&["a..b"]).is_ok());
    }

    #[test]
    fn the_message_names_each_filter_by_its_kind() {
        assert_eq!(
            filters(&["guides/x"]).matched_nothing(),
            "No indexed article is under 'guides/x'."
        );
        assert_eq!(
            filters(&["a", "*.txt"]).matched_nothing(),
            "No indexed article is under 'a' or matches '*.txt'."
        );
    }

    #[test]
    fn resolving_finds_the_indexed_paths_of_each_kind() {
        use crate::search::testing::TestIndex;
        let index = TestIndex::with_paths(&[
            ("guides/esim/a.md", "注销"),
            ("guides/esim/b.md", "注销"),
            ("guides/esim2/c.md", "注销"),
            ("guides/esim.md", "注销"),
            ("guides/esim-x/d.md", "注销"),
            ("notes/e.txt", "注销"),
        ]);
        let searcher = index.searcher();
        let resolve = |given: &[&str]| {
            filters(given)
                .resolve(&searcher, index.fields.path)
                .unwrap()
                .paths
        };
        assert_eq!(
            resolve(&["guides/esim"]),
            ["guides/esim/a.md", "guides/esim/b.md"]
        );
        assert_eq!(resolve(&["guides/esim.md"]), ["guides/esim.md"]);
        assert_eq!(resolve(&["**/*.txt"]), ["notes/e.txt"]);
        assert_eq!(
            resolve(&["guides/esim2", "**/*.txt"]),
            ["guides/esim2/c.md", "notes/e.txt"]
        );
        assert!(resolve(&["guides/x"]).is_empty());
        let resolved = filters(&["guides/esim", "guides/esim/a.md"])
            .resolve(&searcher, index.fields.path)
            .unwrap();
        assert_eq!(resolved.passages, 2, "each passage once");
        for given in [&["guides/esim"][..], &["**/*.txt", "guides"], &["guides/x"]] {
            let by_postings = filters(given)
                .resolve_with(&searcher, index.fields.path, 0)
                .unwrap();
            let by_column = filters(given)
                .resolve_with(&searcher, index.fields.path, u32::MAX / 1024)
                .unwrap();
            assert_eq!(by_postings.paths, by_column.paths, "{given:?}");
            assert_eq!(by_postings.passages, by_column.passages, "{given:?}");
            let reader = &searcher.segment_readers()[0];
            for doc in 0..reader.max_doc() {
                let id = reader.segment_id();
                assert_eq!(
                    by_postings.contains(id, doc),
                    by_column.contains(id, doc),
                    "{given:?} {doc}"
                );
            }
        }
        assert_eq!(index.count(resolved.query().as_ref()), 2);
    }
}
