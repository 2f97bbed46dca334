//! The segmentation dictionary: jieba's words, the domain words and a user's own.
//!
//! jieba picks the most probable split of a Han run from word frequencies:
//! `ln(freq / total)` per word, where `total` is the sum over the whole
//! dictionary. Only dictionary words that are *substrings of the input* take
//! part. So a query needs neither the 350,000-entry dictionary nor the 0.1–0.2 s
//! it takes to load: [`Dictionary::segmenter_for`] looks the query's substrings
//! up in a finite-state map compiled into the binary (`build.rs`) and builds a
//! tiny jieba from the hits, plus one filler entry that can never match and
//! whose frequency restores the full dictionary's total. The words found are
//! then the same as with the whole dictionary (a test checks it on every
//! sentence of the seed corpus).
//!
//! User dictionary format (jieba's): one word per line, optionally followed by
//! a frequency and a part-of-speech tag: `流量卡 30 n`, or just `流量卡`. A word
//! without a frequency gets the one jieba's `suggest_freq` computes against
//! the built-in dictionary, just enough to keep it whole.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use jieba_rs::Jieba;

use super::Segmenter;

include!(concat!(env!("OUT_DIR"), "/dictionary_stats.rs"));

/// jieba's dictionary merged with `data/dict.txt`, as word → frequency.
static BUILTIN_FST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/dictionary.fst"));

/// A word no input can contain (a private-use character), carrying the
/// frequency of every dictionary entry a reduced jieba leaves out.
const FILLER: &str = "\u{F8FF}\u{F8FE}";

/// A complete dictionary: built-in words plus a user's words.
#[derive(Debug, Clone)]
pub struct Dictionary {
    builtin: fst::Map<&'static [u8]>,
    /// User words with their resolved frequencies (replacing built-in ones).
    user: BTreeMap<String, u64>,
    total: u64,
    /// Identifies the dictionary's content, recorded in the index.
    fingerprint: String,
}

impl Dictionary {
    /// The built-in dictionary alone.
    pub fn builtin() -> Self {
        let builtin = fst::Map::new(BUILTIN_FST).expect("dictionary.fst is built by build.rs");
        Dictionary {
            builtin,
            user: BTreeMap::new(),
            total: BUILTIN_TOTAL,
            fingerprint: format!("builtin-{BUILTIN_WORDS}-{BUILTIN_TOTAL}"),
        }
    }

    /// The built-in dictionary extended by a user dictionary's text.
    /// `origin` names the file in error messages.
    pub fn with_user_words(text: &str, origin: &str) -> Result<Self> {
        let mut dictionary = Dictionary::builtin();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim().trim_start_matches('\u{FEFF}');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let word = super::Normalized::new(parts.next().unwrap_or_default());
            let word = word.as_str();
            let freq = match parts.next() {
                None => None,
                Some(f) => match f.parse::<u64>() {
                    Ok(f) => Some(f),
                    Err(_) => bail!(
                        "{origin}, line {}: frequency '{f}' is not a whole number (format: word [frequency] [tag])",
                        i + 1
                    ),
                },
            };
            let freq = freq.unwrap_or_else(|| dictionary.suggest_freq(word));
            let old = dictionary.freq(word).unwrap_or(0);
            dictionary.total = dictionary.total - old + freq;
            dictionary.user.insert(word.to_string(), freq);
        }
        dictionary.fingerprint = if dictionary.user.is_empty() {
            dictionary.fingerprint
        } else {
            let mut hash = Fnv::default();
            for (word, freq) in &dictionary.user {
                hash.write(word.as_bytes());
                hash.write(&freq.to_le_bytes());
            }
            format!(
                "{}+user-{}-{:016x}",
                dictionary.fingerprint,
                dictionary.user.len(),
                hash.0
            )
        };
        Ok(dictionary)
    }

    /// Identifies this dictionary's content; an index built with another
    /// dictionary segments differently and must be rebuilt.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Number of user words.
    pub fn user_words(&self) -> usize {
        self.user.len()
    }

    /// The frequency of `word`, if it is in the dictionary.
    pub fn freq(&self, word: &str) -> Option<u64> {
        self.user
            .get(word)
            .copied()
            .or_else(|| self.builtin.get(word))
    }

    /// A segmenter with the whole dictionary, for indexing many texts.
    pub fn full_segmenter(&self) -> Segmenter {
        let mut jieba = Jieba::empty();
        let mut stream = self.builtin.stream();
        while let Some((word, freq)) = fst::Streamer::next(&mut stream) {
            let word = String::from_utf8_lossy(word);
            let freq = self.user.get(word.as_ref()).copied().unwrap_or(freq);
            add_entry(&mut jieba, &word, freq);
        }
        for (word, freq) in &self.user {
            if self.builtin.get(word).is_none() {
                add_entry(&mut jieba, word, *freq);
            }
        }
        Segmenter::from_jieba(jieba)
    }

    /// A segmenter that segments `text` (and any of its substrings) exactly
    /// as [`Dictionary::full_segmenter`] would, built from only the entries
    /// that occur in it. `text` must already be normalized.
    pub fn segmenter_for(&self, text: &str) -> Segmenter {
        Segmenter::from_jieba(self.reduced_jieba(text))
    }

    fn reduced_jieba(&self, text: &str) -> Jieba {
        let entries = self.entries_in(text);
        let mut jieba = Jieba::empty();
        let mut sum = 0;
        for (word, freq) in entries {
            add_entry(&mut jieba, word, freq);
            sum += freq;
        }
        add_entry(&mut jieba, FILLER, self.total.saturating_sub(sum));
        jieba
    }

    /// Every dictionary entry that is a substring of `text` starting with a
    /// Han character, with its frequency.
    ///
    /// The built-in map is walked once from each starting character, byte by
    /// byte, collecting the entries passed on the way: most walks end after
    /// two or three characters, where looking up every substring up to the
    /// longest word's length cost a small update a third of its time.
    fn entries_in<'t>(&self, text: &'t str) -> BTreeMap<&'t str, u64> {
        let fst = self.builtin.as_fst();
        let user_max_chars = self.user.keys().map(|w| w.chars().count()).max();
        let mut entries: BTreeMap<&str, u64> = BTreeMap::new();
        for (start, c) in text.char_indices() {
            if !super::script::is_han(c) {
                continue;
            }
            let rest = &text[start..];
            let mut node = fst.root();
            let mut output = fst::raw::Output::zero();
            for (i, &byte) in rest.as_bytes().iter().enumerate() {
                let Some(at) = node.find_input(byte) else {
                    break;
                };
                let transition = node.transition(at);
                output = output.cat(transition.out);
                node = fst.node(transition.addr);
                if node.is_final() && rest.is_char_boundary(i + 1) {
                    let word = &rest[..=i];
                    let freq = output.cat(node.final_output()).value();
                    entries.insert(word, self.user.get(word).copied().unwrap_or(freq));
                }
            }
            // User words the built-in map does not have.
            if let Some(max_chars) = user_max_chars {
                let ends = rest.char_indices().skip(1).map(|(i, _)| i);
                for end in ends.chain([rest.len()]).take(max_chars) {
                    if let Some(&freq) = self.user.get(&rest[..end]) {
                        entries.insert(&rest[..end], freq);
                    }
                }
            }
        }
        entries
    }

    /// jieba's `suggest_freq` against this dictionary: the frequency that just
    /// makes `word` win over its best split.
    fn suggest_freq(&self, word: &str) -> u64 {
        self.reduced_jieba(word).suggest_freq(word) as u64
    }
}

/// Adds `word` to `jieba` with frequency `freq`, straight: writing the
/// entries as jieba's dictionary text for `Jieba::with_dict` to parse back
/// cost [`Dictionary::full_segmenter`] 216–272 ms, against 177–198 ms now (3
/// runs each).
fn add_entry(jieba: &mut Jieba, word: &str, freq: u64) {
    jieba.add_word(
        word,
        Some(usize::try_from(freq).unwrap_or(usize::MAX)),
        None,
    );
}

/// FNV-1a: a stable fingerprint across builds and platforms (std's hasher is not).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    static DICTIONARY: LazyLock<Dictionary> = LazyLock::new(Dictionary::builtin);
    static FULL: LazyLock<Segmenter> = LazyLock::new(|| DICTIONARY.full_segmenter());

    fn words(segmenter: &Segmenter, text: &str) -> Vec<String> {
        segmenter
            .search_words(text)
            .into_iter()
            .map(|w| w.text.to_string())
            .collect()
    }

    /// Every Han stretch of the seed corpus, plus questions.
    fn sample_sentences() -> Vec<String> {
        let corpus = [
            include_str!("../../corpus/000_faa1a318271c8744.txt"),
            include_str!("../../corpus/001_b72c7b22e203419a.txt"),
            include_str!("../../corpus/002_62efac3a9b478372.txt"),
            include_str!("../../corpus/003_ff423b3c6d56b74a.txt"),
            include_str!("../../corpus/004_7d910efdc582c7a6.txt"),
            "请问日本的流量卡应该怎么样才能在网上注销呢线下注销要带哪些材料注销后还要注意什么",
        ];
        let mut out = Vec::new();
        for text in corpus {
            let mut run = String::new();
            for c in text.chars() {
                if super::super::script::is_han(c) {
                    run.push(c);
                } else if !run.is_empty() {
                    out.push(std::mem::take(&mut run));
                }
            }
            out.extend((!run.is_empty()).then_some(run));
        }
        out
    }

    #[test]
    fn reduced_segmenter_matches_the_full_one_on_every_sentence() {
        let sentences = sample_sentences();
        assert!(sentences.len() > 300, "{}", sentences.len());
        for sentence in &sentences {
            let reduced = DICTIONARY.segmenter_for(sentence);
            assert_eq!(
                words(&reduced, sentence),
                words(&FULL, sentence),
                "help: segmentation of {sentence:?} differs"
            );
            assert_eq!(
                reduced.exact_words(sentence).len(),
                FULL.exact_words(sentence).len()
            );
        }
    }

    /// Every substring starting with a Han character that `freq` knows.
    fn entries_by_lookup<'t>(dictionary: &Dictionary, text: &'t str) -> BTreeMap<&'t str, u64> {
        let mut entries = BTreeMap::new();
        for (start, c) in text.char_indices() {
            if !super::super::script::is_han(c) {
                continue;
            }
            let ends = text[start..].char_indices().skip(1).map(|(i, _)| start + i);
            for end in ends.chain([text.len()]) {
                if let Some(freq) = dictionary.freq(&text[start..end]) {
                    entries.insert(&text[start..end], freq);
                }
            }
        }
        entries
    }

    #[test]
    fn walking_the_map_finds_every_substring_entry() {
        let user = Dictionary::with_user_words("流量卡 77\n日本流量卡销户指南 5\nesim卡 9", "test")
            .unwrap();
        let mut texts = sample_sentences();
        texts.push("日本流量卡销户指南，esim卡和ＳＩＭ卡".to_string());
        for dictionary in [&*DICTIONARY, &user] {
            for text in &texts {
                assert_eq!(
                    dictionary.entries_in(text),
                    entries_by_lookup(dictionary, text),
                    "{text:?}"
                );
            }
        }
        let found = user.entries_in("日本流量卡销户指南");
        assert_eq!(found.get("流量卡"), Some(&77));
        assert_eq!(found.get("日本流量卡销户指南"), Some(&5));
    }

    #[test]
    fn domain_words_stay_whole() {
        assert!(words(&FULL, "日本流量卡").contains(&"流量卡".to_string()));
        assert!(words(&FULL, "在线销户").contains(&"销户".to_string()));
    }

    #[test]
    fn user_words_join_and_change_the_fingerprint() {
        let before = words(&FULL, "我想买一张樱花卡");
        assert!(!before.contains(&"樱花卡".to_string()), "{before:?}");
        let user =
            Dictionary::with_user_words("樱花卡\n# comment\n超级套餐 20 n\n", "user.txt").unwrap();
        assert_ne!(user.fingerprint(), DICTIONARY.fingerprint());
        assert_eq!(user.user_words(), 2);
        let full = user.full_segmenter();
        assert!(words(&full, "我想买一张樱花卡").contains(&"樱花卡".to_string()));
        let text = "我想买一张樱花卡和超级套餐";
        assert_eq!(words(&user.segmenter_for(text), text), words(&full, text));
    }

    #[test]
    fn bad_frequency_names_the_line() {
        let err = Dictionary::with_user_words("好词 12\n坏词 abc\n", "my.txt").unwrap_err();
        assert!(err.to_string().contains("my.txt, line 2"), "{err}");
    }
}
