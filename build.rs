//! Compiles jieba's dictionary and the domain words into a finite-state map
//! (word → frequency) embedded in the binary.
//!
//! Why: loading jieba's whole dictionary costs 0.1–0.2 s, most of a one-off
//! query's time. jieba only ever consults dictionary words that are substrings
//! of its input, so a query looks its substrings up in this map and builds a
//! tiny jieba from the hits (see `src/analysis/dictionary.rs`).

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
