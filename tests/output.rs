//! Output formats: text, colour, JSON and batch.

use predicates::prelude::*;

use crate::util::{Results, TestDir};

#[test]
fn text_output_shows_rank_place_location_and_snippet() {
    let dir = TestDir::with_seed_corpus();
    let out = dir
        .zhsearch()
        .args([
            "search",
            "--color",
            "never",
            "-n",
            "2",
            "线下注销要带哪些材料",
        ])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.starts_with(" 1. 日本电话卡如何注销？手把手教你轻松搞定 › "),
        "{stdout}"
    );
    assert!(stdout.contains("000_faa1a318271c8744.txt:"), "{stdout}");
    assert!(stdout.contains(" 2. "), "{stdout}");
    assert!(!stdout.contains('\x1b'), "no colour when asked: {stdout}");
}

#[test]
fn colour_always_marks_matches_and_no_color_is_honoured() {
    let dir = TestDir::with_seed_corpus();
    dir.zhsearch()
        .args(["search", "--color", "always", "营业厅"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b[1;31m营业厅"));
    // auto on a pipe, and NO_COLOR: plain.
    dir.zhsearch()
        .env("NO_COLOR", "1")
        .args(["search", "营业厅"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b").not());
}

#[test]
fn json_hits_carry_every_field_and_a_marked_snippet() {
    let dir = TestDir::with_seed_corpus();
    let results = dir.search_json(&["-n", "3", "eSIM 在线销户"]);
    assert_eq!(results.query, "eSIM 在线销户");
    assert!(results.total >= results.hits.len());
    assert_eq!(results.hits.len(), 3);
    for (i, hit) in results.hits.iter().enumerate() {
        assert_eq!(hit.rank, i + 1);
        assert!(hit.score > 0.0);
        assert!(hit.line >= 1);
        assert!(!hit.title.is_empty());
        assert!(hit.snippet.contains("<mark>"), "{}", hit.snippet);
        let plain = hit
            .snippet
            .replace("<mark>", "")
            .replace("</mark>", "")
            .replace('…', "");
        assert!(
            hit.text.contains(&plain),
            "snippet must be an excerpt of text"
        );
    }
    assert!(results.hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn line_points_at_the_passage_in_the_file() {
    let dir = TestDir::with_seed_corpus();
    let results = dir.search_json(&["-n", "20", "注销"]);
    for hit in &results.hits {
        let source = std::fs::read_to_string(dir.path().join("corpus").join(&hit.path)).unwrap();
        let line = source.lines().nth(hit.line as usize - 1).unwrap();
        let start: String = hit.text.chars().take(4).collect();
        assert!(
            line.contains(&start),
            "line {} of {} is {line:?}, passage starts {start:?}",
            hit.line,
            hit.path
        );
    }
}

#[test]
fn batch_prints_one_json_line_per_query_in_order() {
    let dir = TestDir::with_seed_corpus();
    dir.create("queries.txt", "eSIM 在线销户\n？？？\n营业厅\n");
    let out = dir
        .zhsearch()
        .args(["search", "--batch", "queries.txt", "-n", "2"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let lines: Vec<Results> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].query, "eSIM 在线销户");
    assert!(lines[0].hits.len() == 2 && lines[0].error.is_none());
    assert!(
        lines[1]
            .error
            .as_deref()
            .unwrap()
            .contains("no searchable words")
    );
    assert_eq!(lines[2].query, "营业厅");
}

#[test]
fn timings_add_took_ms_to_each_json_line_only_when_asked() {
    let dir = TestDir::with_seed_corpus();
    dir.create("queries.txt", "eSIM 在线销户\n？？？\n");
    let lines = |extra: &[&str]| -> Vec<Results> {
        let out = dir
            .zhsearch()
            .args(["search", "--batch", "queries.txt"])
            .args(extra)
            .assert()
            .success();
        String::from_utf8_lossy(&out.get_output().stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let timed = lines(&["--timings"]);
    assert_eq!(timed.len(), 2);
    assert!(timed.iter().all(|r| r.took_ms.is_some_and(|t| t >= 0.0)));
    assert!(lines(&[]).iter().all(|r| r.took_ms.is_none()));
    let single = dir.search_json(&["--timings", "营业厅"]);
    assert!(single.took_ms.is_some());
}

#[test]
fn batch_reads_stdin() {
    let dir = TestDir::with_seed_corpus();
    let out = dir
        .zhsearch()
        .args(["search", "--batch", "-"])
        .write_stdin("销户\n注销\n")
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout)
            .lines()
            .count(),
        2
    );
}

#[test]
fn snippets_stay_within_the_character_budget() {
    let dir = TestDir::with_seed_corpus();
    let results = dir.search_json(&["--snippet-chars", "30", "-n", "20", "注销"]);
    for hit in &results.hits {
        let plain = hit
            .snippet
            .replace("<mark>", "")
            .replace("</mark>", "")
            .replace('…', "");
        assert!(plain.chars().count() <= 30, "{}", hit.snippet);
    }
}

/// Every line of the seed corpus, used as a query (about 200 real queries of
/// every shape: headings, questions, long sentences, Markdown, links).
#[test]
fn snippets_hold_up_over_hundreds_of_real_queries() {
    let dir = TestDir::with_seed_corpus();
    let mut queries = String::new();
    for entry in std::fs::read_dir(dir.path().join("corpus")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            queries.push_str(line.trim());
            queries.push('\n');
        }
    }
    let count = queries.lines().count();
    assert!(count > 150, "{count}");
    dir.create("queries.txt", &queries);
    let out = dir
        .zhsearch()
        .args([
            "search",
            "--batch",
            "queries.txt",
            "-n",
            "5",
            "--snippet-chars",
            "60",
        ])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let results: Vec<Results> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), count);
    for r in &results {
        for hit in &r.hits {
            let plain = hit
                .snippet
                .replace("<mark>", "")
                .replace("</mark>", "")
                .replace('…', "")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
            assert!(plain.chars().count() <= 60, "{}", hit.snippet);
            assert!(
                hit.text.contains(&plain),
                "query {:?}: snippet {:?} not in text",
                r.query,
                hit.snippet
            );
            assert_eq!(
                hit.snippet.matches("<mark>").count(),
                hit.snippet.matches("</mark>").count()
            );
        }
    }
    // Most queries find a passage with a marked word.
    let marked = results
        .iter()
        .filter(|r| r.hits.first().is_some_and(|h| h.snippet.contains("<mark>")))
        .count();
    assert!(marked * 10 >= count * 9, "{marked} of {count}");
}

/// Issue #10: a line that is not UTF-8 used to end the batch (exit 1, no
/// line named); now it is one error object and the other lines are answered.
#[test]
fn r10_a_line_that_is_not_utf8_is_an_error_on_that_line_only() {
    let dir = TestDir::with_seed_corpus();
    let out = dir
        .zhsearch()
        .args(["search", "--batch", "-", "-n", "1"])
        .write_stdin(&b"eSIM\n\xff\n\xe6\xb3\xa8\xe9\x94\x80\r\n"[..])
        .assert()
        .success();
    let lines: Vec<Results> = String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0].query, "eSIM");
    assert_eq!(lines[0].hits.len(), 1);
    assert_eq!(lines[1].error.as_deref(), Some("line 2 is not valid UTF-8"));
    assert_eq!(lines[1].query, "\u{fffd}");
    assert!(lines[1].hits.is_empty() && lines[1].total == 0);
    assert_eq!(lines[2].query, "注销", "\\r\\n line end dropped");
    assert_eq!(lines[2].hits.len(), 1);
}

/// Issue #10: past the first page the feedback passages used to score 0 and
/// outnumber `total` (12 matches, 50 hits), and the text footer vanished.
#[test]
fn r10_hits_never_exceed_total_and_feedback_hits_say_so() {
    let dir = TestDir::with_seed_corpus();
    let results = dir.search_json(&["-n", "50", "营业厅"]);
    assert!(
        results.hits.len() <= results.total,
        "{} hits, total {}",
        results.hits.len(),
        results.total
    );
    assert!(results.hits.iter().all(|h| h.score > 0.0));
    assert!(results.hits.windows(2).all(|w| w[0].score >= w[1].score));
    // The first page is the query as typed; feedback adds passages that do
    // not contain it, and says so.
    assert!(results.hits[..10].iter().all(|h| h.via.is_none()));
    let via: Vec<_> = results.hits.iter().filter(|h| h.via.is_some()).collect();
    assert!(!via.is_empty());
    for hit in &via {
        assert_eq!(hit.via.as_deref(), Some("feedback"));
        assert!(!hit.text.contains("营业厅"), "{}", hit.text);
    }
    // The others are the query's own matches (营业厅 or a synonym).
    let typed = dir.search_json(&["-n", "10", "营业厅"]).total;
    assert!(results.hits.len() - via.len() <= typed);
    assert!(results.total > typed);
    let text = dir
        .zhsearch()
        .args(["search", "--color", "never", "-n", "20", "营业厅"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(text.contains("(via related terms)"), "{text}");
    assert!(
        text.contains(&format!("20 of {} matching passages shown", results.total)),
        "{text}"
    );
}

/// The escape sequences zhsearch itself writes with `--color always`.
const OUR_COLOURS: [&str; 5] = ["\x1b[1;31m", "\x1b[1m", "\x1b[35m", "\x1b[2m", "\x1b[0m"];

/// Issue #10: escape sequences in an article reached the terminal raw, so an
/// article could clear the screen and rename the window.
#[test]
fn r10_control_characters_in_articles_never_reach_the_terminal() {
    let dir = TestDir::new();
    let attack = "\x1b[2J\x1b]0;hacked\x07";
    dir.create(
        "corpus/a.md",
        format!("# 营业厅{attack}指南\n\n去营业厅办理{attack}注销手续。\n"),
    );
    for color in ["never", "always"] {
        let out = dir
            .zhsearch()
            .args(["search", "--color", color, "--explain", "营业厅"])
            .assert()
            .success();
        let mut stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(stdout.contains(r"\x1b[2J\x1b]0;hacked\x07"), "{stdout}");
        for code in OUR_COLOURS {
            stdout = stdout.replace(code, "");
        }
        assert!(
            !stdout.contains(['\x1b', '\x07']),
            "--color {color}: {stdout:?}"
        );
    }
    let results = dir.search_json(&["营业厅"]);
    assert_eq!(results.hits[0].title, format!("营业厅{attack}指南"));
    assert!(results.hits[0].text.contains(attack));
}

/// Issue #10: a newline in a file name split result lines and skip lines in
/// two; it is shown as `\n`, and JSON keeps the real name.
#[cfg(unix)]
#[test]
fn r10_a_newline_in_a_file_name_stays_on_one_line() {
    let dir = TestDir::new();
    dir.create("corpus/a\nb.md", "去营业厅办理注销手续。\n");
    dir.create("corpus/c\nd.md", "");
    let out = dir
        .zhsearch()
        .args(["search", "--color", "never", "营业厅"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with(r"a\nb.md:1")),
        "{stdout}"
    );
    assert!(!stdout.lines().any(|l| l.starts_with("b.md")), "{stdout}");
    assert!(
        stderr.contains("zhsearch: skipped c\\nd.md: empty file\n"),
        "{stderr}"
    );
    assert!(!stderr.lines().any(|l| l.starts_with("d.md")), "{stderr}");
    let results = dir.search_json(&["营业厅"]);
    assert_eq!(results.hits[0].path, "a\nb.md");
}
