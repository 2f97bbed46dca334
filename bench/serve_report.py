#!/usr/bin/env python3
"""Writes the server section of BENCHMARKS.md from the raw results of bench/serve.sh.

Usage: serve_report.py RESULTS_DIR TARGET_DIR BENCH_DATA REPO BENCHMARKS_MD   (standard library only)

The section goes between BEGIN and END (below) in BENCHMARKS_MD, replacing the previous one, or
at the end of the file when it has none; bench/report.py keeps it when bench/run.sh rewrites the
rest. TARGET_DIR, BENCH_DATA and REPO only shorten the paths in the commands shown.
"""
import datetime
import json
import os
import platform
import re
import subprocess
import sys

BEGIN = "<!-- serve.sh begin -->"
END = "<!-- serve.sh end -->"

out, target_dir, data_dir, repo_dir, benchmarks = sys.argv[1:6]


def path(name):
    return os.path.join(out, name)


def read(name):
    with open(path(name), encoding="utf-8") as f:
        return f.read()


def read_json(name):
    return json.loads(read(name))


def gnu_time(name):
    """Wall, user, sys seconds and peak RSS bytes from a /usr/bin/time -v report."""
    text = read(name)

    def field(label):
        return re.search(re.escape(label) + r":\s*(\S+)", text).group(1)

    wall = 0.0
    for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    return {
        "wall": wall,
        "user": float(field("User time (seconds)")),
        "sys": float(field("System time (seconds)")),
        "rss": int(field("Maximum resident set size (kbytes)")) * 1024,
    }


def percentile(values, p):
    """Linear interpolation between closest ranks, as report.py and examples/load.rs."""
    ordered = sorted(values)
    pos = p / 100 * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.rstrip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def verdict(ok):
    return "met" if ok else "**missed**"


def shorten(arg):
    for long, short in (
        (os.path.join(target_dir, "release") + "/", "target/release/"),
        (data_dir, "$BENCH_DATA"),
        (repo_dir + "/", ""),
    ):
        arg = arg.replace(long, short)
    return arg


def quote(arg):
    """Shell quoting that keeps $BENCH_DATA expandable."""
    if re.fullmatch(r"[\w$@%+=:,./-]+", arg):
        return arg
    return '"' + re.sub(r'(["\\`])', r"\\\1", arg) + '"'


# The client runs, by label.
runs = {}
for line in read("load.jsonl").splitlines():
    if line.strip():
        r = json.loads(line)
        runs[r["label"]] = r
c1, c8, c32 = runs["C=1"], runs["C=8"], runs["C=32"]
live = [json.loads(l) for l in read("live.jsonl").splitlines() if l.strip()]

# The reference: the questions in one --batch process.
batch_lines = [json.loads(l) for l in read("batch.jsonl").splitlines() if l.strip()]
took = [l["took_ms"] for l in batch_lines]
batch_errors = sum(1 for l in batch_lines if l.get("error"))
batch = gnu_time("batch.time")
batch_cpu = batch["user"] + batch["sys"]
batch_mean = sum(took) / len(took)


def failures(r):
    return r["load"]["errors"] + r["load"]["non_200"]


def server_ms_per_request(r):
    return r["server_cpu_s"] * 1000 / r["load"]["requests"]


# What each live update did: the files it changed, and what the server answers for its marker.
live_checks = []
for u in live:
    how = u["how"]
    changed = set(read(f"live-{how}.files").split())
    answer = read_json(f"live-{how}.search.json")
    found = {h["path"] for h in answer.get("hits", [])}
    r = runs[f"live update ({how}), C=8"]
    seen = u["t_seen"]
    live_checks.append({
        "how": how,
        "run": r,
        "changed": len(changed),
        "found": len(found & changed),
        "stray": len(found - changed),
        "committed_after_s": u["t_committed"] - u["t_load_start"],
        "commit_s": u["t_committed"] - u["t_changed"],
        "seen_after_commit_s": None if seen is None else seen - u["t_committed"],
        "during_load": seen is not None and seen < u["t_load_end"],
        "load_s": u["t_load_end"] - u["t_load_start"],
    })
live_ok = all(
    failures(c["run"]) == 0 and c["found"] == c["changed"] and c["stray"] == 0
    and c["during_load"]
    for c in live_checks
)
all_runs_ok = all(failures(r) == 0 for r in runs.values())
scaling = c8["load"]["rps"] / c1["load"]["rps"]

commands = []
for line in read("commands.tsv").splitlines():
    label, args = line.split("\t", 1)
    cmd = " ".join(quote(shorten(a)) for a in args.split("\x1f") if a)
    if (label, cmd) not in commands:
        commands.append((label, cmd))

# When the client runs ended (this script may run again later on the same results).
measured = datetime.datetime.fromtimestamp(os.path.getmtime(path("load.jsonl")), datetime.timezone.utc)
cores = sh("nproc")
cpu = re.sub(r"\s+", " ", sh("sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")).strip()

md = []
w = md.append
w(BEGIN)
w("## Server under load (`zhsearch serve`)")
w("")
w("Written by `bench/serve.sh` (run `bash bench/serve.sh`); do not edit by hand; `bench/run.sh` "
  "keeps this section. "
  f"Measured {measured:%Y-%m-%d %H:%M} UTC: "
  f"{cores} cores ({cpu}), "
  f"load average {read('loadavg').strip()} before the run, {platform.system()} "
  f"{platform.release()}, {sh('rustc', '--version')}. An index of InsuranceQA-zh "
  f"(27,413 articles) built as above, the {len(took):,} validation questions in file order, round-robin.")
w("")
w("| run | concurrency | requests | errors | non-200 | requests/s | p50 | p99 | max | "
  "server CPU per request | client CPU | whole machine busy |")
w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for label, r in runs.items():
    l = r["load"]
    w(f"| {label} | {l['concurrency']} | {l['requests']:,} | {l['errors']} | {l['non_200']} | "
      f"{l['rps']:,.0f} | {l['p50_ms']:.2f} ms | {l['p99_ms']:.2f} ms | {l['max_ms']:.2f} ms | "
      f"{server_ms_per_request(r):.2f} ms | {l['client_cpu_s']:.2f} s "
      f"({l['client_cpu_s'] / l['wall_s'] * 100:.0f}% of a core) | "
      f"{r['machine_busy_s']:.2f} s of {r['machine_wall_s'] * int(cores):.2f} |")
w(f"| reference: one `--batch` process | 1 | {len(took):,} | {batch_errors} | – | "
  f"{len(took) / batch['wall']:,.0f} (whole process) | {percentile(took, 50):.2f} ms | "
  f"{percentile(took, 99):.2f} ms | {max(took):.2f} ms | {batch_mean:.2f} ms (mean `took_ms`); "
  f"{batch_cpu * 1000 / len(took):.2f} ms (process CPU ÷ questions) | – | – |")
w("")
w("| target | measured | |")
w("| --- | --- | --- |")
w(f"| zero errors | {sum(failures(r) for r in runs.values())} errors and non-200 answers in "
  f"{sum(r['load']['requests'] for r in runs.values()):,} requests | {verdict(all_runs_ok)} |")
w(f"| at C=8 on 2 cores, throughput ≥ 1.6× C=1 | {c8['load']['rps']:,.0f} ÷ "
  f"{c1['load']['rps']:,.0f} requests/s = {scaling:.2f}× | {verdict(scaling >= 1.6)} |")
w(f"| at C=8, p99 ≤ 20 ms | {c8['load']['p99_ms']:.2f} ms | "
  f"{verdict(c8['load']['p99_ms'] <= 20)} |")
w("| an update of 1% of the articles commits during the load: zero errors, the new content "
  "seen afterwards | "
  + "; ".join(
      f"{c['how']}: {failures(c['run'])} errors, {c['found']} of {c['changed']} changed articles "
      f"found by their marker ({c['stray']} others), served "
      + ("–" if c["seen_after_commit_s"] is None else f"{c['seen_after_commit_s']:.2f} s")
      + " after the commit, " + ("while" if c["during_load"] else "**not** while")
      + " the load ran"
      for c in live_checks)
  + f" | {verdict(live_ok)} |")
w("")
w("Ratios to the reference: the server's CPU per request at C=1 is "
  f"{server_ms_per_request(c1):.2f} ms, {server_ms_per_request(c1) / batch_mean:.2f}× the "
  f"batch's mean `took_ms` ({batch_mean:.2f} ms); at C=8 {server_ms_per_request(c8):.2f} ms "
  f"({server_ms_per_request(c8) / batch_mean:.2f}×), at C=32 {server_ms_per_request(c32):.2f} ms "
  f"({server_ms_per_request(c32) / batch_mean:.2f}×). Latency at C=1: p50 "
  f"{c1['load']['p50_ms'] / percentile(took, 50):.2f}× and p99 "
  f"{c1['load']['p99_ms'] / percentile(took, 99):.2f}× the batch's. Throughput at C=32 is "
  f"{c32['load']['rps'] / c8['load']['rps']:.2f}× that at C=8.")
w("")
w("### What each figure is")
w("")
w("- **Client** (`examples/load.rs`): a closed loop; C threads, each with its own keep-alive "
  "connection (a `ureq` agent), send `GET /search?q=QUESTION&limit=10` (top 10 with "
  "100-character snippets, as `--batch`), the next request as soon as the answer is read, "
  "taking the next question from a shared counter until the run's requests are sent. Latency = "
  "from sending to having read the whole answer. *errors* = no answer (connection refused or "
  "reset, timeout, body cut short); *non-200* = an answer with another status (a 503 when the "
  "queue is full would count here). Percentiles interpolate between closest ranks.")
w("- **CPU**: *server CPU per request* = the server process's user + system time "
  "(`/proc/PID/stat`, all its threads) over the run ÷ requests; *client CPU* = the client's own "
  "(`/proc/self/stat`), shown as a share of one core over the run's wall time, since the client "
  "shares the 2 cores with the server; *whole machine busy* = busy time of all cores "
  "(`/proc/stat`) from just before the client starts to just after it ends, out of cores × that "
  "time: what is neither server nor client is another process (the machine is shared).")
w(f"- **Runs**: a warm-up (one pass over the questions at C=8), then C=1, 8 and 32 with "
  f"{c1['load']['requests']:,} requests each, one after another on one server process "
  "(`--addr 127.0.0.1:0`, a free loopback port; search threads = cores, queue 32 per thread).")
w(f"- **Reference**: the same {len(took):,} questions in one `zhsearch search --batch FILE "
  "--timings` process on the same index (second of two passes): per-question `took_ms` "
  f"(analysis, search, re-ranking, snippets; no I/O). The whole process took {batch['wall']:.2f} s "
  f"wall and {batch_cpu:.2f} s CPU, dictionary load and index open included.")
for c in live_checks:
    u = next(x for x in live if x["how"] == c["how"])
    if c["how"] == "index":
        t = gnu_time("live-index.time")
        how = (f"`zhsearch index` in another process ({t['wall']:.2f} s wall, "
               f"{t['user'] + t['sys']:.2f} s CPU: “{shorten(read('live-index.out').strip())}”)")
    else:
        answer = json.loads(read("live-post.out"))
        how = (f"`POST /index` with the admin key (answered in {c['commit_s']:.2f} s: "
               f"“{shorten(answer.get('summary', '?'))}”, reload “{answer.get('reload', '?')}”)")
    w(f"- **Live update ({c['how']})**: a C=8 run of {c['run']['load']['requests']:,} requests "
      f"({c['load_s']:.1f} s); 2 s in, a sentence with the marker word `{u['marker']}` is "
      f"appended to {c['changed']} articles ("
      + ("the first file of each hundred by name, as `bench/run.sh`'s re-index picks them"
         if c["how"] == "index" else "the second file of each hundred by name")
      + f"), committed by {how}, "
      f"{c['committed_after_s']:.1f} s into the run. `curl /search?q=\"MARKER\"` (quoted: that "
      "exact text) polled every 50 ms until it had a hit; after the run, "
      "`/search?q=\"MARKER\"&limit=1000` must return exactly the changed articles.")
w("")
w("### Commands")
w("")
w("As run by `bench/serve.sh` (`$BENCH_DATA` = the data folder, default `/work/bench-data`; URL = "
  "the server's address):")
w("")
w("```sh")
url = re.search(r"listening on (http://[^/ ]*)", read("serve.log"))
for label, cmd in commands:
    if url:
        cmd = cmd.replace(url.group(1), "URL")
    w(f"# {label}")
    w(cmd)
w("```")
cache = os.path.join(repo_dir, "bench", "serve_cache.md")
if os.path.exists(cache):
    w("")
    w(open(cache, encoding="utf-8").read().rstrip())
w(END)
section = "\n".join(md)

text = open(benchmarks, encoding="utf-8").read() if os.path.exists(benchmarks) else ""
pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
if pattern.search(text):
    text = pattern.sub(lambda _: section, text, count=1)
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
with open(benchmarks + ".new", "w", encoding="utf-8") as f:
    f.write(text)
os.replace(benchmarks + ".new", benchmarks)
