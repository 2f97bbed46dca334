//! Markdown (and plain text, which is Markdown too) to passages.
//!
//! The rules, in the order they apply:
//!
//! * **Blocks.** pulldown-cmark parses the source. Every top-level block (a
//!   paragraph, a whole list with its nested lists, a table, a quote, a code
//!   block) becomes one unit of plain text; list items and table rows are
//!   separated by newlines. Headings start a new section and are never part of
//!   a passage.
//! * **Title.** The first level-1 heading; else a first paragraph that is
//!   entirely bold; else the file stem. The title is neither a passage nor part
//!   of a heading breadcrumb.
//! * **Noise.** Images are dropped. A link keeps its text in prose, unless the
//!   text is itself a URL, a social handle (`@name`) or has no letters, in
//!   which case the whole link goes; in titles and headings links are dropped
//!   entirely. Bare URLs are removed from text. Brackets left empty, or holding
//!   only punctuation and symbols, are removed. A block that had a link or an
//!   image and has no Han characters left is promotional residue and dropped.
//! * **Passages.** Within one section (passages never cross a heading): a
//!   paragraph ending in `：` is kept with the list right after it; a unit
//!   shorter than [`MIN_CHARS`] characters is merged into its neighbour; a unit
//!   longer than [`MAX_CHARS`] is split at sentence ends into pieces of about
//!   [`TARGET_CHARS`] (a sentence longer than [`MAX_CHARS`] is cut hard).
//! * **Lines.** Each passage records the 1-based line where its text starts
//!   (`\n`, `\r\n` and a lone `\r` each end a line).

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::{Article, Passage};
use crate::analysis::is_han;

/// Units shorter than this (in characters) are merged into a neighbour.
pub const MIN_CHARS: usize = 20;
/// Units longer than this (in characters) are split at sentence ends.
pub const MAX_CHARS: usize = 400;
/// The size split pieces aim for, in characters.
pub const TARGET_CHARS: usize = 250;

/// Reads one article's source text into its title and passages.
///
/// `path` is the document id (relative path); `stem` is the file name without
/// extension, the title of last resort.
pub fn parse_article(path: &str, stem: &str, source: &str) -> Article {
    parse_piece(path, stem, source, ParseState::default()).0
}

/// What the reader knows at some point of an article: its title, if found,
/// and the headings open above (level, text). Parsing an article in pieces
/// hands the state at the end of one piece to the next (see `pieces`).
#[derive(Debug, Clone, Default)]
pub(crate) struct ParseState {
    pub title: Option<String>,
    pub headings: Vec<(u8, String)>,
    /// Whether some of the article came before (so no first-paragraph title).
    pub continued: bool,
}

/// Parses `source` as the continuation of an article in `state`; returns its
/// passages (lines counted from the start of `source`) and the state at its end.
pub(crate) fn parse_piece(
    path: &str,
    stem: &str,
    source: &str,
    state: ParseState,
) -> (Article, ParseState) {
    let lines = LineIndex::new(source);
    let blocks = read_blocks(source);
    let ParseState {
        mut title,
        mut headings,
        continued,
    } = state;
    let mut sections: Vec<Section> = vec![Section {
        headings: headings.iter().map(|(_, t)| t.clone()).collect(),
        units: Vec::new(),
    }];
    for (i, block) in blocks.into_iter().enumerate() {
        match block.kind {
            BlockKind::Heading(level) => {
                if title.is_none() && level == 1 && !block.text.is_empty() {
                    title = Some(block.text);
                    continue;
                }
                if block.text.is_empty() {
                    continue;
                }
                headings.retain(|(l, _)| *l < level);
                headings.push((level, block.text));
                sections.push(Section {
                    headings: headings.iter().map(|(_, t)| t.clone()).collect(),
                    units: Vec::new(),
                });
            }
            BlockKind::Body { all_bold, is_list } => {
                if i == 0 && !continued && all_bold && title.is_none() && !block.text.is_empty() {
                    title = Some(block.text);
                    continue;
                }
                if block.text.is_empty() {
                    continue;
                }
                if let Some(section) = sections.last_mut() {
                    section.units.push(Unit {
                        text: block.text,
                        starts: block.starts,
                        is_list,
                    });
                }
            }
        }
    }
    let mut passages = Vec::new();
    for section in sections {
        for unit in group_units(section.units) {
            for (text, source_at) in split_long(&unit) {
                passages.push(Passage {
                    headings: section.headings.clone(),
                    text,
                    line: lines.line_of(source_at),
                });
            }
        }
    }
    let article = Article {
        path: path.to_string(),
        title: title.clone().unwrap_or_else(|| stem.to_string()),
        passages,
    };
    let state = ParseState {
        title,
        headings,
        continued: true,
    };
    (article, state)
}

/// Headings above a run of units.
#[derive(Default)]
struct Section {
    headings: Vec<String>,
    units: Vec<Unit>,
}

/// The text of one or more blocks, with where its pieces came from.
struct Unit {
    text: String,
    /// `(byte offset in text, byte offset in source)`, sorted: where each piece
    /// of text was copied from, to find the line of any part of the text.
    starts: Vec<(usize, usize)>,
    is_list: bool,
}

impl Unit {
    fn source_at(&self, text_at: usize) -> usize {
        let i = self.starts.partition_point(|(t, _)| *t <= text_at);
        self.starts.get(i.saturating_sub(1)).map_or(0, |(_, s)| *s)
    }

    fn append(&mut self, other: Unit, separator: &str) {
        self.text.push_str(separator);
        let base = self.text.len();
        self.text.push_str(&other.text);
        self.starts
            .extend(other.starts.into_iter().map(|(t, s)| (t + base, s)));
        self.is_list |= other.is_list;
    }
}

/// Keeps a lead-in with its list and merges short units into a neighbour.
fn group_units(units: Vec<Unit>) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    let mut pending_short: Option<Unit> = None;
    for mut unit in units {
        if let Some(short) = pending_short.take() {
            let mut merged = short;
            merged.append(unit, "\n");
            unit = merged;
        }
        let joins_lead_in = unit.is_list
            && out
                .last()
                .is_some_and(|prev: &Unit| prev.text.ends_with('：') || prev.text.ends_with(':'));
        if joins_lead_in && let Some(prev) = out.last_mut() {
            prev.append(unit, "\n");
            continue;
        }
        if char_len(&unit.text) < MIN_CHARS {
            pending_short = Some(unit);
            continue;
        }
        out.push(unit);
    }
    if let Some(short) = pending_short {
        match out.last_mut() {
            Some(prev) => prev.append(short, "\n"),
            None => out.push(short),
        }
    }
    out
}

/// Splits a unit longer than [`MAX_CHARS`] at sentence ends; returns each
/// piece with the source offset where it starts.
fn split_long(unit: &Unit) -> Vec<(String, usize)> {
    let text = &unit.text;
    if char_len(text) <= MAX_CHARS {
        return vec![(text.clone(), unit.source_at(0))];
    }
    let mut pieces = Vec::new();
    let mut piece_start = 0;
    let mut piece_chars = 0;
    let mut last_break: Option<(usize, usize)> = None; // (byte end, chars up to it)
    for (at, c) in text.char_indices() {
        piece_chars += 1;
        let end = at + c.len_utf8();
        if is_sentence_end(c) {
            last_break = Some((end, piece_chars));
            if piece_chars >= TARGET_CHARS {
                push_piece(&mut pieces, unit, piece_start..end);
                piece_start = end;
                piece_chars = 0;
                last_break = None;
                continue;
            }
        }
        if piece_chars >= MAX_CHARS {
            let (cut, cut_chars) = last_break.unwrap_or((end, piece_chars));
            push_piece(&mut pieces, unit, piece_start..cut);
            piece_start = cut;
            piece_chars -= cut_chars;
            last_break = None;
        }
    }
    if piece_start < text.len() {
        let rest = &text[piece_start..];
        // A short tail joins the previous piece rather than stand alone.
        if char_len(rest.trim()) < MIN_CHARS
            && let Some((prev, _)) = pieces.last_mut()
        {
            prev.push_str(rest.trim_end());
        } else {
            push_piece(&mut pieces, unit, piece_start..text.len());
        }
    }
    pieces
}

fn push_piece(pieces: &mut Vec<(String, usize)>, unit: &Unit, range: Range<usize>) {
    let raw = &unit.text[range.clone()];
    let trimmed = raw.trim_start();
    let start = range.start + (raw.len() - trimmed.len());
    let piece = trimmed.trim_end();
    if !piece.is_empty() {
        pieces.push((piece.to_string(), unit.source_at(start)));
    }
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';' | '\n')
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// A top-level block of the document, as plain text.
struct Block {
    kind: BlockKind,
    text: String,
    starts: Vec<(usize, usize)>,
}

enum BlockKind {
    Heading(u8),
    Body { all_bold: bool, is_list: bool },
}

/// Builds the plain text of one block from inline events.
#[derive(Default)]
struct BlockBuilder {
    text: String,
    starts: Vec<(usize, usize)>,
    had_link_or_image: bool,
    /// Characters of text outside any bold span (for title detection).
    plain_outside_bold: usize,
    bold_depth: usize,
    image_depth: usize,
    /// Text of the link being read: (start in `text`, destination).
    link: Option<(usize, String)>,
    in_heading: bool,
}

impl BlockBuilder {
    fn push_text(&mut self, s: &str, source_at: usize) {
        if self.image_depth > 0 || s.is_empty() {
            return;
        }
        if self.bold_depth == 0 && self.link.is_none() {
            self.plain_outside_bold += s.chars().filter(|c| !c.is_whitespace()).count();
        }
        self.starts.push((self.text.len(), source_at));
        self.text.push_str(s);
    }

    fn push_break(&mut self, separator: char) {
        if self.image_depth == 0 && !self.text.is_empty() {
            self.text.push(separator);
        }
    }

    fn end_link(&mut self) {
        let Some((start, _dest)) = self.link.take() else {
            return;
        };
        let link_text = self.text[start..].trim().to_string();
        if self.in_heading || !is_meaningful_link_text(&link_text) {
            self.text.truncate(start);
            self.starts.retain(|(t, _)| *t < start);
        } else if self.bold_depth == 0 {
            self.plain_outside_bold += link_text.chars().count();
        }
    }

    fn finish(self, kind: impl FnOnce(bool) -> BlockKind) -> Option<Block> {
        let all_bold = self.plain_outside_bold == 0;
        let (text, starts) = clean_text(&self.text, &self.starts);
        if text.is_empty() {
            return None;
        }
        if self.had_link_or_image && !text.chars().any(is_han) {
            return None;
        }
        Some(Block {
            kind: kind(all_bold),
            text,
            starts,
        })
    }
}

/// Link text worth keeping in prose: has letters or Han, and is not a URL or
/// a social handle.
fn is_meaningful_link_text(text: &str) -> bool {
    let has_word = text.chars().any(char::is_alphanumeric);
    let is_url = text.contains("://") || text.starts_with("www.");
    let is_handle = text
        .split_whitespace()
        .any(|w| w.starts_with('@') && w.len() > 1);
    has_word && !is_url && !is_handle
}

/// Reads the source into top-level blocks of plain text.
fn read_blocks(source: &str) -> Vec<Block> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut blocks = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<(BlockBuilder, BlockStart)> = None;
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                if depth == 0 {
                    let start = match &tag {
                        Tag::Heading { level, .. } => BlockStart::Heading(heading_level(*level)),
                        Tag::List(_) => BlockStart::List,
                        _ => BlockStart::Other,
                    };
                    let builder = BlockBuilder {
                        in_heading: matches!(start, BlockStart::Heading(_)),
                        ..BlockBuilder::default()
                    };
                    current = Some((builder, start));
                }
                depth += 1;
                if let Some((b, _)) = current.as_mut() {
                    match tag {
                        Tag::Strong => b.bold_depth += 1,
                        Tag::Image { .. } => {
                            b.image_depth += 1;
                            b.had_link_or_image = true;
                        }
                        Tag::Link { dest_url, .. } => {
                            b.had_link_or_image = true;
                            b.link = Some((b.text.len(), dest_url.to_string()));
                        }
                        Tag::Item
                        | Tag::TableRow
                        | Tag::TableHead
                        | Tag::Paragraph
                        | Tag::CodeBlock(_)
                        | Tag::BlockQuote(_) => b.push_break('\n'),
                        Tag::TableCell => b.push_break(' '),
                        _ => {}
                    }
                }
            }
            Event::End(end) => {
                depth = depth.saturating_sub(1);
                if let Some((b, _)) = current.as_mut() {
                    match end {
                        TagEnd::Strong => b.bold_depth = b.bold_depth.saturating_sub(1),
                        TagEnd::Image => b.image_depth = b.image_depth.saturating_sub(1),
                        TagEnd::Link => b.end_link(),
                        _ => {}
                    }
                }
                if depth == 0
                    && let Some((builder, start)) = current.take()
                {
                    let block = builder.finish(|all_bold| match start {
                        BlockStart::Heading(level) => BlockKind::Heading(level),
                        BlockStart::List => BlockKind::Body {
                            all_bold,
                            is_list: true,
                        },
                        BlockStart::Other => BlockKind::Body {
                            all_bold,
                            is_list: false,
                        },
                    });
                    blocks.extend(block);
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((b, _)) = current.as_mut() {
                    b.push_text(&t, range.start);
                }
            }
            Event::SoftBreak => {
                if let Some((b, _)) = current.as_mut() {
                    b.push_break('\u{1}');
                }
            }
            Event::HardBreak => {
                if let Some((b, _)) = current.as_mut() {
                    b.push_break('\n');
                }
            }
            _ => {}
        }
    }
    blocks
}

enum BlockStart {
    Heading(u8),
    List,
    Other,
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Cleans a block's raw text: removes bare URLs and emptied brackets, joins
/// soft-broken lines (with a space only between Latin words), collapses
/// whitespace; keeps the source map in step.
fn clean_text(raw: &str, starts: &[(usize, usize)]) -> (String, Vec<(usize, usize)>) {
    let without_urls = remove_urls(raw);
    let chars: Vec<(usize, char)> = without_urls
        .iter()
        .flat_map(|(at, s)| s.char_indices().map(move |(i, c)| (at + i, c)))
        .collect();
    let chars = remove_empty_brackets(chars);
    let mut text = String::with_capacity(raw.len());
    let mut map: Vec<(usize, usize)> = Vec::new();
    let mut pending_space: Option<char> = None;
    let source_of = |raw_at: usize| {
        let i = starts.partition_point(|(t, _)| *t <= raw_at);
        starts
            .get(i.saturating_sub(1))
            .map_or(0, |&(t, s)| s + raw_at.saturating_sub(t))
    };
    for (i, &(raw_at, c)) in chars.iter().enumerate() {
        if c == '\u{1}' || (c.is_whitespace() && c != '\n') {
            if pending_space != Some('\n') {
                pending_space = Some(if c == '\u{1}' { '\u{1}' } else { ' ' });
            }
            continue;
        }
        if c == '\n' {
            pending_space = Some('\n');
            continue;
        }
        if let Some(space) = pending_space.take()
            && !text.is_empty()
        {
            let prev = text.chars().next_back().unwrap_or(' ');
            let next = chars.get(i).map_or(' ', |x| x.1);
            match space {
                '\n' => text.push('\n'),
                '\u{1}' if prev.is_ascii_alphanumeric() && next.is_ascii_alphanumeric() => {
                    text.push(' ')
                }
                '\u{1}' => {}
                _ => text.push(' '),
            }
        }
        // Record the source only where it stops running in step with the text.
        let source = source_of(raw_at);
        if map
            .last()
            .is_none_or(|&(t, s)| s + (text.len() - t) != source)
        {
            map.push((text.len(), source));
        }
        text.push(c);
    }
    (text, map)
}

/// Raw text with bare URLs cut out, as (offset in raw, piece) pairs.
fn remove_urls(raw: &str) -> Vec<(usize, &str)> {
    let mut pieces = Vec::new();
    let mut at = 0;
    while at < raw.len() {
        let rest = &raw[at..];
        let found = ["https://", "http://", "www."]
            .iter()
            .filter_map(|p| rest.find(p))
            .min();
        match found {
            None => {
                pieces.push((at, rest));
                break;
            }
            Some(i) => {
                pieces.push((at, &rest[..i]));
                let url_len = rest[i..]
                    .find(|c: char| {
                        c.is_whitespace() || !c.is_ascii() || matches!(c, ')' | ']' | '>' | '"')
                    })
                    .unwrap_or(rest.len() - i);
                at += i + url_len.max(1);
            }
        }
    }
    pieces
}

/// Drops bracket pairs that enclose nothing but whitespace, punctuation or
/// symbols (what is left of a removed link), repeatedly.
fn remove_empty_brackets(mut chars: Vec<(usize, char)>) -> Vec<(usize, char)> {
    loop {
        let mut remove: Vec<usize> = Vec::new();
        let mut open_stack: Vec<usize> = Vec::new();
        for (i, &(_, c)) in chars.iter().enumerate() {
            if closing_bracket(c).is_some() {
                open_stack.push(i);
            } else if let Some(&open) = open_stack.last()
                && closing_bracket(chars[open].1) == Some(c)
            {
                open_stack.pop();
                let inner = &chars[open + 1..i];
                if inner.iter().all(|&(_, x)| !x.is_alphanumeric()) {
                    remove.push(open);
                    remove.extend(open + 1..i);
                    remove.push(i);
                }
            }
        }
        if remove.is_empty() {
            return chars;
        }
        remove.sort_unstable();
        remove.dedup();
        let mut r = remove.iter().peekable();
        chars = chars
            .into_iter()
            .enumerate()
            .filter(|(i, _)| {
                if r.peek() == Some(&i) {
                    r.next();
                    false
                } else {
                    true
                }
            })
            .map(|(_, x)| x)
            .collect();
    }
}

fn closing_bracket(open: char) -> Option<char> {
    match open {
        '[' => Some(']'),
        '(' => Some(')'),
        '【' => Some('】'),
        '（' => Some('）'),
        '「' => Some('」'),
        '〔' => Some('〕'),
        _ => None,
    }
}

/// Byte offset → 1-based line number.
struct LineIndex {
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(source: &str) -> Self {
        let bytes = source.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts }
    }

    fn line_of(&self, byte: usize) -> usize {
        self.starts.partition_point(|&s| s <= byte).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: [(&str, &str); 5] = [
        ("000", include_str!("../../corpus/000_faa1a318271c8744.txt")),
        ("001", include_str!("../../corpus/001_b72c7b22e203419a.txt")),
        ("002", include_str!("../../corpus/002_62efac3a9b478372.txt")),
        ("003", include_str!("../../corpus/003_ff423b3c6d56b74a.txt")),
        ("004", include_str!("../../corpus/004_7d910efdc582c7a6.txt")),
    ];

    fn seed(i: usize) -> Article {
        parse_article("a.txt", "stem", SEED[i].1)
    }

    #[test]
    fn titles_of_the_seed_articles() {
        let titles: Vec<String> = (0..5).map(|i| seed(i).title).collect();
        assert_eq!(
            titles,
            [
                "日本电话卡如何注销？手把手教你轻松搞定",
                "日本eSIM卡如何注销",
                "日本流量卡如何注销？一份超详细指南",
                "日本流量卡是否支持在线销户？深度解读",
                "Smart卡手机卡如何注销？——一份全面指南",
            ]
        );
    }

    #[test]
    fn no_markup_links_or_promotion_survive() {
        for (name, source) in SEED {
            let article = parse_article("a.txt", "stem", source);
            let mut texts = vec![article.title.clone()];
            for p in &article.passages {
                texts.push(p.text.clone());
                texts.extend(p.headings.iter().cloned());
            }
            for text in texts {
                for bad in [
                    "http", "](", "![", "**", "#", "@", "t.me", "TG💪", "[]", "Image",
                ] {
                    assert!(!text.contains(bad), "{name} has {bad:?}: {text}");
                }
            }
        }
    }

    #[test]
    fn prose_around_a_removed_link_is_kept() {
        let article = seed(2);
        let last = article.passages.last().unwrap();
        assert!(
            last.text
                .contains("欢迎加入我们的讨论群组，与其他用户一起交流经验"),
            "{}",
            last.text
        );
    }

    #[test]
    fn heading_breadcrumbs_nest() {
        let article = seed(4);
        assert!(
            article
                .passages
                .iter()
                .any(|p| p.breadcrumb() == "三、eSIM卡的注销方法 › 2. 在线注销")
        );
        let article = seed(3);
        // The level-1 title is not part of the breadcrumb.
        assert_eq!(article.passages[1].headings, ["什么是日本流量卡？"]);
    }

    #[test]
    fn line_numbers_point_at_the_passage_start() {
        for (name, source) in SEED {
            let lines: Vec<&str> = source.lines().collect();
            for p in parse_article("a", "a", source).passages {
                let start: String = p.text.chars().take(6).collect();
                assert!(
                    lines[p.line - 1].contains(&start),
                    "{name}: line {} is {:?}, passage starts {start:?}",
                    p.line,
                    lines[p.line - 1]
                );
            }
        }
    }

    #[test]
    fn crlf_and_cr_line_endings_give_the_same_lines() {
        let lf = SEED[0].1;
        let expected: Vec<usize> = parse_article("a", "a", lf)
            .passages
            .iter()
            .map(|p| p.line)
            .collect();
        for ending in ["\r\n", "\r"] {
            let other = lf.replace('\n', ending);
            let got: Vec<usize> = parse_article("a", "a", &other)
                .passages
                .iter()
                .map(|p| p.line)
                .collect();
            assert_eq!(got, expected, "line ending {ending:?}");
        }
    }

    #[test]
    fn a_lead_in_stays_with_its_list() {
        let article = seed(0);
        let p = article
            .passages
            .iter()
            .find(|p| p.text.contains("记得携带以下材料："))
            .unwrap();
        assert!(
            p.text.contains("身份证件原件") && p.text.contains("银行卡或支付凭据"),
            "{}",
            p.text
        );
    }

    #[test]
    fn short_fragments_merge_into_a_neighbour() {
        let article = parse_article(
            "a",
            "a",
            "# T\n\n## 节\n\n很短。\n\n这是一段足够长的正文，用来确认很短的片段会被并入相邻的段落之中。\n",
        );
        assert_eq!(article.passages.len(), 1);
        assert!(article.passages[0].text.starts_with("很短。"));
    }

    #[test]
    fn long_blocks_split_at_sentence_ends() {
        let sentence = "这是一个用来测试长段落切分规则的完整句子。";
        let source = sentence.repeat(60);
        let article = parse_article("a", "a", &source);
        assert!(article.passages.len() > 1);
        for p in &article.passages {
            assert!(
                p.text.chars().count() <= MAX_CHARS,
                "{}",
                p.text.chars().count()
            );
            assert!(p.text.ends_with('。'));
        }
        let rejoined: String = article.passages.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(rejoined, source);
    }

    #[test]
    fn a_sentence_without_ends_is_cut_hard() {
        let source = "字".repeat(MAX_CHARS * 3);
        let article = parse_article("a", "a", &source);
        assert_eq!(article.passages.len(), 3);
    }

    #[test]
    fn plain_text_paragraphs_and_fallback_title() {
        let article = parse_article(
            "notes.txt",
            "notes",
            "第一段讲的是如何在营业厅办理注销手续的问题。\n\n第二段讲的是如何在网上办理注销手续的问题。\n",
        );
        assert_eq!(article.title, "notes");
        assert_eq!(article.passages.len(), 2);
        assert_eq!(article.passages[1].line, 3);
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for source in [
            "",
            "   \n\t",
            "**",
            "# ",
            "[]()",
            "![x](y)",
            "\r\r\r",
            "\0\0",
            "- - - -\n    - x",
            "> > > 深",
            "|a|b|\n|-|-|\n|甲|乙|",
        ] {
            let article = parse_article("a", "a", source);
            assert!(article.passages.iter().all(|p| !p.text.is_empty()));
        }
    }
}
