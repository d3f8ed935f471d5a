//! GitHub Classroom's autograding result (legacy: GitHub Classroom was
//! retired on 2026-08-28; Classroom 50 is its successor, see
//! `classroom50.rs`). Kept because it costs nothing: courses still running
//! the old reporter action can read it.

use serde_json::{Value, json};

use crate::report::entry::{Entry, all_entries, overall_status};
use crate::scorecard::{Scorecard, TestStatus};

/// GitHub Classroom's autograding result: the object the
/// `autograding-grading-reporter` action decodes for each runner.
/// `status` is "pass", "fail" or "error" (the reporter fails the check on
/// the last two); `max_score` is what the runner is worth; each test has
/// `name`, `status`, `score` (the reporter adds these up as the points it
/// sends to Classroom) and `message` (printed under a test that did not
/// pass).
pub fn result_json(card: &Scorecard) -> Value {
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
