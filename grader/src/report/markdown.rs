//! A Markdown report, for a GitHub job summary (`$GITHUB_STEP_SUMMARY`),
//! Classroom 50's `release-body.md` and Gradescope's output: reports
//! students read. Tests whose group is not `visible` (hidden, or shown
//! later, as grading-only tests are) are held back: one line per group with
//! its result and points, no test names, no messages.

use std::fmt::Write as _;

use crate::report::entry::{Entry, always_shown, held_back_groups, held_back_name, notices};
use crate::report::human::points;
use crate::scorecard::{ExerciseStatus, Scorecard, TestStatus};

/// A Markdown report for a GitHub job summary: the total and a table of
/// exercises, then per exercise a table of its tests (test, status, runs,
/// points) and each failure's message in a collapsed `<details>`.
pub fn to_string(card: &Scorecard) -> String {
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
        for test in exercise.tests.iter().filter(|t| always_shown(t)) {
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
        for (group, tests) in held_back_groups(exercise) {
            let passed = tests.iter().all(|t| t.status == TestStatus::Passed);
            let _ = writeln!(
                out,
                "| {} | {} | | {} / {} |",
                md_cell(&held_back_name(group, tests.len())),
                test_mark(if passed { TestStatus::Passed } else { TestStatus::Failed }),
                points(tests.iter().map(|t| t.points).sum::<f64>() + 0.0),
                points(tests.iter().map(|t| t.max_points).sum::<f64>() + 0.0)
            );
        }
        for test in exercise.tests.iter().filter(|t| t.status != TestStatus::Passed && always_shown(t)) {
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
    use super::*;

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
}
