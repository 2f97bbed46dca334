//! Pseudo-relevance feedback for the results past the first page.
//!
//! A question and its answer often share few words: "医疗保险支付CT扫描多少钱"
//! is answered by a passage about "费用表" and "付款时间表". The best passages
//! for the query as typed say which other terms such answers use; a second
//! search with those terms added (RM3-style, over character bigrams) finds
//! answers the first one ranked too low. It also drifts: measured on
//! InsuranceQA-zh it costs precision at the top as much as it gains recall
//! further down (BENCHMARKS.md). So the first page keeps the ranking of the
//! query as typed, and only the results after it come from the expanded
//! query; a search for ten results does not run it at all.

use std::collections::HashMap;

use super::ranking::FEEDBACK_TERMS;
use crate::analysis::char_tokens;

/// The expansion terms of `passages` (best first), with weights in 0..=1
/// (the strongest is 1): character bigrams and letter/digit runs weighted by
/// their share of each passage times their rarity, leaving out the query's
/// own grams. `idf(term)` is `None` for a term too common to help.
pub fn expansion_terms(
    passages: &[String],
    query_grams: &[String],
    mut idf: impl FnMut(&str) -> Option<f32>,
) -> Vec<(String, f32)> {
    let mut share: HashMap<String, f32> = HashMap::new();
    for passage in passages {
        let tokens: Vec<String> = char_tokens(passage)
            .into_iter()
            .map(|t| t.text)
            .filter(|t| t.chars().count() > 1)
            .collect();
        for token in &tokens {
            *share.entry(token.clone()).or_default() += 1.0 / tokens.len() as f32;
        }
    }
    let mut weighted: Vec<(String, f32)> = share
        .into_iter()
        .filter(|(term, _)| !query_grams.contains(term))
        .filter_map(|(term, share)| idf(&term).map(|idf| (term, share * idf)))
        .collect();
    weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    weighted.truncate(FEEDBACK_TERMS);
    let strongest = weighted.first().map_or(1.0, |(_, w)| *w);
    weighted
        .into_iter()
        .map(|(term, w)| (term, w / strongest))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_shared_by_the_top_passages_and_rare_come_first() {
        let passages = vec![
            "理赔需要提交费用表和保单。".to_string(),
            "请按费用表付款。保单有效。".to_string(),
        ];
        let idf = |term: &str| match term {
            "保单" => None,
            "费用" | "用表" => Some(3.0),
            _ => Some(1.0),
        };
        let terms = expansion_terms(&passages, &["理赔".to_string()], idf);
        assert_eq!(terms[0].1, 1.0);
        let names: Vec<&str> = terms.iter().map(|(t, _)| t.as_str()).collect();
        assert!(
            names[..2].contains(&"费用") && names[..2].contains(&"用表"),
            "{names:?}"
        );
        assert!(!names.contains(&"保单"), "too common");
        assert!(!names.contains(&"理赔"), "already in the query");
        assert!(terms.len() <= FEEDBACK_TERMS);
        assert!(terms.windows(2).all(|w| w[0].1 >= w[1].1));
    }

    #[test]
    fn no_passages_give_no_terms() {
        assert!(expansion_terms(&[], &[], |_| Some(1.0)).is_empty());
    }
}
