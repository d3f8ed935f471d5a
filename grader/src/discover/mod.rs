//! Discovery: which exercises the course workspace has, and how to grade
//! each, read with `cargo metadata` from the exercise crates' manifests.
//!
//! Nothing here knows how many exercises there are: every workspace member
//! under `exercises/` is one, and its `[package.metadata.grader]` says the
//! rest.

pub mod metadata;
pub mod visibility;

use std::path::{Path, PathBuf};

use cargo_metadata::MetadataCommand;

use crate::error::{GraderError, Result};
pub use metadata::{GradingMetadata, Group};

/// The pristine course workspace: where tests, manifests and everything but
/// a submission's `src/` come from.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    /// The workspace's cargo target directory; the grader keeps its build
    /// cache and scratch space below it.
    pub target_dir: PathBuf,
    pub exercises: Vec<Exercise>,
}

/// One exercise crate, as the pristine workspace defines it.
#[derive(Debug, Clone)]
pub struct Exercise {
    /// The package name, `exercise-N`; also the scorecard's id.
    pub id: String,
    /// The crate folder in the pristine workspace.
    pub dir: PathBuf,
    /// The folder relative to the workspace root, `exercises/exercise-N`;
    /// the same relative path holds its `src/` in a submission.
    pub relative_dir: PathBuf,
    pub manifest: PathBuf,
    /// Test targets (integration test files): name and source file.
    pub test_targets: Vec<TestTarget>,
    pub grading: GradingMetadata,
}

#[derive(Debug, Clone)]
pub struct TestTarget {
    pub name: String,
    pub src_path: PathBuf,
}

impl Workspace {
    /// Reads the workspace at `dir` (or the one containing the current
    /// directory) with `cargo metadata`.
    pub fn discover(dir: Option<&Path>) -> Result<Workspace> {
        let start = match dir {
            Some(dir) => dir.to_path_buf(),
            None => std::env::current_dir().map_err(|e| GraderError::io("reading the current directory", e))?,
        };
        let metadata = MetadataCommand::new().current_dir(&start).no_deps().exec().map_err(|e| match e {
            cargo_metadata::Error::Io(e) => GraderError::Toolchain(e.to_string()),
            other => GraderError::Workspace { path: start.clone(), reason: one_line(&other.to_string()) },
        })?;
        let root = metadata.workspace_root.clone().into_std_path_buf();
        let exercises_dir = root.join("exercises");

        let mut exercises = Vec::new();
        for package in metadata.workspace_packages() {
            let manifest = package.manifest_path.clone().into_std_path_buf();
            let dir = manifest.parent().expect("a manifest has a folder").to_path_buf();
            if dir.parent() != Some(exercises_dir.as_path()) {
                continue;
            }
            let test_targets: Vec<TestTarget> = package
                .targets
                .iter()
                .filter(|t| t.is_test())
                .map(|t| TestTarget { name: t.name.clone(), src_path: t.src_path.clone().into_std_path_buf() })
                .collect();
            let names: Vec<String> = test_targets.iter().map(|t| t.name.clone()).collect();
            let grading = metadata::parse(&manifest, &package.metadata, &names)?;
            let relative_dir = dir.strip_prefix(&root).expect("an exercise is inside the workspace").to_path_buf();
            exercises.push(Exercise {
                id: package.name.to_string(),
                dir,
                relative_dir,
                manifest,
                test_targets,
                grading,
            });
        }
        if exercises.is_empty() {
            return Err(GraderError::Workspace {
                path: root,
                reason: "it has no exercise crates under exercises/".into(),
            });
        }
        exercises.sort_by_key(|e| natural_key(&e.id));
        Ok(Workspace { root, target_dir: metadata.target_directory.into_std_path_buf(), exercises })
    }

    /// The exercises named in `ids`, in workspace order; all when `ids` is
    /// empty. An unknown id is an error that lists the known ones.
    pub fn select(&self, ids: &[String]) -> Result<Vec<Exercise>> {
        for id in ids {
            if !self.exercises.iter().any(|e| &e.id == id) {
                let known = self.exercises.iter().map(|e| e.id.as_str()).collect::<Vec<_>>().join(", ");
                return Err(GraderError::UnknownExercise { name: id.clone(), known });
            }
        }
        Ok(self.exercises.iter().filter(|e| ids.is_empty() || ids.contains(&e.id)).cloned().collect())
    }
}

/// Orders `exercise-2` before `exercise-10`.
fn natural_key(name: &str) -> (String, u64) {
    let digits: String = name.chars().rev().take_while(|c| c.is_ascii_digit()).collect();
    let number = digits.chars().rev().collect::<String>().parse().unwrap_or(0);
    (name[..name.len() - digits.len()].to_string(), number)
}

fn one_line(text: &str) -> String {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_puts_ten_after_two() {
        let mut names = vec!["exercise-10", "exercise-2", "exercise-1"];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(names, ["exercise-1", "exercise-2", "exercise-10"]);
    }
}
