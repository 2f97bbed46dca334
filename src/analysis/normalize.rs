//! Character normalization that remembers where every character came from.
//!
//! Index and query text are folded the same way (Unicode NFKC, so full-width
//! `ＳＩＭ` and the ideographic space become `SIM` and a plain space; then
//! lowercase; then traditional Chinese to simplified, so `註銷` meets `注销`)
//! so that what a user types meets what an article says. Folding can
//! change byte lengths, so [`Normalized`] keeps a map from every normalized
//! character back to the original bytes: highlights must mark the user's
//! original text exactly.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;

/// Text after normalization, with the way back to the original bytes.
#[derive(Debug, Clone)]
pub struct Normalized {
    text: String,
    /// One entry per normalized character, in order; `None` when normalization
    /// changed nothing, so offsets are the identity (the common case for
    /// simplified Chinese prose).
    map: Option<Vec<CharOrigin>>,
}

/// Where one normalized character came from.
#[derive(Debug, Clone, Copy)]
struct CharOrigin {
    /// Byte offset of the character in the normalized text.
    normalized: u32,
    /// Byte range of the original character that produced it.
    original: (u32, u32),
}

impl Normalized {
    /// Normalizes `original`: NFKC, lowercase, traditional → simplified.
    pub fn new(original: &str) -> Self {
        let folded = Self::fold_width_and_case(original);
        folded.into_simplified()
    }

    /// NFKC and lowercase, character by character.
    fn fold_width_and_case(original: &str) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut map: Vec<CharOrigin> = Vec::new();
        let mut changed = false;
        let mut folded = String::new();
        for (start, c) in original.char_indices() {
            let end = start + c.len_utf8();
            folded.clear();
            fold_char(c, &mut folded);
            if !changed && (folded.len() != c.len_utf8() || !folded.starts_with(c)) {
                changed = true;
                // Back-fill the identity map for everything before this character.
                map = text
                    .char_indices()
                    .map(|(at, ch)| CharOrigin {
                        normalized: at as u32,
                        original: (at as u32, (at + ch.len_utf8()) as u32),
                    })
                    .collect();
            }
            if changed {
                for (at, _) in folded.char_indices() {
                    map.push(CharOrigin {
                        normalized: (text.len() + at) as u32,
                        original: (start as u32, end as u32),
                    });
                }
            }
            text.push_str(&folded);
        }
        Normalized {
            text,
            map: changed.then_some(map),
        }
    }

    /// Converts traditional characters to simplified ones.
    ///
    /// fast2s converts character for character, choosing by the neighbouring
    /// characters where one traditional form has several simplified readings
    /// (`乾燥` → `干燥` but `乾隆` stays), so the text keeps its character
    /// count and every character keeps its origin.
    fn into_simplified(self) -> Self {
        if self.text.is_ascii() {
            return self;
        }
        let converted = fast2s::convert(&self.text);
        if converted == self.text || converted.chars().count() != self.text.chars().count() {
            return self;
        }
        // The map has one entry per character, so the i-th character's
        // origin is simply the i-th entry.
        let origins: Vec<(u32, u32)> = match &self.map {
            Some(map) => map.iter().map(|o| o.original).collect(),
            None => self
                .text
                .char_indices()
                .map(|(at, c)| (at as u32, (at + c.len_utf8()) as u32))
                .collect(),
        };
        let map = converted
            .char_indices()
            .zip(origins)
            .map(|((at, _), original)| CharOrigin {
                normalized: at as u32,
                original,
            })
            .collect();
        Normalized {
            text: converted,
            map: Some(map),
        }
    }

    /// The normalized text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The original byte range that produced the normalized bytes `range`
    /// (which must lie on character boundaries of the normalized text).
    pub fn original_range(&self, range: Range<usize>) -> Range<usize> {
        let Some(map) = &self.map else {
            return range;
        };
        if range.start >= range.end || map.is_empty() {
            let at = self.original_offset(range.start);
            return at..at;
        }
        let first = map.partition_point(|c| (c.normalized as usize) < range.start);
        let last = map.partition_point(|c| (c.normalized as usize) < range.end) - 1;
        let start = map.get(first).map_or(0, |c| c.original.0 as usize);
        let end = map[last].original.1 as usize;
        start..end.max(start)
    }

    /// The original byte range of a token that spans the normalized bytes
    /// `bytes`, which are the characters `chars` (0-based character
    /// indexes). Same as [`Self::original_range`] for a non-empty token, but
    /// direct: the tokenizers know both ranges and call this once per token.
    pub fn original_range_of_chars(
        &self,
        bytes: Range<usize>,
        chars: Range<usize>,
    ) -> Range<usize> {
        match &self.map {
            None => bytes,
            Some(_) if chars.is_empty() => self.original_range(bytes),
            Some(map) => {
                let start = map[chars.start].original.0 as usize;
                let end = map[chars.end - 1].original.1 as usize;
                start..end.max(start)
            }
        }
    }

    /// The original byte offset of the normalized byte offset `at`.
    fn original_offset(&self, at: usize) -> usize {
        match &self.map {
            None => at,
            Some(map) => {
                let i = map.partition_point(|c| (c.normalized as usize) < at);
                match map.get(i) {
                    Some(c) => c.original.0 as usize,
                    None => map.last().map_or(0, |c| c.original.1 as usize),
                }
            }
        }
    }
}

/// Folds one character into `out`: NFKC (full-width forms, compatibility
/// ideographs, ligatures), then lowercase.
fn fold_char(c: char, out: &mut String) {
    // Fast paths: ASCII and the main CJK block are already NFKC.
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        out.push(c);
        return;
    }
    for n in std::iter::once(c).nfkc() {
        out.extend(n.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the normalized text and that every normalized character maps back
    /// to the original character it came from.
    fn check(original: &str, expected: &str) {
        let n = Normalized::new(original);
        assert_eq!(n.as_str(), expected, "normalizing {original:?}");
        for (at, c) in n.as_str().char_indices() {
            let back = n.original_range(at..at + c.len_utf8());
            let source = &original[back];
            let mut refolded = String::new();
            for s in source.chars() {
                fold_char(s, &mut refolded);
            }
            assert!(
                refolded.contains(c) || fast2s::convert(&refolded).contains(c),
                "{c:?} at {at} maps back to {source:?} in {original:?}"
            );
        }
    }

    #[test]
    fn folds_full_width_latin_digits_and_space() {
        check("ｅＳＩＭ　注销", "esim 注销");
        check("ＮＴＴ１２３", "ntt123");
        check("日本eSIM卡如何注销？", "日本esim卡如何注销?");
    }

    #[test]
    fn folds_traditional_to_simplified() {
        check("註銷", "注销");
        check("線上營業廳", "线上营业厅");
        check("乾燥和乾隆", "干燥和乾隆");
        check("ＳＩＭ卡如何註銷？", "sim卡如何注销?");
    }

    #[test]
    fn traditional_text_maps_back_to_its_original_characters() {
        let original = "網上ＳＩＭ註銷";
        let n = Normalized::new(original);
        assert_eq!(n.as_str(), "网上sim注销");
        let at = n.as_str().find("注销").unwrap();
        assert_eq!(&original[n.original_range(at..at + "注销".len())], "註銷");
        let at = n.as_str().find("sim").unwrap();
        assert_eq!(&original[n.original_range(at..at + 3)], "ＳＩＭ");
    }

    #[test]
    fn identity_text_keeps_offsets() {
        let text = "日本电话卡如何注销";
        let n = Normalized::new(text);
        assert_eq!(n.original_range(3.."日本电".len()), 3.."日本电".len());
    }

    #[test]
    fn maps_changed_text_back_to_original_bytes() {
        let original = "在线ＳＩＭ卡";
        let n = Normalized::new(original);
        let sim = n.as_str().find("sim").unwrap();
        let back = n.original_range(sim..sim + 3);
        assert_eq!(&original[back], "ＳＩＭ");
        let card = n.as_str().find('卡').unwrap();
        assert_eq!(&original[n.original_range(card..card + "卡".len())], "卡");
    }

    #[test]
    fn one_character_expanding_to_many_maps_to_itself() {
        // U+3392 SQUARE MHZ folds to three characters.
        let original = "频率㎒高";
        let n = Normalized::new(original);
        assert_eq!(n.as_str(), "频率mhz高");
        let at = n.as_str().find("mhz").unwrap();
        assert_eq!(&original[n.original_range(at..at + 1)], "㎒");
        assert_eq!(&original[n.original_range(at..at + 3)], "㎒");
    }

    #[test]
    fn empty_text() {
        let n = Normalized::new("");
        assert_eq!(n.as_str(), "");
        assert_eq!(n.original_range(0..0), 0..0);
    }
}
