//! Staging: a buildable copy of the course workspace's exercise crates with
//! a submission's `src/` trees laid over them, in a folder the grader owns.
//!
//! Tests, manifests and everything else come from the pristine workspace;
//! only `src/` comes from the submission. Each test file also gets the
//! grader's sentinel test appended (see `run::sentinel`), and the
//! submission's crate root `src/lib.rs` gets `#![forbid(unsafe_code)]` put
//! in front of its first line (on that line, so the compiler's line numbers
//! stay the student's): the compiler then refuses `unsafe` blocks and
//! functions, `unsafe extern` blocks, and the `no_mangle`, `export_name`
//! and `link_section` attributes anywhere in the crate, and no
//! `#[allow]` can lift a `forbid`. The test crates (the course's code and
//! the sentinel) are not the student's and keep `unsafe`.

use std::fs;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Value};
use walkdir::WalkDir;

use crate::discover::{Exercise, Workspace};
use crate::error::{GraderError, Result};
use crate::run::sentinel;

/// Lays out `stage_dir` as a workspace of `exercises`, each with the
/// submission's source files `(src_dir, files)`.
pub fn stage(workspace: &Workspace, stage_dir: &Path, exercises: &[(&Exercise, &Path, &[PathBuf])]) -> Result<()> {
    let io = |what: &str, path: &Path| {
        let context = format!("{what} {}", path.display());
        move |e| GraderError::io(context, e)
    };
    if stage_dir.exists() {
        fs::remove_dir_all(stage_dir).map_err(io("clearing the staging folder", stage_dir))?;
    }
    fs::create_dir_all(stage_dir).map_err(io("creating the staging folder", stage_dir))?;

    write_root_manifest(workspace, stage_dir, exercises.iter().map(|(e, _, _)| *e))?;
    for name in ["Cargo.lock", "rust-toolchain.toml", "rust-toolchain"] {
        let from = workspace.root.join(name);
        if from.is_file() {
            fs::copy(&from, stage_dir.join(name)).map_err(io("copying", &from))?;
        }
    }
    let config = workspace.root.join(".cargo");
    if config.is_dir() {
        copy_tree(&config, &stage_dir.join(".cargo"), |_| true)?;
    }

    for (exercise, src, files) in exercises {
        let crate_dir = stage_dir.join(&exercise.relative_dir);
        copy_tree(&exercise.dir, &crate_dir, |relative| {
            let first = relative.components().next().map(|c| c.as_os_str().to_owned());
            first.as_deref() != Some("src".as_ref()) && first.as_deref() != Some("target".as_ref())
        })?;
        rewrite_path_dependencies(&exercise.dir, &crate_dir.join("Cargo.toml"))?;
        for target in &exercise.test_targets {
            let relative = target.src_path.strip_prefix(&exercise.dir).map_err(|_| GraderError::Workspace {
                path: target.src_path.clone(),
                reason: format!("test target `{}` lives outside its crate", target.name),
            })?;
            let staged = crate_dir.join(relative);
            let mut source = fs::read_to_string(&staged).map_err(io("reading", &staged))?;
            source.push_str(sentinel::SOURCE);
            fs::write(&staged, source).map_err(io("writing", &staged))?;
        }
        let staged_src = crate_dir.join("src");
        for file in *files {
            let to = staged_src.join(file);
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent).map_err(io("creating", parent))?;
            }
            // Copy the bytes, not the file: permissions and ownership of the
            // submission's files do not carry over.
            let mut bytes = fs::read(src.join(file)).map_err(io("reading", &src.join(file)))?;
            if file == Path::new("lib.rs") {
                bytes = forbid_unsafe(&bytes);
            }
            fs::write(&to, bytes).map_err(io("writing", &to))?;
        }
    }
    Ok(())
}

/// The attribute put in front of the crate root.
pub const FORBID_UNSAFE: &str = "#![forbid(unsafe_code)] ";

/// `lib.rs` with [`FORBID_UNSAFE`] in front of its first line (after a
/// byte-order mark, which must stay first).
pub fn forbid_unsafe(source: &[u8]) -> Vec<u8> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let (bom, rest) = if source.starts_with(BOM) { source.split_at(BOM.len()) } else { (&source[..0], source) };
    [bom, FORBID_UNSAFE.as_bytes(), rest].concat()
}

/// The workspace's own root manifest, with only the staged exercises as
/// members, so `[workspace.package]`, `[workspace.dependencies]` and the
/// profiles are the course's.
fn write_root_manifest<'a>(
    workspace: &Workspace,
    stage_dir: &Path,
    exercises: impl Iterator<Item = &'a Exercise>,
) -> Result<()> {
    let path = workspace.root.join("Cargo.toml");
    let text = fs::read_to_string(&path).map_err(|e| GraderError::io(format!("reading {}", path.display()), e))?;
    let mut manifest: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| GraderError::Workspace { path: path.clone(), reason: e.to_string() })?;
    let members: toml_edit::Array = exercises.map(|e| portable(&e.relative_dir)).collect();
    let table = manifest["workspace"].or_insert(toml_edit::table());
    table["members"] = Item::Value(Value::Array(members));
    if let Some(table) = table.as_table_mut() {
        table.remove("default-members");
        table.remove("exclude");
    }
    let to = stage_dir.join("Cargo.toml");
    fs::write(&to, manifest.to_string()).map_err(|e| GraderError::io(format!("writing {}", to.display()), e))
}

/// Points relative `path = ".."` dependencies of a staged manifest back at
/// the pristine workspace, where helper crates such as `testkit` live.
fn rewrite_path_dependencies(pristine_dir: &Path, manifest_path: &Path) -> Result<()> {
    let text = fs::read_to_string(manifest_path)
        .map_err(|e| GraderError::io(format!("reading {}", manifest_path.display()), e))?;
    let mut manifest: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| GraderError::Workspace {
        path: manifest_path.to_path_buf(),
        reason: e.to_string(),
    })?;
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(table) = manifest.get_mut(section).and_then(Item::as_table_like_mut) else { continue };
        for (_, dependency) in table.iter_mut() {
            let Some(dependency) = dependency.as_table_like_mut() else { continue };
            let Some(path) = dependency.get("path").and_then(|p| p.as_str()).map(PathBuf::from) else { continue };
            if path.is_relative() {
                let absolute = pristine_dir.join(path);
                dependency.insert("path", toml_edit::value(portable(&absolute)));
            }
        }
    }
    fs::write(manifest_path, manifest.to_string())
        .map_err(|e| GraderError::io(format!("writing {}", manifest_path.display()), e))
}

/// Copies the regular files below `from` (no links) whose relative path
/// `keep` accepts.
fn copy_tree(from: &Path, to: &Path, keep: impl Fn(&Path) -> bool) -> Result<()> {
    for entry in WalkDir::new(from).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|e| GraderError::io(format!("reading {}", from.display()), e.into()))?;
        let relative = entry.path().strip_prefix(from).expect("walkdir stays below its root");
        if !keep(relative) || !entry.file_type().is_file() {
            continue;
        }
        let target = to.join(relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| GraderError::io(format!("creating {}", parent.display()), e))?;
        }
        fs::copy(entry.path(), &target)
            .map_err(|e| GraderError::io(format!("copying {}", entry.path().display()), e))?;
    }
    Ok(())
}

fn portable(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crate_root_gets_forbid_unsafe_on_its_first_line() {
        let staged = forbid_unsafe(b"//! Docs.\nuse std::sync::Mutex;\n");
        assert_eq!(staged, b"#![forbid(unsafe_code)] //! Docs.\nuse std::sync::Mutex;\n");
        assert_eq!(staged.iter().filter(|b| **b == b'\n').count(), 2, "line numbers stay the student's");
        let with_bom = forbid_unsafe(b"\xEF\xBB\xBFfn f() {}");
        assert_eq!(with_bom, b"\xEF\xBB\xBF#![forbid(unsafe_code)] fn f() {}");
    }
}
