//! The export formats, checked against what their consumers accept: the
//! JUnit XML parsed by a real XML parser and held to the rules of the JUnit
//! schema that Jenkins' xunit plugin publishes (junit-10.xsd), and read by a
//! real JUnit consumer (junitparser, with nextest's flakyFailure and
//! rerunFailure); Gradescope's `results.json` against its autograder
//! specification; Classroom 50's `result.json` against its published JSON
//! Schema (stored in grader/schemas/classroom50); GitHub Classroom's legacy
//! result as `autograding-grading-reporter` decodes and adds it up;
//! Exercism's `results.json` against its test-runner interface (version 3);
//! and the Markdown's tables row by row.
//!
//! The scorecards are built from the scorecard types, with every kind of
//! outcome (passed, failed, flaky, timed out, not run, build failed,
//! missing); nothing here grades a submission, so these tests are fast.
//! A few tests run `grader convert` through the binary.

mod common;

use std::collections::HashSet;

use base64::Engine as _;
use grader::report::formats::{self, Format};
use grader::scorecard::{ExerciseCard, ExerciseStatus, FailedRun, Lane, Scorecard, TestCard, TestStatus};
use serde_json::{Value, json};

/// A message with everything that breaks a careless writer: markup, quotes,
/// the sequence that ends a CDATA section, a Markdown cell separator,
/// backticks, a terminal colour escape that XML 1.0 cannot carry, and
/// several lines.
const NASTY: &str = "assertion `left == right` failed: <tag> & \"quotes\" 'single' ]]> | pipe \u{1b}[31mred\u{1b}[0m\n  left: 1\n right: 2";

fn test(name: &str, status: TestStatus, max_points: f64) -> TestCard {
    let (runs, passed_runs, message) = match status {
        TestStatus::Passed => (10, 10, None),
        TestStatus::Failed => (10, 0, Some(NASTY.to_string())),
        TestStatus::Flaky => (10, 7, Some("passed 7 of 10 runs; a failing run: a lost update".to_string())),
        TestStatus::TimedOut => (3, 0, Some("passed 0 of 3 runs; a failing run: timed out after 5 s".to_string())),
        TestStatus::NotRun => (0, 0, Some("the test was not run".to_string())),
    };
    let failed_run = matches!(status, TestStatus::Failed | TestStatus::Flaky | TestStatus::TimedOut);
    TestCard {
        name: name.to_string(),
        status,
        runs,
        passed_runs,
        points: if status == TestStatus::Passed { max_points } else { 0.0 },
        max_points,
        message,
        target: "behaviour".to_string(),
        group: "behaviour".to_string(),
        stress: failed_run,
        failing_seed: failed_run.then_some(42),
        replay: failed_run
            .then(|| format!("STRESS_SEED=42 cargo test -p exercise-x --test behaviour -- {name} --exact")),
        max_run_secs: 0.5,
        lane: if failed_run { Lane::Stress } else { Lane::Plain },
        decided_by: None,
        counterexample: None,
        total_run_secs: 0.25 * f64::from(runs),
        failed_runs: (passed_runs..runs)
            .take(10)
            .map(|run| FailedRun {
                run,
                seed: 42 + u64::from(run),
                secs: 0.25,
                outcome: if status == TestStatus::TimedOut { "timed_out" } else { "failed" }.to_string(),
                message: format!("run {run} of {name}: {NASTY}"),
            })
            .collect(),
        visibility: None,
        hang: None,
    }
}

fn exercise(id: &str, title: &str, status: ExerciseStatus, max_score: f64, tests: Vec<TestCard>) -> ExerciseCard {
    let message = match status {
        ExerciseStatus::BuildFailed => Some("error[E0308]: mismatched types\n --> src/lib.rs:3:5".to_string()),
        ExerciseStatus::Missing => Some(format!("no exercises/{id}/src in the submission")),
        _ => None,
    };
    ExerciseCard {
        id: id.to_string(),
        title: title.to_string(),
        // Adding 0.0 turns the -0.0 of an empty sum into 0, as score.rs does.
        score: tests.iter().map(|t| t.points).sum::<f64>() + 0.0,
        max_score,
        status,
        message,
        tests,
        lanes: Vec::new(),
    }
}

/// A scorecard holding `exercises`. The top level comes from JSON so that a
/// field added to it later with a default does not break these tests; the
/// exercises and tests are the scorecard's own types.
fn card(exercises: Vec<ExerciseCard>) -> Scorecard {
    let mut card: Scorecard = serde_json::from_value(json!({
        "schema_version": 1,
        "score": 0.0,
        "max_score": 0.0,
        "exercises": [],
        "grader_version": "0.1.0",
        "submission": "fixtures/example",
        "duration_secs": 42.4,
        "grader_peak_rss_mib": 30.5,
        "ignored_changes": [],
        "infrastructure_error": null,
        "tampered_files": null,
        "review_flags": [],
    }))
    .expect("a minimal scorecard deserializes");
    card.score = exercises.iter().map(|e| e.score).sum();
    card.max_score = exercises.iter().map(|e| e.max_score).sum();
    card.exercises = exercises;
    card
}

/// Every outcome a scorecard can hold.
fn mixed() -> Scorecard {
    card(vec![
        exercise(
            "exercise-1",
            "Bank account",
            ExerciseStatus::Passed,
            10.0,
            vec![
                test("deposits_add_up", TestStatus::Passed, 5.0),
                test("withdrawals_never_overdraw", TestStatus::Passed, 5.0),
            ],
        ),
        exercise(
            "exercise-2",
            "Queue | bounded <fast>",
            ExerciseStatus::Failed,
            10.0,
            vec![
                test("fifo_order", TestStatus::Passed, 2.0),
                test("pop_waits_for_push", TestStatus::Failed, 2.0),
                test("no_lost_items", TestStatus::Flaky, 2.0),
                test("close_wakes_waiters", TestStatus::TimedOut, 2.0),
                test("drop_frees_items", TestStatus::NotRun, 2.0),
            ],
        ),
        exercise("exercise-3", "Pipeline", ExerciseStatus::BuildFailed, 20.0, vec![]),
        exercise("exercise-4", "Pool", ExerciseStatus::Missing, 20.0, vec![]),
    ])
}

fn all_passed() -> Scorecard {
    card(vec![exercise(
        "exercise-1",
        "Bank account",
        ExerciseStatus::Passed,
        10.0,
        vec![test("deposits_add_up", TestStatus::Passed, 10.0)],
    )])
}

fn nothing_built() -> Scorecard {
    card(vec![
        exercise("exercise-1", "Bank account", ExerciseStatus::BuildFailed, 50.0, vec![]),
        exercise("exercise-2", "Queue", ExerciseStatus::Missing, 50.0, vec![]),
    ])
}

/// The mixed scorecard of a grading that cannot be trusted and whose tests
/// were edited.
fn troubled() -> Scorecard {
    let mut card = mixed();
    card.infrastructure_error = Some("the machine was starved while tests timed out".into());
    card.tampered_files = Some(vec!["exercises/exercise-2/tests/behaviour.rs".into()]);
    card
}

// ---------------------------------------------------------------------------
// JUnit

/// junit-10.xsd's `SUREFIRE_TIME`: digits with optional thousands commas
/// and an optional fraction; never a sign, an exponent or "NaN".
fn is_surefire_time(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    !text.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit() || c == ',')
        && fraction.chars().all(|c| c.is_ascii_digit())
}

fn count_attr(node: roxmltree::Node, name: &str) -> usize {
    let value = node.attribute(name).unwrap_or_else(|| panic!("<{}> has no {name}", node.tag_name().name()));
    value.parse().unwrap_or_else(|_| panic!("{name}={value:?} is not a count"))
}

fn elements<'a, 'input>(node: roxmltree::Node<'a, 'input>) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    node.children().filter(|n| n.is_element())
}

/// Parses `xml` and checks every rule of the JUnit schema that a report
/// widget relies on; returns the parsed document's text for more checks.
fn check_junit(xml: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let mut totals = [0usize; 4];
    for suite in elements(root) {
        assert_eq!(suite.tag_name().name(), "testsuite", "only testsuites under <testsuites>");
        let name = suite.attribute("name").expect("a testsuite has a name (required)");
        let time = suite.attribute("time").expect("a testsuite has a time");
        assert!(is_surefire_time(time), "testsuite time {time:?}");
        let cases: Vec<_> = elements(suite).filter(|n| n.has_tag_name("testcase")).collect();
        for child in elements(suite) {
            let tag = child.tag_name().name();
            assert!(["properties", "testcase", "system-out", "system-err"].contains(&tag), "<{tag}> in a testsuite");
        }
        let mut counts = [0usize; 4];
        counts[0] = cases.len();
        for case in &cases {
            assert!(case.attribute("name").is_some_and(|n| !n.is_empty()), "a testcase has a name (required)");
            assert_eq!(case.attribute("classname"), Some(name), "classname is the exercise id");
            assert!(case.attribute("time").is_some_and(is_surefire_time), "testcase time");
            let problems: Vec<_> =
                elements(*case).filter(|n| ["failure", "error", "skipped"].contains(&n.tag_name().name())).collect();
            assert!(problems.len() <= 1, "a testcase ends one way");
            for child in elements(*case) {
                let tag = child.tag_name().name();
                assert!(
                    ["failure", "error", "skipped", "system-out", "system-err", "flakyFailure", "rerunFailure"]
                        .contains(&tag),
                    "<{tag}> in a testcase"
                );
            }
            if let Some(problem) = problems.first() {
                assert!(problem.attribute("message").is_some_and(|m| !m.is_empty()), "a {:?} has a message", problem);
                let index = match problem.tag_name().name() {
                    "failure" => 1,
                    "error" => 2,
                    _ => 3,
                };
                counts[index] += 1;
            }
        }
        let declared = [
            count_attr(suite, "tests"),
            count_attr(suite, "failures"),
            count_attr(suite, "errors"),
            count_attr(suite, "skipped"),
        ];
        assert_eq!(declared, counts, "suite {name}: tests, failures, errors, skipped must match its testcases");
        for (total, count) in totals.iter_mut().zip(counts) {
            *total += count;
        }
    }
    let declared = [
        count_attr(root, "tests"),
        count_attr(root, "failures"),
        count_attr(root, "errors"),
        count_attr(root, "skipped"),
    ];
    assert_eq!(declared, totals, "<testsuites> counts are the sums of its suites'");
    assert!(root.attribute("time").is_some_and(is_surefire_time));
    doc
}

fn junit_case<'a, 'input>(
    doc: &'a roxmltree::Document<'input>,
    suite: &str,
    name: &str,
) -> roxmltree::Node<'a, 'input> {
    doc.descendants()
        .find(|n| {
            n.has_tag_name("testcase") && n.attribute("classname") == Some(suite) && n.attribute("name") == Some(name)
        })
        .unwrap_or_else(|| panic!("no testcase {suite}::{name}"))
}

fn problem<'a, 'input>(case: roxmltree::Node<'a, 'input>) -> Option<(String, roxmltree::Node<'a, 'input>)> {
    elements(case)
        .find(|n| ["failure", "error", "skipped"].contains(&n.tag_name().name()))
        .map(|n| (n.tag_name().name().to_string(), n))
}

#[test]
fn junit_is_well_formed_and_keeps_the_schema_rules() {
    let card = mixed();
    let xml = formats::render(&card, Format::Junit);
    let doc = check_junit(&xml);
    let suites: Vec<&str> = elements(doc.root_element()).map(|s| s.attribute("name").unwrap()).collect();
    assert_eq!(suites, ["exercise-1", "exercise-2", "exercise-3", "exercise-4"]);
    assert_eq!(doc.root_element().attribute("time"), Some("42.400"));

    assert!(problem(junit_case(&doc, "exercise-1", "deposits_add_up")).is_none(), "a pass is an empty testcase");

    let (tag, failure) = problem(junit_case(&doc, "exercise-2", "pop_waits_for_push")).unwrap();
    assert_eq!(tag, "failure");
    assert_eq!(failure.attribute("type"), Some("failed"));
    let text = failure.text().unwrap();
    // Everything but the colour codes survives the round trip exactly; XML
    // cannot carry their escape character, and quick-junit removes them
    // whole, as nextest's reports do.
    assert!(text.contains(&NASTY.replace("\u{1b}[31m", "").replace("\u{1b}[0m", "")), "{text}");
    assert!(text.contains("STRESS_SEED=42 cargo test"), "the replay command is in the failure: {text}");
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .starts_with("failed: assertion `left == right` failed: <tag> & \"quotes\"")
    );
    assert!(!failure.attribute("message").unwrap().contains('\n'), "the message attribute is the first line");

    let (tag, flaky) = problem(junit_case(&doc, "exercise-2", "no_lost_items")).unwrap();
    assert_eq!((tag.as_str(), flaky.attribute("type")), ("failure", Some("flaky")));
    let flaky_runs: Vec<_> =
        elements(junit_case(&doc, "exercise-2", "no_lost_items")).filter(|n| n.has_tag_name("flakyFailure")).collect();
    assert_eq!(flaky_runs.len(), 3, "a flakyFailure for each of the 3 failing runs of 10");
    assert_eq!(junit_case(&doc, "exercise-2", "no_lost_items").attribute("time"), Some("2.500"), "10 runs of 0.25 s");
    let (tag, timeout) = problem(junit_case(&doc, "exercise-2", "close_wakes_waiters")).unwrap();
    assert_eq!((tag.as_str(), timeout.attribute("type")), ("failure", Some("timed_out")));
    let (tag, _) = problem(junit_case(&doc, "exercise-2", "drop_frees_items")).unwrap();
    assert_eq!(tag, "skipped");

    let (tag, error) = problem(junit_case(&doc, "exercise-3", "build")).unwrap();
    assert_eq!((tag.as_str(), error.attribute("type")), ("error", Some("build_failed")));
    assert!(error.text().unwrap().contains("mismatched types\n --> src/lib.rs:3:5"));
    let (tag, skipped) = problem(junit_case(&doc, "exercise-4", "submission")).unwrap();
    assert_eq!(tag, "skipped");
    assert!(skipped.attribute("message").unwrap().contains("no exercises/exercise-4/src"));

    let title = doc
        .descendants()
        .find(|n| n.has_tag_name("property") && n.attribute("value") == Some("Queue | bounded <fast>"));
    assert!(title.is_some(), "the exercise's title is a suite property, unescaped by the parser");
}

#[test]
fn junit_shows_an_untrustworthy_or_tampered_grading_as_a_suite_of_its_own() {
    let xml = formats::render(&troubled(), Format::Junit);
    let doc = check_junit(&xml);
    let (tag, error) = problem(junit_case(&doc, "grader", "infrastructure")).unwrap();
    assert_eq!(tag, "error");
    assert!(error.attribute("message").unwrap().contains("starved"));
    let (tag, failure) = problem(junit_case(&doc, "grader", "grading_files_match_manifest")).unwrap();
    assert_eq!(tag, "failure");
    assert!(failure.text().unwrap().contains("exercises/exercise-2/tests/behaviour.rs"));
    check_junit(&formats::render(&nothing_built(), Format::Junit));
    check_junit(&formats::render(&card(vec![]), Format::Junit));
}

/// A real JUnit consumer: junitparser (PyPI), whose `xunit2` module reads
/// the flakyFailure / rerunFailure elements cargo-nextest writes.
/// Installed once into `target/junitparser`, like the workflow linters; a
/// machine where that fails fails this test with the command that installs
/// it, since a skipped check would look like a passed one.
const JUNIT_CONSUMER: &str = "junitparser==5.0.3";

fn junit_consumer() -> std::path::PathBuf {
    static INSTALLED: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let target = common::workspace().join("target/junitparser");
            if target.join("junitparser/xunit2.py").is_file() {
                return target;
            }
            let status = std::process::Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--root-user-action=ignore"])
                .arg("--target")
                .arg(&target)
                .arg(JUNIT_CONSUMER)
                .status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "could not install the JUnit consumer; run: python3 -m pip install --target {} {JUNIT_CONSUMER}",
                target.display()
            );
            target
        })
        .clone()
}

/// What junitparser reads from a JUnit file: per suite its counts and time,
/// per case its time, result and interim runs, as JSON.
const JUNIT_READER: &str = r#"
import json, sys
from junitparser import Failure, Error, Skipped
from junitparser.xunit2 import JUnitXml, TestCase
xml = JUnitXml.fromfile(sys.argv[1])
out = {"tests": xml.tests, "failures": xml.failures, "errors": xml.errors, "skipped": xml.skipped,
       "time": xml.time, "suites": []}
for suite in xml:
    cases = []
    for case in suite:
        case = TestCase.fromelem(case)
        results = [{"kind": type(r).__name__, "message": r.message, "type": r.type, "text": r.text}
                   for r in case.result]
        interim = lambda runs: [{"message": r.message, "type": r.type, "text": r.text} for r in runs]
        cases.append({"name": case.name, "classname": case.classname, "time": case.time,
                      "results": results, "flaky": interim(case.flaky_failures()),
                      "reruns": interim(case.rerun_failures())})
    out["suites"].append({"name": suite.name, "tests": suite.tests, "failures": suite.failures,
                          "errors": suite.errors, "skipped": suite.skipped, "time": suite.time,
                          "cases": cases})
print(json.dumps(out))
"#;

fn read_with_junit_consumer(xml: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    std::fs::write(&path, xml).unwrap();
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(JUNIT_READER)
        .arg(&path)
        .env("PYTHONPATH", junit_consumer())
        .output()
        .expect("python3 could be started");
    assert!(
        output.status.success(),
        "junitparser could not read the report:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn junit_reads_as_a_junit_consumer_reads_it_with_times_and_each_failing_run() {
    let read = read_with_junit_consumer(&formats::render(&mixed(), Format::Junit));
    assert_eq!((read["tests"].as_u64(), read["failures"].as_u64()), (Some(9), Some(3)));
    assert_eq!(read["errors"].as_u64(), Some(1));
    let skipped: u64 = read["suites"].as_array().unwrap().iter().map(|s| s["skipped"].as_u64().unwrap()).sum();
    assert_eq!(skipped, 2, "the not-run test and the missing exercise");
    assert_eq!(read["time"].as_f64(), Some(42.4));
    let case = |suite: usize, name: &str| -> Value {
        read["suites"][suite]["cases"].as_array().unwrap().iter().find(|c| c["name"] == name).cloned().unwrap()
    };
    let passed = case(0, "deposits_add_up");
    assert_eq!((passed["time"].as_f64(), passed["results"].as_array().map(Vec::len)), (Some(2.5), Some(0)));
    assert_eq!(read["suites"][0]["time"].as_f64(), Some(5.0), "a suite's time is its tests' time");

    let flaky = case(1, "no_lost_items");
    assert_eq!(flaky["results"][0]["kind"], "Failure", "a flaky test earned nothing: it is a failure");
    assert_eq!(flaky["results"][0]["type"], "flaky");
    let runs = flaky["flaky"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "one flakyFailure per failing run");
    assert_eq!(
        runs[0]["message"],
        "run 8 (STRESS_SEED=49): run 7 of no_lost_items: assertion `left == right` failed: <tag> & \"quotes\" 'single' ]]> | pipe red"
    );
    assert!(runs[0]["text"].as_str().unwrap().ends_with("left: 1\n right: 2"), "{}", runs[0]["text"]);
    assert!(flaky["reruns"].as_array().unwrap().is_empty());

    let failed = case(1, "pop_waits_for_push");
    assert_eq!(failed["results"][0]["type"], "failed");
    let reruns = failed["reruns"].as_array().unwrap();
    assert_eq!(reruns.len(), 9, "every failing run but the first, which is the failure itself");
    assert!(reruns.iter().all(|r| r["type"] == "failed"));
    let timed_out = case(1, "close_wakes_waiters");
    assert_eq!(timed_out["reruns"].as_array().unwrap().len(), 2);
    assert_eq!(timed_out["reruns"][0]["type"], "timed_out");
    assert_eq!(case(2, "build")["results"][0]["kind"], "Error");
    assert_eq!(case(3, "submission")["results"][0]["kind"], "Skipped");
}

// ---------------------------------------------------------------------------
// Gradescope

/// The top-level keys of Gradescope's autograder specification.
const GRADESCOPE_TOP: &[&str] = &[
    "score",
    "execution_time",
    "output",
    "output_format",
    "test_output_format",
    "test_name_format",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
    "leaderboard",
];
/// The keys of one test in that specification.
const GRADESCOPE_TEST: &[&str] = &[
    "score",
    "max_score",
    "status",
    "name",
    "name_format",
    "number",
    "output",
    "output_format",
    "tags",
    "visibility",
    "extra_data",
];
const GRADESCOPE_VISIBILITY: &[&str] = &["hidden", "after_due_date", "after_published", "visible"];
const GRADESCOPE_FORMATS: &[&str] = &["text", "simple_format", "html", "md", "ansi"];

fn check_gradescope(card: &Scorecard) -> Value {
    let text = formats::render(card, Format::Gradescope);
    let results: Value = serde_json::from_str(&text).expect("results.json is JSON");
    let top = results.as_object().expect("results.json is an object");
    for key in top.keys() {
        assert!(GRADESCOPE_TOP.contains(&key.as_str()), "{key} is not in Gradescope's specification");
    }
    assert!(results["score"].is_f64(), "score is a number");
    assert!(results["execution_time"].is_u64(), "execution_time is whole seconds");
    assert!(results["output"].is_string());
    assert!(GRADESCOPE_FORMATS.contains(&results["output_format"].as_str().unwrap()));
    assert!(GRADESCOPE_VISIBILITY.contains(&results["visibility"].as_str().unwrap()));
    let tests = results["tests"].as_array().expect("tests is an array");
    let mut names = HashSet::new();
    let (mut score, mut max_score) = (0.0, 0.0);
    for test in tests {
        for key in test.as_object().expect("a test is an object").keys() {
            assert!(GRADESCOPE_TEST.contains(&key.as_str()), "{key} is not a test key in Gradescope's specification");
        }
        let (s, m) = (
            test["score"].as_f64().expect("score is a number"),
            test["max_score"].as_f64().expect("max_score is a number"),
        );
        assert!(0.0 <= s && s <= m, "{test}");
        score += s;
        max_score += m;
        assert!(["passed", "failed"].contains(&test["status"].as_str().unwrap()), "{test}");
        assert!(names.insert(test["name"].as_str().expect("name is a string").to_string()), "test names are unique");
        assert!(test["output"].is_string());
        assert!(GRADESCOPE_VISIBILITY.contains(&test["visibility"].as_str().unwrap()));
    }
    assert!((score - card.score).abs() < 1e-9, "the tests add up to the top-level score");
    assert!((max_score - card.max_score).abs() < 1e-9, "the tests' max_score add up to the scorecard's");
    assert_eq!(results["score"].as_f64(), Some(card.score));
    results
}

#[test]
fn gradescope_results_follow_the_autograder_specification() {
    let results = check_gradescope(&mixed());
    assert_eq!(results["execution_time"], 42);
    let tests = results["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 2 + 5 + 1 + 1, "a test per test, one per unbuilt exercise");
    let by_name = |name: &str| tests.iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("no test {name}"));
    assert_eq!(by_name("exercise-1: deposits_add_up")["status"], "passed");
    let failed = by_name("exercise-2: pop_waits_for_push");
    assert_eq!((failed["status"].as_str(), failed["score"].as_f64()), (Some("failed"), Some(0.0)));
    assert!(failed["output"].as_str().unwrap().contains(NASTY));
    assert!(failed["output"].as_str().unwrap().contains("replay: STRESS_SEED=42 cargo test"));
    assert_eq!(by_name("exercise-2: no_lost_items")["status"], "failed", "a flaky test earns nothing");
    let build = by_name("exercise-3: build");
    assert_eq!((build["score"].as_f64(), build["max_score"].as_f64()), (Some(0.0), Some(20.0)));
    assert!(build["output"].as_str().unwrap().contains("mismatched types"));
    assert_eq!(by_name("exercise-4: submission")["max_score"], 20.0);

    let troubled = check_gradescope(&troubled());
    let output = troubled["output"].as_str().unwrap();
    assert!(output.contains("infrastructure error") && output.contains("tampered"), "{output}");
    check_gradescope(&all_passed());
    check_gradescope(&nothing_built());
}

#[test]
fn gradescope_results_carry_markdown_numbers_tags_and_extra_data() {
    let results = check_gradescope(&mixed());
    assert_eq!(results["output_format"], "md");
    assert_eq!(results["output"].as_str(), Some(formats::render(&mixed(), Format::Markdown).as_str()));
    assert_eq!(results["test_output_format"], "text", "messages are verbatim panic output");
    assert_eq!(results["stdout_visibility"], "hidden", "the grader's log is for instructors");
    assert_eq!(results["extra_data"]["grader_version"], "0.1.0");
    let tests = results["tests"].as_array().unwrap();
    let numbers: Vec<&str> = tests.iter().map(|t| t["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1", "4.1"]);
    let flaky = tests.iter().find(|t| t["name"] == "exercise-2: no_lost_items").unwrap();
    assert_eq!(flaky["tags"], json!(["exercise-2", "group: behaviour", "lane: stress"]));
    let extra = &flaky["extra_data"];
    assert_eq!((extra["pass_rate"].as_f64(), extra["runs"].as_u64()), (Some(0.7), Some(10)));
    assert_eq!(extra["failing_seed"], 42);
    assert!(extra["replay"].as_str().unwrap().starts_with("STRESS_SEED=42 "));
    assert_eq!((extra["max_run_secs"].as_f64(), extra["total_run_secs"].as_f64()), (Some(0.5), Some(2.5)));
    let build = tests.iter().find(|t| t["name"] == "exercise-3: build").unwrap();
    assert_eq!(build["tags"], json!(["exercise-3"]));
}

/// A test of a `hidden` group is hidden on Gradescope, and the top-level
/// output, which students always see, neither names it nor counts its
/// points; one of an `after_due_date` group waits for the due date.
#[test]
fn gradescope_keeps_hidden_tests_out_of_what_students_see() {
    let mut card = mixed();
    let exercise = &mut card.exercises[1];
    exercise.tests[1].visibility = Some(grader::scorecard::Visibility::Hidden);
    exercise.tests[2].visibility = Some(grader::scorecard::Visibility::AfterDueDate);
    let results = check_gradescope(&card);
    let tests = results["tests"].as_array().unwrap();
    let by_name = |name: &str| tests.iter().find(|t| t["name"] == name).unwrap();
    assert_eq!(by_name("exercise-2: pop_waits_for_push")["visibility"], "hidden");
    assert_eq!(by_name("exercise-2: no_lost_items")["visibility"], "after_due_date");
    assert_eq!(by_name("exercise-2: fifo_order")["visibility"], "visible");
    let output = results["output"].as_str().unwrap();
    assert!(!output.contains("pop_waits_for_push") && !output.contains("no_lost_items"), "{output}");
    assert!(!output.contains(NASTY.lines().next().unwrap()), "a hidden failure's message stays hidden");
    assert!(output.contains("fifo_order"), "{output}");
    assert!(output.contains("2 more tests count toward the grade"), "{output}");
    assert!(output.contains("## Grade: 12 / 56"), "the shown total leaves the held-back points out:\n{output}");
}

// ---------------------------------------------------------------------------
// GitHub Classroom

/// Decodes the rendered result as the reporter does (base64, then JSON) and
/// checks the fields it reads.
fn check_classroom(card: &Scorecard) -> Value {
    let encoded = formats::render(card, Format::Classroom);
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded.trim_end()).expect("the result is base64");
    let result: Value = serde_json::from_slice(&bytes).expect("the decoded result is JSON");
    assert_eq!(result, grader::report::classroom::result_json(card), "render is the base64 of classroom_json");
    assert_eq!(result["version"], 1);
    assert!(["pass", "fail", "error"].contains(&result["status"].as_str().unwrap()));
    assert_eq!(result["max_score"].as_f64(), Some(card.max_score));
    let mut total = 0.0;
    for test in result["tests"].as_array().expect("tests is an array") {
        assert!(test["name"].is_string());
        assert!(["pass", "fail", "error"].contains(&test["status"].as_str().unwrap()), "{test}");
        total += test["score"].as_f64().expect("score is a number");
        assert!(test["message"].is_string());
    }
    // The reporter sends Classroom the sum of the tests' scores.
    assert!((total - card.score).abs() < 1e-9);
    result
}

#[test]
fn classroom_result_decodes_to_what_the_grading_reporter_reads() {
    let result = check_classroom(&mixed());
    assert_eq!(result["status"], "fail");
    let statuses: Vec<&str> =
        result["tests"].as_array().unwrap().iter().map(|t| t["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["pass", "pass", "pass", "fail", "fail", "fail", "error", "error", "error"]);
    assert_eq!(check_classroom(&all_passed())["status"], "pass");
    assert_eq!(check_classroom(&nothing_built())["status"], "error");
    assert_eq!(check_classroom(&troubled())["status"], "error", "an untrustworthy grading fails the check");
}

// ---------------------------------------------------------------------------
// Classroom 50

/// Classroom 50's published schema of result.json, stored in the repository
/// (grader/schemas/classroom50/README.md says where it came from).
fn classroom50_validator() -> jsonschema::Validator {
    let path = common::workspace().join("grader/schemas/classroom50/result-v1.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("Classroom 50's schema is a valid JSON Schema")
}

/// Renders `card` as `--format classroom50` does and checks it against the
/// published schema and the rules the schema says Classroom 50 checks in
/// code (every score at most its max-score), the totals, and the promise of
/// the integer rounding: every exercise keeps its integer maximum, and no
/// exercise scores less than the scorecard says it earned.
fn check_classroom50(card: &Scorecard) -> Value {
    let text = formats::render(card, Format::Classroom50);
    let result: Value = serde_json::from_str(&text).expect("result.json is JSON");
    let errors: Vec<String> =
        classroom50_validator().iter_errors(&result).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "result.json does not match Classroom 50's schema:\n{}\n{result:#}", errors.join("\n"));
    let tests = result["tests"].as_array().unwrap();
    let (mut score, mut max_score) = (0, 0);
    for test in tests {
        let (s, m) = (test["score"].as_u64().unwrap(), test["max-score"].as_u64().unwrap());
        assert!(s <= m, "{test}");
        assert_eq!(test["passed"].as_bool(), Some(s == m && m > 0 || test["status"] == "passed"), "{test}");
        score += s;
        max_score += m;
    }
    assert_eq!(result["score"].as_u64(), Some(score), "score is the sum of the tests'");
    assert_eq!(result["max-score"].as_u64(), Some(max_score), "max-score is the sum of the tests'");
    for exercise in &card.exercises {
        let prefix = format!("{}: ", exercise.id);
        let mine: Vec<&Value> =
            tests.iter().filter(|t| t["test-name"].as_str().unwrap().starts_with(&prefix)).collect();
        let int_max: u64 = mine.iter().map(|t| t["max-score"].as_u64().unwrap()).sum();
        let int_score: u64 = mine.iter().map(|t| t["score"].as_u64().unwrap()).sum();
        assert_eq!(int_max as f64, exercise.max_score.round(), "{} keeps its integer maximum", exercise.id);
        assert!(int_score as f64 + 1e-6 >= exercise.score, "{}: {int_score} < earned {}", exercise.id, exercise.score);
        assert!((int_score as f64) < exercise.score + 1.0 * mine.len() as f64);
    }
    result
}

#[test]
fn classroom50_results_match_the_published_schema_in_integer_points() {
    let result = check_classroom50(&mixed());
    assert_eq!(result["schema"], "classroom50/result/v1");
    let tests = result["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 2 + 5 + 1 + 1, "a test per test, one per unbuilt exercise");
    let by_name = |name: &str| tests.iter().find(|t| t["test-name"] == name).unwrap_or_else(|| panic!("no {name}"));
    assert_eq!(by_name("exercise-1: deposits_add_up")["score"], 5);
    let failed = by_name("exercise-2: pop_waits_for_push");
    assert_eq!((failed["passed"].as_bool(), failed["score"].as_u64()), (Some(false), Some(0)));
    assert!(failed["message"].as_str().unwrap().contains(NASTY));
    assert_eq!(by_name("exercise-3: build")["max-score"], 20);
    check_classroom50(&all_passed());
    check_classroom50(&nothing_built());
    check_classroom50(&troubled());
    check_classroom50(&card(vec![]));

    // A 10-point group of three tests: 3.33 points a test in the scorecard.
    // Passing one of them earns 3.33 and gets 4 points; passing all, 10.
    let thirds = |passed: usize| {
        let tests: Vec<TestCard> = (0..3)
            .map(|i| {
                let status = if i < passed { TestStatus::Passed } else { TestStatus::Failed };
                test(&format!("t{i}"), status, 3.33)
            })
            .collect();
        let status = if passed == 3 { ExerciseStatus::Passed } else { ExerciseStatus::Failed };
        card(vec![exercise("exercise-9", "Thirds", status, 10.0, tests)])
    };
    let points = |passed: usize| check_classroom50(&thirds(passed))["score"].as_u64().unwrap();
    assert_eq!([points(0), points(1), points(2), points(3)], [0, 4, 7, 10]);
}

/// Tests of a group that is not `visible` (hidden, or a grading-only
/// group, `after_published` by default) are what students must not read:
/// `mixed()` with exercise 2's `pop_waits_for_push` and `no_lost_items` (a
/// failure and a flaky test) in a group `secret` of `visibility`.
fn held_back(visibility: grader::scorecard::Visibility) -> Scorecard {
    let mut card = mixed();
    for test in &mut card.exercises[1].tests[1..3] {
        test.visibility = Some(visibility);
        test.group = "secret".into();
    }
    card
}

/// What a held-back test's name or message shows; none may reach students.
const HELD_BACK_TEXT: [&str; 4] = ["pop_waits_for_push", "no_lost_items", "left == right", "a lost update"];

/// Classroom 50's result.json and the Markdown report (release-body.md),
/// both published on the student's own repository, show each such group as
/// one line with its result and points, and never a test name or message.
#[test]
fn classroom50_and_markdown_hold_back_the_tests_students_may_not_read() {
    let card = held_back(grader::scorecard::Visibility::AfterPublished);
    let result = check_classroom50(&card);
    let text = result.to_string();
    for leaked in HELD_BACK_TEXT {
        assert!(!text.contains(leaked), "result.json shows {leaked:?}: {result:#}");
    }
    let tests = result["tests"].as_array().unwrap();
    let folded = tests.iter().find(|t| t["test-name"] == "exercise-2: secret (2 held-back tests)").unwrap();
    assert_eq!(
        (folded["passed"].as_bool(), folded["score"].as_u64(), folded["max-score"].as_u64()),
        (Some(false), Some(0), Some(4))
    );
    assert!(folded.get("message").is_none());
    assert_eq!(result["max-score"], 60, "held-back points still count");

    let markdown = formats::render(&card, Format::Markdown);
    for leaked in ["pop_waits_for_push", "no_lost_items", "a lost update"] {
        assert!(!markdown.contains(leaked), "the Markdown shows {leaked:?}:\n{markdown}");
    }
    assert!(markdown.contains("| secret (2 held-back tests) | ❌ failed | | 0 / 4 |"), "{markdown}");
    assert!(markdown.contains("## Grade: 12 / 60"), "the total still counts them:\n{markdown}");
}

#[test]
fn classroom50_identity_comes_from_the_runners_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    std::fs::write(&path, formats::render(&mixed(), Format::Json)).unwrap();
    let output = common::run(
        common::grader()
            .args(["convert", "--to", "classroom50"])
            .arg(&path)
            .env("CLASSROOM", "cs-concurrency")
            .env("ASSIGNMENT", "exercises")
            .env("OWNER", "alice")
            .env("ASSIGNMENT_TYPE", "individual")
            .env("SUBMISSION_TAG", "submit/2026-06-01T14-32-05Z-a1b2c3d")
            .env("COMMIT_URL", "https://github.com/org/repo/commit/abc")
            .env("RELEASE_URL", "https://github.com/org/repo/releases/tag/submit%2F1")
            .env_remove("REVIEW_URL")
            .env("CLASSROOM50_DATETIME", "2026-06-01T14:33:11Z"),
        0,
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(classroom50_validator().is_valid(&result), "{result:#}");
    assert_eq!(result["classroom"], "cs-concurrency");
    assert_eq!(result["owner"], "alice");
    assert_eq!(result["submission"], "submit/2026-06-01T14-32-05Z-a1b2c3d");
    assert_eq!(result["review"], "https://github.com/org/repo/commit/abc");
    assert_eq!(result["datetime"], "2026-06-01T14:33:11Z");
}

// ---------------------------------------------------------------------------
// Exercism

fn check_exercism(card: &Scorecard) -> Value {
    let results: Value = serde_json::from_str(&formats::render(card, Format::Exercism)).expect("results.json is JSON");
    assert_eq!(results["version"], 3);
    let status = results["status"].as_str().unwrap();
    assert!(["pass", "fail", "error"].contains(&status));
    if status == "error" {
        assert!(results["message"].as_str().is_some_and(|m| !m.is_empty()), "an error needs a message");
    } else {
        assert!(results["message"].is_null(), "message is null unless status is error");
    }
    let tests = results["tests"].as_array().expect("tests is an array");
    for test in tests {
        assert!(test["name"].is_string());
        let test_status = test["status"].as_str().unwrap();
        assert!(["pass", "fail", "error"].contains(&test_status));
        assert!(test["test_code"].is_string());
        assert_eq!(
            test["message"].is_null(),
            test_status == "pass",
            "a message for each test that did not pass: {test}"
        );
        let exercise: u64 =
            test["name"].as_str().unwrap().split(':').next().unwrap().trim_start_matches("exercise-").parse().unwrap();
        assert_eq!(test["task_id"].as_u64(), Some(exercise), "task_id is the exercise's number");
    }
    let any_fail = tests.iter().any(|t| t["status"] != "pass");
    match status {
        "pass" => assert!(!any_fail),
        "fail" => assert!(any_fail, "fail means a test has the status fail or error"),
        _ => {}
    }
    results
}

#[test]
fn exercism_results_follow_the_test_runner_interface_version_3() {
    let results = check_exercism(&mixed());
    assert_eq!(results["status"], "fail");
    let names: Vec<&str> = results["tests"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names[..3],
        ["exercise-1: deposits_add_up", "exercise-1: withdrawals_never_overdraw", "exercise-2: fifo_order"],
        "the scorecard's order"
    );
    assert_eq!(check_exercism(&all_passed())["status"], "pass");
    let error = check_exercism(&nothing_built());
    assert_eq!(error["status"], "error", "no test was executed");
    assert!(error["message"].as_str().unwrap().contains("mismatched types"));
    assert_eq!(check_exercism(&troubled())["status"], "error");
}

/// Exercism's results.json and GitHub Classroom's legacy result are read by
/// students too (the Exercism site, the reporter's log in the student's
/// check): a group that is not `visible` is one line with its result, and
/// never a test name or message.
#[test]
fn exercism_and_legacy_classroom_hold_back_the_tests_students_may_not_read() {
    let card = held_back(grader::scorecard::Visibility::Hidden);
    let exercism = check_exercism(&card);
    let classroom = check_classroom(&card);
    for (format, result) in [("results.json", &exercism), ("the Classroom result", &classroom)] {
        let text = result.to_string();
        for leaked in HELD_BACK_TEXT {
            assert!(!text.contains(leaked), "{format} shows {leaked:?}: {result:#}");
        }
        let tests = result["tests"].as_array().unwrap();
        let folded: Vec<&Value> =
            tests.iter().filter(|t| t["name"] == "exercise-2: secret (2 held-back tests)").collect();
        assert_eq!(folded.len(), 1, "{format}: one line for the group: {result:#}");
        assert_eq!(folded[0]["status"], "fail", "{format}: {result:#}");
        assert!(tests.iter().any(|t| t["name"] == "exercise-2: fifo_order"), "{format}: shown tests stay: {result:#}");
    }
    assert_eq!(classroom["status"], "fail");
    // check_classroom has checked that the lines still add up to the score.
}

// ---------------------------------------------------------------------------
// Markdown

/// The cells of a Markdown table row, split on the `|` that are not escaped.
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().strip_prefix('|').and_then(|r| r.strip_suffix('|')).expect("a row starts and ends with |");
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => cells.last_mut().unwrap().push(chars.next().unwrap()),
            '|' => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// The rows of the table that starts at the first line beginning with `|`
/// in `section`, without its header and separator.
fn table_rows(section: &str) -> Vec<Vec<String>> {
    let rows: Vec<&str> =
        section.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')).collect();
    if rows.is_empty() {
        return Vec::new();
    }
    assert!(rows.len() >= 2 && rows[1].starts_with("| ---"), "a header and a separator:\n{section}");
    let width = cells(rows[0]).len();
    rows[2..]
        .iter()
        .map(|row| {
            let cells = cells(row);
            assert_eq!(cells.len(), width, "every row has the header's columns: {row}");
            cells
        })
        .collect()
}

#[test]
fn markdown_has_a_table_row_per_test_and_escapes_its_cells() {
    let card = mixed();
    let markdown = formats::render(&card, Format::Markdown);
    let mut sections = markdown.split("\n### ");
    let head = sections.next().unwrap();
    assert!(head.starts_with("## Grade: 12 / 60\n"), "{head}");
    let totals = table_rows(head);
    assert_eq!(totals.len(), card.exercises.len() + 1, "a row per exercise and the total");
    assert_eq!(totals[1][0], "exercise-2 Queue | bounded &lt;fast&gt;", "the pipe is escaped, the markup neutral");
    assert_eq!(totals.last().unwrap()[2], "**12 / 60**");

    let sections: Vec<&str> = sections.collect();
    assert_eq!(sections.len(), card.exercises.len(), "a section per exercise");
    for (section, exercise) in sections.iter().zip(&card.exercises) {
        assert!(section.starts_with(&exercise.id), "{section}");
        let rows = table_rows(section);
        assert_eq!(rows.len(), exercise.tests.len(), "a row per test in {}", exercise.id);
        for (row, test) in rows.iter().zip(&exercise.tests) {
            assert_eq!(row[0], test.name);
            assert_eq!(row[2], format!("{} / {}", test.passed_runs, test.runs));
        }
        let not_passed = exercise.tests.iter().filter(|t| t.status != TestStatus::Passed).count()
            + usize::from(exercise.message.is_some());
        assert_eq!(
            section.matches("<details>").count(),
            not_passed,
            "a collapsed message per failure in {}",
            exercise.id
        );
        assert_eq!(section.matches("</details>").count(), not_passed);
    }
    // The failure's text is in a code block, verbatim, with a fence longer
    // than the backticks inside it.
    assert!(markdown.contains(&format!("```text\nfailed: {NASTY}\n\nreplay: ")), "{markdown}");
    assert!(markdown.contains("<summary>pop_waits_for_push: failed</summary>"));

    let troubled = formats::render(&troubled(), Format::Markdown);
    assert!(troubled.contains("> **infrastructure error: the machine was starved"), "{troubled}");
}

// ---------------------------------------------------------------------------
// JSON and the command line

#[test]
fn the_json_format_is_the_scorecard_itself_and_reads_back() {
    let card = mixed();
    let text = formats::render(&card, Format::Json);
    assert_eq!(text, grader::report::json::to_string(&card));
    common::check_schema(&serde_json::from_str(&text).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    std::fs::write(&path, &text).unwrap();
    assert_eq!(grader::report::read::scorecard(&path).unwrap(), card);
}

#[test]
fn grader_convert_writes_each_format_and_rejects_what_is_not_a_scorecard() {
    let dir = tempfile::tempdir().unwrap();
    let scorecard = dir.path().join("scorecard.json");
    std::fs::write(&scorecard, grader::report::json::to_string(&mixed())).unwrap();

    let output = common::run(common::grader().arg("convert").arg(&scorecard).args(["--to", "junit"]), 0);
    check_junit(std::str::from_utf8(&output.stdout).unwrap());

    let summary = dir.path().join("out/summary.md");
    let output = common::run(
        common::grader().arg("convert").arg(&scorecard).args(["--to", "markdown", "--output"]).arg(&summary),
        0,
    );
    assert!(output.stdout.is_empty(), "--output writes the file, not stdout");
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), formats::render(&mixed(), Format::Markdown));

    let output = common::run(common::grader().arg("convert").arg(&scorecard).args(["--to", "classroom"]), 0);
    assert_eq!(String::from_utf8(output.stdout).unwrap(), formats::render(&mixed(), Format::Classroom));

    let not_a_card = dir.path().join("package.json");
    std::fs::write(&not_a_card, r#"{"name": "left-pad", "version": "1.3.0"}"#).unwrap();
    let nothing = dir.path().join("nothing.json");
    for (path, says) in [(&not_a_card, "is not a grader scorecard"), (&nothing, "reading")] {
        let output = common::run(common::grader().arg("convert").arg(path).args(["--to", "gradescope"]), 2);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "stderr should say {says:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(output.stdout.is_empty());
    }
    let output = common::run(common::grader().arg("convert").arg(&scorecard).args(["--to", "pdf"]), 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("gradescope"), "clap lists the formats");
}

#[test]
fn grade_format_other_than_json_needs_an_output() {
    let output = common::run(common::grader().args(["grade", "--format", "junit"]), 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--format junit needs --output"), "{stderr}");
}

// ---------------------------------------------------------------------------
// The gradebook

/// `grades.csv` is what an LMS imports: a grading that cannot be trusted
/// must leave its score cells empty (with its status and reason), so that
/// no import takes a starved run's points for a grade, while any other row
/// carries its total and every exercise's score.
#[test]
fn the_gradebook_gives_an_untrusted_grading_no_score() {
    use grader::report::csv::{Row, write};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grades.csv");
    let ids = vec!["exercise-1".to_string(), "exercise-2".to_string()];
    let rows = vec![Row::graded("alice".into(), mixed()), Row::graded("bob".into(), troubled())];
    write(&path, &ids, &rows).unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2, "{text}");
    let alice = &records[0];
    let card = mixed();
    assert_eq!(&alice[0], "alice");
    // mixed() has an exercise that did not build: still a row with scores.
    assert_eq!(&alice[1], "build_failed", "{text}");
    assert_eq!(alice[2].parse::<f64>().unwrap(), card.score, "{text}");
    assert_eq!(alice[4].parse::<f64>().unwrap(), card.exercises[0].score, "{text}");
    let bob = &records[1];
    assert_eq!(&bob[0], "bob");
    assert_eq!(&bob[1], "infrastructure_error", "{text}");
    assert_eq!((&bob[2], &bob[4], &bob[5]), ("", "", ""), "an untrusted grading has no score cells: {text}");
    assert_eq!(bob[3].parse::<f64>().unwrap(), card.max_score, "{text}");
    assert!(bob[6].contains("starved"), "the reason is in the message column: {text}");
}

/// The class statistics count a grading that cannot be trusted apart and
/// leave its score and its failed tests out of the distribution.
#[test]
fn class_statistics_leave_an_untrusted_grading_out() {
    let (trusted, untrusted) = (mixed(), troubled());
    let both = grader::report::stats::statistics(&[&trusted, &untrusted], 2);
    let alone = grader::report::stats::statistics(&[&trusted], 2);
    assert!(both.contains("2 submissions, 1 graded, 1 with an infrastructure error"), "{both}");
    assert_eq!(
        both.lines().skip(2).collect::<Vec<_>>(),
        alone.lines().skip(2).collect::<Vec<_>>(),
        "the distribution and the failed tests are the trusted grading's alone:\n{both}\n---\n{alone}"
    );
    let score = format!("min {:.1}, median {:.1}", trusted.score, trusted.score);
    assert!(both.contains(&score), "{both}");
    assert!(both.contains("tests not passed"), "{both}");
}
