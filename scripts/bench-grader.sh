#!/usr/bin/env bash
# Reproduces the grader's figures in BENCHMARKS.md. Run it on a quiet
# machine: every figure is a wall time.
#   1. `grader grade solutions` with default repetitions, cold (no build
#      cache) and warm (three runs), with the grader's own peak memory;
#   2. the overhead per test execution of the grader and of cargo-nextest,
#      running the same tests (exercise-3's reference solution: 14 tests of
#      a few milliseconds, so the time is nearly all overhead) the same
#      number of times (20) with the same parallelism (2), side by side;
#   3. a batch of 20 full submissions with --jobs 1 and the default, and
#      the same batch in 2 shards merged into one gradebook.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${BENCH_OUT:-/tmp/grader-bench}
mkdir -p "$out"
cargo build --release -p grader --quiet
grader=$root/target/release/grader
now() { date +%s.%N; }
field() { python3 -c "import json,sys; c=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

echo "== grade solutions, cold (empty build cache)"
rm -rf target/grader
t0=$(now); "$grader" grade solutions --quiet --output "$out/cold.json"; t1=$(now)
printf 'cold: %.1f s (build %s s, runs %s in %s s), score %s\n' "$(echo "$t1 - $t0" | bc)" \
  "$(field "$out/cold.json" "c['phases']['build_secs']")" "$(field "$out/cold.json" "c['phases']['runs']")" \
  "$(field "$out/cold.json" "c['phases']['run_secs']")" "$(field "$out/cold.json" "c['score']")"

echo "== grade solutions, warm"
for i in 1 2 3; do
  t0=$(now); "$grader" grade solutions --quiet --output "$out/warm-$i.json"; t1=$(now)
  printf 'warm %d: %.1f s (build %s s, runs %s in %s s), peak memory %s MiB, score %s\n' "$i" "$(echo "$t1 - $t0" | bc)" \
    "$(field "$out/warm-$i.json" "c['phases']['build_secs']")" "$(field "$out/warm-$i.json" "c['phases']['runs']")" \
    "$(field "$out/warm-$i.json" "c['phases']['run_secs']")" "$(field "$out/warm-$i.json" "c['grader_peak_rss_mib']")" \
    "$(field "$out/warm-$i.json" "c['score']")"
done

echo "== overhead per test execution: grader vs cargo-nextest (exercise-3 solution, 20 times each, 2 jobs)"
ws=$out/ws
rm -rf "$ws" && mkdir -p "$ws"
tar --exclude=./target --exclude=./.git -cf - . | tar -xf - -C "$ws"
cp -r solutions/exercises/exercise-3/src/. "$ws/exercises/exercise-3/src/"
export CARGO_TARGET_DIR=$out/ws-target
(cd "$ws" && cargo nextest list -p exercise-3 >/dev/null 2>&1)
for i in 1 2 3; do
  t0=$(now); (cd "$ws" && cargo nextest run -p exercise-3 --stress-count 20 -j 2 --no-fail-fast >/dev/null 2>&1); t1=$(now)
  nextest=$(echo "$t1 - $t0" | bc)
  "$grader" grade solutions --exercise exercise-3 --repeat 20 --jobs 2 --quiet --output "$out/overhead-$i.json"
  grader_run=$(field "$out/overhead-$i.json" "c['phases']['run_secs']")
  runs=$(field "$out/overhead-$i.json" "c['phases']['runs']")
  printf 'round %d: nextest %.2f s for %d executions (%.2f ms each); grader runs %.2f s for %d (%.2f ms each); ratio grader/nextest %.2f\n' \
    "$i" "$nextest" "$runs" "$(echo "$nextest * 1000 / $runs" | bc -l)" "$grader_run" "$runs" \
    "$(echo "$grader_run * 1000 / $runs" | bc -l)" "$(echo "$grader_run / $nextest" | bc -l)"
done
unset CARGO_TARGET_DIR

echo "== batch of 20 full submissions, warm"
# A class of 20 full submissions: each is the reference solution with one
# exercise replaced by a fixture (the first four fixtures of each exercise
# whose expected outcome does not depend on chance), as a class in which
# every student left one bug or wrote one alternative.
class=$out/class
rm -rf "$class" && mkdir -p "$class"
for n in 1 2 3 4 5; do
  for f in $(ls -d fixtures/exercise-$n-* | while read -r d; do grep -q '"sometimes"' "$d/expected.toml" || echo "$d"; done | head -4); do
    name=$(basename "$f")
    cp -r solutions "$class/$name"
    rm -rf "$class/$name/exercises/exercise-$n/src"
    cp -r "$f/exercises/exercise-$n/src" "$class/$name/exercises/exercise-$n/src"
  done
done
count=$(ls "$class" | wc -l)
"$grader" batch "$class" --output-dir "$out/batch-warmup" --quiet --repeat 1 >/dev/null 2>&1 || true
for jobs in 1 2; do
  t0=$(now); "$grader" batch "$class" --output-dir "$out/batch-jobs-$jobs" --jobs "$jobs" --force --quiet; t1=$(now)
  wall=$(echo "$t1 - $t0" | bc)
  printf 'batch of %d full submissions, --jobs %d: %.1f s, %.1f s per submission\n' "$count" "$jobs" "$wall" \
    "$(echo "$wall / $count" | bc -l)"
done

echo "== the same class in 2 shards, one after the other, merged"
rm -rf "$out/shard-1" "$out/shard-2" "$out/merged"
t0=$(now)
"$grader" batch "$class" --output-dir "$out/shard-1" --shard 1/2 --quiet
"$grader" batch "$class" --output-dir "$out/shard-2" --shard 2/2 --quiet
"$grader" merge "$out/shard-1" "$out/shard-2" --output-dir "$out/merged" >/dev/null
t1=$(now)
printf 'two shards and merge: %.1f s\n' "$(echo "$t1 - $t0" | bc)"
if cmp -s "$out/merged/grades.csv" "$out/batch-jobs-2/grades.csv"; then
  echo "merged gradebook: identical to the unsharded batch's"
else
  echo "merged gradebook differs from the unsharded batch's:"
  diff "$out/batch-jobs-2/grades.csv" "$out/merged/grades.csv" || true
fi
