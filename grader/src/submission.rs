//! Reading a submission: which exercises it has a `src/` for, what it
//! changed outside those trees (ignored, but listed), and whether each
//! `src/` keeps to the source policy (`crate::policy`): a violation makes
//! the exercise unusable (`build_failed`, nothing compiled) and is also
//! listed in `review_flags` for the instructor. Nothing here writes to the
//! submission.

use std::fs;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::discover::{Exercise, Workspace};
use crate::policy;
use crate::scorecard::{ChangeKind, IgnoredChange, Lane, ReviewFlag};

/// The most source an exercise's `src/` may hold. Real solutions are a few
/// kilobytes; a 50 MB file is an attempt to exhaust the compiler.
pub const MAX_SRC_BYTES: u64 = 2 * 1024 * 1024;
/// At most this many ignored changes are listed.
const MAX_LISTED_CHANGES: usize = 200;
/// Files of the submission compared with the workspace at most.
const MAX_COMPARED_FILES: usize = 20_000;
/// Folders never compared: build output and version control.
const SKIPPED_DIRS: &[&str] = &["target", ".git", "node_modules"];

/// What a submission offers for one exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceTree {
    /// `src/` is there and usable: these files (relative to `src/`), all
    /// regular files.
    Present { src: PathBuf, files: Vec<PathBuf> },
    /// No `src/` for the exercise.
    Missing,
    /// There is something, but it cannot be built; the reason in words.
    Unusable(String),
}

/// Everything the grader learns from reading a submission.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub sources: Vec<(String, SourceTree)>,
    pub ignored_changes: Vec<IgnoredChange>,
    pub review_flags: Vec<ReviewFlag>,
}

/// Reads `root` for `exercises` of `workspace`.
pub fn inspect(workspace: &Workspace, root: &Path, exercises: &[Exercise]) -> Inspection {
    let mut ignored_changes = Vec::new();
    let mut review_flags = Vec::new();
    let sources = exercises
        .iter()
        .map(|exercise| {
            let mut tree = source_tree(root, exercise, &mut ignored_changes);
            if let SourceTree::Present { src, files } = &tree {
                let violations = policy_check(exercise, src, files);
                if !violations.is_empty() {
                    tree = SourceTree::Unusable(policy_message(exercise, &violations));
                    review_flags.extend(violations.into_iter().take(MAX_LISTED_CHANGES).map(|v| ReviewFlag {
                        exercise: exercise.id.clone(),
                        path: v.path,
                        line: v.line,
                        construct: v.construct,
                        reason: v.reason,
                    }));
                }
            }
            (exercise.id.clone(), tree)
        })
        .collect();
    compare_outside_src(workspace, root, &mut ignored_changes);
    ignored_changes.sort_by(|a, b| a.path.cmp(&b.path));
    ignored_changes.dedup();
    ignored_changes.truncate(MAX_LISTED_CHANGES);
    Inspection { sources, ignored_changes, review_flags }
}

fn source_tree(root: &Path, exercise: &Exercise, changes: &mut Vec<IgnoredChange>) -> SourceTree {
    let src = root.join(&exercise.relative_dir).join("src");
    let relative_src = exercise.relative_dir.join("src");
    let metadata = match fs::symlink_metadata(&src) {
        Ok(metadata) => metadata,
        Err(_) => return SourceTree::Missing,
    };
    if metadata.file_type().is_symlink() {
        changes.push(IgnoredChange { path: display(&relative_src), change: ChangeKind::Symlink });
        return SourceTree::Unusable(format!(
            "{} is a symbolic link; links are never followed, so there is no source to build",
            display(&relative_src)
        ));
    }
    if !metadata.is_dir() {
        return SourceTree::Unusable(format!("{} is a file, not a folder of source files", display(&relative_src)));
    }

    let mut files = Vec::new();
    let mut total: u64 = 0;
    for entry in WalkDir::new(&src).follow_links(false).min_depth(1) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => return SourceTree::Unusable(format!("{} could not be read: {e}", display(&relative_src))),
        };
        let relative = entry.path().strip_prefix(&src).expect("walkdir stays below its root").to_path_buf();
        let file_type = entry.file_type();
        if file_type.is_symlink() {
            // Links could reach the solutions, another student's folder or
            // /etc/passwd: they are listed, never followed.
            changes.push(IgnoredChange { path: display(&relative_src.join(&relative)), change: ChangeKind::Symlink });
            continue;
        }
        if file_type.is_dir() {
            continue;
        }
        if !file_type.is_file() {
            continue;
        }
        if relative.to_str().is_none() {
            return SourceTree::Unusable(format!(
                "{} has a file name that is not valid UTF-8 ({}); rename it",
                display(&relative_src),
                relative.to_string_lossy()
            ));
        }
        total += entry.metadata().map(|m| m.len()).unwrap_or(0);
        if total > MAX_SRC_BYTES {
            return SourceTree::Unusable(format!(
                "{} holds more than {} MB of files; the limit is {} MB",
                display(&relative_src),
                MAX_SRC_BYTES / (1024 * 1024),
                MAX_SRC_BYTES / (1024 * 1024)
            ));
        }
        files.push(relative);
    }
    if !files.iter().any(|f| f == Path::new("lib.rs")) {
        return SourceTree::Unusable(format!("{} has no lib.rs", display(&relative_src)));
    }
    files.sort();
    SourceTree::Present { src, files }
}

/// Lists files of the submission outside the exercises' `src/` trees that
/// the workspace does not have, or has with other content.
fn compare_outside_src(workspace: &Workspace, root: &Path, changes: &mut Vec<IgnoredChange>) {
    // Every exercise's src/ is the submission's own, graded or not.
    let exercises_dir = root.join("exercises");
    let walker = WalkDir::new(root).follow_links(false).min_depth(1).into_iter().filter_entry(|entry| {
        let name = entry.file_name().to_string_lossy();
        let is_dir = entry.file_type().is_dir();
        let is_src =
            is_dir && name == "src" && entry.path().parent().and_then(Path::parent) == Some(exercises_dir.as_path());
        !(is_src || (is_dir && SKIPPED_DIRS.contains(&name.as_ref())))
    });
    for entry in walker.filter_map(Result::ok).take(MAX_COMPARED_FILES) {
        if changes.len() >= MAX_LISTED_CHANGES {
            break;
        }
        let relative = entry.path().strip_prefix(root).expect("walkdir stays below its root");
        let path = display(relative);
        if entry.file_type().is_symlink() {
            changes.push(IgnoredChange { path, change: ChangeKind::Symlink });
            continue;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let pristine = workspace.root.join(relative);
        match fs::symlink_metadata(&pristine) {
            Ok(meta) if meta.is_file() => {
                if !same_content(entry.path(), &pristine, meta.len()) {
                    changes.push(IgnoredChange { path, change: ChangeKind::Modified });
                }
            }
            _ => changes.push(IgnoredChange { path, change: ChangeKind::Added }),
        }
    }
}

fn same_content(a: &Path, b: &Path, b_len: u64) -> bool {
    match fs::metadata(a) {
        Ok(meta) if meta.len() == b_len => {}
        _ => return false,
    }
    matches!((fs::read(a), fs::read(b)), (Ok(x), Ok(y)) if x == y)
}

/// The policy's violations in an exercise's `src/`, paths shown relative to
/// the submission's root.
fn policy_check(exercise: &Exercise, src: &Path, files: &[PathBuf]) -> Vec<policy::Violation> {
    if policy::switched_off() {
        return Vec::new();
    }
    let shown = display(&exercise.relative_dir.join("src"));
    let allowed = policy::Allowed {
        modules: exercise.grading.allow.clone(),
        lane_copy: exercise.grading.groups.iter().any(|group| group.lane == Lane::Controlled),
    };
    policy::check(src, files, &shown, &allowed)
}

/// The build failure students see: every violation (up to 20) with its
/// file, line and reason, and where the rules are written.
fn policy_message(exercise: &Exercise, violations: &[policy::Violation]) -> String {
    const SHOWN: usize = 20;
    let mut message = format!(
        "the code uses what this exercise's src/ may not use, so it was not compiled (the rules: {}/README.md, \
         \"What your code may use\"):",
        display(&exercise.relative_dir)
    );
    for violation in violations.iter().take(SHOWN) {
        message.push_str("\n  ");
        message.push_str(&violation.text());
    }
    if violations.len() > SHOWN {
        message.push_str(&format!("\n  ... and {} more", violations.len() - SHOWN));
    }
    message
}

fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
