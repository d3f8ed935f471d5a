//! Scoring: a pure function from the grading plan and the run records to
//! the exercises' scorecards. No I/O, no clock, no randomness: the same
//! records always give the same scores.

use crate::run::{ROUNDS_ENV, RunOutcome, RunRecord, SEED_ENV};
use crate::scorecard::{ExerciseCard, ExerciseStatus, TestCard, TestStatus};

/// What the grader set out to do for one exercise.
#[derive(Debug, Clone, PartialEq)]
pub struct ExercisePlan {
    pub id: String,
    pub title: String,
    pub max_score: f64,
    pub state: PlanState,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlanState {
    /// No `src/` in the submission (the reason in words).
    Missing(String),
    /// Did not build, or its tests could not be listed (the reason).
    BuildFailed(String),
    /// Built; these tests were run.
    Ready(Vec<PlannedTest>),
}

/// A test and what it is worth.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTest {
    pub name: String,
    pub target: String,
    pub group: String,
    pub max_points: f64,
    pub stress: bool,
    /// `STRESS_ROUNDS` the grader set, if any, for the replay command.
    pub rounds: Option<u64>,
}

/// Scores every planned exercise from `records`.
pub fn score(plans: &[ExercisePlan], records: &[RunRecord]) -> Vec<ExerciseCard> {
    plans.iter().map(|plan| score_exercise(plan, records)).collect()
}

fn score_exercise(plan: &ExercisePlan, records: &[RunRecord]) -> ExerciseCard {
    let (status, message, tests) = match &plan.state {
        PlanState::Missing(reason) => (ExerciseStatus::Missing, Some(reason.clone()), Vec::new()),
        PlanState::BuildFailed(reason) => (ExerciseStatus::BuildFailed, Some(reason.clone()), Vec::new()),
        PlanState::Ready(tests) => {
            let cards: Vec<TestCard> = tests
                .iter()
                .map(|test| {
                    let runs: Vec<&RunRecord> =
                        records.iter().filter(|r| r.exercise == plan.id && r.test == test.name).collect();
                    score_test(&plan.id, test, &runs)
                })
                .collect();
            let all_passed = cards.iter().all(|c| c.status == TestStatus::Passed);
            (if all_passed { ExerciseStatus::Passed } else { ExerciseStatus::Failed }, None, cards)
        }
    };
    let score = round2(tests.iter().map(|t| t.points).sum());
    ExerciseCard {
        id: plan.id.clone(),
        title: plan.title.clone(),
        score,
        max_score: plan.max_score,
        status,
        message,
        tests,
    }
}

/// A test earns its points only when every run passed.
fn score_test(exercise: &str, test: &PlannedTest, runs: &[&RunRecord]) -> TestCard {
    let total = runs.len() as u32;
    let passed = runs.iter().filter(|r| r.outcome == RunOutcome::Passed).count() as u32;
    let first_timeout = runs.iter().find(|r| r.outcome == RunOutcome::TimedOut);
    let first_failure = runs.iter().find(|r| r.outcome != RunOutcome::Passed);
    let status = if total == 0 {
        TestStatus::NotRun
    } else if first_timeout.is_some() {
        TestStatus::TimedOut
    } else if passed == total {
        TestStatus::Passed
    } else if passed == 0 {
        TestStatus::Failed
    } else {
        TestStatus::Flaky
    };
    let reported = first_timeout.or(first_failure);
    let message = match status {
        TestStatus::Passed => None,
        TestStatus::NotRun => Some("the test was not run".to_string()),
        _ => {
            let detail = reported.and_then(|r| r.message.clone()).unwrap_or_default();
            if passed > 0 || (status == TestStatus::TimedOut && total > 1) {
                Some(format!("passed {passed} of {total} runs; a failing run: {detail}"))
            } else {
                Some(detail)
            }
        }
    };
    // Only a stress test draws its inputs from the seed; the others replay
    // with the plain command.
    let failing_seed = reported.filter(|_| test.stress).map(|r| r.seed);
    let replay = reported.map(|_| {
        let seed = failing_seed.map(|seed| format!("{SEED_ENV}={seed} ")).unwrap_or_default();
        let rounds = test.rounds.filter(|_| test.stress).map(|r| format!("{ROUNDS_ENV}={r} ")).unwrap_or_default();
        format!("{seed}{rounds}cargo test -p {exercise} --test {} -- {} --exact", test.target, test.name)
    });
    TestCard {
        name: test.name.clone(),
        status,
        runs: total,
        passed_runs: passed,
        points: if status == TestStatus::Passed { test.max_points } else { 0.0 },
        max_points: test.max_points,
        message,
        target: test.target.clone(),
        group: test.group.clone(),
        stress: test.stress,
        failing_seed,
        replay,
        max_run_secs: round2(runs.iter().map(|r| r.duration.as_secs_f64()).fold(0.0, f64::max)),
        // The reported run's diagnosis, else the first one taken (a test is
        // diagnosed once per grading, maybe in another failing run).
        hang: reported.and_then(|r| r.hang.clone()).or_else(|| runs.iter().find_map(|r| r.hang.clone())),
    }
}

/// Rounds to hundredths, so that points shared three ways add up to the
/// group's points in the scorecard.
pub fn round2(value: f64) -> f64 {
    // Adding 0.0 turns the -0.0 of an empty sum into 0.
    (value * 100.0).round() / 100.0 + 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn planned(name: &str, points: f64) -> PlannedTest {
        PlannedTest {
            name: name.into(),
            target: "stress".into(),
            group: "Stress".into(),
            max_points: points,
            stress: true,
            rounds: None,
        }
    }

    fn record(test: &str, run: u32, outcome: RunOutcome) -> RunRecord {
        RunRecord {
            exercise: "exercise-1".into(),
            test: test.into(),
            run,
            outcome,
            message: (outcome != RunOutcome::Passed).then(|| format!("{test} broke")),
            seed: 40 + u64::from(run),
            duration: Duration::from_millis(3),
            hang: None,
        }
    }

    fn plan(tests: Vec<PlannedTest>) -> ExercisePlan {
        ExercisePlan { id: "exercise-1".into(), title: "Race".into(), max_score: 20.0, state: PlanState::Ready(tests) }
    }

    #[test]
    fn points_only_when_every_run_passed() {
        use RunOutcome::*;
        let plans = [plan(vec![planned("a", 20.0 / 3.0), planned("b", 20.0 / 3.0), planned("c", 20.0 / 3.0)])];
        let records = [
            record("a", 0, Passed),
            record("a", 1, Passed),
            record("b", 0, Passed),
            record("b", 1, Failed),
            record("c", 0, Failed),
            record("c", 1, TimedOut),
        ];
        let card = &score(&plans, &records)[0];
        assert_eq!(card.status, ExerciseStatus::Failed);
        assert_eq!(card.score, 6.67);
        let statuses: Vec<TestStatus> = card.tests.iter().map(|t| t.status).collect();
        assert_eq!(statuses, [TestStatus::Passed, TestStatus::Flaky, TestStatus::TimedOut]);
        let flaky = &card.tests[1];
        assert_eq!((flaky.runs, flaky.passed_runs, flaky.points), (2, 1, 0.0));
        assert_eq!(flaky.failing_seed, Some(41));
        assert!(flaky.message.as_deref().unwrap().starts_with("passed 1 of 2 runs; a failing run: b broke"));
        assert_eq!(flaky.replay.as_deref(), Some("STRESS_SEED=41 cargo test -p exercise-1 --test stress -- b --exact"));
        assert_eq!(card.tests[2].failing_seed, Some(41), "the timeout is reported over the earlier failure");
    }

    #[test]
    fn all_passed_gives_the_full_score_exactly() {
        let plans = [plan((0..3).map(|i| planned(&format!("t{i}"), 20.0 / 3.0)).collect())];
        let records: Vec<RunRecord> = (0..3).map(|i| record(&format!("t{i}"), 0, RunOutcome::Passed)).collect();
        let card = &score(&plans, &records)[0];
        assert_eq!(card.status, ExerciseStatus::Passed);
        assert_eq!(card.score, 20.0);
        assert!(card.tests.iter().all(|t| t.message.is_none() && t.replay.is_none()));
    }

    #[test]
    fn missing_and_unbuilt_exercises_score_zero_with_their_reason() {
        let mut missing = plan(vec![]);
        missing.state = PlanState::Missing("no src".into());
        let mut broken = plan(vec![]);
        broken.state = PlanState::BuildFailed("does not compile".into());
        let cards = score(&[missing, broken], &[]);
        assert_eq!((cards[0].status, cards[0].score), (ExerciseStatus::Missing, 0.0));
        assert_eq!(cards[1].status, ExerciseStatus::BuildFailed);
        assert_eq!(cards[1].message.as_deref(), Some("does not compile"));
    }

    #[test]
    fn a_test_without_runs_is_not_run() {
        let card = &score(&[plan(vec![planned("a", 20.0)])], &[])[0];
        assert_eq!(card.tests[0].status, TestStatus::NotRun);
        assert_eq!(card.score, 0.0);
    }
}
