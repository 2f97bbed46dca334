//! From what the user typed to a tantivy query.
//!
//! Users type questions, not syntax. The only syntax is `"exact phrase"`
//! (ASCII or Chinese quotes) and `-word` to exclude passages containing a word;
//! every other character is text (`title:`, `AND`, `eSIM^2`, a stray `"` or
//! `+-` never cause an error). The query is built from analyzed terms, never by
//! tantivy's QueryParser, which reads unspaced Chinese as one zero-slop phrase.

use std::sync::Arc;

use tantivy::Term;
use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use super::phrase;
use super::prefix::{PrefixCache, PrefixQuery, is_lone_han};
use super::ranking::{
    self, ABSENT_WORD_SYNONYM_BOOST, CHARS_BOOST, FIELD_TIE_BREAKER, HEADING_BOOST, MAX_EXPANSIONS,
    PROXIMITY_BOOST, PROXIMITY_SLOP, SYNONYM_BOOST, TEXT_BOOST, TITLE_BOOST,
};
use crate::analysis::{self, Lexicon, Normalized, QueryTerms, Segmenter, Synonyms};
use crate::index::Fields;

/// Most distinct words a query uses; the rest of a very long query is ignored
/// (and reported) so a pasted page cannot make one search take seconds.
pub const MAX_WORDS: usize = 64;
/// Most character grams a query uses, for the same reason: a Han word of
/// two characters has about two grams.
const MAX_GRAMS: usize = MAX_WORDS * 2;

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
    /// Terms of the free text and the phrases together.
    pub terms: QueryTerms,
    /// Normalized phrases, for highlighting.
    pub phrases: Vec<String>,
    /// Words of the query that were not used (past [`MAX_WORDS`]).
    pub ignored: Vec<String>,
    /// Synonym expansions: (group word found in the query, the synonyms it
    /// also searched for).
    pub expansions: Vec<(String, Vec<String>)>,
    /// Excluded words, as typed.
    pub excluded: Vec<String>,
    /// Words, grams and synonym groups in most passages (see [`ranking::COMMON_SHARE`]),
    /// left out of the search (they still count for coverage).
    pub common: Vec<String>,
    /// Every scoring clause with what it stands for, to explain a score.
    pub parts: Vec<Part>,
}

impl BuiltQuery {
    /// What the synonyms of the group entry `entry` weigh in this query.
    pub fn synonym_weight(&self, entry: &str) -> f32 {
        self.parts
            .iter()
            .find_map(|part| match &part.kind {
                PartKind::Synonyms {
                    entry: e, weight, ..
                } if e == entry => Some(*weight),
                _ => None,
            })
            .unwrap_or(SYNONYM_BOOST)
    }
}

/// One scoring clause of a built query.
pub struct Part {
    pub kind: PartKind,
    pub query: Box<dyn Query>,
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
        /// What each synonym weighs (see [`ranking::SYNONYM_BOOST`]).
        weight: f32,
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

/// Builds the tantivy query for `parsed`.
///
/// Each word is a disjunction over title, heading and text (best field wins,
/// others add a little); words add up, so passages matching more of the query
/// rank above those repeating one word. Character grams add a low-weighted
/// fallback, adjacent words found close together add a proximity bonus,
/// phrases must match as exact substrings and exclusions must not.
pub fn build(
    parsed: &ParsedQuery,
    lexicon: &Lexicon,
    synonyms: &Synonyms,
    fields: &Fields,
    stats: &TermStats,
    prefixes: &Arc<PrefixCache>,
) -> Result<BuiltQuery, QueryError> {
    let mut all_text = parsed.text.clone();
    for phrase in &parsed.phrases {
        all_text.push(' ');
        all_text.push_str(phrase);
    }
    let segmenter = lexicon.for_text(Normalized::new(&all_text).as_str());
    let mut terms = analysis::analyze_query(&segmenter, &all_text);
    let ignored = if terms.words.len() > MAX_WORDS {
        terms.words.split_off(MAX_WORDS)
    } else {
        Vec::new()
    };
    terms.grams.truncate(MAX_GRAMS);
    terms.sequence.truncate(MAX_WORDS);

    let expansions: Vec<(String, Vec<String>)> = synonyms
        .entries_in(&terms.normalized)
        .into_iter()
        .map(|(entry, found)| {
            let found = found
                .into_iter()
                .filter(|s| !terms.words.iter().any(|w| w == s))
                .take(MAX_EXPANSIONS)
                .map(str::to_string)
                .collect::<Vec<_>>();
            (entry.to_string(), found)
        })
        .filter(|(_, found)| !found.is_empty())
        .collect();
    // Synonyms are not substrings of the query: segment them with their own.
    let synonym_text: Vec<&str> = expansions
        .iter()
        .flat_map(|(_, found)| found.iter().map(String::as_str))
        .collect();
    let synonym_segmenter = lexicon.for_text(&synonym_text.join("\n"));
    // A concept expanded by synonyms is scored by its group alone: character
    // grams touching it would count its exact spelling a second time.
    let expanded_spans: Vec<std::ops::Range<usize>> = expansions
        .iter()
        .flat_map(|(entry, _)| {
            terms
                .normalized
                .match_indices(entry.as_str())
                .map(|(at, e)| at..at + e.len())
                .collect::<Vec<_>>()
        })
        .collect();
    if !expanded_spans.is_empty() {
        let normalized = terms.normalized.clone();
        terms.grams.retain(|gram| {
            !normalized.match_indices(gram.as_str()).any(|(at, g)| {
                expanded_spans
                    .iter()
                    .any(|span| at < span.end && span.start < at + g.len())
            })
        });
    }

    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut parts: Vec<Part> = Vec::new();
    let mut add = |occur: Occur, kind: PartKind, query: Box<dyn Query>| {
        parts.push(Part {
            kind,
            query: query.box_clone(),
        });
        clauses.push((occur, query));
    };
    let common = CommonTerms::find(
        &terms,
        &expansions,
        !parsed.phrases.is_empty(),
        fields,
        stats,
    );
    for word in &terms.words {
        if common.words.contains(word) {
            continue;
        }
        if !expansions.iter().any(|(entry, _)| entry == word) {
            add(
                Occur::Should,
                PartKind::Word(word.clone()),
                word_query(fields, word),
            );
        }
    }
    // A group entry found in the query, or any of its synonyms: the best
    // counts, so a concept counts once and the user's own words count most.
    for (entry, found) in &expansions {
        if common.groups.contains(entry) {
            continue;
        }
        // The group is one concept with one rarity: a passage saying 销户 is
        // no more relevant to `注销` than one saying 注销 just because 销户 is
        // the rarer word. So each single-word alternative is scaled from its
        // own IDF to the group's (from the union of their documents).
        let own = if terms.words.contains(entry) {
            Some((word_query(fields, entry), Some(entry.clone())))
        } else {
            synonym_query(&segmenter, fields, entry)
        };
        let typed_is_absent = own
            .as_ref()
            .and_then(|(_, w)| w.as_deref())
            .is_some_and(|w| is_absent(w, fields, stats));
        let synonym_weight = if typed_is_absent {
            ABSENT_WORD_SYNONYM_BOOST
        } else {
            SYNONYM_BOOST
        };
        let mut weighted: Vec<(Box<dyn Query>, Option<String>, f32)> = Vec::new();
        weighted.extend(own.map(|(q, w)| (q, w, 1.0)));
        for synonym in found {
            if let Some((query, word)) = synonym_query(&synonym_segmenter, fields, synonym) {
                weighted.push((query, word, synonym_weight));
            }
        }
        let group_docs: u64 = weighted
            .iter()
            .filter_map(|(_, w, _)| w.as_deref())
            .map(|w| stats.doc_freq(w))
            .sum::<u64>()
            .min(stats.num_docs);
        let group_idf = stats.idf(group_docs);
        let mut alternatives: Vec<Box<dyn Query>> = weighted
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
        if let Some(grams) = chars_grams(fields, prefixes, entry, Occur::Should) {
            alternatives.push(boosted(
                grams,
                CHARS_BOOST * stats.scale_to(group_idf, entry),
            ));
        }
        let kind = PartKind::Synonyms {
            entry: entry.clone(),
            synonyms: found.clone(),
            weight: synonym_weight,
        };
        add(
            Occur::Should,
            kind,
            Box::new(DisjunctionMaxQuery::new(alternatives)),
        );
    }
    for gram in terms.grams.iter().filter(|g| !common.grams.contains(g)) {
        let query = boosted(gram_query(fields, prefixes, gram), CHARS_BOOST);
        add(Occur::Should, PartKind::Gram(gram.clone()), query);
    }
    for pair in terms.sequence.windows(2) {
        if pair[0] == pair[1] || common.words.contains(&pair[0]) || common.words.contains(&pair[1])
        {
            continue;
        }
        let offset = pair[0].chars().count();
        let phrase = PhraseQuery::new_with_offset_and_slop(
            vec![
                (0, term(fields.text, &pair[0])),
                (offset, term(fields.text, &pair[1])),
            ],
            PROXIMITY_SLOP,
        );
        let kind = PartKind::Near(pair[0].clone(), pair[1].clone());
        add(
            Occur::Should,
            kind,
            boosted(Box::new(phrase), PROXIMITY_BOOST),
        );
    }
    let mut phrases = Vec::new();
    for phrase in &parsed.phrases {
        if let Some(query) = chars_phrase(fields, prefixes, phrase) {
            add(Occur::Must, PartKind::Phrase(phrase.clone()), query);
            phrases.push(
                analysis::Normalized::new(phrase)
                    .as_str()
                    .trim()
                    .to_string(),
            );
        }
    }
    if parts.is_empty() {
        return Err(QueryError::NoSearchableWords);
    }
    for word in &parsed.excluded {
        if let Some(query) = chars_grams(fields, prefixes, word, Occur::Must) {
            clauses.push((Occur::MustNot, query));
        }
    }
    Ok(BuiltQuery {
        query: Box::new(BooleanQuery::new(clauses)),
        terms,
        phrases,
        ignored,
        expansions,
        excluded: parsed.excluded.clone(),
        common: common.left_out(),
        parts,
    })
}

/// The words, grams and synonym groups of a query that most passages have
/// (see [`ranking::COMMON_SHARE`]): left out, as long as something rarer remains.
/// All empty when nothing is left out.
#[derive(Default)]
struct CommonTerms {
    words: Vec<String>,
    grams: Vec<String>,
    groups: Vec<String>,
}

impl CommonTerms {
    fn find(
        terms: &QueryTerms,
        expansions: &[(String, Vec<String>)],
        has_phrases: bool,
        fields: &Fields,
        stats: &TermStats,
    ) -> CommonTerms {
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
                .filter(|(entry, found)| {
                    let docs: u64 = std::iter::once(entry)
                        .chain(found)
                        .map(|w| stats.doc_freq(w))
                        .sum();
                    stats.is_common_count(docs)
                })
                .map(|(entry, _)| entry.clone())
                .collect(),
        };
        let is_entry = |w: &String| expansions.iter().any(|(entry, _)| entry == w);
        let rarer_remains = terms
            .words
            .iter()
            .any(|w| !is_entry(w) && !common.words.contains(w))
            || terms.grams.iter().any(|g| !common.grams.contains(g))
            || common.groups.len() < expansions.len()
            || has_phrases;
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

/// A synonym entry as a query: its one word (returned too), or all of its words.
fn synonym_query(
    segmenter: &Segmenter,
    fields: &Fields,
    synonym: &str,
) -> Option<(Box<dyn Query>, Option<String>)> {
    let mut words = analysis::exact_terms(segmenter, synonym);
    match words.len() {
        0 => None,
        1 => {
            let word = words.pop()?;
            Some((word_query(fields, &word), Some(word)))
        }
        _ => Some((
            Box::new(BooleanQuery::new(
                words
                    .iter()
                    .map(|w| (Occur::Must, word_query(fields, w)))
                    .collect(),
            )),
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
    /// The field whose statistics weigh character grams.
    pub chars: Field,
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
    boosted(term_query(field, word), weight)
}

/// One word across the word fields: the best field counts, the others add a little.
fn word_query(fields: &Fields, word: &str) -> Box<dyn Query> {
    let per_field = vec![
        boosted(term_query(fields.heading, word), HEADING_BOOST),
        boosted(term_query(fields.title, word), TITLE_BOOST),
        boosted(term_query(fields.text, word), TEXT_BOOST),
    ];
    Box::new(DisjunctionMaxQuery::with_tie_breaker(
        per_field,
        FIELD_TIE_BREAKER,
    ))
}

/// An exact-substring match of `text` in the passage text: every gram of it
/// through the chars field, confirmed on the stored text.
fn chars_phrase(
    fields: &Fields,
    prefixes: &Arc<PrefixCache>,
    text: &str,
) -> Option<Box<dyn Query>> {
    let grams = analysis::phrase_grams(text)?;
    if let [(_, gram)] = grams.as_slice() {
        // One gram is the phrase itself: nothing to confirm.
        return Some(gram_query(fields, prefixes, gram));
    }
    Some(Box::new(phrase::PhraseQuery::new(
        grams_query(fields, prefixes, &grams, Occur::Must),
        fields.text,
        text,
    )))
}

/// The character grams of `text` (bigrams, or the lone character) combined
/// with `occur`: `Should` for any of them (a synonym entry's spelling), `Must`
/// for all of them (an exclusion: for short words nearly always the same as
/// the exact word, and the chars field has no positions to tell).
fn chars_grams(
    fields: &Fields,
    prefixes: &Arc<PrefixCache>,
    text: &str,
    occur: Occur,
) -> Option<Box<dyn Query>> {
    Some(grams_query(
        fields,
        prefixes,
        &analysis::phrase_grams(text)?,
        occur,
    ))
}

/// `grams` (from [`analysis::phrase_grams`]) combined with `occur`.
fn grams_query(
    fields: &Fields,
    prefixes: &Arc<PrefixCache>,
    grams: &[(usize, String)],
    occur: Occur,
) -> Box<dyn Query> {
    let clauses = grams
        .iter()
        .map(|(_, gram)| (occur, gram_query(fields, prefixes, gram)))
        .collect();
    Box::new(BooleanQuery::new(clauses))
}

/// One gram in the chars field: a term, or for a lone Han character every
/// term starting with it (see [`PrefixQuery`]; its passages are kept in
/// `prefixes`).
fn gram_query(fields: &Fields, prefixes: &Arc<PrefixCache>, gram: &str) -> Box<dyn Query> {
    if is_lone_han(gram) {
        Box::new(PrefixQuery::new(fields.chars, gram, prefixes))
    } else {
        Box::new(TermQuery::new(
            term(fields.chars, gram),
            IndexRecordOption::WithFreqs,
        ))
    }
}

fn term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        term(field, text),
        IndexRecordOption::WithFreqsAndPositions,
    ))
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, boost))
}

#[cfg(test)]
mod tests {
    use super::*;

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
