//! Snippets: the part of a passage worth showing, with the query's words marked.
//!
//! Highlighting finds the query's (normalized) words in the normalized passage
//! text and maps each match back to the original bytes. It does not replay the
//! tokenizer, so the overlapping, backwards-going offsets of jieba's search
//! mode cannot upset it; overlapping matches are merged. Lengths are counted in
//! characters, not bytes: 100 Chinese characters are 300 bytes.

use std::ops::Range;
use std::sync::Arc;

use tantivy::DocAddress;

use super::kept::{Generation, Kept};
use crate::analysis::Normalized;

/// Default snippet length, in characters.
pub const DEFAULT_SNIPPET_CHARS: usize = 100;

/// An excerpt of a passage with highlighted ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The excerpt, verbatim from the passage.
    pub fragment: String,
    /// Byte ranges in `fragment` to highlight, sorted and disjoint.
    pub highlights: Vec<Range<usize>>,
    /// Whether text was cut before / after the fragment.
    pub cut_before: bool,
    pub cut_after: bool,
}

impl Snippet {
    /// Renders the snippet, wrapping highlights with `open`/`close`, passing
    /// plain text through `escape`, and marking cuts with `…`.
    pub fn render(&self, open: &str, close: &str, escape: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        if self.cut_before {
            out.push('…');
        }
        let mut at = 0;
        for h in &self.highlights {
            out.push_str(&escape(&self.fragment[at..h.start]));
            out.push_str(open);
            out.push_str(&escape(&self.fragment[h.clone()]));
            out.push_str(close);
            at = h.end;
        }
        out.push_str(&escape(&self.fragment[at..]));
        if self.cut_after {
            out.push('…');
        }
        out
    }
}

/// Most bytes of passage text [`NormalizedPassages`] keeps (with their maps
/// back to the original, several times that in memory).
const NORMALIZED_PASSAGES_BYTES: usize = 8 << 20;

/// Normalized passages by address, kept for one searcher (an address names
/// another passage once segments merge; see `kept::Generation`): normalizing
/// is most of a snippet's work, and a batch of questions shows many
/// passages again (on InsuranceQA-zh, 46% of the hits of 2,000 questions).
pub struct NormalizedPassages {
    kept: Kept<DocAddress, Arc<Normalized>>,
}

impl Default for NormalizedPassages {
    fn default() -> Self {
        NormalizedPassages {
            kept: Kept::new(NORMALIZED_PASSAGES_BYTES),
        }
    }
}

impl NormalizedPassages {
    /// The passage at `address` in the searcher of `generation`, whose text
    /// is `text`, normalized.
    pub fn get(&self, generation: Generation, address: DocAddress, text: &str) -> Arc<Normalized> {
        self.kept.get_or_make(
            generation,
            &address,
            |_| text.len(),
            || Arc::new(Normalized::new(text)),
        )
    }
}

/// Byte ranges of the original text of `normalized` where any of `needles`
/// (normalized words) occurs, sorted and merged.
pub fn find_matches(normalized: &Normalized, needles: &[String]) -> Vec<Range<usize>> {
    let haystack = normalized.as_str();
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for needle in needles.iter().filter(|n| !n.is_empty()) {
        for (at, m) in haystack.match_indices(needle.as_str()) {
            ranges.push(normalized.original_range(at..at + m.len()));
        }
    }
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Picks the window of at most `max_chars` characters of `text` (normalized:
/// `normalized`) that holds the most matches, preferring one that starts at
/// a sentence start.
pub fn make_snippet(
    text: &str,
    normalized: &Normalized,
    needles: &[String],
    max_chars: usize,
) -> Snippet {
    let matches = find_matches(normalized, needles);
    let max_chars = max_chars.max(1);
    // Byte offset of every character, plus the end.
    let starts: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    let total_chars = starts.len() - 1;
    let (first, last) = if total_chars <= max_chars {
        (0, total_chars)
    } else {
        let char_of = |byte: usize| starts.partition_point(|&s| s < byte);
        let best_start = best_window(&matches, max_chars, &char_of).unwrap_or(0);
        // Lead in a little so the first match has context, at a sentence start if near.
        let lead = (max_chars / 8).min(best_start);
        let mut first = best_start - lead;
        if let Some(sentence) = sentence_start(text, &starts, best_start, lead) {
            first = sentence;
        }
        let first = first.min(total_chars - max_chars);
        (first, first + max_chars)
    };
    let (from, to) = (starts[first], starts[last]);
    let highlights = matches
        .into_iter()
        .filter(|r| r.end > from && r.start < to)
        .map(|r| r.start.max(from) - from..r.end.min(to) - from)
        .collect();
    Snippet {
        fragment: text[from..to].to_string(),
        highlights,
        cut_before: first > 0,
        cut_after: last < total_chars,
    }
}

/// Character offset of the match that starts the window covering the most matches.
fn best_window(
    matches: &[Range<usize>],
    max_chars: usize,
    char_of: &impl Fn(usize) -> usize,
) -> Option<usize> {
    let positions: Vec<usize> = matches.iter().map(|m| char_of(m.start)).collect();
    let mut best: Option<(usize, usize)> = None;
    for (i, &start) in positions.iter().enumerate() {
        let covered = positions[i..]
            .iter()
            .take_while(|&&p| p < start + max_chars)
            .count();
        if best.is_none_or(|(_, n)| covered > n) {
            best = Some((start, covered));
        }
    }
    best.map(|(start, _)| start)
}

/// The character offset just after the last sentence end within `lead`
/// characters before `at`, if any.
fn sentence_start(text: &str, starts: &[usize], at: usize, lead: usize) -> Option<usize> {
    (at.saturating_sub(lead)..at)
        .rev()
        .find(|&i| {
            text[starts[i]..starts[i + 1]]
                .chars()
                .all(|c| matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';' | '\n'))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needles(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn snippet(text: &str, words: &[&str], max_chars: usize) -> Snippet {
        make_snippet(text, &Normalized::new(text), &needles(words), max_chars)
    }

    fn marked(s: &Snippet) -> String {
        s.render("[", "]", |t| t.to_string())
    }

    #[test]
    fn short_passage_is_whole_with_marks() {
        let s = snippet("可以在线注销eSIM卡。", &["在线", "注销", "esim"], 100);
        // Adjacent matches read as one mark.
        assert_eq!(marked(&s), "可以[在线注销eSIM]卡。");
    }

    #[test]
    fn overlapping_words_merge_into_one_mark() {
        let s = snippet("在线注销流程", &["在线注销", "在线", "注销"], 100);
        assert_eq!(marked(&s), "[在线注销]流程");
    }

    #[test]
    fn full_width_text_is_marked_in_its_original_form() {
        let s = snippet("请注销ＳＩＭ卡", &["sim"], 100);
        assert_eq!(marked(&s), "请注销[ＳＩＭ]卡");
    }

    #[test]
    fn long_passage_window_is_counted_in_characters_around_the_matches() {
        let text = format!(
            "{}。办理销户需要护照。{}",
            "无关内容".repeat(50),
            "其他".repeat(50)
        );
        let s = snippet(&text, &["销户", "护照"], 20);
        assert_eq!(s.fragment.chars().count(), 20);
        assert!(s.cut_before && s.cut_after);
        assert!(s.fragment.starts_with("办理销户"), "{}", s.fragment);
        assert_eq!(s.highlights.len(), 2);
    }

    #[test]
    fn no_match_gives_the_passage_start() {
        let s = snippet(&"甲".repeat(300), &["乙"], 10);
        assert_eq!(s.fragment, "甲".repeat(10));
        assert!(!s.cut_before && s.cut_after);
    }
}
