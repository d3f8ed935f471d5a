//! `grader classroom50 DEST`: the course's Classroom 50 autograder for one
//! assignment, as a folder an instructor puts at
//! `<classroom>/autograders/<assignment>/` in the Classroom 50 config
//! repository.
//!
//! Classroom 50's runner runs `autograder.py` from that folder once per
//! submission, in the student's checkout, and publishes the `result.json`
//! and `release-body.md` it leaves there. The folder holds the script, the
//! course files under `course/` (no solutions, no fixtures; the
//! grading-only tests included, as the course grades with them), the
//! assignment settings the script needs (`assignment.json`) and a README.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::{prepare_destination, write_course_files, write_grading_manifest, write_text};
use crate::discover::Workspace;
use crate::error::{GraderError, Result};

/// Grades the working directory (the student's checkout) with `course/`.
pub const AUTOGRADER: &str = include_str!("classroom50/autograder.py");

/// The fields of the assignment's entry in `assignments.json` that the
/// autograder needs: a Rust toolchain, and the scorecard attached to each
/// submission Release.
pub const ASSIGNMENT_SETTINGS: &str = include_str!("classroom50/assignment.json");

/// How to install the folder; written as its README.md.
pub const INSTRUCTIONS: &str = include_str!("classroom50/README.md");

/// The folder under DEST that holds the course files.
pub const COURSE_FOLDER: &str = "course";

/// Writes the Classroom 50 autograder for `workspace` into `dest`, which
/// must be absent or empty.
pub fn write(workspace: &Workspace, dest: &Path) -> Result<()> {
    prepare_destination(dest)?;
    let course = dest.join(COURSE_FOLDER);
    write_course_files(workspace, &course)?;
    write_grading_manifest(&course)?;
    let script = dest.join("autograder.py");
    write_text(&script, AUTOGRADER)?;
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755))
        .map_err(|e| GraderError::io(format!("making {} executable", script.display()), e))?;
    write_text(&dest.join("assignment.json"), ASSIGNMENT_SETTINGS)?;
    write_text(&dest.join("README.md"), INSTRUCTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_assignment_settings_are_json_with_a_rust_runtime_and_the_scorecard_asset() {
        let settings: serde_json::Value = serde_json::from_str(ASSIGNMENT_SETTINGS).unwrap();
        assert_eq!(settings["runtime"]["rust"], "stable");
        assert_eq!(settings["release_assets"], serde_json::json!(["scorecard.json"]));
        assert!(AUTOGRADER.contains("\"scorecard.json\""), "the script writes the asset the settings attach");
    }
}
