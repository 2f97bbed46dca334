//! The subcommands: one function each, with typed arguments.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::analysis::Lexicon;
use crate::cli::{Cli, ColorWhen, Command, EvalArgs, IndexArgs, Locations, SearchArgs};
use crate::config::Settings;
use crate::eval;
use crate::index::{
    self, OpenError, Progress, Rebuilt, SearchIndex, StoredManifest, UnpackError, UpdateOptions,
    UpdateReport, UserFiles, Wait,
};
use crate::output::printable::{printable, printable_path};
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
    let index_dir = &args.locations.index;
    let payload = index::read_payload(index_dir).ok();
    let stored = payload.as_ref().map(|p| &p.manifest);
    let locations = remembered(&args.locations, stored);
    let corpus = resolve_corpus(&locations, stored.and_then(|m| m.corpus.as_deref()));
    let settings = Settings::load(&corpus, &locations)?;
    let options = UpdateOptions {
        rebuild: args.rebuild,
        wait: if args.wait { Wait::Yes } else { Wait::No },
        user_files: user_files(&locations),
    };
    let report = update_with_progress(&corpus, index_dir, &settings.lexicon, options)?;
    print_report(&report, &corpus, index_dir, &mut io::stdout().lock())?;
    Ok(Exit::Success)
}

/// `locations` with the user dictionary and synonyms the index was built
/// with (`stored`) where no flag names them: a flag replaces what the index
/// remembers, and no flag keeps it, so `zhsearch index --dict FILE` once is
/// enough.
fn remembered(locations: &Locations, stored: Option<&StoredManifest>) -> Locations {
    let remembered = stored.map(|m| m.user_files.clone()).unwrap_or_default();
    Locations {
        dict: locations.dict.clone().or(remembered.dict),
        synonyms: locations.synonyms.clone().or(remembered.synonyms),
        ..locations.clone()
    }
}

/// The user files named by `locations`, absolute, to be remembered by the index.
fn user_files(locations: &Locations) -> UserFiles {
    let absolute = |path: &Option<PathBuf>| {
        path.as_ref()
            .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
    };
    UserFiles {
        dict: absolute(&locations.dict),
        synonyms: absolute(&locations.synonyms),
    }
}

/// The corpus folder: `--corpus`, else the folder the index was built from
/// (`stored`, from its manifest), else `corpus`.
fn resolve_corpus(locations: &Locations, stored: Option<&Path>) -> PathBuf {
    if let Some(corpus) = &locations.corpus {
        return corpus.clone();
    }
    match stored.map(Path::to_path_buf) {
        // Shown relative to the working folder when it is inside it.
        Some(path) => std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(path),
        None => PathBuf::from("corpus"),
    }
}

/// Runs an update with a progress bar on stderr when it is a terminal.
fn update_with_progress(
    corpus: &Path,
    index_dir: &Path,
    lexicon: &Arc<Lexicon>,
    options: UpdateOptions,
) -> Result<UpdateReport> {
    let bar = if io::stderr().is_terminal() {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    let style = ProgressStyle::with_template(
        "{spinner} indexing [{bar:30}] {pos}/{len} files {elapsed} {wide_msg}",
    )
    .map(|s| s.progress_chars("=> "));
    let mut on_progress = |event: Progress| match event {
        Progress::Waiting => eprintln!(
            "zhsearch: another zhsearch is updating '{}'; waiting for it to finish…",
            printable_path(index_dir)
        ),
        Progress::Scanned { files } => {
            bar.set_length(files as u64);
            if let Ok(style) = &style {
                bar.set_style(style.clone());
            }
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Progress::File { done, path } => {
            bar.set_position(done as u64);
            if !bar.is_hidden() {
                bar.set_message(printable(path).into_owned());
            }
        }
        Progress::Committing => {
            bar.set_position(bar.length().unwrap_or(0));
            bar.set_message("saving the index…");
        }
    };
    let result = crate::panic_guard::catch(std::panic::AssertUnwindSafe(|| {
        index::update(corpus, index_dir, lexicon, options, &mut on_progress)
    }));
    bar.finish_and_clear();
    result.unwrap_or_else(|message| {
        Err(anyhow::anyhow!(
            "the index at '{}' could not be updated ({message}); it may be damaged: run \
             `zhsearch index --rebuild`",
            index_dir.display()
        ))
    })
}

/// Warns about skipped files and files read with a notice on stderr, and
/// prints the summary line.
fn print_report(
    report: &UpdateReport,
    corpus: &Path,
    index_dir: &Path,
    out: &mut impl Write,
) -> io::Result<()> {
    for skipped in &report.skipped {
        eprintln!(
            "zhsearch: skipped {}: {}",
            printable(&skipped.rel_path),
            printable(&skipped.reason.to_string())
        );
    }
    for notice in &report.notices {
        eprintln!(
            "zhsearch: {}: {}",
            printable(&notice.rel_path),
            printable(&notice.message)
        );
    }
    if let Some(Rebuilt::Replaced(why)) = &report.rebuilt {
        eprintln!(
            "zhsearch: rebuilt the index at '{}' from scratch: {}.",
            printable_path(index_dir),
            printable(why)
        );
    }
    let what = match (
        &report.rebuilt,
        report.added + report.updated + report.removed,
    ) {
        (Some(Rebuilt::Missing), _) => "Built",
        (Some(_), _) => "Rebuilt",
        (None, 0) => "Checked",
        (None, _) => "Updated",
    };
    writeln!(
        out,
        "{what} '{}' from '{}': {} added, {} updated, {} removed, {} unchanged, {} skipped; \
         {} articles, {} passages in {:.2} s.",
        printable_path(index_dir),
        printable_path(corpus),
        report.added,
        report.updated,
        report.removed,
        report.unchanged,
        report.skipped.len(),
        report.articles,
        report.passages,
        report.elapsed.as_secs_f64(),
    )
}

/// `zhsearch index` with the flags needed to reach the same folders.
fn index_command(locations: &Locations) -> String {
    let mut command = "zhsearch index".to_string();
    if let Some(corpus) = &locations.corpus {
        command.push_str(&format!(" --corpus {}", shell_quote(corpus)));
    }
    if locations.index != Path::new("index") {
        command.push_str(&format!(" --index {}", shell_quote(&locations.index)));
    }
    command
}

/// `path` quoted for a shell, made printable: it is shown, not run.
fn shell_quote(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = text
        .chars()
        .all(|c| c.is_alphanumeric() || "-_./+,:@".contains(c));
    if plain && !text.is_empty() {
        text
    } else {
        printable(&format!("'{}'", text.replace('\'', r"'\''"))).into_owned()
    }
}

/// Opens the index (building it from the corpus first when there is none, or
/// updating it first with `refresh`), warning on stderr when the corpus
/// changed since it was built. `many_queries` loads the whole dictionary once
/// instead of a small one per query.
fn open_engine(locations: &Locations, refresh: bool, many_queries: bool) -> Result<Engine> {
    // The payload is read once: it names the corpus folder and the user
    // files, whose dictionary the index is then checked against.
    let payload = index::read_payload(&locations.index);
    let stored = payload.as_ref().ok().map(|p| &p.manifest);
    let locations = &remembered(locations, stored);
    let corpus = resolve_corpus(locations, stored.and_then(|m| m.corpus.as_deref()));
    let settings = Settings::load(&corpus, locations)?;
    let lexicon = &settings.lexicon;
    if many_queries {
        // Loads while the index is opened and checked.
        lexicon.preload();
    }
    let update = UpdateOptions {
        rebuild: false,
        wait: Wait::Yes,
        user_files: user_files(locations),
    };
    let opened = if refresh {
        let report = update_with_progress(&corpus, &locations.index, lexicon, update.clone())?;
        print_report(&report, &corpus, &locations.index, &mut io::stderr().lock())?;
        index::open(&locations.index, lexicon)
    } else {
        payload.and_then(|payload| index::open_with(&locations.index, payload, lexicon))
    };
    let opened = match opened {
        Err(OpenError::Missing(_)) => {
            eprintln!(
                "zhsearch: no index at '{}' yet; building it from '{}' first.",
                printable_path(&locations.index),
                printable_path(&corpus)
            );
            let report = update_with_progress(&corpus, &locations.index, lexicon, update.clone())?;
            print_report(&report, &corpus, &locations.index, &mut io::stderr().lock())?;
            index::open(&locations.index, lexicon)?
        }
        Ok(opened) => {
            if !refresh {
                warn_if_stale(&opened, &corpus, locations);
            }
            opened
        }
        Err(err) => return Err(err.into()),
    };
    if many_queries {
        // Waited for here, so that no query's time includes it.
        lexicon.full();
    }
    Engine::new(opened, Arc::clone(lexicon), settings.synonyms, many_queries)
}

fn run_search(args: &SearchArgs) -> Result<Exit> {
    let engine = open_engine(&args.locations, args.refresh, args.batch.is_some())?;
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
/// so output lines stay aligned with input lines. Lines are read as bytes, so
/// a line that is not UTF-8 is one such error (its `query` the lossy text,
/// U+FFFD for each bad sequence), not the end of the batch.
fn run_batch(
    engine: &Engine,
    source: &Path,
    options: SearchOptions,
    timings: bool,
    out: &mut impl Write,
) -> Result<()> {
    let mut reader: Box<dyn BufRead> = if source == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        let file = std::fs::File::open(source)
            .with_context(|| format!("cannot open query file '{}'", source.display()))?;
        Box::new(io::BufReader::new(file))
    };
    let mut bytes = Vec::new();
    for number in 1.. {
        bytes.clear();
        let read = reader
            .read_until(b'\n', &mut bytes)
            .with_context(|| format!("cannot read queries from '{}'", source.display()))?;
        if read == 0 {
            break;
        }
        let line = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(line) = std::str::from_utf8(line) else {
            let query = String::from_utf8_lossy(line);
            let error = format!("line {number} is not valid UTF-8");
            let mut json = JsonResults::from_error(query.trim(), error);
            if timings {
                // Nothing was searched.
                json = json.with_time(Duration::ZERO);
            }
            serde_json::to_writer(&mut *out, &json)?;
            writeln!(out)?;
            continue;
        };
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
    let engine = open_engine(&args.locations, false, true)?;
    let report = eval::evaluate(&engine, &questions)?;
    if report.unknown_ids > 0 {
        eprintln!(
            "zhsearch: warning: {} of {} relevant ids name no article in the index at '{}'; \
             are the questions for this corpus?",
            report.unknown_ids,
            report.total_ids,
            printable_path(&args.locations.index)
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

/// Says on stderr (one line) when `corpus` changed since the index was built.
fn warn_if_stale(opened: &SearchIndex, corpus: &Path, locations: &Locations) {
    match opened.manifest.changes(corpus, &locations.index) {
        Ok(changes) if changes.is_empty() => {}
        Ok(changes) => eprintln!(
            "zhsearch: the corpus '{}' changed since the index was built ({} added, {} changed, \
             {} removed); run `{}` to update it, or search with --refresh.",
            printable_path(corpus),
            changes.added.len(),
            changes.changed.len(),
            changes.removed.len(),
            index_command(locations)
        ),
        Err(err) if err.is::<UnpackError>() => eprintln!(
            "zhsearch: cannot tell whether the index is up to date ({}); run `{} --rebuild`.",
            printable(&format!("{err:#}")),
            index_command(locations)
        ),
        Err(err) => eprintln!(
            "zhsearch: cannot tell whether the index is up to date ({}); pass --corpus DIR.",
            printable(&format!("{err:#}"))
        ),
    }
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
