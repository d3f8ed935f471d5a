//! Reading a submission: which exercises it has a `src/` for, what it
//! changed outside those trees (ignored, but listed), and source constructs
//! worth an instructor's look. Nothing here writes to the submission.

use std::fs;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::discover::{Exercise, Workspace};
use crate::scorecard::{ChangeKind, IgnoredChange, ReviewFlag};

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
            let tree = source_tree(root, exercise, &mut ignored_changes);
            if let SourceTree::Present { src, files } = &tree {
                review_flags.extend(review(root, exercise, src, files));
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

/// Constructs in a submission's source that reach outside the exercise's
/// rules. They are flagged for review, not penalised: `unsafe` can be fine.
const REVIEWED: &[(&str, &str)] = &[
    ("include!", "includes a file into the source at compile time"),
    ("include_str!", "reads a file at compile time"),
    ("include_bytes!", "reads a file at compile time"),
    ("#[link_section", "places code in a special section, e.g. to run it before main"),
    ("#[unsafe(link_section", "places code in a special section, e.g. to run it before main"),
    ("#[used]", "keeps a static alive, e.g. a constructor that runs before main"),
    ("#[no_mangle]", "exports a symbol that could replace another"),
    ("#[unsafe(no_mangle)]", "exports a symbol that could replace another"),
    ("extern \"C\"", "calls or defines foreign functions"),
    ("unsafe ", "uses unsafe code"),
    ("unsafe{", "uses unsafe code"),
    ("std::process", "can end or start processes"),
    ("process::exit", "can end the test process"),
    ("std::env", "reads or changes environment variables"),
    ("env::var", "reads environment variables"),
    ("asm!", "uses inline assembly"),
    ("std::fs", "touches the file system"),
    ("std::net", "opens network connections"),
];

fn review(root: &Path, exercise: &Exercise, src: &Path, files: &[PathBuf]) -> Vec<ReviewFlag> {
    let mut flags = Vec::new();
    for file in files {
        if file.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let Ok(bytes) = fs::read(src.join(file)) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        let relative = src.join(file);
        let path = display(relative.strip_prefix(root).unwrap_or(&relative));
        for (index, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for (construct, reason) in REVIEWED {
                if code.contains(construct) && !exercise.grading.review_allow.iter().any(|allowed| allowed == construct)
                {
                    flags.push(ReviewFlag {
                        exercise: exercise.id.clone(),
                        path: path.clone(),
                        line: index + 1,
                        construct: construct.trim().to_string(),
                        reason: reason.to_string(),
                    });
                }
            }
            if flags.len() >= MAX_LISTED_CHANGES {
                return flags;
            }
        }
    }
    flags
}

fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
