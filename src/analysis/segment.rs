//! Word segmentation of Han text with jieba.
//!
//! Loading jieba's whole dictionary costs 0.1–0.2 s, so a process loads it at
//! most once ([`Segmenters::full`]), and a one-off query avoids it altogether
//! ([`Segmenters::for_text`]).

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;

use super::Dictionary;

/// A dictionary with its segmenters: the full one, loaded on first use, for
/// indexing; small per-query ones for one-off searches (see [`Dictionary`]).
pub struct Segmenters {
    dictionary: Dictionary,
    full: OnceLock<Segmenter>,
    /// Set by [`Self::preload`]: from then on every segmenter is the full one,
    /// waited for if it is still loading.
    preloading: AtomicBool,
}

impl Segmenters {
    pub fn new(dictionary: Dictionary) -> Self {
        Segmenters {
            dictionary,
            full: OnceLock::new(),
            preloading: AtomicBool::new(false),
        }
    }

    pub fn dictionary(&self) -> &Dictionary {
        &self.dictionary
    }

    /// The segmenter with the whole dictionary (loaded once per process).
    pub fn full(&self) -> &Segmenter {
        self.full.get_or_init(|| self.dictionary.full_segmenter())
    }

    /// Starts loading the whole dictionary on a thread of its own: worth it
    /// before many queries or a big update, whose first texts then wait for
    /// it, while the caller goes on reading files meanwhile.
    pub fn preload(self: &Arc<Self>) {
        if self.preloading.swap(true, Ordering::AcqRel) || self.full.get().is_some() {
            return;
        }
        let segmenters = Arc::clone(self);
        // A failed spawn only means the first text loads it instead.
        let _ = std::thread::Builder::new()
            .name("dictionary".into())
            .spawn(move || {
                segmenters.full();
            });
    }

    /// A segmenter for `normalized` text and its substrings: the full one if
    /// it is loaded or preloading, else one built from just the entries that
    /// occur in the text (same words, a fraction of the start-up time).
    pub fn for_text(&self, normalized: &str) -> Cow<'_, Segmenter> {
        match self.full.get() {
            Some(full) => Cow::Borrowed(full),
            None if self.preloading.load(Ordering::Acquire) => Cow::Borrowed(self.full()),
            None => Cow::Owned(self.dictionary.segmenter_for(normalized)),
        }
    }
}

/// A loaded jieba dictionary, ready to cut Han text into words. `Clone`
/// only so that [`Segmenters::for_text`] can hand out a `Cow`; nothing
/// clones one.
#[derive(Clone)]
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
    /// A segmenter over a loaded jieba (see [`super::Dictionary`]).
    pub fn from_jieba(jieba: Jieba) -> Self {
        Segmenter { jieba }
    }

    /// jieba with the whole built-in dictionary.
    pub fn with_default_dictionary() -> Self {
        super::Dictionary::builtin().full_segmenter()
    }

    /// Search-mode words: every word plus its dictionary sub-words of two and
    /// three characters, so `在线销户` is found by `在线` and `销户` too.
    /// Sub-words come before the word that contains them.
    pub fn search_words<'a>(&self, han: &'a str) -> Vec<Word<'a>> {
        self.jieba
            .cut_for_search(han, true)
            .into_iter()
            .map(Word::from)
            .collect()
    }

    /// Exact-mode words: one segmentation without overlaps, used to find
    /// where query phrases break.
    pub fn exact_words<'a>(&self, han: &'a str) -> Vec<Word<'a>> {
        self.jieba
            .cut(han, true)
            .into_iter()
            .map(Word::from)
            .collect()
    }
}

impl<'a> From<jieba_rs::Token<'a>> for Word<'a> {
    fn from(t: jieba_rs::Token<'a>) -> Self {
        Word {
            text: t.word,
            bytes: t.byte_start..t.byte_end,
            char_start: t.start,
        }
    }
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter").finish_non_exhaustive()
    }
}
