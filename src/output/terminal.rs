//! Human-readable search results, coloured on a terminal.

use std::io::{self, Write};

use crate::search::SearchResults;

const BOLD: &str = "\x1b[1m";
const MATCH: &str = "\x1b[1;31m";
const PATH: &str = "\x1b[35m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Writes ranked hits: rank, title › heading, `path:line`, snippet.
pub fn write_results(out: &mut impl Write, results: &SearchResults, color: bool) -> io::Result<()> {
    let style = |code: &'static str| if color { code } else { "" };
    let reset = style(RESET);
    if results.hits.is_empty() {
        writeln!(out, "No passages match “{}”.", results.query)?;
        return Ok(());
    }
    for hit in &results.hits {
        let place = if hit.heading.is_empty() {
            hit.title.clone()
        } else {
            format!("{} › {}", hit.title, hit.heading)
        };
        writeln!(out, "{}{:>2}. {place}{reset}", style(BOLD), hit.rank)?;
        writeln!(
            out,
            "    {}{}:{}{reset}  {}score {:.2}{reset}",
            style(PATH),
            hit.path,
            hit.line,
            style(DIM),
            hit.score
        )?;
        let snippet = hit
            .snippet
            .render(style(MATCH), reset, |t| t.replace('\n', " "));
        writeln!(out, "    {snippet}")?;
        writeln!(out)?;
    }
    let shown = results.hits.len();
    if results.total > shown {
        writeln!(
            out,
            "{}{shown} of {} matching passages shown (use -n to see more).{reset}",
            style(DIM),
            results.total
        )?;
    }
    Ok(())
}
