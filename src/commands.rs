//! The subcommands: glue between the flags and the library. Each reads its
//! [`Config`] once, calls the library, and hands what it got to `output`.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{
    Cli, ColorWhen, Command, CompletionsArgs, EvalArgs, IndexArgs, ManArgs, SearchArgs, ServeArgs,
};
use zhsearch::config::Config;
use zhsearch::eval;
use zhsearch::index::{self, OpenError, UpdateOptions, UpdateReport, Wait};
use zhsearch::output::status::{self, ProgressDisplay};
use zhsearch::output::{self, batch, json::JsonResults, terminal};
use zhsearch::search::{Engine, FilterError, Filters, QueryError, SearchOptions, Workload};
use zhsearch::serve;

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command ran (a search with no hits included).
    Success = 0,
    /// A runtime error: missing corpus, unreadable index, I/O.
    Failure = 1,
    /// A usage error: bad flags, a query with no searchable words, a bad
    /// `--in`.
    Usage = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// The exit code for an error: usage errors are 2, everything else 1.
pub fn exit_for(err: &anyhow::Error) -> Exit {
    if err
        .chain()
        .any(|e| e.is::<QueryError>() || e.is::<FilterError>())
    {
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
        Command::Serve(args) => run_serve(&args),
        Command::Completions(args) => run_completions(&args),
        Command::Man(args) => run_man(&args),
    }
}

fn run_index(args: &IndexArgs) -> Result<Exit> {
    let config = Config::resolve(&args.locations.resolved())?;
    let options = UpdateOptions {
        rebuild: args.rebuild,
        wait: if args.wait { Wait::Yes } else { Wait::No },
        user_files: config.user_files.clone(),
    };
    let report = update(&config, options)?;
    status::write_update_report(
        &report,
        &config.corpus,
        &config.index,
        &mut io::stdout().lock(),
        &mut io::stderr().lock(),
    )?;
    Ok(Exit::Success)
}

/// Runs an update with its progress on stderr.
fn update(config: &Config, options: UpdateOptions) -> Result<UpdateReport> {
    let display = ProgressDisplay::new(&config.index);
    index::update(
        &config.corpus,
        &config.index,
        &config.segmenters,
        options,
        &mut |event| display.show(event),
    )
}

/// Runs an update before a search, its summary on stderr with its notes
/// (stdout is for the results).
fn update_noting(config: &Config, options: UpdateOptions) -> Result<()> {
    let report = update(config, options)?;
    let notes = &mut io::stderr();
    status::write_update_report(
        &report,
        &config.corpus,
        &config.index,
        notes,
        &mut io::stderr(),
    )?;
    Ok(())
}

/// Whether a search first brings the index up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    /// Search the index as it is, warning when the corpus changed since.
    AsIs,
    /// Update the index from the corpus first (`--refresh`).
    Refresh,
}

/// Opens the index (building it from the corpus first when there is none, or
/// updating it first with [`Freshness::Refresh`]), warning on stderr when the
/// corpus changed since it was built. [`Workload::ManyQueries`] also loads
/// the whole dictionary once instead of a small one per query.
fn open_engine(mut config: Config, freshness: Freshness, workload: Workload) -> Result<Engine> {
    let many_queries = workload == Workload::ManyQueries;
    if many_queries {
        // Loads while the index is opened and checked.
        config.segmenters.preload();
    }
    let update_options = UpdateOptions {
        rebuild: false,
        wait: Wait::Yes,
        user_files: config.user_files.clone(),
    };
    let notes = &mut io::stderr();
    let opened = match freshness {
        Freshness::Refresh => {
            update_noting(&config, update_options.clone())?;
            index::open(&config.index, &config.segmenters)
        }
        Freshness::AsIs => config
            .take_payload()
            .and_then(|payload| index::open_with(&config.index, payload, &config.segmenters)),
    };
    let opened = match opened {
        Err(OpenError::Missing(_)) => {
            status::write_building_first(notes, &config.index, &config.corpus)?;
            update_noting(&config, update_options)?;
            index::open(&config.index, &config.segmenters)?
        }
        Ok(opened) => {
            if freshness == Freshness::AsIs {
                let changes = opened.manifest.quick_changes(&config.corpus, &opened.dir);
                status::write_stale(notes, &changes, &config.corpus, &config.requested)?;
            }
            opened
        }
        Err(err) => return Err(err.into()),
    };
    if many_queries {
        // Waited for here, so that no query's time includes it.
        config.segmenters.full();
    }
    Engine::new(opened, config.segmenters, config.synonyms, workload)
}

fn run_search(args: &SearchArgs) -> Result<Exit> {
    // Checked before any index work.
    let filters = Filters::parse(&args.within)?;
    let config = Config::resolve(&args.locations.resolved())?;
    let freshness = if args.refresh {
        Freshness::Refresh
    } else {
        Freshness::AsIs
    };
    let workload = if args.batch.is_some() {
        Workload::ManyQueries
    } else {
        Workload::OneQuery
    };
    let engine = open_engine(config, freshness, workload)?;
    let options = SearchOptions {
        limit: args.limit as usize,
        snippet_chars: args.snippet_chars as usize,
        explain: args.explain,
        collapse: !args.no_collapse,
        pinyin_initials: args.pinyin_initials,
        deadline: None,
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if let Some(source) = &args.batch {
        let mut queries: Box<dyn BufRead> = if source == Path::new("-") {
            Box::new(io::stdin().lock())
        } else {
            let file = std::fs::File::open(source)
                .with_context(|| format!("cannot open query file '{}'", source.display()))?;
            Box::new(io::BufReader::new(file))
        };
        let name = source.display().to_string();
        batch::answer_all(
            &engine,
            &mut queries,
            &name,
            &filters,
            options,
            args.timings,
            &mut out,
        )?;
        out.flush()?;
        return Ok(Exit::Success);
    }
    let query = args.query.join(" ");
    let started = Instant::now();
    let results = engine.search_in(&query, &filters, options)?;
    let took = started.elapsed();
    if !results.ignored.is_empty() {
        status::write_ignored_words(
            &mut io::stderr().lock(),
            results.ignored.len(),
            zhsearch::search::MAX_WORDS,
        )?;
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

fn run_eval(args: &EvalArgs) -> Result<Exit> {
    // Read the questions first: a bad file fails before any index work.
    let questions = eval::read_questions(&args.queries)?;
    let config = Config::resolve(&args.locations.resolved())?;
    let index_dir = config.index.clone();
    let engine = open_engine(config, Freshness::AsIs, Workload::ManyQueries)?;
    let report = eval::evaluate(&engine, &questions)?;
    if report.unknown_ids > 0 {
        status::write_unknown_ids(
            &mut io::stderr().lock(),
            report.unknown_ids,
            report.total_ids,
            &index_dir,
        )?;
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

/// Serves the index over HTTP until SIGINT or SIGTERM; what happens
/// meanwhile is told on stderr.
fn run_serve(args: &ServeArgs) -> Result<Exit> {
    let locations = args.locations.resolved();
    let config = Config::resolve(&locations)?;
    let corpus = config.corpus.clone();
    let engine = open_engine(config, Freshness::AsIs, Workload::ManyQueries)?;
    let live = serve::Live::new(locations, corpus, engine)?;
    let threads = match args.threads {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    let options = serve::ServeOptions {
        addr: args.addr,
        keys: serve::Keys {
            search: args.search_key.clone().filter(|k| !k.is_empty()),
            admin: args.admin_key.clone().filter(|k| !k.is_empty()),
        },
        cors: args.cors.clone(),
        watch: args.watch,
        timeout: std::time::Duration::from_millis(args.timeout_ms),
        threads,
        queue: args.queue.unwrap_or(threads * serve::QUEUE_PER_THREAD),
    };
    let events: serve::Events = std::sync::Arc::new(|event| {
        // A closed stderr must not stop the server.
        let _ = crate::server_log::write_event(&mut io::stderr().lock(), &event);
    });
    serve::run(options, live, events)?;
    Ok(Exit::Success)
}

/// Prints a completion script for `args.shell`, generated from the flags.
fn run_completions(args: &CompletionsArgs) -> Result<Exit> {
    let mut command = Cli::command();
    let mut out = io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "zhsearch", &mut out);
    out.flush()?;
    Ok(Exit::Success)
}

/// Prints a man page (roff), generated from the flags: the overview, or the
/// page of one command (`zhsearch-search(1)`), as git does.
fn run_man(args: &ManArgs) -> Result<Exit> {
    let overview = Cli::command();
    let page = match &args.command {
        None => overview,
        Some(name) => {
            let sub = overview
                .find_subcommand(name)
                .with_context(|| format!("no command named '{name}'"))?
                .clone();
            sub.name(format!("zhsearch-{name}"))
        }
    };
    let mut out = io::stdout().lock();
    clap_mangen::Man::new(page).render(&mut out)?;
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
