#!/usr/bin/env python3
"""The controlled lane's depth for fewer executions per scenario, read off
one survey (scripts/measure-lane.sh with LANE_FINDS=FILE).

In a scenario the random scheduler's executions run first, then PCT's, and
each scheduler's executions do not depend on how many there are in all. So
a scenario whose bug was found by the random scheduler at execution k would
also have been found with any r >= k random executions, and one found by
PCT at execution k with any p >= k PCT executions (and r random ones that
missed it, whatever r). From the same runs this gives, for each split r + p,
the chance that one scenario exposes each buggy fixture (finds / scenarios
observed: a run stops at its first find, and the scenarios after it are not
observed, which leaves the estimate unbiased), the scenarios R a grading
needs for every fixture of an exercise to be missed in under 1 grading of
10^6 (with p lowered by two standard errors), and the cost R * (r + p) in
executions.

    scripts/lane-depth-split.py FILE [r+p ...]     (default: a grid)
"""
import collections
import math
import sys


def main():
    path, *splits = sys.argv[1:] or [None]
    if path is None:
        sys.exit(__doc__)
    runs = collections.defaultdict(list)
    for line in open(path):
        name, scenarios, scheduler, execution = line.split()
        runs[name].append((int(scenarios), scheduler, int(execution)))
    grid = [tuple(map(int, s.split("+"))) for s in splits] or [
        (r, p) for r in (25, 50, 75, 100, 150) for p in (0, 25, 50, 75, 150)
    ]

    def depth(name, r, p):
        observed = sum(k for k, _, _ in runs[name])
        found = sum(1 for _, s, e in runs[name] if (s == "random" and e <= r) or (s == "PCT" and e <= p))
        return found / observed, found

    exercises = sorted({name.rsplit("/", 1)[-1] for name in runs})
    for exercise in exercises:
        names = sorted(n for n in runs if n.endswith("/" + exercise))
        print(f"{exercise}:")
        rows = []
        for r, p in grid:
            needed = []
            for name in names:
                chance, found = depth(name, r, p)
                if found < 4:
                    continue  # too few finds to estimate; a fixture no split finds (busy-wait) is skipped too
                low = chance * (1 - 2 / math.sqrt(found))
                needed.append((math.ceil(math.log(1e-6) / math.log(1 - low)), name.split("/")[0], chance))
            if needed:
                rounds, worst, chance = max(needed)
                rows.append((rounds * (r + p), r, p, rounds, worst, chance))
        for cost, r, p, rounds, worst, chance in sorted(rows):
            print(f"  {r:>3} random + {p:>3} PCT: R = {rounds:>4}, cost {cost:>6} executions; rarest {worst} (p = {chance:.3f})")


if __name__ == "__main__":
    main()
