//! The eval command: metrics on the seed corpus, and bad question files.

use predicates::prelude::*;
use serde::Deserialize;

use crate::util::TestDir;

/// Four questions on the seed corpus whose metrics follow by hand:
/// 1. the eSIM online passage's article ranks first, the only relevant one:
///    every measure is 1;
/// 2. the material-list article ranks first, but the second relevant id names
///    no article: RR 1, recall 1/2, nDCG 1 / (1 + 1/log2 3);
/// 3. no searchable words: zero everywhere, reported;
/// 4. 注销 is in all five articles, all relevant (ids in every accepted form):
///    every measure is 1.
const QUESTIONS: &str = r#"{"qid": "q1", "query": "eSIM 在线销户", "relevant": ["004_7d910efdc582c7a6"]}
{"query": "线下注销要带哪些材料", "relevant": ["000_faa1a318271c8744.txt", "no-such-article"]}

{"query": "？？？", "relevant": ["001_b72c7b22e203419a"]}
{"query": "注销", "relevant": ["000_faa1a318271c8744", "001_b72c7b22e203419a.txt", "002_62efac3a9b478372", "003_ff423b3c6d56b74a", "004_7d910efdc582c7a6"]}
"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    queries: usize,
    mrr_at_10: f64,
    recall_at_10: f64,
    recall_at_100: f64,
    ndcg_at_10: f64,
    failed: Vec<Failed>,
    unknown_ids: usize,
    total_ids: usize,
    elapsed_ms: f64,
    slowest: Vec<Timed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Failed {
    line: usize,
    query: String,
    error: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Timed {
    line: usize,
    query: String,
    took_ms: f64,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn metrics_on_the_seed_corpus_match_hand_computed_values() {
    let dir = TestDir::with_seed_corpus();
    dir.index();
    dir.create("questions.jsonl", QUESTIONS);
    let out = dir
        .zhsearch()
        .args(["eval", "--queries", "questions.jsonl", "--json", "-n", "2"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "1 of 9 relevant ids name no article",
        ));
    let report: Report = serde_json::from_slice(&out.get_output().stdout).expect("one JSON object");
    let ndcg2 = 1.0 / (1.0 + 1.0 / 3f64.log2());
    assert_eq!(report.queries, 4);
    assert!(close(report.mrr_at_10, 3.0 / 4.0), "{report:?}");
    assert!(close(report.recall_at_10, 2.5 / 4.0), "{report:?}");
    assert!(close(report.recall_at_100, 2.5 / 4.0), "{report:?}");
    assert!(close(report.ndcg_at_10, (2.0 + ndcg2) / 4.0), "{report:?}");
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].line, 4);
    assert_eq!(report.failed[0].query, "？？？");
    assert!(report.failed[0].error.contains("no searchable words"));
    assert_eq!((report.unknown_ids, report.total_ids), (1, 9));
    assert!(report.elapsed_ms > 0.0);
    assert_eq!(report.slowest.len(), 2);
    assert!(report.slowest[0].took_ms >= report.slowest[1].took_ms);
    assert!(!report.slowest[0].query.is_empty() && report.slowest[0].line >= 1);
}

#[test]
fn text_report_names_the_measures_and_the_failed_query() {
    let dir = TestDir::with_seed_corpus();
    dir.create("questions.jsonl", QUESTIONS);
    // No index yet: eval builds it, like search.
    let out = dir
        .zhsearch()
        .args(["eval", "--queries", "questions.jsonl"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(stdout.starts_with("Evaluated 4 queries"), "{stdout}");
    for line in [
        "MRR@10      0.7500",
        "Recall@10   0.6250",
        "Recall@100  0.6250",
        "nDCG@10     0.6533",
        "1 query could not run and counts as zero",
        "line 4: ？？？",
        "Slowest queries:",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}

#[test]
fn missing_questions_file_is_a_runtime_error() {
    let dir = TestDir::with_seed_corpus();
    dir.zhsearch()
        .args(["eval", "--queries", "nope.jsonl"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("nope.jsonl").and(predicate::str::contains("panicked").not()),
        );
}

#[test]
fn bad_json_line_is_an_error_naming_the_line() {
    let dir = TestDir::with_seed_corpus();
    dir.create(
        "questions.jsonl",
        "{\"query\": \"注销\", \"relevant\": [\"a\"]}\n{\"query\": \"注销\", \"relevant\": \"a\"}\n",
    );
    dir.zhsearch()
        .args(["eval", "--queries", "questions.jsonl"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            predicate::str::contains("questions.jsonl")
                .and(predicate::str::contains("line 2"))
                .and(predicate::str::contains("panicked").not()),
        );
    // The file is checked before any index is built.
    assert!(!dir.path().join("index").exists());
}
