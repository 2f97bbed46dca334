#!/usr/bin/env bash
# Chinese as people type it (#14): InsuranceQA-zh's validation questions retyped in pinyin and with
# one homophone typo each (examples/typed_questions.rs), ranked by `zhsearch eval` with the index's
# readings and without them (the same index, its readings.fst removed), beside the questions as
# written. Prints a Markdown table; also the readings file's size against the index's.
#
#   bash bench/setup.sh && bash bench/typing.sh
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

echo "| questions | readings | n | MRR@10 | R@10 | R@100 |"
echo "| --- | --- | --- | --- | --- | --- |"
for kind in han pinyin homophone; do
    for index in index no-readings; do
        echo "| $kind | $([ "$index" = index ] && echo with || echo without) | $(metrics "$work/$index" "$work/$kind.jsonl") |"
    done
done
# A homophone question's own Han original, for the same questions.
python3 -c 'import json, sys
typo = {json.loads(l)["qid"] for l in open(sys.argv[1], encoding="utf-8")}
for line in open(sys.argv[2], encoding="utf-8"):
    if json.loads(line)["qid"] in typo:
        print(line, end="")' "$work/homophone.jsonl" "$insqa/valid.jsonl" > "$work/han-of-homophone.jsonl"
echo "| han, the homophone questions' originals | with | $(metrics "$work/index" "$work/han-of-homophone.jsonl") |"
readings=$(stat -c %s "$work/index/readings.fst")
total=$(du -sb "$work/index" | cut -f1)
echo
echo "readings.fst: $readings bytes, $(python3 -c "print(f'{$readings / ($total - $readings):.2%}')") of the rest of the index ($((total - readings)) bytes)"
