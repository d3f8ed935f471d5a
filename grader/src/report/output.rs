//! Where a report goes, and the one way every report is written there.
//!
//! `Output` lives here rather than in `config`, so that imports run one
//! way: `cli` (the arguments as typed) and `config` (the arguments checked)
//! use `report`, and nothing in `report` uses either. Every file a report
//! module writes goes through [`write_atomic`], so a reader (a gradebook
//! import, Gradescope, a CI widget) never sees half a file.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{GraderError, Result};

/// Where a report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Stdout,
    File(PathBuf),
}

impl Output {
    /// The `--output` argument as given: "-" is stdout, anything else a file.
    pub fn from_arg(path: PathBuf) -> Output {
        if path.as_os_str() == "-" { Output::Stdout } else { Output::File(path) }
    }

    /// Writes `text` to stdout, or atomically to the file. `what` names the
    /// report in an error message ("the scorecard", "the junit report").
    pub fn write(&self, text: &str, what: &str) -> Result<()> {
        match self {
            Output::Stdout => std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map_err(|e| GraderError::io(format!("writing {what} to stdout"), e)),
            Output::File(path) => write_atomic(path, text.as_bytes()),
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder
/// (created if needed) that is then renamed over it: a reader sees the old
/// file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let context = || format!("writing {}", path.display());
    std::fs::create_dir_all(&dir).map_err(|e| GraderError::io(format!("creating {}", dir.display()), e))?;
    let mut temp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| GraderError::io(context(), e))?;
    temp.write_all(bytes).map_err(|e| GraderError::io(context(), e))?;
    temp.persist(path).map_err(|e| GraderError::io(context(), e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dash_is_stdout_and_anything_else_a_file() {
        assert_eq!(Output::from_arg("-".into()), Output::Stdout);
        assert_eq!(Output::from_arg("out.json".into()), Output::File("out.json".into()));
    }

    #[test]
    fn an_atomic_write_creates_the_folder_and_replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a").join("b.txt");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        let names: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("b.txt")], "no temporary file is left behind");
    }
}
