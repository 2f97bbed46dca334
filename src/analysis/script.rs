//! Script runs: where normalized text switches between Han characters and
//! other letters and digits.
//!
//! A *script run* is a maximal stretch of one [`Script`]. Han runs are cut
//! into words by jieba and into character grams; letter/digit runs (`esim`,
//! `2025`) stay whole; everything between runs (punctuation, whitespace,
//! symbols, emoji) separates them and is dropped.

/// Whether `c` is a Han (CJK ideograph) character.
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}'
        | '〇')
}

/// The script of a run of normalized text, as far as analysis cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Han characters, segmented by jieba.
    Han,
    /// Letters and digits of any other script, kept whole (`esim`, `ntt`, `2025`).
    Alnum,
}

/// A maximal stretch of one [`Script`]: its byte range and the offset of
/// its first character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptRun {
    pub script: Script,
    pub bytes: std::ops::Range<usize>,
    pub char_start: usize,
}

/// Splits normalized text into Han and letter/digit runs; everything else
/// (punctuation, whitespace, symbols, emoji) separates runs and is dropped.
pub fn script_runs(text: &str) -> Vec<ScriptRun> {
    let mut out: Vec<ScriptRun> = Vec::new();
    let mut current: Option<ScriptRun> = None;
    for (char_index, (at, c)) in text.char_indices().enumerate() {
        let script = if is_han(c) {
            Some(Script::Han)
        } else if c.is_alphanumeric() {
            Some(Script::Alnum)
        } else {
            None
        };
        match (&mut current, script) {
            (Some(run), Some(script)) if run.script == script => run.bytes.end = at + c.len_utf8(),
            (_, script) => {
                out.extend(current.take());
                current = script.map(|script| ScriptRun {
                    script,
                    bytes: at..at + c.len_utf8(),
                    char_start: char_index,
                });
            }
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_separate_scripts() {
        let text = "日本eSIM卡";
        let scripts: Vec<(Script, &str)> = script_runs(text)
            .into_iter()
            .map(|r| (r.script, &text[r.bytes]))
            .collect();
        assert_eq!(
            scripts,
            [
                (Script::Han, "日本"),
                (Script::Alnum, "eSIM"),
                (Script::Han, "卡")
            ]
        );
    }
}
