//! What the walk of a corpus leaves out: `.zhsearchignore` files, symlink loops.

use std::collections::BTreeSet;

use crate::util::TestDir;

fn article(title: &str, body: &str) -> String {
    format!("# {title}\n\n{body}\n")
}

/// The articles `文章` finds in the index: every file of these corpora says it.
fn indexed(dir: &TestDir) -> BTreeSet<String> {
    // Every article says the same: keep the copies apart to list them all.
    let results = dir.search_json(&["-n", "100", "--no-collapse", "文章"]);
    results.hits.into_iter().map(|hit| hit.path).collect()
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

fn stderr_of(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stderr).into_owned()
}

#[test]
fn a_zhsearchignore_excludes_files_and_folders_at_any_level() {
    let dir = TestDir::new();
    for path in [
        "corpus/a.md",
        "corpus/draft.md",
        "corpus/草稿/b.md",
        "corpus/sub/c.md",
        "corpus/sub/keep.md",
        "corpus/sub/skip.txt",
        "corpus/sub/deep/d.md",
    ] {
        dir.create(path, article("标题", "这篇文章讲营业厅。"));
    }
    dir.create("corpus/.zhsearchignore", "draft.md\n草稿/\n");
    // A nested file, relative to its own folder; `!` takes a file back.
    dir.create("corpus/sub/.zhsearchignore", "*.md\n!keep.md\n*.txt\n");
    // git's files are not read: an article folder in a repository keeps them.
    dir.create("corpus/.gitignore", "a.md\n");
    dir.create("corpus/.git/info/exclude", "a.md\n");
    let out = dir.index();
    assert!(out.contains("2 added"), "{out}");
    assert_eq!(
        indexed(&dir),
        set(&["a.md", "sub/keep.md"]),
        "sub/deep/d.md is matched by sub's `*.md`"
    );
}

#[test]
fn search_honours_the_zhsearchignore_and_index_removes_newly_ignored_articles() {
    let dir = TestDir::new();
    dir.create("corpus/a.md", article("甲", "甲文章讲营业厅。"));
    dir.create("corpus/b.md", article("乙", "乙文章讲在线注销。"));
    dir.create("corpus/notes/c.md", article("丙", "丙文章讲违约金。"));
    dir.create("corpus/.zhsearchignore", "scratch.md\n");
    dir.index();
    assert_eq!(indexed(&dir), set(&["a.md", "b.md", "notes/c.md"]));

    // A new file that is ignored does not make the index stale.
    dir.create("corpus/scratch.md", article("草", "草稿文章。"));
    let out = dir.zhsearch().args(["search", "文章"]).assert().success();
    assert_eq!(stderr_of(&out), "");

    // Ignoring articles that are indexed: `search` says they went, `index`
    // removes them.
    dir.create("corpus/.zhsearchignore", "scratch.md\nb.md\nnotes/\n");
    let out = dir.zhsearch().args(["search", "文章"]).assert().success();
    assert!(
        stderr_of(&out).contains("(0 added, 0 changed, 2 removed)"),
        "{}",
        stderr_of(&out)
    );
    let out = dir.index();
    assert!(out.contains("2 removed"), "{out}");
    assert_eq!(indexed(&dir), set(&["a.md"]));
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_neither_hangs_nor_errors() {
    let dir = TestDir::new();
    dir.create("corpus/a.md", article("甲", "甲文章讲营业厅。"));
    dir.create("corpus/sub/b.md", article("乙", "乙文章讲在线注销。"));
    // Back to the corpus, back to its own folder, and a folder linked twice.
    std::os::unix::fs::symlink("..", dir.path().join("corpus/sub/up")).unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("corpus/sub/here")).unwrap();
    std::os::unix::fs::symlink("sub", dir.path().join("corpus/again")).unwrap();
    let out = dir.zhsearch().arg("index").assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains("2 added") && stdout.contains("0 skipped"),
        "{stdout}"
    );
    assert_eq!(stderr_of(&out), "");
    assert_eq!(indexed(&dir), set(&["a.md", "sub/b.md"]));
    let out = dir.zhsearch().args(["search", "文章"]).assert().success();
    assert_eq!(stderr_of(&out), "");
}
