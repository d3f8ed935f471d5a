//! Helpers for the grader's end-to-end tests: run the real `grader` binary
//! against the real workspace, and on failure print everything needed to
//! see why (the command, its folder, status, stdout and stderr).

#![allow(dead_code)] // Each test file uses its own subset.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, MutexGuard};

use assert_cmd::Command;
use serde::Deserialize;

/// The course workspace (the repository root).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("grader/ is in the workspace").to_path_buf()
}

/// Gradings are run one at a time within a test binary: each grading uses
/// every core, and stress tests that share the machine find less and run
/// slower.
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The grader binary, run from the workspace root.
pub fn grader() -> Command {
    let mut command = Command::cargo_bin("grader").expect("the grader binary is built");
    command.current_dir(workspace()).env_remove("GRADER_WORKSPACE");
    command
}

/// Runs `command` and returns its output; panics with the whole story when
/// the exit status is not `expected_status`.
pub fn run(command: &mut Command, expected_status: i32) -> Output {
    let output = command.output().expect("the grader could be started");
    if output.status.code() != Some(expected_status) {
        panic!(
            "expected exit status {expected_status}, got {:?}\ncommand: {:?}\ndirectory: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            output.status.code(),
            command.get_program(),
            workspace().display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
    }
    output
}

/// Grades `submission` (relative to the workspace, or absolute) with extra
/// `args`, expecting exit status 0, and returns the scorecard as JSON after
/// checking it against the schema.
pub fn grade(submission: &Path, args: &[&str]) -> serde_json::Value {
    let mut command = grader();
    command.arg("grade").arg(submission).args(["--output", "-"]).args(args);
    let output = run(&mut command, 0);
    let card: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("the scorecard is not JSON ({e}):\n{}", String::from_utf8_lossy(&output.stdout)));
    check_schema(&card);
    card
}

/// Checks a scorecard against `grader/scorecard.schema.json`.
pub fn check_schema(card: &serde_json::Value) {
    let schema_path = workspace().join("grader/scorecard.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is valid");
    let errors: Vec<String> = validator.iter_errors(card).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "the scorecard does not match the schema:\n{}\n{card:#}", errors.join("\n"));
}

/// The exercise `id` of a scorecard.
pub fn exercise<'a>(card: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    card["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("no exercise {id} in the scorecard:\n{card:#}"))
}

/// What a fixture's `expected.toml` says the grader must conclude.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub exercise: String,
    pub kind: Kind,
    pub summary: String,
    /// The exercise's status; by default `passed` for a correct fixture and
    /// `failed` otherwise.
    pub status: Option<String>,
    /// A phrase that the exercise's message or a test's message contains.
    pub message: Option<String>,
    /// `--timeout` for grading this fixture, in seconds.
    pub timeout: Option<f64>,
    /// `--repeat` for grading this fixture.
    pub repeat: Option<u32>,
    /// Paths that must be listed in `ignored_changes`.
    #[serde(default)]
    pub ignored: Vec<String>,
    /// Constructs that must be among the `review_flags`.
    #[serde(default)]
    pub review: Vec<String>,
    /// The outcome of every test that does not pass.
    #[serde(default)]
    pub tests: BTreeMap<String, Outcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Correct,
    Buggy,
    Broken,
    Hostile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    /// `failed` or `flaky`: at least one run failed.
    Fail,
    Timeout,
    /// Any outcome: the test catches this bug in some runs only (the
    /// fixture's other tests catch it every time).
    Sometimes,
}

impl Expected {
    pub fn load(fixture: &Path) -> Expected {
        let path = fixture.join("expected.toml");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Every way `card` differs from what is expected, in words.
    pub fn mismatches(&self, card: &serde_json::Value) -> Vec<String> {
        let mut problems = Vec::new();
        for other in card["exercises"].as_array().unwrap() {
            if other["id"] != self.exercise.as_str() && other["status"] != "missing" {
                problems.push(format!("{} should be missing, is {}", other["id"], other["status"]));
            }
        }
        let exercise = exercise(card, &self.exercise);
        let status = self
            .status
            .clone()
            .unwrap_or_else(|| if self.kind == Kind::Correct { "passed".into() } else { "failed".into() });
        if exercise["status"] != status.as_str() {
            problems.push(format!(
                "{} status is {}, expected {status} (message: {})",
                self.exercise, exercise["status"], exercise["message"]
            ));
        }
        if self.kind == Kind::Correct && exercise["score"] != exercise["max_score"] {
            problems.push(format!("a correct submission scored {} of {}", exercise["score"], exercise["max_score"]));
        }
        let tests = exercise["tests"].as_array().unwrap();
        for name in self.tests.keys() {
            if !tests.iter().any(|t| t["name"] == name.as_str()) {
                problems.push(format!("expected.toml names test `{name}`, which the scorecard does not have"));
            }
        }
        for test in tests {
            let name = test["name"].as_str().unwrap();
            let expected = self.tests.get(name).copied().unwrap_or(Outcome::Pass);
            let status = test["status"].as_str().unwrap();
            let ok = match expected {
                Outcome::Pass => status == "passed",
                Outcome::Fail => status == "failed" || status == "flaky",
                Outcome::Timeout => status == "timed_out",
                Outcome::Sometimes => true,
            };
            if !ok {
                problems.push(format!("test `{name}` is {status}, expected {expected:?}: {}", test["message"]));
            }
        }
        if let Some(phrase) = &self.message {
            let messages = std::iter::once(&exercise["message"]).chain(tests.iter().map(|t| &t["message"]));
            if !messages.filter_map(|m| m.as_str()).any(|m| m.contains(phrase.as_str())) {
                problems.push(format!("no message contains {phrase:?}"));
            }
        }
        for path in &self.ignored {
            let listed = card["ignored_changes"].as_array().unwrap().iter().any(|c| c["path"] == path.as_str());
            if !listed {
                problems.push(format!("{path} is not listed in ignored_changes: {}", card["ignored_changes"]));
            }
        }
        for construct in &self.review {
            let flagged = card["review_flags"].as_array().unwrap().iter().any(|f| f["construct"] == construct.trim());
            if !flagged {
                problems.push(format!("{construct:?} is not among the review flags: {}", card["review_flags"]));
            }
        }
        problems
    }

    /// The grader arguments this fixture is graded with.
    pub fn grading_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(timeout) = self.timeout {
            args.extend(["--timeout".to_string(), timeout.to_string()]);
        }
        if let Some(repeat) = self.repeat {
            args.extend(["--repeat".to_string(), repeat.to_string()]);
        }
        args
    }
}

/// Every fixture folder (with an `expected.toml`) under `fixtures/`.
pub fn fixtures() -> Vec<PathBuf> {
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(workspace().join("fixtures"))
        .expect("fixtures/ exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("expected.toml").is_file())
        .collect();
    fixtures.sort();
    fixtures
}

/// Copies the folder `from` to `to` (regular files and folders).
/// Writes an executable shell script to `path`: a stand-in for a program
/// (cargo, the grader) in tests of the scripts that call it.
pub fn write_executable(path: &Path, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, script).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
