//! GitHub Classroom's autograding result (legacy: GitHub Classroom was
//! retired on 2026-08-28; Classroom 50 is its successor, see
//! `classroom50.rs`). Kept because it costs nothing: courses still running
//! the old reporter action can read it.

use serde_json::{Value, json};

use crate::report::entry::{all_entries, overall_status, student_lines};
use crate::scorecard::Scorecard;

/// GitHub Classroom's autograding result: the object the
/// `autograding-grading-reporter` action decodes for each runner.
/// `status` is "pass", "fail" or "error" (the reporter fails the check on
/// the last two); `max_score` is what the runner is worth; each test has
/// `name`, `status`, `score` (the reporter adds these up as the points it
/// sends to Classroom) and `message` (printed under a test that did not
/// pass). Tests whose group is not `visible` are one line per group, with
/// its result and points but no test names or messages.
pub fn result_json(card: &Scorecard) -> Value {
    // The reporter prints every test's name and message in the student's
    // check: held-back tests are one line per group.
    let tests: Vec<Value> = student_lines(card)
        .iter()
        .map(|line| json!({ "name": line.name, "status": line.status, "score": line.score, "message": line.detail }))
        .collect();
    json!({
        "version": 1,
        "status": overall_status(card, &all_entries(card)),
        "max_score": card.max_score,
        "tests": tests,
    })
}
