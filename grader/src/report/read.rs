//! Reading a scorecard back: the one reader of scorecard files, for
//! `grader convert`, `batch` reruns and `merge`.
//!
//! It is strict: a file that is not a scorecard, or one of another
//! `schema_version`, is refused with a message naming the file and the
//! reason, rather than read into defaults that would show as a grade.

use std::path::Path;

use crate::error::{GraderError, Result};
use crate::scorecard::{SCHEMA_VERSION, Scorecard};

/// Reads a scorecard that `grade --output` or `batch` wrote. Anything else
/// is a usage error whose message says which file and why, on one line.
pub fn scorecard(path: &Path) -> Result<Scorecard> {
    let text = std::fs::read_to_string(path).map_err(|e| GraderError::io(format!("reading {}", path.display()), e))?;
    let card: Scorecard = serde_json::from_str(&text)
        .map_err(|e| GraderError::Usage(format!("{} is not a grader scorecard: {e}", path.display())))?;
    if card.schema_version != SCHEMA_VERSION {
        return Err(GraderError::Usage(format!(
            "{} is a scorecard of schema_version {}; this grader reads schema_version {SCHEMA_VERSION}",
            path.display(),
            card.schema_version
        )));
    }
    Ok(card)
}
