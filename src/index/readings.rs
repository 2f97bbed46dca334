//! Readings: how the index's words sound, for pinyin queries and homophone typos.
//!
//! A query typed in pinyin (`zhuxiao`) or with a character of the right
//! sound but the wrong meaning (营业听 for 营业厅) has to find the words the
//! articles really use. Both need the index's own vocabulary by sound, so
//! each update writes [`READINGS_FILE`] beside the index: every Han word of
//! two to [`MAX_WORD_CHARS`] characters in the passage text, keyed by its
//! toneless pinyin (`zhuxiao` → 注销), as one FST set, compressed
//! (see [`ZSTD_LEVEL`]) and read whole by the first search that needs it. Single characters need no file: their
//! readings are in [`crate::analysis::pinyin`]'s static tables.
//!
//! A word's reading comes from pinyin-data's phrase list where the word is
//! in it and needs it (so 银行 reads `yinhang`, never `yinxing`; build.rs
//! compiles those of jieba's dictionary in), else from its characters,
//! every reading of each (up to [`MAX_READINGS_PER_WORD`] combinations). The file is derived data: a missing or older one only
//! turns pinyin off until the next update rewrites it, and it never decides
//! which passages exist.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::LazyLock;

use anyhow::{Context, Result, bail};
use fst::{IntoStreamer, Streamer};
use tantivy::Index;

use super::Fields;
use crate::analysis::is_han;
use crate::analysis::pinyin::char_readings;

/// The file of readings in the index folder.
pub const READINGS_FILE: &str = "readings.fst";
/// Where it is written before it replaces the file by rename.
pub const READINGS_TEMP: &str = "readings.fst.tmp";
/// Its first bytes, with the format's version.
const MAGIC: &[u8; 8] = b"ZHREAD04";
/// zstd level of the FST. With the words in UTF-8, the seed corpus's (70
/// passages) was 17,771 bytes raw, 11,103 at level 3, 10,653 at 9 and
/// 10,302 at 19, beside an index of about 108 KB; InsuranceQA's (29,167
/// passages) 457,780 raw and 239,520 at 9, compressed in 0.01 s at 9 and
/// 0.09 s at 19 (`zstd -19`, `time`). 9 is nearly 19's size at a tenth of
/// its time.
const ZSTD_LEVEL: i32 = 9;
/// Bytes before the FST: magic and commit id.
const HEADER: usize = 8 + 8;
/// Most readings one word gets from its characters: 携号转网 alone has
/// nine (号 and 转 have three readings each), and the first ones (each
/// character's most common reading first) are the likely ones.
const MAX_READINGS_PER_WORD: usize = 8;
/// Longest word (in characters) given readings: longer ones are names and
/// phrases nobody types in pinyin whole.
pub const MAX_WORD_CHARS: usize = 8;
/// Separates a word's reading from the word in a key.
const SEPARATOR: u8 = 0;

/// The readings of one index commit (see the module docs).
pub struct Readings {
    /// The tantivy commit they were made for (see [`commit_id`]).
    pub commit: u64,
    /// `reading \0 word` for every word.
    words: fst::Set<Vec<u8>>,
}

impl Readings {
    /// The readings file in `index_dir`; `None` when there is none, or one
    /// in another format (an older zhsearch wrote it; the next update
    /// replaces it).
    pub fn open(index_dir: &Path) -> Result<Option<Readings>> {
        let path = index_dir.join(READINGS_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read '{}'", path.display()));
            }
        };
        Ok(Readings::from_bytes(bytes))
    }

    fn from_bytes(bytes: Vec<u8>) -> Option<Readings> {
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return None;
        }
        let commit = u64::from_le_bytes(bytes[8..16].try_into().ok()?);
        let set = zstd::stream::decode_all(&bytes[HEADER..]).ok()?;
        Some(Readings {
            commit,
            words: fst::Set::new(set).ok()?,
        })
    }

    /// The index's words of two characters or more whose toneless pinyin
    /// is `letters` (`xian`: 西安, but not the lone 先), in byte order.
    pub fn words_read_as(&self, letters: &str) -> Vec<String> {
        let mut from = letters.as_bytes().to_vec();
        from.push(SEPARATOR);
        let mut to = letters.as_bytes().to_vec();
        to.push(SEPARATOR + 1);
        let mut stream = self.words.range().ge(&from).lt(&to).into_stream();
        let mut found = Vec::new();
        while let Some(key) = stream.next() {
            found.extend(decode_word(&key[from.len()..]));
        }
        found
    }

    /// The index's words of two characters or more whose syllables start
    /// with the letters `initials` in turn (`zx`: 注销, 在线, 最新), at
    /// most `limit` of them, in byte order.
    pub fn words_with_initials(&self, initials: &str, limit: usize) -> Vec<String> {
        let automaton = Initials::new(initials.as_bytes());
        let mut stream = self.words.search(automaton).into_stream();
        let mut found = Vec::new();
        while let Some(key) = stream.next() {
            if found.len() >= limit {
                break;
            }
            let Some(at) = key.iter().position(|&b| b == SEPARATOR) else {
                continue;
            };
            found.extend(decode_word(&key[at + 1..]));
        }
        found
    }
}

/// Matches the keys whose reading is syllables starting with the given
/// initials, one each, then the separator (and any word).
struct Initials<'a> {
    initials: &'a [u8],
}

impl<'a> Initials<'a> {
    fn new(initials: &'a [u8]) -> Self {
        Initials { initials }
    }
}

/// Where the automaton may be: `None` past the separator (every word
/// matches), else each way of having read the key so far: syllables
/// started, and the letters of the current one (at most six).
type InitialsState = Option<Vec<(u8, [u8; 6], u8)>>;

impl fst::Automaton for Initials<'_> {
    type State = InitialsState;

    fn start(&self) -> InitialsState {
        Some(vec![(0, [0; 6], 0)])
    }

    fn is_match(&self, state: &InitialsState) -> bool {
        state.is_none()
    }

    fn can_match(&self, state: &InitialsState) -> bool {
        state.as_ref().is_none_or(|ways| !ways.is_empty())
    }

    fn accept(&self, state: &InitialsState, byte: u8) -> InitialsState {
        let ways = state.as_ref()?;
        let complete = |letters: &[u8]| {
            std::str::from_utf8(letters)
                .is_ok_and(|s| crate::analysis::pinyin::syllable_id(s).is_some())
        };
        if byte == SEPARATOR {
            let done = ways.iter().any(|&(k, letters, len)| {
                usize::from(k) == self.initials.len() && complete(&letters[..usize::from(len)])
            });
            return if done { None } else { Some(Vec::new()) };
        }
        let mut next = Vec::new();
        for &(k, letters, len) in ways {
            let current = &letters[..usize::from(len)];
            // The same syllable, one letter longer.
            if len > 0 && usize::from(len) < letters.len() {
                let mut longer = letters;
                longer[usize::from(len)] = byte;
                if is_syllable_prefix(&longer[..usize::from(len) + 1]) {
                    next.push((k, longer, len + 1));
                }
            }
            // The next syllable, when this one is whole.
            if (len == 0 || complete(current)) && self.initials.get(usize::from(k)) == Some(&byte) {
                let mut first = [0; 6];
                first[0] = byte;
                next.push((k + 1, first, 1));
            }
        }
        next.sort_unstable();
        next.dedup();
        Some(next)
    }
}

/// Whether some syllable starts with `letters`.
fn is_syllable_prefix(letters: &[u8]) -> bool {
    let Ok(letters) = std::str::from_utf8(letters) else {
        return false;
    };
    let syllables = crate::analysis::pinyin::SYLLABLES;
    let at = syllables.partition_point(|s| *s < letters);
    syllables.get(at).is_some_and(|s| s.starts_with(letters))
}

/// Writes the readings of `index`'s last commit to `index_dir`, unless the
/// file there already is for that commit. Words the previous file had keep
/// their readings from it; only new words are looked up.
pub fn refresh(index_dir: &Path, index: &Index, fields: &Fields) -> Result<()> {
    let context = || {
        format!(
            "cannot write the pinyin readings in '{}'",
            index_dir.display()
        )
    };
    let commit = commit_id(index).with_context(context)?;
    let previous = Readings::open(index_dir).ok().flatten();
    if previous.as_ref().is_some_and(|p| p.commit == commit) {
        return Ok(());
    }
    let vocabulary = vocabulary(index, fields).with_context(context)?;
    let known = previous.as_ref().map(known_readings).unwrap_or_default();
    let bytes = build(commit, &vocabulary, &known).with_context(context)?;
    let path = index_dir.join(READINGS_FILE);
    let temp = index_dir.join(READINGS_TEMP);
    (|| -> std::io::Result<()> {
        let mut file = fs::File::create(&temp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&temp, &path)
    })()
    .with_context(context)?;
    Ok(())
}

/// What names `index`'s last commit: its segments with their deletes (an
/// opstamp does not: a rebuild starts counting again, and a commit that
/// changed nothing needs no new readings).
pub fn commit_id(index: &Index) -> Result<u64> {
    let metas = index.load_metas()?;
    Ok(segments_id(
        metas
            .segments
            .iter()
            .map(|s| (s.id().uuid_string(), s.delete_opstamp())),
    ))
}

/// [`commit_id`] of the commit `searcher` reads.
pub fn searcher_commit_id(searcher: &tantivy::Searcher) -> u64 {
    segments_id(
        searcher
            .segment_readers()
            .iter()
            .map(|r| (r.segment_id().uuid_string(), r.delete_opstamp())),
    )
}

fn segments_id(segments: impl Iterator<Item = (String, Option<u64>)>) -> u64 {
    let mut named: Vec<String> = segments
        .map(|(id, deletes)| format!("{id}.{deletes:?}"))
        .collect();
    named.sort();
    xxhash_rust::xxh3::xxh3_64(named.join(" ").as_bytes())
}

/// The Han words of two to [`MAX_WORD_CHARS`] characters in the passage text.
fn vocabulary(index: &Index, fields: &Fields) -> Result<BTreeSet<String>> {
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let mut words: BTreeSet<String> = BTreeSet::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(fields.text)?;
        let mut terms = inverted.terms().stream()?;
        while terms.advance() {
            let Ok(word) = std::str::from_utf8(terms.key()) else {
                continue;
            };
            let chars = word.chars().count();
            if (2..=MAX_WORD_CHARS).contains(&chars) && word.chars().all(is_han) {
                words.insert(word.to_string());
            }
        }
    }
    Ok(words)
}

/// The readings `previous` gives each word.
fn known_readings(previous: &Readings) -> HashMap<String, Vec<String>> {
    let mut known: HashMap<String, Vec<String>> = HashMap::new();
    let mut stream = previous.words.stream();
    while let Some(key) = stream.next() {
        let Some(at) = key.iter().position(|&b| b == SEPARATOR) else {
            continue;
        };
        if let (Ok(reading), Some(word)) =
            (std::str::from_utf8(&key[..at]), decode_word(&key[at + 1..]))
        {
            known
                .entry(word.to_string())
                .or_default()
                .push(reading.to_string());
        }
    }
    known
}

/// The file's bytes for `vocabulary`.
fn build(
    commit: u64,
    vocabulary: &BTreeSet<String>,
    known: &HashMap<String, Vec<String>>,
) -> Result<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for word in vocabulary.iter().filter(|w| w.chars().count() >= 2) {
        let Some(encoded) = encode_word(word) else {
            continue;
        };
        let readings = match known.get(word) {
            Some(readings) => readings.clone(),
            None => readings_of(word),
        };
        for reading in readings {
            let mut key = reading.into_bytes();
            key.push(SEPARATOR);
            key.extend_from_slice(&encoded);
            keys.push(key);
        }
    }
    keys.sort();
    keys.dedup();
    let mut words = fst::SetBuilder::memory();
    words.extend_iter(keys)?;
    let set = words.into_inner()?;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&commit.to_le_bytes());
    bytes.extend(zstd::bulk::compress(&set, ZSTD_LEVEL)?);
    if Readings::from_bytes(bytes.clone()).is_none() {
        bail!("the readings just built do not read back");
    }
    Ok(bytes)
}

/// `word` in a key: each character as its code point in two bytes, big
/// endian (a third smaller than UTF-8 for Han text: the seed corpus's
/// file went from 10,646 to 9,624 bytes, InsuranceQA's from 239,520 to 225,957); `None` for a character past
/// U+FFFF, whose words get no reading.
fn encode_word(word: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(word.len());
    for c in word.chars() {
        bytes.extend(u16::try_from(u32::from(c)).ok()?.to_be_bytes());
    }
    Some(bytes)
}

fn decode_word(bytes: &[u8]) -> Option<String> {
    bytes
        .chunks(2)
        .map(|pair| char::from_u32(u32::from(u16::from_be_bytes(pair.try_into().ok()?))))
        .collect()
}

/// The phrase-level readings build.rs took from pinyin-data's phrase list:
/// `word \0 reading` for the dictionary's words with a character of
/// several readings.
static PHRASES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/phrases.fst"));

/// The reading pinyin-data's phrase list gives `word`, if it has it.
fn phrase_reading(word: &str) -> Option<String> {
    static SET: LazyLock<fst::Set<&'static [u8]>> =
        LazyLock::new(|| fst::Set::new(PHRASES).expect("phrases.fst is built by build.rs"));
    let mut from = word.as_bytes().to_vec();
    from.push(SEPARATOR);
    let mut to = word.as_bytes().to_vec();
    to.push(SEPARATOR + 1);
    let mut stream = SET.range().ge(&from).lt(&to).into_stream();
    let key = stream.next()?;
    String::from_utf8(key[from.len()..].to_vec()).ok()
}

/// The toneless readings of the Han word `word` (see the module docs),
/// each its syllables run together (`zhuxiao`); none when a character has
/// no reading.
pub fn readings_of(word: &str) -> Vec<String> {
    if let Some(reading) = phrase_reading(word) {
        return vec![reading];
    }
    let mut readings = vec![String::new()];
    for c in word.chars() {
        let alternatives = char_readings(c);
        if alternatives.is_empty() {
            return Vec::new();
        }
        readings = readings
            .iter()
            .flat_map(|r| alternatives.iter().map(move |a| format!("{r}{a}")))
            .take(MAX_READINGS_PER_WORD)
            .collect();
    }
    readings.retain(|r| !r.is_empty());
    readings
}

#[cfg(test)]
impl Readings {
    /// Readings of `words`, as an update would write them.
    pub(crate) fn of_words(words: &[&str]) -> Readings {
        let vocabulary = words.iter().map(|w| w.to_string()).collect();
        Readings::from_bytes(build(1, &vocabulary, &HashMap::new()).unwrap()).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrase_readings_settle_heteronyms() {
        assert_eq!(readings_of("银行"), ["yinhang"]);
        assert_eq!(readings_of("行业"), ["hangye"]);
        assert_eq!(readings_of("注销"), ["zhuxiao"]);
        assert_eq!(readings_of("西安"), ["xian"]);
        assert_eq!(readings_of("营业厅"), ["yingyeting"]);
        assert_eq!(
            readings_of("还款"),
            ["huankuan"],
            "data/readings.txt corrects the list"
        );
        assert_eq!(readings_of("还是"), ["haishi"]);
    }

    #[test]
    fn words_outside_the_phrase_list_read_by_character() {
        let readings = readings_of("携号转网");
        assert!(
            readings.contains(&"xiehaozhuanwang".to_string()),
            "{readings:?}"
        );
        assert!(readings.len() <= MAX_READINGS_PER_WORD);
        assert_eq!(readings_of("卡"), ["ka", "qia"]);
    }

    #[test]
    fn initials_find_the_words_whose_syllables_they_start() {
        let vocabulary: BTreeSet<String> = ["注销", "在线", "西安", "现场", "销户", "营业厅"]
            .into_iter()
            .map(str::to_string)
            .collect();
        let readings =
            Readings::from_bytes(build(1, &vocabulary, &HashMap::new()).unwrap()).unwrap();
        let mut zx = readings.words_with_initials("zx", 10);
        zx.sort();
        assert_eq!(zx, ["在线", "注销"]);
        assert_eq!(
            readings.words_with_initials("xa", 10),
            ["西安"],
            "xi an, not xian"
        );
        assert_eq!(readings.words_with_initials("yyt", 10), ["营业厅"]);
        assert!(
            readings.words_with_initials("z", 10).is_empty(),
            "one syllable per initial"
        );
        assert_eq!(readings.words_with_initials("zx", 1).len(), 1);
    }

    #[test]
    fn words_round_trip_through_their_keys() {
        for word in ["注销", "一", "\u{FFFF}\u{4E00}"] {
            assert_eq!(
                decode_word(&encode_word(word).unwrap()).as_deref(),
                Some(word)
            );
        }
        assert_eq!(encode_word("注销").unwrap().len(), 4);
        assert_eq!(encode_word("𠀀"), None, "past U+FFFF");
        assert_eq!(decode_word(&[0x4E]), None);
    }

    #[test]
    fn the_file_reads_back_what_was_built() {
        let vocabulary: BTreeSet<String> = ["西安", "现场", "注销", "先"]
            .into_iter()
            .map(str::to_string)
            .collect();
        let bytes = build(7, &vocabulary, &HashMap::new()).unwrap();
        let readings = Readings::from_bytes(bytes).unwrap();
        assert_eq!(readings.commit, 7);
        assert_eq!(readings.words_read_as("xian"), ["西安"]);
        assert!(
            readings.words_read_as("xia").is_empty(),
            "no prefix matches"
        );
        assert_eq!(readings.words_read_as("zhuxiao"), ["注销"]);
        let known = known_readings(&readings);
        assert_eq!(known["注销"], ["zhuxiao"]);
        assert!(Readings::from_bytes(b"ZHREAD00".to_vec()).is_none());
    }
}
