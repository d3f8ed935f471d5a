//! The source policy against the project's own code: no skeleton, reference
//! solution or correct fixture may be refused (a false positive costs a
//! correct student every point of an exercise), and every fixture that the
//! policy refuses says so in its expected.toml.

mod common;

use std::path::{Path, PathBuf};

use common::{Expected, Kind, fixtures, workspace};
use grader::policy::{self, Allowed};

/// The `allow` list of an exercise and whether it has a controlled lane,
/// read from its manifest.
fn allowed(exercise: &str) -> Allowed {
    let manifest = workspace().join("exercises").join(exercise).join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    let grader = &value["package"]["metadata"]["grader"];
    let list = grader.get("allow").or_else(|| grader.get("review-allow"));
    let modules = list
        .and_then(|l| l.as_array())
        .map(|l| l.iter().map(|m| m.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    let groups = grader.get("groups").and_then(|g| g.as_array()).cloned().unwrap_or_default();
    let lane_copy = groups.iter().any(|g| g.get("lane").and_then(|l| l.as_str()) == Some("controlled"));
    Allowed { modules, lane_copy }
}

fn rust_files(src: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(src)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(src).unwrap().to_path_buf())
        .collect()
}

fn violations(root: &Path, exercise: &str) -> Vec<String> {
    let src = root.join("exercises").join(exercise).join("src");
    if !src.is_dir() {
        return Vec::new();
    }
    policy::check(&src, &rust_files(&src), &format!("exercises/{exercise}/src"), &allowed(exercise))
        .iter()
        .map(policy::Violation::text)
        .collect()
}

const EXERCISES: &[&str] = &["exercise-1", "exercise-2", "exercise-3", "exercise-4", "exercise-5"];

#[test]
fn skeletons_and_reference_solutions_keep_to_the_policy() {
    for root in [workspace(), workspace().join("solutions")] {
        for exercise in EXERCISES {
            let found = violations(&root, exercise);
            assert!(found.is_empty(), "{} {exercise}: {found:#?}", root.display());
        }
    }
}

#[test]
fn every_fixture_the_policy_refuses_expects_it_and_no_correct_one_is_refused() {
    for fixture in fixtures() {
        let expected = Expected::load(&fixture);
        let found = violations(&fixture, &expected.exercise);
        let name = fixture.file_name().unwrap().to_string_lossy();
        if expected.kind == Kind::Correct {
            assert!(found.is_empty(), "{name} is correct but refused: {found:#?}");
        }
        let expects_refusal = expected.message.as_deref().is_some_and(|m| m.contains("may not use"));
        assert_eq!(!found.is_empty(), expects_refusal, "{name}: the policy found {found:#?}");
    }
}
