//! Coverage: how much of the query a passage answers.
//!
//! BM25 adds up per-word scores, so a passage that repeats one rare query
//! word can outscore one that matches every word of the question. The top
//! candidates are therefore re-scored by the share of the query's concepts
//! they contain: each content word of the query (jieba exact mode) counts as
//! found when the passage's title, heading or text contains it or one of its
//! synonyms (a synonym counts a little less). Which passages contain what is
//! asked of the index ([`super::presence`]), not of the stored text.
//!
//! Concepts weigh by how few candidates contain them: a concept every
//! candidate has cannot tell them apart, while missing the one concept that
//! only a few have is missing what the question is about.

use super::ranking::{PARTIAL_CREDIT, SYNONYM_CREDIT};
use crate::analysis::Synonyms;

/// One concept of the query: the word and its synonyms, normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct Concept {
    pub word: String,
    pub synonyms: Vec<String>,
}

/// The concepts of a query: each synonym-group entry found in it (which may
/// span several words, like `号码迁移`), then each content word not inside
/// one of those, in order, duplicates once.
pub fn concepts<'a>(
    sequence: &[String],
    expansions: impl IntoIterator<Item = (&'a str, &'a [String])>,
    synonyms: &Synonyms,
) -> Vec<Concept> {
    let mut out: Vec<Concept> = expansions
        .into_iter()
        .map(|(entry, found)| Concept {
            word: entry.to_string(),
            synonyms: found.to_vec(),
        })
        .collect();
    for word in sequence {
        if out.iter().any(|c| c.word.contains(word.as_str())) {
            continue;
        }
        out.push(Concept {
            word: word.clone(),
            synonyms: synonyms
                .expand(word)
                .into_iter()
                .map(str::to_string)
                .collect(),
        });
    }
    out
}

/// The coverage of each of `count` candidates (0..=1; 1 when the query has
/// no concepts): the credit of each concept, weighted by
/// `concept_weight`. `contains(text)` says which candidates contain `text`.
pub fn coverages<E>(
    concepts: &[Concept],
    count: usize,
    mut contains: impl FnMut(&str) -> Result<Vec<bool>, E>,
) -> Result<Vec<f32>, E> {
    if concepts.is_empty() {
        return Ok(vec![1.0; count]);
    }
    let mut total = vec![0.0f32; count];
    let mut weights = 0.0f32;
    for concept in concepts {
        let mut credit: Vec<f32> = contains(&concept.word)?
            .into_iter()
            .map(|found| if found { 1.0 } else { 0.0 })
            .collect();
        for synonym in &concept.synonyms {
            if credit.iter().all(|&c| c == 1.0) {
                break;
            }
            for (c, found) in credit.iter_mut().zip(contains(synonym)?) {
                if found {
                    *c = c.max(SYNONYM_CREDIT);
                }
            }
        }
        let pairs = bigrams(&concept.word);
        if pairs.len() >= 2 && credit.contains(&0.0) {
            let mut share = vec![0.0f32; count];
            for pair in &pairs {
                for (s, found) in share.iter_mut().zip(contains(pair)?) {
                    if found {
                        *s += 1.0 / pairs.len() as f32;
                    }
                }
            }
            for (c, s) in credit.iter_mut().zip(share) {
                if *c == 0.0 {
                    *c = PARTIAL_CREDIT * s;
                }
            }
        }
        let weight = concept_weight(credit.iter().sum(), count);
        weights += weight;
        for (t, c) in total.iter_mut().zip(credit) {
            *t += weight * c;
        }
    }
    Ok(total.into_iter().map(|t| t / weights).collect())
}

/// The weight of a concept found (in credits) `found` times among `count`
/// candidates: 1 plus its inverse document frequency among them.
///
/// On InsuranceQA-zh, against equal weights: MRR@10 0.2410 -> 0.2453,
/// Recall@10 0.3149 -> 0.3197, nDCG@10 0.2344 -> 0.2390, Recall@100 about
/// the same. The inverse frequency alone, or doubled, gave 0.2441 and 0.2451.
fn concept_weight(found: f32, count: usize) -> f32 {
    1.0 + ((count as f32 + 1.0) / (found + 0.5)).ln()
}

/// The adjacent character pairs of `word`.
fn bigrams(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::ranking::final_score;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| w.to_string()).collect()
    }

    /// Coverage of passages given as text, by substring.
    fn coverage_of(concepts: &[Concept], passages: &[&str]) -> Vec<f32> {
        let contains = |needle: &str| -> Result<Vec<bool>, ()> {
            Ok(passages.iter().map(|p| p.contains(needle)).collect())
        };
        coverages(concepts, passages.len(), contains).unwrap()
    }

    #[test]
    fn coverage_counts_words_and_synonyms() {
        let synonyms = Synonyms::builtin();
        let concepts = concepts(&words(&["esim", "在线", "销户"]), [], &synonyms);
        let got = coverage_of(
            &concepts,
            &["esim卡的在线销户", "流量卡的在线销户", "esim卡的在线注销"],
        );
        // esim is in 2 of 3 (credit 2), 在线 in 3, 销户 in 2 plus a synonym.
        let w = |found: f32| 1.0 + (4.0 / (found + 0.5)).ln();
        let (esim, online, cancel) = (w(2.0), w(3.0), w(2.0 + SYNONYM_CREDIT));
        let sum = esim + online + cancel;
        assert_eq!(got[0], 1.0);
        assert!((got[1] - (online + cancel) / sum).abs() < 1e-6, "{got:?}");
        assert!((got[2] - (esim + online + SYNONYM_CREDIT * cancel) / sum).abs() < 1e-6);
        assert_eq!(coverage_of(&[], &["anything"]), [1.0]);
    }

    #[test]
    fn a_concept_few_candidates_have_weighs_more() {
        assert!((concept_weight(3.0, 3) - (1.0 + (4.0f32 / 3.5).ln())).abs() < 1e-6);
        assert!(concept_weight(0.0, 50) > concept_weight(5.0, 50));
        assert!(concept_weight(5.0, 50) > concept_weight(50.0, 50));
        assert!(concept_weight(50.0, 50) > 1.0);
        // Both candidates have 卡; only the second has the rare 在线, and it
        // lacks the common esim: it covers more of what matters.
        let synonyms = Synonyms::builtin();
        let concepts = concepts(&words(&["卡", "esim", "在线"]), [], &synonyms);
        let got = coverage_of(&concepts, &["esim卡", "在线卡", "esim卡", "esim卡"]);
        assert!(got[1] > got[0], "{got:?}");
    }

    #[test]
    fn part_of_a_long_word_counts_partly() {
        let synonyms = Synonyms::builtin();
        let concepts = concepts(&words(&["赛车手"]), [], &synonyms);
        let got = coverage_of(&concepts, &["赛车司机", "赛车手", "足球"]);
        assert_eq!(got, [PARTIAL_CREDIT * 0.5, 1.0, 0.0]);
    }

    #[test]
    fn an_entry_spanning_words_is_one_concept() {
        let synonyms = Synonyms::builtin();
        let found = words(&["携号转网"]);
        let concepts = concepts(
            &words(&["号码", "迁移"]),
            [("号码迁移", &found[..])],
            &synonyms,
        );
        assert_eq!(concepts.len(), 1);
        assert_eq!(coverage_of(&concepts, &["办理携号转网"]), [SYNONYM_CREDIT]);
    }

    #[test]
    fn full_coverage_overtakes_a_modest_lead_with_a_missing_word() {
        let synonyms = Synonyms::builtin();
        let concepts = concepts(&words(&["esim", "在线", "销户"]), [], &synonyms);
        let got = coverage_of(
            &concepts,
            &[
                "流量卡\n在线销户的概念\n在线销户，在线销户",
                "指南\nesim卡的注销方法\nesim卡的在线注销服务",
            ],
        );
        assert!(
            final_score(8.0, got[1]) > final_score(9.0, got[0]),
            "{got:?}"
        );
    }
}
