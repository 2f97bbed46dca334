//! Sound-alikes: the words of the index a query means by their sound.
//!
//! Two ways of typing lose the characters but keep the sound: pinyin with
//! the input method off (`zhuxiao`, `zai xian xiao hu`), and the input
//! method's wrong pick among characters of the same sound (营业听 for
//! 营业厅). Both are resolved against the index's own words by their
//! readings ([`Readings`]) into [`Heard`] words, which the query searches
//! besides what was typed: an addition, never a replacement.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, LazyLock};

use crate::analysis::pinyin::{PinyinRun, char_readings, chars_read_as, pinyin_runs};
use crate::analysis::{Segmenter, is_han, stopwords};
use crate::index::Readings;

#[cfg(doc)]
use super::ranking::ABSENT_PINYIN_BOOST;
use super::ranking::{
    HOMOPHONE_MIN_DOCS, HOMOPHONE_RATIO, PINYIN_ALTERNATIVE_SHARE, PINYIN_MAX_ALTERNATIVES,
};

/// Longest word, in syllables, looked for in a pinyin run: the readings
/// hold words of up to eight characters.
const MAX_WORD_SYLLABLES: usize = 8;

/// Query text and the index words it sounds like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    /// As typed (normalized): `zhuxiao`, `zai xian`, `营业听`.
    pub typed: String,
    /// The words of the index it sounds like, most passages first.
    pub words: Vec<String>,
    pub how: Hearing,
    /// Passages with the Latin words it is in as typed (0 for Han text):
    /// how much the articles use the letters themselves.
    pub typed_docs: u64,
}

/// How a [`Heard`] was heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hearing {
    /// Latin letters that read as the pinyin of the words.
    Pinyin,
    /// Latin letters that are the initials of the words' syllables (`zx`:
    /// 注销), with `--pinyin-initials`.
    Initials,
    /// Han characters no passage has together, of the same sound as a
    /// frequent word that shares a character with them.
    Homophone,
}

/// The index's readings, read on first need: most queries have no pinyin
/// and no span a homophone could explain, and need none (at x10 reading
/// the file took about 2 ms of a 7 ms cold query).
pub struct LazyReadings<'a> {
    read: OnceCell<Option<Arc<Readings>>>,
    load: &'a dyn Fn() -> Option<Arc<Readings>>,
}

impl<'a> LazyReadings<'a> {
    /// Readings that `load` reads when first asked for.
    pub fn new(load: &'a dyn Fn() -> Option<Arc<Readings>>) -> Self {
        LazyReadings {
            read: OnceCell::new(),
            load,
        }
    }

    /// The readings, `None` when the index has none.
    pub fn get(&self) -> Option<&Readings> {
        self.read.get_or_init(self.load).as_deref()
    }
}

/// Passage counts of the index, as a search sees them, and how common a
/// word is in the language.
pub struct Counts<'a> {
    /// Passages whose text, title or heading has the word.
    pub word: &'a dyn Fn(&str) -> u64,
    /// Passages whose chars field has the gram (a character pair).
    pub gram: &'a dyn Fn(&str) -> u64,
    /// The word's frequency in jieba's dictionary, 0 when it is none.
    pub language: &'a dyn Fn(&str) -> u64,
}

/// The pinyin runs of `normalized` read as words of the index.
///
/// Each run is cut into the words that cover most of its syllables with
/// words of two syllables or more (fewest pieces, then most passages); a
/// run with fewer than half its syllables in such words is not taken for
/// pinyin (`mineo` is `mi ne o`, but no word; `obamacare` has only 巴马).
/// A syllable left between words is its most frequent lone character. Each
/// piece keeps the words of its exact reading that have at least
/// [`PINYIN_ALTERNATIVE_SHARE`] of the first one's passages, at most
/// [`PINYIN_MAX_ALTERNATIVES`]. A Latin word the index has as typed is
/// read only as words in more passages than it (`suze` stays Suze, not
/// the rarer 苏泽).
pub fn pinyin(normalized: &str, readings: &LazyReadings, counts: &Counts) -> Vec<Heard> {
    let mut heard = Vec::new();
    for run in pinyin_runs(normalized) {
        heard.extend(read_run(normalized, &run, readings, counts));
    }
    heard
}

/// Most words one run of initials is looked up among: `zx` alone starts
/// hundreds in a large index, and only the most frequent few are kept.
const MAX_INITIALS_WORDS: usize = 5_000;

/// The Latin words of `normalized` made only of consonants, two to six
/// (`zx`, `yyt`), read as the initials of the index's words: the most
/// frequent few ([`PINYIN_MAX_ALTERNATIVES`], each with at least
/// [`PINYIN_ALTERNATIVE_SHARE`] of the first one's passages), when they
/// are in more passages than the Latin word as typed. They match far too
/// much to be on by default (`--pinyin-initials`).
pub fn initials(normalized: &str, readings: &LazyReadings, counts: &Counts) -> Vec<Heard> {
    let mut heard = Vec::new();
    for run in crate::analysis::script::script_runs(normalized) {
        let word = &normalized[run.bytes];
        let consonants = word
            .bytes()
            .all(|b| b.is_ascii_lowercase() && !b"aeiouv".contains(&b));
        if !(2..=6).contains(&word.len()) || !consonants {
            continue;
        }
        let as_typed = (counts.word)(word);
        let mut found: Vec<Sounding> = readings
            .get()
            .map(|r| r.words_with_initials(word, MAX_INITIALS_WORDS))
            .unwrap_or_default()
            .into_iter()
            .map(|w| Sounding {
                docs: (counts.word)(&w),
                word: w,
            })
            .filter(|s| s.docs > as_typed)
            .collect();
        found.sort_by(|a, b| b.docs.cmp(&a.docs).then_with(|| a.word.cmp(&b.word)));
        let Some(first) = found.first() else {
            continue;
        };
        let floor = first.docs as f64 * PINYIN_ALTERNATIVE_SHARE;
        heard.push(Heard {
            typed_docs: as_typed,
            typed: word.to_string(),
            words: found
                .iter()
                .filter(|w| w.docs as f64 >= floor)
                .take(PINYIN_MAX_ALTERNATIVES)
                .map(|w| w.word.clone())
                .collect(),
            how: Hearing::Initials,
        });
    }
    heard
}

/// A word of the index and its passage count.
#[derive(Debug, Clone)]
struct Sounding {
    word: String,
    docs: u64,
}

/// The words of `readings` read as `letters` that the index has, most
/// passages first.
fn soundings(letters: &str, readings: &LazyReadings, counts: &Counts) -> Vec<Sounding> {
    let mut found: Vec<Sounding> = readings
        .get()
        .map(|r| r.words_read_as(letters))
        .unwrap_or_default()
        .into_iter()
        .map(|word| Sounding {
            docs: (counts.word)(&word),
            word,
        })
        .filter(|s| s.docs > 0)
        .collect();
    found.sort_by(|a, b| b.docs.cmp(&a.docs).then_with(|| a.word.cmp(&b.word)));
    found
}

/// The toneless readings of the Han stop words (`keyi` 可以, `ruhe` 如何,
/// `wo` 我), each character's most common reading: pinyin typed for them
/// is read as them and dropped, as they are, rather than as the rare
/// content word of the same sound (可疑 for `keyi`). On InsuranceQA's
/// questions typed in pinyin (`examples/typed_questions.rs`), MRR@10 went
/// from 0.1498 to 0.1792 with this and [`ABSENT_PINYIN_BOOST`] for Latin
/// words ten times rarer than their reading (`baoxian`); leaving out the
/// lone syllables' characters instead gave 0.1751.
static STOP_READINGS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    stopwords::all()
        .iter()
        .filter(|w| w.chars().all(is_han))
        .filter_map(|w| {
            w.chars()
                .map(|c| char_readings(c).first().copied())
                .collect::<Option<String>>()
        })
        .collect()
});

/// Credit of a stop word in a cover, in the units of ln(passages): more
/// than any word of the index has, so `keyi` is 可以 before 可疑.
const STOP_WORD_CREDIT: f64 = 30.0;

/// A cover of some syllables: what the best split so far scores.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
struct Score {
    /// Syllables inside words of two or more.
    in_words: usize,
    /// Minus the number of pieces.
    fewer_pieces: i64,
    /// Sum of ln(passages) of the words.
    docs: f64,
    /// Syllables inside words of the index of two or more (stop words
    /// not counted): a run needs one to be pinyin at all.
    content: usize,
}

fn read_run(
    normalized: &str,
    run: &PinyinRun,
    readings: &LazyReadings,
    counts: &Counts,
) -> Vec<Heard> {
    let mut lookups: HashMap<Range<usize>, Vec<Sounding>> = HashMap::new();
    let mut stops: HashSet<Range<usize>> = HashSet::new();
    let mut best: Option<(Score, Vec<Range<usize>>)> = None;
    for split in &run.splits {
        let n = split.len() - 1;
        // cover[k]: the best cover of the first k syllables and its pieces
        // (letter ranges).
        let mut cover: Vec<Option<(Score, Vec<Range<usize>>)>> = vec![None; n + 1];
        cover[0] = Some((
            Score {
                in_words: 0,
                fewer_pieces: 0,
                docs: 0.0,
                content: 0,
            },
            Vec::new(),
        ));
        for k in 0..n {
            let Some((score, pieces)) = cover[k].clone() else {
                continue;
            };
            for m in k + 1..=n.min(k + MAX_WORD_SYLLABLES) {
                let letters = split[k]..split[m];
                let syllables = m - k;
                let is_stop = STOP_READINGS.contains(&run.letters[letters.clone()]);
                // A lone syllable is always a piece, its character chosen
                // once the cover is.
                let docs = if is_stop {
                    stops.insert(letters.clone());
                    STOP_WORD_CREDIT
                } else if syllables == 1 {
                    0.0
                } else {
                    let words = lookups.entry(letters.clone()).or_insert_with(|| {
                        soundings(&run.letters[letters.clone()], readings, counts)
                    });
                    match words.first() {
                        Some(w) => (w.docs as f64).ln_1p(),
                        None => continue,
                    }
                };
                // A stop word is a word too (可以, 我).
                let next = Score {
                    in_words: score.in_words
                        + if syllables > 1 || is_stop {
                            syllables
                        } else {
                            0
                        },
                    fewer_pieces: score.fewer_pieces - 1,
                    docs: score.docs + docs,
                    content: score.content
                        + if syllables > 1 && !is_stop {
                            syllables
                        } else {
                            0
                        },
                };
                if cover[m].as_ref().is_none_or(|(s, _)| next > *s) {
                    let mut pieces = pieces.clone();
                    pieces.push(letters);
                    cover[m] = Some((next, pieces));
                }
            }
        }
        if let Some((score, pieces)) = cover[n].take()
            && best.as_ref().is_none_or(|(s, _)| score > *s)
        {
            best = Some((score, pieces));
        }
    }
    let Some((score, pieces)) = best else {
        return Vec::new();
    };
    let syllables = run.splits.iter().map(|s| s.len() - 1).min().unwrap_or(0);
    if score.content == 0 || score.in_words * 2 < syllables {
        return Vec::new();
    }
    // A run of nothing but stop words is no reading (nor is one typed as
    // itself, `ruhe` alone: it is what it says).
    if pieces.iter().all(|p| stops.contains(p)) {
        return Vec::new();
    }
    pieces
        .into_iter()
        .filter(|letters| !stops.contains(letters))
        .filter_map(|letters| {
            let typed = run.typed(normalized, letters.clone()).to_string();
            // The Latin words the piece is in, as the index has them.
            let as_typed = run
                .words_around(normalized, letters.clone())
                .split(|c: char| !c.is_alphanumeric())
                .map(|w| (counts.word)(w))
                .max()
                .unwrap_or(0);
            let Some(words) = lookups.get(&letters) else {
                // A lone syllable: its most frequent character in the index.
                let lone = chars_read_as(&run.letters[letters])
                    .iter()
                    .map(|c| (c, (counts.word)(c.encode_utf8(&mut [0; 4]))))
                    .filter(|&(_, docs)| docs > as_typed)
                    .max_by_key(|&(c, docs)| (docs, std::cmp::Reverse(*c)))?;
                return Some(Heard {
                    typed_docs: as_typed,
                    typed,
                    words: vec![lone.0.to_string()],
                    how: Hearing::Pinyin,
                });
            };
            let first = words.first().filter(|w| w.docs > as_typed)?;
            let floor = first.docs as f64 * PINYIN_ALTERNATIVE_SHARE;
            Some(Heard {
                typed_docs: as_typed,
                typed,
                words: words
                    .iter()
                    .filter(|w| w.docs as f64 >= floor && w.docs > as_typed)
                    .take(PINYIN_MAX_ALTERNATIVES)
                    .map(|w| w.word.clone())
                    .collect(),
                how: Hearing::Pinyin,
            })
        })
        .collect()
}

/// Spans of `normalized`'s Han text that look like homophone typos, each
/// with the word it should have been.
///
/// A span is two to four characters that jieba's exact mode cuts into
/// whole words, one of them a lone character (a wrong character breaks its
/// word apart: 营业听 is 营业 + 听), or into one word the index lacks (jieba
/// joined unknown characters: 运应商), with no stop word at either end. It is
/// corrected when it is no word of the index and a word of the index of
/// the same length reads as it does (each character's most common
/// reading: an input method offers those first), shares a character in the
/// same place, is in at least [`HOMOPHONE_MIN_DOCS`] passages and in
/// [`HOMOPHONE_RATIO`] times as many passages as could have the span (its
/// rarest character pair), and, when the span is a word of jieba's
/// dictionary, is that many times as frequent there (加给 is no typo of
/// 嫁给). A span that is itself a word of the index is never corrected.
/// Longer spans go first; spans never overlap.
pub fn homophones(
    normalized: &str,
    segmenter: &Segmenter,
    readings: &LazyReadings,
    counts: &Counts,
) -> Vec<Heard> {
    let mut heard: Vec<(Range<usize>, Heard)> = Vec::new();
    for run in crate::analysis::script::script_runs(normalized) {
        if run.script != crate::analysis::script::Script::Han {
            continue;
        }
        let text = &normalized[run.bytes.clone()];
        let words = segmenter.exact_words(text);
        let mut spans: Vec<(Range<usize>, Range<usize>)> = Vec::new();
        for i in 0..words.len() {
            let mut chars = 0;
            for j in i..words.len() {
                chars += words[j].text.chars().count();
                if chars > 4 {
                    break;
                }
                let pieces = &words[i..=j];
                // A wrong character breaks its word apart (营业 + 听), or
                // jieba's HMM joins the pieces into a word of its own
                // making (运应商), which the index lacks.
                let broken = pieces.len() >= 2
                    && pieces.iter().any(|w| w.text.chars().count() == 1)
                    || pieces.len() == 1 && (counts.word)(pieces[0].text) == 0;
                if chars >= 2
                    && broken
                    && !stopwords::is_stop_word(pieces[0].text)
                    && !stopwords::is_stop_word(pieces[pieces.len() - 1].text)
                {
                    spans.push((i..j + 1, words[i].bytes.start..words[j].bytes.end));
                }
            }
        }
        spans.sort_by_key(|(_, bytes)| std::cmp::Reverse(bytes.len()));
        for (_, bytes) in spans {
            let span = &text[bytes.clone()];
            let at = run.bytes.start + bytes.start..run.bytes.start + bytes.end;
            if heard
                .iter()
                .any(|(taken, _)| taken.start < at.end && at.start < taken.end)
            {
                continue;
            }
            if let Some(word) = homophone_of(span, readings, counts) {
                heard.push((
                    at,
                    Heard {
                        typed: span.to_string(),
                        words: vec![word],
                        how: Hearing::Homophone,
                        typed_docs: 0,
                    },
                ));
            }
        }
    }
    heard.sort_by_key(|(at, _)| at.start);
    heard.into_iter().map(|(_, h)| h).collect()
}

/// The word `span` should have been (see [`homophones`]).
fn homophone_of(span: &str, readings: &LazyReadings, counts: &Counts) -> Option<String> {
    let chars: Vec<char> = span.chars().collect();
    if !chars.iter().all(|&c| is_han(c)) || (counts.word)(span) > 0 {
        return None;
    }
    let could_have_span = chars
        .windows(2)
        .map(|pair| (counts.gram)(&String::from_iter(pair)))
        .min()?;
    let mut key = String::new();
    for &c in &chars {
        key.push_str(char_readings(c).first()?);
    }
    let in_language = (counts.language)(span);
    soundings(&key, readings, counts)
        .into_iter()
        .filter(|sounding| {
            let candidate: Vec<char> = sounding.word.chars().collect();
            candidate.len() == chars.len()
                && candidate != chars
                && candidate.iter().zip(&chars).any(|(a, b)| a == b)
                && sounding.docs >= HOMOPHONE_MIN_DOCS
                && sounding.docs >= could_have_span.saturating_mul(HOMOPHONE_RATIO)
                && (counts.language)(&sounding.word) >= in_language.saturating_mul(HOMOPHONE_RATIO)
        })
        // Most passages first (see `soundings`).
        .map(|sounding| sounding.word)
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::SEGMENTERS;

    /// Passage counts of a made-up index: each word's own, and each pair
    /// of characters inside any of the words.
    fn with_counts<T>(words: &[(&str, u64)], f: impl FnOnce(&Counts) -> T) -> T {
        let word = |w: &str| words.iter().find(|(x, _)| *x == w).map_or(0, |(_, n)| *n);
        let gram = |g: &str| {
            words
                .iter()
                .filter(|(x, _)| x.contains(g))
                .map(|(_, n)| *n)
                .sum()
        };
        let language = |w: &str| match w {
            "加给" | "嫁给" => 3,
            _ => 0,
        };
        f(&Counts {
            word: &word,
            gram: &gram,
            language: &language,
        })
    }

    const WORDS: &[(&str, u64)] = &[
        ("注销", 40),
        ("在线", 30),
        ("销户", 12),
        ("营业厅", 9),
        ("营业", 11),
        ("运营商", 20),
        ("手机", 12),
        ("收集", 1),
        ("西安", 3),
        ("卡", 50),
        ("咖", 1),
        ("嫁给", 20),
        ("苏泽", 2),
        ("suze", 6),
    ];

    fn with_readings<T>(f: impl FnOnce(&LazyReadings) -> T) -> T {
        let words: Vec<&str> = WORDS.iter().map(|(w, _)| *w).collect();
        let readings = Arc::new(Readings::of_words(&words));
        let load = move || Some(Arc::clone(&readings));
        f(&LazyReadings::new(&load))
    }

    fn heard_pinyin(query: &str) -> Vec<(String, Vec<String>)> {
        with_counts(WORDS, |counts| {
            with_readings(|readings| pinyin(query, readings, counts))
                .into_iter()
                .map(|h| (h.typed, h.words))
                .collect()
        })
    }

    fn pairs(list: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        list.iter()
            .map(|(t, w)| (t.to_string(), w.iter().map(|w| w.to_string()).collect()))
            .collect()
    }

    #[test]
    fn pinyin_reads_as_the_words_of_the_index() {
        assert_eq!(heard_pinyin("zhuxiao"), pairs(&[("zhuxiao", &["注销"])]));
        assert_eq!(
            heard_pinyin("zai xian xiao hu"),
            pairs(&[("zai xian", &["在线"]), ("xiao hu", &["销户"])])
        );
        assert_eq!(
            heard_pinyin("esim zai4xian4zhu4xiao1"),
            pairs(&[("zai4xian4", &["在线"]), ("zhu4xiao1", &["注销"])])
        );
        assert_eq!(heard_pinyin("xi'an"), pairs(&[("xi'an", &["西安"])]));
    }

    #[test]
    fn a_rare_homophone_is_left_out_and_a_lone_syllable_is_its_commonest_character() {
        assert_eq!(
            heard_pinyin("shoujika"),
            pairs(&[("shouji", &["手机"]), ("ka", &["卡"])]),
            "收集 has a twelfth of 手机's passages; 卡 beats 咖"
        );
    }

    #[test]
    fn initials_read_as_the_most_frequent_words_they_start() {
        let heard = with_counts(WORDS, |counts| {
            with_readings(|readings| initials("zx yyt 注销 ka", readings, counts))
        });
        let words: Vec<(&str, &[String])> = heard
            .iter()
            .map(|h| (h.typed.as_str(), h.words.as_slice()))
            .collect();
        assert_eq!(
            words,
            [
                ("zx", &["注销".to_string(), "在线".to_string()][..]),
                ("yyt", &["营业厅".to_string()][..])
            ],
            "ka has a vowel"
        );
    }

    #[test]
    fn stop_words_typed_in_pinyin_are_dropped_as_stop_words_are() {
        assert_eq!(
            heard_pinyin("wo keyi zhuxiao ma"),
            pairs(&[("zhuxiao", &["注销"])]),
            "我 可以 … 吗"
        );
        assert!(heard_pinyin("ruhe").is_empty(), "如何 alone");
        assert!(
            heard_pinyin("wo ka").is_empty(),
            "a stop word and a lone syllable"
        );
    }

    #[test]
    fn letters_with_no_word_of_two_syllables_are_not_pinyin() {
        assert!(heard_pinyin("ka").is_empty());
        assert!(heard_pinyin("mineo").is_empty());
        assert!(heard_pinyin("esim docomo").is_empty());
        assert!(heard_pinyin("obamacare").is_empty(), "only bama is a word");
        assert!(
            heard_pinyin("suze").is_empty(),
            "the index has suze, and more than 苏泽"
        );
    }

    fn heard_homophones(query: &str, words: &[(&str, u64)]) -> Vec<(String, Vec<String>)> {
        let segmenter = SEGMENTERS.full();
        with_counts(words, |counts| {
            with_readings(|readings| homophones(query, segmenter, readings, counts))
                .into_iter()
                .map(|h| (h.typed, h.words))
                .collect()
        })
    }

    #[test]
    fn a_homophone_typo_is_corrected_to_the_frequent_word() {
        assert_eq!(
            heard_homophones("营业听在哪", WORDS),
            pairs(&[("营业听", &["营业厅"])])
        );
        assert_eq!(
            heard_homophones("运应商", WORDS),
            pairs(&[("运应商", &["运营商"])])
        );
    }

    #[test]
    fn words_of_the_index_and_common_spans_are_never_corrected() {
        assert!(heard_homophones("营业厅", WORDS).is_empty());
        assert!(
            heard_homophones("加给我", WORDS).is_empty(),
            "加给 is a word of the language as common as 嫁给"
        );
        let mut words = WORDS.to_vec();
        words.push(("营业听", 1));
        assert!(
            heard_homophones("营业听", &words).is_empty(),
            "a span the index has as a word"
        );
        // 营业厅 in only 9 passages is not ten times the 1 that could have
        // 营业听 when its pairs are common.
        words.pop();
        words.push(("业听", 1));
        assert!(heard_homophones("营业听", &words).is_empty());
    }
}
