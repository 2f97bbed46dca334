//! The search page in a real browser: `zhsearch serve` on a temp corpus,
//! headless Chromium driven over WebDriver, typing as a user types.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian: `apt-get
//! install chromium chromium-driver fonts-wqy-microhei`). Without them the test
//! says it skipped, or fails when `CI` is set. It saves a screenshot and prints
//! its path; with `ZHSEARCH_KEEP_SCREENSHOT` set the PNG is also copied to
//! `target/browser-screenshot.png`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::util::TestDir;
use crate::util::server::Server;
use crate::util::webdriver::{self, ChromeDriver, Session};

/// An article whose text holds markup that must show as text: if the page
/// ever parsed server text as HTML, the `<img>` would run its `onerror`.
/// Markdown drops raw HTML, so the tags are in code spans (their text
/// reaches the passage as it is); the raw ones are there to be dropped.
const EVIL: &str = "# 恶意脚本测试

## 注销 eSIM 的恶意脚本测试

恶意脚本测试：`<img src=x onerror=\"window.__pwned=1\">` 与 `<script>window.__pwned=1</script>` 都要原样显示。

原始标签也是恶意脚本测试 <script>window.__pwned=1</script> <img src=x onerror=\"window.__pwned=1\"> 注销 eSIM。
";

/// How long to wait for the page to show an answer.
const PATIENCE: Duration = Duration::from_secs(15);

/// Says something on the terminal even when the test harness captures
/// output (it captures `println!`, not writes to the stderr handle).
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Whether the browser is missing, so the test is skipped: said on the
/// terminal, and a failure when `CI` is set (`.ci/run` installs it).
fn browser_missing() -> bool {
    if webdriver::browser_installed() {
        return false;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} or {} is missing: .ci/run should have installed them \
         (apt-get install chromium chromium-driver fonts-wqy-microhei)",
        webdriver::CHROMIUM,
        webdriver::CHROMEDRIVER
    );
    say("skipped: chromium/chromedriver not installed \
         (apt-get install chromium chromium-driver fonts-wqy-microhei)");
    true
}

/// The folder of the build (`target/`), where a screenshot is kept.
fn target_dir() -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_zhsearch"));
    binary
        .ancestors()
        .nth(2)
        .expect("the binary is in target/<profile>/")
        .to_path_buf()
}

/// The browser, the page and the server, for checks that explain themselves
/// when they fail.
struct Page<'a> {
    browser: Session<'a>,
    server: &'a Server,
}

impl<'a> Page<'a> {
    /// A 1200×900 window on the server's search page.
    fn open(driver: &'a ChromeDriver, server: &'a Server) -> Self {
        let browser = driver.session(1200, 900);
        browser.goto(&format!("{}/", server.url));
        Page { browser, server }
    }

    /// Polls `probe` for up to [`PATIENCE`]; on timeout saves a screenshot
    /// and fails with what the page and the server said.
    fn wait<T>(&self, what: &str, probe: impl FnMut() -> Option<T>) -> T {
        if let Some(found) = self.browser.wait_for(PATIENCE, probe) {
            return found;
        }
        let shot = target_dir().join("browser-failure.png");
        let saved = std::fs::write(&shot, self.browser.screenshot()).is_ok();
        let message = self
            .browser
            .find("#message")
            .map(|m| self.browser.text(&m))
            .unwrap_or_default();
        panic!(
            "timed out after {PATIENCE:?} waiting for {what}\n#message: {message:?}\n\
             screenshot: {}\nserver stderr:\n{}",
            if saved {
                shot.display().to_string()
            } else {
                "not saved".into()
            },
            self.server.log()
        );
    }

    /// Replaces the query in the box by typing `query`, then waits until the
    /// page has shown the answer to it.
    fn type_query(&self, query: &str) {
        let q = self.browser.get("#q");
        self.browser.clear(&q);
        self.browser.send_keys(&q, query);
        self.wait(&format!("the answer to {query:?}"), || {
            let state = self.browser.execute(
                "return [new URLSearchParams(location.search).get('q'),
                         document.getElementById('main').classList.contains('loading')];",
                &[],
            );
            (state[0] == query && state[1] == false).then_some(())
        });
    }

    fn text(&self, css: &str) -> String {
        self.browser.text(&self.browser.get(css))
    }
}

/// The text a snippet shows: its `<mark>` tags dropped and its three
/// entities unescaped, as the page is meant to render it.
fn snippet_text(snippet: &str) -> String {
    snippet
        .replace("<mark>", "")
        .replace("</mark>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The highlighted words of a snippet, in order.
fn snippet_marks(snippet: &str) -> Vec<String> {
    snippet
        .split("<mark>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</mark>"))
        .map(|(marked, _)| snippet_text(marked))
        .collect()
}

#[test]
fn page_searches_highlights_and_escapes() {
    if browser_missing() {
        return;
    }

    let dir = TestDir::with_seed_corpus();
    dir.create("corpus/evil.md", EVIL);
    let query = "eSIM 在线销户";
    // Builds the index the server then opens, and gives the expected results.
    let index_args = ["--corpus", "corpus", "--index", "index"];
    let cli = dir.search_json(&[&index_args[..], &["--explain", query]].concat());
    let first = cli.hits.first().expect("the CLI finds the query");
    let words: Vec<String> = cli.explain.as_ref().expect("explain")["words"]
        .as_array()
        .expect("explain.words")
        .iter()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect();

    let server = Server::start(&dir, &["--corpus", "corpus", "--index", "index"]);
    let driver = ChromeDriver::start();
    let page = Page::open(&driver, &server);
    let browser = &page.browser;

    // Search as a user types: real key presses, the page's own debounce.
    page.type_query(query);
    let hits = browser.find_all("#results li.hit");
    assert!(!hits.is_empty(), "no li.hit for {query:?}");
    let where_ = page.text("li.hit .where");
    assert!(
        where_.contains(&first.heading) && where_.starts_with(&first.title),
        "first hit shows {where_:?}; the CLI's first hit is {:?}",
        first.place()
    );
    assert_eq!(page.text("li.hit .rank"), "1.");
    assert_eq!(
        page.text("li.hit .path"),
        format!("{}:{}", first.path, first.line)
    );
    let score = page.text("li.hit .score");
    assert_eq!(score, format!("score {:.2}", first.score), "shown score");

    // The snippet: exactly the API's text, its highlights as <mark> elements.
    let api = server.search(query, "").json();
    let api_snippet = api["hits"][0]["snippet"].as_str().expect("snippet");
    let snippet = browser.get("li.hit .snippet");
    assert_eq!(browser.text_content(&snippet), snippet_text(api_snippet));
    let marks: Vec<String> = browser
        .find_all("li.hit:first-child .snippet mark")
        .iter()
        .map(|m| browser.text(m))
        .collect();
    assert_eq!(marks, snippet_marks(api_snippet), "highlights");
    assert!(
        marks.iter().any(|m| words.contains(&m.to_lowercase())),
        "no highlight is a query word: marks {marks:?}, words {words:?}"
    );

    // Markup in an article is text: shown, never run.
    page.type_query("恶意脚本测试");
    assert_eq!(page.text("li.hit .path").split(':').next(), Some("evil.md"));
    let snippets = browser.find_all("li.hit .snippet");
    let shown: Vec<String> = snippets.iter().map(|s| browser.text_content(s)).collect();
    assert!(
        shown
            .iter()
            .any(|s| s.contains("<script>window.__pwned=1</script>") && s.contains("<img src=x")),
        "no snippet shows the article's markup as text: {shown:?}"
    );
    for snippet in &snippets {
        let only_text_and_marks = browser.execute(
            "return Array.from(arguments[0].childNodes).every(function (n) {
                 return n.nodeType === 3 || (n.nodeName === 'MARK'
                     && Array.from(n.childNodes).every(function (c) { return c.nodeType === 3; }));
             });",
            &[snippet],
        );
        assert_eq!(
            only_text_and_marks, true,
            "a snippet holds more than text and <mark>"
        );
    }
    assert_eq!(
        browser.execute("return typeof window.__pwned;", &[]),
        "undefined",
        "an article's script ran"
    );
    let injected = browser.find_all("#results script, #results img, #results iframe");
    assert!(
        injected.is_empty(),
        "elements from article text in #results"
    );

    // Explain: how the query was understood, and why each hit scored.
    browser.click(&browser.get("#explain"));
    page.wait("the explain sections", || {
        let shown = browser.find("#query-explain:not([hidden])").is_some()
            && browser.find("li.hit details.why").is_some();
        shown.then_some(())
    });
    let understood = page.text("#query-explain");
    assert!(understood.contains("normalized"), "{understood:?}");
    let url = browser.execute("return location.search;", &[]);
    assert!(
        url.as_str().unwrap_or("").contains("explain=1"),
        "URL {url}"
    );

    let shot = dir.path().join("browser-screenshot.png");
    std::fs::write(&shot, browser.screenshot()).expect("save the screenshot");
    say(&format!("browser screenshot: {}", shot.display()));
    if std::env::var_os("ZHSEARCH_KEEP_SCREENSHOT").is_some() {
        let kept = target_dir().join("browser-screenshot.png");
        std::fs::copy(&shot, &kept).expect("keep the screenshot");
        say(&format!("browser screenshot kept: {}", kept.display()));
    }

    // Nothing matches: the page says so.
    page.type_query("zzqqxxyy");
    let message = page.text("#message");
    assert!(
        message.contains("没有找到匹配的段落"),
        "#message: {message:?}"
    );
    assert!(browser.find("li.hit").is_none(), "hits for zzqqxxyy");
}

impl Page<'_> {
    /// Replaces the places in the In box by typing `places`, then waits
    /// until the page has shown the answer for them.
    fn type_places(&self, places: &str) {
        let field = self.browser.get("#in");
        self.browser.clear(&field);
        self.browser.send_keys(&field, places);
        let wanted: Vec<&str> = places.split_whitespace().collect();
        self.wait(&format!("the answer within {places:?}"), || {
            let state = self.browser.execute(
                "return [new URLSearchParams(location.search).getAll('in').join(' '),
                         document.getElementById('main').classList.contains('loading')];",
                &[],
            );
            (state[0] == wanted.join(" ") && state[1] == false).then_some(())
        });
    }
}

#[test]
fn page_searches_within_places() {
    if browser_missing() {
        return;
    }
    let dir = TestDir::new();
    dir.create(
        "corpus/guides/esim/a.md",
        "# eSIM\n\n在线注销eSIM卡的步骤。\n",
    );
    dir.create(
        "corpus/guides/esim/b.md",
        "# eSIM 2\n\n注销eSIM之前先备份。\n",
    );
    dir.create("corpus/guides/sim/c.md", "# SIM\n\n去营业厅注销SIM卡。\n");
    dir.create("corpus/notes.txt", "注销的笔记。\n");
    dir.search_json(&["--corpus", "corpus", "--index", "index", "注销"]);
    let server = Server::start(&dir, &["--corpus", "corpus", "--index", "index"]);
    let driver = ChromeDriver::start();
    let page = Page::open(&driver, &server);
    let browser = &page.browser;
    page.type_query("注销");
    assert_eq!(browser.find_all("#results li.hit").len(), 4);

    // One folder: only its articles, and how many the place names.
    page.type_places("guides/esim");
    let paths: Vec<String> = browser
        .find_all("li.hit .path")
        .iter()
        .map(|p| browser.text(p))
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(
        paths.iter().all(|p| p.starts_with("guides/esim/")),
        "{paths:?}"
    );
    let range = page.text("#range");
    assert!(range.contains("范围内 2 篇文章"), "{range:?}");

    // Two places, a folder and a glob: both.
    page.type_places("guides/sim *.txt");
    let mut paths: Vec<String> = browser
        .find_all("li.hit .path")
        .iter()
        .map(|p| {
            browser
                .text(p)
                .split(':')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    paths.sort();
    assert_eq!(paths, ["guides/sim/c.md", "notes.txt"]);

    // Reloading the page's URL brings back the query, the places and the hits.
    let url = browser.execute("return location.href;", &[]);
    browser.goto(url.as_str().expect("the URL"));
    page.wait("the hits after a reload", || {
        (browser.find_all("#results li.hit").len() == 2).then_some(())
    });
    let fields = browser.execute(
        "return [document.getElementById('q').value, document.getElementById('in').value];",
        &[],
    );
    assert_eq!(fields, serde_json::json!(["注销", "guides/sim *.txt"]));

    // A place with no article says so; a bad one shows the server's sentence.
    page.type_places("guides/nowhere");
    let message = page.text("#message");
    assert!(
        message.contains("这个范围里没有已索引的文章"),
        "{message:?}"
    );
    assert!(message.contains("guides/nowhere"), "{message:?}");
    assert!(browser.find("li.hit").is_none());
    page.type_places("../x");
    let message = page.text("#message");
    assert!(message.contains("搜索范围写得不对"), "{message:?}");
    assert!(message.contains(".."), "the server's sentence: {message:?}");
    assert!(browser.find("li.hit").is_none());

    // Emptied (a space is no place), the box searches everything again.
    page.type_places(" ");
    assert_eq!(browser.find_all("#results li.hit").len(), 4);
}
