#!/usr/bin/env bash
# Chinese as people type it (#14): InsuranceQA-zh's validation questions retyped in pinyin and with
# one homophone typo each (examples/typed_questions.rs), ranked by `zhsearch eval` with the index's
# readings and without them (the same index, its readings.fst removed), beside the questions as
# written; and the readings file's size against the index's. Writes its section of BENCHMARKS.md
# (between the typing.sh markers; bench/report.py keeps it) and prints it.
#
#   bash bench/setup.sh && bash bench/typing.sh        (bench/run.sh runs it too)
#
# About a minute. BENCH_DATA (default /work/bench-data) holds insqa/ (from bench/setup.sh) and the
# work folder typing-work/; nothing of it is committed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
data="${BENCH_DATA:-/work/bench-data}"
insqa="$data/insqa"
work="$data/typing-work"
cd "$repo"

for need in "$insqa/valid.jsonl" "$insqa/corpus"; do
    [ -e "$need" ] || { echo "typing.sh: $need is missing: run bash bench/setup.sh first" >&2; exit 1; }
done
target="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
cargo build --release --locked --quiet --bin zhsearch --example typed_questions
bin="$target/release/zhsearch"
retype="$target/release/examples/typed_questions"

rm -rf "$work"
mkdir -p "$work"
"$bin" index --corpus "$insqa/corpus" --index "$work/index" > /dev/null
cp -r "$work/index" "$work/no-readings"
rm "$work/no-readings/readings.fst"
cp "$insqa/valid.jsonl" "$work/han.jsonl"
"$retype" pinyin < "$insqa/valid.jsonl" > "$work/pinyin.jsonl"
"$retype" homophone < "$insqa/valid.jsonl" > "$work/homophone.jsonl"

metrics() {
    "$bin" eval --corpus "$insqa/corpus" --index "$1" --queries "$2" --json -n 10 2> /dev/null |
        python3 -c 'import json, sys
d = json.load(sys.stdin)
print("%d | %.4f | %.4f | %.4f" % (d["queries"], d["mrr_at_10"], d["recall_at_10"], d["recall_at_100"]))'
}

section="$work/section.md"
{
    echo "## Chinese as people type it: pinyin and homophone typos (\`bench/typing.sh\`)"
    echo
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC'). InsuranceQA-zh's 2,000 validation questions, retyped by"
    echo "\`examples/typed_questions.rs\`: in pinyin (each Han word as its toneless reading, words apart by"
    echo "spaces: the input method off), and with one homophone typo (the last character of the first"
    echo "content word of two or three characters swapped for the commonest other character of the same"
    echo "reading that makes no dictionary word; questions with no such word are left out). Each is ranked"
    echo "by \`zhsearch eval -n 10\` on one index, with its \`readings.fst\` and with it removed (no pinyin,"
    echo "no homophones)."
    echo
    echo "| questions | readings | n | MRR@10 | R@10 | R@100 |"
    echo "| --- | --- | --- | --- | --- | --- |"
    for kind in han pinyin homophone; do
        for index in index no-readings; do
            echo "| $kind | $([ "$index" = index ] && echo with || echo without) | $(metrics "$work/$index" "$work/$kind.jsonl") |"
        done
    done
    # The homophone questions' own originals, for the same questions.
    python3 -c 'import json, sys
typo = {json.loads(l)["qid"] for l in open(sys.argv[1], encoding="utf-8")}
for line in open(sys.argv[2], encoding="utf-8"):
    if json.loads(line)["qid"] in typo:
        print(line, end="")' "$work/homophone.jsonl" "$insqa/valid.jsonl" > "$work/han-of-homophone.jsonl"
    echo "| han: the homophone questions as written | with | $(metrics "$work/index" "$work/han-of-homophone.jsonl") |"
    readings=$(stat -c %s "$work/index/readings.fst")
    total=$(du -sb "$work/index" | cut -f1)
    echo
    echo "\`readings.fst\`: $readings bytes, $(python3 -c "print(f'{$readings / ($total - $readings):.2%}')") of the rest of the index ($((total - readings)) bytes)."
    # The seed corpus: what the readings add to a small index, and a cold query's time.
    seed="$work/seed"
    mkdir -p "$seed"
    cp -r "$repo/corpus" "$seed/corpus"
    "$bin" index --corpus "$seed/corpus" --index "$seed/index" > /dev/null
    seed_readings=$(stat -c %s "$seed/index/readings.fst")
    seed_total=$(du -sb "$seed/index" | cut -f1)
    echo
    echo "Seed corpus (70 passages): \`readings.fst\` $seed_readings bytes, $(python3 -c "print(f'{$seed_readings / ($seed_total - $seed_readings):.1%}')") of the rest of its index ($((seed_total - seed_readings)) bytes; the split into segments varies by about 2 KB from build to build). Cold query, fresh process (\`hyperfine -N\`, 30 runs, mean):"
    echo
    echo "| query | mean | σ |"
    echo "| --- | --- | --- |"
    for q in 注销 zhuxiao 'zai xian xiao hu' 营业听 'eSIM 在线销户'; do
        hyperfine -N -w 5 -r 30 --export-json "$work/cold.json" \
            "$bin search --index $seed/index --corpus $seed/corpus '$q'" > /dev/null 2>&1
        python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("| `%s` | %.1f ms | %.1f ms |" % (sys.argv[2], r["mean"] * 1000, r["stddev"] * 1000))' "$work/cold.json" "$q"
    done
} > "$section"
python3 "$here/splice.py" "$repo/BENCHMARKS.md" typing.sh "$(cat "$section")"
cat "$section"
