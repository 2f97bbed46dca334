//! A closed-loop load client for `zhsearch serve`, for `bench/serve.sh`.
//!
//! `--concurrency` threads, each with its own keep-alive connection, send
//! `GET /search?q=…&limit=…` one after another: a thread sends its next
//! request when the answer to the last one has been read, taking the next
//! query (round-robin over the file) from a shared counter, until
//! `--requests` have been sent in all. It prints one JSON line: the answers
//! that failed (transport errors and non-200 answers, apart), throughput,
//! latency percentiles, and the CPU this client used, since on a small
//! machine the client competes with the server for the same cores.
//!
//! ```sh
//! cargo run --release --example load -- --url http://127.0.0.1:7700 \
//!     --queries queries.txt --concurrency 8 --requests 4000
//! ```
//!
//! Loopback only: `--url` must name 127.0.0.0/8, `localhost` or `[::1]`.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;

/// Error answers printed to stderr, at most (the rest are only counted).
const SHOWN_ERRORS: usize = 5;
/// Time limit of one request, connection included: far past any answer,
/// so only a stuck server makes a run wait for it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Flags of the load client.
#[derive(Debug, Parser)]
#[command(about = "Closed-loop load on zhsearch serve's /search; prints one JSON line")]
struct Args {
    /// The server, as `http://127.0.0.1:PORT` (loopback only).
    #[arg(long)]
    url: String,
    /// File of queries, one per line (blank lines are skipped).
    #[arg(long)]
    queries: PathBuf,
    /// Requests in flight at once: one thread and one connection each.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Requests to send in all.
    #[arg(long, default_value_t = 2_000)]
    requests: usize,
    /// Hits per answer (`limit=`).
    #[arg(long, default_value_t = 10)]
    limit: usize,
}

/// What one thread saw.
#[derive(Default)]
struct Seen {
    /// Microseconds from sending a request to having read its whole answer.
    latencies_us: Vec<u64>,
    /// No answer: connection refused or reset, timeout, a body cut short.
    errors: usize,
    /// An answer whose status was not 200.
    non_200: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(args.concurrency >= 1, "--concurrency must be at least 1");
    let base = args.url.trim_end_matches('/').to_string();
    check_loopback(&base)?;
    let text = std::fs::read_to_string(&args.queries)
        .with_context(|| format!("cannot read {}", args.queries.display()))?;
    let queries: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    ensure!(
        !queries.is_empty(),
        "{} has no queries",
        args.queries.display()
    );
    let url = format!("{base}/search");
    let limit = args.limit.to_string();

    let next = AtomicUsize::new(0);
    let shown = Mutex::new(0usize);
    let cpu_before = cpu_seconds()?;
    let started = Instant::now();
    let seen: Vec<Seen> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..args.concurrency)
            .map(|_| {
                scope.spawn(|| {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .timeout_global(Some(REQUEST_TIMEOUT))
                        .build()
                        .into();
                    let mut seen = Seen::default();
                    let mut body = String::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= args.requests {
                            break;
                        }
                        let query = queries[i % queries.len()];
                        let sent = Instant::now();
                        let answer = agent
                            .get(&url)
                            .query("q", query)
                            .query("limit", &limit)
                            .call()
                            .and_then(|mut response| {
                                // Read to the end, so the connection is reused.
                                body = response.body_mut().read_to_string()?;
                                Ok(response.status().as_u16())
                            });
                        seen.latencies_us.push(sent.elapsed().as_micros() as u64);
                        let failure = match answer {
                            Ok(200) => continue,
                            Ok(status) => {
                                seen.non_200 += 1;
                                format!("HTTP {status} for {query:?}: {body}")
                            }
                            Err(err) => {
                                seen.errors += 1;
                                format!("no answer for {query:?}: {err}")
                            }
                        };
                        let mut shown = shown.lock().unwrap_or_else(|e| e.into_inner());
                        if *shown < SHOWN_ERRORS {
                            *shown += 1;
                            eprintln!("load: {failure}");
                        }
                    }
                    seen
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds()? - cpu_before;

    let mut latencies: Vec<u64> = seen.iter().flat_map(|s| s.latencies_us.clone()).collect();
    latencies.sort_unstable();
    let ms = |us: f64| (us / 10.0).round() / 100.0;
    let sent = latencies.len();
    let mean = latencies.iter().sum::<u64>() as f64 / sent.max(1) as f64;
    let line = serde_json::json!({
        "concurrency": args.concurrency,
        "requests": sent,
        "errors": seen.iter().map(|s| s.errors).sum::<usize>(),
        "non_200": seen.iter().map(|s| s.non_200).sum::<usize>(),
        "wall_s": (wall * 1000.0).round() / 1000.0,
        "rps": (sent as f64 / wall * 10.0).round() / 10.0,
        "mean_ms": ms(mean),
        "p50_ms": ms(percentile(&latencies, 50.0)),
        "p99_ms": ms(percentile(&latencies, 99.0)),
        "max_ms": ms(latencies.last().copied().unwrap_or(0) as f64),
        "client_cpu_s": (cpu * 100.0).round() / 100.0,
    });
    println!("{line}");
    Ok(())
}

/// Refuses any server but this machine's: load is for loopback only.
fn check_loopback(base: &str) -> Result<()> {
    let Some(rest) = base.strip_prefix("http://") else {
        bail!("--url must start with http:// (got {base:?})");
    };
    let host = rest.split('/').next().unwrap_or("");
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    ensure!(
        loopback,
        "--url must be a loopback address (127.0.0.1, localhost, [::1]), not {host:?}"
    );
    Ok(())
}

/// The linear interpolation between closest ranks (numpy's default, as
/// `bench/report.py` computes the batch's percentiles) of sorted `values`.
fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = p / 100.0 * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] as f64 + (sorted[hi] as f64 - sorted[lo] as f64) * (pos - lo as f64)
}

/// User + system CPU seconds of this process so far, all its threads (live
/// and finished), from `/proc/self/stat`.
fn cpu_seconds() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("cannot read /proc/self/stat")?;
    // The fields after the command name, which is in parentheses and may
    // hold spaces: state is field 3, utime and stime fields 14 and 15.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("/proc/self/stat has no command name")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |n: usize| -> Result<f64> {
        fields
            .get(n - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .with_context(|| format!("/proc/self/stat has no field {n}"))
    };
    Ok((ticks(14)? + ticks(15)?) / clock_ticks()?)
}

/// Clock ticks per second (`getconf CLK_TCK`), the unit of `/proc/*/stat` times.
fn clock_ticks() -> Result<f64> {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .context("cannot run getconf CLK_TCK")?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .context("getconf CLK_TCK printed no number")
}
