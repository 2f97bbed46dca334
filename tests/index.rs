//! The index command.

use predicates::prelude::*;

use crate::util::TestDir;

#[test]
fn index_reports_articles_and_passages() {
    let dir = TestDir::with_seed_corpus();
    let out = dir.index();
    assert!(out.contains("5 added"), "{out}");
    assert!(out.contains("0 skipped"), "{out}");
}

#[test]
fn search_builds_a_missing_index_first_and_says_so() {
    let dir = TestDir::with_seed_corpus();
    dir.zhsearch()
        .args(["search", "eSIM"])
        .assert()
        .success()
        .stderr(predicate::str::contains("building it"));
    assert!(dir.path().join("index/meta.json").exists());
    // The second search uses it silently.
    dir.zhsearch()
        .args(["search", "eSIM"])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn custom_corpus_and_index_folders() {
    let dir = TestDir::new();
    dir.create(
        "docs/guide.md",
        "# 指南\n\n营业厅办理销户需要护照和在留卡。\n",
    );
    dir.zhsearch()
        .args(["index", "--corpus", "docs", "--index", "idx"])
        .assert()
        .success();
    let results = dir.search_json(&["--corpus", "docs", "--index", "idx", "销户"]);
    assert_eq!(results.hits[0].path, "guide.md");
    assert_eq!(results.hits[0].line, 3);
    assert_eq!(results.hits[0].title, "指南");
}

#[test]
fn articles_in_subfolders_use_relative_paths() {
    let dir = TestDir::new();
    dir.create("corpus/sub/dir/a.md", "# 标题\n\n软银的解约流程很简单。\n");
    dir.create("corpus/ignored.pdf", "not an article");
    let out = dir.index();
    assert!(out.contains("1 added"), "{out}");
    let results = dir.search_json(&["软银"]);
    assert_eq!(results.hits[0].path, "sub/dir/a.md");
}

#[test]
fn missing_corpus_is_a_clear_error() {
    let dir = TestDir::new();
    dir.zhsearch()
        .args(["index", "--corpus", "nope"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nope").and(predicate::str::contains("panicked").not()));
}

#[test]
fn bad_files_are_skipped_with_a_reason_and_the_rest_indexed() {
    let dir = TestDir::new();
    dir.create("corpus/good.md", "# 好\n\n营业厅可以办理注销。\n");
    dir.create("corpus/empty.md", "   \n");
    dir.create("corpus/binary.txt", b"\x00\x01\x02\x03binary");
    let out =
        dir.zhsearch().arg("index").assert().success().stderr(
            predicate::str::contains("empty.md").and(predicate::str::contains("binary.txt")),
        );
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(stdout.contains("1 added"), "{stdout}");
    assert!(stdout.contains("2 skipped"), "{stdout}");
}

#[test]
fn an_index_folder_that_is_the_corpus_folder_is_named_as_the_problem() {
    let dir = TestDir::with_seed_corpus();
    let out = dir
        .zhsearch()
        .args(["index", "--corpus", "corpus", "--index", "corpus"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("is the corpus folder itself"), "{stderr}");
    assert!(!dir.path().join("corpus/meta.json").exists());
}
