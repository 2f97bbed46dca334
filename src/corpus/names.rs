//! File names as document ids: the text a path is known by in the index.
//!
//! A file name is bytes, not always UTF-8 (an archive from an old Windows
//! or a Linux box in a GBK locale). The document id must tell every file
//! apart, so the name is written losslessly, and injectively, as text:
//!
//! - valid UTF-8 is kept as it is, except that a backslash is doubled (`\\`);
//! - each byte of an invalid sequence is written `\xHH` (lowercase hex).
//!
//! So every backslash of an escaped name starts an escape, and the escaping
//! can be undone (the tests' `unescape` does, for every name): two names can never share an id (`x\xff.md` and
//! `x\xfe.md` stay apart, and a valid name spelled `x\xff.md` becomes
//! `x\\xff.md`). Names without a backslash that are valid UTF-8, all names
//! in practice, are their own id. The file itself is always opened by its
//! real name (the walk keeps the directory entry), never from the id.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The id of a name (or of a path with `/` separators) given as bytes
/// (`OsStr::as_encoded_bytes`).
pub fn escape(name: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(name)
        && !text.contains('\\')
    {
        return Cow::Borrowed(text);
    }
    let mut id = String::with_capacity(name.len() + 8);
    for chunk in name.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                id.push('\\');
            }
            id.push(c);
        }
        for byte in chunk.invalid() {
            let _ = write!(id, "\\x{byte:02x}");
        }
    }
    Cow::Owned(id)
}

/// The bytes of the name whose id is `id`; `None` when `id` is not one that
/// [`escape`] writes (a lone backslash, a `\x` without two hex digits). Only
/// the tests need it: it proves that [`escape`] is injective.
#[cfg(test)]
fn unescape(id: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(id.len());
    let mut rest = id;
    while let Some(at) = rest.find('\\') {
        bytes.extend_from_slice(&rest.as_bytes()[..at]);
        let escape = &rest[at + 1..];
        if let Some(after) = escape.strip_prefix('\\') {
            bytes.push(b'\\');
            rest = after;
        } else {
            let hex = escape.strip_prefix('x')?.get(..2)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &escape[3..];
        }
    }
    bytes.extend_from_slice(rest.as_bytes());
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_and_their_ids() {
        let cases: &[(&[u8], &str)] = &[
            ("注销指南.md".as_bytes(), "注销指南.md"),
            (b"sub/a b.md", "sub/a b.md"),
            (b"x\xff.md", r"x\xff.md"),
            (b"x\xfe.md", r"x\xfe.md"),
            // A valid name that looks like an escape is not one.
            (br"x\xff.md", r"x\\xff.md"),
            (br"a\b.md", r"a\\b.md"),
            (b"\\", r"\\"),
            // GBK bytes of 注销: D7 A2 happens to be valid UTF-8 (ע) and
            // is kept; each byte of the invalid rest is escaped.
            (b"\xd7\xa2\xcf\xfa.txt", r"ע\xcf\xfa.txt"),
            // A cut character next to a backslash.
            (b"\xe4\xb8\\", r"\xe4\xb8\\"),
        ];
        for &(name, id) in cases {
            assert_eq!(escape(name), id, "help: escape({name:?})");
            assert_eq!(unescape(id).as_deref(), Some(name), "help: unescape({id})");
        }
        let ids: std::collections::HashSet<_> = cases.iter().map(|c| c.1).collect();
        assert_eq!(ids.len(), cases.len(), "help: two names share an id");
    }

    #[test]
    fn what_escape_never_writes_is_not_an_id() {
        for id in [r"a\", r"\x", r"\xf", r"\xzz", r"\n", r"x\xf\"] {
            assert_eq!(unescape(id), None, "{id}");
        }
    }

    proptest! {
        // Round trip, hence injective: escape(a) == escape(b) means
        // a == unescape(escape(a)) == unescape(escape(b)) == b.
        #[test]
        fn every_name_round_trips(name in proptest::collection::vec(any::<u8>(), 0..24)) {
            prop_assert_eq!(unescape(&escape(&name)), Some(name));
        }

        #[test]
        fn bytes_near_backslashes_and_utf8_round_trip(
            parts in proptest::collection::vec(
                prop_oneof![Just(b"\\".to_vec()), Just(b"x".to_vec()), Just(b"\xff".to_vec()),
                    Just("注".as_bytes().to_vec()), Just(b"\xe6\xb3".to_vec())],
                0..12,
            )
        ) {
            let name = parts.concat();
            prop_assert_eq!(unescape(&escape(&name)), Some(name));
        }

        #[test]
        fn utf8_names_without_backslash_are_their_own_id(name in "[^\\\\]{0,16}") {
            prop_assert_eq!(escape(name.as_bytes()), name.as_str());
        }
    }
}
