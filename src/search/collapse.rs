//! Near-duplicate passages: content sites repeat themselves, and a page of
//! results showing the same list twice shows one thing less.
//!
//! Two passages are near-duplicates when the Jaccard similarity of their
//! sets of [`SHINGLE_CHARS`]-character shingles is at least [`THRESHOLD`].
//! Shingles are taken over the normalized text's Han characters, letters and
//! digits only, so punctuation, spacing and Markdown markup do not tell two
//! copies apart. Computed at query time on the few passages of a page: no
//! index-time signature, so the index does not grow.

/// Characters per shingle: three tell phrasing apart (two-character shingles
/// are mostly common words, which unrelated passages share).
pub const SHINGLE_CHARS: usize = 3;

/// The similarity from which two passages are near-duplicates, measured
/// with `examples/near_duplicates.rs`. On the seed corpus (70 passages,
/// 2,415 pairs) the two copies of the six-step online-cancellation list in
/// `004_7d910efdc582c7a6.txt` (lines 39 and 65) score 0.649 and the next
/// pair 0.188. An earlier reading of the top 20 hits of the InsuranceQA
/// questions found the pairs from 0.6 up to be edited copies of one answer
/// (8 of 8 read by hand), those from 0.5 to 0.6 only 4 of 10. At 0.6, 133 of
/// the 2,000 questions fold 226 passages on their first page (`search
/// --batch -n 10`), and passage MRR@10 rises from 0.24556 to 0.24578.
pub const THRESHOLD: f32 = 0.6;

/// A passage's shingles, for comparing with [`Shingles::similarity`]: each
/// packed exactly into a `u64` (three characters of 21 bits), sorted and
/// without repeats, so comparing two passages is one merge of sorted lists
/// rather than a hash lookup per shingle.
#[derive(Debug, Clone, Default)]
pub struct Shingles(Vec<u64>);

impl Shingles {
    /// The shingles of `normalized` (a passage's normalized text).
    pub fn of(normalized: &str) -> Shingles {
        let kept: Vec<u64> = normalized
            .chars()
            .filter(|&c| crate::analysis::is_han(c) || c.is_alphanumeric())
            .map(u64::from)
            .collect();
        let pack = |window: &[u64]| window.iter().fold(0u64, |packed, &c| (packed << 21) | c);
        let mut set: Vec<u64> = if kept.len() < SHINGLE_CHARS {
            // Too short for one shingle: the whole text is one.
            (!kept.is_empty())
                .then(|| pack(&kept))
                .into_iter()
                .collect()
        } else {
            kept.windows(SHINGLE_CHARS).map(pack).collect()
        };
        set.sort_unstable();
        set.dedup();
        Shingles(set)
    }

    /// Jaccard similarity: shared shingles over all shingles, 0 when either
    /// passage has none.
    pub fn similarity(&self, other: &Shingles) -> f32 {
        let (a, b) = (&self.0, &other.0);
        if a.is_empty() || b.is_empty() {
            return 0.0;
        }
        let (mut i, mut j, mut shared) = (0, 0, 0usize);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        shared as f32 / (a.len() + b.len() - shared) as f32
    }

    /// Whether the two passages are near-duplicates ([`THRESHOLD`]).
    pub fn near_duplicate(&self, other: &Shingles) -> bool {
        self.similarity(other) >= THRESHOLD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_are_the_same_whatever_the_markup() {
        let a = Shingles::of("1. 登录官网：进入运营商网站。");
        let b = Shingles::of("1) **登录官网** 进入运营商网站");
        assert_eq!(a.similarity(&b), 1.0);
        assert!(a.near_duplicate(&b));
    }

    #[test]
    fn an_edited_copy_is_a_near_duplicate_and_an_unrelated_text_is_not() {
        let list = "登录官网或app，进入账户管理页面，选择注销服务，按照提示完成身份验证，确认注销";
        let edited =
            "登录官网或app，进入账户管理页面，选择注销服务，按提示完成身份验证，最后确认注销";
        let other = "前往营业厅办理注销时，请携带护照和在留卡，工作人员会协助你完成手续";
        let list = Shingles::of(list);
        assert!(list.near_duplicate(&Shingles::of(edited)));
        assert!(list.similarity(&Shingles::of(other)) < 0.1);
    }

    #[test]
    fn the_threshold_itself_counts_and_empty_texts_match_nothing() {
        // "abcd" has abc, bcd; "abce" has abc, bce: 1 shared of 3.
        let a = Shingles::of("abcd");
        assert!((a.similarity(&Shingles::of("abce")) - 1.0 / 3.0).abs() < 1e-6);
        assert!(!a.near_duplicate(&Shingles::of("abce")));
        assert!(Shingles::of("abcdefgh").near_duplicate(&Shingles::of("abcdefg")));
        assert_eq!(Shingles::of("").similarity(&Shingles::of("")), 0.0);
        assert_eq!(Shingles::of("！？").similarity(&Shingles::of("abc")), 0.0);
        assert_eq!(Shingles::of("ab").similarity(&Shingles::of("ab")), 1.0);
    }
}
