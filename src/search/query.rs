//! From what the user typed to a tantivy query.
//!
//! Users type questions, not syntax. The only syntax is `"exact phrase"`
//! (ASCII or Chinese quotes) and `-word` to exclude passages containing a word;
//! every other character is text (`title:`, `AND`, `eSIM^2`, a stray `"` or
//! `+-` never cause an error). The query is built from analyzed terms, never by
//! tantivy's QueryParser, which reads unspaced Chinese as one zero-slop phrase.

use std::sync::Arc;

use tantivy::Term;
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query};
use tantivy::schema::{Field, IndexRecordOption};

use super::analyzed::{AnalyzedQuery, Origin, Phrase};
use super::phrase;
use super::prefix::{PrefixCache, PrefixQuery, is_lone_han};
use super::ranking::{
    self, ABSENT_PINYIN_BOOST, ABSENT_WORD_SYNONYM_BOOST, CHARS_BOOST, FIELD_TIE_BREAKER,
    HEADING_BOOST, PINYIN_BOOST, PROXIMITY_BOOST, SYNONYM_BOOST, TEXT_BOOST, TITLE_BOOST,
};
pub use super::topk::Node;
use crate::analysis::WORD_POSITION_CHARS;
use crate::index::Fields;

/// Most distinct words a query uses; the rest of a very long query is ignored
/// (and reported) so a pasted page cannot make one search take seconds.
pub const MAX_WORDS: usize = 64;
/// The user's query split into its parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// Free text: everything that is not a phrase or an exclusion.
    pub text: String,
    /// Quoted phrases that every hit must contain.
    pub phrases: Vec<String>,
    /// Words after `-` that no hit may contain.
    pub excluded: Vec<String>,
}

impl ParsedQuery {
    /// Splits raw query text into free text, `"phrases"` and `-exclusions`.
    pub fn parse(raw: &str) -> ParsedQuery {
        let mut parsed = ParsedQuery::default();
        let mut rest = raw;
        while let Some(c) = rest.chars().next() {
            if let Some(close) = closing_quote(c) {
                let body = &rest[c.len_utf8()..];
                if let Some(end) = body.find(close) {
                    parsed.phrases.push(body[..end].to_string());
                    parsed.text.push(' ');
                    rest = &body[end + close.len_utf8()..];
                    continue;
                }
                // An unbalanced quote is just punctuation.
                parsed.text.push(' ');
                rest = body;
                continue;
            }
            let at_word_start =
                parsed.text.is_empty() || parsed.text.ends_with(char::is_whitespace);
            if c == '-' && at_word_start {
                let body = &rest[1..];
                let end = body.find(char::is_whitespace).unwrap_or(body.len());
                let word = &body[..end];
                if !word.is_empty() && !word.starts_with('-') {
                    parsed.excluded.push(word.to_string());
                    parsed.text.push(' ');
                    rest = &body[end..];
                    continue;
                }
            }
            parsed.text.push(c);
            rest = &rest[c.len_utf8()..];
        }
        parsed
    }
}

fn closing_quote(open: char) -> Option<char> {
    match open {
        '"' => Some('"'),
        '“' => Some('”'),
        '「' => Some('」'),
        '『' => Some('』'),
        _ => None,
    }
}

/// A query ready to run, with what it was built from (for highlighting and explaining).
pub struct BuiltQuery {
    pub query: Box<dyn Query>,
    /// The query's analysis, which the query was built from.
    pub analyzed: AnalyzedQuery,
    /// Words, grams and synonym groups in most passages (see [`ranking::COMMON_SHARE`]),
    /// left out of the search (they still count for coverage).
    pub common: Vec<String>,
    /// Every scoring clause with what it stands for, to explain a score.
    pub parts: Vec<Part>,
    /// How the query runs in two phases, `None` when it must run whole.
    pub pruned: Option<Pruned>,
    /// Variant spellings no passage has, with the standard spelling the
    /// index does have, which the query searched in full instead.
    pub corrections: Vec<Correction>,
    /// Whether the query has pinyin the index had no readings to read by.
    pub unread_pinyin: bool,
}

/// A variant spelling of the query that no passage has, and the standard
/// one the index has (`身分证` → `身份证`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Correction {
    pub typed: String,
    pub corrected: String,
}

/// A query's two-phase plan (see [`super::topk`]).
#[derive(Clone)]
pub struct Pruned {
    /// The first phase's terms and weights, for a flat OR.
    pub terms: Vec<(Term, f32)>,
    /// The whole query as a tree, to score the candidates by.
    pub node: Node,
    /// A query matching what the whole query matches, cheaper to count:
    /// proximity clauses only match passages their words already do.
    pub count: Node,
    /// Whether the whole query matches passages the terms do not: a lone
    /// character's ([`PrefixQuery`], which tantivy cannot prune). When the
    /// terms find fewer than the candidates wanted, such passages may be
    /// all there is, and the query runs whole.
    pub partial: bool,
}

impl Pruned {
    /// The plan for `parts`, or `None` when the query must run whole: a
    /// phrase or an exclusion constrains every hit, which a flat OR cannot
    /// say, and a query of lone characters may have no terms (see
    /// [`Pruned::partial`]).
    fn plan(parts: &[Part], analyzed: &AnalyzedQuery) -> Option<Pruned> {
        if !analyzed.excluded.is_empty()
            || parts.iter().any(|p| matches!(p.kind, PartKind::Phrase(_)))
        {
            return None;
        }
        let grams: Vec<&str> = parts
            .iter()
            .filter_map(|p| match &p.kind {
                PartKind::Gram(g) => Some(g.as_str()),
                _ => None,
            })
            .collect();
        let mut terms = Vec::new();
        for part in parts {
            match &part.kind {
                PartKind::Word(word) if covered_by_grams(word, &grams) => {}
                PartKind::Near(..) => {}
                _ => part.node.terms(&mut terms),
            }
        }
        if terms.is_empty() {
            return None;
        }
        let nodes = |keep: fn(&PartKind) -> bool| {
            Node::Sum(
                parts
                    .iter()
                    .filter(|p| keep(&p.kind))
                    .map(|p| p.node.clone())
                    .collect(),
            )
        };
        Some(Pruned {
            terms,
            node: nodes(|_| true),
            count: nodes(|kind| !matches!(kind, PartKind::Near(..))),
            partial: grams.iter().any(|g| is_lone_han(g))
                || analyzed.expansions.iter().any(|e| {
                    e.entry_grams
                        .as_deref()
                        .is_some_and(|grams| grams.iter().any(|(_, g)| is_lone_han(g)))
                }),
        })
    }
}

/// Whether every passage with the Han word `word` also has one of the query's
/// `grams` (its character pairs, which the chars field holds wherever the
/// word is): the first phase needs no term of its own for it. Leaving such
/// words out is what makes the first phase fast, each word being three more
/// terms (title, heading, text): at x10 (`search --batch -n 10` over the
/// 2,000 InsuranceQA questions) p50 2.9 ms without them, 4.8 ms with them,
/// for MRR@10 0.2457 without and 0.2452 with. Taking the query's words
/// instead of its pairs was worse on both: 3.6 ms and 0.2420.
fn covered_by_grams(word: &str, grams: &[&str]) -> bool {
    let chars: Vec<char> = word.chars().collect();
    chars.len() >= 2
        && chars.iter().all(|&c| crate::analysis::is_han(c))
        && chars
            .windows(2)
            .all(|pair| grams.contains(&String::from_iter(pair).as_str()))
}

impl BuiltQuery {
    /// What each synonym of the group entry `entry` weighs in this query.
    pub fn synonym_weights(&self, entry: &str) -> Vec<f32> {
        self.parts
            .iter()
            .find_map(|part| match &part.kind {
                PartKind::Synonyms {
                    entry: e, weights, ..
                } if e == entry => Some(weights.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

/// One scoring clause of a built query.
pub struct Part {
    pub kind: PartKind,
    /// The clause as a tree, to score chosen passages by (see [`super::topk`]).
    pub node: Node,
    /// The same clause as a tantivy query.
    pub query: Box<dyn Query>,
}

impl Part {
    fn new(kind: PartKind, node: Node) -> Part {
        let query = node.query();
        Part { kind, node, query }
    }

    /// How the clause combines with the others: a phrase must match, the
    /// rest add up.
    fn occur(&self) -> Occur {
        match self.kind {
            PartKind::Phrase(_) => Occur::Must,
            _ => Occur::Should,
        }
    }
}

/// What a scoring clause stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum PartKind {
    /// A query word in title, heading or text.
    Word(String),
    /// A group entry found in the query, or its synonyms.
    Synonyms {
        entry: String,
        synonyms: Vec<String>,
        /// What each synonym weighs, in the order of `synonyms` (see
        /// [`ranking::SYNONYM_BOOST`] and [`ranking::PINYIN_BOOST`]).
        weights: Vec<f32>,
    },
    /// A character gram in the passage text.
    Gram(String),
    /// Two adjacent query words close together.
    Near(String, String),
    /// A quoted phrase that must occur.
    Phrase(String),
}

/// Why a query cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// Nothing searchable: only punctuation, only exclusions, or empty.
    NoSearchableWords,
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::NoSearchableWords => f.write_str(
                "the query has no searchable words: type Chinese or Latin words, e.g. `eSIM 在线销户`",
            ),
        }
    }
}

impl std::error::Error for QueryError {}

/// Builds the tantivy query for `analyzed`, in stages: words, synonym
/// groups, character grams, proximity, phrases (each a scoring [`Part`]),
/// then exclusions.
///
/// Each word is a disjunction over title, heading and text (best field wins,
/// others add a little); words add up, so passages matching more of the query
/// rank above those repeating one word. Character grams add a low-weighted
/// fallback, adjacent words found close together add a proximity bonus,
/// phrases must match as exact substrings and exclusions must not. The
/// clauses keep this order: BM25 sums them in it.
pub fn build(
    analyzed: AnalyzedQuery,
    fields: &Fields,
    stats: &TermStats,
    prefixes: &Arc<PrefixCache>,
) -> Result<BuiltQuery, QueryError> {
    let common = CommonTerms::find(&analyzed, fields, stats);
    let mut parts = word_parts(&analyzed, &common, fields);
    parts.extend(synonym_parts(&analyzed, &common, fields, stats, prefixes));
    parts.extend(gram_parts(&analyzed, &common, fields, prefixes));
    parts.extend(proximity_parts(&analyzed, &common, fields));
    parts.extend(phrase_parts(&analyzed, fields, prefixes));
    if parts.is_empty() {
        return Err(QueryError::NoSearchableWords);
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = parts
        .iter()
        .map(|part| (part.occur(), part.query.box_clone()))
        .collect();
    clauses.extend(exclusion_clauses(&analyzed, fields, prefixes));
    let pruned = Pruned::plan(&parts, &analyzed);
    let corrections = analyzed
        .expansions
        .iter()
        .filter_map(|e| {
            let corrected = e.correction.as_ref()?;
            let applies =
                is_absent(&e.entry, fields, stats) && !is_absent(corrected, fields, stats);
            applies.then(|| Correction {
                typed: e.entry.clone(),
                corrected: corrected.clone(),
            })
        })
        .collect();
    Ok(BuiltQuery {
        corrections,
        unread_pinyin: false,
        query: Box::new(BooleanQuery::new(clauses)),
        common: common.left_out(),
        analyzed,
        parts,
        pruned,
    })
}

/// Stage 1: each query word that is not common and not a synonym entry
/// (its group scores it) across the word fields.
fn word_parts(analyzed: &AnalyzedQuery, common: &CommonTerms, fields: &Fields) -> Vec<Part> {
    analyzed
        .terms
        .words
        .iter()
        .filter(|word| !common.words.contains(word) && !analyzed.is_entry(word))
        .map(|word| Part::new(PartKind::Word(word.clone()), word_query(fields, word)))
        .collect()
}

/// Stage 2: each synonym group found in the query, as one disjunction of
/// the entry and its synonyms: the best counts, so a concept counts once and
/// the user's own words count most.
fn synonym_parts(
    analyzed: &AnalyzedQuery,
    common: &CommonTerms,
    fields: &Fields,
    stats: &TermStats,
    prefixes: &Arc<PrefixCache>,
) -> Vec<Part> {
    let mut parts = Vec::new();
    for expansion in &analyzed.expansions {
        let entry = &expansion.entry;
        if common.groups.contains(entry) {
            continue;
        }
        // The group is one concept with one rarity: a passage saying 销户 is
        // no more relevant to `注销` than one saying 注销 just because 销户 is
        // the rarer word. So each single-word alternative is scaled from its
        // own IDF to the group's (from the union of their documents).
        let own = if analyzed.terms.words.contains(entry) {
            Some((word_query(fields, entry), Some(entry.clone())))
        } else {
            words_query(fields, &expansion.entry_words)
        };
        let typed_is_absent = own
            .as_ref()
            .and_then(|(_, w)| w.as_deref())
            .is_some_and(|w| is_absent(w, fields, stats));
        let pinyin_weight = match (expansion.origin, expansion.synonyms.first()) {
            (Origin::Pinyin { typed_docs, .. }, Some(heard))
                if typed_docs.saturating_mul(10) <= stats.doc_freq(heard) =>
            {
                ABSENT_PINYIN_BOOST
            }
            _ => PINYIN_BOOST,
        };
        let weights: Vec<f32> = (0..expansion.synonyms.len())
            .map(|k| match expansion.origin {
                Origin::Pinyin { heard, .. } if k < heard => pinyin_weight,
                Origin::Pinyin { .. } => pinyin_weight * SYNONYM_BOOST,
                // The typed span is in ten times fewer passages than the
                // word at most (see `sound::homophones`): the word counts
                // in full, as a synonym of a word no passage has.
                Origin::Homophone => ABSENT_WORD_SYNONYM_BOOST,
                _ if typed_is_absent => ABSENT_WORD_SYNONYM_BOOST,
                _ => SYNONYM_BOOST,
            })
            .collect();
        let mut weighted: Vec<(Node, Option<String>, f32)> = Vec::new();
        weighted.extend(own.map(|(q, w)| (q, w, 1.0)));
        for (words, &weight) in expansion.synonym_words.iter().zip(&weights) {
            if let Some((query, word)) = words_query(fields, words) {
                weighted.push((query, word, weight));
            }
        }
        let group_docs: u64 = weighted
            .iter()
            .filter_map(|(_, w, _)| w.as_deref())
            .map(|w| stats.doc_freq(w))
            .sum::<u64>()
            .min(stats.num_docs);
        let group_idf = stats.idf(group_docs);
        let mut alternatives: Vec<Node> = weighted
            .into_iter()
            .map(|(query, word, weight)| {
                let scale = word.map_or(1.0, |w| stats.scale_to(group_idf, &w));
                boosted(query, weight * scale)
            })
            .collect();
        // The entry's own characters still find it where the passage's
        // segmentation split it differently (讲解约流程 has no word 解约);
        // as one more alternative they never add to a word match.
        // Scaled to the group's rarity like the words.
        if let Some(grams) = &expansion.entry_grams {
            alternatives.push(boosted(
                grams_query(fields, prefixes, grams, Occur::Should),
                CHARS_BOOST * stats.scale_to(group_idf, entry),
            ));
        }
        let kind = PartKind::Synonyms {
            entry: entry.clone(),
            synonyms: expansion.synonyms.clone(),
            weights,
        };
        parts.push(Part::new(kind, Node::Max(alternatives, 0.0)));
    }
    parts
}

/// Stage 3: each character gram that is not common, in the chars field.
fn gram_parts(
    analyzed: &AnalyzedQuery,
    common: &CommonTerms,
    fields: &Fields,
    prefixes: &Arc<PrefixCache>,
) -> Vec<Part> {
    analyzed
        .terms
        .grams
        .iter()
        .filter(|g| !common.grams.contains(g))
        .map(|gram| {
            let query = boosted(gram_query(fields, prefixes, gram), CHARS_BOOST);
            Part::new(PartKind::Gram(gram.clone()), query)
        })
        .collect()
}

/// Stage 4: each pair of adjacent content words (neither common) found
/// close together in the text: starting in the same stretch of
/// [`WORD_POSITION_CHARS`] characters, which is what a word's position
/// says (the second in the next stretch when the first word fills half a
/// stretch or more).
fn proximity_parts(analyzed: &AnalyzedQuery, common: &CommonTerms, fields: &Fields) -> Vec<Part> {
    let mut parts = Vec::new();
    for pair in analyzed.near.windows(2) {
        if pair[0] == pair[1] || common.words.contains(&pair[0]) || common.words.contains(&pair[1])
        {
            continue;
        }
        let stretches = (pair[0].chars().count() + WORD_POSITION_CHARS / 2) / WORD_POSITION_CHARS;
        let phrase = PhraseQuery::new_with_offset_and_slop(
            vec![
                (0, term(fields.text, &pair[0])),
                (stretches, term(fields.text, &pair[1])),
            ],
            0,
        );
        let kind = PartKind::Near(pair[0].clone(), pair[1].clone());
        let phrase = Node::Leaf(Box::new(phrase));
        parts.push(Part::new(kind, boosted(phrase, PROXIMITY_BOOST)));
    }
    parts
}

/// Stage 5: each searchable quoted phrase, which every hit must contain.
fn phrase_parts(
    analyzed: &AnalyzedQuery,
    fields: &Fields,
    prefixes: &Arc<PrefixCache>,
) -> Vec<Part> {
    analyzed
        .searchable_phrases()
        .filter_map(|phrase| {
            let node = phrase_query(fields, prefixes, phrase)?;
            Some(Part::new(PartKind::Phrase(phrase.quoted.clone()), node))
        })
        .collect()
}

/// Stage 6: each excluded word, as all of its grams: for short words nearly
/// always the same as the exact word, and the chars field has no positions
/// to tell.
fn exclusion_clauses(
    analyzed: &AnalyzedQuery,
    fields: &Fields,
    prefixes: &Arc<PrefixCache>,
) -> Vec<(Occur, Box<dyn Query>)> {
    analyzed
        .excluded
        .iter()
        .filter_map(|word| word.grams.as_deref())
        .map(|grams| {
            (
                Occur::MustNot,
                grams_query(fields, prefixes, grams, Occur::Must).query(),
            )
        })
        .collect()
}

/// The words, grams and synonym groups of a query that most passages have
/// (see [`ranking::COMMON_SHARE`]): left out, as long as something rarer remains.
/// All empty when nothing is left out.
#[derive(Debug, Default, PartialEq)]
struct CommonTerms {
    words: Vec<String>,
    grams: Vec<String>,
    groups: Vec<String>,
}

impl CommonTerms {
    fn find(analyzed: &AnalyzedQuery, fields: &Fields, stats: &TermStats) -> CommonTerms {
        let terms = &analyzed.terms;
        let expansions = &analyzed.expansions;
        let common = CommonTerms {
            words: terms
                .words
                .iter()
                .filter(|w| stats.is_common(fields.text, w))
                .cloned()
                .collect(),
            grams: terms
                .grams
                .iter()
                .filter(|g| g.chars().count() > 1 && stats.is_common(fields.chars, g))
                .cloned()
                .collect(),
            // A synonym group is as common as all its spellings together.
            groups: expansions
                .iter()
                .filter(|e| {
                    let docs: u64 = std::iter::once(&e.entry)
                        .chain(&e.synonyms)
                        .map(|w| stats.doc_freq(w))
                        .sum();
                    stats.is_common_count(docs)
                })
                .map(|e| e.entry.clone())
                .collect(),
        };
        let rarer_remains = terms
            .words
            .iter()
            .any(|w| !analyzed.is_entry(w) && !common.words.contains(w))
            || terms.grams.iter().any(|g| !common.grams.contains(g))
            || common.groups.len() < expansions.len()
            || !analyzed.phrases.is_empty();
        if rarer_remains {
            common
        } else {
            CommonTerms::default()
        }
    }

    /// Everything left out, each once, for `--explain`.
    fn left_out(&self) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        for term in self.groups.iter().chain(&self.words).chain(&self.grams) {
            if !all.contains(term) {
                all.push(term.clone());
            }
        }
        all
    }
}

/// A synonym entry's content words as a query: its one word (returned too),
/// or all of its words.
fn words_query(fields: &Fields, words: &[String]) -> Option<(Node, Option<String>)> {
    match words {
        [] => None,
        [word] => Some((word_query(fields, word), Some(word.clone()))),
        _ => Some((
            Node::All(words.iter().map(|w| word_query(fields, w)).collect()),
            None,
        )),
    }
}

/// Whether no passage has `word`: not as a word of any field, and not in
/// the text split differently by jieba (`讲解约流程` has no word `解约` but
/// has its characters), which a character pair no passage has rules out.
/// A lone character is never taken for absent: it may sit inside any word.
fn is_absent(word: &str, fields: &Fields, stats: &TermStats) -> bool {
    let chars: Vec<char> = word.chars().collect();
    [fields.text, fields.heading, fields.title]
        .into_iter()
        .all(|field| (stats.doc_freq)(field, word) == 0)
        && chars.len() >= 2
        && chars
            .windows(2)
            .any(|pair| (stats.doc_freq)(fields.chars, &String::from_iter(pair)) == 0)
}

/// Document statistics, for weighting synonym groups and leaving out
/// terms nearly every passage has.
pub struct TermStats<'a> {
    pub num_docs: u64,
    /// Passages whose field contains a term.
    pub doc_freq: &'a dyn Fn(Field, &str) -> u64,
    /// The field whose statistics weigh words (the passage text).
    pub text: Field,
}

impl TermStats<'_> {
    /// Passages whose text contains `word`.
    fn doc_freq(&self, word: &str) -> u64 {
        (self.doc_freq)(self.text, word)
    }

    /// Whether more than [`ranking::COMMON_SHARE`] of the passages, and at least
    /// [`ranking::COMMON_MIN_DOCS`], have `term` in `field`.
    fn is_common(&self, field: Field, term: &str) -> bool {
        self.is_common_count((self.doc_freq)(field, term))
    }

    fn is_common_count(&self, docs: u64) -> bool {
        ranking::is_common(docs, self.num_docs)
    }

    /// The factor that brings `word`'s IDF down to `group_idf` (never up).
    fn scale_to(&self, group_idf: f32, word: &str) -> f32 {
        let own_idf = self.idf(self.doc_freq(word));
        if own_idf > 0.0 {
            (group_idf / own_idf).min(1.0)
        } else {
            1.0
        }
    }

    /// BM25's inverse document frequency (see [`ranking::idf`]).
    fn idf(&self, doc_freq: u64) -> f32 {
        ranking::idf(doc_freq, self.num_docs)
    }
}

/// The word fields with their weights, for explaining a score.
pub fn weighted_word_fields(fields: &Fields) -> [(&'static str, Field, f32); 3] {
    [
        ("heading", fields.heading, HEADING_BOOST),
        ("title", fields.title, TITLE_BOOST),
        ("text", fields.text, TEXT_BOOST),
    ]
}

/// `word` in one field with a weight, as a query (for explaining a score).
pub fn field_term_query(field: Field, word: &str, weight: f32) -> Box<dyn Query> {
    boosted(term_query(field, word), weight).query()
}

/// One word across the word fields: the best field counts, the others add a little.
fn word_query(fields: &Fields, word: &str) -> Node {
    let per_field = vec![
        boosted(term_query(fields.heading, word), HEADING_BOOST),
        boosted(term_query(fields.title, word), TITLE_BOOST),
        boosted(term_query(fields.text, word), TEXT_BOOST),
    ];
    Node::Max(per_field, FIELD_TIE_BREAKER)
}

/// An exact-substring match of `phrase` in the passage text: every gram of
/// it through the chars field, confirmed on the stored text.
fn phrase_query(fields: &Fields, prefixes: &Arc<PrefixCache>, phrase: &Phrase) -> Option<Node> {
    let grams = phrase.grams.as_deref()?;
    if let [(_, gram)] = grams {
        // One gram is the phrase itself: nothing to confirm.
        return Some(gram_query(fields, prefixes, gram));
    }
    Some(Node::Leaf(Box::new(phrase::SubstringQuery::new(
        grams_query(fields, prefixes, grams, Occur::Must).query(),
        phrase.typed(),
        &phrase.normalized,
    ))))
}

/// `grams` (from [`crate::analysis::phrase_grams`]) combined with `occur`.
fn grams_query(
    fields: &Fields,
    prefixes: &Arc<PrefixCache>,
    grams: &[(usize, String)],
    occur: Occur,
) -> Node {
    let nodes = grams
        .iter()
        .map(|(_, gram)| gram_query(fields, prefixes, gram))
        .collect();
    match occur {
        Occur::Must => Node::All(nodes),
        _ => Node::Sum(nodes),
    }
}

/// One gram in the chars field: a term, or for a lone Han character every
/// term starting with it (see [`PrefixQuery`]; its passages are kept in
/// `prefixes`).
fn gram_query(fields: &Fields, prefixes: &Arc<PrefixCache>, gram: &str) -> Node {
    if is_lone_han(gram) {
        Node::Leaf(Box::new(PrefixQuery::new(fields.chars, gram, prefixes)))
    } else {
        Node::Term(term(fields.chars, gram), IndexRecordOption::WithFreqs)
    }
}

fn term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

/// A word in one field, scored by BM25: frequencies, never positions (only
/// the text has them, and proximity reads them through its own phrases).
fn term_query(field: Field, text: &str) -> Node {
    Node::Term(term(field, text), IndexRecordOption::WithFreqs)
}

fn boosted(node: Node, boost: f32) -> Node {
    Node::Boost(Box::new(node), boost)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Synonyms;
    use crate::search::testing::{SEGMENTERS, TestIndex};
    use tantivy::Searcher;

    fn analyze(raw: &str, synonyms: &Synonyms) -> AnalyzedQuery {
        AnalyzedQuery::new(&ParsedQuery::parse(raw), &SEGMENTERS, synonyms, &|_, _| {
            Vec::new()
        })
    }

    /// Builds with the statistics of `index` and runs `f` on the stages' inputs.
    fn with_stats<T>(index: &TestIndex, f: impl FnOnce(&TermStats, &Arc<PrefixCache>) -> T) -> T {
        let searcher: Searcher = index.searcher();
        let doc_freq = |field: Field, word: &str| {
            searcher
                .doc_freq(&Term::from_field_text(field, word))
                .unwrap()
        };
        let stats = TermStats {
            num_docs: searcher.num_docs(),
            doc_freq: &doc_freq,
            text: index.fields.text,
        };
        f(&stats, &Arc::default())
    }

    fn kinds(parts: &[Part]) -> Vec<PartKind> {
        parts.iter().map(|p| p.kind.clone()).collect()
    }

    fn word(w: &str) -> PartKind {
        PartKind::Word(w.to_string())
    }

    #[test]
    fn word_stage_skips_synonym_entries_and_searches_every_word_field() {
        let index = TestIndex::new(&["支持在线销户", "线下销户流程"]);
        let mut synonyms = Synonyms::default();
        synonyms.add_groups("销户 注销");
        let q = analyze("在线 销户", &synonyms);
        let parts = word_parts(&q, &CommonTerms::default(), &index.fields);
        assert_eq!(kinds(&parts), [word("在线")], "销户 is scored by its group");
        assert_eq!(index.count(parts[0].query.as_ref()), 1);
        assert!(parts.iter().all(|p| p.occur() == Occur::Should));
    }

    #[test]
    fn synonym_stage_gives_an_absent_word_synonyms_in_full() {
        let mut synonyms = Synonyms::default();
        synonyms.add_groups("网上 在线");
        let q = analyze("网上注销", &synonyms);
        let synonyms_part = |texts: &[&str]| {
            let index = TestIndex::new(texts);
            let parts = with_stats(&index, |stats, prefixes| {
                synonym_parts(&q, &CommonTerms::default(), &index.fields, stats, prefixes)
            });
            let matched = index.count(parts[0].query.as_ref());
            (kinds(&parts), matched)
        };
        let group = |weight| PartKind::Synonyms {
            entry: "网上".to_string(),
            synonyms: vec!["在线".to_string()],
            weights: vec![weight],
        };
        assert_eq!(
            synonyms_part(&["支持在线注销", "电话注销"]),
            (vec![group(ABSENT_WORD_SYNONYM_BOOST)], 1)
        );
        assert_eq!(
            synonyms_part(&["支持在线注销", "网上注销"]),
            (vec![group(SYNONYM_BOOST)], 2)
        );
    }

    #[test]
    fn gram_stage_searches_the_query_grams_in_the_chars_field() {
        let index = TestIndex::new(&["我的卡片", "电话"]);
        let q = analyze("我的卡吗", &Synonyms::default());
        let parts = gram_parts(&q, &CommonTerms::default(), &index.fields, &Arc::default());
        let grams: Vec<PartKind> = q.terms.grams.iter().cloned().map(PartKind::Gram).collect();
        assert_eq!(kinds(&parts), grams);
        let lone = parts
            .iter()
            .find(|p| p.kind == PartKind::Gram("卡".to_string()))
            .expect("a content character between stop words");
        assert_eq!(
            index.count(lone.query.as_ref()),
            1,
            "卡 as a prefix of 卡片"
        );
    }

    #[test]
    fn proximity_stage_pairs_adjacent_words_close_together() {
        let index = TestIndex::new(&["在线办理销户", "在线咨询。其他的内容很长很长很长。销户"]);
        let q = analyze("在线 销户", &Synonyms::default());
        let parts = proximity_parts(&q, &CommonTerms::default(), &index.fields);
        assert_eq!(
            kinds(&parts),
            [PartKind::Near("在线".to_string(), "销户".to_string())]
        );
        assert_eq!(
            index.count(parts[0].query.as_ref()),
            1,
            "only in the same stretch of WORD_POSITION_CHARS characters"
        );
    }

    #[test]
    fn phrase_stage_must_match_the_exact_text() {
        let index = TestIndex::new(&["支持在线注销。", "在线，注销", "在線註銷"]);
        let q = analyze("流程 “在线注销”", &Synonyms::default());
        let parts = phrase_parts(&q, &index.fields, &Arc::default());
        assert_eq!(kinds(&parts), [PartKind::Phrase("在线注销".to_string())]);
        assert_eq!(parts[0].occur(), Occur::Must);
        assert_eq!(
            index.count(parts[0].query.as_ref()),
            2,
            "as typed or normalized"
        );
    }

    #[test]
    fn exclusion_stage_rules_out_passages_with_the_word() {
        let index = TestIndex::new(&["线下注销", "在线注销"]);
        let q = analyze("注销 -线下", &Synonyms::default());
        let clauses = exclusion_clauses(&q, &index.fields, &Arc::default());
        assert_eq!(clauses.len(), 1);
        assert_eq!(clauses[0].0, Occur::MustNot);
        assert_eq!(index.count(clauses[0].1.as_ref()), 1);
        let built = with_stats(&index, |stats, prefixes| {
            build(q.clone(), &index.fields, stats, prefixes)
        })
        .unwrap();
        assert_eq!(index.count(built.query.as_ref()), 1);
    }

    #[test]
    fn a_query_of_exclusions_only_cannot_run() {
        let index = TestIndex::new(&["线下注销"]);
        let q = analyze("-线下", &Synonyms::default());
        let built = with_stats(&index, |stats, prefixes| {
            build(q, &index.fields, stats, prefixes)
        });
        assert_eq!(built.err(), Some(QueryError::NoSearchableWords));
    }

    #[test]
    fn a_word_in_most_passages_is_left_out_while_a_rarer_one_remains() {
        let mut texts = vec!["流量卡的注销"; ranking::COMMON_MIN_DOCS as usize];
        texts.push("流量卡的销户");
        let index = TestIndex::new(&texts);
        let common = |raw: &str| {
            let q = analyze(raw, &Synonyms::default());
            with_stats(&index, |stats, _| {
                CommonTerms::find(&q, &index.fields, stats)
            })
        };
        let found = common("流量卡 销户");
        assert!(found.words.contains(&"流量".to_string()), "{found:?}");
        assert!(!found.words.contains(&"销户".to_string()));
        assert_eq!(found.left_out().first(), found.words.first());
        assert_eq!(common("流量卡"), CommonTerms::default(), "nothing rarer");
    }

    fn parse(raw: &str) -> ParsedQuery {
        ParsedQuery::parse(raw)
    }

    #[test]
    fn quoted_phrases_and_exclusions_are_recognised() {
        let q = parse("eSIM \"在线注销\" -线下");
        assert_eq!(q.phrases, ["在线注销"]);
        assert_eq!(q.excluded, ["线下"]);
        assert_eq!(q.text.trim(), "eSIM");
        let q = parse("“在线注销” 流程");
        assert_eq!(q.phrases, ["在线注销"]);
    }

    #[test]
    fn syntax_characters_are_text() {
        assert_eq!(parse("\"eSIM").phrases, Vec::<String>::new());
        assert!(parse("\"eSIM").text.contains("eSIM"));
        assert_eq!(parse("title:注销").text, "title:注销");
        assert_eq!(parse("eSIM^2").text, "eSIM^2");
        assert!(parse("+-").excluded.is_empty());
        assert!(parse("a-b").excluded.is_empty());
        assert!(parse("--x").excluded.is_empty());
    }
}
