//! Query understanding: traditional characters, full-width text, synonyms,
//! question phrasing (issue #3).

use crate::util::TestDir;

#[test]
fn traditional_query_finds_simplified_articles() {
    let dir = TestDir::with_seed_corpus();
    let simplified = dir.search_json(&["-n", "5", "线下注销要带哪些材料"]);
    let traditional = dir.search_json(&["-n", "5", "線下註銷要帶哪些材料"]);
    assert_eq!(traditional.hits[0].path, simplified.hits[0].path);
    assert_eq!(traditional.hits[0].line, simplified.hits[0].line);
}

#[test]
fn traditional_article_is_found_by_a_simplified_query_and_marked_as_written() {
    let dir = TestDir::new();
    dir.create(
        "corpus/tw.md",
        "# 指南\n\n您可以在線上辦理註銷，也可以前往營業廳。\n",
    );
    let results = dir.search_json(&["线上注销"]);
    assert_eq!(results.hits[0].path, "tw.md");
    assert!(
        results.hits[0].snippet.contains("<mark>在線上</mark>")
            || results.hits[0].snippet.contains("<mark>線上</mark>"),
        "{}",
        results.hits[0].snippet
    );
    assert!(
        results.hits[0].snippet.contains("<mark>註銷</mark>"),
        "{}",
        results.hits[0].snippet
    );
}

#[test]
fn full_width_query_with_ideographic_space() {
    let dir = TestDir::with_seed_corpus();
    let wide = dir.search_json(&["ｅＳＩＭ　注销"]);
    assert!(wide.total > 0);
    assert!(
        wide.hits[0].snippet.to_lowercase().contains("esim</mark>"),
        "{}",
        wide.hits[0].snippet
    );
}
