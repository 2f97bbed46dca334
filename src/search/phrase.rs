//! Exact phrases: candidates from the character grams, confirmed on the text.
//!
//! The chars field has no positions (they would double its size), so a
//! quoted phrase is found in two steps: the passages holding every gram of
//! the phrase (cheap, from the postings), then only those whose stored text,
//! normalized, contains the phrase. Phrases are rare and their grams are
//! selective, so few passages are read; counts and ranks then agree.

use std::fmt;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError};

use crate::analysis::Normalized;
use crate::index::passages::SegmentCursor;

/// The passages matched by `candidates` whose stored text contains
/// `phrase` as a substring (as typed, or both normalized); scored by
/// `candidates`. Unlike tantivy's `PhraseQuery` it reads no positions: it
/// confirms candidates on the stored text.
pub struct SubstringQuery {
    candidates: Box<dyn Query>,
    phrase: Phrase,
}

/// A phrase as typed and normalized.
#[derive(Debug, Clone)]
struct Phrase {
    typed: String,
    normalized: String,
}

impl Phrase {
    /// Whether `text` contains the phrase: as typed (no need to normalize
    /// the passage, the common case) or after normalizing both.
    fn is_in(&self, text: &str) -> bool {
        (!self.typed.is_empty() && text.contains(&self.typed))
            || Normalized::new(text).as_str().contains(&self.normalized)
    }
}

impl SubstringQuery {
    /// The phrase `typed` (trimmed) and `normalized` (and trimmed);
    /// `candidates` must match every passage containing it.
    pub fn new(candidates: Box<dyn Query>, typed: &str, normalized: &str) -> SubstringQuery {
        SubstringQuery {
            candidates,
            phrase: Phrase {
                typed: typed.to_string(),
                normalized: normalized.to_string(),
            },
        }
    }
}

impl Clone for SubstringQuery {
    fn clone(&self) -> Self {
        SubstringQuery {
            candidates: self.candidates.box_clone(),
            phrase: self.phrase.clone(),
        }
    }
}

impl fmt::Debug for SubstringQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SubstringQuery({:?} in {:?})",
            self.phrase.normalized, self.candidates
        )
    }
}

impl Query for SubstringQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(SubstringWeight {
            candidates: self.candidates.weight(enable_scoring)?,
            phrase: self.phrase.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.candidates.query_terms(visitor);
    }
}

struct SubstringWeight {
    candidates: Box<dyn Weight>,
    phrase: Phrase,
}

impl Weight for SubstringWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorer = SubstringScorer {
            candidates: self.candidates.scorer(reader, boost)?,
            passages: SegmentCursor::open(reader)?,
            phrase: self.phrase.clone(),
        };
        scorer.skip_to_match();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not contain {:?}",
                self.phrase.normalized
            )));
        }
        let mut explanation = Explanation::new("exact phrase", scorer.score());
        explanation.add_detail(self.candidates.explain(reader, doc)?);
        Ok(explanation)
    }
}

struct SubstringScorer {
    candidates: Box<dyn Scorer>,
    passages: SegmentCursor,
    phrase: Phrase,
}

impl SubstringScorer {
    /// Whether the current candidate's text contains the phrase. A passage
    /// that cannot be read is no match (reading the hits reports the damage).
    fn is_match(&mut self) -> bool {
        self.passages
            .text(self.candidates.doc())
            .is_ok_and(|text| self.phrase.is_in(text))
    }

    /// Moves from the current candidate to the first that matches.
    fn skip_to_match(&mut self) -> DocId {
        while self.candidates.doc() != TERMINATED && !self.is_match() {
            self.candidates.advance();
        }
        self.candidates.doc()
    }
}

impl DocSet for SubstringScorer {
    fn advance(&mut self) -> DocId {
        self.candidates.advance();
        self.skip_to_match()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.candidates.seek(target);
        self.skip_to_match()
    }

    fn doc(&self) -> DocId {
        self.candidates.doc()
    }

    fn size_hint(&self) -> u32 {
        self.candidates.size_hint()
    }
}

impl Scorer for SubstringScorer {
    fn score(&mut self) -> Score {
        self.candidates.score()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase(typed: &str) -> Phrase {
        Phrase {
            typed: typed.trim().to_string(),
            normalized: Normalized::new(typed).as_str().trim().to_string(),
        }
    }

    #[test]
    fn a_phrase_matches_as_typed_or_normalized() {
        assert!(phrase("在线注销").is_in("支持在线注销。"));
        assert!(
            phrase("在线注销").is_in("支持線上與在線註銷。"),
            "traditional text"
        );
        assert!(phrase("ＳＩＭ卡").is_in("我的sim卡"), "full-width query");
        assert!(!phrase("在线注销").is_in("在线，注销"));
        assert!(!phrase("在线注销").is_in("在线咨询。电线注意。注销"));
    }
}
