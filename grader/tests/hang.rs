//! Every hanging fixture gets a hang diagnosis (`TestCard.hang`) that names
//! the right lines of its own `src/`: the grader builds and runs each one
//! (one exercise, one run per test, a short time limit), and the test finds
//! the line it expects by searching the fixture's source text, so a change
//! to the fixture cannot make the check stale. A grading with no debugger on
//! `PATH` must fall back to `/proc` and say so.
//!
//! Linux only (gdb and /proc); skipped, loudly, where gdb is missing, except
//! the fallback test, which needs none.

#![cfg(target_os = "linux")]

mod common;

use std::path::{Path, PathBuf};

use common::{exercise, grade, serial, workspace};

/// The fixture's `src/lib.rs` of `exercise`.
fn source(fixture: &str, exercise: &str) -> String {
    let path = workspace().join("fixtures").join(fixture).join("exercises").join(exercise).join("src/lib.rs");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The 1-based numbers of the lines of `source` that contain `needle`.
fn lines_with(source: &str, needle: &str) -> Vec<u64> {
    let found: Vec<u64> =
        source.lines().enumerate().filter(|(_, line)| line.contains(needle)).map(|(i, _)| i as u64 + 1).collect();
    assert!(!found.is_empty(), "the fixture no longer contains {needle:?}");
    found
}

fn test_card<'a>(card: &'a serde_json::Value, exercise_id: &str, test: &str) -> &'a serde_json::Value {
    exercise(card, exercise_id)["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == test)
        .unwrap_or_else(|| panic!("no test {test} in the scorecard:\n{card:#}"))
}

/// Checks that `test`'s diagnosis was taken by gdb, that some thread waits
/// in `state` at one of `lines` of src/lib.rs, and that every frame quotes
/// its own line of the fixture.
fn check(card: &serde_json::Value, exercise_id: &str, test: &str, source: &str, lines: &[u64], state: &str) {
    check_any(card, exercise_id, test, source, &[(lines, state)]);
}

/// [`check`], satisfied when some thread waits in one of the `(lines, state)`
/// pairs.
fn check_any(card: &serde_json::Value, exercise_id: &str, test: &str, source: &str, expected: &[(&[u64], &str)]) {
    let test_card = test_card(card, exercise_id, test);
    let hang = &test_card["hang"];
    assert!(hang.is_object(), "{test}: no hang diagnosis:\n{test_card:#}");
    assert_eq!(hang["mechanism"], "gdb", "{test}:\n{hang:#}");
    let threads = hang["threads"].as_array().unwrap();
    let source_lines: Vec<&str> = source.lines().collect();
    for thread in threads {
        for frame in thread["frames"].as_array().unwrap() {
            assert_eq!(frame["file"], "src/lib.rs", "{test}: a frame outside the submission's src/:\n{hang:#}");
            let line = frame["line"].as_u64().unwrap() as usize;
            let quoted = frame["source"].as_str().unwrap();
            assert!(
                quoted.ends_with(source_lines[line - 1].trim()),
                "{test}: src/lib.rs:{line} is {:?}, the report quotes {quoted:?}",
                source_lines[line - 1]
            );
        }
    }
    let waiting = threads.iter().any(|thread| {
        expected.iter().any(|(lines, state)| {
            thread["state"].as_str().unwrap().contains(state)
                && thread["frames"].get(0).is_some_and(|f| lines.contains(&f["line"].as_u64().unwrap()))
        })
    });
    assert!(waiting, "{test}: no thread waiting as expected ({expected:?}):\n{hang:#}");
}

fn gdb_available() -> bool {
    let found =
        std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("gdb").is_file()));
    if !found {
        eprintln!("SKIPPED: gdb is not on PATH (.ci/run installs it)");
    }
    found
}

#[test]
fn every_hanging_fixture_is_diagnosed_at_its_own_lines() {
    if !gdb_available() {
        return;
    }
    let _serial = serial();
    // Hung tests mostly sleep: four at once finish sooner on two cores.
    let args = ["--repeat", "1", "--jobs", "4", "--quiet"];

    // The lesson's deadlock: two threads, each in lock_pair's second lock.
    let fixture = "exercise-5-argument-order";
    let card = grade(&workspace().join("fixtures").join(fixture), &[&args[..], &["--exercise", "exercise-5"]].concat());
    let text = source(fixture, "exercise-5");
    let second_lock = lines_with(&text, "let second = self.accounts[b].lock()");
    check(&card, "exercise-5", "transfer_moves_the_amount", &text, &second_lock, "blocked on a lock");
    let hang = &test_card(&card, "exercise-5", "transfer_moves_the_amount")["hang"];
    let cycle = hang["deadlock"].as_array().unwrap_or_else(|| panic!("no lock cycle:\n{hang:#}"));
    assert!(cycle.iter().filter(|step| step.as_str().unwrap().contains(" holds ")).count() >= 2, "{hang:#}");
    let calls: Vec<&str> = hang["threads"].as_array().unwrap().iter().filter_map(|t| t["call"].as_str()).collect();
    assert!(calls.iter().any(|c| c.starts_with("transfer(0, 1")), "{calls:?}");
    assert!(calls.iter().any(|c| c.starts_with("transfer(1, 0")), "{calls:?}");

    // A thread that locks the same account twice waits for itself.
    let fixture = "exercise-5-self-transfer-locks-twice";
    let card = grade(&workspace().join("fixtures").join(fixture), &[&args[..], &["--exercise", "exercise-5"]].concat());
    let text = source(fixture, "exercise-5");
    check(
        &card,
        "exercise-5",
        "self_transfer_is_same_account",
        &text,
        &lines_with(&text, "high_account.lock()"),
        "blocked on a lock",
    );
    let hang = &test_card(&card, "exercise-5", "self_transfer_is_same_account")["hang"];
    assert!(hang["threads"][0]["call"].as_str().unwrap().starts_with("transfer(0, 0"), "{hang:#}");

    // Lost wake-ups: producers and consumers asleep in Condvar::wait.
    let fixture = "exercise-2-one-condvar-notify-one";
    let card = grade(&workspace().join("fixtures").join(fixture), &[&args[..], &["--exercise", "exercise-2"]].concat());
    let text = source(fixture, "exercise-2");
    let waits = lines_with(&text, ".wait(state)");
    let joins = lines_with(&text, ".join()");
    for test in ["parallel_sum_adds_every_number_exactly_once", "len_never_exceeds_capacity"] {
        if test_card(&card, "exercise-2", test)["hang"].is_null() {
            // A lost wake-up is a race: no run of this grading may have hung
            // (the test can still fail, by the controlled lane's verdict).
            eprintln!("{test}: no run hung this time; its diagnosis is not checked");
            continue;
        }
        // Threads asleep in Condvar::wait, or (seen once in CI, when the
        // sleepers' frames were not unwound) parallel_sum's own thread
        // waiting at its join of them: both are the student's lines.
        check_any(
            &card,
            "exercise-2",
            test,
            &text,
            &[(&waits, "waiting on a condition variable"), (&joins, "waiting for a thread to finish")],
        );
    }

    // An endless loop at the time limit (no watchdog): diagnosed before the kill.
    let fixture = "broken-hangs";
    let mut command = common::grader();
    command.arg("grade").arg(workspace().join("fixtures").join(fixture)).args(["--output", "-"]).args(args).args([
        "--exercise",
        "exercise-1",
        "--timeout",
        "3",
    ]);
    // Timeouts on a loaded machine make the grading an infrastructure error
    // (status 2); its scorecard still holds the runs and their diagnoses.
    let output = command.output().unwrap();
    assert!(matches!(output.status.code(), Some(0 | 2)), "{}", String::from_utf8_lossy(&output.stderr));
    let card: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    common::check_schema(&card);
    let text = source(fixture, "exercise-1");
    check(&card, "exercise-1", "deposit_adds_to_the_balance", &text, &lines_with(&text, "thread::sleep("), "sleeping");
    // Once per test per grading, and only on a hang: a timed-out test has one.
    // (The controlled lane's test fails rather than hangs: its scheduler sees
    // Account::new never return.)
    for test in exercise(&card, "exercise-1")["tests"].as_array().unwrap().iter().filter(|t| t["lane"] != "controlled")
    {
        assert_eq!(test["status"], "timed_out");
        assert!(test["hang"].is_object(), "{test:#}");
    }
}

/// A folder for every `PATH` entry that holds gdb: links to everything in it
/// but gdb, so the grader (and the compiler) still find their tools.
fn path_without_gdb(scratch: &Path) -> std::ffi::OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .enumerate()
        .map(|(index, dir)| {
            if !dir.join("gdb").exists() {
                return dir;
            }
            let shadow = scratch.join(format!("bin{index}"));
            std::fs::create_dir_all(&shadow).unwrap();
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                if entry.file_name() != "gdb" {
                    let _ = std::os::unix::fs::symlink(entry.path(), shadow.join(entry.file_name()));
                }
            }
            shadow
        })
        .collect();
    std::env::join_paths(dirs).unwrap()
}

#[test]
fn without_a_debugger_the_diagnosis_falls_back_to_proc_and_says_so() {
    let _serial = serial();
    let scratch = tempfile::tempdir().unwrap();
    let fixture = workspace().join("fixtures/exercise-5-self-transfer-locks-twice");
    let mut command = common::grader();
    command.env("PATH", path_without_gdb(scratch.path())).arg("grade").arg(&fixture).args([
        "--output",
        "-",
        "--repeat",
        "1",
        "--jobs",
        "4",
        "--quiet",
        "--exercise",
        "exercise-5",
    ]);
    let output = common::run(&mut command, 0);
    let card: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    common::check_schema(&card);
    let hang = &test_card(&card, "exercise-5", "self_transfer_is_same_account")["hang"];
    assert_eq!(hang["mechanism"], "proc", "{hang:#}");
    assert!(hang["note"].as_str().unwrap().contains("gdb is not on PATH"), "{hang:#}");
    // Still the thread, its call (the test's label) and its futex wait.
    let thread = hang["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["call"].as_str().is_some_and(|c| c.starts_with("transfer(0, 0")))
        .unwrap_or_else(|| panic!("the stuck call is not named:\n{hang:#}"));
    assert!(thread["state"].as_str().unwrap().contains("futex"), "{hang:#}");
    assert!(thread["frames"].as_array().unwrap().is_empty());
}
