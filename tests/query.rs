//! Query syntax, odd queries and exit codes.

use predicates::prelude::*;

use crate::util::TestDir;

#[test]
fn quoted_phrase_requires_the_exact_words_in_order() {
    let dir = TestDir::with_seed_corpus();
    let results = dir.search_json(&["\"在线注销\""]);
    assert!(results.total > 0);
    for hit in &results.hits {
        assert!(
            hit.text.contains("在线注销"),
            "{} lacks the phrase",
            hit.place()
        );
    }
}

#[test]
fn minus_word_excludes_passages_containing_it() {
    let dir = TestDir::with_seed_corpus();
    let all = dir.search_json(&["注销"]);
    assert!(all.hits.iter().any(|h| h.text.contains("营业厅")));
    let results = dir.search_json(&["-n", "100", "注销 -营业厅"]);
    assert!(results.total > 0);
    assert!(results.hits.iter().all(|h| !h.text.contains("营业厅")));
}

#[test]
fn a_separate_minus_word_argument_gets_a_usage_hint() {
    let dir = TestDir::with_seed_corpus();
    dir.zhsearch()
        .args(["search", "注销", "-营业厅"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--"));
    let results = dir.search_json(&["--", "注销", "-营业厅"]);
    assert!(results.total > 0);
    assert!(results.hits.iter().all(|h| !h.text.contains("营业厅")));
}

#[test]
fn syntax_characters_are_read_as_text() {
    let dir = TestDir::with_seed_corpus();
    for query in [
        "\"eSIM",
        "title:",
        "AND",
        "+-",
        "eSIM^2",
        "NTT AND (Docomo",
        "*",
        "销户~2",
    ] {
        dir.zhsearch()
            .args(["search", "--json", query])
            .assert()
            .code(predicate::in_iter([0, 2]))
            .stderr(predicate::str::contains("panicked").not());
    }
    let results = dir.search_json(&["eSIM^2"]);
    assert!(results.total > 0);
}

#[test]
fn very_long_query_runs() {
    let dir = TestDir::with_seed_corpus();
    let query = "日本eSIM卡如何在线注销？".repeat(400);
    assert!(query.chars().count() >= 5000);
    let results = dir.search_json(&[&query]);
    assert!(results.total > 0);
}

#[test]
fn query_without_searchable_words_is_a_usage_error() {
    let dir = TestDir::with_seed_corpus();
    dir.index();
    for query in ["？？？", "", "   ", "-营业厅"] {
        dir.zhsearch()
            .args(["search", "--", query])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("no searchable words"));
    }
}

#[test]
fn no_hits_is_success_with_a_message() {
    let dir = TestDir::with_seed_corpus();
    dir.zhsearch()
        .args(["search", "--color", "never", "量子计算机"])
        .assert()
        .success()
        .stdout(predicate::str::contains("No passages match"));
}
