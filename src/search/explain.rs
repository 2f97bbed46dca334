//! `--explain`: how a query was understood and why each hit scored.
//!
//! The query side lists the normalized text, the words searched, the stop
//! words dropped, the character grams, and every synonym expansion with its
//! weight. The hit side splits the BM25 score into the clauses that produced
//! it (each query word by field, synonyms, grams, proximity) and shows the
//! coverage factor of the re-ranking that turned it into the final score.

use serde::Serialize;
use tantivy::DocSet;
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, Searcher};

use super::analyzed::Origin;
use super::query::{self, BuiltQuery, PartKind};
#[cfg(doc)]
use super::ranking;
use super::ranking::SYNONYM_BOOST;
use crate::index::Fields;

/// How the query was understood.
#[derive(Debug, Clone, Serialize)]
pub struct QueryReport {
    /// The text after normalization (full-width folded, lowercase, simplified).
    pub normalized: String,
    /// Words searched in title, heading and text.
    pub words: Vec<String>,
    /// Stop words dropped from the query.
    pub stopped: Vec<String>,
    /// Character grams searched in the text (the fallback for partial words).
    pub grams: Vec<String>,
    /// Variant spellings no passage has, searched as their standard form.
    pub corrections: Vec<query::Correction>,
    /// Quoted phrases every hit must contain.
    pub phrases: Vec<String>,
    /// Words no hit may contain.
    pub excluded: Vec<String>,
    /// Synonyms searched besides the user's words.
    pub expansions: Vec<Expansion>,
    /// Words past the query-length limit, not searched.
    pub ignored: Vec<String>,
    /// Words and grams in more than half the passages: not searched (the
    /// query has rarer ones), still counted for coverage.
    pub common: Vec<String>,
}

/// One synonym expansion.
#[derive(Debug, Clone, Serialize)]
pub struct Expansion {
    /// The group word found in the query, or the pinyin or homophone typo
    /// as typed.
    pub word: String,
    pub synonyms: Vec<String>,
    /// Weight of a match of the first synonym relative to the word itself.
    pub weight: f32,
    /// Where the synonyms come from: `synonyms` (a group or variant
    /// spelling), `pinyin` (the words `word` reads as, then their
    /// synonyms, at half the weight), `pinyin initials` or `homophone`.
    pub source: &'static str,
}

/// Why one hit scored what it did.
#[derive(Debug, Clone, Serialize)]
pub struct HitReport {
    /// The BM25 score before re-ranking: the sum of `parts`.
    pub bm25: f32,
    /// Share of the query's concepts the passage contains (0–1).
    pub coverage: f32,
    /// The final score: [`ranking::final_score`] of `bm25` and `coverage`,
    /// unless capped (see [`ranking::ScoreOrigin`]).
    pub score: f32,
    /// The clauses that matched, largest first.
    pub parts: Vec<PartScore>,
}

/// The contribution of one query clause.
#[derive(Debug, Clone, Serialize)]
pub struct PartScore {
    /// What the clause stands for, e.g. `word 注销`, `synonyms of 销户`.
    pub clause: String,
    pub score: f32,
    /// For words and synonyms: the weighted BM25 of each matching term per field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldScore>,
}

/// A term's weighted BM25 in one field.
#[derive(Debug, Clone, Serialize)]
pub struct FieldScore {
    pub field: &'static str,
    pub term: String,
    pub score: f32,
}

impl QueryReport {
    pub fn new(built: &BuiltQuery) -> Self {
        let analyzed = &built.analyzed;
        QueryReport {
            corrections: built.corrections.clone(),
            normalized: analyzed.terms.normalized.clone(),
            words: analyzed.terms.words.clone(),
            stopped: analyzed.terms.stopped.clone(),
            grams: analyzed.terms.grams.clone(),
            phrases: analyzed
                .searchable_phrases()
                .map(|p| p.normalized.clone())
                .collect(),
            excluded: analyzed.excluded.iter().map(|e| e.typed.clone()).collect(),
            expansions: analyzed
                .expansions
                .iter()
                .map(|e| Expansion {
                    word: e.entry.clone(),
                    synonyms: e.synonyms.clone(),
                    weight: built
                        .synonym_weights(&e.entry)
                        .first()
                        .copied()
                        .unwrap_or(SYNONYM_BOOST),
                    source: match e.origin {
                        Origin::Group => "synonyms",
                        Origin::Homophone => "homophone",
                        Origin::Pinyin {
                            initials: false, ..
                        } => "pinyin",
                        Origin::Pinyin { initials: true, .. } => "pinyin initials",
                    },
                })
                .collect(),
            ignored: analyzed.ignored.clone(),
            common: built.common.clone(),
        }
    }
}

/// The score `query` gives the passage at `address`, 0 when it does not match.
///
/// Computed with a scorer rather than `Query::explain`, whose boolean
/// implementation seeks backwards (a debug assertion in tantivy 0.27) when the
/// passage is not the first match of a nested clause.
fn score_of(searcher: &Searcher, query: &dyn Query, address: DocAddress) -> f32 {
    let segment = searcher.segment_reader(address.segment_ord);
    let scored = query
        .weight(EnableScoring::enabled_from_searcher(searcher))
        .and_then(|weight| weight.scorer(segment, 1.0));
    let Ok(mut scorer) = scored else {
        return 0.0;
    };
    if scorer.doc() <= address.doc_id && scorer.seek(address.doc_id) == address.doc_id {
        scorer.score()
    } else {
        0.0
    }
}

/// Splits the score of the passage at `address` into the query's clauses.
/// `feedback` holds the expansion terms and their query when the passage was
/// ranked by the expanded query (past the first page).
pub fn explain_hit(
    searcher: &Searcher,
    fields: &Fields,
    built: &BuiltQuery,
    feedback: Option<(&[String], &dyn Query)>,
    address: DocAddress,
    scores: HitScore,
) -> HitReport {
    let value = |query: &dyn Query| score_of(searcher, query, address);
    let mut parts: Vec<PartScore> = built
        .parts
        .iter()
        .filter_map(|part| {
            let score = value(part.query.as_ref());
            if score <= 0.0 {
                return None;
            }
            let (clause, terms): (String, Vec<(&str, f32)>) = match &part.kind {
                PartKind::Word(word) => (format!("word {word}"), vec![(word.as_str(), 1.0)]),
                PartKind::Synonyms {
                    entry,
                    synonyms,
                    weights,
                } => {
                    let mut terms = vec![(entry.as_str(), 1.0)];
                    terms.extend(
                        synonyms
                            .iter()
                            .map(String::as_str)
                            .zip(weights.iter().copied()),
                    );
                    (format!("{entry} or synonyms {}", synonyms.join("/")), terms)
                }
                PartKind::Gram(gram) => (format!("characters {gram}"), Vec::new()),
                PartKind::Near(a, b) => (format!("{a} near {b}"), Vec::new()),
                PartKind::Phrase(p) => (format!("phrase \"{p}\""), Vec::new()),
            };
            let mut per_field = Vec::new();
            for (term, weight) in terms {
                for (name, field, boost) in query::weighted_word_fields(fields) {
                    let s = value(query::field_term_query(field, term, boost * weight).as_ref());
                    if s > 0.0 {
                        per_field.push(FieldScore {
                            field: name,
                            term: term.to_string(),
                            score: s,
                        });
                    }
                }
            }
            Some(PartScore {
                clause,
                score,
                fields: per_field,
            })
        })
        .collect();
    if let Some((terms, query)) = feedback {
        let score = value(query);
        if score > 0.0 {
            parts.push(PartScore {
                clause: format!("feedback {}", terms.join(" ")),
                score,
                fields: Vec::new(),
            });
        }
    }
    parts.sort_by(|a, b| b.score.total_cmp(&a.score));
    HitReport {
        bm25: scores.bm25,
        coverage: scores.coverage,
        score: scores.score,
        parts,
    }
}

/// The scores of one hit: BM25, its coverage, and the final score.
#[derive(Debug, Clone, Copy)]
pub struct HitScore {
    pub bm25: f32,
    pub coverage: f32,
    pub score: f32,
}
