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
    let all = dir.search_json(&["--no-collapse", "注销"]);
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

#[test]
fn a_phrase_whose_character_pairs_occur_apart_does_not_match() {
    let dir = TestDir::new();
    // Every pair of 在线注销 (在线, 线注, 注销) occurs here, never in a row.
    dir.create(
        "corpus/apart.md",
        "可以在线咨询。电线注意安全。注销需要本人。\n",
    );
    dir.create("corpus/together.md", "现在支持在线注销。\n");
    let results = dir.search_json(&["\"在线注销\""]);
    assert_eq!(results.total, 1, "{:?}", results.hits);
    assert_eq!(results.hits[0].path, "together.md");
    let hits = dir.search_json(&["在线注销"]);
    assert_eq!(hits.hits[0].path, "together.md", "the phrase ranks first");
}

#[test]
fn a_lone_character_is_found_inside_words_and_at_the_end_of_a_sentence() {
    let dir = TestDir::new();
    dir.create("corpus/end.md", "我买了流量卡\n");
    dir.create("corpus/start.md", "卡片丢失了怎么办\n");
    dir.create("corpus/middle.md", "这张电话卡可以注销\n");
    dir.create("corpus/none.md", "手机没有信号\n");
    let results = dir.search_json(&["-n", "10", "卡"]);
    let mut paths: Vec<&str> = results.hits.iter().map(|h| h.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["end.md", "middle.md", "start.md"]);
    assert_eq!(results.total, 3);
    for hit in &results.hits {
        assert!(hit.snippet.contains("<mark>卡"), "{}", hit.snippet);
    }
    let excluded = dir.search_json(&["手机 -卡"]);
    assert_eq!(excluded.total, 1);
    assert_eq!(excluded.hits[0].path, "none.md");
}

#[test]
fn a_word_in_most_passages_is_left_out_when_the_query_has_rarer_ones() {
    let dir = TestDir::new();
    // 1,200 passages say 注销 (a big corpus: in a small one nothing is left out).
    let steps: String = (0..1200)
        .map(|i| format!("## 第{i}步\n\n注销前先备份，注销后号码作废。\n\n"))
        .collect();
    dir.create("corpus/steps.md", steps);
    dir.create("corpus/fine.md", "逾期未注销会产生罚款。\n");
    let alone = dir.search_json(&["注销"]);
    assert_eq!(
        alone.total, 1201,
        "a query of only common words still searches them"
    );
    let results = dir.search_json(&["--explain", "注销 罚款"]);
    assert_eq!(results.hits[0].path, "fine.md");
    assert_eq!(
        results.total, 1,
        "passages with only the common word do not match"
    );
    let explain = results.explain.expect("--explain adds the query report");
    assert_eq!(explain["common"], serde_json::json!(["注销"]), "{explain}");
    let out = dir
        .zhsearch()
        .args(["search", "--explain", "--color", "never", "注销 罚款"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("common:      注销"), "{text}");
}
