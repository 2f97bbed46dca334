//! Printable text: what of an article, a file name or a query may reach a
//! terminal as is.
//!
//! Article text, titles and file names come from the corpus, and a terminal
//! obeys control characters in them: `ESC [ 2 J` clears the screen, `ESC ]
//! 0 ; … BEL` renames the window, a newline in a file name splits one
//! output line in two. So everything zhsearch writes for a person (results,
//! `--explain`, messages on stderr) goes through [`printable`], and only the
//! colour codes zhsearch adds itself are raw escapes. JSON is not for a
//! terminal and keeps the text as is (serde_json escapes control characters).
//!
//! The rule: each character a terminal or the text layout would act on is
//! shown as a visible escape, as Rust writes it, so the real name can be
//! told from the output:
//! - C0 controls and DEL (`\n`, `\r`, `\t`, `\0`, else `\x1b`-style), which
//!   move the cursor, ring the bell or start an escape sequence;
//! - C1 controls U+0080–U+009F (`\u{9b}`), which some terminals read as
//!   escape sequences (U+009B is a one-character CSI);
//! - the bidirectional embeddings, overrides and isolates U+202A–U+202E and
//!   U+2066–U+2069 (`\u{202e}`), which reorder what follows on the line, so
//!   `abc\u{202e}fdp.exe` would show as `abcexe.pdf`.
//!
//! A visible escape rather than U+FFFD or dropping the character: the user
//! can still find the file or the passage that holds it.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every character that could drive the terminal or reorder the
/// line replaced by a visible escape (see the module doc); borrowed when
/// there is none, the common case.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unprintable) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_ascii() && is_unprintable(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unprintable(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path (or anything displayed) made printable.
pub fn printable_path(path: &std::path::Path) -> String {
    printable(&path.display().to_string()).into_owned()
}

/// Whether `c` is one of the characters [`printable`] escapes.
fn is_unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes() {
        let cases = [
            ("营业厅 eSIM", "营业厅 eSIM"),
            ("a\nb.md", "a\\nb.md"),
            ("\x1b[2J\x1b]0;hacked\x07", "\\x1b[2J\\x1b]0;hacked\\x07"),
            ("tab\there\r\0", "tab\\there\\r\\0"),
            ("del\x7f", "del\\x7f"),
            ("c1\u{9b}2J", "c1\\u{9b}2J"),
            ("abc\u{202e}fdp.exe", "abc\\u{202e}fdp.exe"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            // Marks that only affect neutral characters stay, as do
            // full-width and other ordinary text.
            ("\u{200e}Ｅ\u{3000}「注销」", "\u{200e}Ｅ\u{3000}「注销」"),
        ];
        for (input, expected) in cases {
            assert_eq!(printable(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(printable("日本电话卡"), Cow::Borrowed(_)));
    }
}
