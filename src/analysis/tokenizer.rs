//! The two token streams every passage is indexed with, as tantivy tokenizers.
//!
//! * **words** ([`WordTokenizer`]): normalized text, Latin/digit runs split from
//!   Han runs (so `eSIM卡` gives `esim` and `卡`, exactly as a query `eSIM`
//!   does), Han runs cut by jieba in search mode, stop words dropped.
//! * **chars** ([`CharTokenizer`]): every Han character and every pair of
//!   adjacent Han characters, plus Latin/digit runs whole. jieba's search mode
//!   never emits a lone character, so this field is what finds `卡` or a
//!   partial word; it also gives exact-substring phrase matching.
//!
//! Offsets are byte offsets into the original (un-normalized) text, so
//! highlights land on what the article really says. Positions are *character*
//! offsets in the normalized text: a word and its sub-words then sit at their
//! true places, and a phrase query can ask for terms at exact distances.

use std::sync::Arc;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::normalize::Normalized;
use super::segment::{Lexicon, Segmenter, SegmenterRef};
use super::stopwords::is_stop_word;

/// Whether `c` is a Han (CJK ideograph) character.
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}'
        | '〇')
}

/// The kind of a run of normalized text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// Han characters, segmented by jieba.
    Han,
    /// Letters and digits of any other script, kept whole (`esim`, `ntt`, `2025`).
    Alnum,
}

/// A maximal run of one kind: byte range and offset of its first character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub kind: RunKind,
    pub bytes: std::ops::Range<usize>,
    pub char_start: usize,
}

/// Splits normalized text into Han and letter/digit runs; everything else
/// (punctuation, whitespace, symbols, emoji) separates runs and is dropped.
pub fn runs(text: &str) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut current: Option<Run> = None;
    for (char_index, (at, c)) in text.char_indices().enumerate() {
        let kind = if is_han(c) {
            Some(RunKind::Han)
        } else if c.is_alphanumeric() {
            Some(RunKind::Alnum)
        } else {
            None
        };
        match (&mut current, kind) {
            (Some(run), Some(kind)) if run.kind == kind => run.bytes.end = at + c.len_utf8(),
            (_, kind) => {
                out.extend(current.take());
                current = kind.map(|kind| Run {
                    kind,
                    bytes: at..at + c.len_utf8(),
                    char_start: char_index,
                });
            }
        }
    }
    out.extend(current);
    out
}

/// Word tokens of `original`, stop words removed.
pub fn word_tokens(segmenter: &Segmenter, original: &str) -> Vec<Token> {
    let normalized = Normalized::new(original);
    let text = normalized.as_str();
    let mut tokens = Vec::new();
    let push = |norm: std::ops::Range<usize>, position: usize, tokens: &mut Vec<Token>| {
        let word = &text[norm.clone()];
        if is_stop_word(word) {
            return;
        }
        let original = normalized.original_range(norm);
        tokens.push(Token {
            offset_from: original.start,
            offset_to: original.end,
            position,
            text: word.to_string(),
            position_length: 1,
        });
    };
    for run in runs(text) {
        match run.kind {
            RunKind::Alnum => push(run.bytes.clone(), run.char_start, &mut tokens),
            RunKind::Han => {
                let han = &text[run.bytes.clone()];
                for word in segmenter.search_words(han) {
                    let start = run.bytes.start + word.bytes.start;
                    let end = run.bytes.start + word.bytes.end;
                    push(start..end, run.char_start + word.char_start, &mut tokens);
                }
            }
        }
    }
    tokens
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
    let normalized = Normalized::new(original);
    let text = normalized.as_str();
    let mut tokens = Vec::new();
    let token = |norm: std::ops::Range<usize>, position: usize| {
        let original = normalized.original_range(norm.clone());
        Token {
            offset_from: original.start,
            offset_to: original.end,
            position,
            text: text[norm].to_string(),
            position_length: 1,
        }
    };
    for run in runs(text) {
        match run.kind {
            RunKind::Alnum => tokens.push(token(run.bytes.clone(), run.char_start)),
            RunKind::Han => {
                let han = &text[run.bytes.clone()];
                let starts: Vec<usize> = han
                    .char_indices()
                    .map(|(i, _)| run.bytes.start + i)
                    .chain(std::iter::once(run.bytes.end))
                    .collect();
                for i in 0..starts.len() - 1 {
                    let end = starts.get(i + 2).unwrap_or(&starts[i + 1]);
                    tokens.push(token(starts[i]..*end, run.char_start + i));
                }
            }
        }
    }
    tokens
}

/// The words analyzer as a tantivy tokenizer (see the module docs).
#[derive(Clone)]
pub struct WordTokenizer {
    lexicon: Arc<Lexicon>,
}

impl WordTokenizer {
    pub fn new(lexicon: Arc<Lexicon>) -> Self {
        WordTokenizer { lexicon }
    }
}

/// The chars analyzer as a tantivy tokenizer (see the module docs).
#[derive(Clone, Default)]
pub struct CharTokenizer;

/// A precomputed token list handed to tantivy one token at a time.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    /// Index of the current token plus one; 0 before the first `advance`.
    next: usize,
}

impl VecTokenStream {
    fn new(tokens: Vec<Token>) -> Self {
        VecTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next.saturating_sub(1)]
    }

    fn token_mut(&mut self) -> &mut Token {
        let i = self.next.saturating_sub(1);
        &mut self.tokens[i]
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        // The whole dictionary when loaded (a big update or a batch of
        // queries), else a jieba of the entries in this text.
        let segmenter = match self.lexicon.loaded() {
            Some(full) => SegmenterRef::Borrowed(full),
            None => self.lexicon.for_text(Normalized::new(text).as_str()),
        };
        VecTokenStream::new(word_tokens(&segmenter, text))
    }
}

impl Tokenizer for CharTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream::new(char_tokens(text))
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

    /// (token text, the original text its offsets slice, position)
    type Expected<'a> = &'a [(&'a str, &'a str, usize)];

    fn assert_words(text: &str, expected: Expected) {
        let got = words(text);
        let got: Vec<(&str, &str, usize)> =
            got.iter().map(|(t, s, p)| (t.as_str(), *s, *p)).collect();
        assert_eq!(got, expected, "help: word tokens of {text:?}");
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

    #[test]
    fn runs_separate_scripts() {
        let text = "日本eSIM卡";
        let kinds: Vec<(RunKind, &str)> = runs(text)
            .into_iter()
            .map(|r| (r.kind, &text[r.bytes]))
            .collect();
        assert_eq!(
            kinds,
            [
                (RunKind::Han, "日本"),
                (RunKind::Alnum, "eSIM"),
                (RunKind::Han, "卡")
            ]
        );
    }

    #[test]
    fn empty_and_symbol_only_text_gives_no_tokens() {
        for text in ["", "   ", "？？？", "😀👍", "——"] {
            assert!(word_tokens(&SEGMENTER, text).is_empty(), "{text:?}");
            assert!(char_tokens(text).is_empty(), "{text:?}");
        }
    }
}
