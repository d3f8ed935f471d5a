//! The grader's own errors: what stops it from grading at all.
//!
//! A submission that does not compile, hangs or crashes is a graded result,
//! never one of these. These are usage errors and failures of the grader's
//! environment (no toolchain, an unreadable workspace, invalid exercise
//! metadata), and each maps to a documented exit status.

use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status: grading completed, whatever the score.
pub const EXIT_OK: u8 = 0;
/// Exit status: `--fail-under` was given and the total score is below it.
pub const EXIT_BELOW_THRESHOLD: u8 = 1;
/// Exit status: a usage error, or the grader itself cannot work.
pub const EXIT_ERROR: u8 = 2;

/// Why the grader could not grade.
#[derive(Debug, thiserror::Error)]
pub enum GraderError {
    #[error("{0}")]
    Usage(String),

    #[error("the submission {path} does not exist or is not a directory; pass the folder that holds exercises/")]
    NoSuchSubmission { path: PathBuf },

    #[error("unknown exercise `{name}`; this workspace has: {known}")]
    UnknownExercise { name: String, known: String },

    #[error(
        "could not read the workspace at {path}: {reason}; run the grader from the course workspace (or pass --workspace)"
    )]
    Workspace { path: PathBuf, reason: String },

    #[error("invalid grader metadata in {manifest}: {key}: {reason}")]
    Metadata { manifest: PathBuf, key: String, reason: String },

    #[error("could not run cargo: {0}; is the Rust toolchain installed and on PATH?")]
    Toolchain(String),

    #[error("infrastructure_error: {0}")]
    Infrastructure(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl GraderError {
    /// Wraps an I/O error with what the grader was doing.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> GraderError {
        GraderError::Io { context: context.into(), source }
    }

    /// The process exit status for this error. Every grader error is status
    /// 2: the contract reserves 1 for `--fail-under`.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(EXIT_ERROR)
    }
}

/// The grader's result type.
pub type Result<T, E = GraderError> = std::result::Result<T, E>;
