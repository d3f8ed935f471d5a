//! JUnit XML, for the test-report widgets of CI services (GitHub's, GitLab's,
//! Jenkins'), written with `quick-junit`, cargo-nextest's own JUnit crate,
//! so that the elements and their order are the ones nextest's reports have.
//!
//! One `<testsuite>` per exercise, one `<testcase>` per test (or one for an
//! exercise that did not build or was not submitted), and a `grader` suite
//! for what concerns the whole grading (an infrastructure error, tampered
//! files). A test's `time` is all its runs added up. A test whose runs
//! disagreed (`flaky`) is a `<failure>`, as it earned nothing, followed by a
//! `<flakyFailure>` for each failing run, and a test that failed every run
//! a `<failure>` with a `<rerunFailure>` for each failing run after the
//! first: nextest's names for "some runs passed" and "the reruns failed
//! too", each with the run's own message, seed and time.

use std::time::Duration;

use quick_junit::{FlakyOrRerun, NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use crate::report::entry::{Entry, entries};
use crate::report::human::points;
use crate::scorecard::{ExerciseStatus, FailedRun, Scorecard, TestCard, TestStatus};

/// The JUnit XML of `card`.
pub fn to_string(card: &Scorecard) -> String {
    let mut report = Report::new("grader");
    report.set_time(seconds(card.duration_secs));
    for exercise in &card.exercises {
        let mut suite = TestSuite::new(clean(&exercise.id));
        suite.add_properties([
            Property::new("title", clean(&exercise.title)),
            Property::new("status", exercise.status.as_str()),
            Property::new("score", points(exercise.score)),
            Property::new("max_score", points(exercise.max_score)),
        ]);
        let cases: Vec<TestCase> = entries(exercise).iter().map(case).collect();
        suite.set_time(seconds(exercise.tests.iter().map(|t| t.total_run_secs).sum()));
        suite.add_test_cases(cases);
        report.add_test_suite(suite);
    }
    // What concerns the whole grading gets a suite of its own, so that a CI
    // widget shows it as an error or a failure rather than hiding it.
    let mut grader = TestSuite::new("grader");
    grader.set_time(Duration::ZERO);
    if let Some(reason) = &card.infrastructure_error {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        problem(&mut status, "infrastructure_error", &format!("{reason}; these scores are not a grade"));
        let mut case = TestCase::new("infrastructure", status);
        case.set_classname("grader").set_time(Duration::ZERO);
        grader.add_test_case(case);
    }
    if let Some(files) = card.tampered_files.as_ref().filter(|f| !f.is_empty()) {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let message = format!("grading files differ from grading-manifest.json: {}", files.join(", "));
        problem(&mut status, "tampered", &message);
        let mut case = TestCase::new("grading_files_match_manifest", status);
        case.set_classname("grader").set_time(Duration::ZERO);
        grader.add_test_case(case);
    }
    if !grader.test_cases.is_empty() {
        report.add_test_suite(grader);
    }
    let mut text = report.to_string().expect("a report of valid strings always serializes");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The `<testcase>` of one entry.
fn case(entry: &Entry) -> TestCase {
    let status = match entry {
        Entry::Test(_, test) => test_status(entry, test),
        Entry::Exercise(exercise) if exercise.status == ExerciseStatus::Missing => skipped(&entry.detail()),
        Entry::Exercise(_) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            problem(&mut status, entry.status_word(), &entry.detail());
            status
        }
    };
    let mut case = TestCase::new(clean(entry.short_name()), status);
    case.set_classname(clean(&entry.exercise().id));
    let time = match entry {
        Entry::Test(_, test) => test.total_run_secs,
        Entry::Exercise(_) => 0.0,
    };
    case.set_time(seconds(time));
    case
}

fn test_status(entry: &Entry, test: &TestCard) -> TestCaseStatus {
    match test.status {
        TestStatus::Passed => TestCaseStatus::success(),
        TestStatus::NotRun => skipped(&entry.detail()),
        TestStatus::Flaky => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            problem(&mut status, test.status.as_str(), &entry.detail());
            status.add_reruns(test.failed_runs.iter().map(rerun));
            status.set_rerun_kind(FlakyOrRerun::Flaky);
            status
        }
        TestStatus::Failed | TestStatus::TimedOut => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            problem(&mut status, test.status.as_str(), &entry.detail());
            // The first failing run is the <failure> itself.
            status.add_reruns(test.failed_runs.iter().skip(1).map(rerun));
            status.set_rerun_kind(FlakyOrRerun::Rerun);
            status
        }
    }
}

/// One failing run, as a `<flakyFailure>` or `<rerunFailure>`: its first
/// line, run and seed as the title, its whole message as the text.
fn rerun(run: &FailedRun) -> TestRerun {
    let mut rerun = TestRerun::new(NonSuccessKind::Failure);
    let first_line = run.message.lines().next().unwrap_or_default();
    rerun.set_message(clean(&format!("run {} (STRESS_SEED={}): {first_line}", run.run + 1, run.seed)));
    rerun.set_type(clean(&run.outcome));
    rerun.set_time(seconds(run.secs));
    rerun.set_description(clean(&run.message));
    rerun
}

fn skipped(message: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::skipped();
    status.set_message(clean(message.lines().next().unwrap_or_default()));
    status.set_description(clean(message));
    status
}

/// Sets a `<failure>` or `<error>`'s `message` (its first line: what report
/// widgets show as the title), `type`, and the whole message as its text.
fn problem(status: &mut TestCaseStatus, kind: &str, message: &str) {
    status.set_message(clean(message.lines().next().unwrap_or_default()));
    status.set_type(clean(kind));
    status.set_description(clean(message));
}

/// A duration from seconds; a negative, NaN or infinite value is 0 (the
/// schema's time is a plain non-negative decimal).
fn seconds(secs: f64) -> Duration {
    if secs.is_finite() && secs > 0.0 { Duration::from_secs_f64(secs) } else { Duration::ZERO }
}

/// Text XML 1.0 can carry. `quick-junit` removes ANSI escapes and most C0
/// control characters; the other characters XML forbids (U+FFFE, lone
/// surrogates cannot occur in a `str`) become U+FFFD here, so that one
/// stray byte in a test's output cannot make the whole report unreadable.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            // quick-junit removes the C0 controls XML forbids.
            '\u{0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'.. => c,
            _ => '\u{FFFD}',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_never_negative_or_nan() {
        assert_eq!(seconds(1.5), Duration::from_millis(1500));
        for bad in [f64::NAN, -1.0, f64::INFINITY] {
            assert_eq!(seconds(bad), Duration::ZERO);
        }
    }

    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        assert_eq!(clean("a\u{FFFE}b\u{FFFF}c\u{10000}"), "a\u{FFFD}b\u{FFFD}c\u{10000}");
        assert_eq!(clean("tab\tline\n"), "tab\tline\n");
    }
}
