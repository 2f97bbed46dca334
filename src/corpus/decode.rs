//! Decoding an article file's bytes into text.
//!
//! Articles arrive from messy sources, so the encoding is found, not assumed:
//!
//! 1. A byte-order mark decides: UTF-8, UTF-16LE or UTF-16BE. A file marked
//!    UTF-8 with a few bad bytes is read as damaged UTF-8 (step 4); one that
//!    is mostly bad bytes is refused (see [`BOM_MAX_INVALID_PER_MILLE`]).
//! 2. Without one, NUL bytes near the start mean UTF-16 (when the NULs fall on
//!    one side of the code units and the units read as text, see
//!    `sniff_utf16`) or else a binary file (no legacy Chinese encoding uses
//!    them), which is refused.
//! 3. Valid UTF-8 is UTF-8 (taken over without a copy).
//! 4. *Damaged UTF-8*, valid UTF-8 but for a few bytes (a file cut
//!    mid-character, a stray byte), is decoded with U+FFFD for each bad
//!    sequence, as `String::from_utf8_lossy` does, in place; [`Decoded::replaced`]
//!    says how many bytes were lost so the user can be told. What counts as
//!    damaged is [`Utf8Census::is_damaged_utf8`].
//! 5. Anything else goes to chardetng, which guesses the legacy encoding the
//!    way browsers do (GBK/GB18030, Big5, Shift_JIS, EUC-KR, windows-125x…),
//!    and encoding_rs decodes it; a file that is malformed in the guessed
//!    encoding is refused rather than indexed as mojibake.
//!
//! Line endings are left alone here: the Markdown reader counts `\n`, `\r\n`
//! and a lone `\r` as one line end each, so line numbers match what an
//! editor shows (`walk::decode_article` turns a lone `\r` into `\n` for the
//! parser's sake, which keeps the count).

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

use super::SkipReason;

/// How many leading bytes are checked for NUL bytes (binary files, UTF-16).
const BINARY_SNIFF_BYTES: usize = 8192;
/// How many leading bytes chardetng looks at; enough to tell GBK from Big5
/// reliably without scanning a huge file twice.
const DETECT_SNIFF_BYTES: usize = 1 << 20;

/// Valid UTF-8 multi-byte sequences needed per invalid byte for bytes to be
/// read as damaged UTF-8 rather than a legacy encoding.
///
/// Legacy CJK text has few valid multi-byte sequences and many invalid
/// bytes: a UTF-8 sequence needs a lead byte followed by the right number of
/// 0x80–0xBF bytes, which a double-byte code lines up with only by chance.
/// Measured with `cargo run --example utf8_census` on the seed corpus
/// (simplified) and on traditional, Japanese, Korean and French articles,
/// legacy text had at most 0.25 valid sequences per invalid byte (GBK and
/// GB18030 0.25, Big5 0.17, Shift_JIS 0.23, EUC-KR 0.17, windows-1252 0:
/// its accented letters are lone invalid bytes). The same texts as UTF-8
/// with a stray 0xFF per kilobyte had at least 58 per invalid byte, and
/// cut mid-character hundreds. 4 is a factor of 15 away from either side.
/// On a handful of non-ASCII characters either reading is a guess.
pub const MULTIBYTE_PER_INVALID: usize = 4;

/// With a UTF-8 byte-order mark, the most invalid bytes per thousand for a
/// file to be read as damaged UTF-8 even when [`MULTIBYTE_PER_INVALID`]
/// does not hold (mostly-ASCII text, where a stray byte has few multi-byte
/// sequences around it). The mark declares UTF-8, so a few bad bytes are
/// damage; but a file that is mostly bad bytes is not text worth indexing
/// as U+FFFD, and is refused with a reason. Measured as above: legacy text
/// had 32 (windows-1252) to 610 (EUC-KR) invalid bytes per thousand, damaged
/// UTF-8 at most 6.
pub const BOM_MAX_INVALID_PER_MILLE: usize = 10;

/// UTF-16 text may have at most one control character (other than tab, line
/// and page ends) per this many characters. Text has none; a binary file
/// read as UTF-16 has them everywhere (and NUL characters, refused outright).
const UTF16_CHARS_PER_CONTROL: usize = 100;

/// Text decoded from a file, and the encoding it was in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The encoding's WHATWG name, e.g. `UTF-8`, `GBK`, `Big5`, `UTF-16LE`.
    pub encoding: &'static str,
    /// Invalid UTF-8 bytes replaced by U+FFFD (damaged UTF-8); 0 otherwise.
    pub replaced: usize,
}

impl Decoded {
    fn new(text: String, encoding: &'static Encoding) -> Self {
        Decoded {
            text: strip_bom(text),
            encoding: encoding.name(),
            replaced: 0,
        }
    }

    /// What to tell the user about the decoding, if anything.
    pub fn notice(&self) -> Option<String> {
        match self.replaced {
            0 => None,
            1 => Some("1 invalid UTF-8 byte replaced".into()),
            n => Some(format!("{n} invalid UTF-8 bytes replaced")),
        }
    }
}

/// Decodes a file's bytes; `Err` is why to skip the file.
pub fn decode(mut bytes: Vec<u8>) -> Result<Decoded, SkipReason> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(&bytes) {
        if encoding == UTF_8 {
            bytes.drain(..bom_len);
            return decode_marked_utf8(bytes);
        }
        return decode_as(encoding, &bytes[bom_len..]);
    }
    let head = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    if head.contains(&0) {
        return match sniff_utf16(&bytes) {
            Some(encoding) => decode_as(encoding, &bytes),
            None => Err(SkipReason::Binary),
        };
    }
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return Ok(Decoded::new(text, UTF_8)),
        Err(err) => err.into_bytes(),
    };
    let census = utf8_census(&bytes);
    if census.is_damaged_utf8() {
        return Ok(repair_utf8(bytes, &census));
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    let sniff = &bytes[..bytes.len().min(DETECT_SNIFF_BYTES)];
    detector.feed(sniff, sniff.len() == bytes.len());
    let encoding = detector.guess(None, Utf8Detection::Deny);
    decode_as(encoding, &bytes)
}

/// Decodes the bytes after a UTF-8 byte-order mark: the file says it is
/// UTF-8, so bad bytes are damage unless they are most of it.
fn decode_marked_utf8(bytes: Vec<u8>) -> Result<Decoded, SkipReason> {
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return Ok(Decoded::new(text, UTF_8)),
        Err(err) => err.into_bytes(),
    };
    let census = utf8_census(&bytes);
    let few = census.invalid * 1000 <= bytes.len() * BOM_MAX_INVALID_PER_MILLE;
    if census.is_damaged_utf8() || few {
        return Ok(repair_utf8(bytes, &census));
    }
    Err(SkipReason::BadByteOrderMark {
        invalid: census.invalid as u64,
        bytes: bytes.len() as u64,
    })
}

/// Decodes `bytes` (without a byte-order mark) strictly as `encoding`.
fn decode_as(encoding: &'static Encoding, bytes: &[u8]) -> Result<Decoded, SkipReason> {
    match encoding.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok(Decoded::new(text.into_owned(), encoding)),
        None => Err(SkipReason::NotDecodable {
            encoding: encoding.name().into(),
        }),
    }
}

/// `text` without a leading byte-order mark: a second mark (e.g. UTF-8
/// saved twice) is not text either. In place.
fn strip_bom(mut text: String) -> String {
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    text
}

/// What a UTF-8 decoder makes of some bytes, counted the way
/// `String::from_utf8_lossy` (and [`std::str::Utf8Chunks`]) sees them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Utf8Census {
    /// Valid sequences of two to four bytes (non-ASCII characters).
    pub multibyte: usize,
    /// Bytes that are not part of a valid sequence.
    pub invalid: usize,
    /// Maximal invalid sequences: each becomes one U+FFFD.
    pub sequences: usize,
    /// Of `invalid`, the bytes of a sequence cut off by the end of the input
    /// (a file cut mid-character), which are evidence for UTF-8, not against.
    pub truncated: usize,
}

impl Utf8Census {
    /// Whether the bytes are damaged UTF-8: at least [`MULTIBYTE_PER_INVALID`]
    /// valid multi-byte sequences per invalid byte, not counting a sequence
    /// cut off at the end.
    ///
    /// Valid multi-byte sequences, not all bytes, are weighed against the
    /// invalid ones: ASCII is valid in every encoding here and says nothing,
    /// so a mostly-ASCII windows-1252 file with one `é` (0xE9, invalid) is
    /// not damaged UTF-8 (no multi-byte sequence at all), while a Chinese
    /// UTF-8 article with one stray byte is, however long it is.
    pub fn is_damaged_utf8(&self) -> bool {
        let invalid = self.invalid - self.truncated;
        self.multibyte > 0 && self.multibyte >= MULTIBYTE_PER_INVALID.saturating_mul(invalid)
    }
}

/// Counts the valid multi-byte sequences and the invalid bytes of `bytes`.
pub fn utf8_census(bytes: &[u8]) -> Utf8Census {
    let mut census = Utf8Census::default();
    let mut chunks = bytes.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        // Every multi-byte sequence has one lead byte, 0xC2 or above.
        census.multibyte += chunk.valid().bytes().filter(|&b| b >= 0xC0).count();
        let invalid = chunk.invalid();
        if invalid.is_empty() {
            continue;
        }
        census.invalid += invalid.len();
        census.sequences += 1;
        let cut_off = std::str::from_utf8(invalid).is_err_and(|e| e.error_len().is_none());
        if chunks.peek().is_none() && cut_off {
            census.truncated = invalid.len();
        }
    }
    census
}

/// `bytes` as text with each invalid sequence replaced by U+FFFD, in the
/// same buffer: a damaged file of hundreds of megabytes is not copied. The
/// buffer grows by at most two bytes per invalid byte (U+FFFD is three bytes,
/// an invalid sequence one to three); [`super::read_bytes`] leaves room for that.
fn repair_utf8(mut bytes: Vec<u8>, census: &Utf8Census) -> Decoded {
    const REPLACEMENT: &[u8] = "\u{fffd}".as_bytes();
    let old_len = bytes.len();
    let new_len = old_len - census.invalid + census.sequences * REPLACEMENT.len();
    let grow = new_len - old_len;
    // Shift the text right by `grow`, then copy it back left chunk by chunk,
    // writing U+FFFD for each invalid sequence: the write position never
    // passes the read position, because each sequence moves it by `3 - len`
    // of the `grow` bytes in hand.
    bytes.resize(new_len, 0);
    bytes.copy_within(..old_len, grow);
    let (mut read, mut write) = (grow, 0);
    while read < new_len {
        let (valid, invalid) = match bytes[read..].utf8_chunks().next() {
            Some(chunk) => (chunk.valid().len(), chunk.invalid().len()),
            None => break,
        };
        bytes.copy_within(read..read + valid, write);
        read += valid;
        write += valid;
        if invalid > 0 {
            read += invalid;
            bytes[write..write + REPLACEMENT.len()].copy_from_slice(REPLACEMENT);
            write += REPLACEMENT.len();
        }
    }
    debug_assert_eq!(write, new_len);
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned());
    Decoded {
        replaced: census.invalid,
        ..Decoded::new(text, UTF_8)
    }
}

/// The UTF-16 byte order of `bytes`, a file without a byte-order mark that
/// has NUL bytes near its start, if it reads as UTF-16 text.
///
/// In UTF-16 text every ASCII character (line ends, spaces, digits) has a
/// NUL high byte: at odd offsets in little-endian, even ones in big-endian.
/// So the side with more NULs in the first [`BINARY_SNIFF_BYTES`] gives the
/// byte order (a tie: no order, binary), and those bytes must then decode
/// in that order as valid UTF-16 with no NUL character and almost no control
/// characters. A binary file (PNG, ELF, zip) has runs of NULs that read as
/// U+0000, unpaired surrogates, and controls such as U+0001 on its NUL side;
/// `cargo run --example utf8_census -- corpus --binaries FILE…` decoded 754
/// files of `/usr/bin`, `/usr/lib` and image/archive folders with none read
/// as UTF-16. The other order is not tried: even short binaries such as
/// `00 01 02 03 "binary"` are valid UTF-16 read the wrong way round.
/// Chinese text with more characters like 一 (U+4E00, a NUL low byte) than
/// ASCII characters in its first 4,096 would be refused; such text without
/// a single line end per paragraph is not an article.
fn sniff_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let head = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let encoding = match odd.cmp(&even) {
        std::cmp::Ordering::Greater => UTF_16LE,
        std::cmp::Ordering::Less => UTF_16BE,
        std::cmp::Ordering::Equal => return None,
    };
    let cut = head.len() < bytes.len();
    reads_as_utf16_text(head, encoding == UTF_16BE, cut).then_some(encoding)
}

/// Whether `head` is valid UTF-16 text in the given byte order (`cut`: the
/// file goes on, so a surrogate pair may be cut at the end).
fn reads_as_utf16_text(head: &[u8], big_endian: bool, cut: bool) -> bool {
    let mut units: Vec<u16> = head
        .chunks_exact(2)
        .map(|pair| {
            let pair = [pair[0], pair[1]];
            if big_endian {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            }
        })
        .collect();
    if cut && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
        units.pop();
    }
    let (mut chars, mut controls) = (0usize, 0usize);
    for c in char::decode_utf16(units) {
        let Ok(c) = c else {
            return false;
        };
        if c == '\0' {
            return false;
        }
        chars += 1;
        let control = c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c');
        controls += usize::from(control || matches!(c, '\u{fffe}' | '\u{ffff}'));
    }
    chars > 0 && controls * UTF16_CHARS_PER_CONTROL <= chars
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{BIG5, EUC_KR, GB18030, GBK, SHIFT_JIS, WINDOWS_1252};

    const TEXT: &str =
        "# 日本流量卡注销指南\r\n\r\n可以在线注销eSIM卡，也可以去营业厅办理销户手续。\r\n";
    const TRADITIONAL: &str = "# 日本電話卡註銷指南\n\n可以在線註銷eSIM卡，也可以去營業廳辦理銷戶手續，請攜帶護照與在留卡。\n";
    const JAPANESE: &str = "# 携帯電話の解約\n\nオンラインで解約できます。店舗では本人確認書類と在留カードが必要です。\n";
    const KOREAN: &str = "# 휴대폰 해지 안내\n\n온라인으로 해지할 수 있으며, 매장에서는 여권과 외국인등록증이 필요합니다.\n";
    const FRENCH: &str = "# Résiliation\n\nLa carte SIM peut être résiliée en ligne ou en boutique, muni d'une pièce d'identité.\n";

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for unit in ["\u{feff}"]
            .iter()
            .filter(|_| bom)
            .flat_map(|b| b.encode_utf16())
        {
            out.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        for unit in text.encode_utf16() {
            out.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding.encode(text);
        assert!(!unmappable, "{} cannot encode {text}", encoding.name());
        bytes.into_owned()
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn every_supported_encoding_is_detected_and_round_trips() {
        let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
            ("utf-8", TEXT.as_bytes().to_vec(), TEXT, "UTF-8"),
            (
                "utf-8 bom",
                cat(&[b"\xEF\xBB\xBF", TEXT.as_bytes()]),
                TEXT,
                "UTF-8",
            ),
            ("utf-16le bom", utf16(TEXT, false, true), TEXT, "UTF-16LE"),
            ("utf-16be bom", utf16(TEXT, true, true), TEXT, "UTF-16BE"),
            ("utf-16le", utf16(TEXT, false, false), TEXT, "UTF-16LE"),
            ("utf-16be", utf16(TEXT, true, false), TEXT, "UTF-16BE"),
            (
                "utf-16le big5 text",
                utf16(TRADITIONAL, false, false),
                TRADITIONAL,
                "UTF-16LE",
            ),
            (
                "utf-16be korean",
                utf16(KOREAN, true, false),
                KOREAN,
                "UTF-16BE",
            ),
            (
                "utf-16le ascii",
                utf16("# Notes\n\nplain\n", false, false),
                "# Notes\n\nplain\n",
                "UTF-16LE",
            ),
            ("gbk", encode(GBK, TEXT), TEXT, "GBK"),
            (
                "gb18030",
                encode(GB18030, "# 注销 €\n\n营业厅办理销户手续，需要护照。\n"),
                "# 注销 €\n\n营业厅办理销户手续，需要护照。\n",
                "GBK",
            ),
            ("big5", encode(BIG5, TRADITIONAL), TRADITIONAL, "Big5"),
            (
                "shift_jis",
                encode(SHIFT_JIS, JAPANESE),
                JAPANESE,
                "Shift_JIS",
            ),
            ("euc-kr", encode(EUC_KR, KOREAN), KOREAN, "EUC-KR"),
            (
                "windows-1252",
                encode(WINDOWS_1252, FRENCH),
                FRENCH,
                "windows-1252",
            ),
        ];
        for (name, bytes, expected, encoding) in cases {
            let decoded = decode(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(decoded.text, expected, "help: {name} decoded wrongly");
            assert_eq!(decoded.encoding, encoding, "help: {name} detected wrongly");
            assert_eq!(decoded.replaced, 0, "help: {name} is not damaged");
        }
    }

    #[test]
    fn damaged_utf8_is_decoded_with_replacements_and_counted() {
        let long = TEXT.repeat(50);
        let (third, _) = (long.char_indices())
            .find(|&(i, c)| i >= long.len() / 3 && c.len_utf8() == 3)
            .unwrap();
        let cases: Vec<(&str, Vec<u8>, String, usize)> = vec![
            (
                "the issue's example: the last character cut off",
                b"# \xe8\x99\x9a\xe6\x8b\x9f\n\n\xe5\x9c\xa8\xe9\xa1\xb9\xe7\x9b\xae\xe5\x88\x9b\xe5\xbb\xbaEasyCard\n\xe4\xb8".to_vec(),
                "# 虚拟\n\n在项目创建EasyCard\n\u{fffd}".into(),
                2,
            ),
            (
                "a stray 0xFF in the middle",
                cat(&[TEXT.as_bytes(), b"\xFF", TEXT.as_bytes()]),
                format!("{TEXT}\u{fffd}{TEXT}"),
                1,
            ),
            (
                "a character cut to its first byte in a long text",
                cat(&[&long.as_bytes()[..third + 1], &long.as_bytes()[third + 3..]]),
                format!("{}\u{fffd}{}", &long[..third], &long[third + 3..]),
                1,
            ),
            (
                "a lone continuation byte and a cut sequence",
                cat(&[TEXT.as_bytes(), b"\x80\xe6\x88x", TEXT.as_bytes()]),
                format!("{TEXT}\u{fffd}\u{fffd}x{TEXT}"),
                3,
            ),
            (
                "a byte-order mark and bad bytes in Chinese text",
                cat(&[b"\xEF\xBB\xBF", TEXT.as_bytes(), b"\xC0\xFE", TEXT.as_bytes()]),
                format!("{TEXT}\u{fffd}\u{fffd}{TEXT}"),
                2,
            ),
            (
                "a byte-order mark and one bad byte in long ASCII text",
                cat(&[b"\xEF\xBB\xBF", "notes ".repeat(40).as_bytes(), b"\xE9"]),
                format!("{}\u{fffd}", "notes ".repeat(40)),
                1,
            ),
        ];
        for (name, bytes, expected, replaced) in cases {
            let lossy =
                String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
                    .into_owned();
            assert_eq!(lossy, expected, "help: {name}: the case itself is wrong");
            let decoded = decode(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(decoded.text, expected, "help: {name} decoded wrongly");
            assert_eq!(decoded.encoding, "UTF-8", "help: {name}");
            assert_eq!(decoded.replaced, replaced, "help: {name}: bytes replaced");
        }
    }

    #[test]
    fn the_notice_counts_bytes_in_words() {
        let decoded = |replaced| Decoded {
            text: String::new(),
            encoding: "UTF-8",
            replaced,
        };
        assert_eq!(decoded(0).notice(), None);
        assert_eq!(
            decoded(1).notice().unwrap(),
            "1 invalid UTF-8 byte replaced"
        );
        assert_eq!(
            decoded(2).notice().unwrap(),
            "2 invalid UTF-8 bytes replaced"
        );
    }

    #[test]
    fn legacy_text_with_a_few_valid_utf8_sequences_is_not_damaged_utf8() {
        // ASCII with one é: no multi-byte sequence to speak for UTF-8.
        let census = utf8_census(&encode(
            WINDOWS_1252,
            &format!("{}café\n", "notes ".repeat(100)),
        ));
        assert_eq!((census.multibyte, census.invalid), (0, 1));
        assert!(!census.is_damaged_utf8());
        // A truncated sequence at the end alone, in ASCII, is not enough either.
        assert!(!utf8_census(b"plain text\xe4\xb8").is_damaged_utf8());
        for (encoding, text) in [
            (GBK, TEXT),
            (BIG5, TRADITIONAL),
            (SHIFT_JIS, JAPANESE),
            (EUC_KR, KOREAN),
        ] {
            let census = utf8_census(&encode(encoding, &text.repeat(20)));
            assert!(!census.is_damaged_utf8(), "{}: {census:?}", encoding.name());
        }
    }

    #[test]
    fn binary_and_broken_input_is_refused_with_a_reason() {
        let elf = cat(&[
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00",
            &[0u8; 64],
        ]);
        let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00\x6b\x5a\x4e\x58\xc3\x1e\x32\x2a".to_vec();
        for (name, bytes, reason) in [
            (
                "png",
                b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(),
                "binary",
            ),
            ("elf", elf, "binary"),
            ("zip", zip, "binary"),
            ("odd length with NULs", b"a\x00b\x00c".to_vec(), "binary"),
            (
                "NUL on the low side: controls",
                b"\x00\x01\x02\x03binary".to_vec(),
                "binary",
            ),
            (
                "NUL on the low side, valid the other way round",
                b"\x00\x01binary now".to_vec(),
                "binary",
            ),
            (
                "as many NULs on either side",
                b"\x00a\x00b\x00c\x00de\x00f\x00g\x00h\x00".to_vec(),
                "binary",
            ),
            (
                "controls on the NUL side",
                b"\x01\x00\x00\x02".repeat(10),
                "binary",
            ),
            (
                "bom, then mostly bad bytes",
                b"\xEF\xBB\xBFok \xFF\xFE\xFD".to_vec(),
                "byte-order mark",
            ),
            (
                "bom, then gbk",
                cat(&[b"\xEF\xBB\xBF", &encode(GBK, TEXT)]),
                "byte-order mark",
            ),
            (
                "bom utf-16 with a lone surrogate",
                cat(&[b"\xFF\xFE", b"a\x00\x00\xD8b\x00"]),
                "UTF-16LE",
            ),
        ] {
            let err = decode(bytes).unwrap_err().to_string();
            assert!(err.contains(reason), "help: {name}: {err}");
        }
    }

    #[test]
    fn utf16_is_sniffed_past_a_surrogate_pair_cut_by_the_sniff() {
        // The sniff ends in the middle of "𠀀" (a surrogate pair).
        let text = format!("{}𠀀\n第二行\n", "a".repeat(BINARY_SNIFF_BYTES / 2 - 1));
        let decoded = decode(utf16(&text, false, false)).unwrap();
        assert_eq!(
            (decoded.text.as_str(), decoded.encoding),
            (text.as_str(), "UTF-16LE")
        );
    }

    #[test]
    fn a_doubled_byte_order_mark_is_dropped() {
        let bytes = "\u{feff}\u{feff}标题".as_bytes().to_vec();
        assert_eq!(decode(bytes).unwrap().text, "标题");
    }
}
