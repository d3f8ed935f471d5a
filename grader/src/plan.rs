//! The grading plan: for each exercise, its groups' tests, what each is
//! worth, its lane, and whether it runs on this machine.
//!
//! The plan is made from the exercise's metadata, the test executables the
//! build produced (and the test targets that did not compile) and the CPUs
//! the grading has. It is what `score` reads beside the run records, so it
//! says everything scoring needs to know about a test that did not run:
//! a stress test on a machine with too few CPUs, a controlled-lane test
//! whose target did not compile against the model checker's types.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::discover::Exercise;
use crate::run::slots::Slots;
use crate::run::{self, Sandbox, TestCase};
use crate::scorecard::{Lane, ReviewFlag};

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
    /// Built; these tests were planned.
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
    pub lane: Lane,
    /// Why the grader does not run this test, when it does not: its lane
    /// cannot run here (too few CPUs, a target that does not compile). The
    /// exercise's other lane then decides it (see `score`).
    pub not_run: Option<String>,
}

/// How the tests of a grading are to be run.
pub struct Settings<'a> {
    /// The CPUs the machine gives this grading.
    pub cpus: u32,
    /// `--repeat` and `--timeout`, overriding the metadata.
    pub repeat: Option<u32>,
    pub timeout: Option<Duration>,
    pub slots: &'a Slots,
    pub sandbox: &'a Sandbox,
}

impl ExercisePlan {
    pub fn new(exercise: &Exercise, state: PlanState) -> ExercisePlan {
        ExercisePlan {
            id: exercise.id.clone(),
            title: exercise.grading.title.clone(),
            max_score: exercise.grading.max_score,
            state,
        }
    }
}

/// Lists the exercise's tests, gives each its group, points and lane, and
/// makes the runs of those that run here. `failed_targets` are the test
/// targets that did not compile (the library did): only a controlled-lane
/// target may fail so, and its tests then could not run; any other is an
/// error in words, which makes the exercise build_failed.
pub fn plan_tests(
    exercise: &Exercise,
    executables: &BTreeMap<String, PathBuf>,
    failed_targets: &BTreeMap<String, String>,
    lane_unavailable: Option<&str>,
    settings: &Settings,
) -> Result<(Vec<PlannedTest>, Vec<TestCase>), String> {
    let groups = &exercise.grading.groups;
    let mut listed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (target, errors) in failed_targets {
        let of_target: Vec<_> = groups.iter().filter(|g| &g.target == target).collect();
        if of_target.is_empty() || of_target.iter().any(|g| g.lane != Lane::Controlled) {
            return Err(errors.clone());
        }
        // Its tests cannot be listed: the names its groups give stand for
        // them, or the target's name for a group that names none.
        let mut names: Vec<String> = Vec::new();
        for group in of_target {
            match &group.tests {
                Some(tests) => names.extend(tests.iter().cloned()),
                None => names.push(target.clone()),
            }
        }
        names.dedup();
        listed.insert(target.clone(), names);
    }
    for (target, binary) in executables {
        let _slot = settings.slots.acquire(1);
        let tests = run::list_tests(binary, settings.sandbox)
            .map_err(|e| format!("the test executable tests/{target}.rs could not be used: {e}"))?;
        listed.insert(target.clone(), tests);
    }
    let assigned = assign_groups(exercise, &listed)?;
    let grading = &exercise.grading;
    let mut planned = Vec::new();
    let mut cases = Vec::new();
    for (name, target, group_index, max_points) in assigned {
        let group = &grading.groups[group_index];
        let not_run = if let Some(errors) = failed_targets.get(&target) {
            Some(format!(
                "this lane could not run: tests/{target}.rs does not compile with this submission (the model \
                 checker cannot model its code; this is never a penalty):\n{errors}"
            ))
        } else if let Some(reason) = lane_unavailable.filter(|_| group.lane == Lane::Controlled) {
            Some(format!("this lane could not run: {reason} (a limit of the model checker, never a penalty)"))
        } else if group.lane == Lane::Stress && group.cpus > settings.cpus {
            Some(cpu_shortfall(settings.cpus, group.cpus))
        } else {
            None
        };
        if not_run.is_none() {
            cases.push(TestCase {
                exercise: exercise.id.clone(),
                name: name.clone(),
                executable: executables[&target].clone(),
                target: target.clone(),
                repeat: settings.repeat.unwrap_or(group.repeat),
                exclusive: group.stress,
                long: group.lane == Lane::Controlled,
                timeout: settings.timeout.or(group.timeout).unwrap_or(grading.timeout),
                rounds: group.rounds,
                env: grading.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                sources: None,
            });
        }
        planned.push(PlannedTest {
            name,
            target,
            group: group.name.clone(),
            max_points,
            stress: group.stress,
            rounds: group.rounds,
            lane: group.lane,
            not_run,
        });
    }
    Ok((planned, cases))
}

/// The `construct` of the review flag [`lane_review_flag`] raises.
pub const LANE_NOT_RUN_CONSTRUCT: &str = "the controlled lane could not run";

/// A flag for the instructor when the controlled lane could not run with
/// this submission: its tests were not run (never a penalty), so the stress
/// lane decided the exercise alone, on a machine with the CPUs for it. Code
/// can be written on purpose so that the model checker cannot take it (an
/// API `lane-std` lacks), which is why a person should read it; the flag
/// changes no points. It points at the submission's own line when the lane
/// target's compiler errors name one (they name the rewritten copy,
/// `.../lane/src/FILE:LINE`, whose lines are the student's), else at
/// `src/lib.rs`.
pub fn lane_review_flag(
    exercise: &Exercise,
    planned: &[PlannedTest],
    failed_targets: &BTreeMap<String, String>,
    lane_unavailable: Option<&str>,
) -> Option<ReviewFlag> {
    let not_run = planned.iter().find(|t| t.lane == Lane::Controlled && t.not_run.is_some())?;
    let errors = failed_targets.get(&not_run.target).map(String::as_str);
    let (file, line) = errors
        .and_then(rewritten_location)
        .or_else(|| lane_unavailable.and_then(named_source_file).map(|file| (file, 1)))
        .unwrap_or_else(|| ("lib.rs".to_string(), 1));
    let why = match (errors, lane_unavailable) {
        (Some(errors), _) => format!(
            "tests/{}.rs does not compile against the model checker's types ({})",
            not_run.target,
            first_error(errors)
        ),
        (None, Some(reason)) => reason.to_string(),
        (None, None) => "its tests were not run".to_string(),
    };
    Some(ReviewFlag {
        exercise: exercise.id.clone(),
        path: format!("{}/src/{file}", exercise.relative_dir.display()).replace('\\', "/"),
        line,
        construct: LANE_NOT_RUN_CONSTRUCT.to_string(),
        reason: format!(
            "{why}; no points were taken for it, and only the stress lane judged this exercise's concurrency \
             (on a machine with the CPUs it needs; on fewer there is no grade). Code can be written so that the \
             model checker cannot take it: read this submission's concurrency by hand"
        ),
    })
}

/// The first `FILE:LINE` of the rewritten copy (`.../lane/src/FILE:LINE:COL`)
/// in compiler errors: the student's file and line, since the rewrite keeps
/// every line where it was.
fn rewritten_location(errors: &str) -> Option<(String, usize)> {
    errors.match_indices("/lane/src/").find_map(|(at, marker)| {
        let rest = &errors[at + marker.len()..];
        let (file, rest) = rest.split_once(':')?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let line = digits.parse().ok().filter(|&line: &usize| line >= 1)?;
        (file.ends_with(".rs") && !file.contains(char::is_whitespace)).then(|| (file.to_string(), line))
    })
}

/// The file a reason of lanes/rewrite starts with (`src/FILE: ...`).
fn named_source_file(reason: &str) -> Option<String> {
    let (file, _) = reason.strip_prefix("src/")?.split_once(": ")?;
    (file.ends_with(".rs") && !file.contains(char::is_whitespace)).then(|| file.to_string())
}

/// The first `error` line of compiler output, or its first line.
fn first_error(errors: &str) -> &str {
    let lines = || errors.lines().map(str::trim).filter(|l| !l.is_empty());
    lines().find(|l| l.starts_with("error")).or_else(|| lines().next()).unwrap_or("no message")
}

/// Why a stress group is not run on this machine.
pub fn cpu_shortfall(cpus: u32, needed: u32) -> String {
    format!(
        "this machine gives the grader {cpus} CPU{}; the stress tests need {needed}",
        if cpus == 1 { "" } else { "s" }
    )
}

/// Gives every listed test its group and its share of the group's points:
/// `(test, target, group index, points)`, in group order. Groups that name
/// their tests claim them first; a group without names takes the rest of its
/// target. A test in no group, a named test that does not exist, a group
/// left empty or a test name used twice is an error in words.
pub fn assign_groups(
    exercise: &Exercise,
    listed: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<(String, String, usize, f64)>, String> {
    let manifest = exercise.manifest.display();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (target, tests) in listed {
        for test in tests {
            if let Some(other) = seen.insert(test, target) {
                return Err(format!(
                    "the test name `{test}` is used in tests/{other}.rs and tests/{target}.rs; test names must be \
                     unique within an exercise"
                ));
            }
        }
    }

    let groups = &exercise.grading.groups;
    let mut owner: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (index, group) in groups.iter().enumerate() {
        let Some(names) = &group.tests else { continue };
        let available = listed.get(&group.target).map(Vec::as_slice).unwrap_or_default();
        for name in names {
            if !available.contains(name) {
                return Err(format!(
                    "{manifest}: group `{}` names test `{name}`, which tests/{}.rs does not have",
                    group.name, group.target
                ));
            }
            if owner.insert((group.target.as_str(), name.as_str()), index).is_some() {
                return Err(format!("{manifest}: test `{name}` is named by two groups"));
            }
        }
    }
    for (index, group) in groups.iter().enumerate().filter(|(_, g)| g.tests.is_none()) {
        for name in listed.get(&group.target).into_iter().flatten() {
            owner.entry((group.target.as_str(), name.as_str())).or_insert(index);
        }
    }
    for (target, tests) in listed {
        for test in tests {
            if !owner.contains_key(&(target.as_str(), test.as_str())) {
                return Err(format!("{manifest}: test `{test}` of tests/{target}.rs belongs to no group"));
            }
        }
    }

    let mut counts = vec![0usize; groups.len()];
    for index in owner.values() {
        counts[*index] += 1;
    }
    if let Some(empty) = counts.iter().position(|&n| n == 0) {
        return Err(format!("{manifest}: group `{}` has no tests", groups[empty].name));
    }
    let mut assigned: Vec<(String, String, usize, f64)> = owner
        .into_iter()
        .map(|((target, name), index)| {
            (name.to_string(), target.to_string(), index, groups[index].points / counts[index] as f64)
        })
        .collect();
    assigned.sort_by_key(|(_, _, index, _)| *index);
    Ok(assigned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::{GradingMetadata, Group, TestTarget};

    fn group(name: &str, target: &str, tests: Option<&[&str]>, lane: Lane) -> Group {
        Group {
            name: name.into(),
            target: target.into(),
            tests: tests.map(|t| t.iter().map(|s| s.to_string()).collect()),
            points: 10.0,
            stress: lane == Lane::Stress,
            repeat: 1,
            rounds: None,
            timeout: None,
            lane,
            cpus: if lane == Lane::Stress { 2 } else { 1 },
            visibility: crate::scorecard::Visibility::Visible,
        }
    }

    fn exercise(groups: Vec<Group>) -> Exercise {
        let dir = PathBuf::from("/w/exercises/exercise-9");
        Exercise {
            id: "exercise-9".into(),
            dir: dir.clone(),
            relative_dir: "exercises/exercise-9".into(),
            manifest: dir.join("Cargo.toml"),
            test_targets: ["stress", "lane"]
                .map(|t| TestTarget { name: t.into(), src_path: dir.join(format!("tests/{t}.rs")) })
                .into(),
            grading: GradingMetadata {
                title: "x".into(),
                max_score: 20.0,
                timeout: Duration::from_secs(1),
                env: BTreeMap::new(),
                allow: Vec::new(),
                grading_only: Vec::new(),
                groups,
            },
        }
    }

    fn plan_without_executables(
        exercise: &Exercise,
        failed: &[(&str, &str)],
    ) -> Result<(Vec<PlannedTest>, Vec<TestCase>), String> {
        let slots = Slots::new(1);
        let sandbox = Sandbox { scratch: std::env::temp_dir(), path: Default::default() };
        let settings = Settings { cpus: 1, repeat: None, timeout: None, slots: &slots, sandbox: &sandbox };
        let failed: BTreeMap<String, String> = failed.iter().map(|(t, e)| (t.to_string(), e.to_string())).collect();
        plan_tests(exercise, &BTreeMap::new(), &failed, None, &settings)
    }

    #[test]
    fn a_controlled_lane_target_that_does_not_compile_could_not_run() {
        let named = exercise(vec![group("Lane", "lane", Some(&["lane_scenarios_are_linearizable"]), Lane::Controlled)]);
        let (planned, cases) = plan_without_executables(&named, &[("lane", "error[E0308]: mismatched types")]).unwrap();
        assert!(cases.is_empty());
        assert_eq!(planned.len(), 1);
        assert_eq!((planned[0].name.as_str(), planned[0].lane), ("lane_scenarios_are_linearizable", Lane::Controlled));
        let reason = planned[0].not_run.as_deref().unwrap();
        assert!(reason.starts_with("this lane could not run: tests/lane.rs does not compile"), "{reason}");
        assert!(reason.contains("never a penalty") && reason.contains("E0308"), "{reason}");

        // A group that names no tests stands for them by its target's name.
        let unnamed = exercise(vec![group("Lane", "lane", None, Lane::Controlled)]);
        let (planned, _) = plan_without_executables(&unnamed, &[("lane", "error")]).unwrap();
        assert_eq!(planned[0].name, "lane");
    }

    #[test]
    fn any_other_target_that_does_not_compile_fails_the_exercise() {
        let stress = exercise(vec![group("Stress", "stress", None, Lane::Stress)]);
        let err = plan_without_executables(&stress, &[("stress", "error[E0425]: cannot find")]).unwrap_err();
        assert_eq!(err, "error[E0425]: cannot find");
        // A target shared by a controlled group and another group is not
        // the controlled lane's alone.
        let shared = exercise(vec![
            group("Lane", "lane", Some(&["a"]), Lane::Controlled),
            group("Plain", "lane", None, Lane::Plain),
        ]);
        assert!(plan_without_executables(&shared, &[("lane", "error")]).is_err());
        // A target no group uses.
        assert!(plan_without_executables(&stress, &[("lane", "error")]).is_err());
    }

    #[test]
    fn a_lane_that_could_not_run_is_flagged_for_review_at_the_students_line() {
        let lane = exercise(vec![group("Lane", "lane", Some(&["lane_scenarios_are_linearizable"]), Lane::Controlled)]);
        let errors = "error[E0599]: no method named `is_finished` found for struct `JoinHandle`\n  \
                      --> /w/target/grader/build/debug/build/exercise-9-0a1b/out/lane/src/pool.rs:17:22\n";
        let failed: BTreeMap<String, String> = [("lane".to_string(), errors.to_string())].into();
        let (planned, _) = plan_without_executables(&lane, &[("lane", errors)]).unwrap();
        let flag = lane_review_flag(&lane, &planned, &failed, None).expect("flagged");
        assert_eq!(
            (flag.exercise.as_str(), flag.path.as_str(), flag.line, flag.construct.as_str()),
            ("exercise-9", "exercises/exercise-9/src/pool.rs", 17, LANE_NOT_RUN_CONSTRUCT)
        );
        assert!(
            flag.reason.contains("E0599") && flag.reason.contains("only the stress lane judged"),
            "{}",
            flag.reason
        );

        // The build's word that the lane cannot model the submission: the
        // flag points at the file lanes/rewrite names.
        let named = exercise(vec![group("Lane", "lane", Some(&["a"]), Lane::Controlled)]);
        let reason = "src/bank/mod.rs: cannot read the tokens: lex error";
        let not_run = PlannedTest {
            name: "a".into(),
            target: "lane".into(),
            group: "Lane".into(),
            max_points: 4.0,
            stress: false,
            rounds: None,
            lane: Lane::Controlled,
            not_run: Some(reason.into()),
        };
        let flag = lane_review_flag(&named, std::slice::from_ref(&not_run), &BTreeMap::new(), Some(reason)).unwrap();
        assert_eq!((flag.path.as_str(), flag.line), ("exercises/exercise-9/src/bank/mod.rs", 1));
        assert!(flag.reason.starts_with(reason), "{}", flag.reason);

        // A lane that ran, or a stress test that did not (too few CPUs), is
        // no reason for review.
        let ran = PlannedTest { not_run: None, ..not_run.clone() };
        assert_eq!(lane_review_flag(&named, &[ran], &BTreeMap::new(), None), None);
        let short = PlannedTest { lane: Lane::Stress, not_run: Some(cpu_shortfall(1, 2)), ..not_run };
        assert_eq!(lane_review_flag(&named, &[short], &BTreeMap::new(), None), None);
    }

    #[test]
    fn the_student_line_is_read_from_the_rewritten_copy_only() {
        assert_eq!(rewritten_location("  --> /x/out/lane/src/lib.rs:3:9"), Some(("lib.rs".into(), 3)));
        assert_eq!(rewritten_location("  --> exercises/exercise-9/tests/lane.rs:3:9"), None);
        assert_eq!(rewritten_location("/x/lane/src/lib.rs: no line"), None);
        assert_eq!(named_source_file("src/a/b.rs: cannot read the tokens"), Some("a/b.rs".into()));
        assert_eq!(named_source_file("the submission has no src/lib.rs"), None);
        assert_eq!(first_error("warning: x\nerror[E1]: y\n"), "error[E1]: y");
        assert_eq!(first_error("  \nsomething\n"), "something");
    }

    #[test]
    fn the_cpu_shortfall_reads_as_the_issue_asks() {
        assert_eq!(cpu_shortfall(1, 2), "this machine gives the grader 1 CPU; the stress tests need 2");
        assert_eq!(cpu_shortfall(2, 4), "this machine gives the grader 2 CPUs; the stress tests need 4");
    }
}
