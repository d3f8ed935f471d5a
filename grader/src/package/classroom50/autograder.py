#!/usr/bin/env python3
"""Classroom 50 autograder for the concurrency exercises (written by
`grader classroom50`).

Classroom 50's runner runs this once per submission, with the student's
checkout as the working directory and this file's folder (the course's
`autograders/<assignment>/` bundle) beside it. It grades the checkout with
the course's own grader and tests from `course/` in this folder, never the
student's: the grader takes only the `src/` folders of
`exercises/exercise-N` from a submission, so edited tests, manifests or
workflows in a student's repository change nothing.

It writes into the working directory what the runner publishes:

- `result.json`: the grade (`classroom50/result/v1`, integer points);
- `release-body.md`: the Markdown report, the Release's text;
- `scorecard.json`: the grader's full scorecard, attached to the Release
  when the assignment lists it in `release_assets`.

Exit statuses, as Classroom 50 reads them: 0 records the grade, whether
tests passed or failed (the grader's statuses 0 and 1). Anything else is an
infrastructure error, for which Classroom 50 records no points: the grader's
status 2 (it could not work, or the machine was too busy for the
concurrency tests to mean anything), a grader that could not be built, or a
grading that ran out of time. Then no result.json is left, so a stale or
planted one can never be taken for this grading.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
COURSE = HERE / "course"
OUTPUTS = ("result.json", "release-body.md", "scorecard.json")

# Classroom 50's grade job stops after 15 minutes (timeout-minutes in the
# config repository's autograde-runner.yaml). Stopping a little earlier lets
# this script say why and exit with an infrastructure error itself.
DEADLINE_SECS = int(os.environ.get("GRADER_DEADLINE_SECS", "780"))

# GitHub refuses a Release whose text is very long; the full report is in
# scorecard.json, attached to the same Release.
MAX_RELEASE_BODY_CHARS = 100_000

# What the grader and cargo need from the runner's environment. Student code
# is compiled and run below, in the same job that publishes the Release, so
# nothing else (tokens, the runner's ACTIONS_* variables) is passed on.
KEEP_ENV = ("PATH", "HOME", "CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "LANG", "TMPDIR")

# The runner's identity variables, which only `grader convert --to
# classroom50` reads (result.json must carry them).
IDENTITY_ENV = (
    "CLASSROOM",
    "ASSIGNMENT",
    "ASSIGNMENT_TYPE",
    "MODE",
    "OWNER",
    "USERNAME",
    "SUBMISSION_TAG",
    "COMMIT_URL",
    "RELEASE_URL",
    "REVIEW_URL",
)

# The grader's exit statuses: graded, graded below --fail-under, no grade.
GRADED = (0, 1)
NO_GRADE = 2


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def no_grade(reason: str) -> int:
    """Removes anything that could be read as a grade and says why."""
    for name in OUTPUTS:
        pathlib.Path(name).unlink(missing_ok=True)
    # A workflow command: GitHub shows it as an error on the run.
    print(f"::error::no grade recorded: {reason}", flush=True)
    return NO_GRADE


def clean_env(**extra: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in KEEP_ENV if name in os.environ}
    env.update(extra)
    return env


def cap_release_body(path: pathlib.Path) -> None:
    text = path.read_text(encoding="utf-8")
    if len(text) > MAX_RELEASE_BODY_CHARS:
        cut = text[:MAX_RELEASE_BODY_CHARS]
        path.write_text(cut + "\n\n*The report is cut here; the whole of it is in scorecard.json.*\n", encoding="utf-8")


def commit_date() -> str | None:
    """The graded commit's committer date in UTC, Classroom 50's
    `datetime` (the same for every regrade of the commit)."""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%cd", "--date=format-local:%Y-%m-%dT%H:%M:%SZ"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "TZ": "UTC"},
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def build_grader(target_dir: pathlib.Path, remaining: float) -> pathlib.Path:
    """Builds the course's grader (a debug build: it only starts processes,
    and compiles in half the time of a release build)."""
    override = os.environ.get("CLASSROOM50_GRADER")
    if override:
        # The project's own tests put a stand-in grader here.
        return pathlib.Path(override)
    cargo = shutil.which("cargo")
    if cargo is None:
        raise RuntimeError('cargo is not installed; set "rust": "stable" in the assignment\'s runtime')
    subprocess.run(
        [cargo, "build", "--locked", "-p", "grader"],
        cwd=COURSE,
        env=clean_env(CARGO_TARGET_DIR=str(target_dir)),
        check=True,
        timeout=remaining,
    )
    return target_dir / "debug" / "grader"


def main() -> int:
    checkout = pathlib.Path.cwd()
    # A student's repository could hold files of these names; none of them
    # may outlive a grading that does not write them itself.
    for name in OUTPUTS:
        pathlib.Path(name).unlink(missing_ok=True)
    if not (COURSE / "Cargo.toml").is_file():
        return no_grade(f"the course files are missing from {COURSE}; rerun `grader classroom50`")

    started = time.monotonic()

    def remaining() -> float:
        left = DEADLINE_SECS - (time.monotonic() - started)
        if left <= 0:
            raise subprocess.TimeoutExpired("autograder", DEADLINE_SECS)
        return left

    scratch = pathlib.Path(os.environ.get("RUNNER_TEMP") or tempfile.gettempdir()) / "concurrency-grader"
    scratch.mkdir(parents=True, exist_ok=True)
    env = clean_env(GRADER_WORKSPACE=str(COURSE), CARGO_TARGET_DIR=str(scratch / "target"))
    identity = {name: os.environ[name] for name in IDENTITY_ENV if name in os.environ}
    date = commit_date()
    if date:
        identity["CLASSROOM50_DATETIME"] = date
    scorecard = checkout / "scorecard.json"
    try:
        grader = build_grader(scratch / "target", remaining())
        status = subprocess.run(
            [str(grader), "grade", str(checkout), "--output", str(scorecard)],
            env=env,
            timeout=remaining(),
        ).returncode
        if status not in GRADED:
            return no_grade(f"the grader exited with status {status} (see its messages above)")
        for fmt, name in (("classroom50", "result.json"), ("markdown", "release-body.md")):
            converted = subprocess.run(
                [str(grader), "convert", str(scorecard), "--to", fmt, "--output", str(checkout / name)],
                env={**env, **identity},
                timeout=remaining(),
            ).returncode
            if converted != 0:
                return no_grade(f"writing {name} failed with status {converted}")
        cap_release_body(checkout / "release-body.md")
    except subprocess.TimeoutExpired:
        return no_grade(f"the grading took more than {DEADLINE_SECS} s; rerun it when runners are less busy")
    except (OSError, RuntimeError, subprocess.CalledProcessError) as error:
        return no_grade(f"the grader could not be built or started: {error}")
    log(f"graded: {checkout / 'result.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
