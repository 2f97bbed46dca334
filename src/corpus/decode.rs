//! Decoding an article file's bytes into text.
//!
//! Articles arrive from messy sources, so the encoding is found, not assumed:
//!
//! 1. A byte-order mark decides: UTF-8, UTF-16LE or UTF-16BE.
//! 2. Without one, NUL bytes near the start mean a binary file (no legacy
//!    Chinese encoding uses them), which is refused.
//! 3. Valid UTF-8 is UTF-8 (taken over without a copy).
//! 4. Anything else goes to chardetng, which guesses the legacy encoding the
//!    way browsers do (GBK/GB18030, Big5, Shift_JIS, EUC-KR, windows-125x…),
//!    and encoding_rs decodes it; a file that is malformed in the guessed
//!    encoding is refused rather than indexed as mojibake.
//!
//! Line endings are left alone here: the Markdown reader counts `\n`, `\r\n`
//! and a lone `\r` as one line end each, so line numbers match what an
//! editor shows (`walk::decode_article` turns a lone `\r` into `\n` for the
//! parser's sake, which keeps the count).

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_8};

/// How many leading bytes are checked for NUL bytes (binary files).
const BINARY_SNIFF_BYTES: usize = 8192;
/// How many leading bytes chardetng looks at; enough to tell GBK from Big5
/// reliably without scanning a huge file twice.
const DETECT_SNIFF_BYTES: usize = 1 << 20;

/// Text decoded from a file, and the encoding it was in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The encoding's WHATWG name, e.g. `UTF-8`, `GBK`, `Big5`, `UTF-16LE`.
    pub encoding: &'static str,
}

/// Decodes a file's bytes; `Err` is a one-line reason to skip the file.
pub fn decode(bytes: Vec<u8>) -> Result<Decoded, String> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(&bytes) {
        return decode_as(encoding, &bytes[bom_len..]);
    }
    let head = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    if head.contains(&0) {
        return Err("binary file (contains NUL bytes)".into());
    }
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => {
            return Ok(Decoded {
                text,
                encoding: UTF_8.name(),
            });
        }
        Err(err) => err.into_bytes(),
    };
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    let sniff = &bytes[..bytes.len().min(DETECT_SNIFF_BYTES)];
    detector.feed(sniff, sniff.len() == bytes.len());
    let encoding = detector.guess(None, Utf8Detection::Deny);
    decode_as(encoding, &bytes)
}

/// Decodes `bytes` (without a byte-order mark) strictly as `encoding`.
fn decode_as(encoding: &'static Encoding, bytes: &[u8]) -> Result<Decoded, String> {
    match encoding.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => {
            let text = text.into_owned();
            // A second mark (e.g. UTF-8 saved twice) is not text either.
            let text = match text.strip_prefix('\u{feff}') {
                Some(rest) => rest.to_string(),
                None => text,
            };
            Ok(Decoded {
                text,
                encoding: encoding.name(),
            })
        }
        None if encoding == UTF_8 => Err("not valid UTF-8 despite its byte-order mark".into()),
        None => Err(format!(
            "cannot decode: not UTF-8, and not valid {} either (save it as UTF-8)",
            encoding.name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{BIG5, GBK, UTF_16BE, UTF_16LE};

    const TEXT: &str =
        "# 日本流量卡注销指南\r\n\r\n可以在线注销eSIM卡，也可以去营业厅办理销户手续。\r\n";
    const TRADITIONAL: &str = "# 日本電話卡註銷指南\n\n可以在線註銷eSIM卡，也可以去營業廳辦理銷戶手續，請攜帶護照與在留卡。\n";

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            let bytes = if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            };
            out.extend(bytes);
        }
        out
    }

    #[test]
    fn every_supported_encoding_round_trips() {
        let (gbk, _, gbk_bad) = GBK.encode(TEXT);
        let (big5, _, big5_bad) = BIG5.encode(TRADITIONAL);
        assert!(!gbk_bad && !big5_bad);
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), TEXT.as_bytes()].concat();
        let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
            ("utf-8", TEXT.as_bytes().to_vec(), TEXT, "UTF-8"),
            ("utf-8 bom", with_bom, TEXT, "UTF-8"),
            ("utf-16le bom", utf16(TEXT, false), TEXT, "UTF-16LE"),
            ("utf-16be bom", utf16(TEXT, true), TEXT, "UTF-16BE"),
            ("gbk", gbk.into_owned(), TEXT, "GBK"),
            ("big5", big5.into_owned(), TRADITIONAL, "Big5"),
        ];
        for (name, bytes, expected, encoding) in cases {
            let decoded = decode(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(decoded.text, expected, "help: {name} decoded wrongly");
            assert_eq!(decoded.encoding, encoding, "help: {name} detected wrongly");
        }
        // The helpers agree with encoding_rs.
        assert_eq!(UTF_16LE.name(), "UTF-16LE");
        assert_eq!(UTF_16BE.name(), "UTF-16BE");
    }

    #[test]
    fn binary_and_broken_input_is_refused_with_a_reason() {
        let err = decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec()).unwrap_err();
        assert!(err.contains("binary"), "{err}");
        let err = decode(b"\xEF\xBB\xBFok \xFF\xFE\xFD".to_vec()).unwrap_err();
        assert!(err.contains("UTF-8"), "{err}");
    }

    #[test]
    fn a_doubled_byte_order_mark_is_dropped() {
        let bytes = "\u{feff}\u{feff}标题".as_bytes().to_vec();
        assert_eq!(decode(bytes).unwrap().text, "标题");
    }
}
