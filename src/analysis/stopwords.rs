//! Chinese (and a few English) function words that carry no topic.
//!
//! Questions are phrased with particles and question words (`如何`, `怎么`, `吗`,
//! `呢`); left in, they would match every passage that happens to ask a
//! question and outweigh the words that name the topic. The list is applied to
//! the word field at index and query time alike.

use std::sync::LazyLock;

/// The stop words, sorted and unique (checked by a test).
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "by",
    "for",
    "in",
    "is",
    "it",
    "not",
    "of",
    "on",
    "or",
    "the",
    "to",
    "with",
    "一下",
    "一个",
    "一些",
    "一种",
    "下",
    "不过",
    "与",
    "且",
    "个",
    "中",
    "为",
    "为了",
    "为什么",
    "乃",
    "么",
    "之",
    "也",
    "了",
    "什么",
    "今",
    "从",
    "他",
    "他们",
    "以",
    "以及",
    "们",
    "会",
    "但",
    "但是",
    "何",
    "何时",
    "你",
    "你们",
    "例如",
    "便",
    "俺",
    "假如",
    "关于",
    "其",
    "其中",
    "其他",
    "则",
    "即",
    "却",
    "又",
    "及",
    "只",
    "可",
    "可以",
    "吗",
    "吧",
    "吶",
    "呀",
    "呢",
    "咋",
    "和",
    "咱",
    "咱们",
    "哇",
    "哈",
    "哎",
    "哟",
    "哦",
    "哪",
    "哪个",
    "哪些",
    "哪儿",
    "哪里",
    "唉",
    "啊",
    "啥",
    "啦",
    "嘛",
    "嘿",
    "因为",
    "因此",
    "在",
    "多少",
    "她",
    "她们",
    "如",
    "如何",
    "如何才能",
    "如果",
    "它",
    "它们",
    "对",
    "对于",
    "将",
    "就",
    "就是",
    "尽管",
    "已",
    "已经",
    "常",
    "并",
    "并不",
    "并且",
    "应该",
    "当",
    "得",
    "怎",
    "怎么",
    "怎么办",
    "怎么样",
    "怎么样才能",
    "怎样",
    "您",
    "想",
    "想要",
    "我",
    "我们",
    "或",
    "或者",
    "所",
    "所以",
    "才能",
    "把",
    "时",
    "时候",
    "是",
    "是否",
    "更",
    "最",
    "有",
    "有些",
    "有没有",
    "来",
    "此",
    "比",
    "没有",
    "然后",
    "然而",
    "的",
    "的话",
    "等",
    "能",
    "能不能",
    "能否",
    "能够",
    "自己",
    "被",
    "要",
    "让",
    "该",
    "请",
    "请问",
    "谁",
    "还",
    "还是",
    "还要",
    "这",
    "这个",
    "这些",
    "这样",
    "这里",
    "那",
    "那个",
    "那么",
    "那些",
    "都",
    "需要",
];

/// Every stop word, sorted.
pub fn all() -> &'static [&'static str] {
    STOP_WORDS
}

/// Whether `word` (already normalized) is a stop word.
///
/// Indexing asks this of every word of every passage, so the lookup is a
/// binary search over integers rather than over strings.
pub fn is_stop_word(word: &str) -> bool {
    static KEYS: LazyLock<Vec<u128>> = LazyLock::new(|| {
        let mut keys: Vec<u128> = STOP_WORDS.iter().filter_map(|w| key(w)).collect();
        keys.sort_unstable();
        keys
    });
    key(word).is_some_and(|key| KEYS.binary_search(&key).is_ok())
}

/// A word of at most 15 bytes (every stop word; checked by a test) as one
/// integer: its bytes, zero-padded, then its length. Longer words have none.
fn key(word: &str) -> Option<u128> {
    let bytes = word.as_bytes();
    let mut key = [0u8; 16];
    key.get_mut(..bytes.len())
        .filter(|_| bytes.len() < 16)?
        .copy_from_slice(bytes);
    key[15] = bytes.len() as u8;
    Some(u128::from_be_bytes(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_and_unique() {
        for pair in STOP_WORDS.windows(2) {
            assert!(
                pair[0] < pair[1],
                "{:?} must sort before {:?}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn every_stop_word_has_a_key_and_no_two_share_one() {
        let mut keys: Vec<u128> = STOP_WORDS.iter().map(|w| key(w).unwrap()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), STOP_WORDS.len());
        assert_eq!(key("一二三四五六"), None, "18 bytes have no key");
    }

    #[test]
    fn lookup_agrees_with_the_list_on_near_misses() {
        // Every stop word, and its prefixes, extensions and padded forms.
        let mut candidates = vec![String::new(), "一二三四五六".to_string()];
        for w in STOP_WORDS {
            let chars: Vec<char> = w.chars().collect();
            for n in 0..=chars.len() {
                candidates.push(chars[..n].iter().collect());
            }
            candidates.extend([format!("{w}的"), format!("{w}\0"), format!("{w}{w}")]);
        }
        for w in &candidates {
            assert_eq!(is_stop_word(w), STOP_WORDS.contains(&w.as_str()), "{w:?}");
        }
    }

    #[test]
    fn question_words_are_stopped_and_topic_words_are_not() {
        for w in [
            "如何", "怎么", "吗", "呢", "的", "了", "请问", "哪些", "the", "and",
        ] {
            assert!(is_stop_word(w), "{w} should be a stop word");
        }
        for w in ["注销", "销户", "esim", "卡", "营业厅", "不", "后"] {
            assert!(!is_stop_word(w), "{w} must stay searchable");
        }
    }
}
