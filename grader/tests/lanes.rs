//! The lanes end to end, on a real one-CPU grading (`taskset -c 0`): the
//! grader finds out that it has one CPU, does not run the stress tests that
//! need two, and lets the controlled lane decide them.

mod common;

use std::path::Path;

use common::{exercise, run, serial, workspace};

/// A grading pinned to CPU 0 by the real `taskset`, as a one-CPU container
/// or CI runner would give it; the scorecard (written even for an
/// infrastructure error) and the exit status.
fn grade_on_one_cpu(args: &[&str], expected_status: i32) -> serde_json::Value {
    // `taskset` runs the grader binary itself; everything it starts (cargo,
    // the tests) inherits the affinity mask.
    let mut command = assert_cmd::Command::new("taskset");
    command.current_dir(workspace()).env_remove("GRADER_WORKSPACE");
    command.args(["-c", "0", env!("CARGO_BIN_EXE_grader"), "grade"]).args(args).args(["--output", "-"]);
    let output = run(&mut command, expected_status);
    let card: serde_json::Value = serde_json::from_slice(&output.stdout).expect("the scorecard is JSON");
    common::check_schema(&card);
    card
}

/// Exercise 5's reference solution on one CPU: full marks, the stress
/// tests decided by the controlled lane, at once.
#[test]
fn on_one_cpu_the_stress_tests_are_decided_by_the_controlled_lane() {
    let _serial = serial();
    let started = std::time::Instant::now();
    let card = grade_on_one_cpu(&["solutions", "--exercise", "exercise-5", "--repeat", "1"], 0);
    assert_eq!(card["machine"]["cpus"], 1, "{:#}", card["machine"]);
    assert!(card["infrastructure_error"].is_null(), "{card:#}");
    let ex5 = exercise(&card, "exercise-5");
    assert_eq!(ex5["score"], ex5["max_score"], "{ex5:#}");
    let stress: Vec<&serde_json::Value> =
        ex5["tests"].as_array().unwrap().iter().filter(|t| t["lane"] == "stress").collect();
    assert!(!stress.is_empty(), "{ex5:#}");
    for test in stress {
        assert_eq!(test["status"], "passed", "{test:#}");
        assert_eq!(test["runs"], 0, "not run on one CPU: {test:#}");
        assert_eq!(test["decided_by"], "controlled", "{test:#}");
        let message = test["message"].as_str().unwrap();
        assert!(message.contains("this machine gives the grader 1 CPU; the stress tests need 2"), "{message}");
    }
    let lanes = ex5["lanes"].as_array().unwrap();
    assert!(lanes.iter().any(|l| l["lane"] == "stress" && l["status"] == "could_not_run"), "{lanes:?}");
    assert!(lanes.iter().any(|l| l["lane"] == "controlled" && l["status"] == "decided"), "{lanes:?}");
    assert!(started.elapsed().as_secs() < 120, "a one-CPU grading of exercise 5 took {:?}", started.elapsed());
}

/// On one CPU a bug is still caught, by the controlled lane: one known-buggy
/// fixture of each exercise built on std::sync loses the points of every
/// test of both lanes, and the grading is a grade (no infrastructure error).
#[test]
fn on_one_cpu_the_controlled_lane_catches_the_bugs() {
    let _serial = serial();
    for (fixture, id) in [
        ("exercise-1-lock-released-between-check-and-act", "exercise-1"),
        ("exercise-2-if-instead-of-while", "exercise-2"),
        ("exercise-5-argument-order", "exercise-5"),
    ] {
        let path = format!("fixtures/{fixture}");
        let card = grade_on_one_cpu(&[&path, "--exercise", id, "--repeat", "1", "--timeout", "10"], 0);
        assert_eq!(card["machine"]["cpus"], 1, "{fixture}: {:#}", card["machine"]);
        assert!(card["infrastructure_error"].is_null(), "{fixture}: {card:#}");
        let ex = exercise(&card, id);
        let tests = ex["tests"].as_array().unwrap();
        let lane = tests.iter().find(|t| t["lane"] == "controlled").expect("a controlled-lane test");
        assert_eq!(lane["status"], "failed", "{fixture}: {lane:#}");
        assert!(!lane["counterexample"].is_null(), "{fixture}: a failing lane test shows its interleaving: {lane:#}");
        for test in tests.iter().filter(|t| t["lane"] == "stress") {
            assert_eq!(test["points"], 0.0, "{fixture}: {test:#}");
            assert_eq!(test["decided_by"], "controlled", "{fixture}: {test:#}");
        }
    }
}

/// On the full machine, the scorecard states its CPUs and every stress test
/// of exercise 5 is decided by its own lane.
#[test]
fn the_scorecard_states_the_machine_and_who_decided() {
    let _serial = serial();
    let card = common::grade(Path::new("solutions"), &["--exercise", "exercise-5", "--repeat", "1"]);
    let cpus = card["machine"]["cpus"].as_u64().unwrap();
    assert!(cpus >= 1, "{card:#}");
    if cpus < 2 {
        eprintln!("this machine has 1 CPU: the stress lane is covered by the one-CPU tests");
        return;
    }
    let ex5 = exercise(&card, "exercise-5");
    for test in ex5["tests"].as_array().unwrap().iter().filter(|t| t["lane"] == "stress") {
        assert_eq!(test["decided_by"], "stress", "{test:#}");
        assert_eq!(test["runs"], 1, "{test:#}");
    }
    assert!(ex5["lanes"].as_array().unwrap().iter().all(|l| l["status"] == "decided"), "{ex5:#}");
}

/// A throwaway course with one exercise whose controlled lane is a stand-in
/// (`tests/lane.rs` does what the submission's `lane_mode()` says: pass,
/// print lanes/rewrite's lane-unavailable line and pass, or print a
/// counterexample and fail), so that the grader's side of the lanes is
/// tested end to end without the real model checker. A submission without
/// `lane_mode` is one whose lane target does not compile while its library
/// does; one whose source says UNMODELLABLE is one the build script (a
/// stand-in for lanes/rewrite) finds the lane cannot model.
struct Course {
    dir: tempfile::TempDir,
}

/// Line 3 of every stand-in submission.
const BALANCE_LINE: &str = "pub fn balance() -> u32 { *BALANCE.lock().unwrap() }";

const COUNTEREXAMPLE: &str = r#"{"scenario":["thread 1: withdraw(600)","thread 2: withdraw(600)"],"observed":["thread 1: Ok(400)","thread 2: Ok(400)"],"explanation":"in either order the second withdrawal fails","steps":[{"thread":"thread 1","operation":"Mutex::lock","file":"src/lib.rs","line":3,"source":"text the test printed, never shown as the student's code"}],"replay":"STRESS_SEED=7 cargo test -p exercise-9 --test lane -- lane_scenarios_are_linearizable --exact"}"#;

impl Course {
    fn new() -> Course {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("Cargo.toml", "[workspace]\nmembers = [\"exercises/exercise-9\"]\nresolver = \"2\"\n");
        write(
            "exercises/exercise-9/Cargo.toml",
            r#"[package]
name = "exercise-9"
version = "0.1.0"
edition = "2021"

[package.metadata.grader]
title = "Lanes"

[[package.metadata.grader.groups]]
name = "Plain"
target = "plain"
points = 10

[[package.metadata.grader.groups]]
name = "Stress"
target = "stress"
points = 6
stress = true
repeat = 1
cpus = 2

[[package.metadata.grader.groups]]
name = "Lane"
target = "lane"
tests = ["lane_scenarios_are_linearizable"]
points = 4
lane = "controlled"
"#,
        );
        // A stand-in for lanes/rewrite: a submission that says UNMODELLABLE
        // is one the model checker cannot model. Only this build script can
        // say so; the lane test printing lanes/rewrite's words cannot.
        write(
            "exercises/exercise-9/build.rs",
            r#"fn main() {
    println!("cargo::rerun-if-changed=src");
    println!("cargo::rustc-check-cfg=cfg(lane_unavailable)");
    let src = std::fs::read_to_string("src/lib.rs").unwrap_or_default();
    if src.contains("UNMODELLABLE") {
        println!("cargo::rustc-cfg=lane_unavailable");
        println!("cargo::rustc-env=LANE_UNAVAILABLE_REASON=the rewrite cannot handle `static mut`");
    }
}
"#,
        );
        write("exercises/exercise-9/src/lib.rs", "pub fn value() -> u32 { 0 }\n");
        write(
            "exercises/exercise-9/tests/plain.rs",
            "#[test]\nfn value_is_one() { assert_eq!(exercise_9::value(), 1); }\n",
        );
        write(
            "exercises/exercise-9/tests/stress.rs",
            "#[test]\nfn value_is_one_under_stress() { assert_eq!(exercise_9::value(), 1); }\n",
        );
        write(
            "exercises/exercise-9/tests/lane.rs",
            &format!(
                r###"#[test]
fn lane_scenarios_are_linearizable() {{
    match exercise_9::lane_mode() {{
        // Past libtest's capture of a passing test's output, as testkit's
        // markers are written.
        "unavailable" => {{
            use std::io::Write;
            let _ = std::io::stderr().write_all(b"\ntestkit: lane unavailable: the rewrite cannot handle `static mut`\n");
        }}
        "counterexample" => {{
            println!("testkit: counterexample: {{}}", r##"{}"##);
            panic!("no sequential order explains the results");
        }}
        _ => {{}}
    }}
}}
"###,
                COUNTEREXAMPLE
            ),
        );
        Course { dir }
    }

    /// A submission of this course: `value()` returns `value`, and
    /// `lane_mode()` returns `mode` (no `lane_mode` at all for `None`).
    fn submission(&self, name: &str, value: u32, mode: Option<&str>) -> std::path::PathBuf {
        let root = self.dir.path().join("submissions").join(name);
        let src = root.join("exercises/exercise-9/src");
        std::fs::create_dir_all(&src).unwrap();
        let lane_mode = mode.map(|m| format!("pub fn lane_mode() -> &'static str {{ {m:?} }}\n")).unwrap_or_default();
        // Line 3 is the line the stand-in counterexample points at.
        let lines = format!(
            "pub fn value() -> u32 {{ {value} }}\nstatic BALANCE: std::sync::Mutex<u32> = std::sync::Mutex::new(0);\n{BALANCE_LINE}\n{lane_mode}"
        );
        std::fs::write(src.join("lib.rs"), lines).unwrap();
        root
    }

    /// Grades `submission`, pinned to CPU 0 when `one_cpu`.
    fn grade(&self, submission: &Path, one_cpu: bool, expected_status: i32) -> serde_json::Value {
        let mut command = if one_cpu {
            let mut pinned = assert_cmd::Command::new("taskset");
            pinned.args(["-c", "0", env!("CARGO_BIN_EXE_grader")]);
            pinned
        } else {
            assert_cmd::Command::new(env!("CARGO_BIN_EXE_grader"))
        };
        command.current_dir(self.dir.path()).env_remove("GRADER_WORKSPACE");
        command.arg("grade").arg(submission).args(["--output", "-"]);
        let output = run(&mut command, expected_status);
        let card: serde_json::Value = serde_json::from_slice(&output.stdout).expect("the scorecard is JSON");
        common::check_schema(&card);
        card
    }
}

fn test<'a>(card: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let tests = exercise(card, "exercise-9")["tests"].as_array().unwrap();
    tests.iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("no test {name}: {card:#}"))
}

fn lane<'a>(card: &'a serde_json::Value, lane: &str) -> &'a serde_json::Value {
    let lanes = exercise(card, "exercise-9")["lanes"].as_array().unwrap();
    lanes.iter().find(|l| l["lane"] == lane).unwrap_or_else(|| panic!("no lane {lane}: {card:#}"))
}

/// The one review flag of `card`: the controlled lane could not run, at
/// `path`, for a reason that says `why`.
fn assert_lane_flagged(card: &serde_json::Value, path: &str, why: &str) {
    let flags = card["review_flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{card:#}");
    let flag = &flags[0];
    assert_eq!(
        (&flag["exercise"], &flag["construct"], &flag["path"]),
        (&"exercise-9".into(), &"the controlled lane could not run".into(), &path.into()),
        "{flag:#}"
    );
    let reason = flag["reason"].as_str().unwrap();
    assert!(reason.contains(why) && reason.contains("only the stress lane judged"), "{reason}");
}

#[test]
fn the_lanes_of_a_stand_in_course_combine_as_documented() {
    let _serial = serial();
    let course = Course::new();
    const LANE: &str = "lane_scenarios_are_linearizable";
    const STRESS: &str = "value_is_one_under_stress";

    // On one CPU the stress test is not run, and the passing controlled
    // lane decides it.
    let correct = course.submission("correct", 1, Some("pass"));
    let card = course.grade(&correct, true, 0);
    assert_eq!(card["machine"]["cpus"], 1);
    assert_eq!(card["score"], 20.0, "{card:#}");
    let stress = test(&card, STRESS);
    assert_eq!(
        (&stress["status"], &stress["runs"], &stress["decided_by"]),
        (&"passed".into(), &0.into(), &"controlled".into())
    );
    assert_eq!(lane(&card, "stress")["status"], "could_not_run");
    assert_eq!(lane(&card, "controlled")["status"], "decided");
    assert_eq!(card["review_flags"], serde_json::json!([]), "a lane that ran is no reason for review");

    // A lane target that does not compile with this submission (its library
    // does): the lane could not run, never build_failed; on two CPUs the
    // stress lane decides alone...
    let unmodelled = course.submission("unmodelled", 1, None);
    let card = course.grade(&unmodelled, false, 0);
    if card["machine"]["cpus"].as_u64().unwrap() >= 2 {
        assert_eq!(exercise(&card, "exercise-9")["status"], "passed", "{card:#}");
        assert_eq!(card["score"], 20.0, "never a penalty for the model checker's limits: {card:#}");
        assert_eq!(test(&card, LANE)["decided_by"], "stress");
        let reason = lane(&card, "controlled")["reason"].as_str().unwrap();
        assert!(reason.contains("tests/lane.rs does not compile") && reason.contains("lane_mode"), "{reason}");
        // No points taken, but the instructor is told the stress lane
        // decided alone: code can dodge the model checker on purpose.
        assert_lane_flagged(&card, "exercises/exercise-9/src/lib.rs", "tests/lane.rs does not compile");
    } else {
        eprintln!("this machine has 1 CPU: the two-CPU half of this test is skipped");
    }
    // ... and on one CPU no lane can decide: not a grade.
    let card = course.grade(&unmodelled, true, 2);
    let reason = card["infrastructure_error"].as_str().unwrap();
    assert!(reason.contains("1 CPU") && reason.contains("the controlled lane could not run either"), "{reason}");
    assert_eq!(test(&card, STRESS)["status"], "not_run");

    // The build says the lane cannot model the submission: its tests are not
    // run (could not run, no penalty), and on one CPU no lane decides.
    let unmodellable = course.submission("unmodellable", 1, Some("pass"));
    let lib = unmodellable.join("exercises/exercise-9/src/lib.rs");
    std::fs::write(&lib, std::fs::read_to_string(&lib).unwrap() + "// UNMODELLABLE\n").unwrap();
    let card = course.grade(&unmodellable, true, 2);
    let reason = lane(&card, "controlled")["reason"].as_str().unwrap();
    assert!(reason.contains("static mut") && reason.contains("never a penalty"), "{reason}");
    assert_eq!((&test(&card, LANE)["status"], &test(&card, LANE)["runs"]), (&"not_run".into(), &0.into()));
    assert_lane_flagged(&card, "exercises/exercise-9/src/lib.rs", "static mut");

    // Code under test that prints lanes/rewrite's words changes nothing: its
    // passing lane test is a pass, and decides the stress test on one CPU.
    let pretender = course.submission("pretender", 1, Some("unavailable"));
    let card = course.grade(&pretender, true, 0);
    assert_eq!(card["score"], 20.0, "{card:#}");
    assert_eq!(test(&card, LANE)["status"], "passed");
    assert_eq!(test(&card, STRESS)["decided_by"], "controlled");
    assert_eq!(lane(&card, "controlled")["status"], "decided");
    assert_eq!(card["review_flags"], serde_json::json!([]), "printed words raise no flag: {card:#}");

    // A counterexample: copied into the scorecard, shown to the student, and
    // it costs the stress test its points even though that test passed.
    let buggy = course.submission("buggy", 1, Some("counterexample"));
    let mut command = assert_cmd::Command::new(env!("CARGO_BIN_EXE_grader"));
    command.current_dir(course.dir.path()).arg("grade").arg(&buggy).args(["--output", "-"]);
    let output = run(&mut command, 0);
    let card: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    common::check_schema(&card);
    let failing = test(&card, LANE);
    assert_eq!(failing["status"], "failed");
    // The grader quotes the submission's own line 3, not what the test printed.
    let mut expected: serde_json::Value = serde_json::from_str(COUNTEREXAMPLE).unwrap();
    expected["steps"][0]["source"] = BALANCE_LINE.into();
    assert_eq!(failing["counterexample"], expected, "{failing:#}");
    let stress = test(&card, STRESS);
    assert_eq!(
        (&stress["status"], &stress["points"], &stress["decided_by"]),
        (&"failed".into(), &0.0.into(), &"controlled".into())
    );
    assert_eq!(card["score"], 10.0, "{card:#}");
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(summary.contains("why this is wrong: in either order the second withdrawal fails"), "{summary}");
    assert!(summary.contains(&format!("thread 1  src/lib.rs:3  {BALANCE_LINE}  (Mutex::lock)")), "{summary}");
    assert!(summary.contains("replay this interleaving: STRESS_SEED=7 cargo test -p exercise-9"), "{summary}");
}
