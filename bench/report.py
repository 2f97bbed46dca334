#!/usr/bin/env python3
"""Writes BENCHMARKS.md (to stdout) from the raw results of bench/run.sh.

Usage: report.py RESULTS_DIR TARGET_DIR BENCH_DATA REPO > BENCHMARKS.md.new   (standard library only)
The last three are only used to shorten the paths in the commands shown. The section that
bench/serve.sh writes (between its markers) is kept from REPO/BENCHMARKS.md, so write to another
file and move it into place (the shell empties the redirect's target before this script runs).
"""
import datetime
import json
import os
import platform
import re
import subprocess
import sys

out, target_dir, data_dir, repo_dir = sys.argv[1:5]


def path(name):
    return os.path.join(out, name)


def read_json(name):
    with open(path(name), encoding="utf-8") as f:
        return json.load(f)


def gnu_time(name):
    """Wall, user, sys seconds and peak RSS bytes from a /usr/bin/time -v report."""
    text = open(path(name), encoding="utf-8").read()

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
    """Linear interpolation between closest ranks (numpy's default, as the baseline uses)."""
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


def mb(n):
    return f"{n / 1e6:.1f} MB"


def ms(s):
    return f"{s * 1000:.2f} ms"


def ratio(a, b):
    return f"{a / b:.2f}×" if b else "–"


def verdict(ok):
    return "met" if ok else "**missed**"


build = gnu_time("build.time")
reindex = gnu_time("reindex.time")
batch = gnu_time("batch.time")
bm25s_time = gnu_time("bm25s.time")
index_bytes = int(open(path("index.bytes")).read())
raw_bytes = int(open(path("raw.bytes")).read())
segment_s = read_json("segment.json")["mean"]["point_estimate"] / 1e9
ev = read_json("eval.json")
bm = read_json("bm25s.json")
cold = {r["command"]: r for r in read_json("cold.json")["results"]}
cold_seed = cold["zhsearch search, seed corpus"]
cold_insqa = cold["zhsearch search, InsuranceQA"]
jieba_load = cold["Jieba::new() only"]

lines = [json.loads(l) for l in open(path("batch.jsonl"), encoding="utf-8") if l.strip()]
took = [l["took_ms"] / 1000 for l in lines]
batch_errors = sum(1 for l in lines if l.get("error"))
p50, p99 = percentile(took, 50), percentile(took, 99)
bm_p50, bm_p99 = bm["query_ms_p50"] / 1000, bm["query_ms_p99"] / 1000
build_cpu = build["user"] + build["sys"]

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


commands = []
for line in open(path("commands.tsv"), encoding="utf-8"):
    label, args = line.rstrip("\n").split("\t", 1)
    commands.append((label, " ".join(quote(shorten(a)) for a in args.split("\x1f") if a)))
index_files = [l.split() for l in open(path("index.files"), encoding="utf-8") if l.strip()]
# field, terms, postings, positions, fieldnorms, tokens; then "stored passages<TAB>bytes".
field_rows = [l.rstrip("\n").split("\t") for l in open(path("fields.tsv"), encoding="utf-8")][1:]


def field_bytes(row):
    """A space_usage row's bytes: a field's terms, postings and positions, or the stored passages."""
    return sum(int(x) for x in row[1:4]) if len(row) > 2 else int(row[1])


build_summary = open(path("build.out"), encoding="utf-8").read().strip()
reindex_summary = open(path("reindex.out"), encoding="utf-8").read().strip()

rows = [
    ("Index build, wall", f"{build['wall']:.2f} s",
     f"jieba-rs, 1 thread: {segment_s:.2f} s", ratio(build["wall"], segment_s),
     "≤ 1.5× jieba", verdict(build["wall"] <= 1.5 * segment_s)),
    ("Index build, CPU user+sys", f"{build_cpu:.2f} s",
     f"jieba-rs, 1 thread: {segment_s:.2f} s", ratio(build_cpu, segment_s), "", ""),
    ("Index build, peak RSS", mb(build["rss"]), "", "", "≤ 300 MB",
     verdict(build["rss"] <= 300e6)),
    ("Index size on disk", mb(index_bytes), f"raw text: {mb(raw_bytes)}",
     ratio(index_bytes, raw_bytes), "≤ 1.5× raw", verdict(index_bytes <= 1.5 * raw_bytes)),
    ("Re-index after changing 274 files (1%)", f"{reindex['wall']:.2f} s",
     f"full build: {build['wall']:.2f} s", ratio(reindex["wall"], build["wall"]),
     "≤ 0.1× full build", verdict(reindex["wall"] <= 0.1 * build["wall"])),
    ("Warm query p50 (batch, snippets)", ms(p50), f"bm25s: {ms(bm_p50)}", ratio(p50, bm_p50),
     "≤ 1 ms", verdict(p50 <= 0.001)),
    ("Warm query p99 (batch, snippets)", ms(p99), f"bm25s: {ms(bm_p99)}", ratio(p99, bm_p99),
     "≤ 10 ms", verdict(p99 <= 0.010)),
    ("Cold query, fresh process, seed corpus", ms(cold_seed["mean"]),
     f"Jieba::new() only: {ms(jieba_load['mean'])}", ratio(cold_seed["mean"], jieba_load["mean"]),
     "≤ 30 ms", verdict(cold_seed["mean"] <= 0.030)),
    ("Cold query, fresh process, InsuranceQA", ms(cold_insqa["mean"]),
     f"Jieba::new() only: {ms(jieba_load['mean'])}", ratio(cold_insqa["mean"], jieba_load["mean"]),
     "", ""),
    ("MRR@10", f"{ev['mrr_at_10']:.4f}", f"bm25s: {bm['MRR@10']:.4f}",
     ratio(ev["mrr_at_10"], bm["MRR@10"]), "≥ 0.24", verdict(ev["mrr_at_10"] >= 0.24)),
    ("Recall@10", f"{ev['recall_at_10']:.4f}", f"bm25s: {bm['Recall@10']:.4f}",
     ratio(ev["recall_at_10"], bm["Recall@10"]), "", ""),
    ("Recall@100", f"{ev['recall_at_100']:.4f}", f"bm25s: {bm['Recall@100']:.4f}",
     ratio(ev["recall_at_100"], bm["Recall@100"]), "≥ 0.53", verdict(ev["recall_at_100"] >= 0.53)),
    ("nDCG@10", f"{ev['ndcg_at_10']:.4f}", f"bm25s: {bm['nDCG@10']:.4f}",
     ratio(ev["ndcg_at_10"], bm["nDCG@10"]), "", ""),
    ("Eval, per question (100 articles, no snippets)", ms(ev["elapsed_ms"] / 1000 / ev["queries"]),
     "", "", "", ""),
    ("Index time vs the Python baseline", f"{build['wall']:.2f} s",
     f"bm25s (tokenize + index): {bm['index_seconds']:.2f} s",
     ratio(build["wall"], bm["index_seconds"]), "≤ 0.1× (10× faster)",
     verdict(build["wall"] <= 0.1 * bm["index_seconds"])),
]

md = []
w = md.append
w("# Benchmarks")
w("")
w("Written by `bench/run.sh` (run `bash bench/setup.sh && bash bench/run.sh`); do not edit by hand.")
w(f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on the machine below.")
w("")
w(f"Data: InsuranceQA-zh (`shared/bench/prep_insqa.py`): {ev['queries']:,} validation questions "
  f"over {bm['passages']:,} answer passages, one `.txt` file each, {mb(raw_bytes)} of UTF-8 text "
  "(document id = file stem).")
w("")
w("| measure | zhsearch | reference | ratio | target | |")
w("| --- | --- | --- | --- | --- | --- |")
for r in rows:
    w("| " + " | ".join(r) + " |")
w("")
w("MB = 10⁶ bytes. Ratios are zhsearch ÷ reference (for the metrics, > 1 is better; for times and "
  "sizes, < 1 is better).")
w("")
w("## What each figure is")
w("")
w(f"- **Index build**: `zhsearch index` from nothing, `/usr/bin/time -v` (wall, user+sys CPU, "
  f"peak RSS); the writer has one thread up to 32 MiB of articles (`ONE_THREAD_BYTES`), else one per "
  f"core up to 4 (here {1 if raw_bytes <= 32 << 20 else min(int(sh('nproc')), 4)}). "
  f"Its summary: “{build_summary}”. "
  "Size = `du -sb` of the index folder; by kind of file: "
  + ", ".join(f"`.{k}` {mb(int(b))}" for k, b in index_files if int(b) >= 100_000)
  + " (`passages` the passage store, `src/index/passages.rs`; tantivy's: `idx` postings, `pos` "
  "positions, `term` term dictionaries, `store` its own store of fields, empty records here, "
  "`fast` fast fields, `fieldnorm` field norms); by field (`examples/space_usage.rs`; "
  "terms + postings + positions): "
  + ", ".join(
      f"{r[0]} {mb(field_bytes(r))}" for r in field_rows if field_bytes(r) >= 100_000)
  + "; `meta.json` holds the manifest of corpus files.")
w("- **jieba-rs reference**: `bench/segment.rs` (criterion, mean of 10 flat samples): "
  "`Jieba::cut_for_search(text, hmm = true)` over every file's raw text, one thread, dictionary "
  f"loaded beforehand: {raw_bytes / segment_s / 1e6:.1f} MB/s. The build also normalizes, "
  "segments title and text, writes character grams, and builds the tantivy index.")
w(f"- **Re-index**: `zhsearch index` again after appending a sentence to 274 files of a copy of "
  f"the corpus (every 100th file by name; copied with `cp -a`, keeping mtimes, as files written "
  f"within the racy window before an index run are hashed again by the next one). Its summary: "
  f"“{reindex_summary}”. Its CPU (user+sys) was {reindex['user'] + reindex['sys']:.2f} s; the run "
  "also waits out the racy window (0.1 s where mtimes keep fractions of a second, else 2 s) of the "
  "files it was just given, so that later searches need not hash them (`IndexPass::settle`, "
  "corpora of 1,000 files or more).")
w(f"- **Warm queries**: the {len(lines):,} questions in one `zhsearch search --batch FILE "
  "--timings` process (top 10 passages with 100-character snippets, JSON), run twice, the "
  "second measured; per-query `took_ms` covers query analysis, search, re-ranking and snippets. "
  f"Mean {ms(sum(took) / len(took))}, max {ms(max(took))}; {batch_errors} questions had no "
  f"searchable words. The whole process: {batch['wall']:.2f} s wall, peak RSS {mb(batch['rss'])}.")
w(f"- **Cold queries**: `hyperfine -N --warmup 3 --runs {len(cold_seed['times'])}`, a fresh "
  "process per query with the OS page cache warm: dictionary load, index open, one search, "
  f"terminal output. Seed corpus: mean {ms(cold_seed['mean'])} ± {ms(cold_seed['stddev'])}, "
  f"InsuranceQA: {ms(cold_insqa['mean'])} ± {ms(cold_insqa['stddev'])}, `Jieba::new()` alone "
  f"(`examples/load_dictionary.rs`): {ms(jieba_load['mean'])} ± {ms(jieba_load['stddev'])}.")
w(f"- **Relevance**: `zhsearch eval --json` on the validation questions: articles ranked by their "
  f"best passage, top 100; {len(ev['failed'])} questions could not run (counted as zero), "
  f"{ev['unknown_ids']} of {ev['total_ids']} relevant ids unknown. Eval time "
  f"{ev['elapsed_ms'] / 1000:.1f} s ({ev['elapsed_ms'] / ev['queries']:.2f} ms per question, "
  "no snippets).")
w(f"- **Python baseline** (`bench/baseline_bm25s.py`, {bm.get('system', 'jieba + bm25s')}): "
  "`jieba.cut_for_search` words, lowercased, punctuation and `bench/stopwords_zh.txt` dropped; "
  f"index = tokenize ({bm['tokenize_seconds']:.2f} s) + bm25s index; queries one at a time, top "
  f"{bm.get('k', 100)}, tokenization included; jieba's dictionary load "
  f"({bm['jieba_init_seconds']:.2f} s) is outside the timings. The process: peak RSS "
  f"{mb(bm25s_time['rss'])}, {bm25s_time['wall']:.1f} s wall in all. Metrics computed by "
  "`bench/metrics.py`, the same definitions as `zhsearch eval`.")
w("")
slow = ev.get("slowest", [])
if slow:
    w("Slowest questions in `zhsearch eval` (time to rank 100 articles):")
    w("")
    w("| ms | line | question |")
    w("| --- | --- | --- |")
    for s in slow:
        w(f"| {s['took_ms']:.1f} | {s['line']} | {s['query']} |")
    w("")
w("## Machine")
w("")
cpu = re.sub(r"\s+", " ", sh("sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"))
w(f"- CPU: {cpu.strip()}; `nproc`: {sh('nproc')}")
w("- Memory (`free -h`):")
w("")
w("```text")
w(sh("free", "-h"))
w("```")
w("")
w(f"- {platform.system()} {platform.release()}; {sh('rustc', '--version')}; "
  f"{sh('hyperfine', '--version')}; Python {platform.python_version()}")
w("- The machine is shared (2 cores): other builds may have been running; figures are from one "
  "run, so treat differences under ~10% as noise.")
w("")
w("## Commands")
w("")
w("As run by `bench/run.sh` (`$BENCH_DATA` = the data folder, default `/work/bench-data`):")
w("")
w("```sh")
for label, cmd in commands:
    w(f"# {label}")
    w(cmd)
w("```")
ablations = os.path.join(repo_dir, "bench", "ablations.md")
if os.path.exists(ablations):
    w("")
    w(open(ablations, encoding="utf-8").read().rstrip())
# The sections other scripts write (bench/serve.sh on its own schedule, a few minutes of load
# that this suite does not need; bench/scale.sh and bench/typing.sh, which run.sh calls after
# this report) are kept
# as they were written.
previous = os.path.join(repo_dir, "BENCHMARKS.md")
if os.path.exists(previous):
    text = open(previous, encoding="utf-8").read()
    for name in ("scale.sh", "serve.sh", "typing.sh"):
        kept = re.search(rf"<!-- {re.escape(name)} begin -->.*?<!-- {re.escape(name)} end -->", text, re.S)
        if kept:
            w("")
            w(kept.group(0))
print("\n".join(md))
