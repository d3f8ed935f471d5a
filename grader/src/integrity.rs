//! Integrity: has the course's grading code been edited?
//!
//! In a student's repository the tests, manifests and `testkit` live next to
//! the student's code, and a student can edit them. The course ships
//! `grading-manifest.json`, the SHA-256 of every file that decides a grade;
//! the grader compares the workspace against it and lists every file that
//! differs as tampered in the scorecard. (A student who also edits the
//! manifest or the grader defeats this check; the instructor's own
//! regrading from the course's copy does not depend on it. See SECURITY.md.)

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use crate::discover::Workspace;
use crate::error::{GraderError, Result};

/// The manifest's file name, at the workspace root.
pub const MANIFEST: &str = "grading-manifest.json";

/// Path (relative, with `/`) to SHA-256 in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub files: BTreeMap<String, String>,
}

/// The files that decide a grade: each exercise's manifest and tests, the
/// shared test crate, the workspace manifest, lock file and cargo config.
pub fn compute(workspace: &Workspace) -> Result<Manifest> {
    let root = &workspace.root;
    let mut files = BTreeMap::new();
    let mut add = |path: &Path| -> Result<()> {
        let bytes = fs::read(path).map_err(|e| GraderError::io(format!("reading {}", path.display()), e))?;
        let relative = path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
        files.insert(relative, hex::encode(Sha256::digest(&bytes)));
        Ok(())
    };
    for name in ["Cargo.toml", "Cargo.lock", ".cargo/config.toml"] {
        let path = root.join(name);
        if path.is_file() {
            add(&path)?;
        }
    }
    // lanes/: the controlled lane's shim and rewrite, which the exercises'
    // build scripts and lane tests are built from.
    let mut trees = vec![root.join("testkit"), root.join("lanes")];
    for exercise in &workspace.exercises {
        add(&exercise.manifest)?;
        let build_script = exercise.dir.join("build.rs");
        if build_script.is_file() {
            add(&build_script)?;
        }
        trees.push(exercise.dir.join("tests"));
    }
    for tree in trees {
        for entry in WalkDir::new(&tree).follow_links(false).sort_by_file_name() {
            let Ok(entry) = entry else { continue };
            let skip = entry.path().components().any(|c| c.as_os_str() == "target");
            if entry.file_type().is_file() && !skip {
                add(entry.path())?;
            }
        }
    }
    Ok(Manifest { files })
}

/// Writes the workspace's current manifest to `grading-manifest.json`.
pub fn write(workspace: &Workspace) -> Result<Manifest> {
    let manifest = compute(workspace)?;
    let path = workspace.root.join(MANIFEST);
    let text = serde_json::to_string_pretty(&manifest).expect("a manifest serializes") + "\n";
    fs::write(&path, text).map_err(|e| GraderError::io(format!("writing {}", path.display()), e))?;
    Ok(manifest)
}

/// The files that differ from the workspace's `grading-manifest.json`
/// (changed, added or removed), or `None` when there is no manifest.
pub fn tampered(workspace: &Workspace) -> Result<Option<Vec<String>>> {
    let path = workspace.root.join(MANIFEST);
    let Ok(text) = fs::read_to_string(&path) else { return Ok(None) };
    let expected: Manifest = match serde_json::from_str(&text) {
        Ok(manifest) => manifest,
        Err(_) => return Ok(Some(vec![MANIFEST.to_string()])),
    };
    let actual = compute(workspace)?;
    let mut differing: Vec<String> = expected
        .files
        .iter()
        .filter(|(file, hash)| actual.files.get(*file) != Some(hash))
        .map(|(file, _)| file.clone())
        .chain(actual.files.keys().filter(|file| !expected.files.contains_key(*file)).cloned())
        .collect();
    differing.sort();
    differing.dedup();
    Ok(Some(differing))
}
