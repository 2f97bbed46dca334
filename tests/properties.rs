//! Property tests: the Markdown reader and the analyzers on arbitrary input.
//!
//! Inputs mix Markdown syntax, Han text, Latin words, full-width and
//! compatibility characters (NFKC changes their length), case-changing
//! letters (`İ` lowercases to two characters), emoji, combining marks, NUL and
//! every line ending, plus fully arbitrary strings. Run longer by hand with
//! `PROPTEST_CASES=100000 cargo test --release --test integration properties`.

use std::sync::LazyLock;

use proptest::prelude::*;
use zhsearch::analysis::{Segmenter, analyze_query, char_tokens, word_tokens};
use zhsearch::corpus::parse_article;

static SEGMENTER: LazyLock<Segmenter> = LazyLock::new(Segmenter::with_default_dictionary);

const FRAGMENTS: &[&str] = &[
    "# ",
    "## ",
    "### ",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "- ",
    "* ",
    "1. ",
    "> ",
    "```",
    "~~~",
    "**",
    "*",
    "_",
    "`",
    "[",
    "](",
    ")",
    "![",
    "(",
    "（",
    "）",
    "【",
    "】",
    "http://x.cn/a?b=1",
    "@user",
    "|",
    "| --- |",
    "---",
    "===",
    "<div>",
    "</div>",
    "&amp;",
    "&#x4E2D;",
    "\\",
    "　",
    "，",
    "。",
    "：",
    "？",
    "！",
    "“",
    "”",
    "注销",
    "营业厅",
    "在线销户",
    "日本流量卡",
    "的",
    "了",
    "如何",
    "eSIM",
    "SIM卡",
    "ＳＩＭ",
    "１２３",
    "4G",
    "🙂",
    "👨‍👩‍👧",
    "e\u{301}",
    "ﬁ",
    "㍿",
    "Ⅻ",
    "ß",
    "İ",
    "ǅ",
    "\t",
    "    ",
    "\u{0}",
    "\u{feff}",
    "\u{200b}",
    "\u{85}",
    "\u{2028}",
    "a",
    "Z",
    " ",
    "9",
    "中",
    "卡",
];

/// Text built from Markdown-ish fragments, or anything at all.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60)
            .prop_map(|parts| parts.concat()),
        1 => any::<String>(),
        1 => "[ -~\u{4e00}-\u{4e2f}\u{3000}-\u{3003}\n\r]{0,200}",
    ]
}

/// Lines as the Markdown reader counts them: `\n`, `\r\n` and a lone `\r` end one.
fn line_count(source: &str) -> usize {
    let bytes = source.as_bytes();
    let mut lines = 1;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            lines += 1;
        }
    }
    lines
}

fn check_tokens(source: &str, tokens: &[tantivy::tokenizer::Token]) -> Result<(), TestCaseError> {
    for token in tokens {
        prop_assert!(token.offset_from <= token.offset_to, "{token:?}");
        prop_assert!(token.offset_to <= source.len(), "{token:?} in {source:?}");
        prop_assert!(source.is_char_boundary(token.offset_from), "{token:?}");
        prop_assert!(source.is_char_boundary(token.offset_to), "{token:?}");
        prop_assert!(!token.text.is_empty(), "{token:?}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn articles_never_panic_and_passages_point_into_the_file(source in text()) {
        let article = parse_article("a.md", "a", &source);
        let lines = line_count(&source);
        for passage in &article.passages {
            prop_assert!(passage.line >= 1 && passage.line <= lines,
                "line {} of {lines} in {source:?}", passage.line);
            prop_assert!(!passage.text.is_empty());
        }
    }

    #[test]
    fn token_offsets_are_char_boundaries_inside_the_source(source in text()) {
        check_tokens(&source, &word_tokens(&SEGMENTER, &source))?;
        check_tokens(&source, &char_tokens(&source))?;
    }

    #[test]
    fn query_analysis_never_panics_and_yields_real_terms(query in text()) {
        let terms = analyze_query(&SEGMENTER, &query);
        for term in terms.words.iter().chain(&terms.grams).chain(&terms.sequence) {
            prop_assert!(!term.is_empty());
            prop_assert!(!term.chars().any(char::is_whitespace), "{term:?}");
        }
    }
}
