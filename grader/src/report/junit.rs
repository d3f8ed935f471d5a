//! JUnit XML, for the test-report widgets of CI services (GitHub's, GitLab's,
//! Jenkins').

use std::fmt::Write as _;

use crate::report::entry::{Entry, entries};
use crate::report::human::points;
use crate::scorecard::{ExerciseStatus, Scorecard, TestStatus};

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
pub fn to_string(card: &Scorecard) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
