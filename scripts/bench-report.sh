#!/usr/bin/env bash
# BENCHMARKS.md's figure for `grader report`: the time and size of the
# dashboard and feedback pages of a class of 200, made by copying the
# fixture class's scorecards (scripts/fixture-batch.sh) under 200 names.
# Target: under 1 s and under 5 MB. Run it on a quiet machine, e.g. under
# `flock /work/measure.lock scripts/bench-report.sh`.
#   scripts/bench-report.sh [SCORECARDS_DIR]   (default: grade the fixture class)
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=${1:-$(scripts/fixture-batch.sh | tail -n 1)}
cargo build -p grader --release --quiet
grader=$PWD/target/release/grader
class=$(mktemp -d)
trap 'rm -rf "$class"' EXIT
mapfile -t cards < <(ls "$source_dir"/*.json)
for i in $(seq -w 1 200); do
  cp "${cards[$(( (10#$i - 1) % ${#cards[@]} ))]}" "$class/student-$i.json"
done
echo "${#cards[@]} fixture scorecards copied to 200 in $class"
times=()
for _ in 1 2 3 4 5; do
  start=$(date +%s.%N)
  "$grader" report "$class" 2>/dev/null
  end=$(date +%s.%N)
  times+=("$(echo "$end - $start" | bc)")
done
printf 'grader report, 200 scorecards, 5 runs (s): %s\n' "${times[*]}"
printf 'best %s s, median %s s\n' "$(printf '%s\n' "${times[@]}" | sort -n | head -1)" \
  "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)"
index=$(stat -c %s "$class/index.html")
pages=$(cat "$class"/student-*.html | wc -c)
markdown=$(cat "$class"/student-*.md | wc -c)
printf 'index.html %d bytes; 200 HTML pages %d bytes; 200 Markdown pages %d bytes; total %.2f MB\n' \
  "$index" "$pages" "$markdown" "$(echo "($index + $pages + $markdown) / 1000000" | bc -l)"
