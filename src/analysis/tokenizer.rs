//! The two token streams every passage is indexed with, as tantivy tokenizers.
//!
//! * **words** ([`WordTokenizer`]): normalized text, Latin/digit runs split from
//!   Han runs (so `eSIM卡` gives `esim` and `卡`, exactly as a query `eSIM`
//!   does), Han runs cut by jieba in search mode, stop words dropped.
//! * **chars** ([`CharTokenizer`]): every pair of adjacent Han characters and
//!   the last character of each Han run, plus Latin/digit runs whole. jieba's
//!   search mode never emits a lone character, so this field is what finds
//!   `卡` or a partial word, and the bigrams that cross jieba's word
//!   boundaries.
//!
//! Offsets are byte offsets into the original (un-normalized) text, so
//! highlights land on what the article really says. A word's position is the
//! stretch of [`WORD_POSITION_CHARS`] characters of the normalized text its
//! first character falls in: positions serve only proximity (two query words
//! in the same stretch), and coarse ones take fewer bits. Exact phrases are
//! checked against the stored text, not positions.

use std::cell::{LazyCell, RefCell};
use std::ops::{Deref, Range};
use std::rc::Rc;
use std::sync::Arc;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::WORD_POSITION_CHARS;
use super::normalize::Normalized;
use super::script::{Script, script_runs};
use super::segment::{Segmenter, Segmenters};
use super::stopwords::is_stop_word;

/// Where a token lies in the normalized text: its bytes and its characters
/// (the first character's index gives the token's position).
#[derive(Debug, Clone)]
struct Span {
    bytes: Range<usize>,
    chars: Range<usize>,
}

/// Word spans of `text` (normalized), stop words removed.
///
/// `segmenter` is asked for only when the text has Han characters: titles
/// of plain-text articles (file names) and empty headings need none, and a
/// small update builds one per text.
fn word_spans<S: Deref<Target = Segmenter>>(
    segmenter: impl FnOnce() -> S,
    text: &str,
) -> Vec<Span> {
    let segmenter = LazyCell::new(segmenter);
    let mut spans = Vec::new();
    for run in script_runs(text) {
        match run.script {
            Script::Alnum => {
                let chars = text[run.bytes.clone()].chars().count();
                if !is_stop_word(&text[run.bytes.clone()]) {
                    spans.push(Span {
                        bytes: run.bytes,
                        chars: run.char_start..run.char_start + chars,
                    });
                }
            }
            Script::Han => {
                let han = &text[run.bytes.clone()];
                for word in segmenter.search_words(han) {
                    if is_stop_word(word.text) {
                        continue;
                    }
                    let start = run.char_start + word.char_start;
                    spans.push(Span {
                        bytes: run.bytes.start + word.bytes.start..run.bytes.start + word.bytes.end,
                        chars: start..start + word.text.chars().count(),
                    });
                }
            }
        }
    }
    spans
}

/// Character spans of `text` (normalized): the bigrams of each Han run and
/// its last character alone, other runs whole.
fn char_spans(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    // Byte offsets of a Han run's characters, then of its end.
    let mut starts: Vec<usize> = Vec::new();
    for run in script_runs(text) {
        match run.script {
            Script::Alnum => {
                let chars = text[run.bytes.clone()].chars().count();
                spans.push(Span {
                    chars: run.char_start..run.char_start + chars,
                    bytes: run.bytes,
                });
            }
            Script::Han => {
                starts.clear();
                starts.extend(
                    text[run.bytes.clone()]
                        .char_indices()
                        .map(|(i, _)| run.bytes.start + i),
                );
                starts.push(run.bytes.end);
                for i in 0..starts.len() - 1 {
                    let chars = if i + 2 < starts.len() { 2 } else { 1 };
                    let first = run.char_start + i;
                    spans.push(Span {
                        bytes: starts[i]..starts[i + chars],
                        chars: first..first + chars,
                    });
                }
            }
        }
    }
    spans
}

/// Word tokens of `original`, stop words removed.
pub fn word_tokens(segmenter: &Segmenter, original: &str) -> Vec<Token> {
    let normalized = Rc::new(Normalized::new(original));
    let spans = word_spans(|| segmenter, normalized.as_str());
    SpanTokenStream::new(normalized, Rc::new(spans), WORD_POSITION_CHARS).collect()
}

/// Character tokens of `original`: the bigrams of each Han run and its last
/// character alone, other runs whole.
///
/// Every Han character thus starts exactly one token, so the documents and
/// frequencies of a character are those of the terms starting with it (see
/// `search::prefix`), and the field needs no unigram of every character:
/// half the postings of unigrams plus bigrams. Positions are not indexed;
/// they would double the field's size, and exact phrases are checked against
/// the stored text instead.
pub fn char_tokens(original: &str) -> Vec<Token> {
    let normalized = Rc::new(Normalized::new(original));
    let spans = char_spans(normalized.as_str());
    SpanTokenStream::new(normalized, Rc::new(spans), 1).collect()
}

/// A text this thread tokenized for indexing: normalized, and once the
/// words tokenizer has seen it, cut into words by the dictionary with that
/// fingerprint.
struct Recent {
    original: String,
    normalized: Rc<Normalized>,
    words: Option<(String, Rc<Vec<Span>>)>,
}

/// Texts [`RECENT`] keeps: a passage's title, heading and text, which
/// tantivy tokenizes one after another.
const RECENT_KEPT: usize = 3;

thread_local! {
    /// The last texts this thread tokenized for indexing, most recent first.
    /// A passage's text goes into both the words and the chars field, and
    /// every passage of an article carries its title (those of a section
    /// their heading): each is normalized once, and cut by jieba once per
    /// run of passages instead of once per passage.
    static RECENT: RefCell<Vec<Recent>> = const { RefCell::new(Vec::new()) };
}

/// `f` of the recent entry for `original`, normalized anew when there is
/// none; the entry becomes the most recent.
fn with_recent<T>(original: &str, f: impl FnOnce(&mut Recent) -> T) -> T {
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        let entry = match recent.iter().position(|r| r.original == original) {
            Some(i) => recent.remove(i),
            None => Recent {
                original: original.to_string(),
                normalized: Rc::new(Normalized::new(original)),
                words: None,
            },
        };
        recent.insert(0, entry);
        recent.truncate(RECENT_KEPT);
        f(&mut recent[0])
    })
}

/// `Normalized::new(original)`, reusing a recent result on this thread.
fn normalized_once(original: &str) -> Rc<Normalized> {
    with_recent(original, |recent| Rc::clone(&recent.normalized))
}

/// The normalized text and word spans of `original` as cut by `segmenters`,
/// reusing a recent cut of the same text by the same dictionary.
fn words_once(segmenters: &Segmenters, original: &str) -> (Rc<Normalized>, Rc<Vec<Span>>) {
    let dictionary = segmenters.dictionary().fingerprint();
    with_recent(original, |recent| {
        let spans = match &recent.words {
            Some((by, spans)) if by == dictionary => Rc::clone(spans),
            _ => {
                let text = recent.normalized.as_str();
                // The whole dictionary when loaded (a big update or a batch of
                // queries), else a jieba of the entries in this text.
                let spans = Rc::new(word_spans(|| segmenters.for_text(text), text));
                recent.words = Some((dictionary.to_string(), Rc::clone(&spans)));
                spans
            }
        };
        (Rc::clone(&recent.normalized), spans)
    })
}

/// The words analyzer as a tantivy tokenizer (see the module docs).
#[derive(Clone)]
pub struct WordTokenizer {
    segmenters: Arc<Segmenters>,
}

impl WordTokenizer {
    pub fn new(segmenters: Arc<Segmenters>) -> Self {
        WordTokenizer { segmenters }
    }
}

/// The chars analyzer as a tantivy tokenizer (see the module docs).
#[derive(Clone, Default)]
pub struct CharTokenizer;

/// Tokens handed to tantivy one at a time, filled into one reused [`Token`]
/// from their spans: indexing millions of tokens allocates no string per
/// token.
pub struct SpanTokenStream {
    normalized: Rc<Normalized>,
    spans: Rc<Vec<Span>>,
    /// The next span's index.
    next: usize,
    /// Characters per position: a token's position is its first
    /// character's index divided by it.
    position_chars: usize,
    token: Token,
}

impl SpanTokenStream {
    fn new(normalized: Rc<Normalized>, spans: Rc<Vec<Span>>, position_chars: usize) -> Self {
        SpanTokenStream {
            normalized,
            spans,
            next: 0,
            position_chars,
            token: Token::default(),
        }
    }

    /// The remaining tokens, each as its own value.
    fn collect(mut self) -> Vec<Token> {
        let mut tokens = Vec::new();
        while self.advance() {
            tokens.push(self.token.clone());
        }
        tokens
    }
}

impl TokenStream for SpanTokenStream {
    fn advance(&mut self) -> bool {
        let Some(span) = self.spans.get(self.next) else {
            return false;
        };
        self.next += 1;
        let original = self
            .normalized
            .original_range_of_chars(span.bytes.clone(), span.chars.clone());
        let token = &mut self.token;
        token.text.clear();
        token
            .text
            .push_str(&self.normalized.as_str()[span.bytes.clone()]);
        token.offset_from = original.start;
        token.offset_to = original.end;
        token.position = span.chars.start / self.position_chars;
        token.position_length = 1;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = SpanTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SpanTokenStream {
        let (normalized, spans) = words_once(&self.segmenters, text);
        SpanTokenStream::new(normalized, spans, WORD_POSITION_CHARS)
    }
}

impl Tokenizer for CharTokenizer {
    type TokenStream<'a> = SpanTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SpanTokenStream {
        let normalized = normalized_once(text);
        let spans = char_spans(normalized.as_str());
        SpanTokenStream::new(normalized, Rc::new(spans), 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    static SEGMENTER: LazyLock<Segmenter> = LazyLock::new(Segmenter::with_default_dictionary);

    fn words(text: &str) -> Vec<(String, &str, usize)> {
        word_tokens(&SEGMENTER, text)
            .into_iter()
            .map(|t| {
                (
                    t.text.clone(),
                    &text[t.offset_from..t.offset_to],
                    t.position,
                )
            })
            .collect()
    }

    /// (token text, the original text its offsets slice, index of its
    /// first character in the normalized text)
    type Expected<'a> = &'a [(&'a str, &'a str, usize)];

    fn assert_words(text: &str, expected: Expected) {
        let got = words(text);
        let got: Vec<(&str, &str, usize)> =
            got.iter().map(|(t, s, p)| (t.as_str(), *s, *p)).collect();
        let expected: Vec<(&str, &str, usize)> = expected
            .iter()
            .map(|&(t, s, start)| (t, s, start / WORD_POSITION_CHARS))
            .collect();
        assert_eq!(got, expected, "help: word tokens of {text:?}");
    }

    #[test]
    fn a_words_position_is_its_stretch_of_characters() {
        // 在线 starts at character 0, 销户 at 2 (the same stretch), 流程 at
        // WORD_POSITION_CHARS + 2 (the next one).
        let filler = "。".repeat(WORD_POSITION_CHARS - 2);
        let text = format!("在线销户{filler}流程");
        let got: Vec<(String, usize)> = words(&text).into_iter().map(|(t, _, p)| (t, p)).collect();
        assert_eq!(
            got,
            [
                ("在线".to_string(), 0),
                ("销户".to_string(), 0),
                ("流程".to_string(), 1)
            ]
        );
    }

    #[test]
    fn splits_latin_from_han_and_drops_question_words() {
        assert_words(
            "日本eSIM卡如何注销？",
            &[
                ("日本", "日本", 0),
                ("esim", "eSIM", 2),
                ("卡", "卡", 6),
                ("注销", "注销", 9),
            ],
        );
    }

    #[test]
    fn carrier_names_and_particles() {
        assert_words(
            "NTT Docomo的注销流程",
            &[
                ("ntt", "NTT", 0),
                ("docomo", "Docomo", 4),
                ("注销", "注销", 11),
                ("流程", "流程", 13),
            ],
        );
        assert_words("KDDI（au）", &[("kddi", "KDDI", 0), ("au", "au", 5)]);
    }

    #[test]
    fn numbers_stay_whole() {
        assert_words(
            "费用为3000日元",
            &[
                ("费用", "费用", 0),
                ("3000", "3000", 3),
                ("日元", "日元", 7),
            ],
        );
    }

    #[test]
    fn emoji_and_punctuation_are_dropped() {
        assert_words(
            "办理😀注销👍！",
            &[("办理", "办理", 0), ("注销", "注销", 3)],
        );
    }

    #[test]
    fn full_width_input_keeps_original_offsets() {
        assert_words(
            "ｅＳＩＭ　注销",
            &[("esim", "ｅＳＩＭ", 0), ("注销", "注销", 5)],
        );
    }

    #[test]
    fn search_mode_adds_sub_words_before_the_word() {
        let got = words("中华人民共和国");
        let texts: Vec<&str> = got.iter().map(|(t, _, _)| t.as_str()).collect();
        assert!(texts.contains(&"中华"), "{texts:?}");
        assert!(texts.contains(&"共和国"), "{texts:?}");
        assert_eq!(texts.last(), Some(&"中华人民共和国"));
    }

    #[test]
    fn every_offset_slices_back_to_its_source() {
        let corpus = [
            include_str!("../../corpus/000_faa1a318271c8744.txt"),
            include_str!("../../corpus/002_62efac3a9b478372.txt"),
            "ＮＴＴ　ｄｏｃｏｍｏ的ＳＩＭ卡，㎒ Ⅻ ﬁ 注销",
        ];
        for text in corpus {
            for token in word_tokens(&SEGMENTER, text)
                .into_iter()
                .chain(char_tokens(text))
            {
                let source = &text[token.offset_from..token.offset_to];
                assert_eq!(
                    Normalized::new(source).as_str(),
                    token.text,
                    "help: token {:?} slices back to {source:?}",
                    token.text
                );
            }
        }
    }

    #[test]
    fn char_tokens_are_bigrams_and_each_runs_last_character() {
        let got: Vec<(String, usize)> = char_tokens("在线销户eSIM卡")
            .into_iter()
            .map(|t| (t.text, t.position))
            .collect();
        let expected = [
            ("在线", 0),
            ("线销", 1),
            ("销户", 2),
            ("户", 3),
            ("esim", 4),
            ("卡", 8),
        ];
        let expected: Vec<(String, usize)> =
            expected.iter().map(|(t, p)| (t.to_string(), *p)).collect();
        assert_eq!(got, expected);
    }

    /// Tokens as tantivy gets them from a registered tokenizer.
    fn streamed(tokenizer: &mut impl Tokenizer, text: &str) -> Vec<Token> {
        let mut tokens = Vec::new();
        tokenizer
            .token_stream(text)
            .process(&mut |t| tokens.push(t.clone()));
        tokens
    }

    #[test]
    fn tokenizers_stream_the_same_tokens_whatever_came_before() {
        // The tokenizers reuse the last normalized text on their thread:
        // texts in any order, repeated or not, must give their own tokens.
        let segmenters = Arc::new(Segmenters::new(crate::analysis::Dictionary::builtin()));
        segmenters.preload();
        let mut words = WordTokenizer::new(Arc::clone(&segmenters));
        let mut chars = CharTokenizer;
        let texts = [
            "日本eSIM卡如何注销？",
            "日本eSIM卡如何注销？",
            "ＮＴＴ　ｄｏｃｏｍｏ的註銷",
            "",
            "日本eSIM卡如何注销",
            "日本eSIM卡如何注销？",
        ];
        for text in texts {
            assert_eq!(
                streamed(&mut words, text),
                word_tokens(segmenters.full(), text),
                "{text:?}"
            );
            assert_eq!(streamed(&mut chars, text), char_tokens(text), "{text:?}");
        }
    }

    #[test]
    fn a_text_cut_by_another_dictionary_is_cut_again() {
        // Tokenizers of two dictionaries on one thread (an engine swapped for
        // one with a user dictionary): the recent cuts are the dictionary's own.
        let builtin = Arc::new(Segmenters::new(crate::analysis::Dictionary::builtin()));
        let user = crate::analysis::Dictionary::with_user_words("户流 100000000", "test").unwrap();
        let user = Arc::new(Segmenters::new(user));
        let text = "销户流程";
        let texts = |segmenters: &Segmenters| -> Vec<String> {
            word_tokens(segmenters.full(), text)
                .into_iter()
                .map(|t| t.text)
                .collect()
        };
        assert_ne!(
            texts(&builtin),
            texts(&user),
            "the user word changes the cut"
        );
        let mut words = WordTokenizer::new(Arc::clone(&builtin));
        let mut user_words = WordTokenizer::new(Arc::clone(&user));
        for _ in 0..2 {
            assert_eq!(
                streamed(&mut words, text),
                word_tokens(builtin.full(), text)
            );
            assert_eq!(
                streamed(&mut user_words, text),
                word_tokens(user.full(), text)
            );
        }
    }

    #[test]
    fn empty_and_symbol_only_text_gives_no_tokens() {
        for text in ["", "   ", "？？？", "😀👍", "——"] {
            assert!(word_tokens(&SEGMENTER, text).is_empty(), "{text:?}");
            assert!(char_tokens(text).is_empty(), "{text:?}");
        }
    }
}
