//! Packaging: the course written out for the people and machines that use
//! it outside this repository.
//!
//! - `template`: the repository a student receives (exercises, tests, the
//!   grader, the autograding workflow, a README for students).
//! - `gradescope`: the folder Gradescope turns into an autograder image
//!   (`setup.sh`, `run_autograder` and the same course files).
//! - `classroom50`: a Classroom 50 assignment's autograder folder
//!   (`autograder.py`, the course files under `course/`).
//!
//! All hold the same course files, written by [`write_course_files`]: what a
//! student may see and what grading needs, and never the reference
//! solutions, the fixtures, build output or version-control history. Files
//! are copied from an explicit list of places rather than "everything but
//! some", so that whatever the course repository adds later stays out of
//! student hands until someone decides it belongs there.

pub mod classroom50;
pub mod gradescope;
pub mod template;

use std::fs;
use std::path::{Component, Path};

use crate::discover::Workspace;
use crate::error::{GraderError, Result};
use crate::integrity;

/// Files at the workspace root that configure cargo, rustup, rustfmt or
/// clippy; each is copied when the course has it.
const ROOT_FILES: &[&str] = &[
    "Cargo.lock",
    ".gitignore",
    "rust-toolchain",
    "rust-toolchain.toml",
    "rustfmt.toml",
    ".rustfmt.toml",
    "clippy.toml",
    ".clippy.toml",
];

/// Top-level folders of the course that never leave it: the reference
/// solutions and the fixtures give answers away.
const COURSE_ONLY_FOLDERS: &[&str] = &["solutions", "fixtures"];

/// Folder names never copied at any depth: build output and version control.
const NEVER_COPIED: &[&str] = &["target", ".git"];

/// Fails unless `dest` is absent or an empty folder, then creates it. A
/// folder with files in it is refused, so that nothing of the user's is
/// overwritten or mixed into a package.
pub(crate) fn prepare_destination(dest: &Path) -> Result<()> {
    if dest.exists() {
        let mut entries = fs::read_dir(dest).map_err(|e| GraderError::io(format!("reading {}", dest.display()), e))?;
        if entries.next().is_some() {
            return Err(GraderError::Usage(format!(
                "{} exists and is not empty; pass a new folder (or an empty one)",
                dest.display()
            )));
        }
    }
    fs::create_dir_all(dest).map_err(|e| GraderError::io(format!("creating {}", dest.display()), e))
}

/// Writes the course files that a student's copy and a grading machine both
/// need: the workspace manifest (without course-only members), the lock
/// file and cargo configuration, every crate under `exercises/` (skeleton
/// `src/`, tests, README, manifest), `testkit/`, and the grader without its
/// own tests (they grade the solutions and fixtures, which are not there).
pub(crate) fn write_course_files(workspace: &Workspace, dest: &Path) -> Result<()> {
    let root = &workspace.root;

    let manifest_text = read_text(&root.join("Cargo.toml"))?;
    write_text(&dest.join("Cargo.toml"), &student_workspace_manifest(&manifest_text)?)?;
    for name in ROOT_FILES {
        let path = root.join(name);
        if path.is_file() {
            copy_file(&path, &dest.join(name))?;
        }
    }
    if root.join(".cargo").is_dir() {
        copy_tree(&root.join(".cargo"), &dest.join(".cargo"), &|_| false)?;
    }

    // Every folder under exercises/ is copied, not only the discovered
    // exercises: `exercises/*` is a workspace member glob, so a helper crate
    // there must come along for the workspace to load. The files directly in
    // exercises/ are the instructors' guide to writing an exercise.
    let exercises = root.join("exercises");
    for entry in fs::read_dir(&exercises).map_err(|e| GraderError::io(format!("reading {}", exercises.display()), e))? {
        let entry = entry.map_err(|e| GraderError::io(format!("reading {}", exercises.display()), e))?;
        let file_type =
            entry.file_type().map_err(|e| GraderError::io(format!("reading {}", entry.path().display()), e))?;
        if file_type.is_dir() && !NEVER_COPIED.contains(&entry.file_name().to_string_lossy().as_ref()) {
            copy_tree(&entry.path(), &dest.join("exercises").join(entry.file_name()), &|_| false)?;
        }
    }

    copy_tree(&root.join("testkit"), &dest.join("testkit"), &|_| false)?;
    // The controlled lane's crates (lanes/*, a workspace member glob): the
    // exercises' build scripts and lane tests depend on them.
    let lanes = root.join("lanes");
    if lanes.is_dir() {
        copy_tree(&lanes, &dest.join("lanes"), &|_| false)?;
    }

    // The grader's tests grade the reference solutions and the fixtures, so
    // they cannot run without them; everything else of the grader comes.
    copy_tree(&root.join("grader"), &dest.join("grader"), &|relative| relative == Path::new("tests"))?;
    Ok(())
}

/// Computes `grading-manifest.json` for the course files written in `dest`,
/// so that the copy checks clean with `grader manifest --check` and a
/// scorecard made from it lists only what someone changed afterwards.
pub(crate) fn write_grading_manifest(dest: &Path) -> Result<()> {
    let written = Workspace::discover(Some(dest))?;
    integrity::write(&written)?;
    Ok(())
}

/// The workspace manifest with every member, default member and exclusion
/// that points into a course-only folder removed.
fn student_workspace_manifest(text: &str) -> Result<String> {
    let mut document: toml_edit::DocumentMut =
        text.parse().map_err(|e| GraderError::Usage(format!("the workspace's Cargo.toml is not valid TOML: {e}")))?;
    let Some(workspace) = document.get_mut("workspace").and_then(|item| item.as_table_mut()) else {
        return Err(GraderError::Usage("the workspace's Cargo.toml has no [workspace] table".into()));
    };
    for key in ["members", "default-members", "exclude"] {
        if let Some(list) = workspace.get_mut(key).and_then(|item| item.as_array_mut()) {
            list.retain(|value| value.as_str().is_none_or(|path| !is_course_only(path)));
        }
    }
    // The course's comment on default-members speaks of solutions and
    // fixtures; a student's copy says what `cargo test` does there.
    if let Some(mut key) = workspace.key_mut("default-members") {
        key.leaf_decor_mut().set_prefix(
            "# `cargo test -p exercise-N` runs one exercise's tests; `cargo test` at the\n\
             # root tests the grader and testkit.\n",
        );
    }
    Ok(document.to_string())
}

/// Whether a workspace path (`fixtures/*`, `./solutions/x`) lies in a
/// folder that never leaves the course.
fn is_course_only(path: &str) -> bool {
    Path::new(path)
        .components()
        .find(|component| !matches!(component, Component::CurDir))
        .is_some_and(|first| COURSE_ONLY_FOLDERS.iter().any(|folder| first.as_os_str() == *folder))
}

/// Copies the folder `from` to `to`, leaving out build output, version
/// control and every path (relative to `from`) that `leave_out` names.
/// Symbolic links are refused rather than followed or recreated: a link
/// could pull a file from outside the course into a student's hands.
pub(crate) fn copy_tree(from: &Path, to: &Path, leave_out: &dyn Fn(&Path) -> bool) -> Result<()> {
    let mut walker = walkdir::WalkDir::new(from).follow_links(false).sort_by_file_name().into_iter();
    while let Some(entry) = walker.next() {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(from).display().to_string();
            GraderError::io(format!("reading {path}"), e.into())
        })?;
        let relative = entry.path().strip_prefix(from).expect("walkdir stays below its root");
        let name = entry.file_name().to_string_lossy();
        if entry.depth() > 0 && (NEVER_COPIED.contains(&name.as_ref()) || leave_out(relative)) {
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        let target = to.join(relative);
        if entry.file_type().is_symlink() {
            return Err(GraderError::Usage(format!(
                "{} is a symbolic link; packages hold only regular files, so replace it with the file itself",
                entry.path().display()
            )));
        } else if entry.file_type().is_dir() {
            fs::create_dir_all(&target).map_err(|e| GraderError::io(format!("creating {}", target.display()), e))?;
        } else {
            copy_file(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Copies one file, creating its folder; permissions (the executable bit)
/// come along.
pub(crate) fn copy_file(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| GraderError::io(format!("creating {}", parent.display()), e))?;
    }
    fs::copy(from, to).map_err(|e| GraderError::io(format!("copying {} to {}", from.display(), to.display()), e))?;
    Ok(())
}

pub(crate) fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| GraderError::io(format!("reading {}", path.display()), e))
}

/// Writes `text` to `path`, creating its folder.
pub(crate) fn write_text(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| GraderError::io(format!("creating {}", parent.display()), e))?;
    }
    fs::write(path, text).map_err(|e| GraderError::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_only_paths_are_recognized() {
        assert!(is_course_only("fixtures/*"));
        assert!(is_course_only("./solutions/exercises/exercise-1"));
        assert!(!is_course_only("exercises/*"));
        assert!(!is_course_only("grader"));
    }

    #[test]
    fn the_student_manifest_drops_course_only_members() {
        let course = "[workspace]\nmembers = [\"grader\", \"exercises/*\", \"fixtures/*\", \"solutions/x\"]\n\
                      # about fixtures\ndefault-members = [\"grader\"]\nexclude = [\"fixtures\"]\n";
        let student = student_workspace_manifest(course).unwrap();
        let parsed: toml::Table = student.parse().unwrap();
        let workspace = parsed["workspace"].as_table().unwrap();
        assert_eq!(workspace["members"].as_array().unwrap().len(), 2, "{student}");
        assert!(workspace["exclude"].as_array().unwrap().is_empty(), "{student}");
        assert!(!student.contains("about fixtures"), "{student}");
    }
}
