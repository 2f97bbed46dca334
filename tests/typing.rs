//! Chinese as people type it (#14): pinyin with the input method off, and
//! the input method's homophone typos, on the seed corpus and fixtures.

use predicates::prelude::*;

use crate::util::{Results, TestDir};

/// The marked stretches of a snippet (adjacent words merge into one).
fn marks(snippet: &str) -> impl Iterator<Item = &str> {
    snippet
        .split("<mark>")
        .skip(1)
        .filter_map(|s| s.split("</mark>").next())
}

fn first(results: &Results) -> (&str, u64) {
    let hit = results.hits.first().expect("a hit");
    (hit.path.as_str(), hit.line)
}

/// Each pinyin form finds first a passage its Han form finds first, marks the
/// Han word as the article writes it, and says what it was read as.
#[test]
fn pinyin_finds_what_the_han_query_finds() {
    let dir = TestDir::with_seed_corpus();
    let forms: [(&str, &str, &str, &str); 8] = [
        // (pinyin, the same in Han, the corrected query, a word to mark)
        ("zhuxiao", "注销", "注销", "注销"),
        ("esim zhuxiao", "esim 注销", "esim 注销", "注销"),
        ("zai xian xiao hu", "在线销户", "在线 销户", "在线"),
        ("yíngyètīng", "营业厅", "营业厅", "营业厅"),
        ("zhu4xiao1", "注销", "注销", "注销"),
        (
            "eSIM卡 zaixian zhuxiao",
            "eSIM卡 在线 注销",
            "eSIM卡 在线 注销",
            "在线",
        ),
        ("线下zhuxiao", "线下注销", "线下注销", "线下"),
        ("yinhang", "银行", "银行", "银行"),
    ];
    for (pinyin, han, corrected, marked) in forms {
        let typed = dir.search_json(&["-n", "3", pinyin]);
        let expected = dir.search_json(&["-n", "3", han]);
        // The reading weighs a little less than the Han words, so close
        // passages may swap places.
        assert!(
            expected
                .hits
                .iter()
                .any(|h| (h.path.as_str(), h.line) == first(&typed)),
            "{pinyin} vs {han}: {:?} not in the first three",
            first(&typed)
        );
        assert_eq!(typed.corrected.as_deref(), Some(corrected), "{pinyin}");
        assert!(
            typed
                .hits
                .iter()
                .any(|h| marks(&h.snippet).any(|m| m.contains(marked))),
            "{pinyin}: {:?}",
            typed.hits.iter().map(|h| &h.snippet).collect::<Vec<_>>()
        );
    }
}

#[test]
fn pinyin_shows_in_explain_and_in_the_terminal() {
    let dir = TestDir::with_seed_corpus();
    let explained = dir.search_json(&["--explain", "zhuxiao"]);
    let query = explained.explain.as_ref().unwrap();
    let expansion = &query["expansions"][0];
    assert_eq!(expansion["word"], "zhuxiao");
    assert_eq!(expansion["source"], "pinyin");
    assert_eq!(expansion["synonyms"][0], "注销");
    assert!(expansion["weight"].as_f64().unwrap() < 1.0, "{expansion}");
    dir.zhsearch()
        .args(["search", "--color", "never", "zai xian xiao hu"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Showing results for “在线 销户”."));
    dir.zhsearch()
        .args(["search", "--color", "never", "--explain", "zhuxiao"])
        .assert()
        .success()
        .stdout(predicate::str::contains("zhuxiao → 注销").and(predicate::str::contains("pinyin")));
}

/// A Latin word the articles use ranks as itself first; the words its
/// letters read as in pinyin, when the articles have them more often, come
/// after it.
#[test]
fn a_latin_word_the_articles_use_stays_itself() {
    let dir = TestDir::new();
    dir.create(
        "corpus/latin.md",
        "# 搜索\n\n用baidu搜索运营商的客服电话。\n",
    );
    dir.create("corpus/han.md", "# 搜索\n\n用百度搜索运营商的客服电话。\n");
    dir.create("corpus/more.md", "# 百度\n\n百度地图能找到营业厅。\n");
    let results = dir.search_json(&["baidu"]);
    assert_eq!(results.hits[0].path, "latin.md", "as typed first");
    assert!(
        results.hits.iter().any(|h| h.path == "han.md"),
        "the pinyin reading is searched too"
    );
    assert_eq!(results.corrected, None, "an article has the word as typed");
    for word in ["esim", "softbank", "docomo", "au"] {
        let explained = TestDir::with_seed_corpus().search_json(&["--explain", word]);
        let expansions = &explained.explain.as_ref().unwrap()["expansions"];
        assert!(
            expansions
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["source"] != "pinyin"),
            "{word}: {expansions}"
        );
    }
}

#[test]
fn a_homophone_typo_searches_the_word_it_should_have_been() {
    let dir = TestDir::with_seed_corpus();
    for (typo, word) in [("营业听", "营业厅"), ("运应商", "运营商")] {
        let results = dir.search_json(&[typo]);
        assert_eq!(results.corrected.as_deref(), Some(word), "{typo}");
        assert!(
            marks(&results.hits[0].snippet).any(|m| m.contains(word)),
            "{typo}: {}",
            results.hits[0].snippet
        );
        // Its own characters count too, so the order may differ a little.
        let expected = dir.search_json(&["-n", "3", word]);
        assert!(
            expected
                .hits
                .iter()
                .any(|h| (h.path.as_str(), h.line) == first(&results)),
            "{typo}"
        );
    }
    // Inside a question too, and shown as the corrected question.
    let question = dir.search_json(&["去营业听注销要带什么"]);
    assert_eq!(question.corrected.as_deref(), Some("去营业厅注销要带什么"));
    dir.zhsearch()
        .args(["search", "--color", "never", "运应商"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Showing results for “运营商”."));
    let explained = dir.search_json(&["--explain", "营业听"]);
    let expansion = &explained.explain.as_ref().unwrap()["expansions"][0];
    assert_eq!(expansion["source"], "homophone");
    // 注消 is in the built-in groups: found either way.
    assert!(!dir.search_json(&["注消"]).hits.is_empty());
}

#[test]
fn a_span_the_articles_have_is_never_corrected() {
    let dir = TestDir::new();
    dir.create(
        "corpus/a.md",
        "# 营业厅\n\n营业厅在车站旁边。\n\n营业厅周末也开。\n",
    );
    dir.create("corpus/b.md", "# 营业听\n\n这家店叫营业听。\n");
    let results = dir.search_json(&["营业听"]);
    assert_eq!(results.corrected, None);
    assert_eq!(results.hits[0].path, "b.md");
    // A correct query is left alone.
    assert_eq!(dir.search_json(&["营业厅"]).corrected, None);
}

#[test]
fn an_index_without_readings_still_searches() {
    let dir = TestDir::with_seed_corpus();
    dir.index();
    std::fs::remove_file(dir.path().join("index/readings.fst")).unwrap();
    let results = dir.search_json(&["注销"]);
    assert!(!results.hits.is_empty());
    let unread = dir.search_json(&["zhuxiao"]);
    assert!(unread.hits.is_empty(), "no readings, no pinyin");
    let notice = unread.notice.as_deref().unwrap_or_default();
    assert!(notice.contains("run `zhsearch index`"), "{notice:?}");
    dir.zhsearch()
        .args(["search", "--color", "never", "esim zhuxiao"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no pinyin readings yet"));
    assert_eq!(
        dir.search_json(&["注销"]).notice,
        None,
        "no pinyin, nothing to say"
    );
    // The next update writes them again, even with nothing to commit.
    dir.index();
    assert!(dir.path().join("index/readings.fst").exists());
    let read = dir.search_json(&["zhuxiao"]);
    assert!(!read.hits.is_empty());
    assert_eq!(read.notice, None);
}

#[test]
fn initials_only_search_behind_their_option() {
    let dir = TestDir::with_seed_corpus();
    assert!(dir.search_json(&["zx"]).hits.is_empty(), "off by default");
    let results = dir.search_json(&["--pinyin-initials", "--explain", "esim zx"]);
    assert_eq!(results.corrected.as_deref(), Some("esim 注销"));
    let expansion = &results.explain.as_ref().unwrap()["expansions"][0];
    assert_eq!(expansion["source"], "pinyin initials");
    assert_eq!(expansion["synonyms"][0], "注销");
    // Initials are ambiguous (zx is 在线 too): the first hit has one of
    // the words they read as, marked.
    let words: Vec<&str> = expansion["synonyms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        marks(&results.hits[0].snippet).any(|m| words.iter().any(|w| m.contains(w))),
        "{}",
        results.hits[0].snippet
    );
    // A word with a vowel is no run of initials.
    let esim = dir.search_json(&["--pinyin-initials", "--explain", "esim"]);
    assert_eq!(
        esim.explain.as_ref().unwrap()["expansions"],
        serde_json::json!([])
    );
}
