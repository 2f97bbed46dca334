//! One Han character in the chars field, scored as if it were a term.
//!
//! The chars field keeps no unigram of every character, only bigrams and the
//! last character of each run (see [`crate::analysis::char_tokens`]), so
//! every occurrence of a character starts exactly one of its terms. A lone
//! query character (`卡`, or one between stop words) is therefore matched by
//! all the terms that start with it, and scored as one term would be: BM25
//! over the summed frequency, with the IDF of the passages holding any of
//! them. Summing the terms' own BM25 scores instead would count a common
//! character once per neighbour it has.

use std::fmt;
use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::{InvertedIndexReader, SegmentId};
use tantivy::termdict::TermStreamer;

use crate::analysis::is_han;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError};

use super::kept::{Generation, Kept};

/// Passages whose `field` has a term starting with `prefix`, scored by BM25.
#[derive(Clone)]
pub struct PrefixQuery {
    field: Field,
    prefix: String,
    prefixes: Arc<PrefixCache>,
}

impl PrefixQuery {
    /// `prefixes` holds (or will hold) the passages of `prefix`.
    pub fn new(field: Field, prefix: &str, prefixes: &Arc<PrefixCache>) -> PrefixQuery {
        PrefixQuery {
            field,
            prefix: prefix.to_string(),
            prefixes: Arc::clone(prefixes),
        }
    }
}

impl fmt::Debug for PrefixQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrefixQuery({:?}, {:?})", self.field, self.prefix)
    }
}

impl Query for PrefixQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let mut weight = PrefixWeight {
            field: self.field,
            prefix: self.prefix.clone(),
            prefixes: Arc::clone(&self.prefixes),
            generation: enable_scoring.searcher().map(Generation::of),
            bm25: None,
        };
        let EnableScoring::Enabled {
            searcher,
            statistics_provider,
        } = enable_scoring
        else {
            return Ok(Box::new(weight));
        };
        let mut doc_freq = 0u64;
        for reader in searcher.segment_readers() {
            doc_freq += weight.matches(reader)?.docs.len() as u64;
        }
        let num_docs = statistics_provider.total_num_docs()?;
        let num_tokens = statistics_provider.total_num_tokens(self.field)?;
        let average_fieldnorm = num_tokens as Score / num_docs.max(1) as Score;
        weight.bm25 = Some(Bm25Weight::for_one_term(
            doc_freq,
            num_docs,
            average_fieldnorm,
        ));
        Ok(Box::new(weight))
    }
}

struct PrefixWeight {
    field: Field,
    prefix: String,
    prefixes: Arc<PrefixCache>,
    /// The searcher's, whose segments `prefixes` is asked about; `None`
    /// for a weight made without one (nothing is kept then).
    generation: Option<Generation>,
    /// `None` when scoring is disabled.
    bm25: Option<Bm25Weight>,
}

impl PrefixWeight {
    fn matches(&self, reader: &SegmentReader) -> tantivy::Result<Arc<Matches>> {
        match self.generation {
            Some(generation) => self
                .prefixes
                .matches(generation, reader, self.field, &self.prefix),
            None => matches(reader, self.field, &self.prefix).map(Arc::new),
        }
    }

    fn prefix_scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<PrefixScorer> {
        Ok(PrefixScorer {
            matches: self.matches(reader)?,
            cursor: 0,
            fieldnorms: reader.get_fieldnorms_reader(self.field)?,
            bm25: self.bm25.as_ref().map(|w| w.boost_by(boost)),
        })
    }
}

impl Weight for PrefixWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(self.prefix_scorer(reader, boost)?))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.prefix_scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} has no term starting with {:?}",
                self.prefix
            )));
        }
        let fieldnorm_id = scorer.fieldnorms.fieldnorm_id(doc);
        Ok(match &self.bm25 {
            Some(bm25) => bm25.explain(fieldnorm_id, scorer.matches.freqs[scorer.cursor]),
            None => Explanation::new("<no score>", 1.0),
        })
    }
}

/// The documents of one segment with a term starting with the prefix, and
/// the summed frequency of those terms in each.
pub struct Matches {
    /// Sorted.
    pub docs: Vec<DocId>,
    freqs: Vec<u32>,
}

impl Matches {
    fn with_capacity(docs: usize) -> Matches {
        Matches {
            docs: Vec::with_capacity(docs),
            freqs: Vec::with_capacity(docs),
        }
    }
}

/// Most documents [`PrefixCache`] keeps, over all its entries (8 bytes each).
const PREFIX_CACHE_DOCS: usize = 4 << 20;

/// The matches of lone characters, kept for one searcher (see
/// `kept::Generation`) and shared by an [`super::Engine`]'s [`PrefixQuery`]s
/// and presence checks: a common character starts hundreds of terms, so
/// finding its passages reads hundreds of posting lists, and a batch of
/// questions asks for the same characters again and again.
pub struct PrefixCache {
    kept: Kept<(SegmentId, Field, String), Arc<Matches>>,
}

impl Default for PrefixCache {
    fn default() -> Self {
        PrefixCache {
            kept: Kept::new(PREFIX_CACHE_DOCS),
        }
    }
}

impl PrefixCache {
    /// The documents of `reader` (a segment of the searcher of `generation`)
    /// whose `field` has a term starting with `prefix`.
    pub fn matches(
        &self,
        generation: Generation,
        reader: &SegmentReader,
        field: Field,
        prefix: &str,
    ) -> tantivy::Result<Arc<Matches>> {
        let key = (reader.segment_id(), field, prefix.to_string());
        self.kept.get_or_try_make(
            generation,
            &key,
            |found| found.docs.len(),
            || matches(reader, field, prefix).map(Arc::new),
        )
    }
}

fn matches(reader: &SegmentReader, field: Field, prefix: &str) -> tantivy::Result<Matches> {
    let inverted = reader.inverted_index(field)?;
    let (lists, postings) = prefix_postings(&inverted, prefix)?;
    Ok(
        if postings.saturating_mul(SPARSE_FROM) < reader.max_doc() as usize {
            sparse_union(lists, postings)
        } else {
            dense_union(lists, reader.max_doc() as usize, postings)
        },
    )
}

/// The postings of every term of `inverted` starting with `prefix`, and
/// how many they hold in all.
fn prefix_postings(
    inverted: &InvertedIndexReader,
    prefix: &str,
) -> std::io::Result<(Vec<SegmentPostings>, usize)> {
    let (mut lists, mut postings) = (Vec::new(), 0);
    let mut terms = terms_starting_with(inverted, prefix)?;
    while terms.advance() {
        postings += terms.value().doc_freq as usize;
        lists.push(
            inverted.read_postings_from_terminfo(terms.value(), IndexRecordOption::WithFreqs)?,
        );
    }
    Ok((lists, postings))
}

/// Postings per document below which [`matches()`] sorts the terms' postings
/// rather than summing them into an array of every document of the segment
/// (1.2 MB at x10, zeroed and scanned for each character): a rare
/// character's few hundred postings need no such array.
const SPARSE_FROM: usize = 16;

/// The union of `lists`, holding `postings` in all, by sorting them.
fn sparse_union(lists: Vec<impl Postings>, postings: usize) -> Matches {
    let mut pairs: Vec<(DocId, u32)> = Vec::with_capacity(postings);
    for mut list in lists {
        let mut doc = list.doc();
        while doc != TERMINATED {
            pairs.push((doc, list.term_freq()));
            doc = list.advance();
        }
    }
    pairs.sort_unstable_by_key(|&(doc, _)| doc);
    let mut matches = Matches::with_capacity(pairs.len());
    for (doc, freq) in pairs {
        if matches.docs.last() == Some(&doc) {
            *matches.freqs.last_mut().expect("a freq per doc") += freq;
        } else {
            matches.docs.push(doc);
            matches.freqs.push(freq);
        }
    }
    matches
}

/// The union of `lists` over a segment of `max_doc` documents, holding
/// `postings` in all, by summing frequencies per document.
fn dense_union(lists: Vec<impl Postings>, max_doc: usize, postings: usize) -> Matches {
    let mut freq_of = vec![0u32; max_doc];
    for mut list in lists {
        let mut doc = list.doc();
        while doc != TERMINATED {
            freq_of[doc as usize] += list.term_freq();
            doc = list.advance();
        }
    }
    let mut matches = Matches::with_capacity(postings.min(max_doc));
    for (doc, &freq) in freq_of.iter().enumerate() {
        if freq > 0 {
            matches.docs.push(doc as DocId);
            matches.freqs.push(freq);
        }
    }
    matches
}

/// Whether a chars-field gram is a lone Han character, found through the
/// terms starting with it rather than as a term of its own.
pub fn is_lone_han(gram: &str) -> bool {
    let mut chars = gram.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if is_han(c))
}

/// The terms of `inverted` that start with `prefix`, in order.
pub fn terms_starting_with<'a>(
    inverted: &'a InvertedIndexReader,
    prefix: &str,
) -> std::io::Result<TermStreamer<'a>> {
    inverted
        .terms()
        .range()
        .ge(prefix.as_bytes())
        .lt(prefix_end(prefix.as_bytes()))
        .into_stream()
}

/// The smallest byte string above every string starting with `prefix`
/// (`prefix` is UTF-8, so its last byte is below 0xFF).
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    end
}

struct PrefixScorer {
    matches: Arc<Matches>,
    cursor: usize,
    fieldnorms: FieldNormReader,
    bm25: Option<Bm25Weight>,
}

impl DocSet for PrefixScorer {
    fn advance(&mut self) -> DocId {
        self.cursor = (self.cursor + 1).min(self.matches.docs.len());
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc() < target {
            self.cursor += self.matches.docs[self.cursor..].partition_point(|&d| d < target);
        }
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.matches
            .docs
            .get(self.cursor)
            .copied()
            .unwrap_or(TERMINATED)
    }

    fn size_hint(&self) -> u32 {
        self.matches.docs.len() as u32
    }
}

impl Scorer for PrefixScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc();
        match &self.bm25 {
            Some(bm25) => bm25.score(
                self.fieldnorms.fieldnorm_id(doc),
                self.matches.freqs[self.cursor],
            ),
            None => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::TestIndex;

    /// The postings of every chars term of `index` starting with `prefix`,
    /// how many they hold, and the segment's documents.
    fn lists(index: &TestIndex, prefix: &str) -> (Vec<SegmentPostings>, usize, usize) {
        let searcher = index.searcher();
        let reader = searcher.segment_reader(0);
        let inverted = reader.inverted_index(index.fields.chars).unwrap();
        let (lists, postings) = prefix_postings(&inverted, prefix).unwrap();
        (lists, reader.max_doc() as usize, postings)
    }

    #[test]
    fn sorting_and_summing_find_the_same_passages_and_frequencies() {
        let index = TestIndex::new(&[
            "卡片卡号",
            "没有那个字",
            "手机卡",
            "卡卡卡卡",
            "注销流量卡和电话卡",
            "",
            "卡",
        ]);
        let (lists, max_doc, postings) = lists(&index, "卡");
        let sparse = sparse_union(lists, postings);
        let (lists, ..) = self::lists(&index, "卡");
        let dense = dense_union(lists, max_doc, postings);
        assert_eq!(sparse.docs, [0, 2, 3, 4, 6]);
        assert_eq!(sparse.freqs, [2, 1, 4, 2, 1]);
        assert_eq!((sparse.docs, sparse.freqs), (dense.docs, dense.freqs));
        let (lists, max_doc, postings) = self::lists(&index, "鑫");
        assert!(sparse_union(lists, postings).docs.is_empty());
        let (lists, ..) = self::lists(&index, "鑫");
        assert!(dense_union(lists, max_doc, postings).docs.is_empty());
    }

    #[test]
    fn prefix_end_bounds_every_continuation() {
        let end = prefix_end("卡".as_bytes());
        assert!("卡".as_bytes() < end.as_slice());
        assert!("卡片".as_bytes() < end.as_slice());
        assert!("卡\u{10FFFF}".as_bytes() < end.as_slice());
        assert!(
            "卢".as_bytes() >= end.as_slice(),
            "the next character is outside"
        );
    }

    #[test]
    fn only_a_single_han_character_is_a_prefix() {
        assert!(is_lone_han("卡"));
        assert!(!is_lone_han("卡片"));
        assert!(!is_lone_han("a"));
        assert!(!is_lone_han(""));
    }
}
