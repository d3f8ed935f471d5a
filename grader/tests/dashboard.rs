//! The class dashboard and the feedback pages, rendered in a real browser
//! (headless Chromium over the DevTools protocol): a small real batch with
//! a roster, then the numbers in the rendered page against the scorecards,
//! no console error, no request outside the output folder, a screenshot
//! that is not blank; `grader report` rebuilding the same pages from the
//! scorecards; a hostile failure message that must stay text; and a
//! scorecard of another schema version refused.

mod common;

#[path = "common/browser.rs"]
mod browser;

use std::fs;
use std::path::Path;

use common::{copy_dir, grader, run, serial, workspace};
use serde_json::Value;

/// What the tests read from a rendered dashboard: every number they check,
/// and what would betray an injection (scripts, images, iframes).
const DASHBOARD_PROBE: &str = r#"JSON.stringify({
  classSize: document.querySelector('[data-class-size]').textContent,
  missing: (document.querySelector('[data-missing]') || {}).textContent || null,
  tests: Array.from(document.querySelectorAll('tr[data-test]')).map(r => ({
    test: r.dataset.test,
    failed: r.querySelector('[data-failed]').textContent,
    notPassed: r.querySelector('[data-not-passed]').textContent })),
  totals: Object.fromEntries(Array.from(document.querySelectorAll('tr[data-submission]')).map(r =>
    [r.dataset.submission, r.querySelector('[data-total]').textContent])),
  links: Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href')),
  charts: document.querySelectorAll('figure[data-chart] svg rect').length,
  chartLabels: Array.from(document.querySelectorAll('figure[data-chart] svg')).map(s => s.getAttribute('aria-label')),
  active: document.querySelectorAll('script, img, iframe, object, embed').length,
  text: document.body.innerText })"#;

const PAGE_PROBE: &str = r#"JSON.stringify({
  total: (document.querySelector('[data-total]') || {}).textContent || null,
  messages: Array.from(document.querySelectorAll('[data-message]')).map(m => m.textContent),
  diagnosis: document.querySelectorAll('[data-diagnosis]').length,
  active: document.querySelectorAll('script, img, iframe, object, embed').length,
  title: document.title })"#;

/// Three submissions whose outcomes do not depend on timing (the
/// solution, one that panics, one that does not compile) and a roster of
/// four students, one without a submission.
fn class() -> (tempfile::TempDir, std::path::PathBuf) {
    let class = tempfile::tempdir().unwrap();
    let root = class.path().join("submissions");
    let solution = root.join("lab-ada/exercises/exercise-1/src");
    fs::create_dir_all(&solution).unwrap();
    fs::copy(workspace().join("solutions/exercises/exercise-1/src/lib.rs"), solution.join("lib.rs")).unwrap();
    copy_dir(&workspace().join("fixtures/broken-panics"), &root.join("lab-bob"));
    copy_dir(&workspace().join("fixtures/broken-does-not-compile"), &root.join("lab-cy"));
    fs::write(
        class.path().join("roster.csv"),
        "name,github_username,student_id,section\nAda Lovelace,ada,1001,A\nBob Babbage,bob,1002,A\n\
         Cy Hopper,cy,1003,B\nDee Absent,dee,1004,B\n",
    )
    .unwrap();
    (class, root)
}

fn scorecard(out: &Path, name: &str) -> Value {
    serde_json::from_str(&fs::read_to_string(out.join(format!("{name}.json"))).unwrap()).unwrap()
}

fn points(value: &Value) -> String {
    let value = value.as_f64().unwrap();
    if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.2}") }
}

fn assert_clean(visit: &browser::Visit, out: &Path, what: &str) {
    assert!(visit.errors.is_empty(), "{what}: console errors: {:#?}", visit.errors);
    let folder = format!("file://{}/", out.display());
    let outside: Vec<&String> = visit.requests.iter().filter(|url| !url.starts_with(&folder)).collect();
    assert!(outside.is_empty(), "{what}: requests outside {folder}: {outside:?}");
    assert!(!visit.requests.is_empty(), "{what}: the page itself is a request");
    let colours = browser::distinct_colours(&visit.screenshot);
    assert!(colours > 8, "{what}: the screenshot is blank ({colours} colours)");
}

#[test]
fn the_dashboard_and_a_feedback_page_render_the_scorecards_numbers_in_chromium() {
    let Some(chromium) = browser::chromium() else { return };
    let _serial = serial();
    let (class, submissions) = class();
    let out = class.path().join("out");
    let mut command = grader();
    command.arg("batch").arg(&submissions).arg("--output-dir").arg(&out);
    command.arg("--roster").arg(class.path().join("roster.csv"));
    command.args(["--exercise", "exercise-1", "--repeat", "1", "--quiet"]);
    run(&mut command, 0);

    // The roster: every student has a row, dee's is missing; canvas.csv
    // has Canvas's columns and a points-possible row.
    let gradebook = fs::read_to_string(out.join("grades.csv")).unwrap();
    let lines: Vec<&str> = gradebook.lines().collect();
    assert_eq!(lines[0], "submission,student_id,name,section,status,score,max_score,exercise-1,message");
    assert!(lines.iter().any(|l| l.starts_with("dee,1004,Dee Absent,B,missing,,,,")), "{gradebook}");
    assert!(lines.iter().any(|l| l.starts_with("lab-ada,1001,Ada Lovelace,A,graded,20,20,20,")), "{gradebook}");
    assert_eq!(lines.len(), 5, "{gradebook}");
    let canvas = fs::read_to_string(out.join("canvas.csv")).unwrap();
    let lines: Vec<&str> = canvas.lines().collect();
    assert_eq!(lines[0], "Student,ID,SIS User ID,SIS Login ID,Section,exercise-1", "{canvas}");
    assert_eq!(lines[1], "    Points Possible,,,,,20", "{canvas}");
    assert!(lines.contains(&"Ada Lovelace,,1001,,A,20"), "{canvas}");
    assert!(lines.contains(&"Dee Absent,,1004,,B,"), "a missing submission has no score, not 0: {canvas}");
    assert_eq!(lines.len(), 6, "{canvas}");

    let mut browser = browser::Browser::start(&chromium);
    let visit = browser.visit(&out.join("index.html"), DASHBOARD_PROBE);
    fs::write(Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png"), &visit.screenshot).unwrap();
    assert_clean(&visit, &out, "the dashboard");
    let probe = &visit.probe;
    assert_eq!(probe["classSize"], "3", "three folders were graded: {probe:#}");
    assert_eq!(probe["missing"], "1", "{probe:#}");
    assert_eq!(probe["active"], 0, "{probe:#}");
    assert!(probe["charts"].as_u64().unwrap() >= 2, "the histograms have bars: {probe:#}");
    for label in probe["chartLabels"].as_array().unwrap() {
        assert!(label.as_str().unwrap().contains("gradings"), "each chart has a text alternative: {probe:#}");
    }

    // Each total in the page is the scorecard's; the student who did not
    // compile has 0, the missing one none.
    let mut failures: std::collections::BTreeMap<String, usize> = Default::default();
    for name in ["lab-ada", "lab-bob", "lab-cy"] {
        let card = scorecard(&out, name);
        assert_eq!(probe["totals"][name], points(&card["score"]).as_str(), "{name}: {probe:#}");
        assert!(probe["links"].as_array().unwrap().iter().any(|l| l == &format!("./{name}.html")), "{probe:#}");
        for exercise in card["exercises"].as_array().unwrap() {
            for test in exercise["tests"].as_array().unwrap() {
                let key = format!("{} {}", exercise["id"].as_str().unwrap(), test["name"].as_str().unwrap());
                *failures.entry(key).or_default() += usize::from(test["status"] == "failed");
            }
        }
    }
    assert_eq!(probe["totals"]["dee"], "", "{probe:#}");
    let tests = probe["tests"].as_array().unwrap();
    assert_eq!(tests.len(), failures.len(), "{probe:#}");
    for test in tests {
        let key = test["test"].as_str().unwrap();
        assert_eq!(test["failed"], failures[key].to_string().as_str(), "{key}: {probe:#}");
    }
    assert!(failures.values().any(|&n| n > 0), "bob's panics fail tests: {failures:?}");
    assert!(probe["text"].as_str().unwrap().contains("this submission panics on purpose"), "messages are grouped");

    // bob's feedback page: his total, his messages, a place for diagnoses.
    let visit = browser.visit(&out.join("lab-bob.html"), PAGE_PROBE);
    assert_clean(&visit, &out, "bob's page");
    let bob = scorecard(&out, "lab-bob");
    assert_eq!(visit.probe["total"], points(&bob["score"]).as_str(), "{:#}", visit.probe);
    // Every message of a test that did not pass, in full and in order, as
    // the scorecard has it (the panic itself, and what the lanes made of it).
    let expected: Vec<&Value> = bob["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["tests"].as_array().unwrap())
        .filter(|t| t["status"] != "passed" && !t["message"].is_null())
        .map(|t| &t["message"])
        .collect();
    let shown: Vec<&Value> = visit.probe["messages"].as_array().unwrap().iter().collect();
    assert_eq!(shown, expected, "{:#}", visit.probe);
    assert!(shown.iter().any(|m| m.as_str().unwrap().contains("this submission panics on purpose")), "{shown:?}");
    // One diagnosis section per test whose scorecard holds a counterexample
    // or a hang diagnosis, and none where it holds neither.
    let diagnosed = bob["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["tests"].as_array().unwrap())
        .filter(|t| !t["counterexample"].is_null() || !t["hang"].is_null())
        .count();
    assert_eq!(visit.probe["diagnosis"].as_u64().unwrap(), diagnosed as u64, "{:#}", visit.probe);
    assert!(visit.probe["title"].as_str().unwrap().contains("Bob Babbage"), "{:#}", visit.probe);
    let markdown = fs::read_to_string(out.join("lab-bob.md")).unwrap();
    assert!(markdown.contains("# Feedback: Bob Babbage (lab-bob)") && markdown.contains("this submission panics"));

    // `grader report` makes the same pages from the scorecards alone.
    let dashboard = fs::read_to_string(out.join("index.html")).unwrap();
    let page = fs::read_to_string(out.join("lab-bob.html")).unwrap();
    fs::remove_file(out.join("index.html")).unwrap();
    fs::remove_file(out.join("lab-bob.html")).unwrap();
    let mut command = grader();
    command.arg("report").arg(&out).arg("--roster").arg(class.path().join("roster.csv"));
    run(&mut command, 0);
    assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), dashboard);
    assert_eq!(fs::read_to_string(out.join("lab-bob.html")).unwrap(), page);
    assert_eq!(fs::read_to_string(out.join("canvas.csv")).unwrap(), canvas);

    // A failure message and a submission name from a hostile submission
    // stay text: no element, no script, no request.
    let hostile = "</pre></td><script>document.title='pwned'</script><img src=\"http://127.0.0.1:9/x\" \
                   onerror=\"alert(1)\"><iframe src=\"https://example.invalid/\"></iframe>";
    let mut card = bob.clone();
    card["exercises"][0]["tests"][0]["message"] = Value::String(hostile.into());
    card["exercises"][0]["title"] = Value::String("<b onmouseover=alert(1)>x</b>".into());
    let name = "<svg onload=alert(1)>\"'&";
    fs::write(out.join(format!("{name}.json")), serde_json::to_string(&card).unwrap()).unwrap();
    let mut command = grader();
    command.arg("report").arg(&out);
    run(&mut command, 0);
    let visit = browser.visit(&out.join("index.html"), DASHBOARD_PROBE);
    assert_clean(&visit, &out, "the dashboard with a hostile scorecard");
    assert_eq!(visit.probe["active"], 0, "{:#}", visit.probe);
    assert!(visit.probe["text"].as_str().unwrap().contains("<script>document.title='pwned'</script>"));
    assert!(visit.probe["totals"].get(name).is_some(), "the hostile name is a row, as text: {:#}", visit.probe);
    let visit = browser.visit(&out.join(format!("{name}.html")), PAGE_PROBE);
    assert_clean(&visit, &out, "the hostile page");
    assert_eq!(visit.probe["active"], 0, "{:#}", visit.probe);
    assert_ne!(visit.probe["title"], "pwned");
    assert!(visit.probe["messages"].as_array().unwrap().iter().any(|m| m == hostile), "{:#}", visit.probe);
}

#[test]
fn report_refuses_a_scorecard_of_another_schema_version() {
    let out = tempfile::tempdir().unwrap();
    let card = serde_json::json!({
        "schema_version": 2, "score": 0.0, "max_score": 0.0, "exercises": [], "grader_version": "9",
        "submission": "x", "duration_secs": 0.0, "grader_peak_rss_mib": 0.0, "ignored_changes": [],
        "infrastructure_error": null, "tampered_files": null, "review_flags": []
    });
    fs::write(out.path().join("future.json"), card.to_string()).unwrap();
    let mut command = grader();
    command.arg("report").arg(out.path());
    let output = run(&mut command, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("future.json is a scorecard of schema_version 2"), "{stderr}");
    assert!(!out.path().join("index.html").exists(), "nothing is written from a refused folder");

    let empty = tempfile::tempdir().unwrap();
    let mut command = grader();
    command.arg("report").arg(empty.path());
    let output = run(&mut command, 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("holds no scorecard"));
}
