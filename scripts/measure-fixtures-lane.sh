#!/usr/bin/env bash
# Measures every fixture of exercises 1, 2 and 5 with the grader itself: the
# per-fixture, per-lane figures of BENCHMARKS.md ("Fixtures of exercises 1,
# 2 and 5 for the controlled lane"). Run it on a quiet machine (nothing else
# building or testing); it takes hours at the defaults.
#
#   scripts/measure-fixtures-lane.sh [options]
#
#   --buggy-runs N     gradings per buggy fixture (default 100)
#   --correct-runs N   gradings per correct fixture (default 200)
#   --only REGEX       only fixtures whose name matches REGEX (bash =~)
#   --no-one-cpu       skip the one-CPU verdicts
#   --one-cpu-only     only the one-CPU verdicts (no repeated gradings)
#   --out DIR          where gradings and the summary go
#                      (default /tmp/measure-fixtures-lane)
#
# For each fixture it runs `grader grade <fixture> --exercise exercise-N
# --output -` N times, keeps every scorecard (DIR/<fixture>/NNN.json; a
# rerun skips the ones already there, so an interrupted loop resumes), and
# then once more under `taskset -c 0` (DIR/<fixture>/one-cpu.json). It ends
# with DIR/summary.md: per fixture, how many gradings caught it (buggy) or
# lost points (correct), per lane, each test's failure count and lane, the
# median and maximum grading time and the time each lane's tests took, and
# the one-CPU verdict with the lanes that decided it.
#
# A grading "catches" a buggy fixture when the exercise scores below its
# maximum; a lane catches it when one of that lane's tests did not pass.
# For a correct fixture every grading below full marks is a false positive.
# The lane of a test is the scorecard's `TestCard.lane` when the grader
# writes it; otherwise it is inferred: target `lane` is "controlled", a
# stress group "stress", anything else "plain".
set -euo pipefail

buggy_runs=100
correct_runs=200
only=.
one_cpu=yes
repeated=yes
out=/tmp/measure-fixtures-lane
while [ $# -gt 0 ]; do
  case $1 in
    --buggy-runs) buggy_runs=$2; shift 2 ;;
    --correct-runs) correct_runs=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --no-one-cpu) one_cpu=no; shift ;;
    --one-cpu-only) repeated=no; shift ;;
    --out) out=$2; shift 2 ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build -p grader --release --quiet
grader=$root/target/release/grader
mkdir -p "$out"

# The expected.toml fields this script needs (no TOML library in bash).
field() { sed -n "s/^$2 = \"\(.*\)\"$/\1/p" "$1/expected.toml" | head -n 1; }

fixtures=()
for fixture in fixtures/exercise-[125]-*; do
  if [[ $(basename "$fixture") =~ $only ]]; then
    fixtures+=("$fixture")
  fi
done
if [ ${#fixtures[@]} -eq 0 ]; then
  echo "no fixture matches $only" >&2
  exit 2
fi

for fixture in "${fixtures[@]}"; do
  name=$(basename "$fixture")
  exercise=$(field "$fixture" exercise)
  kind=$(field "$fixture" kind)
  runs=$buggy_runs
  [ "$kind" = correct ] && runs=$correct_runs
  mkdir -p "$out/$name"
  if [ "$repeated" = yes ]; then
    # Always three digits, whatever the count: a rerun with another --buggy-runs
    # or --correct-runs then resumes from the gradings already there.
    for i in $(seq -f %03g 1 "$runs"); do
      [ -s "$out/$name/$i.json" ] && continue
      # Exit status 2 (an infrastructure error) still writes a scorecard;
      # anything without one is recorded as such by the summary.
      "$grader" grade "$fixture" --exercise "$exercise" --output - >"$out/$name/$i.tmp" 2>"$out/$name/$i.stderr" || true
      mv "$out/$name/$i.tmp" "$out/$name/$i.json"
      printf '\r%s: %s of %s gradings, load %s ' "$name" "$i" "$runs" "$(cut -d' ' -f1 /proc/loadavg)"
    done
    echo
  fi
  if [ "$one_cpu" = yes ] && [ ! -s "$out/$name/one-cpu.json" ]; then
    start=$(date +%s.%N)
    taskset -c 0 "$grader" grade "$fixture" --exercise "$exercise" --output - \
      >"$out/$name/one-cpu.json" 2>"$out/$name/one-cpu.stderr" || true
    echo "$name: one CPU, $(echo "$(date +%s.%N) - $start" | bc -l | cut -c1-6) s"
  fi
done

python3 - "$out" "${fixtures[@]}" <<'EOF'
import json, os, statistics, sys
from collections import Counter, defaultdict

out, fixtures = sys.argv[1], sys.argv[2:]

def expected(fixture):
    fields = {}
    for line in open(os.path.join(fixture, "expected.toml")):
        if " = " in line and not line.startswith("#"):
            key, value = line.split(" = ", 1)
            fields.setdefault(key.strip(), value.strip().strip('"'))
    return fields

def lane_of(test):
    if test.get("lane"):
        return test["lane"]
    if test.get("target") == "lane":
        return "controlled"
    return "stress" if test.get("stress") else "plain"

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def exercise_card(card, exercise):
    for e in card.get("exercises", []):
        if e.get("id") == exercise:
            return e
    return None

lines = [
    "| fixture | kind | gradings | caught / lost points | caught per lane | failing tests (count, lane) "
    "| grading s (median / max) | lane s (median) | one CPU: score, status, s, lanes |",
    "|---|---|---|---|---|---|---|---|---|",
]
for fixture in fixtures:
    name = os.path.basename(fixture)
    fields = expected(fixture)
    exercise, kind = fields.get("exercise"), fields.get("kind")
    folder = os.path.join(out, name)
    paths = sorted(p for p in os.listdir(folder) if p.endswith(".json") and p[0].isdigit())
    gradings = below_max = unreadable = 0
    per_test, per_lane = Counter(), Counter()
    lane_of_test, durations = {}, []
    lane_secs = defaultdict(list)
    for path in paths:
        card = load(os.path.join(folder, path))
        gradings += 1
        e = card and exercise_card(card, exercise)
        if not e:
            unreadable += 1
            continue
        durations.append(card.get("duration_secs") or 0.0)
        if e.get("score") != e.get("max_score"):
            below_max += 1
        lanes_failed, secs = set(), Counter()
        for t in e.get("tests", []):
            lane = lane_of(t)
            lane_of_test[t["name"]] = lane
            # The longest run times the runs: what the lane's test cost.
            secs[lane] += (t.get("max_run_secs") or 0.0) * (t.get("runs") or 1)
            if t.get("status") != "passed":
                per_test[t["name"]] += 1
                # A lane caught the bug when one of its tests failed on its
                # own verdict; a failure the other lane passed on to it
                # (`decided_by` the other lane) is not that lane's catch.
                if t.get("decided_by") in (None, lane):
                    lanes_failed.add(lane)
        for lane in lanes_failed:
            per_lane[lane] += 1
        for lane, s in secs.items():
            lane_secs[lane].append(s)
    one = load(os.path.join(folder, "one-cpu.json"))
    e = one and exercise_card(one, exercise)
    if e:
        lanes = ", ".join(f'{l.get("lane")}: {l.get("status")}' for l in e.get("lanes", [])) or "-"
        one_cpu = f'{e.get("score")}/{e.get("max_score")}, {e.get("status")}, {one.get("duration_secs", 0):.0f} s, {lanes}'
    else:
        one_cpu = "not measured" if one is None else "no scorecard"
    tests = ", ".join(f"`{t}` {n} ({lane_of_test.get(t, '?')})" for t, n in per_test.most_common()) or "none"
    lanes = ", ".join(f"{lane} {n}" for lane, n in sorted(per_lane.items())) or "none"
    timing = f"{statistics.median(durations):.1f} / {max(durations):.1f}" if durations else "-"
    lane_timing = ", ".join(f"{lane} {statistics.median(s):.1f}" for lane, s in sorted(lane_secs.items())) or "-"
    caught = f"{below_max}/{gradings}" + (f" ({unreadable} without a scorecard)" if unreadable else "")
    lines.append(f"| {name} | {kind} | {gradings} | {caught} | {lanes} | {tests} | {timing} | {lane_timing} | {one_cpu} |")

summary = "\n".join(lines) + "\n"
with open(os.path.join(out, "summary.md"), "w") as f:
    f.write(summary)
print(summary)
print(f"load average now: {open('/proc/loadavg').read().split()[0]}; written to {out}/summary.md")
EOF
