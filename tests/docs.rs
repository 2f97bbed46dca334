//! Shell completions and man pages, generated from the same flags as `--help`.

use crate::util::TestDir;

fn stdout_of(dir: &TestDir, args: &[&str]) -> String {
    let out = dir.zhsearch().args(args).output().expect("run zhsearch");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn completions_for_each_shell_know_the_commands_and_their_flags() {
    let dir = TestDir::new();
    let bash = stdout_of(&dir, &["completions", "bash"]);
    assert!(bash.contains("complete -F _zhsearch"), "{bash}");
    for word in [
        "search",
        "index",
        "eval",
        "--snippet-chars",
        "--corpus",
        "--rebuild",
    ] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    let zsh = stdout_of(&dir, &["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef zhsearch"), "{zsh}");
    assert!(zsh.contains("--explain"));
    let fish = stdout_of(&dir, &["completions", "fish"]);
    assert!(fish.contains("complete -c zhsearch"), "{fish}");
    assert!(fish.contains("refresh"));
    let err = dir
        .zhsearch()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(2));
}

#[test]
fn the_man_pages_document_every_command() {
    let dir = TestDir::new();
    let overview = stdout_of(&dir, &["man"]);
    assert!(overview.contains(".TH zhsearch 1"), "{overview}");
    for command in ["index", "search", "eval"] {
        assert!(overview.contains(command), "overview lacks {command}");
    }
    let search = stdout_of(&dir, &["man", "search"]);
    assert!(search.contains(".TH zhsearch-search 1"), "{search}");
    assert!(search.contains("snippet\\-chars"), "{search}");
    assert!(search.contains("Snippet length in characters"), "{search}");
    let err = dir.zhsearch().args(["man", "nope"]).output().unwrap();
    assert_eq!(err.status.code(), Some(2));
}
