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
    /// What the machine gave this grading, found out before any test ran:
    /// a stress lane that needs more CPUs than this is not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Machine>,
    /// How the test processes were confined, or that they were not (and
    /// why). Absent in scorecards from graders before issue 9.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confinement: Option<Confinement>,
}

/// The CPUs this grading could use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// Whole CPUs: the smaller of the CPUs the process may run on
    /// (`sched_getaffinity`) and its cgroup's CPU quota, rounded down, at
    /// least 1.
    pub cpus: u32,
    /// How `cpus` was found, in words (which limit won, and the other's value).
    pub cpus_source: String,
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
    /// The lanes of the exercise (stress, controlled) and whether each
    /// decided its tests; empty for an exercise with neither, or not built.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lanes: Vec<LaneCard>,
}

/// How one lane of an exercise took part in its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneCard {
    pub lane: Lane,
    pub status: LaneStatus,
    /// Why the lane could not run; `null` when it decided.
    pub reason: Option<String>,
}

/// How a test's runs explore interleavings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    /// Real threads, many rounds, run alone on the machine.
    Stress,
    /// A controlled scheduler (the model checker) that needs no free CPU.
    Controlled,
    /// An ordinary test: neither lane.
    Plain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaneStatus {
    /// Every test of the lane ran conclusively, and its runs count.
    Decided,
    /// Some test of the lane could not run (too few CPUs, a submission the
    /// model checker cannot model, a lane test that did not compile); the
    /// other lane decided those tests, or the grading is not a grade.
    CouldNotRun,
}

/// A failing interleaving found by the controlled lane, as a student reads
/// it: printed by the lane test (`testkit: counterexample: <json>`) before
/// it fails, and copied here by the grader. Fields the lane adds beyond
/// these are dropped (the scorecard keeps the agreed shape); a line without
/// one of these is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    /// The calls of each thread, in words (`thread 1: withdraw(600)`).
    pub scenario: Vec<String>,
    /// What the calls returned, and the final state.
    pub observed: Vec<String>,
    /// Why no sequential order of the calls gives these results.
    pub explanation: String,
    /// The interleaving, one step per context switch, as lines of the
    /// student's own `src/`.
    pub steps: Vec<CounterexampleStep>,
    /// One command that replays exactly this interleaving.
    pub replay: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterexampleStep {
    pub thread: String,
    pub operation: String,
    /// The student's file, relative to the exercise crate (`src/lib.rs`).
    pub file: String,
    pub line: u32,
    /// The text of that line.
    pub source: String,
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
    /// The test's lane (from its group's metadata).
    #[serde(default = "plain_lane")]
    pub lane: Lane,
    /// The lane whose runs gave the verdict: the test's own, or the other
    /// lane of the exercise when this one failed elsewhere or could not run
    /// (see ARCHITECTURE.md, "Lanes"); `null` when no lane could decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Lane>,
    /// The failing interleaving a controlled-lane test found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    /// All of the test's runs added up, in seconds (JUnit's `time`).
    #[serde(default)]
    pub total_run_secs: f64,
    /// The first runs that did not pass, at most [`MAX_FAILED_RUNS`], in
    /// run order: what JUnit's `flakyFailure` / `rerunFailure` show.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_runs: Vec<FailedRun>,
    /// When students see this test on Gradescope, from its group's
    /// `visibility`; `None` (the default) is `visible`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Where each thread waited when a run of this test hung (the first
    /// hung run that was diagnosed); `null` when no run hung.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hang: Option<Hang>,
}

fn plain_lane() -> Lane {
    Lane::Plain
}

/// How many failing runs a test card keeps: enough for a report to show
/// that a failure repeats, bounded however many runs there were.
pub const MAX_FAILED_RUNS: usize = 10;

/// How many bytes of a failing run's message a test card keeps.
pub const FAILED_RUN_MESSAGE_BYTES: usize = 4096;

/// One run of a test that did not pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedRun {
    /// 0-based index of the run among the test's runs.
    pub run: u32,
    /// `STRESS_SEED` of the run.
    pub seed: u64,
    pub secs: f64,
    /// `failed`, `timed_out` or `inconclusive`.
    pub outcome: String,
    /// Why it failed, cut to [`FAILED_RUN_MESSAGE_BYTES`].
    pub message: String,
}

/// Gradescope's visibility of a test's result to students (instructors
/// always see everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Visible,
    Hidden,
    AfterDueDate,
    AfterPublished,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Visible => "visible",
            Visibility::Hidden => "hidden",
            Visibility::AfterDueDate => "after_due_date",
            Visibility::AfterPublished => "after_published",
        }
    }
}

/// A hung run's threads, in the student's terms: taken when the test's
/// watchdog declared a stall or at the time limit, before anything was
/// killed (`run::diagnose`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hang {
    /// How the threads were seen: `gdb` (stacks), `proc` (states only, no
    /// debugger could attach), `labels` (only what the test recorded), `none`.
    pub mechanism: String,
    pub threads: Vec<HangThread>,
    /// The lock cycle, one thread per line, when one was seen.
    pub deadlock: Option<Vec<String>>,
    /// Why something is missing (no debugger, threads left out).
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HangThread {
    pub name: String,
    /// The call the test says the thread was making: `transfer(0, 1, 20)`.
    pub call: Option<String>,
    /// "blocked on a lock (Mutex::lock)", "waiting on a condition variable
    /// (Condvar::wait)", "running ..." (told apart by two samples).
    pub state: String,
    /// The thread's stack reduced to the submission's `src/`, innermost first.
    pub frames: Vec<HangFrame>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HangFrame {
    pub function: String,
    /// Relative to the exercise: `src/lib.rs`.
    pub file: String,
    pub line: u32,
    /// That line of the submission's source, trimmed.
    pub source: String,
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

impl Lane {
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Stress => "stress",
            Lane::Controlled => "controlled",
            Lane::Plain => "plain",
        }
    }
}

impl LaneStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LaneStatus::Decided => "decided",
            LaneStatus::CouldNotRun => "could_not_run",
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
