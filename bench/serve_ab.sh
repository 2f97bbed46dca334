#!/usr/bin/env bash
# A/B of zhsearch builds under load (not part of CI), for a change that should make the server
# faster: each build serves the same index on its own loopback port, and the runs alternate
# between the builds (A B A B ...), so that what the shared machine does meanwhile falls on all
# of them alike. Prints a Markdown table; raw results go to $BENCH_DATA/ab-results.
#
#   bash bench/serve_ab.sh mutex=/tmp/zhsearch-a quick=/tmp/zhsearch-b
#
# Per round and build: examples/load.rs at C=8 and C=32 (REQUESTS each, default 4000) with the
# server's CPU, and the 2,000 questions in one `search --batch --timings` process. ROUNDS
# (default: the number of builds) rounds, after one warm-up pass per server and one unmeasured
# batch per build. The machine's busy time is recorded around every run, and the report leaves
# out the rounds in which other processes took more than a tenth of it.
# Bounded and loopback only, like bench/serve.sh: the servers stop on any exit. Needs the load
# client built (`cargo build --release --example load`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
data="${BENCH_DATA:-/work/bench-data}"
requests="${REQUESTS:-4000}"
rounds="${ROUNDS:-$#}"
insqa="$data/insqa"
out="$data/ab-results"
work="$data/ab-work"
run_limit=300
[ $# -ge 2 ] || { echo "usage: serve_ab.sh NAME=ZHSEARCH NAME=ZHSEARCH ..." >&2; exit 2; }
target="$(cd "$repo" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
load="$target/release/examples/load"
[ -x "$load" ] || { echo "serve_ab.sh: build the client: cargo build --release --example load" >&2; exit 1; }
tck="$(getconf CLK_TCK)"

names=()
declare -A bins urls pids
for arg in "$@"; do
    name="${arg%%=*}"
    bins[$name]="${arg#*=}"
    [ -x "${bins[$name]}" ] || { echo "serve_ab.sh: ${bins[$name]} is not a program" >&2; exit 1; }
    names+=("$name")
done

rm -rf "$out" "$work"
mkdir -p "$out" "$work"
cp -a "$insqa/corpus" "$work/corpus"
"${bins[${names[0]}]}" index --corpus "$work/corpus" --index "$work/index" > /dev/null
python3 -c 'import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(json.loads(line)["query"].replace("\n", " "))' "$insqa/valid.jsonl" > "$work/queries.txt"

stop_all() {
    for name in "${names[@]}"; do
        [ -n "${pids[$name]:-}" ] && kill "${pids[$name]}" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap stop_all EXIT
for name in "${names[@]}"; do
    "${bins[$name]}" serve --corpus "$work/corpus" --index "$work/index" --addr 127.0.0.1:0 \
        2> "$out/serve-$name.log" &
    pids[$name]=$!
    for _ in $(seq 100); do
        urls[$name]="$(grep -o 'listening on http://[^/ ]*' "$out/serve-$name.log" |
            sed 's/listening on //' || true)"
        [ -n "${urls[$name]}" ] && break
        sleep 0.1
    done
    [ -n "${urls[$name]}" ] || { echo "serve_ab.sh: $name did not start" >&2; exit 1; }
done

cpu_of() {
    local stat
    stat="$(< "/proc/$1/stat")"
    stat="${stat##*) }"
    # shellcheck disable=SC2086
    set -- $stat
    echo $((${12} + ${13}))
}
# Busy ticks of the whole machine, to tell what other processes took during a run.
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
seconds() { awk -v t="$1" -v hz="$tck" 'BEGIN { printf "%.2f", t / hz }'; }
# load_run NAME C N ROUND: one client run against NAME's server; a JSON line in load.jsonl with
# the server's CPU and the whole machine's busy time over the run.
load_run() {
    local name="$1" c="$2" n="$3" round="$4" s0 s1 b0 b1 line
    s0="$(cpu_of "${pids[$name]}")"
    b0="$(busy)"
    line="$(timeout "$run_limit" "$load" --url "${urls[$name]}" --queries "$work/queries.txt" \
        --concurrency "$c" --requests "$n" --limit 10)"
    b1="$(busy)"
    s1="$(cpu_of "${pids[$name]}")"
    printf '{"build":"%s","round":%s,"server_cpu_s":%s,"machine_busy_s":%s,"load":%s}\n' \
        "$name" "$round" "$(seconds $((s1 - s0)))" "$(seconds $((b1 - b0)))" "$line" \
        >> "$out/load.jsonl"
    echo "$name round $round: $line" >&2
}
# batch_run NAME ROUND: the questions in one --batch process: per-query took_ms to
# batch-NAME-ROUND.jsonl; wall, user, sys seconds and the machine's busy seconds to .time.
batch_run() {
    local name="$1" round="$2" b0 b1
    b0="$(busy)"
    /usr/bin/time -f '%e %U %S' -o "$out/batch-$name-$round.time" "${bins[$name]}" search \
        --corpus "$work/corpus" --index "$work/index" --batch "$work/queries.txt" --timings \
        > "$out/batch-$name-$round.jsonl"
    b1="$(busy)"
    seconds $((b1 - b0)) >> "$out/batch-$name-$round.time"
}

for name in "${names[@]}"; do
    load_run "$name" 8 2000 0
    batch_run "$name" 0
done
# Round r starts with the r-th build (A B C, B C A, C A B, ...), so every build takes every place
# in turn (make ROUNDS a multiple of the number of builds): the first --batch of a round measured
# ~0.15 s slower of ~1.45 s whichever build it was.
for round in $(seq "$rounds"); do
    order=()
    for i in $(seq 0 $((${#names[@]} - 1))); do
        order+=("${names[$(((i + round - 1) % ${#names[@]}))]}")
    done
    for c in 8 32; do
        for name in "${order[@]}"; do
            load_run "$name" "$c" "$requests" "$round"
        done
    done
    for name in "${order[@]}"; do
        batch_run "$name" "$round"
    done
done
stop_all
trap - EXIT

python3 "$here/serve_ab_report.py" "$out" "${names[@]}"
