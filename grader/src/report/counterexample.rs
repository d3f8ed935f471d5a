//! A counterexample of the controlled lane, for people: the scenario, what
//! it returned, why no sequential order explains that, the interleaving as
//! lines of the student's own code, and the command that replays it.
//! `text` is for a terminal or any plain-text field (Gradescope's output,
//! JUnit); `markdown` for the Markdown report and the feedback page.

use std::fmt::Write;

use crate::scorecard::Counterexample;

/// Steps shown; a longer interleaving is cut in the middle of nothing: the
/// first steps are shown and the rest counted (the scorecard has all).
const MAX_STEPS: usize = 40;

/// Plain text, lines without indentation (the caller indents).
pub fn text(ce: &Counterexample) -> String {
    let mut out = String::new();
    out.push_str("scenario:\n");
    for line in &ce.scenario {
        let _ = writeln!(out, "  {line}");
    }
    out.push_str("observed:\n");
    for line in &ce.observed {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "why this is wrong: {}", ce.explanation);
    if !ce.steps.is_empty() {
        out.push_str("interleaving:\n");
        let width = ce.steps.iter().take(MAX_STEPS).map(|s| s.thread.chars().count()).max().unwrap_or(0);
        for step in ce.steps.iter().take(MAX_STEPS) {
            // A step of the scenario itself (a call starting) has no line.
            if step.file.is_empty() {
                let _ = writeln!(out, "  {:width$}  {}", step.thread, step.operation);
            } else {
                let _ = writeln!(
                    out,
                    "  {:width$}  {}:{}  {}  ({})",
                    step.thread,
                    step.file,
                    step.line,
                    step.source.trim(),
                    step.operation
                );
            }
        }
        if ce.steps.len() > MAX_STEPS {
            let _ = writeln!(out, "  ... and {} more steps", ce.steps.len() - MAX_STEPS);
        }
    }
    let _ = write!(out, "replay this interleaving: {}", ce.replay);
    out
}

/// Markdown: lists for the scenario and results, a table for the steps.
pub fn markdown(ce: &Counterexample) -> String {
    let mut out = String::new();
    out.push_str("**Scenario**\n\n");
    for line in &ce.scenario {
        let _ = writeln!(out, "- {}", inline_code(line));
    }
    out.push_str("\n**Observed**\n\n");
    for line in &ce.observed {
        let _ = writeln!(out, "- {}", inline_code(line));
    }
    let _ = writeln!(out, "\n**Why no sequential order explains it:** {}\n", escape(&ce.explanation));
    if !ce.steps.is_empty() {
        out.push_str("| thread | where | code | operation |\n|---|---|---|---|\n");
        for step in ce.steps.iter().take(MAX_STEPS) {
            let (place, code) = if step.file.is_empty() {
                (String::new(), String::new())
            } else {
                (format!("{}:{}", escape(&step.file), step.line), inline_code(step.source.trim()))
            };
            let _ = writeln!(out, "| {} | {place} | {code} | {} |", escape(&step.thread), escape(&step.operation));
        }
        if ce.steps.len() > MAX_STEPS {
            let _ = writeln!(out, "\n... and {} more steps (see the scorecard)", ce.steps.len() - MAX_STEPS);
        }
        out.push('\n');
    }
    let _ = write!(out, "Replay this interleaving:\n\n```sh\n{}\n```\n", ce.replay.replace("```", "'''"));
    out
}

/// Text in backticks, with enough of them that a backtick inside cannot
/// end the span, and no pipe that would split a table cell.
fn inline_code(text: &str) -> String {
    let text = text.replace('|', "\\|").replace('\n', " ");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Text a student's code can influence (thread names, operations), made
/// inert: no HTML, no table cell breaks, no emphasis, one line.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorecard::CounterexampleStep;

    fn sample() -> Counterexample {
        let step = |thread: &str, line: u32, source: &str| CounterexampleStep {
            thread: thread.into(),
            operation: "Mutex::lock".into(),
            file: "src/lib.rs".into(),
            line,
            source: format!("    {source}"),
        };
        Counterexample {
            scenario: vec!["thread 1: withdraw(600)".into(), "thread 2: withdraw(600)".into()],
            observed: vec!["thread 1: Ok(400)".into(), "thread 2: Ok(400)".into(), "balance: 400".into()],
            explanation: "in either order, the second withdrawal of 600 from 1000 fails".into(),
            steps: vec![
                step("thread 1", 14, "let balance = *self.balance.lock().unwrap();"),
                step("thread 2", 14, "let balance = *self.balance.lock().unwrap();"),
                step("thread 1", 17, "*self.balance.lock().unwrap() = balance - amount; // a | b `x`"),
            ],
            replay: "STRESS_SEED=7 cargo test -p exercise-1 --test lane -- lane_scenarios_are_linearizable --exact"
                .into(),
        }
    }

    #[test]
    fn text_shows_the_scenario_the_results_the_steps_and_the_replay() {
        let text = text(&sample());
        assert!(text.contains("scenario:\n  thread 1: withdraw(600)\n  thread 2: withdraw(600)\n"), "{text}");
        assert!(text.contains("observed:\n  thread 1: Ok(400)"), "{text}");
        assert!(text.contains("why this is wrong: in either order"), "{text}");
        assert!(
            text.contains("  thread 2  src/lib.rs:14  let balance = *self.balance.lock().unwrap();  (Mutex::lock)"),
            "{text}"
        );
        assert!(text.ends_with("replay this interleaving: STRESS_SEED=7 cargo test -p exercise-1 --test lane -- lane_scenarios_are_linearizable --exact"), "{text}");
    }

    #[test]
    fn markdown_keeps_student_text_inside_its_cells() {
        let md = markdown(&sample());
        assert!(md.contains("- `thread 1: withdraw(600)`"), "{md}");
        assert!(
            md.contains("| thread 1 | src/lib.rs:14 | `let balance = *self.balance.lock().unwrap();` | Mutex::lock |"),
            "{md}"
        );
        let last = md.lines().find(|l| l.contains("lib.rs:17")).unwrap();
        assert_eq!(last.matches(" | ").count(), 3, "the pipe in the code does not add a cell: {last}");
        assert!(last.contains("`` *self.balance"), "a backtick in the code gets a longer fence: {last}");
        assert!(md.contains("```sh\nSTRESS_SEED=7 cargo test"), "{md}");

        let mut hostile = sample();
        hostile.steps[0].thread = "<img src=x> | *bold*\nnext".into();
        let md = markdown(&hostile);
        assert!(md.contains("\\<img src=x\\> \\| \\*bold\\* next"), "{md}");
    }

    #[test]
    fn a_step_of_the_scenario_itself_has_no_place() {
        let mut ce = sample();
        ce.steps.insert(
            0,
            CounterexampleStep {
                thread: "T1".into(),
                operation: "calls withdraw(600)".into(),
                file: String::new(),
                line: 0,
                source: String::new(),
            },
        );
        assert!(text(&ce).contains("\n  T1        calls withdraw(600)\n"), "{}", text(&ce));
        assert!(markdown(&ce).contains("| T1 |  |  | calls withdraw(600) |"), "{}", markdown(&ce));
    }

    #[test]
    fn a_long_interleaving_is_cut_and_counted() {
        let mut long = sample();
        long.steps = (0..100).map(|i| CounterexampleStep { line: i, ..sample().steps[0].clone() }).collect();
        assert!(text(&long).contains("... and 60 more steps"));
        assert!(markdown(&long).contains("... and 60 more steps"));
    }
}
