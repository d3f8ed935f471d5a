//! The command line as typed: clap's view of the arguments, before any
//! validation. `config` turns it into a checked configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::formats::Format;

/// Grades concurrency exercises: builds each exercise of a submission, runs
/// every test many times in its own process with a time limit, and writes a
/// JSON scorecard.
#[derive(Debug, Parser)]
#[command(name = "grader", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// The course workspace whose exercises, tests and manifests are used
    /// (default: the workspace of the current directory).
    #[arg(long, global = true, env = "GRADER_WORKSPACE", value_name = "DIR")]
    pub workspace: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Grade one submission.
    Grade(GradeArgs),
    /// Grade every subdirectory of DIR as one submission.
    Batch(BatchArgs),
    /// Join the output folders of `batch --shard` runs into one gradebook.
    Merge(MergeArgs),
    /// Write grading-manifest.json: the hashes of the files that decide a
    /// grade (run it after changing tests), or check that it is current.
    Manifest(ManifestArgs),
    /// Write the student-facing repository into DEST: exercises, tests, the
    /// grader and the autograding workflow; no solutions, no fixtures.
    Template(PackageArgs),
    /// Write a Gradescope autograder into DEST (setup.sh, run_autograder and
    /// the course files); zip its contents and upload them.
    Gradescope(PackageArgs),
    /// Write a Classroom 50 autograder into DEST (autograder.py and the
    /// course files); put it at <classroom>/autograders/<assignment>/ in the
    /// Classroom 50 config repository.
    Classroom50(PackageArgs),
    /// Convert a JSON scorecard to another format (Gradescope, JUnit,
    /// Markdown, Classroom 50, Exercism; `classroom` is the legacy GitHub
    /// Classroom result).
    Convert(ConvertArgs),
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// A scorecard that `grade --output` or `batch` wrote.
    #[arg(value_name = "SCORECARD.json")]
    pub scorecard: PathBuf,

    /// The format to write.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub to: Format,

    /// Write to FILE instead of stdout ("-" for stdout).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The destination of `template` and `gradescope`.
#[derive(Debug, Args)]
pub struct PackageArgs {
    /// A new folder, or an empty one, to write into.
    #[arg(value_name = "DEST")]
    pub dest: PathBuf,
}

#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// Only check: exit 1 and list the files if the manifest is not current.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct GradeArgs {
    /// The submission: a folder laid out like the workspace, with
    /// exercises/exercise-N/src (default: this workspace).
    #[arg(value_name = "SUBMISSION")]
    pub submission: Option<PathBuf>,

    /// Write the JSON scorecard to FILE ("-" for stdout).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The format --output writes (json: the scorecard).
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "json")]
    pub format: Format,

    /// Exit with status 1 when the total score is below SCORE.
    #[arg(long, value_name = "SCORE")]
    pub fail_under: Option<f64>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The folder whose subdirectories are the submissions.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Where to write <name>.json for each submission and grades.csv.
    #[arg(long, value_name = "OUT")]
    pub output_dir: PathBuf,

    /// Grade again even the submissions whose scorecard in OUT is current.
    #[arg(long)]
    pub force: bool,

    /// Grade only shard K of N (e.g. 2/4): a fixed share of the
    /// submissions, for spreading a class over a CI matrix; join the shards
    /// with `grader merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// How many submissions are graded at once (default: 2); they share
    /// the --jobs test slots and one dependency build.
    #[arg(long, value_name = "N")]
    pub submissions_at_once: Option<usize>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The output folders of the shards (each holds grades.csv and the
    /// scorecards).
    #[arg(value_name = "SHARD_OUT", required = true)]
    pub shards: Vec<PathBuf>,

    /// Where to write the joined scorecards and grades.csv.
    #[arg(long, value_name = "OUT")]
    pub output_dir: PathBuf,
}

/// How tests are run; shared by `grade` and `batch`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Grade only these exercises (repeatable).
    #[arg(long = "exercise", value_name = "exercise-N")]
    pub exercises: Vec<String>,

    /// Run every test N times (default: each exercise's own setting).
    #[arg(long, value_name = "N")]
    pub repeat: Option<u32>,

    /// How many test processes run at once (default: available cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Time limit of one test run, in seconds (default: each exercise's own).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,

    /// Print no progress and no summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}
