//! Query understanding: traditional characters, full-width text, synonyms,
//! question phrasing (issue #3).

use predicates::prelude::*;

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

#[test]
fn each_synonym_family_finds_the_other_words() {
    let dir = TestDir::with_seed_corpus();
    // (query, words of the same family the top passage must contain one of)
    let families: [(&str, &[&str]); 7] = [
        ("销号", &["销户", "注销"]),
        ("解约", &["注销", "销户"]),
        ("网上 销户", &["在线", "线上"]),
        ("门店 注销", &["营业厅", "到店", "线下"]),
        ("软银", &["SoftBank"]),
        ("au 注销", &["KDDI"]),
        ("数据卡", &["流量卡", "电话卡", "手机卡", "SIM卡"]),
    ];
    for (query, expected) in families {
        let results = dir.search_json(&[query]);
        assert!(results.total > 0, "{query} found nothing");
        let top = &results.hits[0];
        let place = format!("{}\n{}", top.heading, top.text);
        assert!(
            expected.iter().any(|w| place.contains(w)),
            "{query}: top is {}",
            top.place()
        );
    }
}

#[test]
fn exact_words_rank_above_synonym_matches() {
    let dir = TestDir::new();
    dir.create(
        "corpus/a.md",
        "# 甲\n\n这一段讲的是如何办理销户手续，以及需要准备的材料。\n",
    );
    dir.create(
        "corpus/b.md",
        "# 乙\n\n这一段讲的是如何办理注销手续，以及需要准备的材料。\n",
    );
    // The two passages differ in one word: shown apart, not folded.
    let results = dir.search_json(&["--no-collapse", "销户 手续"]);
    assert_eq!(results.hits.len(), 2);
    assert_eq!(results.hits[0].path, "a.md");
    assert!(
        results.hits[1].snippet.contains("<mark>注销"),
        "synonym is highlighted"
    );
}

#[test]
fn user_synonym_file_extends_the_table() {
    let dir = TestDir::new();
    dir.create(
        "corpus/a.md",
        "# 甲\n\n在日本办理携号转网的时候要先拿到转出编号。\n",
    );
    dir.create("my-synonyms.txt", "# ours\n号码迁移，携号转网\n");
    let without = dir.search_json(&["号码迁移"]);
    assert!(
        without.hits.iter().all(|h| !h.text.contains("携号转网"))
            || without.total == 0
            || without.hits[0].score < 1.0
    );
    let with = dir.search_json(&["--synonyms", "my-synonyms.txt", "号码迁移"]);
    assert!(
        with.hits[0].snippet.contains("<mark>携号转网</mark>"),
        "{}",
        with.hits[0].snippet
    );
    // The same file inside the corpus is picked up without a flag.
    dir.create("corpus/.zhsearch/synonyms.txt", "号码迁移 携号转网\n");
    let picked = dir.search_json(&["号码迁移"]);
    assert!(
        picked.hits[0].snippet.contains("<mark>携号转网</mark>"),
        "{}",
        picked.hits[0].snippet
    );
}

#[test]
fn user_dictionary_teaches_words_and_a_change_makes_the_index_stale() {
    let dir = TestDir::new();
    dir.create("corpus/a.md", "# 甲\n\n我想买一张樱花卡，听说樱花卡很便宜。\n\n## 乙\n\n樱花开了，我们去看樱花吧，顺便买一张卡。\n");
    dir.index();
    dir.create("corpus/.zhsearch/dict.txt", "樱花卡\n");
    dir.zhsearch()
        .args(["search", "樱花卡"])
        .assert()
        .code(1)
        .stderr(
            predicates::str::contains("stale").and(predicates::str::contains("zhsearch index")),
        );
    dir.index();
    let results = dir.search_json(&["樱花卡"]);
    assert!(results.hits[0].text.starts_with("我想买一张樱花卡"));
    assert!(
        results.hits[0].snippet.contains("<mark>樱花卡</mark>"),
        "{}",
        results.hits[0].snippet
    );
}

#[test]
fn the_index_remembers_its_user_dictionary_and_synonyms() {
    let dir = TestDir::with_seed_corpus();
    dir.create(
        "corpus/sakura.md",
        "# 樱花卡\n\n我想买一张樱花卡，听说它在便利店就能买到。\n",
    );
    dir.create("words/dict.txt", "樱花卡 50 n\n");
    dir.create("words/synonyms.txt", "樱花卡 桜卡\n");
    let built = dir
        .zhsearch()
        .args([
            "index",
            "--dict",
            "words/dict.txt",
            "--synonyms",
            "words/synonyms.txt",
        ])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&built.get_output().stdout).contains("Built"));
    // No flags: the index is not stale, and the synonyms still apply.
    let out = dir
        .zhsearch()
        .args(["search", "--json", "桜卡"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.is_empty(), "{stderr}");
    let results: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(results["hits"][0]["path"], "sakura.md");
    // A plain `zhsearch index` keeps the dictionary instead of rebuilding without it.
    let again = dir.index();
    assert!(again.starts_with("Checked"), "{again}");
    // A flag given later replaces what was remembered.
    dir.create("words/other.txt", "便利店 50 n\n");
    let out = dir
        .zhsearch()
        .args(["index", "--dict", "words/other.txt"])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).starts_with("Rebuilt"));
    let again = dir.index();
    assert!(again.starts_with("Checked"), "{again}");
}

#[test]
fn bad_user_dictionary_line_is_a_clear_error() {
    let dir = TestDir::with_seed_corpus();
    dir.create("dict.txt", "好词 12\n坏词 abc\n");
    dir.zhsearch()
        .args(["index", "--dict", "dict.txt"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("dict.txt, line 2"));
}

#[test]
fn whole_questions_rank_like_their_content_words() {
    let dir = TestDir::with_seed_corpus();
    let question = dir.search_json(&["请问日本的流量卡应该怎么样才能在网上注销呢？"]);
    let keywords = dir.search_json(&["日本 流量卡 网上 注销"]);
    assert_eq!(question.hits[0].path, keywords.hits[0].path);
    assert_eq!(question.hits[0].line, keywords.hits[0].line);
    assert!(
        !question.hits[0].snippet.contains("<mark>怎么"),
        "{}",
        question.hits[0].snippet
    );
}

#[test]
fn single_character_and_two_character_queries() {
    let dir = TestDir::with_seed_corpus();
    assert!(dir.search_json(&["卡"]).total > 20);
    let two = dir.search_json(&["客服"]);
    assert!(
        two.hits[0].snippet.contains("<mark>客服"),
        "{}",
        two.hits[0].snippet
    );
}

#[test]
fn explain_shows_understanding_and_score_parts() {
    let dir = TestDir::with_seed_corpus();
    let out = dir
        .zhsearch()
        .args([
            "search",
            "--explain",
            "--color",
            "never",
            "-n",
            "1",
            "請問eSIM如何網上銷戶",
        ])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains("normalized:  请问esim如何网上销户"),
        "{stdout}"
    );
    assert!(
        stdout.contains("stop words:  请问 如何 (dropped)"),
        "{stdout}"
    );
    assert!(stdout.contains("销户 → 注销"), "{stdout}");
    assert!(stdout.contains("(weight 0.5)"), "{stdout}");
    assert!(stdout.contains(": bm25 "), "{stdout}");
    assert!(stdout.contains("word esim"), "{stdout}");
}

/// `search --json --explain -n LIMIT QUERY` on the seed corpus, parsed.
fn explained_on_seed_corpus(limit: &str, query: &str) -> serde_json::Value {
    let dir = TestDir::with_seed_corpus();
    let out = dir
        .zhsearch()
        .args(["search", "--json", "--explain", "-n", limit, query])
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

#[test]
fn json_explain_carries_the_same_as_data() {
    let value = explained_on_seed_corpus("2", "网上销户");
    let explain = &value["explain"];
    assert_eq!(explain["normalized"], "网上销户");
    assert!(
        explain["words"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "销户")
    );
    let expansion = explain["expansions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["word"] == "销户")
        .expect("销户 is expanded");
    assert_eq!(expansion["weight"], 0.5);
    let hit = &value["hits"][0]["explain"];
    let parts = hit["parts"].as_array().unwrap();
    assert!(!parts.is_empty());
    let sum: f64 = parts.iter().map(|p| p["score"].as_f64().unwrap()).sum();
    let bm25 = hit["bm25"].as_f64().unwrap();
    assert!(
        (sum - bm25).abs() < 1e-3 * bm25.max(1.0),
        "parts {sum} vs bm25 {bm25}"
    );
    assert!(
        parts
            .iter()
            .any(|p| p["fields"].as_array().is_some_and(|f| !f.is_empty()))
    );
}

#[test]
fn synonyms_of_a_word_no_passage_has_count_in_full() {
    // The seed articles never say 网上 (they say 在线), but do say 注销.
    let value = explained_on_seed_corpus("1", "网上注销");
    let weight_of = |word: &str| {
        value["explain"]["expansions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["word"] == word)
            .unwrap_or_else(|| panic!("{word} is expanded: {value}"))["weight"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(weight_of("网上"), 1.0);
    assert_eq!(weight_of("注销"), 0.5);
    assert!(
        value["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>在线"),
        "{value}"
    );
}

#[test]
fn everyday_words_find_the_formal_ones_articles_use() {
    let dir = TestDir::with_seed_corpus();
    // The passage about a device that is 丢失或被盗, asked about in everyday words.
    let stolen = dir.search_json(&["设备被偷了"]);
    let top = &stolen.hits[0];
    assert_eq!(
        (top.path.as_str(), top.line),
        ("003_ff423b3c6d56b74a.txt", 33),
        "the passage that says 被盗"
    );
    assert!(
        stolen.hits[0].snippet.contains("<mark>被盗</mark>"),
        "{}",
        stolen.hits[0].snippet
    );
    // The issue's own question: a phone 丢了 or 被偷了, where the article
    // says 设备丢失或被盗 (丢了 → 丢失 goes one way, data/everyday.txt).
    let lost = dir.search_json(&["手机丢了或者被偷了"]);
    let top = &lost.hits[0];
    assert_eq!(
        (top.path.as_str(), top.line),
        ("003_ff423b3c6d56b74a.txt", 33),
        "{}",
        top.snippet
    );
    assert!(top.snippet.contains("<mark>丢失</mark>"), "{}", top.snippet);
    // A card that 过期了: the passage where a card 自动失效 comes up too.
    let expired = dir.search_json(&["-n", "3", "卡过期了怎么办"]);
    let places: Vec<(&str, u64)> = expired
        .hits
        .iter()
        .map(|h| (h.path.as_str(), h.line))
        .collect();
    assert!(
        places.contains(&("003_ff423b3c6d56b74a.txt", 21)),
        "{places:?}"
    );
}

#[test]
fn a_variant_spelling_no_article_has_searches_the_standard_one() {
    let dir = TestDir::with_seed_corpus();
    let results = dir.search_json(&["身分证"]);
    assert_eq!(results.corrected.as_deref(), Some("身份证"));
    assert!(!results.hits.is_empty());
    assert!(
        results.hits[0].snippet.contains("<mark>身份证</mark>"),
        "marked as the article writes it: {}",
        results.hits[0].snippet
    );
    // Within a question, the corrected question is what is shown.
    let question = dir.search_json(&["注销需要带身分证吗"]);
    assert_eq!(question.corrected.as_deref(), Some("注销需要带身份证吗"));
    dir.zhsearch()
        .args(["search", "--color", "never", "帐号"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Showing results for “账号”."));
    let explained = dir.search_json(&["--explain", "帐号"]);
    let corrections = &explained.explain.as_ref().unwrap()["corrections"];
    assert_eq!(corrections[0]["typed"], "帐号");
    assert_eq!(corrections[0]["corrected"], "账号");
    // The standard spelling is searched as it is: nothing to correct.
    assert_eq!(dir.search_json(&["身份证"]).corrected, None);
}

#[test]
fn a_variant_spelling_the_articles_use_is_searched_as_typed() {
    let dir = TestDir::new();
    dir.create("corpus/old.md", "# 旧写法\n\n登录帐号后办理注销。\n");
    dir.create("corpus/new.md", "# 新写法\n\n登录账号后办理注销。\n");
    let results = dir.search_json(&["帐号"]);
    assert_eq!(results.corrected, None, "an article has 帐号");
    assert_eq!(results.hits[0].path, "old.md", "as typed ranks first");
    assert!(
        results.hits.iter().any(|h| h.path == "new.md"),
        "the standard spelling is still found"
    );
}
