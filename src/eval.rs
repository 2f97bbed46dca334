//! Relevance evaluation: questions whose right answers are known, run through
//! the engine, scored with the usual retrieval metrics.
//!
//! A *question* is a query and the ids of the articles that answer it (read
//! from JSON Lines, see [`read_questions`]). Articles are ranked where their
//! best passage ranks ([`Engine::search_articles`]), and relevance is binary.
//! Per question, with `rel(i)` true when the article at rank `i` (1-based) is
//! relevant and `R` the number of relevant ids:
//!
//! - MRR@10: `1 / i` for the first relevant `i ≤ 10`, else 0;
//! - Recall@k: relevant articles in the top `k`, divided by `R`;
//! - nDCG@10: `Σ rel(i) / log2(i + 1)` over `i ≤ 10`, divided by the same sum
//!   for an ideal list of `min(R, 10)` relevant articles.
//!
//! The report holds the mean of each over all questions; a question that
//! cannot run (no searchable words) scores zero and is listed.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

use crate::search::{Engine, QueryError};

/// How many articles are ranked per question: the deepest cut-off measured.
pub const DEPTH: usize = 100;

/// A query with the ids of the articles that answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// 1-based line of the questions file it came from.
    pub line: usize,
    pub query: String,
    /// Article ids, each once: a path relative to the corpus folder
    /// (`guides/esim.md`), that path without its extension, or the file stem.
    pub relevant: Vec<String>,
}

/// One line of the questions file; other keys are ignored.
#[derive(Debug, Deserialize)]
struct QuestionLine {
    query: String,
    relevant: Vec<String>,
}

/// Reads a JSON Lines questions file: `{"query": "…", "relevant": ["id", …]}`
/// per line. Blank lines are skipped; anything else that is not such an
/// object is an error naming the line.
pub fn read_questions(path: &Path) -> Result<Vec<Question>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open questions file '{}'", path.display()))?;
    parse_questions(std::io::BufReader::new(file))
        .with_context(|| format!("bad questions file '{}'", path.display()))
}

/// [`read_questions`] on any reader.
pub fn parse_questions(reader: impl BufRead) -> Result<Vec<Question>> {
    let mut questions = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let number = i + 1;
        let line = line.with_context(|| format!("line {number}: cannot read it"))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: QuestionLine = serde_json::from_str(&line).map_err(|err| {
            // serde_json counts lines within this one line: keep the column only.
            let message = err.to_string();
            let message = message.rsplit_once(" at line ").map_or(&*message, |m| m.0);
            anyhow!(
                r#"line {number}, column {}: {message} (expected {{"query": "…", "relevant": ["id", …]}})"#,
                err.column()
            )
        })?;
        let mut relevant: Vec<String> = Vec::with_capacity(parsed.relevant.len());
        for id in parsed.relevant {
            let id = id.trim().to_string();
            if !id.is_empty() && !relevant.contains(&id) {
                relevant.push(id);
            }
        }
        if relevant.is_empty() {
            bail!("line {number}: `relevant` lists no article id");
        }
        questions.push(Question {
            line: number,
            query: parsed.query,
            relevant,
        });
    }
    if questions.is_empty() {
        bail!("no questions in it");
    }
    Ok(questions)
}

/// The ids an article answers to: its path, its path without the
/// extension, and its file stem.
pub fn article_ids(path: &str) -> impl Iterator<Item = &str> {
    let without_ext = match path.rfind('.') {
        Some(dot) if dot > path.rfind('/').map_or(0, |s| s + 1) => &path[..dot],
        _ => path,
    };
    let stem = without_ext.rsplit('/').next().unwrap_or(without_ext);
    [path, without_ext, stem].into_iter()
}

/// Whether the article at `path` is one of `relevant`.
pub fn is_relevant(path: &str, relevant: &HashSet<&str>) -> bool {
    article_ids(path).any(|id| relevant.contains(id))
}

/// Reciprocal rank of the first relevant article in the top `k`, else 0.
/// `ranked[i]` tells whether the article at rank `i + 1` is relevant.
pub fn reciprocal_rank(ranked: &[bool], k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|&rel| rel)
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

/// Share of the `num_relevant` relevant articles found in the top `k`.
pub fn recall(ranked: &[bool], num_relevant: usize, k: usize) -> f64 {
    if num_relevant == 0 {
        return 0.0;
    }
    let found = ranked.iter().take(k).filter(|&&rel| rel).count();
    found as f64 / num_relevant as f64
}

/// Normalized discounted cumulative gain at `k`, binary gains.
pub fn ndcg(ranked: &[bool], num_relevant: usize, k: usize) -> f64 {
    let discount = |i: usize| 1.0 / ((i + 2) as f64).log2();
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, rel)| **rel)
        .map(|(i, _)| discount(i))
        .sum();
    let ideal: f64 = (0..num_relevant.min(k)).map(discount).sum();
    if ideal == 0.0 { 0.0 } else { dcg / ideal }
}

/// The four measures, for one question or averaged over many.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    pub mrr_at_10: f64,
    pub recall_at_10: f64,
    pub recall_at_100: f64,
    pub ndcg_at_10: f64,
}

impl Metrics {
    /// The measures of one ranked list against `num_relevant` relevant articles.
    pub fn of(ranked: &[bool], num_relevant: usize) -> Metrics {
        Metrics {
            mrr_at_10: reciprocal_rank(ranked, 10),
            recall_at_10: recall(ranked, num_relevant, 10),
            recall_at_100: recall(ranked, num_relevant, 100),
            ndcg_at_10: ndcg(ranked, num_relevant, 10),
        }
    }

    /// The mean of each measure; all zero for none.
    pub fn mean(all: &[Metrics]) -> Metrics {
        if all.is_empty() {
            return Metrics::default();
        }
        let n = all.len() as f64;
        let sum = |f: fn(&Metrics) -> f64| all.iter().map(f).sum::<f64>() / n;
        Metrics {
            mrr_at_10: sum(|s| s.mrr_at_10),
            recall_at_10: sum(|s| s.recall_at_10),
            recall_at_100: sum(|s| s.recall_at_100),
            ndcg_at_10: sum(|s| s.ndcg_at_10),
        }
    }
}

/// How one question went.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub line: usize,
    pub query: String,
    pub scores: Metrics,
    /// Time to rank the articles.
    pub took: Duration,
    /// Why the query could not run; it then scores zero.
    pub error: Option<String>,
}

/// The result of an evaluation.
#[derive(Debug, Clone)]
pub struct Report {
    /// Means over all questions, failed ones included as zero.
    pub mean: Metrics,
    /// One per question, in file order.
    pub outcomes: Vec<Outcome>,
    /// Relevant ids (counted once per question) that name no indexed article:
    /// a sign the questions belong to another corpus.
    pub unknown_ids: usize,
    pub total_ids: usize,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

impl Report {
    /// The questions that could not run.
    pub fn failed(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.error.is_some())
    }

    /// The `k` slowest questions, slowest first.
    pub fn slowest(&self, k: usize) -> Vec<&Outcome> {
        let mut all: Vec<&Outcome> = self.outcomes.iter().collect();
        all.sort_by_key(|o| std::cmp::Reverse(o.took));
        all.truncate(k);
        all
    }
}

/// Runs every question through `engine` and scores the rankings.
pub fn evaluate(engine: &Engine, questions: &[Question]) -> Result<Report> {
    let started = Instant::now();
    let known: HashSet<String> = engine
        .article_paths()?
        .iter()
        .flat_map(|p| article_ids(p).map(str::to_string).collect::<Vec<_>>())
        .collect();
    let mut report = Report {
        mean: Metrics::default(),
        outcomes: Vec::with_capacity(questions.len()),
        unknown_ids: 0,
        total_ids: 0,
        elapsed: Duration::ZERO,
    };
    for question in questions {
        report.total_ids += question.relevant.len();
        report.unknown_ids += question
            .relevant
            .iter()
            .filter(|id| !known.contains(id.as_str()))
            .count();
        let relevant: HashSet<&str> = question.relevant.iter().map(String::as_str).collect();
        let timer = Instant::now();
        let result = engine.search_articles(&question.query, DEPTH);
        let took = timer.elapsed();
        let (scores, error) = match result {
            Ok(articles) => {
                let ranked: Vec<bool> = articles
                    .iter()
                    .map(|a| is_relevant(&a.path, &relevant))
                    .collect();
                (Metrics::of(&ranked, relevant.len()), None)
            }
            Err(err) if err.is::<QueryError>() => (Metrics::default(), Some(err.to_string())),
            Err(err) => {
                return Err(err.context(format!(
                    "question on line {}: {}",
                    question.line, question.query
                )));
            }
        };
        report.outcomes.push(Outcome {
            line: question.line,
            query: question.query.clone(),
            scores,
            took,
            error,
        });
    }
    let all: Vec<Metrics> = report.outcomes.iter().map(|o| o.scores).collect();
    report.mean = Metrics::mean(&all);
    report.elapsed = started.elapsed();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: bool = true;
    const F: bool = false;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn reciprocal_rank_is_one_over_the_first_relevant_rank_within_k() {
        assert_eq!(reciprocal_rank(&[T, F, T], 10), 1.0);
        assert_eq!(reciprocal_rank(&[F, F, T], 10), 1.0 / 3.0);
        assert_eq!(reciprocal_rank(&[F, F, F], 10), 0.0);
        assert_eq!(reciprocal_rank(&[], 10), 0.0);
        // Rank 11 is past the cut-off.
        let mut eleventh = vec![F; 10];
        eleventh.push(T);
        assert_eq!(reciprocal_rank(&eleventh, 10), 0.0);
        assert_eq!(reciprocal_rank(&eleventh, 11), 1.0 / 11.0);
    }

    #[test]
    fn recall_counts_relevant_in_the_top_k_over_all_relevant() {
        assert_eq!(recall(&[T, F, T, F], 3, 10), 2.0 / 3.0);
        assert_eq!(recall(&[T, F, T, F], 3, 2), 1.0 / 3.0);
        assert_eq!(recall(&[F, F], 1, 10), 0.0);
        assert_eq!(recall(&[T], 1, 10), 1.0);
        assert_eq!(recall(&[T], 0, 10), 0.0);
    }

    #[test]
    fn ndcg_matches_hand_computed_values() {
        // One relevant at rank 1 of one: perfect.
        assert_eq!(ndcg(&[T, F, F], 1, 10), 1.0);
        // One relevant at rank 2: 1/log2(3).
        assert!(close(ndcg(&[F, T], 1, 10), 1.0 / 3f64.log2()));
        // Two relevant at ranks 1 and 3:
        // DCG = 1 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) ≈ 1.6309.
        let expected = 1.5 / (1.0 + 1.0 / 3f64.log2());
        assert!(close(ndcg(&[T, F, T], 2, 10), expected));
        assert!(close(expected, 0.919_720_789_1), "{expected}");
        // Three relevant, only one found at rank 1: the ideal has all three.
        let ideal3 = 1.0 + 1.0 / 3f64.log2() + 0.5;
        assert!(close(ndcg(&[T], 3, 10), 1.0 / ideal3));
        // The ideal counts at most k relevant articles.
        assert_eq!(ndcg(&[T; 10], 20, 10), 1.0);
        assert_eq!(ndcg(&[F, F], 2, 10), 0.0);
    }

    #[test]
    fn scores_of_a_list_and_their_mean() {
        let a = Metrics::of(&[F, T], 2);
        assert_eq!(a.mrr_at_10, 0.5);
        assert_eq!(a.recall_at_10, 0.5);
        assert_eq!(a.recall_at_100, 0.5);
        assert!(close(
            a.ndcg_at_10,
            (1.0 / 3f64.log2()) / (1.0 + 1.0 / 3f64.log2())
        ));
        let mut deep = vec![F; 50];
        deep.push(T);
        let b = Metrics::of(&deep, 1);
        assert_eq!(b.mrr_at_10, 0.0);
        assert_eq!(b.recall_at_10, 0.0);
        assert_eq!(b.recall_at_100, 1.0);
        let mean = Metrics::mean(&[a, b, Metrics::default()]);
        assert!(close(mean.mrr_at_10, 0.5 / 3.0));
        assert!(close(mean.recall_at_100, 1.5 / 3.0));
        assert_eq!(Metrics::mean(&[]), Metrics::default());
    }

    #[test]
    fn article_ids_are_path_path_without_extension_and_stem() {
        let ids: Vec<&str> = article_ids("guides/esim.md").collect();
        assert_eq!(ids, ["guides/esim.md", "guides/esim", "esim"]);
        let ids: Vec<&str> = article_ids("4436.txt").collect();
        assert_eq!(ids, ["4436.txt", "4436", "4436"]);
        // A dot in a folder name is not an extension.
        let ids: Vec<&str> = article_ids("v1.2/readme").collect();
        assert_eq!(ids, ["v1.2/readme", "v1.2/readme", "readme"]);
        let relevant: HashSet<&str> = ["4436"].into();
        assert!(is_relevant("4436.txt", &relevant));
        assert!(!is_relevant("14436.txt", &relevant));
    }

    #[test]
    fn questions_parse_with_line_numbers_and_extra_keys_ignored() {
        let text = "{\"qid\": \"7\", \"query\": \"在线销户\", \"relevant\": [\"a\", \"b.txt\", \"a\"]}\n\n{\"query\": \"eSIM\", \"relevant\": [\"c\"]}\n";
        let questions = parse_questions(text.as_bytes()).unwrap();
        assert_eq!(questions.len(), 2);
        assert_eq!(questions[0].relevant, ["a", "b.txt"]);
        assert_eq!(questions[1].line, 3);
        assert_eq!(questions[1].query, "eSIM");
    }

    #[test]
    fn bad_lines_are_errors_naming_the_line() {
        let err = |text: &str| format!("{:#}", parse_questions(text.as_bytes()).unwrap_err());
        let msg = err("{\"query\": \"a\", \"relevant\": [\"x\"]}\n{not json\n");
        assert!(msg.contains("line 2"), "{msg}");
        let msg = err("{\"query\": \"a\"}\n");
        assert!(msg.contains("line 1") && msg.contains("relevant"), "{msg}");
        let msg = err("{\"query\": \"a\", \"relevant\": []}\n");
        assert!(
            msg.contains("line 1") && msg.contains("no article id"),
            "{msg}"
        );
        let msg = err("\n\n");
        assert!(msg.contains("no questions"), "{msg}");
    }
}
