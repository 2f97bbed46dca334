//! `search --in PATH`: a search restricted to part of the corpus, answered
//! from the index (#13).

use serde_json::{Value, json};

use crate::util::server::Server;
use crate::util::{Results, TestDir};

/// Articles in subfolders, each with passages on cancelling a card, so
/// every query below matches in every folder.
fn corpus() -> TestDir {
    let dir = TestDir::new();
    let article = |title: &str, body: &str| format!("# {title}\n\n{body}\n");
    dir.create(
        "corpus/guides/esim/cancel.md",
        article(
            "eSIM注销",
            "在线注销eSIM卡很方便。\n\n## 营业厅\n\n也可以去营业厅注销手机卡。",
        ),
    );
    dir.create(
        "corpus/guides/esim/faq-1.md",
        article("eSIM常见问题", "eSIM卡在线注销需要身份证。"),
    );
    dir.create(
        "corpus/guides/esim2/faq-2.md",
        article("第二代eSIM", "第二代eSIM卡也支持在线注销。"),
    );
    dir.create(
        "corpus/guides/roaming/faq-3.md",
        article("漫游", "漫游期间注销手机卡要先回国。"),
    );
    dir.create(
        "corpus/notes/card.txt",
        "手机卡注销笔记\n\n记得注销前备份eSIM卡的资料。\n",
    );
    dir.create("corpus/top.md", article("总览", "各种手机卡的注销方法。"));
    dir.index();
    dir
}

fn paths(results: &Results) -> Vec<&str> {
    results.hits.iter().map(|h| h.path.as_str()).collect()
}

#[test]
fn a_folder_filter_returns_only_passages_below_it() {
    let dir = corpus();
    let all = dir.search_json(&["注销"]);
    assert!(paths(&all).iter().any(|p| p.starts_with("guides/esim2/")));
    assert_eq!(all.within, None, "no `in` without filters");
    for given in ["guides/esim", "guides/esim/", "./guides/esim"] {
        let results = dir.search_json(&["--in", given, "注销"]);
        let found = paths(&results);
        assert!(!found.is_empty(), "{given}");
        assert!(
            found.iter().all(|p| p.starts_with("guides/esim/")),
            "{given}: {found:?}"
        );
        assert_eq!(results.within.as_deref(), Some(&[given.to_string()][..]));
        assert_eq!(results.in_articles, Some(2));
        assert_eq!(results.notice, None);
    }
    let file = dir.search_json(&["--in", "notes/card.txt", "注销"]);
    assert_eq!(paths(&file), ["notes/card.txt"]);
}

#[test]
fn a_glob_filter_matches_whole_paths() {
    let dir = corpus();
    let results = dir.search_json(&["--in", "guides/*/faq-*.md", "注销"]);
    let mut found = paths(&results);
    found.sort();
    assert_eq!(
        found,
        [
            "guides/esim/faq-1.md",
            "guides/esim2/faq-2.md",
            "guides/roaming/faq-3.md"
        ]
    );
    let txt = dir.search_json(&["--in", "**/*.txt", "注销"]);
    assert_eq!(paths(&txt), ["notes/card.txt"]);
}

#[test]
fn repeated_filters_are_ored() {
    let dir = corpus();
    let results = dir.search_json(&["--in", "guides/esim2", "--in", "*.md", "注销"]);
    let mut found = paths(&results);
    found.sort();
    found.dedup();
    assert_eq!(found, ["guides/esim2/faq-2.md", "top.md"]);
    assert_eq!(results.in_articles, Some(2));
}

#[test]
fn a_filter_matching_nothing_says_so_and_exits_as_for_no_match() {
    let dir = corpus();
    dir.zhsearch()
        .args(["search", "--in", "guides/x", "注销"])
        .assert()
        .code(0)
        .stdout("No passages match “注销”.\nNo indexed article is under 'guides/x'.\n");
    let results = dir.search_json(&["--in", "guides/x", "--in", "*.pdf", "注销"]);
    assert_eq!(results.total, 0);
    assert!(results.hits.is_empty());
    assert_eq!(results.in_articles, Some(0));
    assert_eq!(
        results.notice.as_deref(),
        Some("No indexed article is under 'guides/x' or matches '*.pdf'.")
    );
}

#[test]
fn a_bad_filter_is_a_usage_error_in_one_sentence() {
    let dir = corpus();
    for bad in ["", "/etc", "../x", "guides/../..", "a/[b"] {
        let out = dir
            .zhsearch()
            .args(["search", "--in", bad, "注销"])
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert_eq!(stderr.lines().count(), 1, "{bad}: {stderr}");
        assert!(stderr.contains("--in"), "{bad}: {stderr}");
    }
}

/// A filtered query ranks the passages of the unfiltered ranking inside the
/// filter, in the same order with the same BM25, whether the query runs in
/// two phases (plain words) or whole (a quoted phrase). The final score is
/// not compared: coverage weighs concepts by how few candidates have them,
/// and the candidates are the filter's.
#[test]
fn a_filtered_ranking_is_the_unfiltered_one_restricted() {
    let dir = corpus();
    let ranked = |results: &Results| -> Vec<(String, u64, f64)> {
        results
            .hits
            .iter()
            .map(|h| {
                let bm25 = h.explain.as_ref().expect("--explain")["bm25"]
                    .as_f64()
                    .expect("bm25");
                (h.path.clone(), h.line, bm25)
            })
            .collect()
    };
    for query in ["eSIM 在线注销", "注销 手机卡", "\"在线注销\""] {
        let all = ranked(&dir.search_json(&["--explain", query]));
        let mut compared = 0;
        for filter in ["guides/esim", "**/*.txt", "guides/*/faq-*.md"] {
            let filtered = dir.search_json(&["--explain", "--in", filter, query]);
            let inside = |p: &str| match filter {
                "guides/esim" => p.starts_with("guides/esim/"),
                "**/*.txt" => p.ends_with(".txt"),
                _ => p.starts_with("guides/") && p.contains("/faq-"),
            };
            let by_hand: Vec<&(String, u64, f64)> =
                all.iter().filter(|(p, _, _)| inside(p)).collect();
            let got = ranked(&filtered);
            compared += got.len();
            assert_eq!(got.len(), by_hand.len(), "{query} in {filter}");
            for (g, h) in got.iter().zip(&by_hand) {
                assert_eq!((&g.0, g.1), (&h.0, h.1), "{query} in {filter}: the order");
                assert!((g.2 - h.2).abs() < 1e-4, "{query} in {filter}: {g:?} {h:?}");
            }
            assert_eq!(filtered.total, by_hand.len(), "{query} in {filter}");
        }
        assert!(compared > 1, "{query}: passages to compare");
    }
    assert!(
        dir.search_json(&["\"在线注销\""]).total < dir.search_json(&["注销"]).total,
        "the phrase constrains"
    );
}

#[test]
fn batch_applies_the_filters_to_every_line() {
    let dir = corpus();
    dir.create("queries.txt", "注销\neSIM\n");
    let out = dir
        .zhsearch()
        .args(["search", "--batch", "queries.txt", "--in", "guides/esim"])
        .assert()
        .success();
    let lines: Vec<Results> = String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    for results in &lines {
        assert!(!results.hits.is_empty(), "{}", results.query);
        assert!(paths(results).iter().all(|p| p.starts_with("guides/esim/")));
        assert_eq!(results.in_articles, Some(2));
    }
}

#[test]
fn explain_shows_the_filter_and_its_articles() {
    let dir = corpus();
    dir.zhsearch()
        .args(["search", "--explain", "--in", "guides", "注销"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "  in:          guides (4 indexed articles)",
        ));
}

#[test]
fn the_server_filters_get_post_and_multi_search() {
    let dir = corpus();
    let server = Server::start(&dir, &[]);
    let only_esim = |answer: &Value| {
        let hits = answer["hits"].as_array().expect("hits");
        assert!(!hits.is_empty(), "{answer}");
        for hit in hits {
            let path = hit["path"].as_str().unwrap();
            assert!(
                path.starts_with("guides/esim/") || path == "top.md",
                "{path}"
            );
        }
    };
    let got = server.search("注销", "&in=guides%2Fesim&in=top.md");
    assert_eq!(got.status, 200, "{}", got.body);
    let answer = got.json();
    only_esim(&answer);
    assert_eq!(answer["in"], json!(["guides/esim", "top.md"]));
    assert_eq!(answer["in_articles"], 3);
    let posted = server.post(
        "/search",
        &json!({"q": "注销", "in": ["guides/esim", "top.md"]}).to_string(),
    );
    assert_eq!(posted.status, 200, "{}", posted.body);
    only_esim(&posted.json());
    let multi = server.post(
        "/multi-search",
        &json!({"queries": [{"q": "注销", "in": ["guides/esim", "top.md"]}, {"q": "注销"}]})
            .to_string(),
    );
    assert_eq!(multi.status, 200, "{}", multi.body);
    let results = &multi.json()["results"];
    only_esim(&results[0]);
    assert!(results[1].get("in").is_none());
    let bad = server.search("注销", "&in=..%2Fetc");
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.error_code(), "bad_filter");
    let bad = server.post("/search", &json!({"q": "注销", "in": [""]}).to_string());
    assert_eq!(bad.error_code(), "bad_filter");
}
