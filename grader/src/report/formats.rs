//! Export formats: one scorecard rendered for the tools that show or record
//! grades elsewhere. Gradescope's `results.json`, JUnit XML for CI
//! test-report widgets, Markdown for a GitHub job summary, GitHub
//! Classroom's autograding result, and Exercism's test-runner
//! `results.json` (version 3). The JSON scorecard stays the record; every
//! other format is derived from it and carries only what its consumer reads.
//!
//! A scorecard lists tests per exercise, but an exercise that did not build
//! or was not submitted has no tests. Every format still shows it, as one
//! entry of its own ("exercise-2: build", "exercise-4: submission") worth
//! the exercise's points, so that the points a consumer adds up match the
//! scorecard's `max_score`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::config::Output;
use crate::error::{GraderError, Result};
use crate::report::human::points;
use crate::scorecard::{ExerciseCard, ExerciseStatus, SCHEMA_VERSION, Scorecard, TestCard, TestStatus};

/// What `grade --output` and `convert` write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Format {
    /// The JSON scorecard itself (the contract's format).
    Json,
    /// Gradescope's autograder `results.json`.
    Gradescope,
    /// JUnit XML, for CI test-report widgets.
    Junit,
    /// A Markdown report, for `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// GitHub Classroom's autograding result: base64 of its JSON.
    Classroom,
    /// Exercism's test-runner `results.json`, version 3.
    Exercism,
}

impl Format {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Gradescope => "gradescope",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Classroom => "classroom",
            Format::Exercism => "exercism",
        }
    }
}

/// The scorecard in `format`, ending in a newline.
///
/// For [`Format::Classroom`] this is the *base64* of the JSON object that
/// [`classroom_json`] returns: GitHub Classroom's
/// `autograding-grading-reporter` reads each runner's result from an
/// environment variable `<RUNNER>_RESULTS` (set from a step output
/// `result`) and decodes it as base64 before parsing the JSON. The trailing
/// newline is harmless there: Node's base64 decoder skips whitespace.
pub fn render(card: &Scorecard, format: Format) -> String {
    let mut text = match format {
        Format::Json => return super::json::to_string(card),
        Format::Gradescope => pretty(&gradescope_json(card)),
        Format::Junit => return junit_xml(card),
        Format::Markdown => return markdown(card),
        Format::Classroom => {
            let json = serde_json::to_string(&classroom_json(card)).expect("a JSON value always serializes");
            base64::engine::general_purpose::STANDARD.encode(json)
        }
        Format::Exercism => pretty(&exercism_json(card)),
    };
    text.push('\n');
    text
}

/// Writes the scorecard in `format` to a file (atomically, like the JSON
/// scorecard) or to stdout. JSON goes through `report::json`, so
/// `--format json` is exactly the contract's output.
pub fn write(card: &Scorecard, format: Format, output: &Output) -> Result<()> {
    if format == Format::Json {
        return super::json::write(card, output);
    }
    let text = render(card, format);
    match output {
        Output::Stdout => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| GraderError::io(format!("writing the {} report to stdout", format.name()), e)),
        Output::File(path) => write_file(path, &text),
    }
}

/// Reads a scorecard that `grade --output` or `batch` wrote. Anything else
/// is a usage error whose message says which file and why, on one line.
pub fn read_scorecard(path: &Path) -> Result<Scorecard> {
    let text = std::fs::read_to_string(path).map_err(|e| GraderError::io(format!("reading {}", path.display()), e))?;
    let card: Scorecard = serde_json::from_str(&text)
        .map_err(|e| GraderError::Usage(format!("{} is not a grader scorecard: {e}", path.display())))?;
    if card.schema_version != SCHEMA_VERSION {
        return Err(GraderError::Usage(format!(
            "{} is a scorecard of schema_version {}; this grader reads schema_version {SCHEMA_VERSION}",
            path.display(),
            card.schema_version
        )));
    }
    Ok(card)
}

/// Writes through a temporary file in the same folder, so a reader never
/// sees half a report (the same way `report::json` writes the scorecard).
fn write_file(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let context = || format!("writing {}", path.display());
    std::fs::create_dir_all(&dir).map_err(|e| GraderError::io(format!("creating {}", dir.display()), e))?;
    let mut temp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| GraderError::io(context(), e))?;
    temp.write_all(text.as_bytes()).map_err(|e| GraderError::io(context(), e))?;
    temp.persist(path).map_err(|e| GraderError::io(context(), e.error))?;
    Ok(())
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("a JSON value always serializes")
}

// ---------------------------------------------------------------------------
// What every format shows: one entry per test, or per unbuilt exercise.

/// One line of a test report.
enum Entry<'a> {
    /// A test that was planned (it may still not have run).
    Test(&'a ExerciseCard, &'a TestCard),
    /// An exercise without tests to show: it did not build, or was not
    /// submitted.
    Exercise(&'a ExerciseCard),
}

/// The entries of one exercise, in the scorecard's order (Exercism asks for
/// the order of the tests file, which is the order the grader lists).
fn entries(exercise: &ExerciseCard) -> Vec<Entry<'_>> {
    match exercise.status {
        ExerciseStatus::BuildFailed | ExerciseStatus::Missing => vec![Entry::Exercise(exercise)],
        ExerciseStatus::Passed | ExerciseStatus::Failed => {
            exercise.tests.iter().map(|test| Entry::Test(exercise, test)).collect()
        }
    }
}

fn all_entries(card: &Scorecard) -> Vec<Entry<'_>> {
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
    fn exercise(&self) -> &ExerciseCard {
        match self {
            Entry::Test(exercise, _) | Entry::Exercise(exercise) => exercise,
        }
    }

    /// The test's name within its exercise.
    fn short_name(&self) -> &str {
        match self {
            Entry::Test(_, test) => &test.name,
            Entry::Exercise(exercise) => exercise_entry_name(exercise),
        }
    }

    /// "exercise-1: two_withdrawals_never_both_succeed": unique across the
    /// scorecard, for formats with one flat list of tests.
    fn full_name(&self) -> String {
        format!("{}: {}", self.exercise().id, self.short_name())
    }

    fn passed(&self) -> bool {
        matches!(self, Entry::Test(_, test) if test.status == TestStatus::Passed)
    }

    /// Whether a test process ran at all for this entry.
    fn ran(&self) -> bool {
        matches!(self, Entry::Test(_, test) if test.status != TestStatus::NotRun)
    }

    fn score(&self) -> f64 {
        match self {
            Entry::Test(_, test) => test.points,
            Entry::Exercise(exercise) => exercise.score,
        }
    }

    fn max_score(&self) -> f64 {
        match self {
            Entry::Test(_, test) => test.max_points,
            Entry::Exercise(exercise) => exercise.max_score,
        }
    }

    /// The scorecard's status word for this entry.
    fn status_word(&self) -> &'static str {
        match self {
            Entry::Test(_, test) => test.status.as_str(),
            Entry::Exercise(exercise) => exercise.status.as_str(),
        }
    }

    /// What a student reads about this entry: the outcome, the first
    /// failure, and the command that replays it.
    fn detail(&self) -> String {
        match self {
            Entry::Test(_, test) if test.status == TestStatus::Passed => {
                format!("passed all {} runs", test.runs)
            }
            Entry::Test(_, test) => {
                let mut text = format!("{}: ", test.status.as_str());
                text.push_str(test.message.as_deref().unwrap_or("no message"));
                if let Some(replay) = &test.replay {
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
    fn failure(&self) -> Option<String> {
        (!self.passed()).then(|| self.detail())
    }
}

/// The exercise number of an id such as `exercise-3`, if it has one.
fn exercise_number(id: &str) -> Option<u64> {
    id.rsplit('-').next().and_then(|n| n.parse().ok())
}

/// Lines about the whole grading that are not any test's: an
/// infrastructure error and tampered grading files.
fn notices(card: &Scorecard) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(reason) = &card.infrastructure_error {
        lines.push(format!("infrastructure error: {reason}; these scores are not a grade"));
    }
    if let Some(files) = card.tampered_files.as_ref().filter(|f| !f.is_empty()) {
        lines.push(format!("tampered: grading files differ from grading-manifest.json: {}", files.join(", ")));
    }
    lines
}

// ---------------------------------------------------------------------------
// Gradescope

/// Gradescope's `results.json`, as its autograder specification describes
/// it: a top-level `score` (it overrides the sum of the tests' scores, and
/// equals it here), `execution_time` in whole seconds, an `output` for the
/// whole submission, `visibility`, and `tests` with `score`, `max_score`,
/// `status` ("passed" or "failed"), `name`, `output` and `visibility`. The
/// specification has no top-level `max_score`: Gradescope adds up the
/// tests' `max_score`, so it is not written.
pub fn gradescope_json(card: &Scorecard) -> Value {
    let tests: Vec<Value> = all_entries(card)
        .iter()
        .map(|entry| {
            json!({
                "score": entry.score(),
                "max_score": entry.max_score(),
                "status": if entry.passed() { "passed" } else { "failed" },
                "name": entry.full_name(),
                "output": entry.detail(),
                "visibility": "visible",
            })
        })
        .collect();
    let mut output = format!(
        "grader {}: {} / {} points in {:.0} s",
        card.grader_version,
        points(card.score),
        points(card.max_score),
        card.duration_secs
    );
    for exercise in &card.exercises {
        let _ = write!(
            output,
            "\n{} {}: {}, {} / {}",
            exercise.id,
            exercise.title,
            exercise.status.as_str(),
            points(exercise.score),
            points(exercise.max_score)
        );
    }
    for notice in notices(card) {
        let _ = write!(output, "\n{notice}");
    }
    json!({
        "score": card.score,
        // The specification's example is a whole number of seconds; a NaN
        // or negative duration becomes 0 (`as` saturates).
        "execution_time": card.duration_secs.round() as u64,
        "output": output,
        // The default top-level format is HTML-like; plain text keeps a `<`
        // in a title or a file name from being read as markup.
        "output_format": "text",
        "visibility": "visible",
        "tests": tests,
    })
}

// ---------------------------------------------------------------------------
// GitHub Classroom

/// GitHub Classroom's autograding result: the object the
/// `autograding-grading-reporter` action decodes for each runner.
/// `status` is "pass", "fail" or "error" (the reporter fails the check on
/// the last two); `max_score` is what the runner is worth; each test has
/// `name`, `status`, `score` (the reporter adds these up as the points it
/// sends to Classroom) and `message` (printed under a test that did not
/// pass).
pub fn classroom_json(card: &Scorecard) -> Value {
    let entries = all_entries(card);
    let tests: Vec<Value> = entries
        .iter()
        .map(|entry| {
            let status = match entry {
                Entry::Test(_, test) if test.status == TestStatus::Passed => "pass",
                Entry::Test(_, test) if test.status != TestStatus::NotRun => "fail",
                _ => "error",
            };
            json!({
                "name": entry.full_name(),
                "status": status,
                "score": entry.score(),
                "message": entry.detail(),
            })
        })
        .collect();
    json!({
        "version": 1,
        "status": overall_status(card, &entries),
        "max_score": card.max_score,
        "tests": tests,
    })
}

/// "pass", "fail" or "error", in the sense both Classroom and Exercism
/// give them: "error" when no test could run (nothing built) or the
/// grading itself cannot be trusted.
fn overall_status(card: &Scorecard, entries: &[Entry]) -> &'static str {
    if card.infrastructure_error.is_some() || !entries.iter().any(Entry::ran) {
        "error"
    } else if entries.iter().all(Entry::passed) {
        "pass"
    } else {
        "fail"
    }
}

// ---------------------------------------------------------------------------
// Exercism

/// Exercism caps the top-level `message` at 65,535 bytes; the same cap is
/// applied to every message, which a scorecard's messages never reach in
/// practice.
const EXERCISM_MESSAGE_BYTES: usize = 65_535;

/// Exercism's test-runner `results.json`, version 3: `version`, `status`
/// ("pass", "fail", or "error" when no test ran), `message` (required with
/// "error", `null` otherwise), and `tests` in the order of the tests file,
/// each with `name`, `status` ("pass", "fail", "error"), `message` (`null`
/// for a pass), `test_code` (empty: the grader knows the test's name, not
/// its body) and `task_id`, the exercise's number, when its id ends in one.
pub fn exercism_json(card: &Scorecard) -> Value {
    let entries = all_entries(card);
    let tests: Vec<Value> = entries
        .iter()
        .map(|entry| {
            let status = match entry {
                Entry::Test(_, test) if test.status == TestStatus::Passed => "pass",
                Entry::Test(_, test) if test.status != TestStatus::NotRun => "fail",
                _ => "error",
            };
            let mut test = json!({
                "name": entry.full_name(),
                "status": status,
                "message": entry.failure().map(|m| truncate(&m, EXERCISM_MESSAGE_BYTES)),
                "test_code": "",
            });
            if let Some(task) = exercise_number(&entry.exercise().id) {
                test["task_id"] = json!(task);
            }
            test
        })
        .collect();
    let status = overall_status(card, &entries);
    let message = (status == "error").then(|| {
        let mut lines = notices(card);
        lines.extend(
            entries
                .iter()
                .filter_map(|entry| entry.failure().map(|failure| format!("{}: {}", entry.exercise().id, failure))),
        );
        if lines.is_empty() {
            lines.push("no test was run".into());
        }
        truncate(&lines.join("\n"), EXERCISM_MESSAGE_BYTES)
    });
    json!({
        "version": 3,
        "status": status,
        "message": message,
        "tests": tests,
    })
}

/// `text` cut to at most `max` bytes on a character boundary, saying so.
fn truncate(text: &str, max: usize) -> String {
    const MARK: &str = "\n[truncated]";
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub(MARK.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{MARK}", &text[..end])
}

// ---------------------------------------------------------------------------
// JUnit XML

/// How one JUnit test case ended.
enum Outcome {
    Passed,
    /// `<failure>`: the test ran and did not pass every run.
    Failure {
        kind: &'static str,
        message: String,
    },
    /// `<error>`: the test could not be run (the exercise did not build).
    Error {
        kind: &'static str,
        message: String,
    },
    /// `<skipped>`: not run, with no fault found (not submitted, or its
    /// process was never started).
    Skipped {
        message: String,
    },
}

struct Case {
    name: String,
    classname: String,
    outcome: Outcome,
}

/// A `<testsuite>`: an exercise, or the grading as a whole.
struct Suite {
    name: String,
    properties: Vec<(&'static str, String)>,
    cases: Vec<Case>,
}

/// JUnit XML: one `<testsuites>` holding a `<testsuite>` per exercise and
/// a `<testcase>` per test, as the JUnit schema used by Jenkins and the CI
/// report widgets reads it. Every suite's `tests`, `failures`, `errors`
/// and `skipped` are counted from the cases written, so they always agree.
/// The scorecard keeps no time per test: cases and suites say 0 seconds,
/// and `<testsuites>` the whole grading's time.
pub fn junit_xml(card: &Scorecard) -> String {
    let mut suites: Vec<Suite> = card
        .exercises
        .iter()
        .map(|exercise| Suite {
            name: exercise.id.clone(),
            properties: vec![
                ("title", exercise.title.clone()),
                ("status", exercise.status.as_str().to_string()),
                ("score", points(exercise.score)),
                ("max_score", points(exercise.max_score)),
            ],
            cases: entries(exercise).iter().map(junit_case).collect(),
        })
        .collect();
    // What concerns the whole grading gets a suite of its own, so that a CI
    // widget shows it as an error or a failure rather than hiding it.
    let mut grader_cases = Vec::new();
    if let Some(reason) = &card.infrastructure_error {
        grader_cases.push(Case {
            name: "infrastructure".into(),
            classname: "grader".into(),
            outcome: Outcome::Error {
                kind: "infrastructure_error",
                message: format!("{reason}; these scores are not a grade"),
            },
        });
    }
    if let Some(files) = card.tampered_files.as_ref().filter(|f| !f.is_empty()) {
        grader_cases.push(Case {
            name: "grading_files_match_manifest".into(),
            classname: "grader".into(),
            outcome: Outcome::Failure {
                kind: "tampered",
                message: format!("grading files differ from grading-manifest.json: {}", files.join(", ")),
            },
        });
    }
    if !grader_cases.is_empty() {
        suites.push(Suite { name: "grader".into(), properties: Vec::new(), cases: grader_cases });
    }

    let count = |cases: &[Case], pick: fn(&Outcome) -> bool| cases.iter().filter(|c| pick(&c.outcome)).count();
    let is_failure = |o: &Outcome| matches!(o, Outcome::Failure { .. });
    let is_error = |o: &Outcome| matches!(o, Outcome::Error { .. });
    let is_skipped = |o: &Outcome| matches!(o, Outcome::Skipped { .. });
    let all: Vec<&Case> = suites.iter().flat_map(|suite| &suite.cases).collect();
    let total = |pick: fn(&Outcome) -> bool| all.iter().filter(|c| pick(&c.outcome)).count();

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"grader\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        all.len(),
        total(is_failure),
        total(is_error),
        total(is_skipped),
        seconds(card.duration_secs)
    );
    for Suite { name, properties, cases } in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
            xml_attr(name),
            cases.len(),
            count(cases, is_failure),
            count(cases, is_error),
            count(cases, is_skipped),
            seconds(0.0)
        );
        if !properties.is_empty() {
            out.push_str("    <properties>\n");
            for (key, value) in properties {
                let _ = writeln!(out, "      <property name=\"{}\" value=\"{}\"/>", xml_attr(key), xml_attr(value));
            }
            out.push_str("    </properties>\n");
        }
        for case in cases {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
                xml_attr(&case.name),
                xml_attr(&case.classname),
                seconds(0.0)
            );
            match &case.outcome {
                Outcome::Passed => out.push_str("/>\n"),
                Outcome::Failure { kind, message } => junit_problem(&mut out, "failure", Some(kind), message),
                Outcome::Error { kind, message } => junit_problem(&mut out, "error", Some(kind), message),
                Outcome::Skipped { message } => junit_problem(&mut out, "skipped", None, message),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn junit_case(entry: &Entry) -> Case {
    let outcome = match entry {
        Entry::Test(_, test) => match test.status {
            TestStatus::Passed => Outcome::Passed,
            TestStatus::NotRun => Outcome::Skipped { message: entry.detail() },
            status => Outcome::Failure { kind: status.as_str(), message: entry.detail() },
        },
        Entry::Exercise(exercise) if exercise.status == ExerciseStatus::Missing => {
            Outcome::Skipped { message: entry.detail() }
        }
        Entry::Exercise(_) => Outcome::Error { kind: entry.status_word(), message: entry.detail() },
    };
    Case { name: entry.short_name().to_string(), classname: entry.exercise().id.clone(), outcome }
}

/// Closes a `<testcase>` with its `<failure>`, `<error>` or `<skipped>`:
/// the first line of the message as the `message` attribute (what report
/// widgets show as the title), the whole message as the element's text.
fn junit_problem(out: &mut String, element: &str, kind: Option<&str>, message: &str) {
    let first_line = message.lines().next().unwrap_or_default();
    let _ = write!(out, ">\n      <{element} message=\"{}\"", xml_attr(first_line));
    if let Some(kind) = kind {
        let _ = write!(out, " type=\"{}\"", xml_attr(kind));
    }
    let _ = writeln!(out, ">{}</{element}>\n    </testcase>", xml_text(message));
}

/// Seconds as the JUnit schema's time type allows: digits, a point, digits
/// (never an exponent, a sign, or "NaN").
fn seconds(value: f64) -> String {
    let value = if value.is_finite() && value > 0.0 { value } else { 0.0 };
    format!("{value:.3}")
}

/// Whether XML 1.0 can carry `c` at all. Most C0 control characters cannot,
/// even escaped; a test's output may hold them (the escape of a colour
/// code), and one would make the whole report unreadable to a parser.
fn xml_char_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Text content, escaped. A carriage return is written as a character
/// reference because a parser would otherwise turn "\r\n" into "\n".
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            // Escaping every `>` also rules out the forbidden "]]>".
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if xml_char_allowed(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// An attribute value in double quotes, escaped. Tabs and line breaks are
/// character references: a parser turns literal ones into spaces.
fn xml_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if xml_char_allowed(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Markdown

/// A Markdown report for a GitHub job summary: the total and a table of
/// exercises, then per exercise a table of its tests (test, status, runs,
/// points) and each failure's message in a collapsed `<details>`.
pub fn markdown(card: &Scorecard) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Grade: {} / {}\n", points(card.score), points(card.max_score));
    for notice in notices(card) {
        let _ = writeln!(out, "> **{}**\n", md_cell(&notice));
    }
    out.push_str("| exercise | status | points |\n| --- | --- | --- |\n");
    for exercise in &card.exercises {
        let _ = writeln!(
            out,
            "| {} {} | {} | {} / {} |",
            md_cell(&exercise.id),
            md_cell(&exercise.title),
            exercise_mark(exercise.status),
            points(exercise.score),
            points(exercise.max_score)
        );
    }
    let _ = writeln!(out, "| **total** | | **{} / {}** |", points(card.score), points(card.max_score));
    for exercise in &card.exercises {
        let _ = write!(out, "\n### {} {}\n\n", md_cell(&exercise.id), md_cell(&exercise.title));
        if exercise.tests.is_empty() || matches!(exercise.status, ExerciseStatus::BuildFailed | ExerciseStatus::Missing)
        {
            let _ = writeln!(
                out,
                "{}: {} / {}",
                exercise_mark(exercise.status),
                points(exercise.score),
                points(exercise.max_score)
            );
            if let Some(message) = &exercise.message {
                md_details(&mut out, exercise.status.as_str(), message);
            }
            continue;
        }
        out.push_str("| test | status | runs | points |\n| --- | --- | --- | --- |\n");
        for test in &exercise.tests {
            let _ = writeln!(
                out,
                "| {} | {} | {} / {} | {} / {} |",
                md_cell(&test.name),
                test_mark(test.status),
                test.passed_runs,
                test.runs,
                points(test.points),
                points(test.max_points)
            );
        }
        for test in exercise.tests.iter().filter(|t| t.status != TestStatus::Passed) {
            let entry = Entry::Test(exercise, test);
            md_details(&mut out, &format!("{}: {}", test.name, test.status.as_str()), &entry.detail());
        }
    }
    out
}

fn exercise_mark(status: ExerciseStatus) -> &'static str {
    match status {
        ExerciseStatus::Passed => "✅ passed",
        ExerciseStatus::Failed => "❌ failed",
        ExerciseStatus::BuildFailed => "🛠️ build failed",
        ExerciseStatus::Missing => "➖ missing",
    }
}

fn test_mark(status: TestStatus) -> &'static str {
    match status {
        TestStatus::Passed => "✅ passed",
        TestStatus::Failed => "❌ failed",
        TestStatus::Flaky => "⚠️ flaky",
        TestStatus::TimedOut => "⏱️ timed out",
        TestStatus::NotRun => "⏭️ not run",
    }
}

/// A collapsed block: `summary` as its title, `body` verbatim in a code
/// block whose fence is longer than any run of backticks in the body, so
/// nothing in a test's output can close it early or be read as Markdown.
fn md_details(out: &mut String, summary: &str, body: &str) {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = write!(
        out,
        "\n<details><summary>{}</summary>\n\n{fence}text\n{body}\n{fence}\n\n</details>\n",
        html_text(summary)
    );
}

/// A table cell: a `|` would end the cell and a line break the row.
fn md_cell(text: &str) -> String {
    html_text(text).replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// Text that GitHub's Markdown must not read as HTML.
fn html_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    #[test]
    fn format_names_are_the_command_line_values() {
        for format in Format::value_variants() {
            let value = format.to_possible_value().expect("no variant is hidden");
            assert_eq!(value.get_name(), format.name());
            assert_eq!(Format::from_str(format.name(), false), Ok(*format));
        }
        assert_eq!(Format::value_variants().len(), 6);
    }

    #[test]
    fn xml_escaping_keeps_markup_out_and_drops_what_xml_cannot_carry() {
        assert_eq!(xml_text("a<b>&c]]>"), "a&lt;b&gt;&amp;c]]&gt;");
        assert_eq!(xml_text("esc\u{1b}[31m nul\0 ok\tline\n"), "esc\u{FFFD}[31m nul\u{FFFD} ok\tline\n");
        assert_eq!(xml_text("crlf\r\n"), "crlf&#13;\n");
        assert_eq!(xml_attr("say \"hi\" & 'bye'\n<x>"), "say &quot;hi&quot; &amp; &apos;bye&apos;&#10;&lt;x&gt;");
        assert_eq!(xml_attr("\u{FFFE}\u{10000}"), "\u{FFFD}\u{10000}");
    }

    #[test]
    fn junit_times_are_plain_decimals() {
        assert_eq!(seconds(1.23456), "1.235");
        assert_eq!(seconds(f64::NAN), "0.000");
        assert_eq!(seconds(-1.0), "0.000");
        assert_eq!(seconds(f64::INFINITY), "0.000");
    }

    #[test]
    fn markdown_cells_escape_pipes_line_breaks_and_html() {
        assert_eq!(md_cell("a | b\nc <d>"), "a \\| b c &lt;d&gt;");
    }

    #[test]
    fn a_details_fence_outlasts_the_backticks_in_the_body() {
        let mut out = String::new();
        md_details(&mut out, "t: failed", "left: ```` right");
        assert!(out.contains("\n`````text\n"), "{out}");
        let mut out = String::new();
        md_details(&mut out, "t: failed", "plain");
        assert!(out.contains("\n```text\nplain\n```\n"), "{out}");
    }

    #[test]
    fn truncation_stays_on_a_character_boundary_within_the_limit() {
        assert_eq!(truncate("short", 10), "short");
        let long = "é".repeat(100);
        let cut = truncate(&long, 51);
        assert!(cut.len() <= 51, "{}", cut.len());
        assert!(cut.ends_with("[truncated]"));
    }

    #[test]
    fn exercise_numbers_come_from_the_id() {
        assert_eq!(exercise_number("exercise-3"), Some(3));
        assert_eq!(exercise_number("exercise-12"), Some(12));
        assert_eq!(exercise_number("bonus"), None);
    }
}
