//! The analyzed query: what the user typed, analyzed once.
//!
//! An [`AnalyzedQuery`] holds everything the rest of a search needs to know
//! about the query's text: its normalized form, words, grams and word
//! sequence, its phrases and exclusions with their grams, its synonym
//! expansions segmented, and the concepts re-ranking checks for. Query
//! building, phrase checks, exclusions, coverage and highlighting all read
//! from it, so the query text is normalized and segmented once (before, one
//! query with a phrase normalized the phrase's text up to six times).

use super::query::{MAX_WORDS, ParsedQuery};
use super::ranking::MAX_EXPANSIONS;
use super::rerank::{self, Concept};
use super::sound::{Heard, Hearing};
use crate::analysis::{self, Normalized, QueryTerms, Segmenter, Segmenters, Synonyms};

/// Most character grams a query uses, for the same reason as [`MAX_WORDS`]:
/// a Han word of two characters has about two grams.
const MAX_GRAMS: usize = MAX_WORDS * 2;

/// A query analyzed once (see the module docs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalyzedQuery {
    /// Terms of the free text and the phrases together; the grams touching
    /// an expanded synonym entry are left out (its group scores it).
    pub terms: QueryTerms,
    /// Words of the query that were not used (past [`MAX_WORDS`]).
    pub ignored: Vec<String>,
    /// Quoted phrases, in query order.
    pub phrases: Vec<Phrase>,
    /// Words after `-`, in query order.
    pub excluded: Vec<Exclusion>,
    /// Synonym groups found in the query, with what they expand to.
    pub expansions: Vec<Expansion>,
    /// What re-ranking checks each candidate for (see [`rerank::concepts`]).
    pub concepts: Vec<Concept>,
    /// The content words in query order, with pinyin and homophone typos
    /// read as the word they sound like (`esim zhuxiao`: esim, 注销): the
    /// pairs that should stand close together in a passage.
    pub near: Vec<String>,
}

/// A quoted phrase every hit must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// As typed between the quotes.
    pub quoted: String,
    /// Normalized and trimmed: highlighted, and looked for in the normalized text.
    pub normalized: String,
    /// Its terms in the chars field (see [`analysis::phrase_grams`]); `None`
    /// when it has nothing searchable.
    pub grams: Option<Vec<(usize, String)>>,
}

impl Phrase {
    /// As typed, trimmed: looked for in the stored text first.
    pub fn typed(&self) -> &str {
        self.quoted.trim()
    }
}

/// A word no hit may contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    /// As typed, for `--explain`.
    pub typed: String,
    /// Its terms in the chars field; `None` when it has nothing searchable.
    pub grams: Option<Vec<(usize, String)>>,
}

/// A synonym group entry found in the query and what it expands to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// The group word found in the (normalized) query.
    pub entry: String,
    /// Its synonyms, at most [`MAX_EXPANSIONS`], none a word of the query.
    pub synonyms: Vec<String>,
    /// The entry's content words (jieba exact mode with the query's
    /// segmenter), for an entry that is no word of the query itself.
    pub entry_words: Vec<String>,
    /// Each synonym's content words, in the order of `synonyms`.
    pub synonym_words: Vec<Vec<String>>,
    /// The entry's character grams: they find it where a passage's
    /// segmentation split it differently.
    pub entry_grams: Option<Vec<(usize, String)>>,
    /// The standard spelling, when the entry is a variant of it (see
    /// [`Synonyms::add_corrections`]) or a homophone typo of it.
    pub correction: Option<String>,
    /// Where the synonyms come from.
    pub origin: Origin,
}

/// Where an [`Expansion`]'s synonyms come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A synonym group, or a variant spelling's standard one.
    Group,
    /// A homophone typo's word (see [`super::sound::homophones`]).
    Homophone,
    /// Pinyin, or with `initials` the initials of the syllables: the
    /// first `heard` synonyms are the words it reads as, the rest their
    /// synonyms from the groups; `typed_docs` passages have the letters
    /// as typed (see [`Heard::typed_docs`]).
    Pinyin {
        heard: usize,
        initials: bool,
        typed_docs: u64,
    },
}

impl AnalyzedQuery {
    /// Analyzes `parsed` with the dictionary of `segmenters` and `synonyms`,
    /// and what `hear` finds the normalized query sounds like (see
    /// [`super::sound`]; it gets the query's segmenter).
    pub fn new(
        parsed: &ParsedQuery,
        segmenters: &Segmenters,
        synonyms: &Synonyms,
        hear: &dyn Fn(&str, &Segmenter) -> Vec<Heard>,
    ) -> AnalyzedQuery {
        let mut all_text = parsed.text.clone();
        for phrase in &parsed.phrases {
            all_text.push(' ');
            all_text.push_str(phrase);
        }
        let normalized = Normalized::new(&all_text);
        let segmenter = segmenters.for_text(normalized.as_str());
        let mut terms = analysis::analyze_normalized_query(&segmenter, normalized.as_str());
        let ignored = if terms.words.len() > MAX_WORDS {
            terms.words.split_off(MAX_WORDS)
        } else {
            Vec::new()
        };
        terms.grams.truncate(MAX_GRAMS);
        terms.sequence.truncate(MAX_WORDS);

        let mut found: Vec<(String, Vec<String>, Origin)> = expansions_of(&terms, synonyms)
            .into_iter()
            .map(|(entry, found)| (entry, found, Origin::Group))
            .collect();
        // As many as the query has words at most: a pasted page of pinyin
        // cannot make one search take seconds either.
        for heard in hear(normalized.as_str(), &segmenter)
            .into_iter()
            .take(MAX_WORDS)
        {
            if let Some(expansion) = heard_expansion(heard, &terms, synonyms)
                && !found.iter().any(|(entry, ..)| *entry == expansion.0)
            {
                found.push(expansion);
            }
        }
        // Synonyms are not substrings of the query: segment them with their own.
        let synonym_text: Vec<&str> = found
            .iter()
            .flat_map(|(_, found, _)| found.iter().map(String::as_str))
            .collect();
        let synonym_segmenter = segmenters.for_text(&synonym_text.join("\n"));
        let expansions: Vec<Expansion> = found
            .into_iter()
            .map(|(entry, found, origin)| Expansion {
                // A pinyin entry is its Latin words, which search as themselves.
                entry_words: match origin {
                    Origin::Pinyin { .. } => Vec::new(),
                    _ => analysis::exact_terms(&segmenter, &entry),
                },
                synonym_words: found
                    .iter()
                    .map(|s| analysis::exact_terms(&synonym_segmenter, s))
                    .collect(),
                entry_grams: match origin {
                    Origin::Pinyin { .. } => None,
                    _ => analysis::phrase_grams(&entry),
                },
                correction: match origin {
                    Origin::Group => synonyms.correction(&entry).map(str::to_string),
                    _ => found.first().cloned(),
                },
                origin,
                entry,
                synonyms: found,
            })
            .collect();
        drop_grams_in_entries(&mut terms, &expansions);
        let near = heard_sequence(&terms.sequence, &expansions);
        // What the query sounds like is the concept, in full; what was
        // typed counts as one of its synonyms.
        let heard: Vec<(String, Vec<String>)> = expansions
            .iter()
            .map(|e| match (e.origin, e.synonyms.split_first()) {
                (Origin::Group, _) | (_, None) => (e.entry.clone(), e.synonyms.clone()),
                (_, Some((word, rest))) => {
                    let mut others = rest.to_vec();
                    others.push(e.entry.clone());
                    (word.clone(), others)
                }
            })
            .collect();
        let concepts = rerank::concepts(
            &near,
            heard.iter().map(|(w, s)| (w.as_str(), s.as_slice())),
            synonyms,
        );
        let phrases = parsed
            .phrases
            .iter()
            .map(|typed| {
                let normalized = Normalized::new(typed);
                Phrase {
                    quoted: typed.clone(),
                    normalized: normalized.as_str().trim().to_string(),
                    grams: analysis::normalized_phrase_grams(normalized.as_str()),
                }
            })
            .collect();
        let excluded = parsed
            .excluded
            .iter()
            .map(|typed| Exclusion {
                typed: typed.clone(),
                grams: analysis::phrase_grams(typed),
            })
            .collect();
        AnalyzedQuery {
            near,
            terms,
            ignored,
            phrases,
            excluded,
            expansions,
            concepts,
        }
    }

    /// The phrases with something searchable: those a hit must contain.
    pub fn searchable_phrases(&self) -> impl Iterator<Item = &Phrase> {
        self.phrases.iter().filter(|p| p.grams.is_some())
    }

    /// Whether `word` is the entry of one of the query's synonym groups.
    pub fn is_entry(&self, word: &str) -> bool {
        self.expansions.iter().any(|e| e.entry == word)
    }
}

/// `sequence` with the words of each pinyin or homophone entry replaced by
/// the first word it sounds like.
fn heard_sequence(sequence: &[String], expansions: &[Expansion]) -> Vec<String> {
    let mut near = sequence.to_vec();
    for expansion in expansions {
        if expansion.origin == Origin::Group {
            continue;
        }
        let Some(word) = expansion.synonyms.first() else {
            continue;
        };
        let typed: Vec<String> = match expansion.origin {
            Origin::Pinyin { .. } => expansion
                .entry
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect(),
            _ => expansion.entry_words.clone(),
        };
        if typed.is_empty() {
            continue;
        }
        if let Some(at) = near
            .windows(typed.len())
            .position(|w| w == typed.as_slice())
        {
            near.splice(at..at + typed.len(), [word.clone()]);
        }
    }
    near
}

/// The expansion of what the query sounds like: the heard words that are
/// not words of the query, then (for pinyin) the first word's synonyms,
/// [`MAX_EXPANSIONS`] in all.
fn heard_expansion(
    heard: Heard,
    terms: &QueryTerms,
    synonyms: &Synonyms,
) -> Option<(String, Vec<String>, Origin)> {
    let Heard {
        typed,
        words,
        how,
        typed_docs,
    } = heard;
    let mut words: Vec<String> = words
        .into_iter()
        .filter(|w| !terms.words.contains(w))
        .take(MAX_EXPANSIONS)
        .collect();
    let first = words.first()?.clone();
    let origin = match how {
        Hearing::Homophone => Origin::Homophone,
        Hearing::Pinyin | Hearing::Initials => {
            let heard = words.len();
            for (_, group) in synonyms.entries_in(&first) {
                for synonym in group {
                    if words.len() < MAX_EXPANSIONS
                        && !words.iter().any(|w| w == synonym)
                        && !terms.words.iter().any(|w| w == synonym)
                    {
                        words.push(synonym.to_string());
                    }
                }
            }
            Origin::Pinyin {
                heard,
                initials: how == Hearing::Initials,
                typed_docs,
            }
        }
    };
    Some((typed, words, origin))
}

/// The synonym entries found in the query with their synonyms that are not
/// words of the query themselves, at most [`MAX_EXPANSIONS`] each; entries
/// left with none are dropped.
fn expansions_of(terms: &QueryTerms, synonyms: &Synonyms) -> Vec<(String, Vec<String>)> {
    synonyms
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
        .collect()
}

/// Leaves out the grams that overlap an expanded entry in the query: a
/// concept expanded by synonyms is scored by its group alone, and character
/// grams touching it would count its exact spelling a second time.
fn drop_grams_in_entries(terms: &mut QueryTerms, expansions: &[Expansion]) {
    let expanded_spans: Vec<std::ops::Range<usize>> = expansions
        .iter()
        .flat_map(|e| {
            terms
                .normalized
                .match_indices(e.entry.as_str())
                .map(|(at, e)| at..at + e.len())
                .collect::<Vec<_>>()
        })
        .collect();
    if expanded_spans.is_empty() {
        return;
    }
    let normalized = &terms.normalized;
    terms.grams.retain(|gram| {
        !normalized.match_indices(gram.as_str()).any(|(at, g)| {
            expanded_spans
                .iter()
                .any(|span| at < span.end && span.start < at + g.len())
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    static SEGMENTERS: LazyLock<Segmenters> =
        LazyLock::new(|| Segmenters::new(crate::analysis::Dictionary::builtin()));

    fn analyze(raw: &str) -> AnalyzedQuery {
        AnalyzedQuery::new(
            &ParsedQuery::parse(raw),
            &SEGMENTERS,
            &Synonyms::builtin(),
            &|_, _| Vec::new(),
        )
    }

    #[test]
    fn phrases_are_normalized_once_with_their_grams() {
        let q = analyze("流程 “在线注銷” -线下");
        let phrase = &q.phrases[0];
        assert_eq!(phrase.typed(), "在线注銷");
        assert_eq!(phrase.normalized, "在线注销");
        assert_eq!(phrase.grams, analysis::phrase_grams("在线注销"));
        assert_eq!(q.excluded[0].typed, "线下");
        assert_eq!(q.excluded[0].grams, analysis::phrase_grams("线下"));
        assert!(q.terms.words.contains(&"在线".to_string()), "{q:?}");
    }

    #[test]
    fn an_expanded_entry_keeps_no_grams_of_its_own() {
        let q = analyze("eSIM 在线销户");
        let entries: Vec<&str> = q.expansions.iter().map(|e| e.entry.as_str()).collect();
        assert!(entries.contains(&"销户"), "{entries:?}");
        assert_eq!(q.terms.grams, ["esim"], "grams touching 在线 and 销户 go");
        let cancel = q.expansions.iter().find(|e| e.entry == "销户").unwrap();
        assert_eq!(cancel.synonyms.len(), cancel.synonym_words.len());
        assert!(cancel.synonyms.len() <= MAX_EXPANSIONS);
        assert_eq!(cancel.entry_words, ["销户"]);
    }

    #[test]
    fn concepts_are_the_entries_then_the_other_words() {
        let q = analyze("eSIM 在线销户");
        let words: Vec<&str> = q.concepts.iter().map(|c| c.word.as_str()).collect();
        assert_eq!(words.len(), 3, "{words:?}");
        assert_eq!(words.last(), Some(&"esim"));
    }

    #[test]
    fn a_phrase_of_symbols_is_kept_but_not_searchable() {
        let q = analyze("注销 \"？\"");
        assert_eq!(q.phrases.len(), 1);
        assert_eq!(q.searchable_phrases().count(), 0);
    }
}
