#!/usr/bin/env bash
# Measures how often default `cargo test -p <exercise>` runs fail for one
# submission: the figures in BENCHMARKS.md and exercises/*/MEASUREMENTS.md.
#
#   scripts/measure-exercise.sh <submission-dir> <exercise-N> <runs>
#
# One run is every test binary of the exercise once, whole, with default
# test threads and rounds and a fresh seed: what `cargo test -p exercise-N`
# runs, without cargo's own start-up. It builds the binaries once, from a
# scratch copy of this workspace with the submission's src/ in place, then
# prints one line per run that failed (the failing tests' names), the count
# of failing runs, each test's failure count, the mean run time, and the
# load average at the start and the end.
#
# A buggy submission is "caught" by a run in which any test fails; for a
# correct one every failing run is a false positive. The binaries run under
# `timeout 120`, so a hang shows up as a failed run rather than a stuck loop.
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 <submission-dir> <exercise-N> <runs>" >&2
  exit 2
fi
submission=$(cd "$1" && pwd)
exercise=$2
runs=$3
root=$(cd "$(dirname "$0")/.." && pwd)
name=$(basename "$submission")
work=${MEASURE_DIR:-/tmp/measure}/$name-$exercise
mkdir -p "$work"

# A scratch workspace: this project's sources, the submission's src/.
rm -rf "$work/ws"
mkdir -p "$work/ws"
(cd "$root" && tar --exclude=./target --exclude=./.git -cf - .) | tar -xf - -C "$work/ws"
rm -rf "$work/ws/exercises/$exercise/src"
cp -r "$submission/exercises/$exercise/src" "$work/ws/exercises/$exercise/src"

# Build the test binaries (shared target folder: dependencies build once).
export CARGO_TARGET_DIR=${MEASURE_TARGET:-/tmp/measure-target}
rm -rf "$work/bin"
mkdir -p "$work/bin"
(cd "$work/ws" && cargo test -p "$exercise" --no-run --message-format=json 2>/dev/null) |
  python3 -c '
import json, shutil, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg["target"]["kind"] == ["test"] and msg.get("executable"):
        shutil.copy(msg["executable"], sys.argv[1] + "/" + msg["target"]["name"])
' "$work/bin"
binaries=$(ls "$work/bin")
echo "$name $exercise: binaries $(echo $binaries | tr '\n' ' ')"

# What `cargo test` would add from .cargo/config.toml's [env].
export RAYON_NUM_THREADS=4
load() { cut -d' ' -f1 /proc/loadavg; }
start_load=$(load)
start=$(date +%s.%N)
failed_runs=0
: >"$work/failures"
for i in $(seq "$runs"); do
  failed=""
  for b in $binaries; do
    out=$(RUST_BACKTRACE=0 timeout 120 "$work/bin/$b" -q 2>&1) && continue
    # libtest lists the failing tests under "failures:" as indented names.
    names=$(echo "$out" | awk '/^failures:$/ {f++; next} f==2 && /^    / {print $1}')
    [ -n "$names" ] || names="$b:(binary exited without a test failure: timeout, abort or crash)"
    failed="$failed $names"
  done
  if [ -n "$failed" ]; then
    failed_runs=$((failed_runs + 1))
    echo "run $i failed:$failed" | tr '\n' ' '
    echo
    for t in $failed; do echo "$t" >>"$work/failures"; done
  fi
done
end=$(date +%s.%N)
echo "== $name $exercise: $failed_runs of $runs runs failed"
sort "$work/failures" | uniq -c | sort -rn
printf 'mean run %.2f s; load average %s at the start, %s at the end\n' \
  "$(echo "($end - $start) / $runs" | bc -l)" "$start_load" "$(load)"
