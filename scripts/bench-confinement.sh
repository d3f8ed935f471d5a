#!/usr/bin/env bash
# What confinement (issue 9) costs, side by side with it switched off
# (GRADER_CONFINEMENT=off, for this measurement only). Run it on a quiet
# machine; every figure is a wall time, the median of ROUNDS alternating
# pairs (confined, then not), so a drift in load hits both alike.
#   1. per run: exercise-3's reference solution (14 tests of a few
#      milliseconds, so a run's time is nearly all process overhead),
#      --jobs 1 --repeat 20: run_secs / runs;
#   2. per grading: `grader grade solutions --repeat 1` (all five
#      exercises, warm build cache): the scorecard's duration_secs;
#   3. the source policy's cost per grading: the token resolver over every
#      src/ tree of the workspace, the solutions and the fixtures (the
#      policy test), against a clippy pass over one exercise crate (the
#      alternative: clippy's disallowed_* lints with a grader-owned
#      clippy.toml need a full check build of the submission).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
out=${BENCH_OUT:-/tmp/grader-bench-confinement}
mkdir -p "$out"
cargo build --release -p grader --quiet
grader=$PWD/target/release/grader
field() { python3 -c "import json,sys; c=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Warm the build cache once, so no round pays for a build.
"$grader" grade solutions --repeat 1 --quiet --output "$out/warm.json"
if [ "$(field "$out/warm.json" "c['confinement']['confined']")" != "True" ]; then
  echo "this machine does not confine test processes: $(field "$out/warm.json" "c['confinement']['detail']")" >&2
  exit 1
fi

: > "$out/run-on.txt"; : > "$out/run-off.txt"; : > "$out/grading-on.txt"; : > "$out/grading-off.txt"
for i in $(seq "$rounds"); do
  for mode in on off; do
    if [ $mode = off ]; then export GRADER_CONFINEMENT=off; else unset GRADER_CONFINEMENT; fi
    "$grader" grade solutions --exercise exercise-3 --jobs 1 --repeat 20 --quiet --output "$out/run-$mode-$i.json" 2>/dev/null
    field "$out/run-$mode-$i.json" "c['phases']['run_secs'] / c['phases']['runs'] * 1000" >> "$out/run-$mode.txt"
    "$grader" grade solutions --repeat 1 --quiet --output "$out/grading-$mode-$i.json" 2>/dev/null
    field "$out/grading-$mode-$i.json" "c['duration_secs']" >> "$out/grading-$mode.txt"
  done
done
unset GRADER_CONFINEMENT
printf 'per run (exercise-3, --jobs 1, ms):  confined %.2f   not confined %.2f\n' \
  "$(median < "$out/run-on.txt")" "$(median < "$out/run-off.txt")"
printf 'per grading (solutions, --repeat 1, s): confined %.2f   not confined %.2f\n' \
  "$(median < "$out/grading-on.txt")" "$(median < "$out/grading-off.txt")"

echo "== the source policy"
cargo test -q -p grader --test policy --no-run 2>/dev/null
start=$(date +%s.%N)
cargo test -q -p grader --test policy -- --test-threads 1 >/dev/null 2>&1
end=$(date +%s.%N)
trees=$(ls -d exercises/*/src solutions/exercises/*/src fixtures/*/exercises/*/src | wc -l)
printf 'token resolver: %d src/ trees in %.2f s (test binary start-up included)\n' "$trees" "$(echo "$end - $start" | bc)"
touch exercises/exercise-1/src/lib.rs
start=$(date +%s.%N)
cargo clippy -q -p exercise-1 --lib >/dev/null 2>&1
end=$(date +%s.%N)
printf 'clippy over exercise-1 (dependencies already checked): %.2f s\n' "$(echo "$end - $start" | bc)"

echo "== the parent's share per run: building one run's Landlock ruleset"
cargo test -q --release -p grader --lib -- --ignored ruleset_cost --nocapture 2>/dev/null | grep "ruleset per run"
