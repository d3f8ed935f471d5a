#!/usr/bin/env bash
# Grading time of the reference solutions on one CPU (`taskset -c 0`) and on
# every CPU, warm (the build cache filled first), with what the scorecard says
# about the machine, the lanes and the verdict. Run it on a quiet machine:
# every figure is a wall time.
#   scripts/measure-cpus.sh [RUNS]     (default 3 runs per setting)
# Compare with BENCHMARKS.md: before the lanes, one CPU took 448 s and ended
# in an infrastructure_error; two cores took 15 s (median).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
out=${MEASURE_OUT:-/tmp/grader-cpus}
mkdir -p "$out"
cargo build --release -p grader --quiet
grader=$PWD/target/release/grader
"$grader" grade solutions --quiet --repeat 1 --output /dev/null || true # fills the build cache
summary() {
  python3 - "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
lanes = {e["id"]: [f'{l["lane"]}:{l["status"]}' for l in e.get("lanes", [])] for e in c["exercises"]}
decided = sorted({t.get("decided_by") or "none" for e in c["exercises"] for t in e["tests"] if t.get("lane") == "stress"})
print(f'score {c["score"]}/{c["max_score"]}, cpus {c["machine"]["cpus"]} ({c["machine"]["cpus_source"]}), '
      f'stress tests decided by {decided}, infrastructure_error: {c["infrastructure_error"]}')
print(f'  lanes: {lanes}')
PY
}
for setting in one all; do
  for i in $(seq 1 "$runs"); do
    file=$out/$setting-$i.json
    start=$(date +%s.%N)
    if [ "$setting" = one ]; then
      taskset -c 0 "$grader" grade solutions --quiet --output "$file" && status=0 || status=$?
    else
      "$grader" grade solutions --quiet --output "$file" && status=0 || status=$?
    fi
    end=$(date +%s.%N)
    printf '%s CPU(s), run %s: %.1f s, exit %s; ' "$setting" "$i" "$(echo "$end - $start" | bc)" "$status"
    summary "$file"
  done
done
