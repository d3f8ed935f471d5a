#!/usr/bin/env bash
# Measures the controlled-scheduling lane (issue 10) on a quiet machine:
#   - detection: for every known-buggy fixture of exercises 1, 2 and 5, in how
#     many of RUNS runs (each with a fresh random seed) the lane test fails,
#     and for the failing runs, which scenario found it;
#   - false positives: for every correct fixture and the reference solution,
#     failures in CORRECT_RUNS runs (target 0);
#   - time: the lane test's wall time per run, per exercise;
#   - depth, for buggy fixtures: the chance p that one scenario exposes the
#     bug (found runs / scenarios run, the geometric estimate from the
#     scenario each failing run names), and from it the chance that a whole
#     grading's ROUNDS scenarios miss it, (1 - p)^ROUNDS. That is what sets
#     the lane group's `rounds`: every known bug below 1e-6 per grading.
# Usage: scripts/measure-lane.sh [RUNS] [CORRECT_RUNS]   (defaults 100 and 200)
# LANE_ROUNDS sets the scenarios per run (default: what a grading runs, the
# lane group's `rounds` in the exercise's Cargo.toml). LANE_ONLY (a regex)
# keeps the submissions whose name matches; CORRECT_RUNS 0 skips correct ones.
# LANE_FINDS names a file that gets one line per run: submission, scenarios
# run, and the scheduler and execution that found the bug ("none 0" for a
# run that found nothing), so the depth of fewer executions per scenario can
# be read off the same runs (random executions come first in a scenario,
# then PCT's): scripts/lane-depth-split.py.
# Each fixture's src/ is laid over a scratch copy of the exercise crate, never
# over the workspace's own; the test binary is built once per fixture and then
# run directly (no cargo in the loop).
set -euo pipefail
runs=${1:-100}
correct_runs=${2:-200}
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/ws"
tar -C "$root" --exclude=./target --exclude=./.git -cf - . | tar -C "$scratch/ws" -xf -
export CARGO_TARGET_DIR="$root/target/measure-lane"
unset STRESS_SEED
printf '%-52s %-8s %-10s %-12s %-18s %s\n' submission kind failed runs "secs/run(median)" "depth (buggy)"
for n in 1 2 5; do
  for sub in "$root/solutions" "$root"/fixtures/exercise-$n-*; do
    [ -d "$sub/exercises/exercise-$n/src" ] || continue
    [[ "$(basename "$sub")/exercise-$n" =~ ${LANE_ONLY:-.} ]] || continue
    kind=correct
    [ -f "$sub/expected.toml" ] && kind=$(sed -n 's/^kind = "\(.*\)"/\1/p' "$sub/expected.toml")
    case $kind in correct|buggy) ;; *) continue ;; esac
    rm -rf "$scratch/ws/exercises/exercise-$n/src"
    cp -r "$sub/exercises/exercise-$n/src" "$scratch/ws/exercises/exercise-$n/src"
    bin=$(cd "$scratch/ws" && cargo test -q -p exercise-$n --test lane --no-run --message-format=json 2>/dev/null \
      | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
    rounds=${LANE_ROUNDS:-$(awk '/target = "lane"/ {lane = 1} lane && /^rounds/ {print $3; exit}' "$root/exercises/exercise-$n/Cargo.toml")}
    export STRESS_ROUNDS=${rounds:-100}
    total=$runs; [ "$kind" = correct ] && total=$correct_runs
    [ "$total" -gt 0 ] || continue
    failed=0; times=(); scenarios=0
    for ((i = 0; i < total; i++)); do
      start=$(date +%s.%N)
      if ! out=$(cd "$scratch/ws/exercises/exercise-$n" && "$bin" --exact lane_scenarios_are_linearizable -q 2>&1); then
        failed=$((failed + 1))
        found=$(printf '%s\n' "$out" | sed -n 's/.*(Found in scenario \([0-9]*\) .*/\1/p' | head -1)
        scenarios=$((scenarios + ${found:-$STRESS_ROUNDS}))
        if [ -n "${LANE_FINDS:-}" ]; then
          how=$(printf '%s\n' "$out" | sed -n "s/.*(Found in scenario [0-9]* by shuttle's \([A-Za-z]*\) scheduler, execution \([0-9]*\)\.).*/\1 \2/p" | head -1)
          echo "$(basename "$sub")/exercise-$n ${found:-?} ${how:-? ?}" >>"$LANE_FINDS"
        fi
      else
        scenarios=$((scenarios + STRESS_ROUNDS))
        [ -z "${LANE_FINDS:-}" ] || echo "$(basename "$sub")/exercise-$n $STRESS_ROUNDS none 0" >>"$LANE_FINDS"
      fi
      times+=("$(echo "$(date +%s.%N) - $start" | bc)")
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    depth=
    if [ "$kind" = buggy ]; then
      depth=$(awk -v f="$failed" -v s="$scenarios" -v r="$STRESS_ROUNDS" \
        'BEGIN { p = f / s; printf "p=%.3f miss=%.1e", p, (p < 1 ? exp(r * log(1 - p)) : 0) }')
    fi
    printf '%-52s %-8s %-10s %-12s %-18s %s\n' "$(basename "$sub")/exercise-$n" "$kind" "$failed" "$total" "$median" "$depth"
  done
done
