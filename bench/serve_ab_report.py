#!/usr/bin/env python3
"""Prints the Markdown table of a bench/serve_ab.sh run: per build, the median of its runs
(lowest–highest) at C=8 and C=32 and in --batch, over the rounds no other process disturbed
(one whose runs left more than a tenth of the machine's time to other processes is left out).

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


CORES = os.cpu_count() or 2
# The share of the machine's time over a run that other processes may take before the round
# is left out.
DISTURBED = 0.10

runs = [json.loads(l) for l in open(os.path.join(out, "load.jsonl")) if l.strip()]
disturbed = set()
for r in runs:
    other = r["machine_busy_s"] - r["server_cpu_s"] - r["load"]["client_cpu_s"]
    if other > DISTURBED * CORES * r["load"]["wall_s"]:
        disturbed.add(r["round"])


def batch_time(name, r):
    """Wall, CPU (user + sys) and the machine's busy seconds of one --batch run."""
    wall, user, sys_, busy = map(float, open(os.path.join(out, f"batch-{name}-{r}.time")).read().split())
    return wall, user + sys_, busy


for name in names:
    for f in os.listdir(out):
        m = re.fullmatch(rf"batch-{re.escape(name)}-(\d+)\.time", f)
        if m:
            wall, cpu, busy = batch_time(name, int(m.group(1)))
            if busy - cpu > DISTURBED * CORES * wall:
                disturbed.add(int(m.group(1)))
disturbed.discard(0)
runs = [r for r in runs if r["round"] not in disturbed]
if disturbed:
    print(f"Rounds left out (other processes took over {DISTURBED:.0%} of the machine in one of "
          f"their runs): {', '.join(map(str, sorted(disturbed)))}.")
    print("")
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
    for r in (r for r in rounds if r > 0 and r not in disturbed):
        took = [json.loads(l)["took_ms"] for l in open(os.path.join(out, f"batch-{name}-{r}.jsonl"))
                if l.strip()]
        means.append(sum(took) / len(took))
        p50s.append(pct(took, 50))
        p99s.append(pct(took, 99))
        walls.append(batch_time(name, r)[0])
    print(f"| {name} | `--batch`, {len(means)} runs: wall {cell(walls, '{:.2f}')} s "
          f"| – | {cell(p50s, '{:.2f}')} | {cell(p99s, '{:.2f}')} "
          f"| {cell(means, '{:.3f}')} (mean `took_ms`) |")
