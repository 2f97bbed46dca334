//! Reading a very large article in pieces, so memory stays bounded.
//!
//! Parsing holds a few copies of an article's text at once (Markdown blocks,
//! units, passages), and indexing one holds its documents: fine for articles
//! of a few hundred kilobytes, too much for a 50 MB dump. So an article
//! longer than a piece is cut into pieces of about [`PIECE_BYTES`] and each
//! piece is parsed and handed on before the next is read.
//!
//! A piece starts at a heading line (`#` to `######` at the very start of a
//! line after a blank line, outside fenced code). Passages never cross a
//! heading, and the reader's state at the end of one piece (the title, the
//! open headings) is where the next piece starts, so the passages are the
//! same as from the whole article. An article with no such heading for
//! [`MAX_PIECE_FACTOR`] pieces is cut at a blank line between a long
//! paragraph and an ordinary one instead, where nothing merges across.
//! Line numbers are counted across pieces.
//!
//! The title may be found in a later piece (a level-1 heading after the first
//! piece): the pieces before it are then read twice, once to find it.

use super::Article;
use super::markdown::{MIN_CHARS, ParseState, parse_piece};

/// The size pieces aim for, in bytes.
pub const PIECE_BYTES: usize = 4 * 1024 * 1024;
/// Without a heading to cut at, a piece may grow to this many times
/// [`PIECE_BYTES`] before it is cut at a paragraph.
pub const MAX_PIECE_FACTOR: usize = 2;

/// Parses `source` in pieces of about `piece_bytes`, handing each piece's
/// passages (with lines counted from the start of `source`) to `each`.
/// Returns the title of the article.
pub fn parse_article_in_pieces<E>(
    path: &str,
    stem: &str,
    source: &str,
    piece_bytes: usize,
    mut each: impl FnMut(Article) -> Result<(), E>,
) -> Result<String, E> {
    let pieces = cut_points(source, piece_bytes.max(1));
    // The title comes from the first piece that finds one (nearly always the
    // first): look ahead for it, keeping the first piece's result for reuse.
    let mut state = ParseState::default();
    let mut title = None;
    let mut first = None;
    for (i, (range, _)) in pieces.iter().enumerate() {
        let (article, next) = parse_piece(path, stem, &source[range.clone()], state);
        if next.title.is_some() {
            title = next.title.clone();
            if i == 0 {
                first = Some((article, next));
            }
            break;
        }
        state = next;
    }
    let title = title.unwrap_or_else(|| stem.to_string());
    let mut state = ParseState::default();
    for (range, line_offset) in pieces {
        let (mut article, next) = match first.take() {
            Some(parsed) => parsed,
            None => parse_piece(path, stem, &source[range], state),
        };
        state = next;
        article.title.clone_from(&title);
        for passage in &mut article.passages {
            passage.line += line_offset;
        }
        each(article)?;
    }
    Ok(title)
}

/// The pieces of `source`: byte ranges, each with the number of line ends
/// before it (`\n`, `\r\n` and a lone `\r` each end a line, as the reader counts).
fn cut_points(source: &str, piece_bytes: usize) -> Vec<(std::ops::Range<usize>, usize)> {
    let bytes = source.as_bytes();
    let mut pieces = Vec::new();
    let mut piece_start = 0;
    let mut piece_line = 0;
    let mut line = 0;
    let mut start = 0;
    let mut previous_blank = true;
    // Whether the last non-blank line surely belongs to a unit long enough
    // not to be merged with its neighbour (so a paragraph cut is exact).
    let mut previous_long = false;
    let mut fence: Option<(u8, usize)> = None;
    // The first level-1 heading may be the title, which (unlike a heading)
    // does not end a section: never cut there.
    let mut seen_level_one = false;
    while start < bytes.len() {
        let (end, next) = line_end(bytes, start);
        let text = &bytes[start..end];
        let grown = start - piece_start;
        if let Some((c, n)) = fence {
            if is_fence(text).is_some_and(|(c2, n2)| c2 == c && n2 >= n) {
                fence = None;
            }
        } else if let Some(open) = is_fence(text) {
            fence = Some(open);
        } else {
            let heading = heading_level(text);
            let may_be_title = heading == Some(1) && !seen_level_one;
            seen_level_one |= heading == Some(1);
            let cut_here = start > piece_start
                && previous_blank
                && ((heading.is_some() && !may_be_title && grown >= piece_bytes)
                    || (grown >= piece_bytes * MAX_PIECE_FACTOR
                        && previous_long
                        && starts_paragraph(text)));
            if cut_here {
                pieces.push((piece_start..start, piece_line));
                piece_start = start;
                piece_line = line;
            }
        }
        previous_blank = text.iter().all(u8::is_ascii_whitespace);
        if !previous_blank {
            previous_long = fence.is_none() && is_long_text(text);
        }
        line += 1;
        start = next;
    }
    pieces.push((piece_start..bytes.len(), piece_line));
    pieces
}

/// Where the line starting at `start` ends (before its line end) and where
/// the next line starts.
fn line_end(bytes: &[u8], start: usize) -> (usize, usize) {
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => return (i, i + 1),
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => return (i, i + 2),
            b'\r' => return (i, i + 1),
            _ => i += 1,
        }
    }
    (i, i)
}

/// The level of an ATX heading at the start of the line (`#`…`######`, a
/// space) whose text the reader surely keeps (letters, no link, image, HTML
/// or code that it might drop to nothing).
fn heading_level(line: &[u8]) -> Option<u8> {
    let hashes = line.iter().take_while(|&&b| b == b'#').count();
    if !(1..=6).contains(&hashes) || line.get(hashes).is_some_and(|b| *b != b' ' && *b != b'\t') {
        return None;
    }
    let text = std::str::from_utf8(&line[hashes..]).ok()?;
    let plain =
        !text.contains(['[', '!', '<', '`', '&', '\\']) && text.chars().any(char::is_alphanumeric);
    plain.then_some(hashes as u8)
}

/// A code fence (up to three spaces, then three or more backticks or tildes):
/// its character and length.
fn is_fence(line: &[u8]) -> Option<(u8, usize)> {
    let indent = line.iter().take_while(|&&b| b == b' ').count();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let c = *rest.first()?;
    if c != b'`' && c != b'~' {
        return None;
    }
    let n = rest.iter().take_while(|&&b| b == c).count();
    (n >= 3).then_some((c, n))
}

/// A line with at least twice [`MIN_CHARS`] non-ASCII characters (Han text,
/// which the reader keeps) and no link or image (which it may drop): its
/// block is never a short fragment.
fn is_long_text(line: &[u8]) -> bool {
    let Ok(line) = std::str::from_utf8(line) else {
        return false;
    };
    !line.contains("](") && line.chars().filter(|c| !c.is_ascii()).count() >= 2 * MIN_CHARS
}

/// A line that can only start an ordinary paragraph: no indentation, list
/// marker, quote, table, HTML or other block syntax.
fn starts_paragraph(line: &[u8]) -> bool {
    let Some(&first) = line.first() else {
        return false;
    };
    if first.is_ascii() {
        // ASCII starts may be syntax (`-`, `1.`, `>`, `|`, `<`, `#`, spaces…)
        // or plain words; only letters are surely plain.
        first.is_ascii_alphabetic() && !line.starts_with(b"http")
    } else {
        // Han text and other non-ASCII letters never start block syntax.
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{Passage, parse_article};

    fn in_pieces(source: &str, piece_bytes: usize) -> (String, Vec<Passage>, usize) {
        let mut passages = Vec::new();
        let mut pieces = 0;
        let title = parse_article_in_pieces("a.md", "a", source, piece_bytes, |article| {
            pieces += 1;
            passages.extend(article.passages);
            Ok::<(), ()>(())
        })
        .unwrap();
        (title, passages, pieces)
    }

    const ARTICLE: &str = "# 标题\r\n\r\n开头的一段话，介绍这篇文章讲的内容和背景。\r\n\r\n\
        ## 第一部分\n\n第一部分的正文，讲营业厅办理销户需要的材料。\n\n\
        ### 小节\n\n小节里的文字也要足够长才能成为一个段落。\n\n\
        ```\n# 代码里的井号不是标题\n\n## 也不是\n```\n\n\
        ## 第二部分\r需要携带以下材料：\r\r- 护照\r- 在留卡\r\r\
        # 另一个一级标题\n\n一级标题下面的正文同样需要足够长的文字。\n\n\
        ## 第三部分\n\n最后一段话讲在线注销eSIM卡的具体步骤和注意事项。\n";

    #[test]
    fn pieces_give_the_same_passages_as_the_whole() {
        let whole = parse_article("a.md", "a", ARTICLE);
        for piece_bytes in [1, 7, 40, 100, 300, ARTICLE.len()] {
            let (title, passages, pieces) = in_pieces(ARTICLE, piece_bytes);
            assert_eq!(title, whole.title, "help: piece size {piece_bytes}");
            assert_eq!(passages, whole.passages, "help: piece size {piece_bytes}");
            if piece_bytes == 1 {
                // Cut at least at every heading outside the code block.
                assert!(pieces >= 6, "{pieces}");
            }
        }
    }

    #[test]
    fn text_without_headings_is_cut_at_paragraphs_with_right_lines() {
        let paragraph =
            "这是一段没有标题的长文字，用来测试按段落切分的情况是否正确，每段都要足够长才行。";
        let source: String = (0..50).map(|i| format!("{paragraph}{i}\n\n")).collect();
        let whole = parse_article("a.md", "a", &source);
        let (_, passages, pieces) = in_pieces(&source, 200);
        assert!(pieces > 5, "{pieces}");
        assert_eq!(passages, whole.passages);
        for passage in &passages {
            let line = source.lines().nth(passage.line - 1).unwrap();
            assert!(passage.text.starts_with(line), "{line} / {}", passage.text);
        }
    }
}
