#!/usr/bin/env python3
"""Prints the Markdown table of a bench/serve_ab.sh run: per build, the median of its runs
(lowest–highest) at C=8 and C=32 and in --batch.

Usage: serve_ab_report.py AB_RESULTS_DIR NAME...   (standard library only)
"""
import json
import os
import re
import statistics
import sys

out, names = sys.argv[1], sys.argv[2:]


def pct(v, p):
    v = sorted(v)
    pos = p / 100 * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def cell(xs, fmt):
    """The median, then the range over the runs."""
    return f"{fmt.format(statistics.median(xs))} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


runs = [json.loads(l) for l in open(os.path.join(out, "load.jsonl")) if l.strip()]
print("Median over the runs (lowest–highest):")
print("")
print("| build | run | requests/s | p50 ms | p99 ms | server CPU ms per request |")
print("| --- | --- | --- | --- | --- | --- |")
for c in (8, 32):
    for name in names:
        rs = [r for r in runs if r["build"] == name and r["round"] > 0
              and r["load"]["concurrency"] == c]
        print(f"| {name} | C={c}, {len(rs)} runs "
              f"| {cell([r['load']['rps'] for r in rs], '{:,.0f}')} "
              f"| {cell([r['load']['p50_ms'] for r in rs], '{:.2f}')} "
              f"| {cell([r['load']['p99_ms'] for r in rs], '{:.2f}')} "
              f"| {cell([r['server_cpu_s'] * 1000 / r['load']['requests'] for r in rs], '{:.3f}')} |")
for name in names:
    pattern = re.compile(rf"batch-{re.escape(name)}-(\d+)\.jsonl")
    rounds = sorted(int(m.group(1)) for m in map(pattern.fullmatch, os.listdir(out)) if m)
    means, p50s, p99s, walls = [], [], [], []
    for r in (r for r in rounds if r > 0):
        took = [json.loads(l)["took_ms"] for l in open(os.path.join(out, f"batch-{name}-{r}.jsonl"))
                if l.strip()]
        means.append(sum(took) / len(took))
        p50s.append(pct(took, 50))
        p99s.append(pct(took, 99))
        walls.append(float(open(os.path.join(out, f"batch-{name}-{r}.time")).read().split()[0]))
    print(f"| {name} | `--batch`, {len(means)} runs: wall {cell(walls, '{:.2f}')} s "
          f"| – | {cell(p50s, '{:.2f}')} | {cell(p99s, '{:.2f}')} "
          f"| {cell(means, '{:.3f}')} (mean `took_ms`) |")
