//! Compiles jieba's dictionary and the domain words into a finite-state map
//! (word → frequency) embedded in the binary, and the phrase-level pinyin of
//! those words that need it into a second one.
//!
//! Why: loading jieba's whole dictionary costs 0.1–0.2 s, most of a one-off
//! query's time. jieba only ever consults dictionary words that are substrings
//! of its input, so a query looks its substrings up in this map and builds a
//! tiny jieba from the hits (see `src/analysis/dictionary.rs`).
//!
//! A word with a character of several readings (银行: 行 is xing or hang)
//! reads as pinyin-data's phrase list says (`yinhang`); every other word
//! reads as its characters do. Loading that list (pinyin-converter) takes
//! about 0.4 s and 10 MB of binary, so it is done here, once, for the
//! dictionary's words (see `src/index/readings.rs`).

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::path::Path;

fn main() {
    let sources = ["data/jieba/dict.txt", "data/dict.txt"];
    let mut words: BTreeMap<String, u64> = BTreeMap::new();
    for source in sources {
        println!("cargo:rerun-if-changed={source}");
        let text = fs::read_to_string(source).unwrap_or_else(|e| panic!("reading {source}: {e}"));
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(word), Some(freq)) = (parts.next(), parts.next()) else {
                panic!("{source}: entry without a frequency: {line:?}");
            };
            let freq: u64 = freq
                .parse()
                .unwrap_or_else(|e| panic!("{source}: bad frequency in {line:?}: {e}"));
            words.insert(word.to_string(), freq);
        }
    }
    let total: u64 = words.values().sum();
    let out = env::var("OUT_DIR").expect("OUT_DIR");
    let mut builder = fst::MapBuilder::memory();
    for (word, freq) in &words {
        builder.insert(word, *freq).expect("sorted, unique keys");
    }
    let bytes = builder.into_inner().expect("fst");
    fs::write(Path::new(&out).join("dictionary.fst"), bytes).expect("write fst");
    println!("cargo:rerun-if-changed=data/readings.txt");
    let corrected = fs::read_to_string("data/readings.txt").expect("reading data/readings.txt");
    write_phrases(
        words.keys(),
        &corrected,
        &Path::new(&out).join("phrases.fst"),
    );
    fs::write(
        Path::new(&out).join("dictionary_stats.rs"),
        format!(
            "/// Sum of all frequencies in the built-in dictionary.\n\
             pub const BUILTIN_TOTAL: u64 = {total};\n\
             /// Entries in the built-in dictionary.\n\
             pub const BUILTIN_WORDS: usize = {};\n",
            words.len()
        ),
    )
    .expect("write stats");
}

/// Writes `word \0 reading` for each word of two to eight Han characters,
/// one of them of several readings, that pinyin-data's phrase list has: its
/// toneless reading, syllables run together (`银行\0yinhang`). The words of
/// `corrected` (`word reading` lines, `#` comments) read as it says instead.
fn write_phrases<'a>(words: impl Iterator<Item = &'a String>, corrected: &str, path: &Path) {
    let corrected: BTreeMap<&str, &str> = corrected
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(word), Some(reading), None)
                    if reading.bytes().all(|b| b.is_ascii_lowercase()) =>
                {
                    (word, reading)
                }
                _ => panic!("data/readings.txt: expected `word reading`: {l:?}"),
            }
        })
        .collect();
    use pinyin_chars::ToPinyinMulti;
    let is_han = |c: &char| ('\u{4E00}'..='\u{9FFF}').contains(c);
    let readings_of = |c: &char| -> usize {
        let mut plain: Vec<&str> = c
            .to_pinyin_multi()
            .into_iter()
            .flatten()
            .map(|p| p.plain())
            .collect();
        plain.sort_unstable();
        plain.dedup();
        plain.len()
    };
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for word in words {
        let chars: Vec<char> = word.chars().collect();
        if !(2..=8).contains(&chars.len())
            || !chars.iter().all(is_han)
            || !chars.iter().any(|c| readings_of(c) > 1)
        {
            continue;
        }
        let segments = pinyin_phrases::match_word_pinyin(word);
        let [(text, reading)] = segments.as_slice() else {
            continue;
        };
        if text != word {
            continue;
        }
        let syllables: Vec<String> = reading.split_whitespace().map(toneless).collect();
        if syllables.len() != chars.len() || syllables.iter().any(String::is_empty) {
            continue;
        }
        let mut key = word.as_bytes().to_vec();
        key.push(0);
        key.extend(syllables.concat().into_bytes());
        keys.push(key);
    }
    keys.retain(|key| {
        let word = key.split(|&b| b == 0).next().unwrap_or_default();
        std::str::from_utf8(word).map_or(true, |w| !corrected.contains_key(w))
    });
    for (word, reading) in &corrected {
        let mut key = word.as_bytes().to_vec();
        key.push(0);
        key.extend(reading.as_bytes());
        keys.push(key);
    }
    keys.sort();
    keys.dedup();
    let mut builder = fst::SetBuilder::memory();
    builder.extend_iter(keys).expect("sorted keys");
    fs::write(path, builder.into_inner().expect("fst")).expect("write phrases.fst");
}

/// One syllable of pinyin-data (`yín`, `lǚ`) in plain letters, ü as `v`;
/// empty when it has anything else.
fn toneless(syllable: &str) -> String {
    syllable
        .chars()
        .map(|c| match c {
            'a'..='z' => Some(c),
            'ā' | 'á' | 'ǎ' | 'à' => Some('a'),
            'ē' | 'é' | 'ě' | 'è' => Some('e'),
            'ī' | 'í' | 'ǐ' | 'ì' => Some('i'),
            'ō' | 'ó' | 'ǒ' | 'ò' => Some('o'),
            'ū' | 'ú' | 'ǔ' | 'ù' => Some('u'),
            'ü' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' => Some('v'),
            _ => None,
        })
        .collect::<Option<String>>()
        .unwrap_or_default()
}
