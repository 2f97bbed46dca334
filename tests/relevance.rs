//! Ranking on the seed corpus: natural questions put the obviously right
//! passage first.

use crate::util::TestDir;

#[test]
fn esim_online_cancellation_ranks_the_esim_online_passage_first() {
    let dir = TestDir::with_seed_corpus();
    let results = dir.search_json(&["eSIM 在线销户"]);
    let top = &results.hits[0];
    assert_eq!(top.path, "004_7d910efdc582c7a6.txt", "top: {}", top.place());
    assert_eq!(top.heading, "三、eSIM卡的注销方法 › 2. 在线注销");
}

#[test]
fn what_to_bring_for_in_store_cancellation_ranks_the_material_list_first() {
    let dir = TestDir::with_seed_corpus();
    let results = dir.search_json(&["线下注销要带哪些材料"]);
    let top = &results.hits[0];
    assert_eq!(top.path, "000_faa1a318271c8744.txt", "top: {}", top.place());
    assert!(top.heading.ends_with("3. 线下注销"), "top: {}", top.place());
    assert!(top.text.contains("身份证件原件"), "top text: {}", top.text);
}

#[test]
fn after_cancellation_question_ranks_an_after_care_passage_first() {
    let dir = TestDir::with_seed_corpus();
    let results = dir.search_json(&["注销后还要注意什么"]);
    let top = &results.hits[0];
    assert!(
        top.heading.contains("注销后的注意事项"),
        "top: {}",
        top.place()
    );
}

#[test]
fn passages_matching_more_query_words_outrank_repeats_of_one_word() {
    let dir = TestDir::new();
    dir.create(
        "corpus/a.md",
        "# 甲\n\n注销注销注销注销注销，注销是常见的操作，很多人都会注销。\n\n## 乙\n\n营业厅可以办理注销手续，请带好护照。\n",
    );
    let results = dir.search_json(&["营业厅 注销"]);
    assert!(
        results.hits[0].text.starts_with("营业厅"),
        "{:?}",
        results.hits[0].text
    );
}

#[test]
fn single_characters_and_partial_words_are_found() {
    let dir = TestDir::with_seed_corpus();
    let results = dir.search_json(&["卡"]);
    assert!(
        results.total > 10,
        "卡 should match many passages: {}",
        results.total
    );
    assert!(results.hits[0].snippet.contains("<mark>卡</mark>"));
    // 量卡 is not a word, but a substring of 流量卡.
    let results = dir.search_json(&["量卡"]);
    assert!(results.total > 0);
    assert!(results.hits[0].text.contains("流量卡"));
}

#[test]
fn latin_words_inside_chinese_match_both_ways() {
    let dir = TestDir::with_seed_corpus();
    let results = dir.search_json(&["esim"]);
    assert!(results.hits.iter().any(|h| h.text.contains("eSIM卡")));
    assert!(
        results.hits[0]
            .snippet
            .to_lowercase()
            .contains("<mark>esim</mark>")
    );
}

#[test]
fn full_width_query_finds_the_same_as_ascii() {
    let dir = TestDir::with_seed_corpus();
    let ascii = dir.search_json(&["esim 注销"]);
    let wide = dir.search_json(&["ｅＳＩＭ　注销"]);
    let key = |r: &crate::util::Results| {
        r.hits
            .iter()
            .map(|h| (h.path.clone(), h.line))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&ascii), key(&wide));
}

#[test]
fn ranks_do_not_depend_on_the_limit() {
    // Only the top 50 by BM25 are re-scored by coverage; asking for more
    // passages must not reorder the first ones (eval ranks 1000 passages).
    let dir = TestDir::with_seed_corpus();
    let key = |r: &crate::util::Results| {
        r.hits
            .iter()
            .map(|h| (h.path.clone(), h.line))
            .collect::<Vec<_>>()
    };
    for query in ["注销", "线下注销要带哪些材料"] {
        let short = dir.search_json(&["-n", "10", query]);
        let long = dir.search_json(&["-n", "70", query]);
        assert_eq!(key(&short), key(&long)[..10], "{query}");
        let scores: Vec<f32> = long.hits.iter().map(|h| h.score).collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "scores rise down the list: {scores:?}"
        );
    }
}

#[test]
fn results_past_the_first_page_include_passages_that_answer_in_other_words() {
    let dir = TestDir::new();
    for i in 0..11 {
        dir.create(
            &format!("corpus/steps{i:02}.md"),
            format!("注销流程第{i}步：携带护照和在留卡去窗口办理。\n"),
        );
    }
    // Says nothing of 注销 or 流程, but what the best passages say.
    dir.create("corpus/bring.md", "办理时请携带护照、在留卡前往窗口。\n");
    dir.create("corpus/weather.md", "今天天气很好，适合散步。\n");
    // The steps are near-duplicates of one another: shown apart here.
    let first_page = dir.search_json(&["-n", "10", "--no-collapse", "注销流程"]);
    assert!(first_page.hits.iter().all(|h| h.path != "bring.md"));
    let deeper = dir.search_json(&["-n", "30", "--no-collapse", "注销流程"]);
    let paths: Vec<&str> = deeper.hits.iter().map(|h| h.path.as_str()).collect();
    let first: Vec<&str> = first_page.hits.iter().map(|h| h.path.as_str()).collect();
    assert_eq!(paths[..10], first[..], "the first page does not change");
    let at = paths.iter().position(|p| *p == "bring.md");
    assert!(at.is_some_and(|at| at >= 10), "{paths:?}");
    assert!(!paths.contains(&"weather.md"), "{paths:?}");
    assert!(deeper.hits.windows(2).all(|w| w[0].score >= w[1].score));
    // --explain says which terms brought it.
    let explained = dir.search_json(&["--explain", "-n", "30", "注销流程"]);
    let bring = explained
        .hits
        .iter()
        .find(|h| h.path == "bring.md")
        .unwrap();
    let parts = &bring.explain.as_ref().unwrap()["parts"];
    let clauses: Vec<&str> = parts
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["clause"].as_str())
        .collect();
    assert!(
        clauses
            .iter()
            .any(|c| c.starts_with("feedback ") && c.contains("护照")),
        "{clauses:?}"
    );
}

/// Issue #11: passages with equal scores come in path order, then line
/// order, whatever segments the writer's threads put them in (main ordered
/// such ties differently from one build to the next).
#[test]
fn passages_with_equal_scores_are_ordered_by_path_then_line() {
    let dir = TestDir::new();
    let passage = "可以在线注销eSIM卡，也可以去营业厅办理。";
    let names = [
        "d.md", "a.md", "f.md", "c.md", "e.md", "b.md", "h.md", "g.md",
    ];
    for name in names {
        let text = format!("# 指南\n\n{passage}\n\n## 二\n\n{passage}\n");
        dir.create(&format!("corpus/{name}"), text);
    }
    for _ in 0..3 {
        dir.zhsearch()
            .args(["index", "--rebuild"])
            .assert()
            .success();
        let results = dir.search_json(&["在线注销", "-n", "16", "--no-collapse"]);
        let places: Vec<String> = results
            .hits
            .iter()
            .map(|h| format!("{}:{}", h.path, h.line))
            .collect();
        let mut sorted = names.to_vec();
        sorted.sort();
        let expected: Vec<String> = sorted
            .iter()
            .flat_map(|n| [format!("{n}:3"), format!("{n}:7")])
            .collect();
        assert_eq!(places, expected);
    }
}
