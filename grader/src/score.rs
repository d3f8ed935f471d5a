//! Scoring: a pure function from the grading plan and the run records to
//! the exercises' scorecards. No I/O, no clock, no randomness: the same
//! records always give the same scores.

use crate::plan::{ExercisePlan, PlanState, PlannedTest};
use crate::run::{ROUNDS_ENV, RunOutcome, RunRecord, SEED_ENV};
use crate::scorecard::{
    ExerciseCard, ExerciseStatus, FAILED_RUN_MESSAGE_BYTES, FailedRun, Lane, LaneCard, LaneStatus, MAX_FAILED_RUNS,
    TestCard, TestStatus,
};

/// Scores every planned exercise from `records`.
pub fn score(plans: &[ExercisePlan], records: &[RunRecord]) -> Vec<ExerciseCard> {
    plans.iter().map(|plan| score_exercise(plan, records)).collect()
}

/// Why these cards are not a grade, if they are not: a lane test that no
/// lane could decide (its own could not run, and neither could the
/// exercise's other lane).
pub fn undecided(cards: &[ExerciseCard]) -> Option<String> {
    cards.iter().find_map(|exercise| {
        exercise.tests.iter().find(|t| t.lane != Lane::Plain && t.decided_by.is_none()).map(|test| {
            format!(
                "{} {}: {}",
                exercise.id,
                test.name,
                test.message.as_deref().unwrap_or("no lane could decide this test")
            )
        })
    })
}

fn score_exercise(plan: &ExercisePlan, records: &[RunRecord]) -> ExerciseCard {
    let (status, message, tests, lanes) = match &plan.state {
        PlanState::Missing(reason) => (ExerciseStatus::Missing, Some(reason.clone()), Vec::new(), Vec::new()),
        PlanState::BuildFailed(reason) => (ExerciseStatus::BuildFailed, Some(reason.clone()), Vec::new(), Vec::new()),
        PlanState::Ready(tests) => {
            let own: Vec<TestCard> = tests
                .iter()
                .map(|test| {
                    let runs: Vec<&RunRecord> =
                        records.iter().filter(|r| r.exercise == plan.id && r.test == test.name).collect();
                    score_test(&plan.id, test, &runs)
                })
                .collect();
            let lanes = lane_cards(&own);
            let cards = combine_lanes(own);
            let all_passed = cards.iter().all(|c| c.status == TestStatus::Passed);
            (if all_passed { ExerciseStatus::Passed } else { ExerciseStatus::Failed }, None, cards, lanes)
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
        lanes,
    }
}

/// A lane test whose own lane could not run: not run, and decided by no
/// lane yet (`combine_lanes` may decide it by the other lane).
fn could_not_run(card: &TestCard) -> bool {
    card.lane != Lane::Plain && card.decided_by.is_none()
}

/// A test whose runs found a failure (a test not run found nothing).
fn failed(card: &TestCard) -> bool {
    !matches!(card.status, TestStatus::Passed | TestStatus::NotRun)
}

/// The stress and controlled lanes of an exercise, from its tests' own
/// verdicts: a lane decided when each of its tests ran.
fn lane_cards(own: &[TestCard]) -> Vec<LaneCard> {
    [Lane::Stress, Lane::Controlled]
        .into_iter()
        .filter(|lane| own.iter().any(|t| t.lane == *lane))
        .map(|lane| {
            let mut reasons: Vec<&str> = own
                .iter()
                .filter(|t| t.lane == lane && could_not_run(t))
                .filter_map(|t| t.message.as_deref())
                .collect();
            reasons.dedup();
            if reasons.is_empty() {
                LaneCard { lane, status: LaneStatus::Decided, reason: None }
            } else {
                LaneCard { lane, status: LaneStatus::CouldNotRun, reason: Some(reasons.join("; ")) }
            }
        })
        .collect()
}

/// The rule that combines the lanes (ARCHITECTURE.md, "Lanes"): a test of
/// the stress or the controlled lane earns its points only if its own runs
/// passed and no test of the exercise's other lane failed. A test whose
/// lane could not run is decided by the other lane: it earns its points
/// only if every test of that lane ran and passed, and when that lane could
/// not run either (or the exercise has none), no lane decides it and the
/// grading is not a grade (`undecided`). Plain tests keep their own verdict.
fn combine_lanes(own: Vec<TestCard>) -> Vec<TestCard> {
    let other = |lane: Lane| if lane == Lane::Stress { Lane::Controlled } else { Lane::Stress };
    let first_failure = |lane: Lane| own.iter().find(|t| t.lane == lane && failed(t)).cloned();
    let all_passed = |lane: Lane| {
        own.iter().any(|t| t.lane == lane)
            && own.iter().filter(|t| t.lane == lane).all(|t| t.status == TestStatus::Passed)
    };
    let lane_reason =
        |lane: Lane| own.iter().filter(|t| t.lane == lane && could_not_run(t)).find_map(|t| t.message.clone());
    let has_lane = |lane: Lane| own.iter().any(|t| t.lane == lane);
    own.iter()
        .cloned()
        .map(|mut card| {
            if card.lane == Lane::Plain {
                return card;
            }
            let other_lane = other(card.lane);
            let other_name = other_lane.as_str();
            let other_failure = first_failure(other_lane);
            if could_not_run(&card) {
                let reason = card.message.clone().unwrap_or_default();
                if let Some(failure) = other_failure {
                    card.status = TestStatus::Failed;
                    card.decided_by = Some(other_lane);
                    card.message = Some(format!(
                        "{reason}; the {other_name} lane decided this test and found a failure in {}: {}",
                        failure.name,
                        first_line(failure.message.as_deref())
                    ));
                    card.replay = failure.replay.clone();
                } else if all_passed(other_lane) {
                    card.status = TestStatus::Passed;
                    card.points = card.max_points;
                    card.decided_by = Some(other_lane);
                    card.message =
                        Some(format!("{reason}; decided by the {other_name} lane, whose tests all passed"));
                } else if has_lane(other_lane) {
                    let why = lane_reason(other_lane).unwrap_or_else(|| "its tests did not all run".into());
                    card.message = Some(format!("{reason}; the {other_name} lane could not run either: {why}"));
                } else {
                    card.message = Some(format!("{reason}, and this exercise has no {other_name} lane to decide them"));
                }
            } else if card.status == TestStatus::Passed
                && let Some(failure) = other_failure
            {
                card.status = TestStatus::Failed;
                card.points = 0.0;
                card.decided_by = Some(other_lane);
                card.message = Some(format!(
                    "its own {} runs passed, but the {other_name} lane found a failure in {} (a failure in either lane costs the test its points): {}",
                    card.runs,
                    failure.name,
                    first_line(failure.message.as_deref())
                ));
                card.replay = failure.replay.clone();
            }
            card
        })
        .collect()
}

fn first_line(text: Option<&str>) -> &str {
    text.and_then(|t| t.lines().next()).unwrap_or("no message")
}

/// A test's own verdict: it earns its points only when every run passed.
/// A test the plan did not run (its lane cannot run here: too few CPUs, or
/// the build said the model checker cannot model the submission) is left
/// undecided (`decided_by` empty), never failed: `combine_lanes` lets the
/// other lane decide it. No run's output can make a test undecided.
fn score_test(exercise: &str, test: &PlannedTest, runs: &[&RunRecord]) -> TestCard {
    let total = runs.len() as u32;
    let passed = runs.iter().filter(|r| r.outcome == RunOutcome::Passed).count() as u32;
    let first_timeout = runs.iter().find(|r| r.outcome == RunOutcome::TimedOut);
    let first_failure = runs.iter().find(|r| r.outcome != RunOutcome::Passed);
    let cannot_run = test.not_run.clone();
    let status = if cannot_run.is_some() || total == 0 {
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
    let message = match (&cannot_run, status) {
        (Some(reason), _) => Some(reason.clone()),
        (None, TestStatus::Passed) => None,
        (None, TestStatus::NotRun) => Some("the test was not run".to_string()),
        (None, _) => {
            let detail = reported.and_then(|r| r.message.clone()).unwrap_or_default();
            if passed > 0 || (status == TestStatus::TimedOut && total > 1) {
                Some(format!("passed {passed} of {total} runs; a failing run: {detail}"))
            } else {
                Some(detail)
            }
        }
    };
    // Only stress and controlled-lane tests draw their inputs (and
    // schedules) from the seed; the others replay with the plain command.
    let seeded = test.stress || test.lane == Lane::Controlled;
    let failing_seed = reported.filter(|_| seeded).map(|r| r.seed);
    let replay = reported.map(|_| {
        let seed = failing_seed.map(|seed| format!("{SEED_ENV}={seed} ")).unwrap_or_default();
        let rounds = test.rounds.filter(|_| seeded).map(|r| format!("{ROUNDS_ENV}={r} ")).unwrap_or_default();
        format!("{seed}{rounds}cargo test -p {exercise} --test {} -- {} --exact", test.target, test.name)
    });
    let counterexample = runs.iter().filter(|r| r.outcome != RunOutcome::Passed).find_map(|r| r.counterexample.clone());
    let decided = cannot_run.is_none() && total > 0;
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
        lane: test.lane,
        decided_by: decided.then_some(test.lane),
        counterexample,
        total_run_secs: round2(runs.iter().map(|r| r.duration.as_secs_f64()).sum()),
        failed_runs: failed_runs(runs),
        // Filled from the group's metadata by grade.rs (discover::visibility).
        visibility: None,
        // The reported run's diagnosis, else the first one taken (a test is
        // diagnosed once per grading, maybe in another failing run).
        hang: reported.and_then(|r| r.hang.clone()).or_else(|| runs.iter().find_map(|r| r.hang.clone())),
    }
}

/// The first runs that did not pass, as the scorecard keeps them.
fn failed_runs(runs: &[&RunRecord]) -> Vec<FailedRun> {
    runs.iter()
        .filter(|r| r.outcome != RunOutcome::Passed)
        .take(MAX_FAILED_RUNS)
        .map(|r| FailedRun {
            run: r.run,
            seed: r.seed,
            secs: round2(r.duration.as_secs_f64()),
            outcome: match r.outcome {
                RunOutcome::Failed => "failed",
                RunOutcome::TimedOut => "timed_out",
                RunOutcome::Inconclusive => "inconclusive",
                RunOutcome::Passed => unreachable!("passed runs are filtered out"),
            }
            .to_string(),
            message: cut(r.message.as_deref().unwrap_or("no message"), FAILED_RUN_MESSAGE_BYTES),
        })
        .collect()
}

/// `text` cut to at most `max` bytes on a character boundary.
fn cut(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
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
            lane: Lane::Stress,
            not_run: None,
        }
    }

    fn controlled(name: &str, points: f64) -> PlannedTest {
        PlannedTest {
            target: "lane".into(),
            group: "Lane".into(),
            stress: false,
            lane: Lane::Controlled,
            ..planned(name, points)
        }
    }

    fn plain(name: &str, points: f64) -> PlannedTest {
        PlannedTest { target: "behaviour".into(), stress: false, lane: Lane::Plain, ..planned(name, points) }
    }

    /// A stress test the plan did not run: this machine has 1 CPU.
    fn starved(name: &str, points: f64) -> PlannedTest {
        PlannedTest { not_run: Some(crate::plan::cpu_shortfall(1, 2)), ..planned(name, points) }
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
            counterexample: None,
            hang: None,
        }
    }

    fn by_name<'a>(card: &'a ExerciseCard, name: &str) -> &'a TestCard {
        card.tests.iter().find(|t| t.name == name).unwrap()
    }

    fn lane_status(card: &ExerciseCard, lane: Lane) -> (LaneStatus, Option<String>) {
        let found = card.lanes.iter().find(|l| l.lane == lane).unwrap();
        (found.status, found.reason.clone())
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
    fn failing_runs_are_kept_with_their_seed_time_and_message_at_most_ten() {
        let plans = [plan(vec![planned("a", 20.0)])];
        let mut records: Vec<RunRecord> = (0..15).map(|i| record("a", i, RunOutcome::Failed)).collect();
        records[0].outcome = RunOutcome::Passed;
        records[3].outcome = RunOutcome::TimedOut;
        records[4].message = Some("é".repeat(FAILED_RUN_MESSAGE_BYTES));
        let test = &score(&plans, &records)[0].tests[0];
        assert_eq!(test.failed_runs.len(), MAX_FAILED_RUNS);
        assert_eq!(test.failed_runs[0].run, 1, "the passing run 0 is not among them");
        assert_eq!((test.failed_runs[0].seed, test.failed_runs[0].secs), (41, 0.0));
        assert_eq!(test.failed_runs[0].message, "a broke");
        assert_eq!(test.failed_runs[2].outcome, "timed_out");
        assert!(test.failed_runs[3].message.len() <= FAILED_RUN_MESSAGE_BYTES);
        assert_eq!(test.total_run_secs, 0.05, "15 runs of 3 ms");
        let passed = &score(&plans, &[record("a", 0, RunOutcome::Passed)])[0].tests[0];
        assert!(passed.failed_runs.is_empty());
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

    /// The exercise of the lane tests below: a plain test (4 points), two
    /// stress tests (6 each) and a controlled-lane test (4).
    fn laned(stress: fn(&str, f64) -> PlannedTest) -> ExercisePlan {
        plan(vec![plain("p", 4.0), stress("s1", 6.0), stress("s2", 6.0), controlled("l", 4.0)])
    }

    /// As `laned`, with a controlled lane that its build said cannot model
    /// the submission (the plan then does not run it).
    fn laned_unavailable(stress: fn(&str, f64) -> PlannedTest, reason: &str) -> ExercisePlan {
        let lane = PlannedTest { not_run: Some(reason.into()), ..controlled("l", 4.0) };
        plan(vec![plain("p", 4.0), stress("s1", 6.0), stress("s2", 6.0), lane])
    }

    fn runs(outcomes: &[(&str, RunOutcome)]) -> Vec<RunRecord> {
        outcomes.iter().map(|(test, outcome)| record(test, 0, *outcome)).collect()
    }

    #[test]
    fn both_lanes_passing_give_every_point_each_decided_by_its_own_lane() {
        use RunOutcome::*;
        let records = runs(&[("p", Passed), ("s1", Passed), ("s2", Passed), ("l", Passed)]);
        let cards = score(&[laned(planned)], &records);
        let card = &cards[0];
        assert_eq!((card.status, card.score), (ExerciseStatus::Passed, 20.0));
        let decided: Vec<Option<Lane>> = card.tests.iter().map(|t| t.decided_by).collect();
        assert_eq!(decided, [Some(Lane::Plain), Some(Lane::Stress), Some(Lane::Stress), Some(Lane::Controlled)]);
        assert_eq!(lane_status(card, Lane::Stress), (LaneStatus::Decided, None));
        assert_eq!(lane_status(card, Lane::Controlled), (LaneStatus::Decided, None));
        assert_eq!(undecided(&cards), None);
    }

    #[test]
    fn a_stress_failure_costs_that_test_and_the_controlled_lane_its_points() {
        use RunOutcome::*;
        let records = runs(&[("p", Passed), ("s1", Failed), ("s2", Passed), ("l", Passed)]);
        let card = &score(&[laned(planned)], &records)[0];
        assert_eq!(card.score, 4.0 + 6.0, "s1 and the lane test lose their points; p and s2 keep theirs");
        assert_eq!(
            (by_name(card, "s1").status, by_name(card, "s1").decided_by),
            (TestStatus::Failed, Some(Lane::Stress))
        );
        assert_eq!(
            by_name(card, "s2").status,
            TestStatus::Passed,
            "a stress failure does not cost another stress test"
        );
        let lane = by_name(card, "l");
        assert_eq!((lane.status, lane.points, lane.decided_by), (TestStatus::Failed, 0.0, Some(Lane::Stress)));
        assert_eq!((lane.runs, lane.passed_runs), (1, 1));
        let message = lane.message.as_deref().unwrap();
        assert!(message.contains("the stress lane found a failure in s1") && message.contains("s1 broke"), "{message}");
        assert_eq!(lane.replay.as_deref(), by_name(card, "s1").replay.as_deref(), "the replay is the failing test's");
    }

    #[test]
    fn a_controlled_lane_failure_costs_every_stress_test_its_points() {
        use RunOutcome::*;
        let mut records = runs(&[("p", Passed), ("s1", Passed), ("s2", Passed), ("l", Failed)]);
        let found = crate::run::counterexample(&format!(
            "{} {}",
            crate::run::COUNTEREXAMPLE_MARKER,
            r#"{"scenario":["a"],"observed":["b"],"explanation":"c","steps":[],"replay":"STRESS_SEED=1 cargo test"}"#
        ));
        records[3].counterexample = found.clone();
        let card = &score(&[laned(planned)], &records)[0];
        assert_eq!(card.score, 4.0, "only the plain test keeps its points");
        for name in ["s1", "s2"] {
            let test = by_name(card, name);
            assert_eq!((test.status, test.points, test.decided_by), (TestStatus::Failed, 0.0, Some(Lane::Controlled)));
            assert!(test.message.as_deref().unwrap().contains("the controlled lane found a failure in l"));
            assert!(test.counterexample.is_none(), "the counterexample stays with the test that found it");
        }
        let lane = by_name(card, "l");
        assert_eq!((lane.status, lane.decided_by), (TestStatus::Failed, Some(Lane::Controlled)));
        assert_eq!(lane.counterexample, found);
        assert_eq!(lane.failing_seed, Some(40), "a controlled-lane test replays with its seed");
        assert!(lane.replay.as_deref().unwrap().starts_with("STRESS_SEED=40 cargo test -p exercise-1 --test lane"));
    }

    #[test]
    fn on_one_cpu_the_stress_tests_are_decided_by_a_passing_controlled_lane() {
        use RunOutcome::*;
        let records = runs(&[("p", Passed), ("l", Passed)]);
        let cards = score(&[laned(starved)], &records);
        let card = &cards[0];
        assert_eq!((card.status, card.score), (ExerciseStatus::Passed, 20.0));
        for name in ["s1", "s2"] {
            let test = by_name(card, name);
            assert_eq!((test.status, test.runs, test.decided_by), (TestStatus::Passed, 0, Some(Lane::Controlled)));
            let message = test.message.as_deref().unwrap();
            assert!(message.starts_with("this machine gives the grader 1 CPU; the stress tests need 2"), "{message}");
            assert!(message.contains("decided by the controlled lane"), "{message}");
        }
        let (status, reason) = lane_status(card, Lane::Stress);
        assert_eq!(status, LaneStatus::CouldNotRun);
        assert_eq!(reason.as_deref(), Some("this machine gives the grader 1 CPU; the stress tests need 2"));
        assert_eq!(lane_status(card, Lane::Controlled).0, LaneStatus::Decided);
        assert_eq!(undecided(&cards), None);
    }

    #[test]
    fn on_one_cpu_a_failing_controlled_lane_costs_the_stress_tests_their_points() {
        use RunOutcome::*;
        let cards = score(&[laned(starved)], &runs(&[("p", Passed), ("l", Failed)]));
        let card = &cards[0];
        assert_eq!(card.score, 4.0);
        let test = by_name(card, "s1");
        assert_eq!((test.status, test.points, test.decided_by), (TestStatus::Failed, 0.0, Some(Lane::Controlled)));
        assert!(test.message.as_deref().unwrap().contains("found a failure in l: l broke"));
        assert_eq!(undecided(&cards), None, "a failure is a verdict");
    }

    #[test]
    fn on_one_cpu_without_a_controlled_lane_the_grading_is_not_a_grade() {
        use RunOutcome::*;
        let unavailable = laned_unavailable(starved, "this lane could not run: the rewrite cannot handle this code");
        let cards = score(&[unavailable], &[record("p", 0, Passed)]);
        let card = &cards[0];
        assert_eq!(card.score, 4.0);
        let test = by_name(card, "s1");
        assert_eq!((test.status, test.points, test.decided_by), (TestStatus::NotRun, 0.0, None));
        let message = test.message.as_deref().unwrap();
        assert!(message.contains("1 CPU") && message.contains("the controlled lane could not run either"), "{message}");
        assert!(message.contains("the rewrite cannot handle this code"), "{message}");
        let lane = by_name(card, "l");
        assert_eq!((lane.status, lane.decided_by), (TestStatus::NotRun, None), "never a pass by itself");
        assert_eq!(lane_status(card, Lane::Controlled).0, LaneStatus::CouldNotRun);
        let reason = undecided(&cards).expect("no lane could decide");
        assert!(reason.starts_with("exercise-1 s1: this machine gives the grader 1 CPU"), "{reason}");

        // An exercise with stress tests and no controlled lane at all.
        let cards = score(&[plan(vec![starved("s1", 20.0)])], &[]);
        assert!(undecided(&cards).unwrap().contains("this exercise has no controlled lane"));
    }

    #[test]
    fn a_controlled_lane_that_could_not_run_leaves_the_verdict_to_the_stress_lane() {
        use RunOutcome::*;
        let records = |s1| vec![record("p", 0, Passed), record("s1", 0, s1), record("s2", 0, Passed)];
        let unavailable = || laned_unavailable(planned, "could not model");
        let card = &score(&[unavailable()], &records(Passed))[0];
        assert_eq!(card.score, 20.0, "never a penalty for the model checker's limits");
        assert_eq!(by_name(card, "l").decided_by, Some(Lane::Stress));
        assert_eq!(by_name(card, "s1").decided_by, Some(Lane::Stress));
        let card = &score(&[unavailable()], &records(Failed))[0];
        assert_eq!(card.score, 4.0 + 6.0);
        assert_eq!((by_name(card, "l").status, by_name(card, "l").points), (TestStatus::Failed, 0.0));
    }
}
