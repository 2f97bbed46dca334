#!/usr/bin/env bash
# The zhsearch benchmark suite (not part of CI): one run measures zhsearch on InsuranceQA-zh
# (27,413 passages, 2,000 questions) next to its references, and writes BENCHMARKS.md.
#
#   bash bench/setup.sh && bash bench/run.sh
#
# BENCH_DATA (default /work/bench-data) holds the data, the venv, scratch indexes and the raw
# results (results/); nothing there is committed. RUNS sets hyperfine's runs (default 30).
# Then bench/scale.sh: x1 and x10 next to the naive peer (a few more minutes; SCALE=0 skips it).
# Runs one measurement at a time: start it on an otherwise idle machine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
data="${BENCH_DATA:-/work/bench-data}"
runs="${RUNS:-30}"
insqa="$data/insqa"
corpus="$insqa/corpus"
out="$data/results"
work="$data/work"
cd "$repo"

for need in "$insqa/valid.jsonl" "$data/venv/bin/python" /usr/bin/time; do
    [ -e "$need" ] || { echo "run.sh: $need is missing: run bash bench/setup.sh first" >&2; exit 1; }
done
command -v hyperfine >/dev/null || { echo "run.sh: hyperfine is missing: run bench/setup.sh" >&2; exit 1; }

rm -rf "$out" "$work"
mkdir -p "$out" "$work"
target="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target/release/zhsearch"
load="$target/release/examples/load_dictionary"

# step LABEL COMMAND...: log it, record it for BENCHMARKS.md (label, then the arguments,
# each ended by a unit separator), run it.
step() {
    local label="$1"
    shift
    printf '== %s\n' "$label" >&2
    { printf '%s\t' "$label"; printf '%s\037' "$@"; printf '\n'; } >> "$out/commands.tsv"
    "$@"
}

step "release build" cargo build --release --locked --quiet --bin zhsearch --example load_dictionary \
    --example space_usage

# 1. Full index build, from nothing.
step "full index build" /usr/bin/time -v -o "$out/build.time" \
    "$bin" index --corpus "$corpus" --index "$work/index" > "$out/build.out"
du -sb "$work/index" | cut -f1 > "$out/index.bytes"
# Bytes per kind of index file (postings, positions, terms, store, ...).
find "$work/index" -type f -printf '%s %f\n' |
    awk '{ n = split($2, p, "."); k = (n > 1) ? p[n] : $2; s[k] += $1 } END { for (k in s) print k, s[k] }' |
    sort -k2 -nr > "$out/index.files"
find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }' > "$out/raw.bytes"
# Bytes per field and kind (terms, postings, positions, norms) and of the stored passages.
"$target/release/examples/space_usage" "$work/index" > "$out/fields.tsv"

# 2. Re-index after changing 1% of the files (274 of 27,413) in a copy of the corpus.
# cp -a keeps the files' mtimes: files written within the racy window (0.1 s; 2 s for
# whole-second mtimes) before indexing count as possibly changed unseen (git's racy-clean
# rule), so the update would hash every one of them.
cp -a "$corpus" "$work/corpus-copy"
"$bin" index --corpus "$work/corpus-copy" --index "$work/index-copy" > /dev/null
find "$work/corpus-copy" -name '*.txt' | sort | awk 'NR % 100 == 1' | head -n 274 |
    while read -r f; do printf '\n本回答已更新：理赔时请携带保单和身份证件。\n' >> "$f"; done
step "re-index after changing 274 files" /usr/bin/time -v -o "$out/reindex.time" \
    "$bin" index --corpus "$work/corpus-copy" --index "$work/index-copy" > "$out/reindex.out"

# 3. Warm query latency: the 2,000 questions in one --batch process, with snippets; the first
#    pass warms the page cache, the second is measured (per-query took_ms from --timings).
python3 -c 'import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(json.loads(line)["query"].replace("\n", " "))' "$insqa/valid.jsonl" > "$work/queries.txt"
"$bin" search --corpus "$corpus" --index "$work/index" --batch "$work/queries.txt" > /dev/null
step "warm queries (batch, snippets)" /usr/bin/time -v -o "$out/batch.time" \
    "$bin" search --corpus "$corpus" --index "$work/index" --batch "$work/queries.txt" --timings \
    > "$out/batch.jsonl"

# 4. Cold queries: a fresh process per query (page cache warm), and the dictionary load alone.
"$bin" index --corpus "$repo/corpus" --index "$work/seed-index" > /dev/null
step "cold queries and dictionary load" hyperfine -N --style basic --warmup 3 --runs "$runs" \
    --export-json "$out/cold.json" \
    -n "zhsearch search, seed corpus" \
    "$bin search --color never --corpus $repo/corpus --index $work/seed-index 'eSIM 在线销户'" \
    -n "zhsearch search, InsuranceQA" \
    "$bin search --color never --corpus $corpus --index $work/index '医疗保险支付CT扫描多少钱？'" \
    -n "Jieba::new() only" "$load" > "$out/cold.txt"

# 5. Relevance on the validation questions.
step "relevance (zhsearch eval)" \
    "$bin" eval --corpus "$corpus" --index "$work/index" --queries "$insqa/valid.jsonl" --json -n 10 \
    > "$out/eval.json"

# 6. Reference: jieba-rs alone, one thread, search mode, over the same text.
step "jieba-rs segmentation (criterion)" env ZHSEARCH_BENCH_CORPUS="$corpus" \
    cargo bench --locked --quiet --bench segment > "$out/segment.txt"
cp "$target/criterion/jieba/cut_for_search/new/estimates.json" "$out/segment.json"

# 7. Reference: the Python baseline (jieba + bm25s), index and all 2,000 questions.
step "Python baseline (jieba + bm25s)" /usr/bin/time -v -o "$out/bm25s.time" \
    "$data/venv/bin/python" "$here/baseline_bm25s.py" "$corpus" "$insqa/valid.jsonl" \
    > "$out/bm25s.json"

# 8. The report.
# report.py keeps the sections bench/serve.sh and bench/scale.sh wrote in the BENCHMARKS.md it
# replaces.
python3 "$here/report.py" "$out" "$target" "$data" "$repo" > "$out/BENCHMARKS.md"
mv "$out/BENCHMARKS.md" "$repo/BENCHMARKS.md"
echo "run.sh: wrote BENCHMARKS.md (raw results in $out)" >&2

# 9. Scale: x1 and x10 next to the naive peer (its own section of BENCHMARKS.md). SCALE=0 skips it.
if [ "${SCALE:-1}" != 0 ]; then
    bash "$here/scale.sh"
fi

# 10. Pinyin and homophone typos on the retyped questions (its own section). TYPING=0 skips it.
if [ "${TYPING:-1}" != 0 ]; then
    bash "$here/typing.sh"
fi
