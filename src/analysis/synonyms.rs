//! Synonym groups: different words people use for the same thing.
//!
//! A user who types `销户` means what an article calls `注销`; `营业厅` and
//! `线下` name the same way of cancelling. Groups are applied at query time
//! only (the index does not change when a group is added), and expansions
//! weigh less than the words the user typed.
//!
//! Format: one group per line, words separated by whitespace, `,`, `，` or
//! `、`; `#` starts a comment line. Words are normalized like all text
//! (full-width folded, lowercase).

use std::collections::HashMap;

use super::Normalized;

/// The groups shipped with zhsearch for the guide-article domain.
pub const BUILTIN: &str = include_str!("../../data/synonyms.txt");
/// The variant characters shipped with zhsearch (see [`Synonyms::add_corrections`]).
pub const BUILTIN_VARIANTS: &str = include_str!("../../data/variants.txt");
/// The everyday words shipped with zhsearch (see [`Synonyms::add_one_way`]).
pub const BUILTIN_EVERYDAY: &str = include_str!("../../data/everyday.txt");

/// A set of synonym groups, looked up by word, and the one-way corrections
/// of variant spellings.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
    by_word: HashMap<String, Vec<usize>>,
    /// Variant spelling to the standard one.
    corrections: HashMap<String, String>,
}

impl Synonyms {
    /// The built-in groups and variant spellings.
    pub fn builtin() -> Self {
        let mut synonyms = Synonyms::default();
        synonyms.add_groups(BUILTIN);
        synonyms.add_corrections(BUILTIN_VARIANTS);
        synonyms.add_one_way(BUILTIN_EVERYDAY);
        synonyms
    }

    /// Adds one-way corrections, `variant standard` per line (`#` comments):
    /// a query with the variant also searches the standard spelling, as a
    /// group would, but not the other way round (账号 never searches 帐号).
    pub fn add_corrections(&mut self, text: &str) {
        for words in lines_of_words(text) {
            let [variant, standard] = words.as_slice() else {
                continue;
            };
            if variant == standard || self.corrections.contains_key(variant) {
                continue;
            }
            let id = self.groups.len();
            self.groups.push(vec![variant.clone(), standard.clone()]);
            self.by_word.entry(variant.clone()).or_default().push(id);
            self.corrections.insert(variant.clone(), standard.clone());
        }
    }

    /// Adds one-way expansions, `word expansion…` per line (`#` comments): a
    /// query with the word also searches the others, as a group would, but
    /// none of them searches the word or each other.
    pub fn add_one_way(&mut self, text: &str) {
        for words in lines_of_words(text) {
            if words.len() < 2 {
                continue;
            }
            let id = self.groups.len();
            let ids = self.by_word.entry(words[0].clone()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
            self.groups.push(words);
        }
    }

    /// The standard spelling of `word` when it is a known variant.
    pub fn correction(&self, word: &str) -> Option<&str> {
        self.corrections.get(word).map(String::as_str)
    }

    /// Adds the groups in `text` (the file format above).
    pub fn add_groups(&mut self, text: &str) {
        for words in lines_of_words(text) {
            if words.len() < 2 {
                continue;
            }
            let id = self.groups.len();
            for word in &words {
                let ids = self.by_word.entry(word.clone()).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            self.groups.push(words);
        }
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Every group word that occurs in `text` (normalized), longest first (of
    /// equal lengths, in byte order: the map's order would change from run
    /// to run) and not overlapping one found before, with its synonyms. Finds
    /// entries that span several query words (`号码迁移`, `ntt docomo`);
    /// letter/digit entries must stand alone (`au` is not found in `beautiful`).
    pub fn entries_in<'a>(&'a self, text: &str) -> Vec<(&'a str, Vec<&'a str>)> {
        let mut words: Vec<&str> = self.by_word.keys().map(String::as_str).collect();
        words.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        let mut taken: Vec<std::ops::Range<usize>> = Vec::new();
        let mut found = Vec::new();
        for word in words {
            for (at, _) in text.match_indices(word) {
                let range = at..at + word.len();
                let before = text[..at].chars().next_back();
                let after = text[range.end..].chars().next();
                let alnum_edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
                let is_latin = word
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric());
                if is_latin && (alnum_edge(before) || alnum_edge(after)) {
                    continue;
                }
                if taken
                    .iter()
                    .any(|t| t.start < range.end && range.start < t.end)
                {
                    continue;
                }
                taken.push(range);
                found.push((word, self.expand(word)));
                break;
            }
        }
        found
    }

    /// The other words of every group `word` (normalized) belongs to.
    pub fn expand(&self, word: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for &id in self.by_word.get(word).into_iter().flatten() {
            for other in &self.groups[id] {
                if other != word && !out.contains(&other.as_str()) {
                    out.push(other);
                }
            }
        }
        out
    }
}

/// The words of each line of a groups or corrections file (the format in
/// the module docs), normalized; comment and blank lines give none.
fn lines_of_words(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            line.split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、'))
                .map(|w| Normalized::new(w).as_str().trim().to_string())
                .filter(|w| !w.is_empty())
                .collect()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_everyday_word_expands_one_way() {
        let mut synonyms = Synonyms::default();
        synonyms.add_one_way("丢了 丢失 遗失");
        assert_eq!(synonyms.expand("丢了"), ["丢失", "遗失"]);
        assert!(synonyms.expand("丢失").is_empty());
        assert!(synonyms.expand("遗失").is_empty());
        assert_eq!(synonyms.correction("丢了"), None, "no correction is said");
        assert_eq!(Synonyms::builtin().expand("丢了"), ["丢失", "遗失"]);
    }

    #[test]
    fn a_correction_goes_one_way() {
        let mut synonyms = Synonyms::default();
        synonyms.add_corrections("# comment\n帐号 账号\n身分證 身份证\nbad line here\n");
        assert_eq!(synonyms.correction("帐号"), Some("账号"));
        assert_eq!(synonyms.expand("帐号"), ["账号"]);
        assert_eq!(synonyms.correction("账号"), None);
        assert!(
            synonyms.expand("账号").is_empty(),
            "the standard form never expands"
        );
        // Normalized like all text: the traditional form is looked up simplified.
        assert_eq!(synonyms.correction("身分证"), Some("身份证"));
        assert_eq!(synonyms.entries_in("我的帐号"), [("帐号", vec!["账号"])]);
    }

    #[test]
    fn entries_of_equal_length_come_in_the_same_order_every_time() {
        // Each map has its own hash seed: the order must not come from it.
        for _ in 0..16 {
            let synonyms = Synonyms::builtin();
            let entries: Vec<&str> = synonyms
                .entries_in("esim 在线销户")
                .into_iter()
                .map(|(entry, _)| entry)
                .collect();
            assert_eq!(entries, ["在线", "销户"]);
        }
    }

    #[test]
    fn builtin_groups_cover_the_domain() {
        let s = Synonyms::builtin();
        assert!(s.expand("销户").contains(&"注销"));
        assert!(s.expand("注销").contains(&"销号"));
        assert!(s.expand("营业厅").contains(&"线下"));
        assert!(s.expand("网上").contains(&"在线"));
        assert!(s.expand("软银").contains(&"softbank"));
        assert!(s.expand("au").contains(&"kddi"));
        assert!(s.expand("手机卡").contains(&"流量卡"));
        assert!(s.expand("sim卡").contains(&"电话卡"));
    }

    /// The group words `entries_in` finds in `text`.
    fn found_in<'a>(s: &'a Synonyms, text: &str) -> Vec<&'a str> {
        s.entries_in(text).into_iter().map(|(w, _)| w).collect()
    }

    #[test]
    fn entries_are_found_inside_the_query_text() {
        let mut s = Synonyms::builtin();
        s.add_groups("号码迁移 携号转网\n");
        assert_eq!(found_in(&s, "如何号码迁移"), ["号码迁移"]);
        assert_eq!(found_in(&s, "beautiful 营业厅"), ["营业厅"]);
        let found = found_in(&s, "au的sim卡");
        assert!(
            found.contains(&"au") && found.contains(&"sim卡"),
            "{found:?}"
        );
    }

    #[test]
    fn parsing_normalizes_and_accepts_separators() {
        let mut s = Synonyms::default();
        s.add_groups("# comment\nＡＢＣ，甲、乙 丙\n\nsolo\n");
        assert_eq!(s.len(), 1);
        assert_eq!(s.expand("abc"), ["甲", "乙", "丙"]);
        assert!(s.expand("solo").is_empty());
    }
}
