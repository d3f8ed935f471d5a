//! `grader template DEST`: the student-facing repository, written into a
//! new folder that an instructor pushes as the assignment's template.
//!
//! It holds the course files (see the parent module: exercises with their
//! skeletons and tests, `testkit`, the grader, the cargo configuration), a
//! `grading-manifest.json` computed for exactly those files, the autograding
//! workflow from `template/.github/workflows/`, and `template/README.md` as
//! the repository's README. It holds no solutions, no fixtures, no build
//! output and no history.

use std::fs;
use std::path::Path;

use super::{copy_file, prepare_destination, write_course_files, write_grading_manifest};
use crate::discover::Workspace;
use crate::error::{GraderError, Result};

/// Where the course keeps what only a student's repository has.
pub const TEMPLATE_FOLDER: &str = "template";

/// Writes the student template for `workspace` into `dest`, which must be
/// absent or empty.
pub fn write(workspace: &Workspace, dest: &Path) -> Result<()> {
    let template = workspace.root.join(TEMPLATE_FOLDER);
    let readme = template.join("README.md");
    let workflows = template.join(".github").join("workflows");
    // Checked before anything is written, so that a workspace without the
    // template's own files leaves no half-written folder behind.
    if !readme.is_file() || !workflows.is_dir() {
        return Err(GraderError::Usage(format!(
            "{} has no {TEMPLATE_FOLDER}/README.md or {TEMPLATE_FOLDER}/.github/workflows/; \
             run `grader template` in the course repository, not in a student's copy",
            workspace.root.display()
        )));
    }

    prepare_destination(dest)?;
    write_course_files(workspace, dest)?;
    copy_file(&readme, &dest.join("README.md"))?;
    let read_error = |e| GraderError::io(format!("reading {}", workflows.display()), e);
    for entry in fs::read_dir(&workflows).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        if entry.file_type().map_err(read_error)?.is_file() {
            copy_file(&entry.path(), &dest.join(".github").join("workflows").join(entry.file_name()))?;
        }
    }
    // Last, so that the manifest describes the files exactly as written.
    write_grading_manifest(dest)
}
