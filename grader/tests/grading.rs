//! The grader tells right from wrong on the course's own code: the
//! reference solutions get full marks, the skeletons nothing.

mod common;

use std::path::Path;

use common::{exercise, grade, serial};

#[test]
fn the_reference_solutions_score_100_with_every_test_passed() {
    let _serial = serial();
    let card = grade(Path::new("solutions"), &[]);
    assert_eq!(card["score"], 100.0, "{card:#}");
    assert_eq!(card["max_score"], 100.0);
    for exercise in card["exercises"].as_array().unwrap() {
        assert_eq!(exercise["status"], "passed", "{exercise:#}");
        for test in exercise["tests"].as_array().unwrap() {
            assert_eq!(test["status"], "passed", "{test:#}");
            assert_eq!(test["runs"], test["passed_runs"]);
        }
    }
    assert_eq!(card["ignored_changes"], serde_json::json!([]), "solutions/ holds nothing but src trees");
}

#[test]
fn the_skeletons_score_0_with_every_test_failed_not_unbuilt() {
    let _serial = serial();
    // The workspace itself is the default submission: its exercises are the
    // skeletons students start from.
    let card = grade(Path::new("."), &["--repeat", "1"]);
    assert_eq!(card["score"], 0.0, "{card:#}");
    for id in ["exercise-1", "exercise-2", "exercise-3", "exercise-4", "exercise-5"] {
        let exercise = exercise(&card, id);
        assert_eq!(exercise["status"], "failed", "{exercise:#}");
        let tests = exercise["tests"].as_array().unwrap();
        assert!(!tests.is_empty());
        for test in tests {
            assert_eq!(test["status"], "failed", "a skeleton test should fail, not hang or pass: {test:#}");
            assert!(test["message"].as_str().is_some_and(|m| !m.is_empty()), "{test:#}");
        }
    }
}
