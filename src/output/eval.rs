//! The report of `zhsearch eval`, as text and as JSON.
//!
//! ## Wire format (`--json`)
//!
//! ```json
//! {
//!   "queries": 2000,
//!   "mrr_at_10": 0.2512,
//!   "recall_at_10": 0.4012,
//!   "recall_at_100": 0.552,
//!   "ndcg_at_10": 0.2911,
//!   "failed": [{ "line": 17, "query": "？？？", "error": "the query has no searchable words: …" }],
//!   "unknown_ids": 0,
//!   "total_ids": 2533,
//!   "elapsed_ms": 12345.6,
//!   "slowest": [{ "line": 123, "query": "…", "took_ms": 35.2 }]
//! }
//! ```
//!
//! The four measures are means over all `queries`, failed ones counted as
//! zero (definitions in [`crate::eval`]). `failed` lists the queries that
//! could not run; `unknown_ids` counts relevant ids naming no indexed article,
//! out of `total_ids`; `slowest` holds at most `--slowest` queries, slowest
//! first, with the time to rank their articles.

use std::io::{self, Write};

use serde::Serialize;

use super::printable::printable;
use crate::eval::{Outcome, Report};

/// The report as one JSON object.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    pub queries: usize,
    pub mrr_at_10: f64,
    pub recall_at_10: f64,
    pub recall_at_100: f64,
    pub ndcg_at_10: f64,
    pub failed: Vec<JsonFailed<'a>>,
    pub unknown_ids: usize,
    pub total_ids: usize,
    pub elapsed_ms: f64,
    pub slowest: Vec<JsonTimed<'a>>,
}

/// A query that could not run.
#[derive(Debug, Serialize)]
pub struct JsonFailed<'a> {
    pub line: usize,
    pub query: &'a str,
    pub error: &'a str,
}

/// A query and the time it took.
#[derive(Debug, Serialize)]
pub struct JsonTimed<'a> {
    pub line: usize,
    pub query: &'a str,
    pub took_ms: f64,
}

impl<'a> JsonReport<'a> {
    pub fn new(report: &'a Report, slowest: usize) -> Self {
        JsonReport {
            queries: report.outcomes.len(),
            mrr_at_10: report.mean.mrr_at_10,
            recall_at_10: report.mean.recall_at_10,
            recall_at_100: report.mean.recall_at_100,
            ndcg_at_10: report.mean.ndcg_at_10,
            failed: report
                .failed()
                .map(|o| JsonFailed {
                    line: o.line,
                    query: &o.query,
                    error: o.error.as_deref().unwrap_or_default(),
                })
                .collect(),
            unknown_ids: report.unknown_ids,
            total_ids: report.total_ids,
            elapsed_ms: millis(report.elapsed),
            slowest: report
                .slowest(slowest)
                .into_iter()
                .map(|o| JsonTimed {
                    line: o.line,
                    query: &o.query,
                    took_ms: millis(o.took),
                })
                .collect(),
        }
    }
}

/// Writes the report for a person: the measures, failed and slowest queries.
pub fn write_report(
    out: &mut impl Write,
    report: &Report,
    source: &str,
    slowest: usize,
) -> io::Result<()> {
    let n = report.outcomes.len();
    writeln!(
        out,
        "Evaluated {n} queries from '{}' in {:.2} s ({:.2} ms per query).",
        printable(source),
        report.elapsed.as_secs_f64(),
        millis(report.elapsed) / n.max(1) as f64
    )?;
    let mean = &report.mean;
    for (name, value) in [
        ("MRR@10", mean.mrr_at_10),
        ("Recall@10", mean.recall_at_10),
        ("Recall@100", mean.recall_at_100),
        ("nDCG@10", mean.ndcg_at_10),
    ] {
        writeln!(out, "  {name:<11} {value:.4}")?;
    }
    let failed: Vec<&Outcome> = report.failed().collect();
    if !failed.is_empty() {
        let (count, verb) = match failed.len() {
            1 => ("1 query".to_string(), "could not run and counts"),
            n => (format!("{n} queries"), "could not run and count"),
        };
        writeln!(out, "\n{count} {verb} as zero:")?;
        for o in failed {
            writeln!(
                out,
                "  line {}: {}  ({})",
                o.line,
                printable(&o.query),
                printable(o.error.as_deref().unwrap_or_default())
            )?;
        }
    }
    let slow = report.slowest(slowest);
    if !slow.is_empty() {
        writeln!(out, "\nSlowest queries:")?;
        for o in slow {
            writeln!(
                out,
                "  {:>8.2} ms  line {}: {}",
                millis(o.took),
                o.line,
                printable(&o.query)
            )?;
        }
    }
    Ok(())
}

fn millis(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
