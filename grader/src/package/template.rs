//! `grader template DEST`: the student-facing repository, written into a
//! new folder that an instructor pushes as the assignment's template.
//!
//! It holds the course files (see the parent module: exercises with their
//! skeletons and tests, `testkit`, the grader, the cargo configuration), a
//! `grading-manifest.json` computed for exactly those files, the autograding
//! workflow from `template/.github/workflows/`, and `template/README.md` as
//! the repository's README. It holds no solutions, no fixtures, no build
//! output and no history, and none of an exercise's grading-only tests
//! (`grading-only` in its metadata): their files are left out and their
//! groups taken out of the copy's manifest, so the student's self-check
//! grades what the student has, out of the points those tests leave.

use std::fs;
use std::path::Path;

use super::{copy_file, prepare_destination, read_text, write_course_files, write_grading_manifest, write_text};
use crate::discover::{Exercise, Workspace};
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
    for exercise in workspace.exercises.iter().filter(|e| !e.grading.grading_only.is_empty()) {
        leave_out_grading_only(exercise, &dest.join(&exercise.relative_dir))?;
    }
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

/// Removes `exercise`'s grading-only test targets from its copy in `dir`:
/// their files, the groups that grade them, the `grading-only` key, and
/// their points from `max-score` (so the copy's groups still add up).
fn leave_out_grading_only(exercise: &Exercise, dir: &Path) -> Result<()> {
    let hidden = &exercise.grading.grading_only;
    for target in exercise.test_targets.iter().filter(|t| hidden.contains(&t.name)) {
        let relative = target.src_path.strip_prefix(&exercise.dir).map_err(|_| {
            GraderError::Usage(format!(
                "{}: grading-only test target `{}` lives outside its crate ({}); keep it under tests/",
                exercise.manifest.display(),
                target.name,
                target.src_path.display()
            ))
        })?;
        let copy = dir.join(relative);
        fs::remove_file(&copy).map_err(|e| GraderError::io(format!("removing {}", copy.display()), e))?;
    }
    let manifest = dir.join("Cargo.toml");
    let mut document: toml_edit::DocumentMut = read_text(&manifest)?
        .parse()
        .map_err(|e| GraderError::Usage(format!("{} is not valid TOML: {e}", manifest.display())))?;
    let invalid = || GraderError::Usage(format!("{} has no [package.metadata.grader] table", manifest.display()));
    let grader = document
        .get_mut("package")
        .and_then(|p| p.get_mut("metadata"))
        .and_then(|m| m.get_mut("grader"))
        .and_then(|g| g.as_table_like_mut())
        .ok_or_else(invalid)?;
    grader.remove("grading-only");
    let removed: f64 =
        exercise.grading.groups.iter().filter(|g| hidden.contains(&g.target)).map(|group| group.points).sum();
    let shown = |target: Option<&str>| target.is_none_or(|t| !hidden.iter().any(|h| h == t));
    match grader.get_mut("groups") {
        Some(toml_edit::Item::ArrayOfTables(groups)) => {
            groups.retain(|g| shown(g.get("target").and_then(|t| t.as_str())))
        }
        Some(toml_edit::Item::Value(toml_edit::Value::Array(groups))) => {
            groups.retain(|g| shown(g.as_inline_table().and_then(|t| t.get("target")).and_then(|t| t.as_str())))
        }
        _ => {}
    }
    let left = exercise.grading.max_score - removed;
    if exercise.grading.groups.iter().all(|g| hidden.contains(&g.target)) || left <= 0.0 {
        return Err(GraderError::Usage(format!(
            "{}: every group of {} grades a grading-only target; a student's copy needs at least one group with \
             points it can run",
            exercise.manifest.display(),
            exercise.id
        )));
    }
    // An integer stays an integer in the TOML the student reads.
    let value = if left.fract() == 0.0 { toml_edit::value(left as i64) } else { toml_edit::value(left) };
    grader.insert("max-score", value);
    write_text(&manifest, &document.to_string())
}
