//! Pinyin: a Latin stretch of a query read as Mandarin syllables.
//!
//! With the input method off, people type 注销 as `zhuxiao`, `zhu xiao`,
//! `zhù xiāo` or `zhu4xiao1`. A [`PinyinRun`] is such a stretch of a
//! normalized query, reduced to its toneless letters (`zhuxiao`, with ü
//! written `v` as in `lv`) and the ways those letters split into syllables.
//! A split is kept only when it uses every letter: `xian` is one syllable
//! (先) or two (西安), and both readings are kept, while `esim` (`m` is no
//! syllable here) is not pinyin at all. Spaces, apostrophes (`xi'an`) and
//! tone numbers end a syllable; they never sit inside one.
//!
//! Words of the index are looked up by the same toneless letters (see
//! [`crate::index::Readings`]), so the reader only has to say which spans
//! of the letters are whole syllables.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use super::is_han;

/// Every toneless syllable of Mandarin pinyin, sorted, with ü written `v`:
/// the 398 default readings of the characters U+4E00–U+9FFF in pinyin-data
/// (through the pinyin-converter crate), the syllables only other readings
/// use (`cou`, `dei`, `diu`, `fo`, `miu`, `nin`, `run`, `shun`), and the rare
/// `den`, `dia`, `eng`, `kei`, `lo`, `nun`, `shei`, `zhei`. The syllabic
/// nasals `m`, `n`, `ng`, `hm` and `hng` are left out: they would make `sim`
/// or `ng` read as pinyin.
pub const SYLLABLES: &[&str] = &[
    "a", "ai", "an", "ang", "ao", "ba", "bai", "ban", "bang", "bao", "bei", "ben", "beng", "bi",
    "bian", "biao", "bie", "bin", "bing", "bo", "bu", "ca", "cai", "can", "cang", "cao", "ce",
    "cen", "ceng", "cha", "chai", "chan", "chang", "chao", "che", "chen", "cheng", "chi", "chong",
    "chou", "chu", "chua", "chuai", "chuan", "chuang", "chui", "chun", "chuo", "ci", "cong", "cou",
    "cu", "cuan", "cui", "cun", "cuo", "da", "dai", "dan", "dang", "dao", "de", "dei", "den",
    "deng", "di", "dia", "dian", "diao", "die", "ding", "diu", "dong", "dou", "du", "duan", "dui",
    "dun", "duo", "e", "ei", "en", "eng", "er", "fa", "fan", "fang", "fei", "fen", "feng", "fo",
    "fou", "fu", "ga", "gai", "gan", "gang", "gao", "ge", "gei", "gen", "geng", "gong", "gou",
    "gu", "gua", "guai", "guan", "guang", "gui", "gun", "guo", "ha", "hai", "han", "hang", "hao",
    "he", "hei", "hen", "heng", "hong", "hou", "hu", "hua", "huai", "huan", "huang", "hui", "hun",
    "huo", "ji", "jia", "jian", "jiang", "jiao", "jie", "jin", "jing", "jiong", "jiu", "ju",
    "juan", "jue", "jun", "ka", "kai", "kan", "kang", "kao", "ke", "kei", "ken", "keng", "kong",
    "kou", "ku", "kua", "kuai", "kuan", "kuang", "kui", "kun", "kuo", "la", "lai", "lan", "lang",
    "lao", "le", "lei", "leng", "li", "lia", "lian", "liang", "liao", "lie", "lin", "ling", "liu",
    "lo", "long", "lou", "lu", "luan", "lun", "luo", "lv", "lve", "ma", "mai", "man", "mang",
    "mao", "me", "mei", "men", "meng", "mi", "mian", "miao", "mie", "min", "ming", "miu", "mo",
    "mou", "mu", "na", "nai", "nan", "nang", "nao", "ne", "nei", "nen", "neng", "ni", "nian",
    "niang", "niao", "nie", "nin", "ning", "niu", "nong", "nou", "nu", "nuan", "nun", "nuo", "nv",
    "nve", "o", "ou", "pa", "pai", "pan", "pang", "pao", "pei", "pen", "peng", "pi", "pian",
    "piao", "pie", "pin", "ping", "po", "pou", "pu", "qi", "qia", "qian", "qiang", "qiao", "qie",
    "qin", "qing", "qiong", "qiu", "qu", "quan", "que", "qun", "ran", "rang", "rao", "re", "ren",
    "reng", "ri", "rong", "rou", "ru", "rua", "ruan", "rui", "run", "ruo", "sa", "sai", "san",
    "sang", "sao", "se", "sen", "seng", "sha", "shai", "shan", "shang", "shao", "she", "shei",
    "shen", "sheng", "shi", "shou", "shu", "shua", "shuai", "shuan", "shuang", "shui", "shun",
    "shuo", "si", "song", "sou", "su", "suan", "sui", "sun", "suo", "ta", "tai", "tan", "tang",
    "tao", "te", "teng", "ti", "tian", "tiao", "tie", "ting", "tong", "tou", "tu", "tuan", "tui",
    "tun", "tuo", "wa", "wai", "wan", "wang", "wei", "wen", "weng", "wo", "wu", "xi", "xia",
    "xian", "xiang", "xiao", "xie", "xin", "xing", "xiong", "xiu", "xu", "xuan", "xue", "xun",
    "ya", "yan", "yang", "yao", "ye", "yi", "yin", "ying", "yo", "yong", "you", "yu", "yuan",
    "yue", "yun", "za", "zai", "zan", "zang", "zao", "ze", "zei", "zen", "zeng", "zha", "zhai",
    "zhan", "zhang", "zhao", "zhe", "zhei", "zhen", "zheng", "zhi", "zhong", "zhou", "zhu", "zhua",
    "zhuai", "zhuan", "zhuang", "zhui", "zhun", "zhuo", "zi", "zong", "zou", "zu", "zuan", "zui",
    "zun", "zuo",
];

/// Longest syllable, in letters (`chuang`, `shuang`, `zhuang`).
const LONGEST_SYLLABLE: usize = 6;
/// Most splits kept for one run: `xianxianxian` has eight, and a run long
/// enough to have more is read well enough by its first ones (longest
/// syllables first).
const MAX_SPLITS: usize = 16;
/// Longest run read as pinyin, in letters (about forty syllables): a longer
/// stretch of words is read in runs of at most this many, cut between
/// words, and a longer word is not read at all. It bounds a query's work.
const MAX_RUN_LETTERS: usize = 160;

/// The position of `syllable` in [`SYLLABLES`], `None` when it is none.
pub fn syllable_id(syllable: &str) -> Option<usize> {
    SYLLABLES.binary_search(&syllable).ok()
}

/// `syllable` (one, as pinyin-data writes it: `lǚ`, `zhōng`) without its
/// tone, ü as `v`; `None` when that is no syllable of [`SYLLABLES`].
pub fn toneless(syllable: &str) -> Option<&'static str> {
    let mut plain = String::with_capacity(syllable.len());
    for c in syllable.chars() {
        plain.push(fold_letter(c)?.0);
    }
    syllable_id(&plain).map(|id| SYLLABLES[id])
}

/// The toneless readings of the Han character `c`, most common first
/// (pinyin-data, through the pinyin crate's static tables); empty for a
/// character it has none for.
pub fn char_readings(c: char) -> Vec<&'static str> {
    let mut readings: Vec<&'static str> = Vec::new();
    for reading in pinyin_chars::ToPinyinMulti::to_pinyin_multi(&c)
        .into_iter()
        .flatten()
    {
        if let Some(plain) = toneless(reading.plain())
            && !readings.contains(&plain)
        {
            readings.push(plain);
        }
    }
    readings
}

/// The characters of the CJK Unified Ideographs block (U+4E00–U+9FFF)
/// that `syllable` is a reading of, in code point order. The table is
/// made on first use, from every character's readings (well under a
/// millisecond).
pub fn chars_read_as(syllable: &str) -> &'static [char] {
    static BY_SYLLABLE: LazyLock<HashMap<&'static str, Vec<char>>> = LazyLock::new(|| {
        let mut by: HashMap<&'static str, Vec<char>> = HashMap::new();
        for c in ('\u{4E00}'..='\u{9FFF}').filter(|&c| is_han(c)) {
            for reading in char_readings(c) {
                by.entry(reading).or_default().push(c);
            }
        }
        by
    });
    BY_SYLLABLE.get(syllable).map_or(&[], Vec::as_slice)
}

/// A letter of pinyin as a plain ASCII letter, and whether it carried a
/// tone mark; `None` for anything else.
fn fold_letter(c: char) -> Option<(char, bool)> {
    Some(match c {
        'a'..='z' => (c, false),
        'ü' => ('v', false),
        'ā' | 'á' | 'ǎ' | 'à' => ('a', true),
        'ē' | 'é' | 'ě' | 'è' => ('e', true),
        'ī' | 'í' | 'ǐ' | 'ì' => ('i', true),
        'ō' | 'ó' | 'ǒ' | 'ò' => ('o', true),
        'ū' | 'ú' | 'ǔ' | 'ù' => ('u', true),
        'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' => ('v', true),
        _ => return None,
    })
}

/// A stretch of a query that reads entirely as pinyin (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinyinRun {
    /// Where it is in the normalized query.
    pub bytes: Range<usize>,
    /// Its letters without tones, separators or tone numbers.
    pub letters: String,
    /// For each letter, its byte offset in the normalized query, and one
    /// more for the end.
    offsets: Vec<usize>,
    /// Every way to split `letters` into syllables (at most [`MAX_SPLITS`],
    /// longest syllables first), each as the letter offsets where its
    /// syllables start, then the end.
    pub splits: Vec<Vec<usize>>,
    /// Whether a tone mark or number was typed.
    pub toned: bool,
}

impl PinyinRun {
    /// The query text the letters `range` were read from, with the tone
    /// number after its last syllable.
    pub fn typed<'q>(&self, query: &'q str, range: Range<usize>) -> &'q str {
        let start = self.offsets[range.start];
        // The end of the last letter, not the start of what follows it.
        let mut end = self.offsets[range.end - 1] + letter_len(query, self.offsets[range.end - 1]);
        if query[end..].starts_with(|c: char| ('1'..='5').contains(&c)) {
            end += 1;
        }
        &query[start..end]
    }

    /// The whole words of the query the letters `range` are in: `obamacare`
    /// for the `bama` inside it.
    pub fn words_around<'q>(&self, query: &'q str, range: Range<usize>) -> &'q str {
        let is_word = |c: char| c.is_alphanumeric() && !is_han(c) || c == ':';
        let mut start = self.offsets[range.start];
        let mut end = start + self.typed(query, range).len();
        while let Some(c) = query[..start].chars().next_back().filter(|&c| is_word(c)) {
            start -= c.len_utf8();
        }
        while let Some(c) = query[end..].chars().next().filter(|&c| is_word(c)) {
            end += c.len_utf8();
        }
        &query[start..end]
    }
}

/// Length of the character at `at` in `query` (a letter, or `u` of `u:`).
fn letter_len(query: &str, at: usize) -> usize {
    let c = query[at..].chars().next().map_or(1, char::len_utf8);
    if query[at..].starts_with("u:") { 2 } else { c }
}

/// The stretches of `normalized` (a normalized query: lowercase, ASCII
/// punctuation) that read as pinyin, in order.
///
/// A stretch is made of words (between whitespace or apostrophes) that
/// each split into syllables; a word that does not (`esim`, `2025`, `卡`)
/// ends it. Tone marks, tone numbers (1–5, after a syllable) and `ü`
/// typed as `v` or `u:` are read.
pub fn pinyin_runs(normalized: &str) -> Vec<PinyinRun> {
    let mut runs = Vec::new();
    let mut current: Option<Letters> = None;
    let mut rest_start = 0;
    for (start, word) in words_between_separators(normalized) {
        let joined = rest_start == start
            || normalized[rest_start..start]
                .chars()
                .all(|c| c.is_whitespace() || is_apostrophe(c));
        let letters = Letters::of(word, start);
        match (letters, joined, current.as_mut()) {
            // A run past MAX_RUN_LETTERS ends before the word that would
            // make it too long, and the word starts the next.
            (Some(next), true, Some(run))
                if run.letters.len() + next.letters.len() <= MAX_RUN_LETTERS =>
            {
                run.append(next)
            }
            (next, _, _) => {
                runs.extend(current.take().and_then(Letters::into_run));
                current = next;
            }
        }
        rest_start = start + word.len();
    }
    runs.extend(current.and_then(Letters::into_run));
    runs
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘')
}

/// The words of `text` with their byte offsets: stretches of letters,
/// digits and `:` (of `u:`), split at whitespace, apostrophes and anything
/// else that is not a letter or digit (Han characters split too).
fn words_between_separators(text: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    let is_word_char = |c: char| (c.is_alphanumeric() && !is_han(c)) || c == ':' || c == 'ü';
    for (at, c) in text.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                words.push((s, &text[s..at]));
                start = None;
            }
            _ => {}
        }
        if is_han(c) {
            // A Han character is a word of its own: it ends a stretch.
            words.push((at, &text[at..at + c.len_utf8()]));
        }
    }
    if let Some(s) = start {
        words.push((s, &text[s..]));
    }
    words
}

/// The letters of words read so far, before splitting into syllables.
struct Letters {
    bytes: Range<usize>,
    letters: String,
    offsets: Vec<usize>,
    /// Letter offsets a syllable must end at (word ends, tone numbers).
    breaks: Vec<usize>,
    /// Those of `breaks` made by a tone number: the letters before one,
    /// back to the break before, are one syllable (`xian1` is 先, not 西安).
    toned_breaks: Vec<usize>,
    toned: bool,
}

impl Letters {
    /// The letters of one word starting at byte `start`, `None` when it has
    /// anything but pinyin letters and tone numbers after syllables.
    fn of(word: &str, start: usize) -> Option<Letters> {
        let mut out = Letters {
            bytes: start..start + word.len(),
            letters: String::new(),
            offsets: Vec::new(),
            breaks: Vec::new(),
            toned_breaks: Vec::new(),
            toned: false,
        };
        let mut chars = word.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if c == 'u' && chars.peek().is_some_and(|&(_, n)| n == ':') {
                chars.next();
                out.push('v', start + at);
            } else if let Some((letter, toned)) = fold_letter(c) {
                out.toned |= toned;
                out.push(letter, start + at);
            } else if ('1'..='5').contains(&c) && !out.letters.is_empty() {
                if out.breaks.last() == Some(&out.letters.len()) {
                    return None;
                }
                out.toned = true;
                out.breaks.push(out.letters.len());
                out.toned_breaks.push(out.letters.len());
            } else {
                return None;
            }
        }
        if out.letters.is_empty() {
            return None;
        }
        if out.breaks.last() != Some(&out.letters.len()) {
            out.breaks.push(out.letters.len());
        }
        // Each word must read as pinyin on its own.
        (!splits(&out.letters, &out.breaks, &out.toned_breaks).is_empty()).then_some(out)
    }

    fn push(&mut self, letter: char, at: usize) {
        self.letters.push(letter);
        self.offsets.push(at);
    }

    fn append(&mut self, next: Letters) {
        let shift = self.letters.len();
        self.bytes.end = next.bytes.end;
        self.letters.push_str(&next.letters);
        self.offsets.extend(next.offsets);
        self.breaks
            .extend(next.breaks.into_iter().map(|b| b + shift));
        self.toned_breaks
            .extend(next.toned_breaks.into_iter().map(|b| b + shift));
        self.toned |= next.toned;
    }

    fn into_run(self) -> Option<PinyinRun> {
        let splits = splits(&self.letters, &self.breaks, &self.toned_breaks);
        if splits.is_empty() {
            return None;
        }
        let mut offsets = self.offsets;
        offsets.push(self.bytes.end);
        Some(PinyinRun {
            bytes: self.bytes,
            letters: self.letters,
            offsets,
            splits,
            toned: self.toned,
        })
    }
}

/// Every split of `letters` into syllables that ends a syllable at each of
/// `breaks` (the last is the end), with one syllable before each of
/// `toned_breaks`, longest syllables first, at most [`MAX_SPLITS`].
fn splits(letters: &str, breaks: &[usize], toned_breaks: &[usize]) -> Vec<Vec<usize>> {
    let n = letters.len();
    if n > MAX_RUN_LETTERS {
        return Vec::new();
    }
    // The syllables that may start at each letter: within its stretch up
    // to the next break, and the whole stretch when a tone number ends it.
    let steps = |from: usize| {
        let next_break = breaks.iter().copied().find(|&b| b > from).unwrap_or(n);
        let longest = LONGEST_SYLLABLE.min(next_break - from);
        let shortest = if toned_breaks.contains(&next_break) {
            next_break - from
        } else {
            1
        };
        (shortest..=longest)
            .rev()
            .map(move |len| from + len)
            .filter(move |&to| syllable_id(&letters[from..to]).is_some())
    };
    // Whether the letters from each offset on split whole: the walk below
    // only steps where a split goes on to the end, so it never backtracks
    // (`xianxian…xianq` would otherwise try every split before failing).
    let mut ends = vec![false; n + 1];
    ends[n] = true;
    for from in (0..n).rev() {
        ends[from] = steps(from).any(|to| ends[to]);
    }
    let mut out = Vec::new();
    if !ends[0] {
        return out;
    }
    let mut stack: Vec<Vec<usize>> = vec![vec![0]];
    while let Some(path) = stack.pop() {
        let from = *path.last().expect("a path starts at 0");
        if from == n {
            out.push(path);
            if out.len() >= MAX_SPLITS {
                break;
            }
            continue;
        }
        // Pushed shortest first, so the longest syllable is walked first.
        let next: Vec<usize> = steps(from).filter(|&to| ends[to]).collect();
        for &to in next.iter().rev() {
            let mut longer = path.clone();
            longer.push(to);
            stack.push(longer);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syllables(run: &PinyinRun) -> Vec<Vec<&str>> {
        run.splits
            .iter()
            .map(|split| split.windows(2).map(|w| &run.letters[w[0]..w[1]]).collect())
            .collect()
    }

    fn only_run(query: &str) -> PinyinRun {
        let runs = pinyin_runs(query);
        assert_eq!(runs.len(), 1, "{query}: {runs:?}");
        runs.into_iter().next().unwrap()
    }

    #[test]
    fn the_syllable_table_is_sorted_and_distinct() {
        assert!(SYLLABLES.windows(2).all(|w| w[0] < w[1]));
        assert!(SYLLABLES.iter().all(|s| s.len() <= LONGEST_SYLLABLE));
        assert_eq!(syllable_id("m"), None);
        assert_eq!(syllable_id("ng"), None);
    }

    #[test]
    fn valid_splits_use_every_letter() {
        let run = only_run("zhuxiao");
        assert_eq!(run.letters, "zhuxiao");
        assert_eq!(syllables(&run)[0], ["zhu", "xiao"]);
        assert!(syllables(&run).iter().all(|s| s.concat() == "zhuxiao"));
        assert!(!run.toned);
        let run = only_run("yingyeting");
        assert_eq!(syllables(&run)[0], ["ying", "ye", "ting"]);
    }

    #[test]
    fn ambiguous_splits_are_all_kept() {
        let run = only_run("xian");
        let all = syllables(&run);
        assert!(all.contains(&vec!["xian"]), "{all:?}");
        assert!(all.contains(&vec!["xi", "an"]), "{all:?}");
        let run = only_run("xi'an");
        assert_eq!(
            syllables(&run),
            [["xi", "an"]],
            "an apostrophe ends a syllable"
        );
    }

    #[test]
    fn spaces_join_words_and_end_syllables() {
        let query = "zai xian xiao hu";
        let run = only_run(query);
        assert_eq!(run.letters, "zaixianxiaohu");
        assert_eq!(run.bytes, 0..query.len());
        assert_eq!(syllables(&run)[0], ["zai", "xian", "xiao", "hu"]);
        assert!(
            syllables(&run).iter().all(|s| !s.contains(&"ix")),
            "no syllable crosses a space"
        );
        assert_eq!(run.typed(query, 3..7), "xian");
        assert_eq!(run.typed(query, 0..7), "zai xian");
        assert_eq!(run.words_around(query, 3..7), "xian");
        let query = "obamacare";
        let run = only_run(query);
        assert_eq!(run.words_around(query, 1..5), "obamacare");
    }

    #[test]
    fn tone_marks_and_numbers_are_read() {
        let run = only_run("yíngyètīng");
        assert_eq!(run.letters, "yingyeting");
        assert!(run.toned);
        let run = only_run("zhu4xiao1");
        assert_eq!(run.letters, "zhuxiao");
        assert_eq!(
            syllables(&run),
            [["zhu", "xiao"]],
            "a tone number ends a syllable"
        );
        assert!(run.toned);
        assert!(pinyin_runs("zhux4iao").is_empty(), "zhux is no syllable");
        assert!(pinyin_runs("zhu44xiao").is_empty());
        assert_eq!(run.typed("zhu4xiao1", 3..7), "xiao1");
        assert_eq!(run.typed("zhu4xiao1", 0..3), "zhu4");
        let run = only_run("xian1");
        assert_eq!(syllables(&run), [["xian"]]);
    }

    #[test]
    fn characters_have_every_reading_most_common_first() {
        assert_eq!(char_readings('行')[..2], ["xing", "hang"]);
        assert_eq!(char_readings('听')[0], "ting");
        assert_eq!(char_readings('绿'), ["lv", "lu"]);
        assert!(char_readings('a').is_empty());
        assert!(chars_read_as("ting").contains(&'听'));
        assert!(chars_read_as("ting").contains(&'厅'));
        assert!(chars_read_as("zz").is_empty());
    }

    #[test]
    fn runs_that_fail_at_the_end_or_are_too_long_are_not_pinyin() {
        let hopeless = format!("{}q", "xian".repeat(30));
        assert!(pinyin_runs(&hopeless).is_empty());
        let long = "xian".repeat(30);
        assert_eq!(only_run(&long).splits.len(), MAX_SPLITS);
        assert!(
            pinyin_runs(&"zhuxiao".repeat(30)).is_empty(),
            "past MAX_RUN_LETTERS"
        );
        let spaced = vec!["xian"; 60].join(" ");
        let runs = pinyin_runs(&spaced);
        assert_eq!(runs.len(), 2, "cut between words past MAX_RUN_LETTERS");
        assert_eq!(runs[0].letters.len(), 160);
        assert_eq!(runs[1].letters.len(), 80);
    }

    #[test]
    fn u_umlaut_typed_three_ways() {
        for typed in ["lüxing", "lvxing", "lu:xing"] {
            let run = only_run(typed);
            assert_eq!(run.letters, "lvxing", "{typed}");
            assert_eq!(run.bytes, 0..typed.len());
        }
        assert_eq!(toneless("lǚ"), Some("lv"));
        assert_eq!(toneless("zhōng"), Some("zhong"));
        assert_eq!(toneless("xx"), None);
    }

    #[test]
    fn latin_words_that_are_not_pinyin_end_a_run() {
        assert!(pinyin_runs("esim").is_empty());
        assert!(pinyin_runs("docomo softbank app 2025").is_empty());
        let query = "esim zhuxiao";
        let run = only_run(query);
        assert_eq!(&query[run.bytes.clone()], "zhuxiao");
        let query = "eSIM卡 zaixian zhuxiao";
        let run = only_run(&query.to_lowercase());
        assert_eq!(run.letters, "zaixianzhuxiao");
        let query = "线下zhuxiao";
        let run = only_run(query);
        assert_eq!(&query[run.bytes.clone()], "zhuxiao");
        let runs = pinyin_runs("zhuxiao 注销 xiaohu");
        assert_eq!(runs.len(), 2, "a Han word between ends the first run");
    }
}
