//! The test executables a grading runs, remembered by content.
//!
//! Confined runs cannot write any executable (see [`super::confine`]): each
//! one lies outside every run's writable folders. Unconfined runs (no
//! Landlock) could, so there every run first checks that its executable
//! still has the SHA-256 it had when the grader copied it out of the build;
//! a changed one fails the run with a message instead of running what some
//! earlier run put there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

static KNOWN: Mutex<Option<HashMap<PathBuf, Vec<u8>>>> = Mutex::new(None);

fn digest(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        match file.read(&mut buffer)? {
            0 => break,
            n => hasher.update(&buffer[..n]),
        }
    }
    Ok(hasher.finalize().to_vec())
}

/// Remembers `path`'s content as the one to run.
pub fn remember(path: &Path) -> std::io::Result<()> {
    let digest = digest(path)?;
    KNOWN.lock().expect("executables lock").get_or_insert_with(HashMap::new).insert(path.to_path_buf(), digest);
    Ok(())
}

/// Forgets `path` (its grading is over).
pub fn forget_below(dir: &Path) {
    if let Some(known) = KNOWN.lock().expect("executables lock").as_mut() {
        known.retain(|path, _| !path.starts_with(dir));
    }
}

/// `Err(why)` when `path` is remembered and its content changed since.
/// Skipped when runs are confined: none of them can write it.
pub fn check(path: &Path) -> Result<(), String> {
    if matches!(super::confine::mode(), super::confine::Mode::Landlock { .. }) {
        return Ok(());
    }
    let expected = KNOWN.lock().expect("executables lock").as_ref().and_then(|known| known.get(path).cloned());
    let Some(expected) = expected else { return Ok(()) };
    match digest(path) {
        Ok(actual) if actual == expected => Ok(()),
        Ok(_) => Err(format!(
            "the test executable {} was changed after the build (by an earlier run of this grading?); it was not \
             run. Test processes are not confined on this machine (see the scorecard's confinement)",
            path.display()
        )),
        Err(e) => Err(format!("the test executable {} could not be read: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_executable_is_refused_when_unconfined() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("t");
        std::fs::write(&exe, "original").unwrap();
        remember(&exe).unwrap();
        std::fs::write(&exe, "replaced").unwrap();
        let verdict = check(&exe);
        if matches!(super::super::confine::mode(), super::super::confine::Mode::Landlock { .. }) {
            assert_eq!(verdict, Ok(()));
        } else {
            assert!(verdict.unwrap_err().contains("was changed after the build"));
        }
        forget_below(dir.path());
        assert_eq!(check(&exe), Ok(()), "a forgotten executable is not checked");
    }
}
