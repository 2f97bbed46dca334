//! Command-line flags (clap). This layer only extracts values; the commands
//! in [`crate::commands`] do the work, and the library never sees a clap type.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use zhsearch::config::{DEFAULT_INDEX, Locations};

/// Search Chinese documents: index a folder of Markdown or text articles and
/// get the most relevant passages for a question, best first.
#[derive(Debug, Parser)]
#[command(name = "zhsearch", version, about, long_about = None)]
#[command(
    after_long_help = "Exit codes: 0 the command ran (a search with no hits included), \
1 a runtime error (missing corpus, unreadable index, I/O), 2 a usage error (bad flags, a query \
with no searchable words)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the index of a corpus folder.
    Index(IndexArgs),
    /// Search the index for passages.
    Search(SearchArgs),
    /// Measure ranking quality on questions with known answers.
    ///
    /// Prints MRR@10, Recall@10, Recall@100 and nDCG@10 over the questions
    /// (an article ranks where its best passage ranks; relevance is binary),
    /// the queries that could not run (they count as zero) and the slowest
    /// queries. Builds the index first when there is none.
    Eval(EvalArgs),
    /// Serve searches over HTTP: a JSON API and a search page.
    ///
    /// Opens the index (building it first when there is none) and answers
    /// `GET /` (the page), `GET|POST /search`, `POST /multi-search`,
    /// `GET /stats`, `GET /health` and `POST /index` (the API is in the
    /// README). It follows the index: a commit made by `zhsearch index`, by
    /// `POST /index` or by `--watch` is served without a restart. Ctrl-C or
    /// SIGTERM stops it once the requests in flight are answered.
    Serve(ServeArgs),
    /// Print a shell completion script.
    ///
    /// For example `zhsearch completions bash > ~/.local/share/bash-completion/completions/zhsearch`,
    /// or `zhsearch completions zsh > ~/.zfunc/_zhsearch`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) of zhsearch or of one of its commands.
    ///
    /// For example `zhsearch man | man -l -` or `zhsearch man search | man -l -`.
    Man(ManArgs),
}

/// Flags of `zhsearch completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

/// Flags of `zhsearch man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print [default: the overview].
    #[arg(value_name = "COMMAND", value_parser = ["index", "search", "eval", "serve", "completions", "man"])]
    pub command: Option<String>,
}

/// Where the articles and the index live.
#[derive(Debug, Clone, Args)]
pub struct LocationArgs {
    /// Folder of articles (.md, .markdown, .txt), walked recursively [default: the folder the
    /// index was built from, else `corpus`].
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Folder of the index.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_INDEX)]
    pub index: PathBuf,
    /// User dictionary (jieba format: `word [frequency] [tag]` per line) that
    /// teaches the segmenter more words; `<corpus>/.zhsearch/dict.txt` is read too.
    #[arg(long, value_name = "FILE")]
    pub dict: Option<PathBuf>,
    /// User synonyms (one group of words per line) added to the built-in
    /// table; `<corpus>/.zhsearch/synonyms.txt` is read too.
    #[arg(long, value_name = "FILE")]
    pub synonyms: Option<PathBuf>,
}

impl LocationArgs {
    /// The locations for [`zhsearch::config::Config::resolve`].
    pub fn resolved(&self) -> Locations {
        Locations {
            corpus: self.corpus.clone(),
            index: self.index.clone(),
            dict: self.dict.clone(),
            synonyms: self.synonyms.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    #[command(flatten)]
    pub locations: LocationArgs,
    /// Rebuild the index from scratch instead of updating what changed.
    #[arg(long)]
    pub rebuild: bool,
    /// If another `zhsearch index` is updating the same index, wait for it to finish instead of
    /// failing.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("machine").args(["json", "batch"]).multiple(true)))]
pub struct SearchArgs {
    #[command(flatten)]
    pub locations: LocationArgs,
    /// Most passages to show, 1 to 10,000.
    #[arg(short = 'n', long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub limit: u32,
    /// Print one JSON object instead of text (format in the README).
    #[arg(long)]
    pub json: bool,
    /// Read one query per line from FILE (`-` for stdin) and print one JSON
    /// object per line, in the same order.
    #[arg(long, value_name = "FILE", conflicts_with = "query")]
    pub batch: Option<PathBuf>,
    /// Show how the query was understood (normalized text, words, dropped
    /// stop words, synonyms with their weights) and why each hit scored.
    #[arg(long)]
    pub explain: bool,
    /// Add `"took_ms"` to each JSON object: the time to search and build
    /// the snippets, in milliseconds (with --json or --batch).
    #[arg(long, requires = "machine")]
    pub timings: bool,
    /// Search only under PATH: a folder, a file or a glob of article paths (repeatable).
    ///
    /// PATH is relative to the corpus folder with `/` between folders (a
    /// Windows-style `\` is not a separator). A folder takes everything below
    /// it (`--in guides/esim` is `guides/esim/a.md` but not `guides/esim2/b.md`;
    /// a trailing `/` is optional), a file just that article. With `*`, `?`,
    /// `[` or `{` it is a glob over whole paths: `*` stays within a folder,
    /// `**` crosses any number (`--in 'guides/*/faq-*.md'`, `--in '**/*.txt'`).
    /// Several `--in` search all of their places. Scores are those of the
    /// unfiltered search.
    #[arg(long = "in", value_name = "PATH")]
    pub within: Vec<String>,
    /// Snippet length in characters, 10 to 5,000.
    #[arg(long, value_name = "CHARS", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(10..=5_000))]
    pub snippet_chars: u32,
    /// Show near-duplicate passages as hits of their own, rather than folded into the
    /// best-ranked copy ("also at PATH:LINE").
    #[arg(long)]
    pub no_collapse: bool,
    /// Also read a word of two to six consonants as the initials of Chinese words: `zx` searches
    /// the most frequent words whose syllables start z, x (注销, 在线). Off by default: initials
    /// match far too much.
    #[arg(long)]
    pub pinyin_initials: bool,
    /// Update the index from the corpus first (what `zhsearch index` does), waiting for another
    /// update to finish if one is running.
    #[arg(long)]
    pub refresh: bool,
    /// When to colour the output; `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorWhen,
    /// The query: words, a question, "exact phrases", -excluded words.
    ///
    /// Quote the query as one argument (`"注销 -营业厅"`), or put `--` before
    /// words that start with `-`.
    #[arg(value_name = "QUERY", required_unless_present = "batch")]
    pub query: Vec<String>,
}

/// Flags of `zhsearch eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub locations: LocationArgs,
    /// JSON Lines file of questions: `{"query": "…", "relevant": ["<id>", …]}`
    /// per line, an id being an article's path relative to the corpus folder
    /// or its file stem (other keys are ignored).
    #[arg(long, value_name = "FILE")]
    pub queries: PathBuf,
    /// Print one JSON object instead of text (format in the README).
    #[arg(long)]
    pub json: bool,
    /// How many of the slowest queries to list.
    #[arg(short = 'n', long, value_name = "K", default_value_t = 5)]
    pub slowest: usize,
}

/// Flags of `zhsearch serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub locations: LocationArgs,
    /// Address (or host name) and port to listen on. 127.0.0.1 or localhost serves this machine
    /// only; 0.0.0.0 serves every network (give it a --search-key).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7700", value_parser = listen_address)]
    pub addr: std::net::SocketAddr,
    /// Key that searching needs, sent as `Authorization: Bearer KEY` [default: none, searching is
    /// open].
    #[arg(
        long,
        value_name = "KEY",
        env = "ZHSEARCH_SEARCH_KEY",
        hide_env_values = true
    )]
    pub search_key: Option<String>,
    /// Key that `POST /index` needs, sent as `Authorization: Bearer KEY`; without one, updating
    /// over HTTP is off.
    #[arg(
        long,
        value_name = "KEY",
        env = "ZHSEARCH_ADMIN_KEY",
        hide_env_values = true
    )]
    pub admin_key: Option<String>,
    /// Let web pages of ORIGIN (like `https://example.com`, or `*` for any) call the API from a
    /// browser [default: no other origin].
    #[arg(long, value_name = "ORIGIN")]
    pub cors: Option<String>,
    /// Follow the corpus folder and update the index shortly after articles are added, edited,
    /// renamed or deleted.
    #[arg(long)]
    pub watch: bool,
    /// Time limit of one request's searching, in milliseconds, 1 to 600,000.
    #[arg(long, value_name = "MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub timeout_ms: u64,
    /// Searches run at once [default: the number of cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Requests that may wait for a search thread; more are refused with 503 and `Retry-After`
    /// [default: 32 per thread].
    #[arg(long, value_name = "N")]
    pub queue: Option<usize>,
}

/// The address `--addr` names: `IP:PORT`, or `HOST:PORT` resolved (to its
/// IPv4 address first, so `localhost:7700` is 127.0.0.1, where browsers
/// look first).
fn listen_address(given: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let usage = "give HOST:PORT, like 127.0.0.1:7700 or localhost:7700";
    let found: Vec<std::net::SocketAddr> = given
        .to_socket_addrs()
        .map_err(|e| format!("{e}: {usage}"))?
        .collect();
    found
        .iter()
        .find(|a| a.is_ipv4())
        .or(found.first())
        .copied()
        .ok_or_else(|| format!("names no address: {usage}"))
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_configuration_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn query_words_join_and_limit_parses() {
        let cli =
            Cli::try_parse_from(["zhsearch", "search", "-n", "3", "eSIM", "在线销户"]).unwrap();
        let Command::Search(args) = cli.command else {
            panic!("not search")
        };
        assert_eq!(args.limit, 3);
        assert_eq!(args.query, ["eSIM", "在线销户"]);
    }

    #[test]
    fn zero_limit_is_a_usage_error() {
        assert!(Cli::try_parse_from(["zhsearch", "search", "-n", "0", "x"]).is_err());
    }

    #[test]
    fn eval_needs_a_queries_file() {
        assert!(Cli::try_parse_from(["zhsearch", "eval"]).is_err());
        let cli =
            Cli::try_parse_from(["zhsearch", "eval", "--queries", "q.jsonl", "-n", "3"]).unwrap();
        let Command::Eval(args) = cli.command else {
            panic!("not eval")
        };
        assert_eq!(args.queries, std::path::Path::new("q.jsonl"));
        assert_eq!(args.slowest, 3);
        assert!(!args.json);
    }

    #[test]
    fn timings_need_json_output() {
        assert!(Cli::try_parse_from(["zhsearch", "search", "--timings", "x"]).is_err());
        assert!(Cli::try_parse_from(["zhsearch", "search", "--timings", "--json", "x"]).is_ok());
        assert!(Cli::try_parse_from(["zhsearch", "search", "--timings", "--batch", "-"]).is_ok());
    }

    #[test]
    fn corpus_defaults_to_none_and_index_flags_parse() {
        let cli = Cli::try_parse_from(["zhsearch", "index", "--wait", "--rebuild"]).unwrap();
        let Command::Index(args) = cli.command else {
            panic!("not index")
        };
        assert!(args.wait && args.rebuild);
        assert_eq!(args.locations.corpus, None);
        let cli = Cli::try_parse_from(["zhsearch", "search", "--refresh", "x"]).unwrap();
        let Command::Search(args) = cli.command else {
            panic!("not search")
        };
        assert!(args.refresh);
    }

    #[test]
    fn in_repeats_and_keeps_its_order() {
        let cli = Cli::try_parse_from([
            "zhsearch",
            "search",
            "--in",
            "guides/esim",
            "--in",
            "*.txt",
            "x",
        ])
        .unwrap();
        let Command::Search(args) = cli.command else {
            panic!("not search")
        };
        assert_eq!(args.within, ["guides/esim", "*.txt"]);
        assert_eq!(args.query, ["x"]);
    }

    #[test]
    fn query_or_batch_is_required() {
        assert!(Cli::try_parse_from(["zhsearch", "search"]).is_err());
        assert!(Cli::try_parse_from(["zhsearch", "search", "--batch", "-"]).is_ok());
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn completions_take_a_known_shell() {
        let cli = Cli::try_parse_from(["zhsearch", "completions", "zsh"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Completions(CompletionsArgs { shell: Shell::Zsh })
        ));
        assert!(Cli::try_parse_from(["zhsearch", "completions", "tcsh"]).is_err());
    }

    #[test]
    fn man_takes_an_optional_known_command() {
        let cli = Cli::try_parse_from(["zhsearch", "man"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Man(ManArgs { command: None })
        ));
        assert!(Cli::try_parse_from(["zhsearch", "man", "search"]).is_ok());
        assert!(Cli::try_parse_from(["zhsearch", "man", "nope"]).is_err());
    }
}
