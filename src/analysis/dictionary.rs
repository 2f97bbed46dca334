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
    max_chars: usize,
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
            max_chars: BUILTIN_MAX_CHARS,
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
            dictionary.max_chars = dictionary.max_chars.max(word.chars().count());
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
        let mut text = String::with_capacity(BUILTIN_FST.len() * 3);
        let mut stream = self.builtin.stream();
        while let Some((word, freq)) = fst::Streamer::next(&mut stream) {
            let word = String::from_utf8_lossy(word);
            let freq = self.user.get(word.as_ref()).copied().unwrap_or(freq);
            push_entry(&mut text, &word, freq);
        }
        for (word, freq) in &self.user {
            if self.builtin.get(word).is_none() {
                push_entry(&mut text, word, *freq);
            }
        }
        Segmenter::from_jieba(load(&text))
    }

    /// A segmenter that segments `text` (and any of its substrings) exactly
    /// as [`Dictionary::full_segmenter`] would, built from only the entries
    /// that occur in it. `text` must already be normalized.
    pub fn segmenter_for(&self, text: &str) -> Segmenter {
        Segmenter::from_jieba(self.reduced_jieba(text))
    }

    fn reduced_jieba(&self, text: &str) -> Jieba {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut entries: BTreeMap<&str, u64> = BTreeMap::new();
        for start in 0..chars.len() {
            if !super::tokenizer::is_han(chars[start].1) {
                continue;
            }
            for len in 1..=self.max_chars.min(chars.len() - start) {
                let end = chars.get(start + len).map_or(text.len(), |c| c.0);
                let word = &text[chars[start].0..end];
                if let Some(freq) = self.freq(word) {
                    entries.insert(word, freq);
                }
            }
        }
        let mut dict = String::new();
        let mut sum = 0;
        for (word, freq) in entries {
            push_entry(&mut dict, word, freq);
            sum += freq;
        }
        push_entry(&mut dict, FILLER, self.total.saturating_sub(sum));
        load(&dict)
    }

    /// jieba's `suggest_freq` against this dictionary: the frequency that just
    /// makes `word` win over its best split.
    fn suggest_freq(&self, word: &str) -> u64 {
        self.reduced_jieba(word).suggest_freq(word) as u64
    }
}

fn push_entry(text: &mut String, word: &str, freq: u64) {
    use std::fmt::Write;
    let _ = writeln!(text, "{word} {freq}");
}

fn load(dict: &str) -> Jieba {
    let mut reader = std::io::Cursor::new(dict.as_bytes());
    // Every line was written by push_entry as `word freq`, which jieba accepts.
    Jieba::with_dict(&mut reader).expect("well-formed dictionary lines")
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
                if super::super::tokenizer::is_han(c) {
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
