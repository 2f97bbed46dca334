//! Document frequencies, looked up once per searcher.
//!
//! Building a query asks how many passages have each word and gram, and
//! weighting it (BM25) asks again for every field; each answer is a lookup
//! in the term dictionary of every segment. A batch of questions asks about
//! the same words again and again, so the answers are kept, for the
//! searcher they were counted with (see `kept::Generation`).

use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

use super::kept::{Generation, Kept};

/// Most terms [`DocFreqs`] keeps.
const MAX_TERMS: usize = 1 << 20;

/// The number of passages with each term asked about so far.
pub struct DocFreqs {
    known: Kept<Term, u64>,
}

impl Default for DocFreqs {
    fn default() -> Self {
        DocFreqs {
            known: Kept::new(MAX_TERMS),
        }
    }
}

impl DocFreqs {
    /// The number of passages of `searcher` that have `term`.
    pub fn get(&self, searcher: &Searcher, term: &Term) -> tantivy::Result<u64> {
        self.known.get_or_try_make(
            Generation::of(searcher),
            term,
            |_| 1,
            || searcher.doc_freq(term),
        )
    }
}

/// The searcher's BM25 statistics, with its document frequencies kept.
pub struct KeptStats<'a> {
    pub searcher: &'a Searcher,
    pub doc_freqs: &'a DocFreqs,
}

impl Bm25StatisticsProvider for KeptStats<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        self.searcher.total_num_tokens(field)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.searcher.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        self.doc_freqs.get(self.searcher, term)
    }
}
