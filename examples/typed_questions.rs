//! Questions as people mistype them, for measuring pinyin and homophone
//! reading with `zhsearch eval` (#14): reads a questions file (`qid`,
//! `query`, `relevant` per JSON line) and writes the same questions with
//! their query rewritten.
//!
//! `cargo run --release --example typed_questions -- pinyin|homophone < IN > OUT`
//!
//! - `pinyin`: every Han word as its toneless pinyin (its first reading,
//!   as the index reads its words), words apart by spaces, the rest kept: the
//!   question typed with the input method off.
//! - `homophone`: the first content word of two or three Han characters
//!   has one character (its last) swapped for the commonest other
//!   character of the same most common reading that makes no word of
//!   jieba's dictionary: the input method's wrong pick. Questions with no such word are left
//!   out, so the file holds only questions with a typo.

use std::io::{BufRead, Write};

use anyhow::{Context, Result, bail};
use zhsearch::analysis::pinyin::{char_readings, chars_read_as};
use zhsearch::analysis::{Dictionary, Segmenter, is_han};

fn main() -> Result<()> {
    let mode = std::env::args()
        .nth(1)
        .context("usage: typed_questions pinyin|homophone < IN > OUT")?;
    let dictionary = Dictionary::builtin();
    let segmenter = Segmenter::with_default_dictionary();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let mut question: serde_json::Value = serde_json::from_str(&line)?;
        let query = question["query"].as_str().context("a query")?.to_string();
        let typed = match mode.as_str() {
            "pinyin" => Some(pinyin(&segmenter, &query)),
            "homophone" => homophone(&segmenter, &dictionary, &query),
            _ => bail!("unknown mode {mode}: pinyin or homophone"),
        };
        if let Some(typed) = typed {
            question["query"] = serde_json::Value::String(typed);
            writeln!(out, "{question}")?;
        }
    }
    Ok(())
}

fn pinyin(segmenter: &Segmenter, query: &str) -> String {
    let mut typed: Vec<String> = Vec::new();
    for word in segmenter.exact_words(query) {
        if !word.text.chars().all(is_han) {
            let rest = word.text.trim();
            if !rest.is_empty() {
                typed.push(rest.to_string());
            }
            continue;
        }
        // Its first reading, as the index reads the word.
        let letters = zhsearch::index::readings_of(word.text)
            .into_iter()
            .next()
            .unwrap_or_default();
        typed.push(letters);
    }
    typed.join(" ")
}

fn homophone(segmenter: &Segmenter, dictionary: &Dictionary, query: &str) -> Option<String> {
    for word in segmenter.exact_words(query) {
        let chars: Vec<char> = word.text.chars().collect();
        if !(2..=3).contains(&chars.len()) || !chars.iter().all(|&c| is_han(c)) {
            continue;
        }
        let last = *chars.last()?;
        let reading = *char_readings(last).first()?;
        // The commonest such character (by jieba's count of it as a word):
        // what an input method offers first.
        let swap = chars_read_as(reading)
            .iter()
            .copied()
            .filter(|&c| {
                let mut typo = chars.clone();
                *typo.last_mut().unwrap() = c;
                let typo: String = typo.into_iter().collect();
                c != last
                    && char_readings(c).first() == Some(&reading)
                    && dictionary.freq(&typo).is_none()
            })
            .max_by_key(|&c| {
                (
                    dictionary.freq(&c.to_string()).unwrap_or(0),
                    std::cmp::Reverse(c),
                )
            })?;
        let mut typo = chars.clone();
        *typo.last_mut().unwrap() = swap;
        let typo: String = typo.into_iter().collect();
        return Some(query.replacen(word.text, &typo, 1));
    }
    None
}
