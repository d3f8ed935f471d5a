//! The JSON scorecard, as the contract fixes it.

use std::fs;
use std::io::Write;

use crate::config::Output;
use crate::error::{GraderError, Result};
use crate::scorecard::Scorecard;

/// The scorecard as pretty-printed JSON, ending in a newline.
pub fn to_string(scorecard: &Scorecard) -> String {
    let mut text = serde_json::to_string_pretty(scorecard).expect("a scorecard always serializes");
    text.push('\n');
    text
}

/// Writes the scorecard to a file (atomically: a reader never sees half a
/// scorecard) or to stdout.
pub fn write(scorecard: &Scorecard, output: &Output) -> Result<()> {
    let text = to_string(scorecard);
    match output {
        Output::Stdout => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| GraderError::io("writing the scorecard to stdout", e)),
        Output::File(path) => write_file(path, &text),
    }
}

/// Writes `text` to `path` through a temporary file in the same folder, so
/// a reader never sees half a file (a scorecard, a page, the dashboard).
pub fn write_file(path: &std::path::Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| GraderError::io(format!("creating {}", dir.display()), e))?;
    let mut temp = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| GraderError::io(format!("writing in {}", dir.display()), e))?;
    temp.write_all(text.as_bytes()).map_err(|e| GraderError::io(format!("writing {}", path.display()), e))?;
    temp.persist(path).map_err(|e| GraderError::io(format!("writing {}", path.display()), e.error))?;
    Ok(())
}
