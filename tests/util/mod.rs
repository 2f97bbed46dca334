//! A harness that reads like a user's session: a temp folder per test, files
//! written into it, the real binary run inside it.

#![allow(dead_code)]

pub mod server;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde::Deserialize;

pub mod webdriver;

/// The seed corpus shipped in the repository.
pub const SEED_CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");

/// A temporary working folder.
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    /// An empty folder.
    pub fn new() -> Self {
        TestDir {
            dir: tempfile::tempdir().expect("create temp dir"),
        }
    }

    /// A folder whose `corpus/` is a copy of the seed corpus.
    pub fn with_seed_corpus() -> Self {
        let dir = TestDir::new();
        for entry in std::fs::read_dir(SEED_CORPUS).expect("seed corpus") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            dir.create(
                &format!("corpus/{name}"),
                std::fs::read(&path).expect("read seed"),
            );
        }
        dir
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `rel` (creating folders), returning its full path.
    pub fn create(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// `zhsearch` run inside this folder, with a clean environment.
    pub fn zhsearch(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhsearch"));
        cmd.current_dir(self.dir.path()).env_remove("NO_COLOR");
        cmd
    }

    /// Runs `zhsearch index` and asserts it succeeded.
    pub fn index(&self) -> String {
        let out = self.zhsearch().arg("index").assert().success();
        String::from_utf8_lossy(&out.get_output().stdout).into_owned()
    }

    /// Runs `zhsearch search --json ARGS…` and parses the single JSON object.
    pub fn search_json(&self, args: &[&str]) -> Results {
        let out = self
            .zhsearch()
            .args(["search", "--json"])
            .args(args)
            .assert()
            .success();
        serde_json::from_slice(&out.get_output().stdout).expect("one JSON object")
    }
}

/// The JSON object of `search --json`, strictly: unknown fields fail the test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Results {
    pub query: String,
    pub total: usize,
    /// `"eq"`, or `"gte"` past 10,000.
    pub total_relation: String,
    /// The corrected query, when a variant spelling was corrected.
    #[serde(default)]
    pub corrected: Option<String>,
    pub hits: Vec<Hit>,
    /// With `--in`: the filters as given.
    #[serde(default, rename = "in")]
    pub within: Option<Vec<String>>,
    /// With `--in`: indexed articles the filters name.
    #[serde(default)]
    pub in_articles: Option<usize>,
    /// With `--in` naming no article: the sentence saying so.
    #[serde(default)]
    pub notice: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub explain: Option<serde_json::Value>,
    pub took_ms: Option<f64>,
    /// From the server: hits skipped before the first.
    #[serde(default)]
    pub offset: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hit {
    pub rank: usize,
    pub score: f32,
    pub path: String,
    pub line: u64,
    pub title: String,
    pub heading: String,
    pub text: String,
    pub snippet: String,
    /// `"feedback"` when found only through the related terms.
    #[serde(default)]
    pub via: Option<String>,
    /// Near-duplicates folded into this hit.
    #[serde(default)]
    pub duplicates: Vec<Duplicate>,
    #[serde(default)]
    pub explain: Option<serde_json::Value>,
}

/// Where a near-duplicate of a hit is.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Duplicate {
    pub path: String,
    pub line: u64,
}

impl Hit {
    /// `title › heading`, as the terminal output shows it.
    pub fn place(&self) -> String {
        format!("{} › {}", self.title, self.heading)
    }
}
