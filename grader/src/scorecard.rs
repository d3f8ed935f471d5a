//! The scorecard: the grader's verdict on one submission, as data.
//!
//! The field names and status strings here are fixed by the contract
//! (`schema_version` 1); fields beyond the contract's are additions for
//! instructors. The JSON Schema in `grader/scorecard.schema.json` describes
//! the same shape, and the tests check real scorecards against it. Only
//! `report/` turns a scorecard into bytes.

use serde::{Deserialize, Serialize};

/// The scorecard format's version, fixed by the contract.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub schema_version: u32,
    pub score: f64,
    pub max_score: f64,
    pub exercises: Vec<ExerciseCard>,
    /// The grader's version, so a gradebook can tell which grader wrote it.
    pub grader_version: String,
    /// The submission as given on the command line.
    pub submission: String,
    /// Wall time of the whole grading, in seconds.
    pub duration_secs: f64,
    /// Where the time went.
    #[serde(default)]
    pub phases: Phases,
    /// The grader process's peak resident memory so far, in MiB (its own,
    /// not the tests'): bounded whatever the tests print.
    pub grader_peak_rss_mib: f64,
    /// What the submission holds outside the `src/` trees that differs from
    /// the course workspace. It was ignored; it is listed so an instructor
    /// sees the attempt.
    pub ignored_changes: Vec<IgnoredChange>,
    /// Set when the grading cannot be trusted through no fault of the
    /// submission (the machine was starved while tests timed out); the
    /// scores are then not a grade, and the grader exits with status 2.
    pub infrastructure_error: Option<String>,
    /// Grading files of the workspace (tests, manifests, testkit) that
    /// differ from its `grading-manifest.json`: a student's repository whose
    /// tests were edited. Empty when they match; `null` without a manifest.
    pub tampered_files: Option<Vec<String>>,
    /// In a batch: a hash of everything the grade depends on (the
    /// submission's sources, the course's grading files, the grader and its
    /// options), so a rerun can skip submissions whose scorecard is current.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// What the source policy refused (`std::process`, `unsafe`,
    /// `include_str!` of a file outside `src/` ...), for the instructor: each
    /// one also made its exercise `build_failed` (see `grader/src/policy`).
    pub review_flags: Vec<ReviewFlag>,
    /// How the test processes were confined, or that they were not (and
    /// why). Absent in scorecards from graders before issue 9.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confinement: Option<Confinement>,
}

/// How the code under test was held in: the kernel's sandbox and the
/// source policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confinement {
    /// True only when every test process ran in a Landlock domain.
    pub confined: bool,
    /// `"landlock"` or `"none"`.
    pub mechanism: String,
    /// The kernel's Landlock ABI, when it has one.
    pub landlock_abi: Option<u32>,
    /// What the source policy enforces before the build.
    pub policy: String,
    /// In words: what the domain allows, or why there was none.
    pub detail: String,
}

/// Wall time of each step of a grading, and how many test runs there were.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Phases {
    /// Staging and compiling (waiting for the build lock included).
    pub build_secs: f64,
    /// Listing the tests of the test executables.
    pub list_secs: f64,
    /// Running every test run.
    pub run_secs: f64,
    pub runs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExerciseCard {
    pub id: String,
    pub title: String,
    pub score: f64,
    pub max_score: f64,
    pub status: ExerciseStatus,
    /// Why the exercise is `build_failed` or `missing`; `null` otherwise.
    pub message: Option<String>,
    pub tests: Vec<TestCard>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExerciseStatus {
    Passed,
    Failed,
    BuildFailed,
    Missing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCard {
    /// The test's name as libtest prints it.
    pub name: String,
    pub status: TestStatus,
    pub runs: u32,
    pub passed_runs: u32,
    pub points: f64,
    pub max_points: f64,
    /// The first failure, in words; `null` when every run passed.
    pub message: Option<String>,
    /// The test file (`tests/<target>.rs`) the test lives in.
    pub target: String,
    /// The metadata group that gives the test its points.
    pub group: String,
    /// Whether this is a concurrency stress test.
    pub stress: bool,
    /// `STRESS_SEED` of the first failing run, to replay its inputs.
    pub failing_seed: Option<u64>,
    /// A command that reruns the failing test with the same inputs.
    pub replay: Option<String>,
    /// The longest of the test's runs, in seconds.
    #[serde(default)]
    pub max_run_secs: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestStatus {
    Passed,
    Failed,
    Flaky,
    TimedOut,
    NotRun,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredChange {
    /// The path relative to the submission.
    pub path: String,
    pub change: ChangeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Modified,
    /// A symbolic link, never followed.
    Symlink,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewFlag {
    pub exercise: String,
    /// The file relative to the submission, and the 1-based line.
    pub path: String,
    pub line: usize,
    pub construct: String,
    pub reason: String,
}

impl Scorecard {
    /// Whether this grading is a grade: false after an infrastructure
    /// error, whose runs are kept for diagnosis but whose points must never
    /// be recorded (gradebook, statistics, reuse in a rerun).
    pub fn is_trusted(&self) -> bool {
        self.infrastructure_error.is_none()
    }
}

impl TestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Passed => "passed",
            TestStatus::Failed => "failed",
            TestStatus::Flaky => "flaky",
            TestStatus::TimedOut => "timed_out",
            TestStatus::NotRun => "not_run",
        }
    }
}

impl ExerciseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExerciseStatus::Passed => "passed",
            ExerciseStatus::Failed => "failed",
            ExerciseStatus::BuildFailed => "build_failed",
            ExerciseStatus::Missing => "missing",
        }
    }
}
