//! Batch answers: one query per input line in, one JSON object per line out,
//! in the same order (`search --batch`).

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::output::json::JsonResults;
use crate::search::{Engine, Filters, QueryError, SearchOptions};

/// Answers every line of `queries` (named `source` in errors) on `out`. A
/// query that cannot run gets an `error` field, so output lines stay aligned
/// with input lines. Lines are read as bytes, so a line that is not UTF-8 is
/// one such error (its `query` the lossy text, U+FFFD for each bad
/// sequence), not the end of the batch. Every query searches within
/// `filters`. `timings` adds each `took_ms`.
pub fn answer_all(
    engine: &Engine,
    queries: &mut dyn BufRead,
    source: &str,
    filters: &Filters,
    options: SearchOptions,
    timings: bool,
    out: &mut impl Write,
) -> Result<()> {
    let mut bytes = Vec::new();
    for number in 1.. {
        bytes.clear();
        let read = queries
            .read_until(b'\n', &mut bytes)
            .with_context(|| format!("cannot read queries from '{source}'"))?;
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
        let result = engine.search_in(query, filters, options);
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
