#!/usr/bin/env bash
# Grades a small class made from the fixtures (exercise-1 only, --repeat 2)
# into OUT (default /tmp/grader-fixture-class/out), with a roster, so the
# dashboard has something to show: the reference solution, correct
# alternatives, racy and broken submissions, one that edited its tests, and
# one student without a submission. Prints OUT.
#   scripts/fixture-batch.sh [OUT]
# The batch resumes: a second run reuses every scorecard.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-/tmp/grader-fixture-class/out}
class=$(dirname "$out")/submissions
mkdir -p "$class"
copy() { rm -rf "${class:?}/$2"; cp -r "fixtures/$1" "$class/$2"; }
rm -rf "$class/ada"; mkdir -p "$class/ada/exercises/exercise-1/src"
cp solutions/exercises/exercise-1/src/lib.rs "$class/ada/exercises/exercise-1/src/"
copy exercise-1-correct-cas-loop bob
copy exercise-1-correct-rwlock cy
copy exercise-1-atomic-check-then-fetch-sub dee
copy exercise-1-deposit-loses-updates eve
copy exercise-1-lock-released-between-check-and-act fay
copy broken-panics gus
copy broken-does-not-compile hal
copy hostile-edited-tests ivy
roster=$(dirname "$out")/roster.csv
cat > "$roster" <<'CSV'
name,github_username,student_id,section
Ada Lovelace,ada,1001,A
Bob Kahn,bob,1002,A
Cy Young,cy,1003,A
Dee Dee,dee,1004,A
Eve Online,eve,1005,B
Fay Wray,fay,1006,B
Gus Grissom,gus,1007,B
Hal Abelson,hal,1008,B
Ivy Bridge,ivy,1009,B
Jo Absent,jo,1010,B
CSV
cargo build -p grader --release --quiet
"$root/target/release/grader" batch "$class" --output-dir "$out" --roster "$roster" \
  --exercise exercise-1 --repeat 2 --quiet
echo "$out"
