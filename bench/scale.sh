#!/usr/bin/env bash
# Scale: zhsearch next to the naive tantivy + jieba peer (examples/peer.rs) on InsuranceQA-zh made into
# Markdown articles at x1 (2,742 articles, 29k passages) and x10 (27,413 articles, 291k passages) by
# shared/bench/make_scale.py, and writes its section of BENCHMARKS.md (between the scale.sh markers).
#
#   bash bench/setup.sh && bash bench/scale.sh        (bench/run.sh runs it too)
#
# Bounded (a few minutes), one measurement at a time; nothing of it is committed but BENCHMARKS.md.
# BENCH_DATA (default /work/bench-data) holds the corpora, indexes and raw results (scale-results/).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
data="${BENCH_DATA:-/work/bench-data}"
runs="${RUNS:-30}"
out="$data/scale-results"
work="$data/scale-work"
insqa="$data/insqa"
cd "$repo"

for need in "$insqa/valid.jsonl" "$insqa/answers.jsonl" "$insqa/corpus" /usr/bin/time; do
    [ -e "$need" ] || { echo "scale.sh: $need is missing: run bash bench/setup.sh first" >&2; exit 1; }
done
command -v hyperfine >/dev/null || { echo "scale.sh: hyperfine is missing: run bench/setup.sh" >&2; exit 1; }
make_scale=""
for p in "$repo/../shared/bench/make_scale.py" /work/shared/bench/make_scale.py; do
    [ -f "$p" ] && { make_scale="$p"; break; }
done
[ -n "$make_scale" ] || { echo "scale.sh: shared/bench/make_scale.py not found" >&2; exit 1; }

rm -rf "$out" "$work"
mkdir -p "$out" "$work"
target="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
cargo build --release --locked --quiet --bin zhsearch --example peer --example space_usage
bin="$target/release/zhsearch"
peer="$target/release/examples/peer"
space_usage="$target/release/examples/space_usage"
python3 -c 'import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(json.loads(line)["query"].replace("\n", " "))' "$insqa/valid.jsonl" > "$work/queries.txt"
query='医疗保险支付CT扫描多少钱？'

: > "$out/commands.txt"
run() { printf '%s\n' "$*" | sed "s|$data|\$BENCH_DATA|g; s|$target|target|g" >> "$out/commands.txt"; "$@"; }

for factor in 1 10; do
    corpus="$data/scale$factor"
    # The same output on every machine: made once, kept.
    [ -d "$corpus" ] || python3 "$make_scale" "$factor" "$corpus" --answers "$insqa/answers.jsonl" >&2
    du -sb --apparent-size "$corpus" | cut -f1 > "$out/x$factor.raw.bytes"
    z="$work/zhsearch-x$factor" p="$work/peer-x$factor"
    echo "== x$factor: build" >&2
    run /usr/bin/time -v -o "$out/x$factor.zhsearch.build.time" "$bin" index --corpus "$corpus" --index "$z" \
        > "$out/x$factor.zhsearch.build.out"
    run /usr/bin/time -v -o "$out/x$factor.peer.build.time" "$peer" index "$corpus" "$p" 2> "$out/x$factor.peer.build.out"
    du -sb "$z" | cut -f1 > "$out/x$factor.zhsearch.index.bytes"
    du -sb "$p" | cut -f1 > "$out/x$factor.peer.index.bytes"
    # Bytes and tokens by field: what each build indexed.
    run "$space_usage" "$z" > "$out/x$factor.zhsearch.space.tsv"
    run "$space_usage" "$p" > "$out/x$factor.peer.space.tsv"
    echo "== x$factor: warm queries (second of two passes)" >&2
    "$bin" search --corpus "$corpus" --index "$z" --batch "$work/queries.txt" -n 10 > /dev/null
    run "$bin" search --corpus "$corpus" --index "$z" --batch "$work/queries.txt" -n 10 --timings \
        > "$out/x$factor.zhsearch.batch.jsonl"
    "$peer" batch "$p" "$work/queries.txt" > /dev/null
    run "$peer" batch "$p" "$work/queries.txt" > "$out/x$factor.peer.batch.json"
    echo "== x$factor: cold queries" >&2
    run hyperfine -N --style basic --warmup 3 --runs "$runs" --export-json "$out/x$factor.cold.json" \
        -n zhsearch "$bin search --color never --corpus $corpus --index $z '$query'" \
        -n peer "$peer search $p '$query'" > "$out/x$factor.cold.txt"
    # Right after an index run on freshly written files (a copy, not cp -a: new mtimes).
    echo "== x$factor: cold queries right after a build of fresh files" >&2
    rm -rf "$work/fresh" "$work/fresh-index"
    cp -r "$corpus" "$work/fresh"
    "$bin" index --corpus "$work/fresh" --index "$work/fresh-index" > /dev/null
    run hyperfine -N --style basic --warmup 3 --runs "$runs" --export-json "$out/x$factor.cold-fresh.json" \
        -n zhsearch "$bin search --color never --corpus $work/fresh --index $work/fresh-index '$query'" \
        > "$out/x$factor.cold-fresh.txt"
    rm -rf "$work/fresh" "$work/fresh-index"
done

# What the extra work buys: both ranked on InsuranceQA with one article per answer, so an
# answer's id is its file name (zhsearch eval ranks articles the same way).
echo "== relevance: the 2,000 questions over InsuranceQA's 27,413 answers" >&2
"$bin" index --corpus "$insqa/corpus" --index "$work/zhsearch-insqa" > /dev/null
"$peer" index "$insqa/corpus" "$work/peer-insqa" 2> /dev/null
run "$bin" search --corpus "$insqa/corpus" --index "$work/zhsearch-insqa" --batch "$work/queries.txt" -n 10 \
    > "$out/insqa.zhsearch.hits.jsonl"
run "$peer" hits "$work/peer-insqa" "$work/queries.txt" > "$out/insqa.peer.hits.jsonl"
cp "$insqa/valid.jsonl" "$out/insqa.valid.jsonl"

section="$(python3 "$here/scale_report.py" "$out")"
python3 "$here/splice.py" "$repo/BENCHMARKS.md" scale.sh "$section"
echo "scale.sh: wrote its section of BENCHMARKS.md (raw results in $out)" >&2
