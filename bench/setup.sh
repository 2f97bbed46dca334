#!/usr/bin/env bash
# Installs what the benchmarks need, skipping whatever is already there (safe to re-run).
#   - hyperfine (Debian): repeatable wall-clock timing of the zhsearch CLI
#   - time (Debian): /usr/bin/time -v reports peak RSS ("Maximum resident set size")
#   - $BENCH_DATA/venv with bench/requirements.txt: the jieba + bm25s baseline
#   - $BENCH_DATA/insqa: InsuranceQA-zh, via shared/bench/prep_insqa.py (a no-op once present)
# Everything heavy lives outside the repo (default /work/bench-data) so nothing of it is committed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_DATA="${BENCH_DATA:-/work/bench-data}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$BENCH_DATA"

# Debian tools. apt-get update only when something is missing: it is the slow part.
need=()
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

# venv: (re)install only when the pinned set is not already satisfied, so re-runs cost ~1 s.
VENV="$BENCH_DATA/venv"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
if ! "$VENV/bin/python" - "$HERE/requirements.txt" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, want = line.split("==")
        assert version(name) == want, name
PY
then
    "$VENV/bin/pip" install -q -r "$HERE/requirements.txt"
fi

# Data: shared/ sits beside the repo clone (or at /work/shared on a dev machine).
PREP=""
for p in "$HERE/../../shared/bench/prep_insqa.py" /work/shared/bench/prep_insqa.py; do
    [ -f "$p" ] && { PREP="$p"; break; }
done
if [ -n "$PREP" ]; then
    "$PYTHON" "$PREP" "$BENCH_DATA/insqa"
else
    echo "setup.sh: prep_insqa.py not found; skipping the InsuranceQA-zh data" >&2
fi

echo "setup.sh: ready: $(hyperfine --version), /usr/bin/time, $VENV, $BENCH_DATA/insqa"
