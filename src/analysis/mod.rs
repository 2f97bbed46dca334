//! Text analysis: how passages and queries become search terms.
//!
//! The pipeline, in order, the same for indexing and for queries:
//!
//! 1. [`normalize`]: Unicode NFKC (full-width letters, digits, punctuation and
//!    the ideographic space fold to ASCII), then lowercase. Lossless for
//!    highlighting: every character keeps a map back to its original bytes.
//! 2. [`script::script_runs`]: split into Han runs and letter/digit runs; drop
//!    punctuation, whitespace and emoji.
//! 3. Han runs are cut by jieba in search mode ([`segment`]); letter/digit runs
//!    stay whole.
//! 4. [`stopwords`] are dropped from the words (not from the character grams,
//!    which must find quoted phrases whole).
//!
//! Two tantivy tokenizers come out of it, registered on every index created or
//! opened by [`register_tokenizers`]: [`WORDS`] and [`CHARS`].

pub(crate) mod dictionary;
pub(crate) mod grams;
pub(crate) mod normalize;
pub mod pinyin;
pub(crate) mod script;
pub(crate) mod segment;
pub(crate) mod stopwords;
pub(crate) mod synonyms;
pub(crate) mod tokenizer;

use std::sync::Arc;

pub use dictionary::Dictionary;
pub use grams::{normalized_phrase_grams, phrase_grams};
pub use normalize::Normalized;
pub use script::is_han;
pub use segment::{Segmenter, Segmenters};
pub use synonyms::Synonyms;
pub use tokenizer::{CharTokenizer, WordTokenizer, char_tokens, word_tokens};

use grams::push_run_grams;
use script::{Script, script_runs};

/// Name of the words tokenizer in the tantivy index.
pub const WORDS: &str = "zh_words";
/// Name of the characters tokenizer in the tantivy index.
pub const CHARS: &str = "zh_chars";

/// Characters per position of a word: a word's position in the index is
/// the stretch of this many characters its first character falls in, and
/// proximity asks for two words in the same stretch (see
/// `search::query`'s proximity stage). Positions serve nothing else, and
/// coarse ones pack into fewer bits. `zhsearch eval` on InsuranceQA-zh
/// (MRR@10 / Recall@100), and the positions of x1's index (before: every
/// character a position, proximity within 6 characters: 0.2456 / 0.5363,
/// 1.99 MB): 8: 0.2433 / 0.5351; 12: 0.2478 / 0.5389, 1.24 MB; 16: 0.2464
/// / 0.5356, 1.21 MB; 20: 0.2460 / 0.5381, 1.13 MB; 24: 0.2466 / 0.5354;
/// 32: 0.2451 / 0.5364, 1.04 MB. Within one stretch of each other instead
/// of in the same one ranked worse (8: 0.2443, 16: 0.2419), and so did
/// sentences or clauses as the stretches (0.2422, 0.2440).
pub const WORD_POSITION_CHARS: usize = 12;

/// Bumped whenever analysis changes what terms a text produces, so an index
/// built by an older analyzer is detected and rebuilt instead of answering wrongly.
pub const ANALYZER_VERSION: u32 = 4;

/// Registers the zhsearch tokenizers on `index` (needed on every open: tantivy
/// only knows its built-in tokenizers by itself).
pub fn register_tokenizers(index: &tantivy::Index, segmenters: &Arc<Segmenters>) {
    let tokenizers = index.tokenizers();
    tokenizers.register(WORDS, WordTokenizer::new(Arc::clone(segmenters)));
    tokenizers.register(CHARS, CharTokenizer);
}

/// What a piece of query text contributes to a search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryTerms {
    /// The normalized query text.
    pub normalized: String,
    /// Distinct words for the word fields, in query order.
    pub words: Vec<String>,
    /// Stop words that were dropped from `words`.
    pub stopped: Vec<String>,
    /// Distinct character grams for the chars field: the bigrams of each Han
    /// run but those inside a stop word, content characters standing alone,
    /// and letter/digit runs whole (see [`grams`]).
    pub grams: Vec<String>,
    /// Content words in query order without overlaps (jieba's exact mode),
    /// for proximity: adjacent pairs should stand close together in a passage.
    pub sequence: Vec<String>,
}

impl QueryTerms {
    /// Whether nothing searchable is left.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.grams.is_empty()
    }
}

/// Analyzes free query text into word and character terms.
///
/// Stop words are dropped unless the query consists of nothing else (`如何`
/// alone still searches for `如何`).
pub fn analyze_query(segmenter: &Segmenter, text: &str) -> QueryTerms {
    analyze_normalized_query(segmenter, Normalized::new(text).as_str())
}

/// [`analyze_query`] for text already normalized (see [`Normalized`]), so
/// a caller that needs the normalized text too normalizes it once.
pub fn analyze_normalized_query(segmenter: &Segmenter, normalized: &str) -> QueryTerms {
    let terms = analyze_query_with(segmenter, normalized, true);
    if terms.words.is_empty() && !terms.stopped.is_empty() {
        return analyze_query_with(segmenter, normalized, false);
    }
    terms
}

/// The terms of `text`, which is normalized.
fn analyze_query_with(segmenter: &Segmenter, text: &str, drop_stop_words: bool) -> QueryTerms {
    let mut terms = QueryTerms {
        normalized: text.to_string(),
        ..QueryTerms::default()
    };
    let is_stop = |w: &str| drop_stop_words && stopwords::is_stop_word(w);
    for run in script_runs(text) {
        let run_text = &text[run.bytes.clone()];
        match run.script {
            Script::Alnum => {
                if is_stop(run_text) {
                    push_distinct(&mut terms.stopped, run_text);
                } else {
                    push_distinct(&mut terms.words, run_text);
                    push_distinct(&mut terms.grams, run_text);
                    terms.sequence.push(run_text.to_string());
                }
            }
            Script::Han => {
                for word in segmenter.search_words(run_text) {
                    if is_stop(word.text) {
                        push_distinct(&mut terms.stopped, word.text);
                    } else {
                        push_distinct(&mut terms.words, word.text);
                    }
                }
                let exact = segmenter.exact_words(run_text);
                for word in &exact {
                    if !is_stop(word.text) {
                        terms.sequence.push(word.text.to_string());
                    }
                }
                push_run_grams(&mut terms.grams, &exact, &is_stop);
            }
        }
    }
    terms
}

/// Content words of `text` in jieba's exact mode (no overlapping sub-words),
/// stop words dropped: how a synonym entry such as `营业厅` or `NTT docomo`
/// is looked for.
pub fn exact_terms(segmenter: &Segmenter, text: &str) -> Vec<String> {
    analyze_query_with(segmenter, Normalized::new(text).as_str(), true).sequence
}

pub(crate) fn push_distinct(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    static SEGMENTER: LazyLock<Segmenter> = LazyLock::new(Segmenter::with_default_dictionary);

    #[test]
    fn question_phrasing_leaves_the_content_words() {
        let terms = analyze_query(&SEGMENTER, "线下注销要带哪些材料");
        assert_eq!(terms.words, ["线下", "注销", "带", "材料"]);
        assert!(terms.stopped.contains(&"哪些".to_string()));
        assert!(
            !terms.grams.contains(&"哪些".to_string()),
            "{:?}",
            terms.grams
        );
        for gram in ["带哪", "些材", "材料"] {
            assert!(terms.grams.contains(&gram.to_string()), "{:?}", terms.grams);
        }
    }

    #[test]
    fn a_content_character_between_stop_words_is_a_unigram() {
        let terms = analyze_query(&SEGMENTER, "我的卡吗");
        assert!(terms.grams.contains(&"卡".to_string()), "{:?}", terms.grams);
        let alone = analyze_query(&SEGMENTER, "卡");
        assert_eq!(alone.grams, ["卡"]);
    }

    #[test]
    fn stop_word_only_query_still_searches() {
        let terms = analyze_query(&SEGMENTER, "如何");
        assert_eq!(terms.words, ["如何"]);
    }

    #[test]
    fn single_character_query_is_a_unigram() {
        let terms = analyze_query(&SEGMENTER, "卡");
        assert_eq!(terms.grams, ["卡"]);
    }

    #[test]
    fn symbols_only_query_is_empty() {
        assert!(analyze_query(&SEGMENTER, "？？？ ！").is_empty());
        assert!(analyze_query(&SEGMENTER, "").is_empty());
    }
}
