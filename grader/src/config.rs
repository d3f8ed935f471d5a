//! Validated configuration: the command line checked and resolved, so the
//! rest of the grader never sees an impossible value.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{BatchArgs, GradeArgs, RunArgs};
use crate::error::{GraderError, Result};
use crate::report::output::Output;

/// How tests run; shared by `grade` and `batch`.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Exercise ids to grade; empty means all.
    pub exercises: Vec<String>,
    /// Overrides every test's number of runs.
    pub repeat: Option<u32>,
    pub jobs: usize,
    /// Overrides every test's time limit.
    pub timeout: Option<Duration>,
    pub quiet: bool,
}

#[derive(Debug, Clone)]
pub struct GradeConfig {
    /// The submission folder; `None` grades the workspace itself.
    pub submission: Option<PathBuf>,
    pub output: Option<Output>,
    pub fail_under: Option<f64>,
    pub run: RunConfig,
}

#[derive(Debug, Clone)]
pub struct BatchConfig {
    pub dir: PathBuf,
    pub output_dir: PathBuf,
    pub force: bool,
    /// `(k, n)`: grade shard k (1-based) of n.
    pub shard: Option<(u32, u32)>,
    pub submissions_at_once: usize,
    pub run: RunConfig,
}

impl RunConfig {
    pub fn from_args(args: RunArgs) -> Result<RunConfig> {
        if args.repeat == Some(0) {
            return Err(GraderError::Usage("--repeat must be at least 1 (every test runs at least once)".into()));
        }
        if args.jobs == Some(0) {
            return Err(GraderError::Usage("--jobs must be at least 1".into()));
        }
        let timeout = match args.timeout {
            Some(secs) if !(secs.is_finite() && secs > 0.0) => {
                return Err(GraderError::Usage(format!("--timeout must be a positive number of seconds, not {secs}")));
            }
            Some(secs) => Some(Duration::from_secs_f64(secs)),
            None => None,
        };
        let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
        Ok(RunConfig { exercises: args.exercises, repeat: args.repeat, jobs, timeout, quiet: args.quiet })
    }
}

impl GradeConfig {
    pub fn from_args(args: GradeArgs) -> Result<GradeConfig> {
        if let Some(path) = &args.submission
            && !path.is_dir()
        {
            return Err(GraderError::NoSuchSubmission { path: path.clone() });
        }
        if let Some(score) = args.fail_under
            && !score.is_finite()
        {
            return Err(GraderError::Usage(format!("--fail-under must be a number, not {score}")));
        }
        let output = args.output.map(Output::from_arg);
        Ok(GradeConfig {
            submission: args.submission,
            output,
            fail_under: args.fail_under,
            run: RunConfig::from_args(args.run)?,
        })
    }
}

impl BatchConfig {
    pub fn from_args(args: BatchArgs) -> Result<BatchConfig> {
        if !args.dir.is_dir() {
            return Err(GraderError::Usage(format!(
                "{} does not exist or is not a directory; pass the folder whose subfolders are the submissions",
                args.dir.display()
            )));
        }
        let shard = args.shard.as_deref().map(parse_shard).transpose()?;
        if args.submissions_at_once == Some(0) {
            return Err(GraderError::Usage("--submissions-at-once must be at least 1".into()));
        }
        Ok(BatchConfig {
            dir: args.dir,
            output_dir: args.output_dir,
            force: args.force,
            shard,
            submissions_at_once: args.submissions_at_once.unwrap_or(2),
            run: RunConfig::from_args(args.run)?,
        })
    }
}

/// Parses `K/N` with 1 <= K <= N.
fn parse_shard(text: &str) -> Result<(u32, u32)> {
    let invalid = || GraderError::Usage(format!("--shard takes K/N with 1 <= K <= N, e.g. 1/4; not {text:?}"));
    let (k, n) = text.split_once('/').ok_or_else(invalid)?;
    let (k, n): (u32, u32) = (k.trim().parse().map_err(|_| invalid())?, n.trim().parse().map_err(|_| invalid())?);
    if k == 0 || n == 0 || k > n {
        return Err(invalid());
    }
    Ok((k, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_k_of_n() {
        assert_eq!(parse_shard("2/4").unwrap(), (2, 4));
        for bad in ["0/4", "5/4", "1", "a/b", "1/0"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
