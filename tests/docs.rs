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
    for command in ["index", "search", "eval", "serve"] {
        assert!(overview.contains(command), "overview lacks {command}");
    }
    let search = stdout_of(&dir, &["man", "search"]);
    assert!(search.contains(".TH zhsearch-search 1"), "{search}");
    assert!(search.contains("snippet\\-chars"), "{search}");
    assert!(search.contains("Snippet length in characters"), "{search}");
    let err = dir.zhsearch().args(["man", "nope"]).output().unwrap();
    assert_eq!(err.status.code(), Some(2));
}

/// README's Options block is the `-h` output of each command, so it cannot
/// drift from the flags (regenerate it from `zhsearch COMMAND -h`).
#[test]
fn the_readme_options_block_is_the_help_output() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("Generated from `-h`")
        .expect("README has the Options block");
    let block = &readme[start..];
    let block = &block[block.find("```text\n").expect("text block") + "```text\n".len()..];
    let block = &block[..block.find("\n```").expect("end of block")];
    let dir = TestDir::new();
    let expected: Vec<String> = ["index", "search", "eval", "serve", "completions", "man"]
        .iter()
        .map(|command| {
            let help = stdout_of(&dir, &[command, "-h"]);
            format!("$ zhsearch {command} -h\n{}", help.trim_end())
        })
        .collect();
    assert_eq!(block, expected.join("\n\n"));
}
