//! Coverage: how much of the query a passage answers.
//!
//! BM25 adds up per-word scores, so a passage that repeats one rare query
//! word can outscore one that matches every word of the question. The top
//! candidates are therefore re-scored by the share of the query's concepts
//! they contain: each content word of the query (jieba exact mode) counts as
//! found when the passage's title, heading or text contains it or one of its
//! synonyms (a synonym counts a little less).

use crate::analysis::{Normalized, Synonyms};

/// How many top candidates are re-scored.
pub const RERANK_DEPTH: usize = 50;
/// How strongly a missing concept lowers the score: score × coverage^EXPONENT.
/// Tuned with `zhsearch eval` on InsuranceQA-zh: 0 (no re-ranking) gave
/// MRR@10 0.2230, 0.5 gave 0.2384, 1 gave 0.2344, 3 gave 0.2208 (see BENCHMARKS.md).
pub const COVERAGE_EXPONENT: f32 = 0.5;
/// What a concept found only through a synonym counts for.
pub const SYNONYM_CREDIT: f32 = 0.8;

/// What a concept counts for when only some of its characters' pairs occur
/// (`赛车手` against `赛车司机`), times the share of pairs found.
pub const PARTIAL_CREDIT: f32 = 0.5;

/// Share of the adjacent character pairs of `word` (three or more characters)
/// that occur in `haystack`; 0 for shorter words.
fn bigram_share(word: &str, haystack: &str) -> f32 {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 {
        return 0.0;
    }
    let mut pair = String::new();
    let found = chars
        .windows(2)
        .filter(|w| {
            pair.clear();
            pair.extend(w.iter());
            haystack.contains(pair.as_str())
        })
        .count();
    found as f32 / (chars.len() - 1) as f32
}

/// One concept of the query: the word and its synonyms, normalized.
#[derive(Debug, Clone)]
pub struct Concept {
    pub word: String,
    pub synonyms: Vec<String>,
}

/// The concepts of a query: each synonym-group entry found in it (which may
/// span several words, like `号码迁移`), then each content word not inside
/// one of those, in order, duplicates once.
pub fn concepts(
    sequence: &[String],
    expansions: &[(String, Vec<String>)],
    synonyms: &Synonyms,
) -> Vec<Concept> {
    let mut out: Vec<Concept> = expansions
        .iter()
        .map(|(entry, found)| Concept {
            word: entry.clone(),
            synonyms: found.clone(),
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

/// Share of `concepts` found in `haystack` (normalized passage text), 0..=1;
/// 1 when the query has no concepts.
pub fn coverage(concepts: &[Concept], haystack: &str) -> f32 {
    if concepts.is_empty() {
        return 1.0;
    }
    let found: f32 = concepts
        .iter()
        .map(|c| {
            if haystack.contains(c.word.as_str()) {
                1.0
            } else if c.synonyms.iter().any(|s| haystack.contains(s.as_str())) {
                SYNONYM_CREDIT
            } else {
                PARTIAL_CREDIT * bigram_share(&c.word, haystack)
            }
        })
        .sum();
    found / concepts.len() as f32
}

/// The re-scored value of a candidate, and its coverage.
pub fn rescore(
    score: f32,
    concepts: &[Concept],
    title: &str,
    heading: &str,
    text: &str,
) -> (f32, f32) {
    let haystack = Normalized::new(&format!("{title}\n{heading}\n{text}"));
    let coverage = coverage(concepts, haystack.as_str());
    (score * coverage.powf(COVERAGE_EXPONENT), coverage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn coverage_counts_words_and_synonyms() {
        let synonyms = Synonyms::builtin();
        let concepts = concepts(&words(&["esim", "在线", "销户"]), &[], &synonyms);
        assert_eq!(coverage(&concepts, "esim卡的在线销户"), 1.0);
        let partial = coverage(&concepts, "流量卡的在线销户");
        assert!((partial - 2.0 / 3.0).abs() < 1e-6, "{partial}");
        let via_synonym = coverage(&concepts, "esim卡的在线注销");
        assert!((via_synonym - (2.0 + SYNONYM_CREDIT) / 3.0).abs() < 1e-6);
        assert_eq!(coverage(&[], "anything"), 1.0);
    }

    #[test]
    fn an_entry_spanning_words_is_one_concept() {
        let synonyms = Synonyms::builtin();
        let expansions = vec![("号码迁移".to_string(), vec!["携号转网".to_string()])];
        let concepts = concepts(&words(&["号码", "迁移"]), &expansions, &synonyms);
        assert_eq!(concepts.len(), 1);
        assert_eq!(coverage(&concepts, "办理携号转网"), SYNONYM_CREDIT);
    }

    #[test]
    fn full_coverage_overtakes_a_modest_lead_with_a_missing_word() {
        let synonyms = Synonyms::builtin();
        let concepts = concepts(&words(&["esim", "在线", "销户"]), &[], &synonyms);
        let (repeats, _) = rescore(
            9.0,
            &concepts,
            "流量卡",
            "在线销户的概念",
            "在线销户，在线销户",
        );
        let (answers, _) = rescore(
            8.0,
            &concepts,
            "指南",
            "eSIM卡的注销方法",
            "eSIM卡的在线注销服务",
        );
        assert!(answers > repeats, "{answers} vs {repeats}");
    }
}
