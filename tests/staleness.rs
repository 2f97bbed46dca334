//! Whether the index is stale, as a user sees it (issue #13): a search
//! checks the corpus's folders only, so it notices added, removed and
//! renamed articles (and edits saved by rename) but not an edit in place,
//! which `zhsearch index` and `--refresh` find; and no search reads the
//! articles an index run saw just after they were written.

use std::fs::{self, File};
use std::path::Path;
use std::process::Command as StdCommand;
use std::time::{Duration, SystemTime};

use crate::faults::strace;
use crate::util::TestDir;

fn article(title: &str, body: &str) -> String {
    format!("# {title}\n\n{body}\n")
}

fn stdout_of(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stdout).into_owned()
}

fn stderr_of(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stderr).into_owned()
}

/// Sets the mtime of `path` (a file or a folder) to an hour ago: long
/// settled, as files and folders are that were not just written.
fn age(path: &Path) {
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    File::open(path).unwrap().set_modified(hour_ago).unwrap();
}

/// The paths under `corpus/` that `zhsearch ARGS…` run in `dir` opened or
/// stat'ed, from strace; `None` without strace.
fn corpus_paths_touched(dir: &Path, args: &[&str]) -> Option<Vec<String>> {
    let strace = strace()?;
    let log = dir.join("strace.log");
    let status = StdCommand::new(strace)
        .args(["-f", "-qq", "-o"])
        .arg(&log)
        .args(["-e", "trace=%file"])
        .arg(env!("CARGO_BIN_EXE_zhsearch"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let log = fs::read_to_string(&log).unwrap();
    Some(
        log.lines()
            .filter(|line| line.contains("\"corpus/") && line.contains(".md\""))
            .map(str::to_string)
            .collect(),
    )
}

#[test]
fn i13_no_search_reads_the_articles_an_index_run_saw_just_written() {
    let dir = TestDir::new();
    // Enough files that the run waits out the racy window
    // (`SETTLE_WAIT_FILES`), in four folders, written just before the run.
    for i in 0..1000 {
        let body = format!("第{i}篇文章讲营业厅办理注销。");
        dir.create(&format!("corpus/{}/{i}.md", i % 4), article("注销", &body));
    }
    assert!(dir.index().contains("1000 added"));
    let search = ["search", "-n", "3", "营业厅注销"];
    dir.zhsearch().args(search).assert().success().stderr("");
    let Some(touched) = corpus_paths_touched(dir.path(), &search) else {
        return;
    };
    assert_eq!(touched, Vec::<String>::new(), "a search touched articles");
    // Nor does the whole check (`index`, `/stats`) read them again.
    let Some(touched) = corpus_paths_touched(dir.path(), &["index"]) else {
        return;
    };
    let opened: Vec<&String> = (touched.iter())
        .filter(|line| line.starts_with("openat") || line.contains(" openat("))
        .collect();
    assert!(opened.is_empty(), "index read articles: {opened:?}");
    assert_eq!(touched.len(), 1000, "index stats each article once");
}

#[test]
fn i13_a_search_sees_added_removed_and_renamed_articles_not_edits_in_place() {
    let dir = TestDir::new();
    dir.create("corpus/a.md", article("甲", "营业厅可以办理注销。"));
    dir.create("corpus/sub/b.md", article("乙", "在线也可以注销。"));
    dir.create("corpus/sub/c.md", article("丙", "注销要带身份证。"));
    for path in ["a.md", "sub/b.md", "sub/c.md", "sub", ""] {
        age(&dir.path().join("corpus").join(path));
    }
    dir.index();
    let search = || dir.zhsearch().args(["search", "注销"]).assert().success();
    search().stderr("");

    // Written in place: no folder changes, so the search does not tell…
    dir.create("corpus/a.md", article("甲", "营业厅可以办理销户。"));
    search().stderr("");
    // …but --refresh (and `zhsearch index`) does the whole check.
    let out = dir
        .zhsearch()
        .args(["search", "--refresh", "销户"])
        .assert()
        .success();
    assert!(stderr_of(&out).contains("0 added, 1 updated, 0 removed"));
    assert!(stdout_of(&out).contains("a.md"));
    search().stderr("");

    // Saved the way most editors save (a new file renamed over the old),
    // added, removed: the folder moves, and the warning counts it all.
    dir.create("corpus/sub/.b.md.swp", article("乙", "在线也可以销户。"));
    fs::rename(
        dir.path().join("corpus/sub/.b.md.swp"),
        dir.path().join("corpus/sub/b.md"),
    )
    .unwrap();
    dir.create("corpus/d.md", article("丁", "新文章讲违约金。"));
    fs::remove_file(dir.path().join("corpus/sub/c.md")).unwrap();
    let out = search();
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("changed since the index was built (1 added, 1 changed, 1 removed)"),
        "{stderr}"
    );
}
