//! Exercism's test-runner `results.json`, version 3.

use serde_json::{Value, json};

use crate::report::entry::{all_entries, exercise_number, notices, overall_status, student_lines};
use crate::scorecard::Scorecard;

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
/// Tests whose group is not `visible` are one line per group, with its
/// result but no test names or messages (students read this file).
pub fn results_json(card: &Scorecard) -> Value {
    // Students read results.json: held-back tests are one line per group.
    let lines = student_lines(card);
    let tests: Vec<Value> = lines
        .iter()
        .map(|line| {
            let mut test = json!({
                "name": line.name,
                "status": line.status,
                "message": line.failure().map(|m| truncate(m, EXERCISM_MESSAGE_BYTES)),
                "test_code": "",
            });
            if let Some(task) = exercise_number(&line.exercise.id) {
                test["task_id"] = json!(task);
            }
            test
        })
        .collect();
    let status = overall_status(card, &all_entries(card));
    let message = (status == "error").then(|| {
        let mut text = notices(card);
        text.extend(lines.iter().filter_map(|line| line.failure().map(|f| format!("{}: {f}", line.exercise.id))));
        if text.is_empty() {
            text.push("no test was run".into());
        }
        truncate(&text.join("\n"), EXERCISM_MESSAGE_BYTES)
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

#[cfg(test)]
mod tests {
    use super::*;

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
