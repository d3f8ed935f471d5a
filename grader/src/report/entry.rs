//! What every export format shows: one entry per test, or one per exercise
//! that has no tests to show (it did not build, or was not submitted).
//!
//! A scorecard lists tests per exercise, but an exercise that did not build
//! or was not submitted has no tests. Every format still shows it, as one
//! entry of its own ("exercise-2: build", "exercise-4: submission") worth
//! the exercise's points, so that the points a consumer adds up match the
//! scorecard's `max_score`. The consumers' modules (gradescope, junit,
//! markdown, classroom, classroom50, exercism) all read the scorecard
//! through this one model, so they agree on names and details.

use std::fmt::Write as _;

use crate::scorecard::{ExerciseCard, ExerciseStatus, Scorecard, TestCard, TestStatus, Visibility};

/// One line of a test report.
pub(crate) enum Entry<'a> {
    /// A test that was planned (it may still not have run).
    Test(&'a ExerciseCard, &'a TestCard),
    /// An exercise without tests to show: it did not build, or was not
    /// submitted.
    Exercise(&'a ExerciseCard),
}

/// The entries of one exercise, in the scorecard's order (Exercism asks for
/// the order of the tests file, which is the order the grader lists).
pub(crate) fn entries(exercise: &ExerciseCard) -> Vec<Entry<'_>> {
    match exercise.status {
        ExerciseStatus::BuildFailed | ExerciseStatus::Missing => vec![Entry::Exercise(exercise)],
        ExerciseStatus::Passed | ExerciseStatus::Failed => {
            exercise.tests.iter().map(|test| Entry::Test(exercise, test)).collect()
        }
    }
}

pub(crate) fn all_entries(card: &Scorecard) -> Vec<Entry<'_>> {
    card.exercises.iter().flat_map(entries).collect()
}

/// The short name of an unbuilt exercise's entry: what went wrong with it.
fn exercise_entry_name(exercise: &ExerciseCard) -> &'static str {
    match exercise.status {
        ExerciseStatus::Missing => "submission",
        _ => "build",
    }
}

impl Entry<'_> {
    pub(crate) fn exercise(&self) -> &ExerciseCard {
        match self {
            Entry::Test(exercise, _) | Entry::Exercise(exercise) => exercise,
        }
    }

    /// The test's name within its exercise.
    pub(crate) fn short_name(&self) -> &str {
        match self {
            Entry::Test(_, test) => &test.name,
            Entry::Exercise(exercise) => exercise_entry_name(exercise),
        }
    }

    /// "exercise-1: two_withdrawals_never_both_succeed": unique across the
    /// scorecard, for formats with one flat list of tests.
    pub(crate) fn full_name(&self) -> String {
        format!("{}: {}", self.exercise().id, self.short_name())
    }

    pub(crate) fn passed(&self) -> bool {
        matches!(self, Entry::Test(_, test) if test.status == TestStatus::Passed)
    }

    /// Whether a test process ran at all for this entry.
    pub(crate) fn ran(&self) -> bool {
        matches!(self, Entry::Test(_, test) if test.status != TestStatus::NotRun)
    }

    pub(crate) fn score(&self) -> f64 {
        match self {
            Entry::Test(_, test) => test.points,
            Entry::Exercise(exercise) => exercise.score,
        }
    }

    pub(crate) fn max_score(&self) -> f64 {
        match self {
            Entry::Test(_, test) => test.max_points,
            Entry::Exercise(exercise) => exercise.max_score,
        }
    }

    /// The scorecard's status word for this entry.
    pub(crate) fn status_word(&self) -> &'static str {
        match self {
            Entry::Test(_, test) => test.status.as_str(),
            Entry::Exercise(exercise) => exercise.status.as_str(),
        }
    }

    /// What a student reads about this entry: the outcome, the first
    /// failure, and the command that replays it.
    pub(crate) fn detail(&self) -> String {
        match self {
            Entry::Test(_, test) if test.status == TestStatus::Passed => match test.decided_by {
                // A test the other lane decided (a stress test on one CPU) has no runs of its own.
                Some(lane) if lane != test.lane => format!("passed: decided by the {} lane", lane.as_str()),
                _ => format!("passed all {} runs", test.runs),
            },
            Entry::Test(_, test) => {
                let mut text = format!("{}: ", test.status.as_str());
                text.push_str(test.message.as_deref().unwrap_or("no message"));
                if let Some(hang) = &test.hang {
                    let _ = write!(text, "\n\n{}", super::hang::text(hang));
                }
                if let Some(counterexample) = &test.counterexample {
                    let _ = write!(text, "\n\n{}", super::counterexample::text(counterexample));
                } else if let Some(replay) = &test.replay {
                    let _ = write!(text, "\n\nreplay: {replay}");
                }
                text
            }
            Entry::Exercise(exercise) => {
                format!("{}: {}", exercise.status.as_str(), exercise.message.as_deref().unwrap_or("no message"))
            }
        }
    }

    /// The failure alone, without a status prefix; `None` for a pass.
    pub(crate) fn failure(&self) -> Option<String> {
        (!self.passed()).then(|| self.detail())
    }
}

/// The exercise number of an id such as `exercise-3`, if it has one.
pub(crate) fn exercise_number(id: &str) -> Option<u64> {
    id.rsplit('-').next().and_then(|n| n.parse().ok())
}

/// Lines about the whole grading that are not any test's: an
/// infrastructure error and tampered grading files.
pub(crate) fn notices(card: &Scorecard) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(reason) = &card.infrastructure_error {
        lines.push(format!("infrastructure error: {reason}; these scores are not a grade"));
    }
    if let Some(files) = card.tampered_files.as_ref().filter(|f| !f.is_empty()) {
        lines.push(format!("tampered: grading files differ from grading-manifest.json: {}", files.join(", ")));
    }
    lines
}

/// "pass", "fail" or "error", in the sense both Classroom and Exercism
/// give them: "error" when no test could run (nothing built) or the
/// grading itself cannot be trusted.
pub(crate) fn overall_status(card: &Scorecard, entries: &[Entry]) -> &'static str {
    if card.infrastructure_error.is_some() || !entries.iter().any(Entry::ran) {
        "error"
    } else if entries.iter().all(Entry::passed) {
        "pass"
    } else {
        "fail"
    }
}

/// Whether students may always see this test's name, result and message:
/// its group's visibility is `visible` (the default).
pub(crate) fn always_shown(test: &TestCard) -> bool {
    test.visibility.unwrap_or(Visibility::Visible) == Visibility::Visible
}

/// The tests of `exercise` that are not [`always_shown`] (hidden, or shown
/// only after the due date or publication, as grading-only tests are),
/// grouped by their group in the order the groups first appear: the
/// student-facing reports show each such group as one line, without test
/// names or messages.
pub(crate) fn held_back_groups(exercise: &ExerciseCard) -> Vec<(&str, Vec<&TestCard>)> {
    let mut groups: Vec<(&str, Vec<&TestCard>)> = Vec::new();
    for test in exercise.tests.iter().filter(|t| !always_shown(t)) {
        match groups.iter_mut().find(|(name, _)| *name == test.group) {
            Some((_, tests)) => tests.push(test),
            None => groups.push((&test.group, vec![test])),
        }
    }
    groups
}

/// How a held-back group is named in a report: `Stress (3 held-back tests)`.
pub(crate) fn held_back_name(group: &str, tests: usize) -> String {
    format!("{group} ({tests} held-back test{})", if tests == 1 { "" } else { "s" })
}

/// One line of a flat list of results that students read (Exercism's
/// `results.json`, GitHub Classroom's legacy result): a shown entry, or a
/// held-back group folded into one line that has its result and points but
/// no test name and no message.
pub(crate) struct StudentLine<'a> {
    pub exercise: &'a ExerciseCard,
    /// "exercise-1: two_withdrawals_never_both_succeed", or
    /// "exercise-1: Stress (3 held-back tests)".
    pub name: String,
    /// "pass", "fail", or "error" when nothing of it ran.
    pub status: &'static str,
    pub score: f64,
    /// What a student reads about it ([`Entry::detail`] for a shown entry).
    pub detail: String,
}

impl StudentLine<'_> {
    /// The detail of a line that did not pass; `None` for a pass.
    pub(crate) fn failure(&self) -> Option<&str> {
        (self.status != "pass").then_some(self.detail.as_str())
    }
}

/// The lines of a flat student-facing list: every entry students may read,
/// in the scorecard's order, and after each exercise's shown tests one
/// line per held-back group.
pub(crate) fn student_lines(card: &Scorecard) -> Vec<StudentLine<'_>> {
    let mut lines = Vec::new();
    for exercise in &card.exercises {
        for entry in entries(exercise) {
            if let Entry::Test(_, test) = entry
                && !always_shown(test)
            {
                continue;
            }
            let status = match entry {
                Entry::Test(_, test) if test.status == TestStatus::Passed => "pass",
                Entry::Test(_, test) if test.status != TestStatus::NotRun => "fail",
                _ => "error",
            };
            lines.push(StudentLine {
                exercise,
                name: entry.full_name(),
                status,
                score: entry.score(),
                detail: entry.detail(),
            });
        }
        if !matches!(exercise.status, ExerciseStatus::Passed | ExerciseStatus::Failed) {
            continue;
        }
        for (group, tests) in held_back_groups(exercise) {
            let (status, detail) = if tests.iter().all(|t| t.status == TestStatus::Passed) {
                ("pass", "passed".to_string())
            } else if tests.iter().all(|t| t.status == TestStatus::NotRun) {
                ("error", "not run".to_string())
            } else {
                ("fail", "failed".to_string())
            };
            lines.push(StudentLine {
                exercise,
                name: format!("{}: {}", exercise.id, held_back_name(group, tests.len())),
                status,
                score: tests.iter().map(|t| t.points).sum::<f64>() + 0.0,
                detail: format!(
                    "{detail}: the names and messages of these tests are held back until your instructor \
                     releases them"
                ),
            });
        }
    }
    lines
}
