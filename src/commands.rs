//! The subcommands: one function each, with typed arguments.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::cli::{Cli, ColorWhen, Command, EvalArgs, IndexArgs, Locations, SearchArgs};
use crate::config::Settings;
use crate::eval;
use crate::index::{self, BuildReport, OpenError};
use crate::output::{self, json::JsonResults, terminal};
use crate::search::{Engine, QueryError, SearchOptions};

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command ran (a search with no hits included).
    Success = 0,
    /// A runtime error: missing corpus, unreadable index, I/O.
    Failure = 1,
    /// A usage error: bad flags, a query with no searchable words.
    Usage = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// The exit code for an error: usage errors are 2, everything else 1.
pub fn exit_for(err: &anyhow::Error) -> Exit {
    if err.chain().any(|e| e.is::<QueryError>()) {
        Exit::Usage
    } else {
        Exit::Failure
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<Exit> {
    match cli.command {
        Command::Index(args) => run_index(&args),
        Command::Search(args) => run_search(&args),
        Command::Eval(args) => run_eval(&args),
    }
}

fn run_index(args: &IndexArgs) -> Result<Exit> {
    let settings = Settings::from_locations(&args.locations)?;
    let report = index::build(&settings.corpus, &settings.index, &settings.lexicon)?;
    print_report(&report, &settings.index, &mut io::stdout().lock())?;
    Ok(Exit::Success)
}

/// Warns about skipped files on stderr and prints the summary line.
fn print_report(report: &BuildReport, index_dir: &Path, out: &mut impl Write) -> io::Result<()> {
    for skipped in &report.skipped {
        eprintln!("zhsearch: skipped {}: {}", skipped.rel_path, skipped.reason);
    }
    writeln!(
        out,
        "Indexed {} articles, {} passages ({} skipped) in {:.2} s into '{}'.",
        report.articles,
        report.passages,
        report.skipped.len(),
        report.elapsed.as_secs_f64(),
        index_dir.display()
    )
}

/// Opens the index, building it from the corpus first when there is none.
/// `many_queries` loads the whole dictionary once instead of a small one per query.
fn open_engine(locations: &Locations, many_queries: bool) -> Result<Engine> {
    let settings = Settings::from_locations(locations)?;
    let lexicon = &settings.lexicon;
    let opened = match index::open(&settings.index, lexicon) {
        Err(OpenError::Missing(_)) => {
            eprintln!(
                "zhsearch: no index at '{}' yet; building it from '{}' first.",
                settings.index.display(),
                settings.corpus.display()
            );
            let report = index::build(&settings.corpus, &settings.index, lexicon)?;
            print_report(&report, &settings.index, &mut io::stderr().lock())?;
            index::open(&settings.index, lexicon)?
        }
        other => other?,
    };
    if many_queries {
        lexicon.preload();
    }
    Engine::new(opened, Arc::clone(lexicon), settings.synonyms)
}

fn run_search(args: &SearchArgs) -> Result<Exit> {
    let engine = open_engine(&args.locations, args.batch.is_some())?;
    let options = SearchOptions {
        limit: args.limit as usize,
        snippet_chars: args.snippet_chars as usize,
        explain: args.explain,
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if let Some(batch) = &args.batch {
        run_batch(&engine, batch, options, args.timings, &mut out)?;
        out.flush()?;
        return Ok(Exit::Success);
    }
    let query = args.query.join(" ");
    let started = Instant::now();
    let results = engine.search(&query, options)?;
    let took = started.elapsed();
    if !results.ignored.is_empty() {
        eprintln!(
            "zhsearch: the query is long; {} words past the first {} were ignored.",
            results.ignored.len(),
            crate::search::query::MAX_WORDS
        );
    }
    if args.json {
        let mut json = JsonResults::from_results(&results);
        if args.timings {
            json = json.with_time(took);
        }
        serde_json::to_writer(&mut out, &json)?;
        writeln!(out)?;
    } else {
        terminal::write_results(&mut out, &results, use_color(args.color))?;
    }
    out.flush()?;
    Ok(Exit::Success)
}

/// One JSON line per query line; a query that cannot run gets an `error` field
/// so output lines stay aligned with input lines.
fn run_batch(
    engine: &Engine,
    source: &Path,
    options: SearchOptions,
    timings: bool,
    out: &mut impl Write,
) -> Result<()> {
    let reader: Box<dyn BufRead> = if source == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        let file = std::fs::File::open(source)
            .with_context(|| format!("cannot open query file '{}'", source.display()))?;
        Box::new(io::BufReader::new(file))
    };
    for line in reader.lines() {
        let line =
            line.with_context(|| format!("cannot read queries from '{}'", source.display()))?;
        let query = line.trim();
        let started = Instant::now();
        let result = engine.search(query, options);
        let took = started.elapsed();
        let mut json = match &result {
            Ok(results) => JsonResults::from_results(results),
            Err(err) if err.is::<QueryError>() => JsonResults::from_error(query, err.to_string()),
            Err(_) => return result.map(|_| ()),
        };
        if timings {
            json = json.with_time(took);
        }
        serde_json::to_writer(&mut *out, &json)?;
        writeln!(out)?;
    }
    Ok(())
}

fn run_eval(args: &EvalArgs) -> Result<Exit> {
    // Read the questions first: a bad file fails before any index work.
    let questions = eval::read_questions(&args.queries)?;
    let engine = open_engine(&args.locations, true)?;
    let report = eval::evaluate(&engine, &questions)?;
    if report.unknown_ids > 0 {
        eprintln!(
            "zhsearch: warning: {} of {} relevant ids name no article in the index at '{}'; \
             are the questions for this corpus?",
            report.unknown_ids,
            report.total_ids,
            args.locations.index.display()
        );
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if args.json {
        let json = output::eval::JsonReport::new(&report, args.slowest);
        serde_json::to_writer(&mut out, &json)?;
        writeln!(out)?;
    } else {
        let source = args.queries.display().to_string();
        output::eval::write_report(&mut out, &report, &source, args.slowest)?;
    }
    out.flush()?;
    Ok(Exit::Success)
}

fn use_color(when: ColorWhen) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    }
}
