//! Gradescope's autograder `results.json`, for `grader gradescope`'s
//! `run_autograder` and `grade --format gradescope`.
//!
//! The fields are those of Gradescope's autograder specification
//! (`docs/specs.md` of gradescope/autograder_samples and its current
//! version at gradescope-autograders.readthedocs.io): top level `score`,
//! `execution_time`, `output`, `output_format`, `test_output_format`,
//! `test_name_format`, `visibility`, `stdout_visibility`, `extra_data` and
//! `tests`; per test `score`, `max_score`, `status`, `name`, `number`,
//! `output`, `tags`, `visibility` and `extra_data`. There is no top-level
//! `max_score` in the specification: Gradescope adds up the tests'.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::report::entry::{Entry, all_entries, exercise_number};
use crate::report::markdown;
use crate::scorecard::{ExerciseStatus, Scorecard, TestStatus, Visibility};

/// Gradescope's `results.json` for `card`.
///
/// - `output` is the Markdown report (`output_format: "md"`), of the
///   visible tests only: Gradescope shows the top-level output to students
///   whatever the tests' visibility, so a hidden test's name, result or
///   points must not be in it (Gradescope itself hides the total score
///   while any test is hidden).
/// - Each test's `output` stays plain text (`test_output_format: "text"`):
///   a test's message is verbatim panic output, which Markdown would garble.
/// - `number` is "exercise.test" (`2.3`: exercise 2's third test), `tags`
///   the exercise, the group and the lane, and `visibility` the group's
///   (from the exercise's metadata; `visible` by default).
/// - `extra_data` holds for each test its pass rate, runs, failing seed,
///   replay command and run times, and for the whole grading the grader's
///   version, the phases' times and what could make it untrustworthy.
pub fn results_json(card: &Scorecard) -> Value {
    let mut numbers = Numbering::default();
    let tests: Vec<Value> = all_entries(card)
        .iter()
        .map(|entry| {
            let mut test = json!({
                "score": entry.score(),
                "max_score": entry.max_score(),
                "status": if entry.passed() { "passed" } else { "failed" },
                "name": entry.full_name(),
                "number": numbers.next(entry),
                "output": entry.detail(),
                "tags": tags(entry),
                "visibility": visibility(entry).as_str(),
            });
            if let Entry::Test(_, card) = entry {
                let pass_rate = if card.runs == 0 { 0.0 } else { f64::from(card.passed_runs) / f64::from(card.runs) };
                test["extra_data"] = json!({
                    "status": card.status.as_str(),
                    "runs": card.runs,
                    "passed_runs": card.passed_runs,
                    "pass_rate": (pass_rate * 1000.0).round() / 1000.0,
                    "failing_seed": card.failing_seed,
                    "replay": card.replay,
                    "max_run_secs": card.max_run_secs,
                    "total_run_secs": card.total_run_secs,
                });
            }
            test
        })
        .collect();
    json!({
        "score": card.score,
        // The specification's example is a whole number of seconds; a NaN
        // or negative duration becomes 0 (`as` saturates).
        "execution_time": card.duration_secs.round() as u64,
        "output": visible_report(card),
        "output_format": "md",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        // The grader's stdout and stderr (progress, compiler output) are for
        // instructors debugging the autograder.
        "stdout_visibility": "hidden",
        "extra_data": {
            "grader_version": card.grader_version,
            "submission": card.submission,
            "duration_secs": card.duration_secs,
            "build_secs": card.phases.build_secs,
            "run_secs": card.phases.run_secs,
            "runs": card.phases.runs,
            "infrastructure_error": card.infrastructure_error,
            "tampered_files": card.tampered_files,
            "review_flags": card.review_flags.len(),
        },
        "tests": tests,
    })
}

/// Who sees an entry: its test's group's visibility; an exercise that did
/// not build or was not submitted is always shown (the student must learn
/// that nothing of it could be graded).
fn visibility(entry: &Entry) -> Visibility {
    match entry {
        Entry::Test(_, test) => test.visibility.unwrap_or(Visibility::Visible),
        Entry::Exercise(_) => Visibility::Visible,
    }
}

/// The exercise, the group and the lane (`stress`, `controlled` or `plain`,
/// from the test card) of an entry.
fn tags(entry: &Entry) -> Vec<String> {
    let mut tags = vec![entry.exercise().id.clone()];
    if let Entry::Test(_, test) = entry {
        tags.push(format!("group: {}", test.group));
        tags.push(format!("lane: {}", test.lane.as_str()));
    }
    tags
}

/// Gradescope's test `number`s: "E.T", the exercise's number (from its id,
/// or its place in the scorecard) and the test's place in it.
#[derive(Default)]
struct Numbering {
    exercise: Option<String>,
    exercises: u64,
    test: u64,
}

impl Numbering {
    fn next(&mut self, entry: &Entry) -> String {
        let id = &entry.exercise().id;
        if self.exercise.as_ref() != Some(id) {
            self.exercise = Some(id.clone());
            self.exercises += 1;
            self.test = 0;
        }
        self.test += 1;
        format!("{}.{}", exercise_number(id).unwrap_or(self.exercises), self.test)
    }
}

/// The Markdown report of the tests students may always see, with a line
/// saying how many are shown later or not at all. Exercise scores and the
/// total are those of the visible tests, so they reveal nothing either.
fn visible_report(card: &Scorecard) -> String {
    let mut shown = card.clone();
    let mut held_back = 0;
    for exercise in &mut shown.exercises {
        let before = exercise.tests.len();
        exercise.tests.retain(|t| t.visibility.unwrap_or(Visibility::Visible) == Visibility::Visible);
        held_back += before - exercise.tests.len();
        if before != exercise.tests.len() {
            exercise.score = exercise.tests.iter().map(|t| t.points).sum::<f64>() + 0.0;
            exercise.max_score = exercise.tests.iter().map(|t| t.max_points).sum::<f64>() + 0.0;
            if matches!(exercise.status, ExerciseStatus::Passed | ExerciseStatus::Failed) {
                let all = exercise.tests.iter().all(|t| t.status == TestStatus::Passed);
                exercise.status = if all { ExerciseStatus::Passed } else { ExerciseStatus::Failed };
            }
        }
    }
    if held_back == 0 {
        return markdown::to_string(card);
    }
    shown.score = shown.exercises.iter().map(|e| e.score).sum::<f64>() + 0.0;
    shown.max_score = shown.exercises.iter().map(|e| e.max_score).sum::<f64>() + 0.0;
    let mut text = markdown::to_string(&shown);
    let _ = write!(
        text,
        "\n_{held_back} more test{} count toward the grade; their results are shown below when your \
         instructor makes them visible._\n",
        if held_back == 1 { "" } else { "s" }
    );
    text
}
