//! Gradescope's autograder `results.json`, for `grader gradescope`'s
//! `run_autograder` and `grade --format gradescope`.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::report::entry::{all_entries, notices};
use crate::report::human::points;
use crate::scorecard::Scorecard;

/// Gradescope's `results.json`, as its autograder specification describes
/// it: a top-level `score` (it overrides the sum of the tests' scores, and
/// equals it here), `execution_time` in whole seconds, an `output` for the
/// whole submission, `visibility`, and `tests` with `score`, `max_score`,
/// `status` ("passed" or "failed"), `name`, `output` and `visibility`. The
/// specification has no top-level `max_score`: Gradescope adds up the
/// tests' `max_score`, so it is not written.
pub fn results_json(card: &Scorecard) -> Value {
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
