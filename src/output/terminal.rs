//! Human-readable search results, coloured on a terminal. Every piece of
//! text from the corpus or the query goes through [`printable`]: the only
//! escape sequences written are the colours below.

use std::io::{self, Write};

use super::printable::printable;
use crate::search::explain::{HitReport, QueryReport};
use crate::search::ranking::{self, ScoreOrigin};
use crate::search::{SearchResults, TotalRelation, Within};

const BOLD: &str = "\x1b[1m";
const MATCH: &str = "\x1b[1;31m";
const PATH: &str = "\x1b[35m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Writes ranked hits: rank, title › heading, `path:line`, snippet.
pub fn write_results(out: &mut impl Write, results: &SearchResults, color: bool) -> io::Result<()> {
    let style = |code: &'static str| if color { code } else { "" };
    let reset = style(RESET);
    if let Some(report) = &results.report {
        write_query_report(out, report, results.within.as_ref(), style(DIM), reset)?;
    }
    if let Some(notice) = &results.notice {
        writeln!(out, "{}", printable(notice))?;
    }
    if results.hits.is_empty() {
        writeln!(out, "No passages match “{}”.", printable(&results.query))?;
        if let Some(why) = results
            .within
            .as_ref()
            .and_then(|w| w.matched_nothing.as_deref())
        {
            writeln!(out, "{}", printable(why))?;
        }
        return Ok(());
    }
    if let Some(corrected) = &results.corrected {
        writeln!(
            out,
            "{}Showing results for “{}”.{reset}",
            style(BOLD),
            printable(corrected)
        )?;
        writeln!(out)?;
    }
    for hit in &results.hits {
        let place = if hit.heading.is_empty() {
            printable(&hit.title).into_owned()
        } else {
            format!("{} › {}", printable(&hit.title), printable(&hit.heading))
        };
        writeln!(out, "{}{:>2}. {place}{reset}", style(BOLD), hit.rank)?;
        let via = if hit.via_feedback {
            " (via related terms)"
        } else {
            ""
        };
        writeln!(
            out,
            "    {}{}:{}{reset}  {}score {:.2}{via}{reset}",
            style(PATH),
            printable(&hit.path),
            hit.line,
            style(DIM),
            hit.score
        )?;
        let snippet = hit.snippet.render(style(MATCH), reset, |t| {
            printable(&t.replace('\n', " ")).into_owned()
        });
        writeln!(out, "    {snippet}")?;
        if !hit.duplicates.is_empty() {
            let places: Vec<String> = hit
                .duplicates
                .iter()
                .map(|d| format!("{}:{}", printable(&d.path), d.line))
                .collect();
            writeln!(
                out,
                "    {}also at {}{reset}",
                style(DIM),
                places.join(", ")
            )?;
        }
        if let Some(report) = &hit.report {
            write_hit_report(out, report, style(DIM), reset)?;
        }
        writeln!(out)?;
    }
    let shown = results.hits.len();
    if results.total > shown {
        let plus = match results.total_relation {
            TotalRelation::Eq => "",
            TotalRelation::Gte => "+",
        };
        writeln!(
            out,
            "{}{shown} of {}{plus} matching passages shown (use -n to see more).{reset}",
            style(DIM),
            thousands(results.total)
        )?;
    }
    Ok(())
}

/// The `--explain` block about the query.
fn write_query_report(
    out: &mut impl Write,
    report: &QueryReport,
    within: Option<&Within>,
    dim: &str,
    reset: &str,
) -> io::Result<()> {
    let list = |items: &[String]| {
        if items.is_empty() {
            "—".to_string()
        } else {
            printable(&items.join(" ")).into_owned()
        }
    };
    writeln!(out, "{dim}Query understood as:{reset}")?;
    writeln!(out, "  normalized:  {}", printable(&report.normalized))?;
    writeln!(out, "  words:       {}", list(&report.words))?;
    writeln!(out, "  stop words:  {} (dropped)", list(&report.stopped))?;
    writeln!(out, "  characters:  {}", list(&report.grams))?;
    for expansion in &report.expansions {
        // Labels padded to the width of the others.
        let label = match expansion.source {
            "pinyin" => "pinyin:      ",
            "pinyin initials" => "initials:    ",
            "homophone" => "homophone:   ",
            _ => "synonyms:    ",
        };
        writeln!(
            out,
            "  {label}{} → {} (weight {})",
            printable(&expansion.word),
            printable(&expansion.synonyms.join(" ")),
            expansion.weight
        )?;
    }
    for correction in &report.corrections {
        writeln!(
            out,
            "  corrected:   {} → {} (no passage has the typed spelling)",
            printable(&correction.typed),
            printable(&correction.corrected)
        )?;
    }
    if !report.common.is_empty() {
        writeln!(
            out,
            "  common:      {} (in over half the passages: not searched, still counted for coverage)",
            list(&report.common)
        )?;
    }
    if !report.phrases.is_empty() {
        writeln!(out, "  phrases:     {}", list(&report.phrases))?;
    }
    if !report.excluded.is_empty() {
        writeln!(out, "  excluded:    {}", list(&report.excluded))?;
    }
    if !report.ignored.is_empty() {
        writeln!(
            out,
            "  ignored:     {} (query too long)",
            list(&report.ignored)
        )?;
    }
    if let Some(within) = within {
        let articles = match within.articles {
            1 => "1 indexed article".to_string(),
            n => format!("{} indexed articles", thousands(n)),
        };
        writeln!(out, "  in:          {} ({articles})", list(&within.given))?;
    }
    writeln!(out)
}

/// The `--explain` lines under a hit.
fn write_hit_report(
    out: &mut impl Write,
    report: &HitReport,
    dim: &str,
    reset: &str,
) -> io::Result<()> {
    let exponent = ranking::COVERAGE_EXPONENT;
    let product = ranking::final_score(report.bm25, report.coverage);
    let capped = match ScoreOrigin::of(report.bm25, report.coverage, report.score) {
        ScoreOrigin::Capped => " (capped at the score above)",
        ScoreOrigin::Uncovered => {
            " (none of the query's words: ranked by bm25 after the passages with some)"
        }
        ScoreOrigin::Formula => "",
    };
    writeln!(
        out,
        "    {dim}score {:.2}{capped}: bm25 {:.2} × coverage {:.2}^{exponent} = {:.2}{reset}",
        report.score, report.bm25, report.coverage, product
    )?;
    for part in &report.parts {
        let fields: Vec<String> = part
            .fields
            .iter()
            .map(|f| format!("{}:{} {:.2}", f.field, printable(&f.term), f.score))
            .collect();
        let detail = if fields.is_empty() {
            String::new()
        } else {
            format!("  ({})", fields.join(", "))
        };
        writeln!(
            out,
            "    {dim}  {:>6.2}  {}{detail}{reset}",
            part.score,
            printable(&part.clause)
        )?;
    }
    Ok(())
}

/// `n` with commas between groups of three digits (`10,000`).
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits_by_three() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
