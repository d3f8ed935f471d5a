//! `grader gradescope DEST`: a Gradescope autograder, as a folder whose
//! contents an instructor zips and uploads.
//!
//! Gradescope unpacks the zip into `/autograder/source`, runs `setup.sh`
//! once when it builds the autograder's image, then runs `run_autograder`
//! for every submission, with the student's files in
//! `/autograder/submission`, and reads `/autograder/results/results.json`.
//! Beside the two scripts the folder holds the same course files as the
//! student template (no solutions, no fixtures), so a submission is graded
//! against the course's own tests whatever the student uploaded.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::{prepare_destination, write_course_files, write_grading_manifest, write_text};
use crate::discover::Workspace;
use crate::error::{GraderError, Result};

/// Installs Rust, builds the grader and warms the dependency build.
pub const SETUP_SCRIPT: &str = include_str!("gradescope/setup.sh");

/// Grades `/autograder/submission` into `/autograder/results/results.json`.
pub const RUN_SCRIPT: &str = include_str!("gradescope/run_autograder");

/// How to upload the package; written as the folder's README.md.
pub const INSTRUCTIONS: &str = include_str!("gradescope/README.md");

/// Writes the Gradescope autograder for `workspace` into `dest`, which must
/// be absent or empty.
pub fn write(workspace: &Workspace, dest: &Path) -> Result<()> {
    prepare_destination(dest)?;
    write_course_files(workspace, dest)?;
    write_grading_manifest(dest)?;
    write_executable(&dest.join("setup.sh"), SETUP_SCRIPT)?;
    write_executable(&dest.join("run_autograder"), RUN_SCRIPT)?;
    write_text(&dest.join("README.md"), INSTRUCTIONS)
}

/// Writes a script with the executable bits set: Gradescope runs
/// `run_autograder` directly, and requires it to be executable.
fn write_executable(path: &Path, text: &str) -> Result<()> {
    write_text(path, text)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .map_err(|e| GraderError::io(format!("making {} executable", path.display()), e))
}
