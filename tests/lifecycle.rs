//! The index over time: incremental updates, stale-index notices, locking,
//! damaged and incompatible indexes, and runs killed halfway.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use predicates::prelude::*;

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

/// The index's `meta.json`, parsed.
fn meta(dir: &TestDir) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.path().join("index/meta.json")).unwrap()).unwrap()
}

/// The index's `meta.json` payload, parsed.
fn payload(dir: &TestDir) -> serde_json::Value {
    serde_json::from_str(meta(dir)["payload"].as_str().unwrap()).unwrap()
}

/// Rewrites the index's `meta.json` payload.
fn set_payload(dir: &TestDir, payload: &serde_json::Value) {
    let path = dir.path().join("index/meta.json");
    let mut meta: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    meta["payload"] = serde_json::Value::String(payload.to_string());
    fs::write(&path, serde_json::to_vec(&meta).unwrap()).unwrap();
}

#[test]
fn updates_are_incremental_and_summarised() {
    let dir = TestDir::new();
    dir.create(
        "corpus/a.md",
        article("甲", "甲文章讲营业厅办理销户的流程。"),
    );
    dir.create(
        "corpus/b.md",
        article("乙", "乙文章讲在线注销的步骤和材料。"),
    );
    dir.create("corpus/c.md", article("丙", "丙文章讲携号转网之前的准备。"));
    dir.create("corpus/d.md", article("丁", "丁文章讲流量卡的套餐选择。"));
    let out = dir.index();
    assert!(
        out.contains("4 added, 0 updated, 0 removed, 0 unchanged, 0 skipped"),
        "{out}"
    );

    dir.create(
        "corpus/a.md",
        article("甲", "甲文章改写了，现在讲护照和在留卡。"),
    );
    let b = dir.path().join("corpus/b.md");
    let content = fs::read(&b).unwrap();
    fs::write(&b, content).unwrap(); // touched, same content
    fs::remove_file(dir.path().join("corpus/c.md")).unwrap();
    fs::rename(
        dir.path().join("corpus/d.md"),
        dir.path().join("corpus/renamed.md"),
    )
    .unwrap();
    dir.create(
        "corpus/new/e.md",
        article("戊", "戊文章讲软银解约的违约金。"),
    );
    let out = dir.index();
    assert!(
        out.contains("2 added, 1 updated, 2 removed, 1 unchanged, 0 skipped"),
        "{out}"
    );
    assert!(out.contains("4 articles"), "{out}");

    assert_eq!(
        dir.search_json(&["营业厅"]).total,
        0,
        "old text of a.md is gone"
    );
    assert_eq!(dir.search_json(&["在留卡"]).hits[0].path, "a.md");
    assert_eq!(dir.search_json(&["携号转网"]).total, 0, "c.md is gone");
    assert_eq!(dir.search_json(&["套餐"]).hits[0].path, "renamed.md");
    assert_eq!(dir.search_json(&["违约金"]).hits[0].path, "new/e.md");

    // Nothing changed: nothing to do.
    let out = dir.index();
    assert!(
        out.contains(
            "0 added, 0 updated, 0 removed, 4 unchanged, 0 skipped; 4 articles, 4 passages"
        ),
        "{out}"
    );
}

#[test]
fn a_same_size_rewrite_is_found_by_its_hash() {
    let dir = TestDir::new();
    dir.create("corpus/a.md", article("甲", "营业厅可以办理注销。"));
    dir.index();
    // Same length, same second: only the content hash can tell.
    dir.create("corpus/a.md", article("甲", "营业厅可以办理销户。"));
    let out = dir.index();
    assert!(out.contains("1 updated"), "{out}");
    assert_eq!(dir.search_json(&["\"办理销户\""]).total, 1);
}

#[test]
fn a_file_turning_bad_leaves_the_index_and_one_coming_good_joins_it() {
    let dir = TestDir::new();
    dir.create("corpus/a.md", article("甲", "营业厅可以办理注销。"));
    dir.create("corpus/b.md", "");
    dir.index();
    dir.create("corpus/a.md", b"\x00\x01binary now");
    dir.create("corpus/b.md", article("乙", "现在有内容了，讲在线销户。"));
    let out = dir.zhsearch().arg("index").assert().success();
    let stdout = stdout_of(&out);
    assert!(
        stdout.contains("1 added, 0 updated, 0 removed, 0 unchanged, 1 skipped"),
        "{stdout}"
    );
    assert!(stderr_of(&out).contains("skipped a.md: binary"));
    assert_eq!(dir.search_json(&["营业厅"]).total, 0);
    assert_eq!(dir.search_json(&["在线销户"]).hits[0].path, "b.md");
    // A skipped file is remembered: it is reported again, not read as new.
    let out = dir.zhsearch().arg("index").assert().success();
    assert!(stdout_of(&out).contains("0 added, 0 updated, 0 removed, 1 unchanged, 1 skipped"));
    assert!(stderr_of(&out).contains("skipped a.md: binary"));
}

#[test]
fn rebuild_starts_from_scratch() {
    let dir = TestDir::with_seed_corpus();
    dir.index();
    let out = dir
        .zhsearch()
        .args(["index", "--rebuild"])
        .assert()
        .success();
    let stdout = stdout_of(&out);
    assert!(stdout.starts_with("Rebuilt 'index'"), "{stdout}");
    // Counted against the index it replaced, as `search` counts changes.
    assert!(
        stdout.contains("0 added, 0 updated, 0 removed, 5 unchanged"),
        "{stdout}"
    );
    assert!(!dir.path().join("index/.zhsearch-build").exists());
    dir.create("corpus/new.md", article("新", "新文章讲违约金。"));
    let out = dir
        .zhsearch()
        .args(["index", "--rebuild"])
        .assert()
        .success();
    assert!(
        stdout_of(&out).contains("1 added, 0 updated, 0 removed, 5 unchanged"),
        "{}",
        stdout_of(&out)
    );
    assert!(dir.search_json(&["eSIM"]).total > 0);
}

#[test]
fn search_says_when_the_corpus_changed_and_refresh_updates_first() {
    let dir = TestDir::new();
    dir.create("corpus/a.md", article("甲", "营业厅可以办理注销。"));
    dir.create("corpus/b.md", article("乙", "在线也可以注销。"));
    dir.index();
    dir.zhsearch()
        .args(["search", "注销"])
        .assert()
        .success()
        .stderr("");
    dir.create("corpus/c.md", article("丙", "新文章讲违约金。"));
    dir.create("corpus/a.md", article("甲", "营业厅可以办理销户手续。"));
    fs::remove_file(dir.path().join("corpus/b.md")).unwrap();
    let out = dir.zhsearch().args(["search", "违约金"]).assert().success();
    let stderr = stderr_of(&out);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("changed since the index was built (1 added, 1 changed, 1 removed)")
            && stderr.contains("run `zhsearch index`")
            && stderr.contains("--refresh"),
        "{stderr}"
    );

    let out = dir
        .zhsearch()
        .args(["search", "--json", "--refresh", "违约金"])
        .assert()
        .success();
    assert!(stderr_of(&out).contains("1 added, 1 updated, 1 removed"));
    let results: crate::util::Results = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(results.hits[0].path, "c.md");
    dir.zhsearch()
        .args(["search", "违约金"])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn the_index_remembers_its_corpus_folder() {
    let dir = TestDir::new();
    dir.create("my docs/a.md", article("甲", "营业厅可以办理注销。"));
    dir.zhsearch()
        .args(["index", "--corpus", "my docs", "--index", "idx"])
        .assert()
        .success();
    // No --corpus: the index knows where it came from.
    dir.zhsearch()
        .args(["search", "--index", "idx", "注销"])
        .assert()
        .success()
        .stderr("");
    dir.create("my docs/b.md", article("乙", "新文章讲违约金。"));
    dir.zhsearch()
        .args(["search", "--index", "idx", "注销"])
        .assert()
        .success()
        .stderr(predicate::str::contains("run `zhsearch index --index idx`"));
    let out = dir
        .zhsearch()
        .args(["index", "--index", "idx"])
        .assert()
        .success();
    assert!(
        stdout_of(&out).contains("from 'my docs': 1 added"),
        "{}",
        stdout_of(&out)
    );
}

/// The folders of `dir`'s corpus (itself first) and the files in them.
fn corpus_tree(dir: &TestDir) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (mut folders, mut files) = (vec![dir.path().join("corpus")], Vec::new());
    let mut i = 0;
    while let Some(folder) = folders.get(i).cloned() {
        for entry in fs::read_dir(folder).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                folders.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
        i += 1;
    }
    (folders, files)
}

/// Sets the modification time of `path` (a file or a folder).
fn set_mtime(path: &Path, mtime: std::time::SystemTime) {
    let file = if path.is_dir() {
        File::open(path)
    } else {
        File::options().write(true).open(path)
    };
    file.unwrap().set_modified(mtime).unwrap();
}

/// Sets the modification time of every file under `dir`'s corpus to an hour
/// ago, as for a corpus not edited just before it was indexed (a file
/// modified within the racy window of indexing, 0.1 s here, is always
/// hashed, never trusted on its stat).
fn age_corpus(dir: &TestDir) {
    let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    for file in corpus_tree(dir).1 {
        set_mtime(&file, an_hour_ago);
    }
}

/// Sets the modification time of every folder of `dir`'s corpus an hour
/// ahead, so that they are within the racy window of every scan: a search
/// cannot trust them and does the whole check, which sees files edited in
/// place too. (Folders written just before the index run are racy only as
/// long as the run starts within 0.1 s, which a busy machine may miss.)
fn keep_folders_racy(dir: &TestDir) {
    let in_an_hour = std::time::SystemTime::now() + Duration::from_secs(3600);
    for folder in corpus_tree(dir).0 {
        set_mtime(&folder, in_an_hour);
    }
}

/// The stale-index line of a search, or "" when it says nothing.
fn stale_notice(dir: &TestDir) -> String {
    let out = dir.zhsearch().args(["search", "文章"]).assert().success();
    stderr_of(&out)
}

#[test]
fn search_names_each_kind_of_change_and_trusts_an_unchanged_stat() {
    let dir = TestDir::new();
    dir.create("corpus/a.md", article("甲", "甲文章讲营业厅。"));
    dir.create("corpus/b.md", article("乙", "乙文章讲在线注销。"));
    dir.create("corpus/sub/c.md", article("丙", "丙文章讲违约金。"));
    age_corpus(&dir);
    keep_folders_racy(&dir);
    dir.index();
    assert_eq!(stale_notice(&dir), "");
    let counts = |notice: &str| {
        let start = notice.find("built (").expect(notice) + "built (".len();
        notice[start..].split(')').next().unwrap().to_string()
    };

    // Touched, same content: nothing to say.
    let a = dir.path().join("corpus/a.md");
    File::options()
        .write(true)
        .open(&a)
        .unwrap()
        .set_modified(std::time::SystemTime::now())
        .unwrap();
    assert_eq!(stale_notice(&dir), "");
    // Edited in place: the folder does not change, the file does.
    dir.create("corpus/sub/c.md", article("丙", "丙文章讲违约金和手续费。"));
    let notice = stale_notice(&dir);
    assert_eq!(counts(&notice), "0 added, 1 changed, 0 removed", "{notice}");
    assert_eq!(notice.lines().count(), 1, "{notice}");
    dir.index();
    assert_eq!(stale_notice(&dir), "");
    // Rewritten to the same size right after indexing (its stat proves
    // nothing then): its hash tells.
    dir.create("corpus/sub/c.md", article("丙", "丙文章讲违约金和手续钱。"));
    assert_eq!(counts(&stale_notice(&dir)), "0 added, 1 changed, 0 removed");
    dir.index();
    fs::remove_file(dir.path().join("corpus/b.md")).unwrap();
    assert_eq!(counts(&stale_notice(&dir)), "0 added, 0 changed, 1 removed");
    dir.create("corpus/sub/d.md", article("丁", "丁文章讲套餐。"));
    assert_eq!(counts(&stale_notice(&dir)), "1 added, 0 changed, 1 removed");
    dir.index();
    age_corpus(&dir);
    dir.index();
    assert_eq!(stale_notice(&dir), "");
}

#[test]
fn a_damaged_list_of_files_is_reported_and_the_index_rebuilt() {
    let dir = TestDir::with_seed_corpus();
    age_corpus(&dir);
    dir.index();
    let mut damaged = payload(&dir);
    damaged["manifest"]["packed"] = serde_json::json!("not what zhsearch writes!");
    set_payload(&dir, &damaged);
    // The passages are fine: searches go on, and say what to do once the
    // list of files is needed.
    assert!(dir.search_json(&["eSIM"]).total > 0);
    dir.create("corpus/new.md", article("新", "新文章讲违约金。"));
    let out = dir.zhsearch().args(["search", "eSIM"]).assert().success();
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("cannot tell whether the index is up to date")
            && stderr.contains("list of files")
            && stderr.contains("run `zhsearch index --rebuild`"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stdout_of(&out).is_empty());
    let out = dir.zhsearch().arg("index").assert().success();
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains(
            "rebuilt the index at 'index' from scratch: it is damaged (its list of files"
        ),
        "{stderr}"
    );
    assert!(stdout_of(&out).contains("6 added"));

    // A damaged format byte: the same index version packs one way, so this
    // is damage (not "a newer zhsearch"), rebuilt and said so.
    let mut newer = payload(&dir);
    newer["manifest"]["packed"] = serde_json::json!("AygAAAA=");
    set_payload(&dir, &newer);
    let out = dir.zhsearch().arg("index").assert().success();
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("it is damaged (its list of files names packing format 3"),
        "{stderr}"
    );
}

/// Holds the update lock of `dir`'s index the way a running `zhsearch index` does.
fn hold_lock(dir: &TestDir) -> File {
    let lock = File::create(dir.path().join("index/.zhsearch.lock")).unwrap();
    lock.try_lock().expect("lock is free");
    lock
}

#[test]
fn a_second_index_run_fails_at_once_or_waits_and_searches_go_on() {
    let dir = TestDir::with_seed_corpus();
    dir.index();
    let lock = hold_lock(&dir);
    dir.zhsearch()
        .arg("index")
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("index/.zhsearch.lock")
                .and(predicate::str::contains("--wait"))
                .and(predicate::str::contains("panicked").not()),
        );
    // Searching while an update runs is fine.
    assert!(dir.search_json(&["eSIM"]).total > 0);
    // --wait waits for the lock to be released.
    let mut waiting = StdCommand::new(env!("CARGO_BIN_EXE_zhsearch"))
        .current_dir(dir.path())
        .args(["index", "--wait"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It says it waits, and does.
    let mut stderr = std::io::BufReader::new(waiting.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    assert!(line.contains("waiting for it to finish"), "{line}");
    assert!(waiting.try_wait().unwrap().is_none(), "it waits");
    drop(lock);
    let out = waiting.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 unchanged"));
}

/// Asserts `zhsearch search` fails with a one-line rebuild hint (never a panic).
fn assert_rebuild_hint(dir: &TestDir, what: &str) {
    assert_hint_from(dir, &["search", "注销 eSIM 营业厅 卡"], what);
}

/// Asserts every entry point of the engine (search, batch, eval) fails with
/// a one-line rebuild hint (never a panic). Batch and eval load the whole
/// dictionary, so only the kinds of damage that once panicked run them.
fn assert_rebuild_hint_everywhere(dir: &TestDir, what: &str) {
    dir.create(
        "questions.jsonl",
        "{\"query\": \"注销 eSIM 营业厅 卡\", \"relevant\": [\"x\"]}\n",
    );
    dir.create("queries.txt", "注销 eSIM 营业厅 卡\n");
    assert_rebuild_hint(dir, what);
    assert_hint_from(dir, &["search", "--batch", "queries.txt"], what);
    assert_hint_from(dir, &["eval", "--queries", "questions.jsonl"], what);
}

/// Asserts `zhsearch ARGS` exits 1 with the one-line rebuild hint.
fn assert_hint_from(dir: &TestDir, args: &[&str], what: &str) {
    let out = dir.zhsearch().args(args).assert().code(1);
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("zhsearch index --rebuild"),
        "{what}, {args:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}, {args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{what}, {args:?}: {stderr}");
}

fn segment_files(index: &Path, ext: &str) -> Vec<std::path::PathBuf> {
    fs::read_dir(index)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect()
}

#[test]
fn damaged_indexes_give_a_rebuild_hint_and_index_repairs_them() {
    let seed = TestDir::with_seed_corpus();
    seed.index();
    let fresh = || {
        let dir = TestDir::with_seed_corpus();
        copy_dir(&seed.path().join("index"), &dir.path().join("index"));
        dir
    };
    for ext in [
        "term",
        "idx",
        "pos",
        "store",
        "passages",
        "fast",
        "fieldnorm",
    ] {
        let dir = fresh();
        for file in segment_files(&dir.path().join("index"), ext) {
            let len = fs::metadata(&file).unwrap().len();
            File::options()
                .write(true)
                .open(&file)
                .unwrap()
                .set_len(len / 2)
                .unwrap();
        }
        assert_rebuild_hint(&dir, &format!("truncated .{ext}"));
        // Cut to a few bytes, shorter than any footer: tantivy panicked.
        let dir = fresh();
        for file in segment_files(&dir.path().join("index"), ext) {
            File::options()
                .write(true)
                .open(&file)
                .unwrap()
                .set_len(5)
                .unwrap();
        }
        if ext == "fast" || ext == "fieldnorm" {
            assert_rebuild_hint_everywhere(&dir, &format!(".{ext} cut to 5 bytes"));
        } else {
            assert_rebuild_hint(&dir, &format!(".{ext} cut to 5 bytes"));
        }
        let out = dir.zhsearch().arg("index").assert().success();
        assert!(stderr_of(&out).contains("rebuilt the index"), "{ext}");
    }
    // Garbage in the middle, footers intact: tantivy only notices (or panics)
    // while searching.
    for ext in ["term", "idx", "pos", "passages"] {
        let dir = fresh();
        for file in segment_files(&dir.path().join("index"), ext) {
            let mut bytes = fs::read(&file).unwrap();
            let end = bytes.len().saturating_sub(300);
            let mut x: u32 = 2_463_534_242;
            for b in &mut bytes[..end] {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = x as u8;
            }
            fs::write(&file, bytes).unwrap();
        }
        if ext == "idx" || ext == "pos" {
            assert_rebuild_hint_everywhere(&dir, &format!("garbage in .{ext}"));
        } else {
            assert_rebuild_hint(&dir, &format!("garbage in .{ext}"));
        }
        // An update checks checksums first, so it rebuilds rather than build on garbage.
        dir.create("corpus/extra.md", article("新", "新文章讲违约金。"));
        let out = dir.zhsearch().arg("index").assert().success();
        let stderr = stderr_of(&out);
        assert!(stderr.contains("rebuilt the index"), "{ext}: {stderr}");
        assert!(stderr.contains("checksum"), "{ext}: {stderr}");
        assert!(dir.search_json(&["注销 eSIM 营业厅 卡"]).total > 0);
    }
    // A passage count in meta.json that its segment does not hold.
    for delta in [-1i64, 1] {
        let dir = fresh();
        let path = dir.path().join("index/meta.json");
        let mut meta: serde_json::Value =
            serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let max_doc = &mut meta["segments"][0]["max_doc"];
        *max_doc = serde_json::json!(max_doc.as_i64().unwrap() + delta);
        fs::write(&path, serde_json::to_vec(&meta).unwrap()).unwrap();
        assert_rebuild_hint(&dir, &format!("max_doc off by {delta}"));
        let out = dir.zhsearch().arg("index").assert().success();
        assert!(stderr_of(&out).contains("rebuilt the index"), "{delta}");
    }
    let dir = fresh();
    fs::remove_file(dir.path().join("index/meta.json")).unwrap();
    assert_rebuild_hint(&dir, "missing meta.json");
    let dir = fresh();
    fs::write(dir.path().join("index/meta.json"), "{\"segments\": [tru").unwrap();
    assert_rebuild_hint(&dir, "garbage meta.json");
    for file in segment_files(&dir.path().join("index"), "passages") {
        fs::remove_file(file).unwrap();
    }
    // `zhsearch index` rebuilds what it cannot update, and says so.
    let out = dir.zhsearch().arg("index").assert().success();
    assert!(stderr_of(&out).contains("rebuilt the index at 'index' from scratch"));
    assert!(stdout_of(&out).contains("5 added"));
    assert!(dir.search_json(&["eSIM"]).total > 0);
}

#[test]
fn an_index_from_another_version_is_detected_and_replaced() {
    let dir = TestDir::with_seed_corpus();
    dir.index();
    let mut old = payload(&dir);
    old["schema_version"] = serde_json::json!(0);
    set_payload(&dir, &old);
    let out = dir.zhsearch().args(["search", "eSIM"]).assert().code(1);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("index format 0"), "{stderr}");
    assert!(stderr.contains("zhsearch index --rebuild"), "{stderr}");

    let out = dir.zhsearch().arg("index").assert().success();
    assert!(stderr_of(&out).contains("index format 0"));
    assert!(dir.search_json(&["eSIM"]).total > 0);

    // An index of this version always keeps a manifest: one without is
    // damaged, says how to fix it, and the next `zhsearch index` rebuilds it.
    let fine = payload(&dir);
    let mut old = fine.clone();
    old.as_object_mut().unwrap().remove("manifest");
    set_payload(&dir, &old);
    let out = dir.zhsearch().args(["search", "eSIM"]).assert().code(1);
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains(
            "is damaged (its meta.json keeps no readable list of files): \
             run `zhsearch index --rebuild`"
        ),
        "{stderr}"
    );
    let out = dir.zhsearch().arg("index").assert().success();
    assert!(stdout_of(&out).contains("Rebuilt"), "{}", stdout_of(&out));

    // An older version's payload, whatever it holds, is told by its version.
    let mut old = fine;
    old.as_object_mut().unwrap().remove("manifest");
    old["schema_version"] = serde_json::json!(3);
    set_payload(&dir, &old);
    let out = dir.zhsearch().args(["search", "eSIM"]).assert().code(1);
    assert!(
        stderr_of(&out).contains("index format 3"),
        "{}",
        stderr_of(&out)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        if entry.file_type().unwrap().is_file() {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// How many segments the index's `meta.json` lists.
fn segments(dir: &TestDir) -> usize {
    meta(dir)["segments"].as_array().unwrap().len()
}

#[test]
fn a_small_corpus_is_one_segment_and_an_update_adds_one() {
    // Each writer thread writes a segment of its own, with its own term
    // dictionary: a small build or update has one thread, so one segment.
    let dir = TestDir::with_seed_corpus();
    dir.index();
    assert_eq!(segments(&dir), 1);
    dir.create(
        "corpus/new.md",
        article("新文章", "新文章讲在线注销eSIM的步骤。"),
    );
    let out = dir.index();
    assert!(out.contains("1 added"), "{out}");
    assert_eq!(segments(&dir), 2);
    assert_eq!(dir.search_json(&["新文章"]).hits[0].path, "new.md");
}
