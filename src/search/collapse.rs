//! Near-duplicate passages: content sites repeat themselves, and a page of
//! results showing the same list twice shows one thing less.
//!
//! Two passages are near-duplicates when the Jaccard similarity of their
//! sets of [`SHINGLE_CHARS`]-character shingles is at least [`THRESHOLD`].
//! Shingles are taken over the normalized text's Han characters, letters and
//! digits only, so punctuation, spacing and Markdown markup do not tell two
//! copies apart. Computed at query time on the few passages of a page: no
//! index-time signature, so the index does not grow.

use std::collections::HashMap;

/// Characters per shingle: three tell phrasing apart (two-character shingles
/// are mostly common words, which unrelated passages share).
pub const SHINGLE_CHARS: usize = 3;

/// The similarity from which two passages are near-duplicates, measured
/// with `examples/near_duplicates.rs`. On the seed corpus (70 passages,
/// 2,415 pairs) the two copies of the six-step online-cancellation list in
/// `004_7d910efdc582c7a6.txt` (lines 39 and 65) score 0.649 and the next
/// pair 0.188. Among the top 20 hits of the 2,000 InsuranceQA questions
/// (314,581 pairs), 10 pairs read by hand in each band: 0.6–0.7 were copies
/// of one answer in 6 (the other 4 share a long sign-off or link paragraph,
/// and fold too), 0.5–0.6 in only 2; an earlier reading had 8 of 8 and 4 of
/// 10. At 0.6, 133 of
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
        jaccard(shared, a.len(), b.len())
    }
}

/// Jaccard similarity of two sets of `a` and `b` shingles sharing `shared`.
fn jaccard(shared: usize, a: usize, b: usize) -> f32 {
    shared as f32 / (a + b - shared) as f32
}

/// The passages a page keeps, indexed by shingle, to find the first one a
/// new passage is a near-duplicate of. Comparing each passage with every
/// kept one took about a second per query at `-n 1000`; counting shared
/// shingles through the index touches only the kept passages that share any.
#[derive(Debug, Default)]
pub struct Page {
    sizes: Vec<usize>,
    by_shingle: HashMap<u64, Vec<u32>>,
}

impl Page {
    /// The index (in keeping order) of the first kept passage that
    /// `shingles` is a near-duplicate of.
    pub fn find(&self, shingles: &Shingles) -> Option<usize> {
        if shingles.0.is_empty() {
            return None;
        }
        let mut shared: HashMap<u32, usize> = HashMap::new();
        for shingle in &shingles.0 {
            for &k in self.by_shingle.get(shingle).into_iter().flatten() {
                *shared.entry(k).or_default() += 1;
            }
        }
        shared
            .into_iter()
            .filter(|&(k, n)| jaccard(n, self.sizes[k as usize], shingles.0.len()) >= THRESHOLD)
            .map(|(k, _)| k as usize)
            .min()
    }

    /// Keeps `shingles` as the next passage.
    pub fn keep(&mut self, shingles: Shingles) {
        let id = self.sizes.len() as u32;
        self.sizes.push(shingles.0.len());
        for shingle in shingles.0 {
            self.by_shingle.entry(shingle).or_default().push(id);
        }
    }

    /// How many passages are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.sizes.len()
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
        assert!(a.similarity(&b) >= THRESHOLD);
    }

    #[test]
    fn an_edited_copy_is_a_near_duplicate_and_an_unrelated_text_is_not() {
        let list = "登录官网或app，进入账户管理页面，选择注销服务，按照提示完成身份验证，确认注销";
        let edited =
            "登录官网或app，进入账户管理页面，选择注销服务，按提示完成身份验证，最后确认注销";
        let other = "前往营业厅办理注销时，请携带护照和在留卡，工作人员会协助你完成手续";
        let list = Shingles::of(list);
        assert!(list.similarity(&Shingles::of(edited)) >= THRESHOLD);
        assert!(list.similarity(&Shingles::of(other)) < 0.1);
    }

    #[test]
    fn a_page_finds_the_first_passage_a_copy_duplicates() {
        let mut kept = Page::default();
        kept.keep(Shingles::of("前往营业厅办理注销，携带护照和在留卡"));
        kept.keep(Shingles::of(
            "登录官网进入账户管理页面选择注销服务完成身份验证",
        ));
        kept.keep(Shingles::of(
            "登录官网进入账户管理页面选择注销服务完成身份验证吧",
        ));
        let copy = Shingles::of("登录官网，进入账户管理页面，选择注销服务，完成身份验证");
        assert_eq!(kept.find(&copy), Some(1), "the first of the two it matches");
        assert_eq!(kept.find(&Shingles::of("今天天气很好适合散步")), None);
        assert_eq!(kept.find(&Shingles::of("")), None);
        assert_eq!(kept.len(), 3);
    }

    #[test]
    fn the_threshold_itself_counts_and_empty_texts_match_nothing() {
        // "abcd" has abc, bcd; "abce" has abc, bce: 1 shared of 3.
        let a = Shingles::of("abcd");
        assert!((a.similarity(&Shingles::of("abce")) - 1.0 / 3.0).abs() < 1e-6);
        assert!(a.similarity(&Shingles::of("abce")) < THRESHOLD);
        assert!(Shingles::of("abcdefgh").similarity(&Shingles::of("abcdefg")) >= THRESHOLD);
        assert_eq!(Shingles::of("").similarity(&Shingles::of("")), 0.0);
        assert_eq!(Shingles::of("！？").similarity(&Shingles::of("abc")), 0.0);
        assert_eq!(Shingles::of("ab").similarity(&Shingles::of("ab")), 1.0);
    }
}
