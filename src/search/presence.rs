//! Which of a few candidate passages contain a piece of text, answered from
//! the postings instead of the stored passages.
//!
//! Re-ranking asks this for every concept of the query across the top
//! candidates. Reading and normalizing fifty stored passages per query cost
//! more than the search itself; seeking a handful of posting lists to fifty
//! documents costs microseconds.

use std::collections::HashMap;

use tantivy::postings::SegmentPostings;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Searcher, Term};

use super::kept::Generation;
use super::prefix::{PrefixCache, is_lone_han};
use super::stats::DocFreqs;
use crate::analysis;
use crate::index::Fields;

/// The candidates, grouped by segment and sorted (posting lists only seek forward).
pub struct Presence<'a> {
    searcher: &'a Searcher,
    fields: &'a Fields,
    prefixes: &'a PrefixCache,
    doc_freqs: &'a DocFreqs,
    count: usize,
    /// Per segment: (document, index of the candidate), by document.
    by_segment: Vec<(u32, Vec<(DocId, usize)>)>,
    known: HashMap<String, Vec<bool>>,
}

impl<'a> Presence<'a> {
    pub fn new(
        searcher: &'a Searcher,
        fields: &'a Fields,
        prefixes: &'a PrefixCache,
        doc_freqs: &'a DocFreqs,
        candidates: &[DocAddress],
    ) -> Self {
        let mut by_segment: Vec<(u32, Vec<(DocId, usize)>)> = Vec::new();
        for (i, address) in candidates.iter().enumerate() {
            match by_segment
                .iter_mut()
                .find(|(ord, _)| *ord == address.segment_ord)
            {
                Some((_, docs)) => docs.push((address.doc_id, i)),
                None => by_segment.push((address.segment_ord, vec![(address.doc_id, i)])),
            }
        }
        for (_, docs) in &mut by_segment {
            docs.sort_unstable();
        }
        Presence {
            searcher,
            fields,
            prefixes,
            doc_freqs,
            count: candidates.len(),
            by_segment,
            known: HashMap::new(),
        }
    }

    /// For each candidate, whether it contains `needle` (normalized): as a
    /// word of its title, heading or text, or as character grams of its text
    /// (every bigram of a word of three or more characters, not necessarily
    /// in a row). Remembered per needle.
    pub fn contains(&mut self, needle: &str) -> tantivy::Result<Vec<bool>> {
        if let Some(found) = self.known.get(needle) {
            return Ok(found.clone());
        }
        let mut found = vec![false; self.count];
        for field in [self.fields.title, self.fields.heading, self.fields.text] {
            self.mark_term(field, needle, &mut found)?;
        }
        if found.iter().any(|f| !f) {
            let grams = analysis::phrase_grams(needle).unwrap_or_default();
            let mut all = vec![!grams.is_empty(); self.count];
            for (_, gram) in &grams {
                let mut has = vec![false; self.count];
                self.mark_gram(gram, &mut has)?;
                for (a, h) in all.iter_mut().zip(has) {
                    *a &= h;
                }
            }
            for (f, a) in found.iter_mut().zip(all) {
                *f |= a;
            }
        }
        self.known.insert(needle.to_string(), found.clone());
        Ok(found)
    }

    /// Marks the candidates whose chars field has `gram` (for a lone Han
    /// character: a term starting with it, see [`super::prefix`]; those
    /// documents are kept across searches).
    fn mark_gram(&self, gram: &str, found: &mut [bool]) -> tantivy::Result<()> {
        if !is_lone_han(gram) {
            return self.mark_term(self.fields.chars, gram, found);
        }
        for (ord, docs) in &self.by_segment {
            let reader = self.searcher.segment_reader(*ord);
            let matches = self.prefixes.matches(
                Generation::of(self.searcher),
                reader,
                self.fields.chars,
                gram,
            )?;
            for &(doc, i) in docs {
                if matches.docs.binary_search(&doc).is_ok() {
                    found[i] = true;
                }
            }
        }
        Ok(())
    }

    /// Marks the candidates whose `field` has the term `text`. A term no
    /// passage has (a word in the titles or headings, mostly) is known from
    /// the kept document frequencies, without a dictionary lookup per segment.
    fn mark_term(&self, field: Field, text: &str, found: &mut [bool]) -> tantivy::Result<()> {
        let term = Term::from_field_text(field, text);
        if self.doc_freqs.get(self.searcher, &term)? == 0 {
            return Ok(());
        }
        for (ord, docs) in &self.by_segment {
            let inverted = self.searcher.segment_reader(*ord).inverted_index(field)?;
            if let Some(postings) = inverted.read_postings(&term, IndexRecordOption::Basic)? {
                mark(postings, docs, found);
            }
        }
        Ok(())
    }
}

/// Marks the `docs` (sorted) that `postings` holds.
fn mark(mut postings: SegmentPostings, docs: &[(DocId, usize)], found: &mut [bool]) {
    for &(doc, i) in docs {
        // A posting list may only seek forward of where it stands.
        let at = if postings.doc() < doc {
            postings.seek(doc)
        } else {
            postings.doc()
        };
        if at == doc {
            found[i] = true;
        }
    }
}
