#!/usr/bin/env bash
# The server load benchmark (not part of CI): `zhsearch serve` on InsuranceQA-zh (27,413
# articles) under a closed-loop client (examples/load.rs) at concurrency 1, 8 and 32, next to
# the same 2,000 questions in one `zhsearch search --batch` process, then the same load while
# 1% of the articles change and commit (by `zhsearch index` in another process, then by
# `POST /index`). Writes its section of BENCHMARKS.md (between `<!-- serve.sh begin -->` and
# `<!-- serve.sh end -->`; bench/report.py keeps it when bench/run.sh rewrites the file).
#
#   bash bench/setup.sh && bash bench/serve.sh
#
# Bounded and loopback only: the server listens on 127.0.0.1 on a free port, every client run
# has a fixed number of requests and a time limit, and the server is stopped on any exit.
# About two minutes on 2 cores after the release build; run nothing else meanwhile.
# BENCH_DATA (default /work/bench-data) holds the data; this script's scratch copy of the corpus
# and its index go to $BENCH_DATA/serve-work, the raw results to $BENCH_DATA/serve-results.
# REQUESTS sets the requests of each measured run (default 4000).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
data="${BENCH_DATA:-/work/bench-data}"
requests="${REQUESTS:-4000}"
insqa="$data/insqa"
out="$data/serve-results"
work="$data/serve-work"
# Longest any one client run may take; a run of `requests` takes a few seconds.
run_limit=300
cd "$repo"

for need in "$insqa/valid.jsonl" "$insqa/corpus" /usr/bin/time; do
    [ -e "$need" ] || { echo "serve.sh: $need is missing: run bash bench/setup.sh first" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "serve.sh: curl is missing (apt-get install curl)" >&2; exit 1; }

rm -rf "$out" "$work"
mkdir -p "$out" "$work"
# How busy the machine was before this run (it is shared): the load averages, for the report.
cut -d' ' -f1-3 /proc/loadavg > "$out/loadavg"
target="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target/release/zhsearch"
load="$target/release/examples/load"
tck="$(getconf CLK_TCK)"

# record LABEL COMMAND...: log it and keep it for BENCHMARKS.md (label, then the arguments, each
# ended by a unit separator), as bench/run.sh does. step LABEL COMMAND...: record it and run it.
record() {
    local label="$1"
    shift
    printf '== %s\n' "$label" >&2
    { printf '%s\t' "$label"; printf '%s\037' "$@"; printf '\n'; } >> "$out/commands.tsv"
}
step() {
    record "$@"
    shift
    "$@"
}
now() { date +%s.%N; }
# CPU ticks (user + system) of process $1, all its threads; fields 14 and 15 of its stat, counted
# after the command name (which is in parentheses).
cpu_of() {
    local stat
    stat="$(< "/proc/$1/stat")"
    stat="${stat##*) }"
    # shellcheck disable=SC2086
    set -- $stat
    echo $((${12} + ${13}))
}
seconds() { awk -v t="$1" -v hz="$tck" 'BEGIN { printf "%.2f", t / hz }'; }
# Busy ticks of the whole machine (every process: the server, the client and whatever else runs).
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

step "release build" cargo build --release --locked --quiet --bin zhsearch --example load

# The scratch corpus: the live update appends to its files. cp -a keeps the mtimes (see run.sh).
cp -a "$insqa/corpus" "$work/corpus"
step "index build" "$bin" index --corpus "$work/corpus" --index "$work/index" > "$out/build.out"
python3 -c 'import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(json.loads(line)["query"].replace("\n", " "))' "$insqa/valid.jsonl" > "$work/queries.txt"
queries="$work/queries.txt"

# 1. The reference: the same questions in one --batch process, second of two passes (as run.sh).
"$bin" search --corpus "$work/corpus" --index "$work/index" --batch "$queries" > /dev/null
step "reference: the questions in one --batch process" /usr/bin/time -v -o "$out/batch.time" \
    "$bin" search --corpus "$work/corpus" --index "$work/index" --batch "$queries" --timings \
    > "$out/batch.jsonl"

# 2. The server, on a free loopback port; stopped on any exit of this script.
key="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
record "server (admin key: 32 random hex digits)" "$bin" serve --corpus "$work/corpus" \
    --index "$work/index" --addr 127.0.0.1:0 --admin-key KEY
"$bin" serve --corpus "$work/corpus" --index "$work/index" --addr 127.0.0.1:0 \
    --admin-key "$key" 2> "$out/serve.log" &
server=$!
stop_server() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
}
trap stop_server EXIT
url=""
for _ in $(seq 100); do
    url="$(grep -o 'listening on http://[^/ ]*' "$out/serve.log" | sed 's/listening on //' || true)"
    [ -n "$url" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$out/serve.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { echo "serve.sh: the server did not start in 10 s" >&2; exit 1; }
echo "serve.sh: server $server at $url" >&2

# run LABEL C N: one client run of N requests at concurrency C, with the server's and the
# machine's CPU around it; one JSON line in load.jsonl. The client's own line is in it as "load".
run() {
    local label="$1" c="$2" n="$3" s0 b0 t0 s1 b1 t1 line
    s0="$(cpu_of "$server")"
    b0="$(busy)"
    t0="$(now)"
    line="$(step "load: $label" timeout "$run_limit" "$load" --url "$url" --queries "$queries" \
        --concurrency "$c" --requests "$n" --limit 10 2>> "$out/load.err")"
    t1="$(now)"
    s1="$(cpu_of "$server")"
    b1="$(busy)"
    printf '{"label":"%s","server_cpu_s":%s,"machine_busy_s":%s,"machine_wall_s":%s,"load":%s}\n' \
        "$label" "$(seconds $((s1 - s0)))" "$(seconds $((b1 - b0)))" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" "$line" >> "$out/load.jsonl"
    echo "$line" >&2
}

# 3. Warm-up (one pass over the questions), then the measured runs.
run "warm-up" 8 2000
run "C=1" 1 "$requests"
run "C=8" 8 "$requests"
run "C=32" 32 "$requests"

# 4. The live update, twice: 1% of the articles (274 files, picked as run.sh's re-index picks
#    them) get a sentence with a marker word while a C=8 run goes on, and are committed by
#    `zhsearch index` in another process (A), then, another 274 files, by POST /index (B). The
#    run is sized for ~10 s at the C=8 rate, so the commit and the reload fall inside it.
c8_rps="$(python3 -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["label"] == "C=8": print(int(r["load"]["rps"]))' "$out/load.jsonl")"
live_n=$((c8_rps * 10 > requests ? c8_rps * 10 : requests))
marker_base="zqload$(date +%s)"
live() {
    local how="$1" nth="$2" marker="$marker_base$3" t0 t1 t2 t3="" t4 pid files
    files="$out/live-$how.files"
    (cd "$work/corpus" && find . -name '*.txt' | sed 's|^\./||' | sort |
        awk -v k="$nth" 'NR % 100 == k && n < 274 { print; n++ }') > "$files"
    t0="$(now)"
    run "live update ($how), C=8" 8 "$live_n" &
    pid=$!
    sleep 2
    while read -r f; do
        printf '\n本回答已更新：%s 理赔时请携带保单和身份证件。\n' "$marker" >> "$work/corpus/$f"
    done < "$files"
    t1="$(now)"
    if [ "$how" = index ]; then
        step "live update: zhsearch index in another process" /usr/bin/time -v \
            -o "$out/live-index.time" "$bin" index --corpus "$work/corpus" --index "$work/index" \
            > "$out/live-index.out"
    else
        record "live update: POST /index" curl -sS -X POST -H "Authorization: Bearer KEY" \
            "$url/index"
        curl -sS --max-time 120 -X POST -H "Authorization: Bearer $key" "$url/index" \
            > "$out/live-post.out"
    fi
    t2="$(now)"
    # When the server first answers with the new content (it polls for commits every 0.5 s). The
    # marker is quoted: unquoted, its letter and digit grams would also match other articles.
    for _ in $(seq 200); do
        if curl -sS --max-time 5 "$url/search?q=%22$marker%22&limit=1" | grep -q '"total":[1-9]'; then
            t3="$(now)"
            break
        fi
        sleep 0.05
    done
    wait "$pid"
    t4="$(now)"
    curl -sS --max-time 10 "$url/search?q=%22$marker%22&limit=1000" > "$out/live-$how.search.json"
    printf '{"how":"%s","marker":"%s","t_load_start":%s,"t_changed":%s,"t_committed":%s,"t_seen":%s,"t_load_end":%s}\n' \
        "$how" "$marker" "$t0" "$t1" "$t2" "${t3:-null}" "$t4" >> "$out/live.jsonl"
}
live index 1 a
live post 2 b
record "after each update: the passages with the marker (quoted: that exact text)" \
    curl -sS "$url/search?q=%22MARKER%22&limit=1000"
cpu_of "$server" > "$out/server.ticks"
curl -sS --max-time 10 "$url/stats" > "$out/stats.json"
stop_server
trap - EXIT

# 5. The section of BENCHMARKS.md.
python3 "$here/serve_report.py" "$out" "$target" "$data" "$repo" "$repo/BENCHMARKS.md"
echo "serve.sh: wrote its section of BENCHMARKS.md (raw results in $out)" >&2
