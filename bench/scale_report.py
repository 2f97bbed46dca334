#!/usr/bin/env python3
"""The scale section of BENCHMARKS.md (to stdout) from bench/scale.sh's raw results.

Usage: scale_report.py RESULTS_DIR   (standard library and bench/metrics.py only)
"""
import datetime
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metrics import mrr_at_k  # noqa: E402

out = sys.argv[1]


def path(name):
    return os.path.join(out, name)


def gnu_time(name):
    text = open(path(name), encoding="utf-8").read()

    def field(label):
        return re.search(re.escape(label) + r":\s*(\S+)", text).group(1)

    wall = 0.0
    for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    return wall, float(field("User time (seconds)")) + float(field("System time (seconds)"))


def percentile(values, p):
    ordered = sorted(values)
    pos = p / 100 * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def number(name):
    return int(open(path(name)).read().split()[0])


def cold(name):
    """Mean and standard deviation (ms) of each hyperfine command, by name."""
    with open(path(name), encoding="utf-8") as f:
        runs = json.load(f)["results"]
    return {r["command"]: (r["mean"] * 1000, r["stddev"] * 1000) for r in runs}


def tokens(name):
    """Tokens indexed over every field, from space_usage's table (its last column)."""
    rows = [line.rstrip("\n").split("\t") for line in open(path(name), encoding="utf-8")]
    return sum(int(r[-1]) for r in rows[1:] if len(r) == len(rows[0]))


figures = {}
for factor in (1, 10):
    x = f"x{factor}"
    took = [json.loads(line)["took_ms"] for line in open(path(f"{x}.zhsearch.batch.jsonl"), encoding="utf-8")]
    peer_batch = json.load(open(path(f"{x}.peer.batch.json"), encoding="utf-8"))
    figures[factor] = {
        "build": gnu_time(f"{x}.zhsearch.build.time"),
        "peer_build": gnu_time(f"{x}.peer.build.time"),
        "p50": percentile(took, 50),
        "p99": percentile(took, 99),
        "peer_p50": peer_batch["p50_ms"],
        "peer_p99": peer_batch["p99_ms"],
        "cold": cold(f"{x}.cold.json"),
        "cold_fresh": cold(f"{x}.cold-fresh.json"),
        "raw": number(f"{x}.raw.bytes"),
        "size": number(f"{x}.zhsearch.index.bytes"),
        "peer_size": number(f"{x}.peer.index.bytes"),
        "tokens": tokens(f"{x}.zhsearch.space.tsv"),
        "peer_tokens": tokens(f"{x}.peer.space.tsv"),
        # The data folder as the commands below write it, not this machine's path.
        "summary": open(path(f"{x}.zhsearch.build.out"), encoding="utf-8").read().strip()
        .replace(os.path.dirname(os.path.abspath(out)), "$BENCH_DATA"),
    }

def insqa_mrr(name, hits_of):
    """MRR@10 of a system's top 10 over the validation questions, an answer's id being its file name."""
    relevant = [json.loads(line)["relevant"] for line in open(path("insqa.valid.jsonl"), encoding="utf-8")]
    answers = [hits_of(json.loads(line)) for line in open(path(name), encoding="utf-8")]
    assert len(answers) == len(relevant), name
    stem = lambda p: os.path.splitext(os.path.basename(p))[0]
    return sum(mrr_at_k([stem(p) for p in a], r) for a, r in zip(answers, relevant)) / len(relevant)


mrr = insqa_mrr("insqa.zhsearch.hits.jsonl", lambda line: [h["path"] for h in line["hits"]])
peer_mrr = insqa_mrr("insqa.peer.hits.jsonl", lambda line: line)

md = []
w = md.append
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
w("## Scale: zhsearch and the naive peer at x1 and x10")
w("")
w(f"Written by `bench/scale.sh` (`bench/run.sh` runs it); do not edit by hand. Measured {now}, "
  f"load average {open('/proc/loadavg').read().split()[0]} when the report was written.")
w("")
w("Data: `shared/bench/make_scale.py` over InsuranceQA-zh's answers: x1 is the 27,413 real answers as "
  "2,742 Markdown articles of 10 passages; x10 is 274,130 passages in 27,413 articles, recombined from real "
  "answer sentences. Queries: the 2,000 validation questions. The peer (`examples/peer.rs`) is what a user "
  "would write in an afternoon: tantivy with jieba-rs search-mode tokens, one document per paragraph, an OR "
  "of term queries, the top 10.")
w("")
w("| measure | zhsearch x1 | peer x1 | ratio | zhsearch x10 | peer x10 | ratio |")
w("| --- | --- | --- | --- | --- | --- | --- |")


def row(label, fmt, ours, theirs):
    cells = []
    for factor in (1, 10):
        a, b = ours(figures[factor]), theirs(figures[factor])
        cells += [fmt(a), fmt(b) if b is not None else "–", f"{a / b:.2f}×" if b else "–"]
    w(f"| {label} | " + " | ".join(cells) + " |")


sec = lambda v: f"{v:.2f} s"
msf = lambda v: f"{v:.2f} ms"
row("build, wall", sec, lambda f: f["build"][0], lambda f: f["peer_build"][0])
row("build, CPU user+sys", sec, lambda f: f["build"][1], lambda f: f["peer_build"][1])
row("tokens indexed (all fields)", lambda v: f"{v / 1e6:.1f}M", lambda f: f["tokens"], lambda f: f["peer_tokens"])
row("warm query p50", msf, lambda f: f["p50"], lambda f: f["peer_p50"])
row("warm query p99", msf, lambda f: f["p99"], lambda f: f["peer_p99"])
row("cold query, fresh process", msf, lambda f: f["cold"]["zhsearch"][0], lambda f: f["cold"]["peer"][0])
row("cold query right after a build of fresh files", msf,
    lambda f: f["cold_fresh"]["zhsearch"][0], lambda f: None)
row("index size ÷ raw text", lambda v: f"{v:.2f}×", lambda f: f["size"] / f["raw"], lambda f: f["peer_size"] / f["raw"])
w("")
w(f"What the extra work buys: MRR@10 over the 2,000 questions with InsuranceQA's 27,413 answers as one article "
  f"each (`search --batch -n 10` and `peer hits`), zhsearch **{mrr:.4f}**, the peer {peer_mrr:.4f} "
  f"({mrr / peer_mrr:.2f}×).")
w("")
one, ten = figures[1], figures[10]
targets = [
    ("warm p50 at x10, zhsearch ÷ peer", f"{ten['p50'] / ten['peer_p50']:.2f}×", "≤ 1.5×",
     ten["p50"] / ten["peer_p50"] <= 1.5),
    ("warm p50 growth x10 ÷ x1", f"{ten['p50'] / one['p50']:.2f}× (peer {ten['peer_p50'] / one['peer_p50']:.2f}×)",
     "≤ 5×", ten["p50"] / one["p50"] <= 5),
    ("warm p99 at x10", f"{ten['p99']:.2f} ms", "≤ 8 ms", ten["p99"] <= 8),
    ("cold query at x10", f"{ten['cold']['zhsearch'][0]:.1f} ms; {ten['cold_fresh']['zhsearch'][0]:.1f} ms right after a build",
     "≤ 20 ms, whenever the files were written",
     max(ten["cold"]["zhsearch"][0], ten["cold_fresh"]["zhsearch"][0]) <= 20),
    ("build CPU, zhsearch ÷ peer", f"{one['build'][1] / one['peer_build'][1]:.2f}× (x1), "
     f"{ten['build'][1] / ten['peer_build'][1]:.2f}× (x10)", "≤ 2×",
     max(one["build"][1] / one["peer_build"][1], ten["build"][1] / ten["peer_build"][1]) <= 2),
    ("index size ÷ raw text", f"{one['size'] / one['raw']:.2f}× (x1), {ten['size'] / ten['raw']:.2f}× (x10)",
     "≤ 1.2× at x1 and at x10", max(one["size"] / one["raw"], ten["size"] / ten["raw"]) <= 1.2),
]
w("| target (issue #13) | measured | target | |")
w("| --- | --- | --- | --- |")
for label, got, want, ok in targets:
    w(f"| {label} | {got} | {want} | {'met' if ok else '**missed**'} |")
w("")
w("- **Build**: `/usr/bin/time -v` of `zhsearch index` and `peer index` from nothing. zhsearch's summary: "
  f"x1 “{one['summary']}”; x10 “{ten['summary']}”.")
w("- **Warm queries**: one `zhsearch search --batch FILE --timings -n 10` process (second of two passes; "
  "per-question `took_ms`: analysis, search, re-ranking, snippets) and one `peer batch` process (second of "
  "two passes; per question: tokenizing, search, reading the 10 hits' paths).")
w("- **Cold queries**: `hyperfine -N --warmup 3`, a fresh process per query with the page cache warm "
  f"(`{'医疗保险支付CT扫描多少钱？'}`). zhsearch x1 ± {one['cold']['zhsearch'][1]:.1f} ms, x10 ± "
  f"{ten['cold']['zhsearch'][1]:.1f} ms. “Right after a build of fresh files”: the corpus copied with `cp -r` "
  "(new modification times), indexed, then searched.")
w("- **Size**: `du -sb` of the index folder ÷ `du -sb --apparent-size` of the corpus.")
w("- **Tokens**: `examples/space_usage` (tantivy's count of tokens indexed per field, summed): zhsearch indexes "
  "a passage's words and its Han bigrams, plus its title and heading; the peer one field of words. "
  "A build's CPU follows its tokens.")
w("")
w("Commands (`$BENCH_DATA` = the data folder, default `/work/bench-data`):")
w("")
w("```sh")
for line in open(path("commands.txt"), encoding="utf-8"):
    w(line.rstrip())
w("```")
print("\n".join(md))
