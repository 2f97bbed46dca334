//! Deterministic faults: `zhsearch index` killed at every step of an update
//! and of a rebuild, and run on a full disk.
//!
//! strace stops the run at the N-th call of one kind of file system change
//! (`-e inject=SET:signal=KILL:when=N`, for every N until a run completes),
//! so each kill point is a step of the program, not a moment on a clock.
//! After each kill: searches answer from a whole index (the old one or the
//! new one), the same command run again succeeds and gives what an
//! uninterrupted run gives, and the folder holds no file its commit does not
//! reference.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use crate::util::TestDir;

/// The kinds of calls a run is killed at, on which files (`None`: any),
/// and the step between kill points.
///
/// strace counts calls per thread, so "the N-th rename" is the N-th of
/// whichever thread gets there first; tantivy's indexing threads rename
/// `.managed.json` often, so the commit switch of its updater thread would
/// be passed over. Renames onto the two `meta.json` files (the commit of
/// the index and of the staging build) are therefore counted on their own.
/// Every rename, unlink and sync is a kill point; writes come in the
/// hundreds (each segment file is written in pieces, then synced, so the
/// sync points already cover "after each file"), so every tenth is one.
const KILL_SETS: &[(&str, Option<&[&str]>, u16)] = &[
    (
        "rename,renameat,renameat2",
        Some(&["index/meta.json", "index/.zhsearch-build/meta.json"]),
        1,
    ),
    ("rename,renameat,renameat2", None, 1),
    ("unlink,unlinkat,rmdir", None, 1),
    ("fsync,fdatasync", None, 1),
    ("write,pwrite64,writev", None, 10),
];

/// Queries whose answers are compared: the edited, added and removed articles.
const QUERIES: &[&str] = &["营业厅", "断点续传测试", "eSIM 在线销户"];

/// strace, or `None` (with a message) where it is missing. CI installs it,
/// so there a missing strace fails the test instead of skipping it.
pub(crate) fn strace() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("strace"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "strace is missing: .ci/run installs it"
        );
        eprintln!("skipped: strace is not installed (apt-get install strace)");
    }
    found
}

/// What the queries answer: for each, the total and the hits' places.
fn answers(dir: &Path) -> Vec<String> {
    QUERIES
        .iter()
        .map(|query| {
            let out = zhsearch(dir)
                .args(["search", "--json", "-n", "5", query])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "search {query} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let hits: Vec<String> = json["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| format!("{}:{} {:.3}", h["path"], h["line"], h["score"]))
                .collect();
            format!("{query}: {} {}", json["total"], hits.join(", "))
        })
        .collect()
}

/// Runs `zhsearch index ARGS` in `dir` and asserts it succeeded.
fn index_ok(dir: &Path, args: &[&str]) {
    let out = zhsearch(dir).arg("index").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn zhsearch(dir: &Path) -> StdCommand {
    let mut cmd = StdCommand::new(env!("CARGO_BIN_EXE_zhsearch"));
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}

/// The seed corpus indexed, then changed: one article edited, one added,
/// one removed. `zhsearch index` has not seen the change yet.
fn prepared() -> TestDir {
    let dir = TestDir::with_seed_corpus();
    dir.index();
    let names: Vec<PathBuf> = {
        let mut names: Vec<PathBuf> = fs::read_dir(dir.path().join("corpus"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        names
    };
    let mut edited = fs::read_to_string(&names[0]).unwrap();
    edited.push_str("\n\n## 补充\n\n营业厅的营业时间有变，请先打电话确认再前往营业厅。\n");
    fs::write(&names[0], edited).unwrap();
    fs::remove_file(&names[1]).unwrap();
    dir.create(
        "corpus/new.md",
        "# 断点续传测试\n\n这篇文章是新加的，讲营业厅办理销户时断点续传测试的注意事项。\n",
    );
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The files of `index` that its `meta.json` does not reference (besides
/// the fixed files of an index folder), and a staging folder if one is left.
fn unreferenced_files(index: &Path) -> Vec<String> {
    let meta: serde_json::Value =
        serde_json::from_slice(&fs::read(index.join("meta.json")).unwrap()).unwrap();
    let mut referenced: HashSet<String> = [
        "meta.json",
        ".managed.json",
        ".zhsearch.lock",
        ".tantivy-meta.lock",
        ".tantivy-writer.lock",
        // The pinyin readings, rewritten by every update after its commit.
        "readings.fst",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for segment in meta["segments"].as_array().unwrap() {
        let id = segment["segment_id"].as_str().unwrap().replace('-', "");
        for ext in [
            "idx",
            "pos",
            "term",
            "store",
            "fast",
            "fieldnorm",
            "passages",
        ] {
            referenced.insert(format!("{id}.{ext}"));
        }
        if let Some(opstamp) = segment["deletes"]["opstamp"].as_u64() {
            referenced.insert(format!("{id}.{opstamp}.del"));
        }
    }
    let mut stray: Vec<String> = fs::read_dir(index)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !referenced.contains(name))
        .collect();
    stray.sort();
    stray
}

/// Kill points injected and recovered from, for one kind of run.
#[derive(Debug, Default)]
struct Counts {
    injected: usize,
    recovered: usize,
}

/// Kills `zhsearch ARGS` at every kill point of [`KILL_SETS`] on a copy of
/// [`prepared`], checking recovery after each.
fn kill_at_every_step(strace: &Path, args: &[&str]) -> Counts {
    let template = prepared();
    let before = answers(template.path());
    let reference = TestDir::new();
    copy_tree(template.path(), reference.path());
    let out = zhsearch(reference.path()).args(args).output().unwrap();
    assert!(out.status.success(), "the uninterrupted run failed");
    let after = answers(reference.path());
    assert_ne!(before, after, "the change must show in the answers");

    let mut counts = Counts::default();
    for &(set, paths, step) in KILL_SETS {
        let mut n: u32 = 1;
        loop {
            assert!(
                n < 5000,
                "{args:?}: the run never completed under strace ({set})"
            );
            let run = TestDir::new();
            copy_tree(template.path(), run.path());
            let mut strace = StdCommand::new(strace);
            for path in paths.unwrap_or_default() {
                // tantivy names files by absolute path, zhsearch by relative.
                strace
                    .arg("-P")
                    .arg(run.path().join(path))
                    .arg("-P")
                    .arg(path);
            }
            let status = strace
                .current_dir(run.path())
                .args(["-f", "-qq", "-o", "/dev/null", "-e"])
                .arg(format!("trace={set}"))
                .arg("-e")
                .arg(format!("inject={set}:signal=KILL:when={n}"))
                .arg(env!("CARGO_BIN_EXE_zhsearch"))
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            if status.success() {
                break;
            }
            counts.injected += 1;
            let on = paths.map_or(String::new(), |p| format!(" on {}", p.join(" or ")));
            let point = format!("{args:?} killed at {set}{on} #{n}");
            // Searches see a whole index: the old one or the new one.
            let seen = answers(run.path());
            assert!(
                seen == before || seen == after,
                "{point}: searches see neither index: {seen:?}"
            );
            // What search says changed is what the next run then does.
            let notice = zhsearch(run.path())
                .args(["search", "卡"])
                .output()
                .unwrap();
            let notice = String::from_utf8_lossy(&notice.stderr).into_owned();
            // The same command again, as the README promises.
            let out = zhsearch(run.path()).args(args).output().unwrap();
            let summary = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success(),
                "{point}: the next index run failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            if seen == before {
                assert!(
                    notice.contains("1 added, 1 changed, 1 removed")
                        && summary.contains("1 added, 1 updated, 1 removed"),
                    "{point}: search said {notice:?}, index then did {summary:?}"
                );
            }
            assert_eq!(
                answers(run.path()),
                after,
                "{point}: wrong answers after recovery"
            );
            let stray = unreferenced_files(&run.path().join("index"));
            assert!(stray.is_empty(), "{point}: files left behind: {stray:?}");
            counts.recovered += 1;
            n += u32::from(step);
        }
    }
    counts
}

#[test]
fn an_update_killed_at_any_step_recovers() {
    let Some(strace) = strace() else { return };
    let counts = kill_at_every_step(&strace, &["index"]);
    eprintln!("update: {counts:?}");
    assert!(counts.injected > 0);
    assert_eq!(counts.injected, counts.recovered);
}

#[test]
fn a_rebuild_killed_at_any_step_recovers() {
    let Some(strace) = strace() else { return };
    let counts = kill_at_every_step(&strace, &["index", "--rebuild"]);
    eprintln!("rebuild: {counts:?}");
    assert!(counts.injected > 0);
    assert_eq!(counts.injected, counts.recovered);
}

/// A tmpfs of `kib` KiB mounted on `dir`, unmounted when dropped; `None`
/// (with a message) where this test cannot mount one (not root, no tmpfs).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, kib: u64) -> Option<Tmpfs> {
        fs::create_dir_all(dir).unwrap();
        let ok = StdCommand::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={kib}k"))
            .arg("tmpfs")
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        }
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = StdCommand::new("umount").arg(&self.0).status();
    }
}

fn used_kib(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() {
            used_kib(&entry.path())
        } else {
            meta.len().div_ceil(1024)
        };
    }
    total
}

#[test]
fn a_full_disk_fails_clearly_loses_nothing_and_leaves_nothing() {
    let dir = TestDir::with_seed_corpus();
    let Some(_disk) = Tmpfs::mount(&dir.path().join("disk"), 2048) else {
        return;
    };
    let index = ["--index", "disk/index"];
    index_ok(dir.path(), &index);
    let before = zhsearch(dir.path())
        .args(["search", "--json", "-n", "3", "营业厅"])
        .args(index)
        .output()
        .unwrap()
        .stdout;
    // Articles whose index cannot fit in what is left of the disk.
    for i in 0..60 {
        let body: String = (0..40)
            .map(|p| {
                let line: String = (0..150)
                    .map(|c| {
                        char::from_u32(0x4e00 + ((i * 7919 + p * 104_729 + c * 31) % 6000) as u32)
                            .unwrap()
                    })
                    .collect();
                format!("{line}。\n\n")
            })
            .collect();
        dir.create(
            &format!("corpus/big/{i:03}.md"),
            format!("# 大文章{i}\n\n{body}"),
        );
    }
    for args in [&["index"][..], &["index"], &["index", "--rebuild"]] {
        let out = zhsearch(dir.path())
            .args(args)
            .args(index)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("is full: free some space"),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        // Nothing of the failed run is left to fill the disk further.
        let stray = unreferenced_files(&dir.path().join("disk/index"));
        assert!(stray.is_empty(), "{args:?} left {stray:?}");
        assert!(
            used_kib(&dir.path().join("disk")) < 1024,
            "{args:?} left files"
        );
        // The previous index still answers.
        let now = zhsearch(dir.path())
            .args(["search", "--json", "-n", "3", "营业厅"])
            .args(index)
            .output()
            .unwrap();
        assert_eq!(now.stdout, before, "{args:?}");
    }
    // With the space back, the same command succeeds.
    fs::remove_dir_all(dir.path().join("corpus/big")).unwrap();
    index_ok(dir.path(), &index);
}

#[test]
fn killed_rebuilds_do_not_pile_up_files() {
    let Some(strace) = strace() else { return };
    let dir = prepared();
    let index = dir.path().join("index");
    let size = || used_kib(&index);
    let mut sizes = Vec::new();
    for _ in 0..3 {
        // Killed after the switch, before the old files are deleted.
        let status = StdCommand::new(&strace)
            .current_dir(dir.path())
            .args([
                "-f",
                "-qq",
                "-o",
                "/dev/null",
                "-e",
                "trace=unlink,unlinkat",
            ])
            .args(["-e", "inject=unlink,unlinkat:signal=KILL:when=1"])
            .arg(env!("CARGO_BIN_EXE_zhsearch"))
            .args(["index", "--rebuild"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "the run was not killed");
        sizes.push(size());
    }
    assert!(sizes[2] <= sizes[0], "the index folder grew: {sizes:?} KiB");
    let out = zhsearch(dir.path()).arg("index").output().unwrap();
    assert!(out.status.success());
    assert!(unreferenced_files(&index).is_empty());
}
