//! The summary for people, on stderr: per exercise and test, the status,
//! the pass rate, the points and the first failure, in colour on a terminal.

use std::io::Write;

use anstyle::{AnsiColor, Style};

use crate::scorecard::{ExerciseStatus, LaneStatus, Scorecard, TestStatus};

const GREEN: Style = AnsiColor::Green.on_default();
const RED: Style = AnsiColor::Red.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
/// Lines of a failure message shown in the summary; the scorecard has all.
const MESSAGE_LINES: usize = 4;

/// Writes the summary of `scorecard` to stderr. anstream drops the colours
/// when stderr is not a terminal or NO_COLOR is set.
pub fn print(scorecard: &Scorecard) {
    let mut out = anstream::stderr().lock();
    let _ = write_summary(&mut out, scorecard);
}

pub fn write_summary(out: &mut impl Write, card: &Scorecard) -> std::io::Result<()> {
    for exercise in &card.exercises {
        let style = match exercise.status {
            ExerciseStatus::Passed => GREEN,
            ExerciseStatus::Failed => YELLOW,
            ExerciseStatus::BuildFailed | ExerciseStatus::Missing => RED,
        };
        writeln!(
            out,
            "{BOLD}{}{BOLD:#}  {}  {style}{}{style:#}  {}/{}",
            exercise.id,
            exercise.title,
            exercise.status.as_str(),
            points(exercise.score),
            points(exercise.max_score)
        )?;
        if let Some(message) = &exercise.message {
            write_message(out, message, "    ")?;
        }
        for lane in exercise.lanes.iter().filter(|l| l.status == LaneStatus::CouldNotRun) {
            let reason = lane.reason.as_deref().unwrap_or("no reason given");
            writeln!(out, "    {YELLOW}{} lane could not run{YELLOW:#}: {}", lane.lane.as_str(), first_line(reason))?;
        }
        for test in &exercise.tests {
            let (mark, style) = match test.status {
                TestStatus::Passed => ("ok  ", GREEN),
                TestStatus::Flaky => ("FLKY", YELLOW),
                TestStatus::TimedOut => ("TIME", RED),
                TestStatus::Failed => ("FAIL", RED),
                TestStatus::NotRun => ("SKIP", DIM),
            };
            writeln!(
                out,
                "  {style}{mark}{style:#} {}  {DIM}{}/{} runs, {}/{} points, {:.1} s{DIM:#}",
                test.name,
                test.passed_runs,
                test.runs,
                points(test.points),
                points(test.max_points),
                test.max_run_secs
            )?;
            if let Some(message) = &test.message {
                write_message(out, message, "       ")?;
            }
            if let Some(hang) = &test.hang {
                // The whole diagnosis: it is the part a student acts on.
                for line in super::hang::text(hang).lines() {
                    writeln!(out, "       {line}")?;
                }
            }
            if let Some(counterexample) = &test.counterexample {
                // The whole counterexample: it is what the student needs to
                // see the bug, and it is bounded (report::counterexample).
                for line in super::counterexample::text(counterexample).lines() {
                    writeln!(out, "       {line}")?;
                }
            } else if let Some(replay) = &test.replay {
                writeln!(out, "       {DIM}replay: {replay}{DIM:#}")?;
            }
        }
    }
    if let Some(files) = card.tampered_files.as_ref().filter(|f| !f.is_empty()) {
        writeln!(out, "{RED}tampered{RED:#}: grading files differ from grading-manifest.json: {}", files.join(", "))?;
    }
    if !card.ignored_changes.is_empty() {
        writeln!(
            out,
            "{YELLOW}ignored{YELLOW:#}: {} change(s) outside the exercises' src/ folders (tests, manifests, links); they had no effect",
            card.ignored_changes.len()
        )?;
    }
    if !card.review_flags.is_empty() {
        writeln!(
            out,
            "{YELLOW}review{YELLOW:#}: {} construct(s) flagged for the instructor (see review_flags in the scorecard)",
            card.review_flags.len()
        )?;
    }
    writeln!(
        out,
        "{BOLD}total: {} / {}{BOLD:#}  ({:.1} s)",
        points(card.score),
        points(card.max_score),
        card.duration_secs
    )
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

fn write_message(out: &mut impl Write, message: &str, indent: &str) -> std::io::Result<()> {
    let lines: Vec<&str> = message.lines().collect();
    for line in lines.iter().take(MESSAGE_LINES) {
        writeln!(out, "{indent}{line}")?;
    }
    if lines.len() > MESSAGE_LINES {
        writeln!(out, "{indent}{DIM}[{} more lines in the scorecard]{DIM:#}", lines.len() - MESSAGE_LINES)?;
    }
    Ok(())
}

/// Points without a trailing ".0": 20, 6.67.
pub fn points(value: f64) -> String {
    if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.2}") }
}
