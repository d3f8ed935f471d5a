//! The command line's contract: bad invocations exit 2 with a one-line
//! error that says what to do; nothing is graded.

mod common;

use common::{grader, run};
use predicates::prelude::*;

fn usage_error(args: &[&str], says: &str) {
    let output = run(grader().args(args), 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(says), "stderr should say {says:?}:\n{stderr}");
    assert!(output.stdout.is_empty(), "nothing goes to stdout on an error");
}

#[test]
fn a_submission_that_does_not_exist_is_a_usage_error() {
    usage_error(&["grade", "no/such/folder"], "no/such/folder does not exist");
    grader().args(["grade", "no/such/folder"]).assert().code(2).stderr(predicate::str::contains("\n").count(1));
}

#[test]
fn an_unknown_exercise_is_a_usage_error_listing_the_known_ones() {
    usage_error(
        &["grade", "--exercise", "exercise-99"],
        "unknown exercise `exercise-99`; this workspace has: exercise-1",
    );
}

#[test]
fn repeat_zero_is_a_usage_error() {
    usage_error(&["grade", "--repeat", "0"], "--repeat must be at least 1");
}

#[test]
fn jobs_zero_and_bad_timeouts_are_usage_errors() {
    usage_error(&["grade", "--jobs", "0"], "--jobs must be at least 1");
    usage_error(&["grade", "--timeout", "0"], "--timeout must be a positive number");
}

#[test]
fn unknown_flags_and_commands_are_usage_errors() {
    grader().args(["grade", "--frobnicate"]).assert().code(2).stderr(predicate::str::contains("--frobnicate"));
    grader().arg("regrade").assert().code(2);
}

#[test]
fn a_batch_folder_that_does_not_exist_is_a_usage_error() {
    usage_error(&["batch", "no/such/class", "--output-dir", "out"], "no/such/class does not exist");
}

#[test]
fn a_folder_that_is_not_a_workspace_is_a_grader_error() {
    let empty = tempfile::tempdir().unwrap();
    usage_error(&["--workspace", empty.path().to_str().unwrap(), "grade"], "could not read the workspace");
}

#[test]
fn help_lists_the_commands() {
    grader()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("grade").and(predicate::str::contains("batch")));
}

#[test]
fn the_committed_grading_manifest_is_current() {
    // Course authors regenerate it with `cargo run -p grader -- manifest`
    // after changing tests; a stale one would mark every student tampered.
    grader().args(["manifest", "--check"]).assert().success();
}
