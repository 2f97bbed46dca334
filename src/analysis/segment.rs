//! Word segmentation of Han text with jieba.
//!
//! Loading jieba's dictionary costs 0.1–0.2 s, so a process builds one
//! [`Segmenter`] and shares it (`Arc`) between the index tokenizers and the
//! query analyzer.

use jieba_rs::Jieba;

/// A loaded jieba dictionary, ready to cut Han text into words.
pub struct Segmenter {
    jieba: Jieba,
}

/// A segmented word: its text and its byte and character offsets in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word<'a> {
    pub text: &'a str,
    pub bytes: std::ops::Range<usize>,
    /// Character offset of the word's first character in the input.
    pub char_start: usize,
}

impl Segmenter {
    /// jieba with its default dictionary.
    pub fn with_default_dictionary() -> Self {
        Segmenter {
            jieba: Jieba::new(),
        }
    }

    /// Search-mode words: every word plus its dictionary sub-words of two and
    /// three characters, so `在线销户` is found by `在线` and `销户` too.
    /// Sub-words come before the word that contains them.
    pub fn search_words<'a>(&self, han: &'a str) -> Vec<Word<'a>> {
        self.jieba
            .cut_for_search(han, true)
            .into_iter()
            .map(|t| Word {
                text: t.word,
                bytes: t.byte_start..t.byte_end,
                char_start: t.start,
            })
            .collect()
    }

    /// Exact-mode words: one segmentation without overlaps, used to find
    /// where query phrases break.
    pub fn exact_words<'a>(&self, han: &'a str) -> Vec<Word<'a>> {
        self.jieba
            .cut(han, true)
            .into_iter()
            .map(|t| Word {
                text: t.word,
                bytes: t.byte_start..t.byte_end,
                char_start: t.start,
            })
            .collect()
    }
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter").finish_non_exhaustive()
    }
}
