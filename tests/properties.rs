//! Property tests: the Markdown reader and the analyzers on arbitrary input.
//!
//! Inputs mix Markdown syntax, Han text, Latin words, full-width and
//! compatibility characters (NFKC changes their length), case-changing
//! letters (`İ` lowercases to two characters), emoji, combining marks, NUL and
//! every line ending, plus fully arbitrary strings. Run longer by hand with
//! `PROPTEST_CASES=100000 cargo test --release --test integration properties`.

use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::string::string_regex;
use zhsearch::analysis::{Segmenter, analyze_query, char_tokens, word_tokens};
use zhsearch::corpus::{Passage, parse_article, parse_article_in_pieces};

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

/// A well-formed article: headings, long paragraphs, lists after a lead-in,
/// code fences holding `#` lines, one kind of line ending.
fn structured_article() -> impl Strategy<Value = String> {
    let han = "[营业厅办理销户注销在线流量卡护照在留卡材料步骤运营商手续费违约金]";
    let re = |pattern: String| string_regex(&pattern).expect("valid regex");
    let paragraph = || re(format!("{han}{{24,60}}。"));
    let block = prop_oneof![
        (1..=3usize, re(format!("{han}{{1,6}}")))
            .prop_map(|(l, t)| format!("{} {t}", "#".repeat(l))),
        paragraph(),
        (
            paragraph(),
            prop::collection::vec(re(format!("{han}{{1,8}}")), 1..4)
        )
            .prop_map(|(lead, items)| {
                let items: Vec<String> = items.iter().map(|i| format!("- {i}")).collect();
                format!("{lead}需要以下材料：\n\n{}", items.join("\n"))
            }),
        re(format!("{han}{{0,10}}")).prop_map(|t| format!("```\n# {t}\n\n## {t}\n```")),
    ];
    (
        prop::collection::vec(block, 0..30),
        // Files with lone `\r` line ends are read with `\n` (see decode_article).
        prop::sample::select(vec!["\n", "\r\n"]),
    )
        .prop_map(|(blocks, eol)| blocks.join("\n\n").replace('\n', eol))
}

fn passages_in_pieces(source: &str, piece_bytes: usize) -> (String, Vec<Passage>) {
    let mut passages = Vec::new();
    let title = parse_article_in_pieces("a.md", "a", source, piece_bytes, |article| {
        passages.extend(article.passages);
        Ok::<(), ()>(())
    })
    .expect("infallible");
    (title, passages)
}

proptest! {
    #[test]
    fn pieces_read_like_the_whole(source in structured_article(), piece_bytes in 1..400usize) {
        let whole = parse_article("a.md", "a", &source);
        let (title, passages) = passages_in_pieces(&source, piece_bytes);
        prop_assert_eq!(title, whole.title);
        prop_assert_eq!(passages, whole.passages);
    }

    #[test]
    fn pieces_of_anything_never_panic_and_stay_in_the_file(source in text(), piece_bytes in 1..64usize) {
        let lines = line_count(&source);
        let (_, passages) = passages_in_pieces(&source, piece_bytes);
        for passage in &passages {
            prop_assert!(passage.line >= 1 && passage.line <= lines);
        }
    }

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
