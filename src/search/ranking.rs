//! Ranking: every knob of a passage's score, with the measurement that chose
//! it, and the one formula of the final score.
//!
//! A passage is scored in two steps. BM25 (tantivy's, over the clauses
//! [`super::query`] builds, each weighted by a boost below) ranks every
//! match; the best [`RERANK_DEPTH`] are then re-scored by their coverage of
//! the query's concepts ([`super::rerank`]) with [`final_score`]. Past the
//! first page, pseudo-relevance feedback ([`super::feedback`]) adds related
//! terms. Measurements are `zhsearch eval` on InsuranceQA-zh (BENCHMARKS.md);
//! a knob no run has measured says so.

/// Relative weight of a word matched in a heading: a heading names what its
/// passages are about. Unmeasured.
pub const HEADING_BOOST: f32 = 1.6;
/// Relative weight of a word matched in the title, which names the whole
/// article rather than this passage. Unmeasured.
pub const TITLE_BOOST: f32 = 0.7;
/// Relative weight of a word matched in the passage text. Unmeasured.
pub const TEXT_BOOST: f32 = 1.0;
/// What the fields other than a word's best one add to its score (tantivy's
/// `DisjunctionMaxQuery` tie breaker): the best field counts, the others
/// add a little. Unmeasured.
pub const FIELD_TIE_BREAKER: f32 = 0.2;
/// Weight of character grams: they find single characters and partial words,
/// and fusing their evidence with the words' ranks better (on InsuranceQA-zh,
/// MRR@10 0.2273 at 0.35, 0.2339 at 1.0, 0.2345 at 1.5, 0.2326 at 2.5).
pub const CHARS_BOOST: f32 = 1.5;
/// Weight of two adjacent query words found close together in the text
/// (in the same stretch of [`crate::analysis::WORD_POSITION_CHARS`]).
/// `zhsearch eval` on InsuranceQA-zh with 16-character stretches (MRR@10 /
/// Recall@100): 0.4: 0.2454 / 0.5377, 0.6: 0.2464 / 0.5356, 0.8: 0.2461 /
/// 0.5334, 1.0: 0.2465 / 0.5327.
pub const PROXIMITY_BOOST: f32 = 0.6;
/// Weight of a synonym relative to the word the user typed. Unmeasured.
pub const SYNONYM_BOOST: f32 = 0.5;
/// Weight of a synonym when the typed word is in no passage at all (`网上`
/// where the articles say `在线`): its synonyms are the only way to find the
/// concept and count in full. Unmeasured.
pub const ABSENT_WORD_SYNONYM_BOOST: f32 = 1.0;
/// Weight of a word read from the query's pinyin (`baidu` → 百度) when
/// the articles have the Latin word as typed: below the typed word, so it
/// ranks first. The reading's synonyms weigh this times [`SYNONYM_BOOST`].
/// Unmeasured: InsuranceQA has no pinyin.
pub const PINYIN_BOOST: f32 = 0.5;
/// Weight of a word read from pinyin that the articles have at least ten
/// times as often as the Latin word as typed, or that no article has as
/// typed (`zhuxiao` → 注销): the reading is what the query says, so it
/// counts nearly in full, a little below the word typed in Han.
pub const ABSENT_PINYIN_BOOST: f32 = 0.95;
/// Most index words one piece of pinyin searches (`shouji`: 手机, 收集).
pub const PINYIN_MAX_ALTERNATIVES: usize = 3;
/// Least share of the first word's passages another word of the same
/// pinyin needs to be searched too: a rare homophone is rarely meant.
pub const PINYIN_ALTERNATIVE_SHARE: f64 = 0.1;
/// Fewest passages a word needs for a homophone typo to be corrected to
/// it. On InsuranceQA at 2, 多晚 (how late) was corrected to 多万 (of
/// `100多万`, 3 passages).
pub const HOMOPHONE_MIN_DOCS: u64 = 5;
/// How many times more passages the corrected word must be in than could
/// have the typed span (its rarest character pair).
pub const HOMOPHONE_RATIO: u64 = 10;
/// Most synonyms one query word expands to. Unmeasured.
pub const MAX_EXPANSIONS: usize = 8;

/// Share of the passages above which a word or gram is left out of the
/// search (unless the query has nothing rarer): its BM25 weight is near
/// zero, yet its postings are most of a query's work. It still counts for
/// coverage in the re-ranking. Unmeasured for relevance (chosen for speed).
pub const COMMON_SHARE: f64 = 0.5;
/// Fewest passages a left-out term must be in: in a small corpus every
/// search is fast anyway, and "most passages" of a handful means little.
pub const COMMON_MIN_DOCS: u64 = 1000;

/// Whether a term in `docs` of `num_docs` passages is too common to search
/// for (see [`COMMON_SHARE`]).
pub fn is_common(docs: u64, num_docs: u64) -> bool {
    docs >= COMMON_MIN_DOCS && docs as f64 > num_docs as f64 * COMMON_SHARE
}

/// BM25's inverse document frequency of a term in `doc_freq` of `num_docs`
/// passages (the same formula as tantivy's `Bm25Weight`), for weighing
/// synonym groups and feedback terms.
pub fn idf(doc_freq: u64, num_docs: u64) -> f32 {
    let n = num_docs as f32;
    let df = doc_freq as f32;
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// Passages the first, pruned phase of a search picks for the whole query
/// to score (see [`super::topk`]). On the 2,000 InsuranceQA questions
/// with pruning forced on every query (`search --batch -n 10`, MRR@10 of
/// the passages), with the first phase as it is now (common terms left out,
/// [`FIRST_PHASE_COMMON_SHARE`]): 100 gave 0.2447, 120 0.2455, 150 0.2462,
/// 200 0.2460; with every term and 100 candidates, 0.2461. Each candidate
/// costs a re-scoring, so past 150 the p50 grows for nothing (earlier, with
/// 256 KB store blocks: 50: 3.8 ms, 100: 4.2, 200: 4.7 at x10).
pub const CANDIDATES: usize = 150;

/// Most terms in the first phase's OR: a long question has thirty or more
/// (pairs, words, synonyms), and block-max WAND's cost grows with each,
/// while the weakest barely change which passages are candidates. With
/// pruning forced on every query of InsuranceQA (`search --batch -n 10`,
/// MRR@10 of the passages): all terms 0.2460, 24 0.2461, 16 0.2462, 12
/// 0.2441, 8 0.2385. At x10, p99 10.0–12.2 ms with all, 8.7–9.3 with 16
/// (two runs each), p50 unchanged (2.7–2.8 ms).
pub const FIRST_PHASE_TERMS: usize = 16;

/// A term in more than this share of the passages (保险 in InsuranceQA)
/// is left out of the first phase while [`FIRST_PHASE_MIN_TERMS`] others
/// remain: it hardly changes which passages are candidates, but its long
/// postings lie behind block-max WAND's pivot at every step, and each step
/// seeks them. The whole query still scores it. At x10 (`search --batch -n
/// 10`, 2,000 questions, per-query minimum of three alternating runs), with
/// 150 candidates: p50 2.71 → 2.36 ms, p99 11.1 → 8.6 ms, mean 3.26 → 2.68
/// ms. With 100 candidates and no floor of terms, passage MRR@10 under
/// forced pruning was 0.2451 at a share of 0.2, 0.2447 at 0.1 and 0.2444 at
/// 0.05, against 0.2461 with every term; 150 candidates make up for it
/// (see [`CANDIDATES`]). `zhsearch eval` is unchanged.
pub const FIRST_PHASE_COMMON_SHARE: f64 = 0.1;

/// Fewest terms the first phase keeps when leaving common ones out (see
/// [`FIRST_PHASE_COMMON_SHARE`]): a short query's common words are most of
/// what it says. Agreement of the top 10 with the whole query run
/// exhaustively at x10, on 1,000 two-word queries made of the questions'
/// first words (overlap@10, same first hit): every term 0.916 / 0.970; no
/// floor 0.889 / 0.941; at least 4 terms 0.922 / 0.971; at least 6, 0.938 /
/// 0.986. On the full questions, 6 keeps today's 0.889 / 0.941 (8: 0.896 /
/// 0.950, but p99 10.7 ms against 8.6).
pub const FIRST_PHASE_MIN_TERMS: usize = 6;

/// Postings (summed document frequencies of the first phase's terms) from
/// which a query runs in two phases rather than whole: below it, scoring
/// every match costs less than pruning's bookkeeping (block maxima, the
/// count's own pass, the re-scoring). `search --batch -n 10` over the 2,000
/// InsuranceQA questions, p50 at x1 / x10: always pruned 1.03 / 2.96 ms,
/// from 30,000 0.74 / 2.94, from 100,000 0.72 / 3.07, from 300,000 0.75 /
/// 4.08, never 0.73 / 5.05.
pub const PRUNE_FROM_POSTINGS: u64 = 100_000;

/// How many top candidates are re-scored by coverage.
pub const RERANK_DEPTH: usize = 50;
/// How strongly a missing concept lowers the score: score × coverage^EXPONENT.
/// Tuned with `zhsearch eval` on InsuranceQA-zh: 0 (no re-ranking) gave
/// MRR@10 0.2230, 0.5 gave 0.2384, 1 gave 0.2344, 3 gave 0.2208 (see BENCHMARKS.md).
pub const COVERAGE_EXPONENT: f32 = 0.5;
/// What a concept found only through a synonym counts for. Unmeasured.
pub const SYNONYM_CREDIT: f32 = 0.8;
/// What a concept counts for when only some of its characters' pairs occur
/// (`赛车手` against `赛车司机`), times the share of pairs found. Unmeasured.
pub const PARTIAL_CREDIT: f32 = 0.5;

/// The final score of a re-ranked passage with BM25 `bm25` and `coverage`
/// (0..=1): the one formula, which ranking and `--explain` both use.
pub fn final_score(bm25: f32, coverage: f32) -> f32 {
    bm25 * coverage.powf(COVERAGE_EXPONENT)
}

/// How a hit's score came about, for `--explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreOrigin {
    /// The [`final_score`] of its BM25 and coverage.
    Formula,
    /// Capped at the score of the passage above: passages ranked below the
    /// re-ranked head (or past the first page) keep their order but never
    /// score above the passages before them.
    Capped,
    /// None of the query's concepts (coverage 0): ranked by BM25 after the
    /// passages with some.
    Uncovered,
}

/// How far below its [`final_score`] a hit's score must be to count as
/// capped rather than as the formula's value: a tolerance for telling them
/// apart, not a weight (the formula's value is recomputed exactly).
const CAPPED_BELOW: f32 = 0.999;

impl ScoreOrigin {
    /// How `score` relates to the final score of `bm25` and `coverage`.
    pub fn of(bm25: f32, coverage: f32, score: f32) -> ScoreOrigin {
        let formula = final_score(bm25, coverage);
        if score < formula * CAPPED_BELOW {
            ScoreOrigin::Capped
        } else if formula <= 0.0 && score > 0.0 {
            ScoreOrigin::Uncovered
        } else {
            ScoreOrigin::Formula
        }
    }
}

/// Results that always keep the ranking of the query as typed: feedback
/// costs precision at the top as much as it gains recall further down
/// (BENCHMARKS.md), so it only ranks what comes after them.
pub const FIRST_PAGE: usize = 10;
/// Top passages of the first search that the feedback terms come from.
/// Unmeasured.
pub const FEEDBACK_PASSAGES: usize = 5;
/// Feedback terms added to the query. Unmeasured.
pub const FEEDBACK_TERMS: usize = 24;
/// Weight of the strongest feedback term relative to a query gram.
/// Unmeasured.
pub const FEEDBACK_WEIGHT: f32 = 1.0;

/// Passages looked at per article wanted when ranking articles (and the
/// factor the depth grows by while passages of the same articles fill the
/// list): most articles have a few passages. It changes how much work an
/// article search does, never its order. Unmeasured.
pub const PASSAGES_PER_ARTICLE: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idf_falls_as_a_term_gets_common() {
        assert!(idf(1, 1000) > idf(10, 1000));
        assert!(idf(10, 1000) > idf(999, 1000));
        assert!(idf(1000, 1000) > 0.0, "BM25's idf never reaches zero");
        assert_eq!(idf(1, 3), (1.0f32 + 2.5 / 1.5).ln());
    }

    #[test]
    fn common_needs_both_the_share_and_the_count() {
        assert!(is_common(1001, 2000));
        assert!(!is_common(999, 1000), "too few passages to judge");
        assert!(!is_common(1000, 2000), "not above the share");
    }

    #[test]
    fn final_score_is_bm25_times_the_root_of_coverage() {
        assert_eq!(final_score(8.0, 1.0), 8.0);
        assert_eq!(final_score(8.0, 0.25), 4.0);
        assert_eq!(final_score(8.0, 0.0), 0.0);
    }

    #[test]
    fn a_score_origin_tells_capped_and_uncovered_from_the_formula() {
        assert_eq!(ScoreOrigin::of(8.0, 0.25, 4.0), ScoreOrigin::Formula);
        assert_eq!(ScoreOrigin::of(8.0, 0.25, 3.0), ScoreOrigin::Capped);
        assert_eq!(ScoreOrigin::of(8.0, 0.0, 1.5), ScoreOrigin::Uncovered);
    }
}
