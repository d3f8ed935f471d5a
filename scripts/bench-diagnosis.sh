#!/usr/bin/env bash
# The figures of the hang diagnosis (BENCHMARKS.md, "Hang diagnosis"). Run on
# a quiet machine: every figure is a wall time.
#   1. the build cost of line tables: a warm rebuild of the five exercises'
#      test targets (their own code only, as a grading rebuilds a
#      submission), with CARGO_PROFILE_DEV_DEBUG=0 as the grader builds, with
#      and without `debug = "line-tables-only"` for the exercise crates;
#   2. one diagnosis: gdb -batch with the grader's flags on a hung test
#      process (exercise-5-argument-order's deadlock), and the whole capture
#      as the grader takes it (a timed-out run's time beyond its time limit).
# ROUNDS (default 3) repetitions of each.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
target=${BENCH_TARGET:-/tmp/bench-diagnosis-target}
now() { date +%s.%N; }
packages=(-p exercise-1 -p exercise-2 -p exercise-3 -p exercise-4 -p exercise-5)
line_tables=()
for n in 1 2 3 4 5; do
  line_tables+=(--config "profile.dev.package.\"exercise-$n\".debug=\"line-tables-only\"")
done

build() { # $1: label, rest: extra cargo args
  local label=$1; shift
  # Warm the dependencies once, then time rebuilds of the exercises only.
  CARGO_TARGET_DIR=$target CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0 \
    cargo build --quiet --tests "${packages[@]}" "$@"
  for i in $(seq "$rounds"); do
    touch exercises/exercise-*/src/lib.rs
    local t0 t1
    t0=$(now)
    CARGO_TARGET_DIR=$target CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0 \
      cargo build --quiet --tests "${packages[@]}" "$@"
    t1=$(now)
    printf '%s rebuild %d: %.2f s\n' "$label" "$i" "$(echo "$t1 - $t0" | bc)"
  done
}

echo "== build cost of line tables (five exercises, warm dependencies)"
build "no debug info"
build "line tables  " "${line_tables[@]}"

echo "== one diagnosis"
cargo build --quiet -p grader
grader=$PWD/target/debug/grader
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A hung test process: the argument-order deadlock, built as a grading builds it.
mkdir -p "$work/sub/exercises/exercise-5"
cp -r fixtures/exercise-5-argument-order/exercises/exercise-5/src "$work/sub/exercises/exercise-5/"
cp -r exercises/exercise-5/src "$work/pristine-src"
cp "$work/sub/exercises/exercise-5/src/lib.rs" exercises/exercise-5/src/lib.rs
restore() { cp "$work/pristine-src/lib.rs" exercises/exercise-5/src/lib.rs; rm -rf "$work"; }
trap restore EXIT
exe=$(CARGO_TARGET_DIR=$target CARGO_PROFILE_DEV_DEBUG=0 cargo test --no-run --message-format=json -p exercise-5 \
  --test behaviour --config 'profile.dev.package."exercise-5".debug="line-tables-only"' 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable"): print(m["executable"])' | tail -1)
cp "$work/pristine-src/lib.rs" exercises/exercise-5/src/lib.rs
for i in $(seq "$rounds"); do
  # TESTKIT_HANG_ACK makes the watchdog wait instead of diagnosing itself.
  TESTKIT_HANG_ACK=$work/ack "$exe" transfer_moves_the_amount --exact >/dev/null 2>&1 &
  pid=$!
  sleep 3 # past the 2 s watchdog: the deadlock is in place, nothing moves
  t0=$(now)
  gdb -batch -nx -nh -iex 'set auto-load off' -iex 'set debuginfod enabled off' -iex 'set width 0' \
    -iex 'set print frame-arguments none' -p "$pid" -ex 'thread apply all bt 40' >/dev/null 2>&1
  t1=$(now)
  printf 'gdb -batch on a deadlocked test (%s threads): %.2f s\n' "$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 | wc -l)" "$(echo "$t1 - $t0" | bc)"
  touch "$work/ack"; wait "$pid" || true; rm -f "$work/ack"
done
echo "-- whole capture, as the grader takes it at a time limit (broken-hangs, --timeout 3)"
for i in $(seq "$rounds"); do
  "$grader" grade fixtures/broken-hangs --exercise exercise-1 --repeat 1 --jobs 1 --timeout 3 --quiet \
    --output "$work/card.json" || true
  python3 -c 'import json,sys
c=json.load(open(sys.argv[1]))
t=[t for e in c["exercises"] for t in e["tests"]]
d=[x["max_run_secs"]-3 for x in t if x.get("hang")]
print("capture beyond the 3 s limit: median %.2f s over %d timed-out runs (%s)" % (sorted(d)[len(d)//2], len(d), t[0]["hang"]["mechanism"]))' "$work/card.json"
done
