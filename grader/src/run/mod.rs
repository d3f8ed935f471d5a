//! Running: every test in its own process, by exact name, as many times as
//! its settings say, in parallel up to `--jobs`, each run under the limits
//! of [`process`]. The result is one [`RunRecord`] per run; scoring is done
//! elsewhere, from the records alone.

pub mod canary;
pub mod confine;
pub mod diagnose;
pub mod executables;
pub mod process;
pub mod sentinel;
pub mod slots;

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use process::{Exit, ProcessResult, ProcessSpec};
use slots::Slots;

use crate::scorecard::Counterexample;

/// Output kept per run: enough for any failure report, bounded whatever a
/// test prints.
pub const OUTPUT_CAP: usize = 64 * 1024;
/// The address space one test process may use.
pub const MEMORY_LIMIT: u64 = 4 * 1024 * 1024 * 1024;
/// How long listing a test binary's tests may take.
const LIST_TIMEOUT: Duration = Duration::from_secs(30);
/// The variables through which the stress tests take their inputs.
pub const SEED_ENV: &str = "STRESS_SEED";
pub const ROUNDS_ENV: &str = "STRESS_ROUNDS";
/// Starts the line by which a passing test says that it could not look for
/// its bug properly (the course's `testkit::inconclusive`).
pub const INCONCLUSIVE_MARKER: &str = "testkit: inconclusive run:";
/// Starts the line on which a failing controlled-lane test prints its
/// counterexample as one line of JSON (`scorecard::Counterexample`).
pub const COUNTEREXAMPLE_MARKER: &str = "testkit: counterexample:";
/// The longest counterexample line read; a longer one is ignored.
const MAX_COUNTEREXAMPLE_CHARS: usize = 32 * 1024;
/// How many times an inconclusive run is tried in all before the grading
/// reports an infrastructure error.
pub const INCONCLUSIVE_ATTEMPTS: u32 = 3;

/// One test to run, with how to run it.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub exercise: String,
    pub name: String,
    pub target: String,
    pub executable: PathBuf,
    pub repeat: u32,
    /// Runs alone: a stress test that needs every core to itself, both to
    /// find races and so that it cannot slow a neighbour into a timeout.
    pub exclusive: bool,
    /// One long run (the controlled lane's model checking: seconds, where
    /// most tests take milliseconds). Queued before the short shared runs,
    /// which then fill the other slots around it, instead of one slot
    /// finishing it alone at the end while the others idle.
    pub long: bool,
    pub timeout: Duration,
    /// `STRESS_ROUNDS` for the run, when the grader sets one.
    pub rounds: Option<u64>,
    /// Extra variables from the exercise's metadata.
    pub env: Vec<(String, String)>,
    /// The submission's sources of this exercise, for a hang diagnosis to
    /// quote their lines.
    pub sources: Option<testkit::hang::Sources>,
}

/// How one run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    Passed,
    Failed,
    TimedOut,
    /// The test passed but said it could not look for its bug properly (a
    /// starved machine): neither a pass nor the student's failure.
    Inconclusive,
}

/// What happened in one run of one test. Scoring reads only these.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub exercise: String,
    pub test: String,
    /// 0-based index of the run among the test's runs.
    pub run: u32,
    pub outcome: RunOutcome,
    /// Why the run failed, in words; `None` for a pass.
    pub message: Option<String>,
    /// `STRESS_SEED` of the run.
    pub seed: u64,
    pub duration: Duration,
    /// The counterexample a failing run printed, if any.
    pub counterexample: Option<Counterexample>,
    /// Where each thread waited, if this run hung and was diagnosed; only
    /// on a run that did not pass.
    pub hang: Option<crate::scorecard::Hang>,
}

/// Where and how test processes run.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// A folder of the grader's own; each run gets a fresh home and temp
    /// folder below it, removed afterwards.
    pub scratch: PathBuf,
    /// `PATH` for test processes.
    pub path: OsString,
}

/// Told about runs as they start and end (a progress display).
pub trait Observer: Sync {
    fn runs_planned(&self, _total: usize) {}
    fn run_started(&self, _case: &TestCase, _run: u32) {}
    fn run_finished(&self, _case: &TestCase, _record: &RunRecord) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// Runs every case `repeat` times, each run holding one of `slots` (an
/// exclusive case holds them all, so it runs with nothing else). Records
/// come back in the order of `cases` and of runs.
pub fn run_all(cases: &[TestCase], slots: &Slots, sandbox: &Sandbox, observer: &dyn Observer) -> Vec<RunRecord> {
    let queue = queue_order(cases);
    observer.runs_planned(queue.len());
    let next = Mutex::new(0usize);
    let records = Mutex::new(Vec::with_capacity(queue.len()));
    // One hang diagnosis per test per grading: later hung runs of the same
    // test would show the same threads and cost the same seconds.
    let budgets: Vec<Arc<AtomicBool>> = cases.iter().map(|_| Arc::new(AtomicBool::new(true))).collect();

    thread::scope(|scope| {
        for worker in 0..slots.total().min(queue.len()) {
            let (queue, next, records, budgets) = (&queue, &next, &records, &budgets);
            thread::Builder::new()
                .name(format!("grader-worker-{worker}"))
                .spawn_scoped(scope, move || {
                    loop {
                        let (index, run) = {
                            let mut next = next.lock().expect("queue lock");
                            let Some(&item) = queue.get(*next) else { return };
                            *next += 1;
                            item
                        };
                        let case = &cases[index];
                        let _held = if case.exclusive { slots.acquire_all() } else { slots.acquire(1) };
                        observer.run_started(case, run);
                        // An inconclusive run is tried again at once, still
                        // holding its slots: the load that starved it may
                        // have passed.
                        let budget = &budgets[index];
                        let mut record = run_one_diagnosed(case, run, sandbox, budget);
                        for _ in 1..INCONCLUSIVE_ATTEMPTS {
                            if record.outcome != RunOutcome::Inconclusive {
                                break;
                            }
                            record = run_one_diagnosed(case, run, sandbox, budget);
                        }
                        observer.run_finished(case, &record);
                        records.lock().expect("records lock").push(((index, run), record));
                    }
                })
                .expect("could not start a grader worker thread");
        }
    });

    let mut records = records.into_inner().expect("records lock");
    records.sort_by_key(|(key, _)| *key);
    records.into_iter().map(|(_, record)| record).collect()
}

/// The order in which runs are started, as (case index, run): shared tests
/// first, the long ones leading (longest first keeps every slot busy to the
/// end), then the exclusive ones: slots freed by the shared tests are taken
/// by the next shared test instead of idling while an exclusive run waits
/// for all of them.
fn queue_order(cases: &[TestCase]) -> Vec<(usize, u32)> {
    let mut queue = Vec::new();
    for (exclusive, long) in [(false, true), (false, false), (true, true), (true, false)] {
        for (index, case) in cases.iter().enumerate().filter(|(_, c)| (c.exclusive, c.long) == (exclusive, long)) {
            queue.extend((0..case.repeat).map(|run| (index, run)));
        }
    }
    queue
}

/// Runs one test once, in a fresh process and a fresh private folder,
/// confined (see [`confine`]), with the sentinel's nonce handed down on a
/// descriptor (see [`sentinel`]).
pub fn run_one(case: &TestCase, run: u32, sandbox: &Sandbox) -> RunRecord {
    run_one_diagnosed(case, run, sandbox, &Arc::new(AtomicBool::new(true)))
}

/// [`run_one`], diagnosing a hang only while `budget` is true (it takes it).
fn run_one_diagnosed(case: &TestCase, run: u32, sandbox: &Sandbox, budget: &Arc<AtomicBool>) -> RunRecord {
    let seed: u64 = rand::random::<u64>() >> 1;
    let nonce = format!("{:032x}", rand::random::<u128>());
    let failed = |message: String| RunRecord {
        exercise: case.exercise.clone(),
        test: case.name.clone(),
        run,
        outcome: RunOutcome::Failed,
        message: Some(message),
        seed,
        duration: Duration::ZERO,
        counterexample: None,
        hang: None,
    };
    let private = match PrivateDir::create(&sandbox.scratch) {
        Ok(dir) => dir,
        Err(e) => return failed(format!("the grader could not prepare the run: {e}")),
    };
    if let Err(reason) = executables::check(&case.executable) {
        return failed(reason);
    }
    let (nonce_fd, proof_fd, proof_file) = match sentinel_files(&private.path, &nonce) {
        Ok(files) => files,
        Err(e) => return failed(format!("the grader could not prepare the sentinel: {e}")),
    };
    let landlock = match confinement(&private, &case.executable) {
        Ok(ruleset) => ruleset,
        Err(e) => return failed(format!("the grader could not prepare the run's confinement: {e}")),
    };

    let mut env = base_env(sandbox, &private.path);
    env.push((SEED_ENV.into(), seed.to_string().into()));
    if let Some(rounds) = case.rounds {
        env.push((ROUNDS_ENV.into(), rounds.to_string().into()));
    }
    env.push((sentinel::FDS_ENV.into(), sentinel::FDS.into()));
    env.extend(case.env.iter().map(|(k, v)| (k.into(), v.into())));
    let ack_file = private.path.join("tmp").join(".testkit-hang-ack");
    env.push((diagnose::ACK_ENV.into(), ack_file.clone().into()));
    let diagnosis = diagnose::Diagnosis { sources: case.sources.clone(), ack_file, budget: budget.clone() };

    let spec = ProcessSpec {
        program: case.executable.clone(),
        args: [case.name.as_str(), sentinel::NAME, "--exact", "--include-ignored", "--test-threads", "1"]
            .into_iter()
            .map(OsString::from)
            .collect(),
        env,
        cwd: private.path.join("tmp"),
        timeout: case.timeout,
        output_cap: OUTPUT_CAP,
        memory_limit: Some(MEMORY_LIMIT),
        diagnosis: Some(diagnosis),
        landlock,
        inherit: vec![(nonce_fd, sentinel::NONCE_FD), (proof_fd, sentinel::PROOF_FD)],
    };
    let result = match process::run(&spec) {
        Ok(result) => result,
        Err(e) => return failed(format!("the test executable could not be started: {e}")),
    };
    let sentinel_reached = fs::read(&proof_file).is_ok_and(|content| content == nonce.as_bytes());
    let (outcome, message) = interpret(&case.name, &result, sentinel_reached, case.timeout);
    let counterexample = (outcome == RunOutcome::Failed)
        .then(|| counterexample(&result.output.text()))
        .flatten()
        .map(|found| with_source_lines(found, case.sources.as_ref()));
    RunRecord {
        exercise: case.exercise.clone(),
        test: case.name.clone(),
        run,
        outcome,
        message,
        seed,
        duration: result.duration,
        counterexample,
        // Printed text can make the grader look, never make a pass worse:
        // a diagnosis goes only with a run that did not pass.
        hang: result.hang.filter(|_| outcome != RunOutcome::Passed),
    }
}

/// The sentinel's two descriptors: the nonce, written to a file that is
/// then deleted (so it exists only as the open descriptor), and the proof
/// file the sentinel writes to. Both lie in the run's folder but outside its
/// `home/` and `tmp/`, where a confined test cannot open them.
fn sentinel_files(
    private: &Path,
    nonce: &str,
) -> std::io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd, PathBuf)> {
    let nonce_path = private.join("nonce");
    fs::write(&nonce_path, nonce)?;
    let nonce_file = fs::File::open(&nonce_path)?;
    fs::remove_file(&nonce_path)?;
    let proof_path = private.join("proof");
    let proof_file = fs::OpenOptions::new().write(true).create_new(true).open(&proof_path)?;
    Ok((nonce_file.into(), proof_file.into(), proof_path))
}

/// The run's Landlock ruleset, or `None` when the grader runs unconfined
/// (the scorecard says so).
fn confinement(private: &PrivateDir, executable: &Path) -> std::io::Result<Option<std::os::fd::OwnedFd>> {
    match confine::mode() {
        confine::Mode::Landlock { abi } => confine::ruleset_for_run(*abi, &private.path, executable).map(Some),
        confine::Mode::Off { .. } => Ok(None),
    }
}

/// Lists the tests of a test executable (without the sentinel), running it
/// under the same limits as a test.
pub fn list_tests(executable: &Path, sandbox: &Sandbox) -> Result<Vec<String>, String> {
    let private = PrivateDir::create(&sandbox.scratch).map_err(|e| format!("could not prepare listing: {e}"))?;
    executables::check(executable)?;
    let landlock =
        confinement(&private, executable).map_err(|e| format!("could not prepare the listing's confinement: {e}"))?;
    let spec = ProcessSpec {
        program: executable.to_path_buf(),
        args: ["--list", "--format", "terse"].into_iter().map(OsString::from).collect(),
        env: base_env(sandbox, &private.path),
        cwd: private.path.join("tmp"),
        timeout: LIST_TIMEOUT,
        output_cap: 4 * 1024 * 1024,
        memory_limit: Some(MEMORY_LIMIT),
        diagnosis: None,
        landlock,
        inherit: Vec::new(),
    };
    let result = process::run(&spec).map_err(|e| format!("the test executable could not be started: {e}"))?;
    if result.exit != Exit::Code(0) {
        return Err(format!("listing its tests failed ({})", describe_exit(result.exit)));
    }
    let text = result.output.text();
    let tests = text
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .filter(|name| *name != sentinel::NAME)
        .map(str::to_string)
        .collect::<Vec<_>>();
    if tests.is_empty() {
        return Err(
            "listing its tests printed no tests (does code run before main, such as a #[link_section] constructor?)"
                .into(),
        );
    }
    Ok(tests)
}

/// The environment every test process gets: nothing of the grader's own
/// (no tokens, no CI secrets), a private home and temp folder.
fn base_env(sandbox: &Sandbox, private: &Path) -> Vec<(OsString, OsString)> {
    vec![
        ("PATH".into(), sandbox.path.clone()),
        ("HOME".into(), private.join("home").into()),
        ("TMPDIR".into(), private.join("tmp").into()),
        ("LANG".into(), "C.UTF-8".into()),
        ("RUST_BACKTRACE".into(), "0".into()),
    ]
}

/// A fresh folder with `home/` and `tmp/`, removed on drop.
struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    fn create(scratch: &Path) -> std::io::Result<PrivateDir> {
        fs::create_dir_all(scratch)?;
        let path = tempfile::Builder::new().prefix("run-").tempdir_in(scratch)?.keep();
        fs::create_dir(path.join("home"))?;
        fs::create_dir(path.join("tmp"))?;
        Ok(PrivateDir { path })
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Decides a run's outcome from how its process ended and whether the
/// sentinel ran; never from text the code under test could print. The
/// output is read only to explain a failure.
pub fn interpret(
    test: &str,
    result: &ProcessResult,
    sentinel_reached: bool,
    timeout: Duration,
) -> (RunOutcome, Option<String>) {
    let output = result.output.text();
    match result.exit {
        Exit::TimedOut => (
            RunOutcome::TimedOut,
            Some(format!(
                "the test hung: no result after {} s (a deadlock or an endless loop); the test process and \
                 everything it started were killed",
                format_secs(timeout)
            )),
        ),
        // With a name the binary does not have, libtest would run only the
        // sentinel and pass: the test itself must have run.
        Exit::Code(0) if sentinel_reached && !output.contains("running 2 tests") => {
            (RunOutcome::Failed, Some(format!("the test executable has no test named `{test}`")))
        }
        // The marker (anywhere in a line: it may follow libtest's "test
        // name ... ") can only turn a pass into a rerun, never a failure
        // into a pass, and a run that stays inconclusive never decides a
        // test (score::score_test). Whether a lane can run at all is never
        // read from here: code under test prints what it likes, so only
        // the build says it (build::BuildOutcome::Built::lane_unavailable).
        Exit::Code(0) if sentinel_reached => {
            if let Some((_, reason)) = output.lines().find_map(|l| l.split_once(INCONCLUSIVE_MARKER)) {
                (
                    RunOutcome::Inconclusive,
                    Some(format!(
                        "inconclusive run (the machine was too busy): {}",
                        truncate_chars(reason.trim(), 500)
                    )),
                )
            } else {
                (RunOutcome::Passed, None)
            }
        }
        Exit::Code(0) => (
            RunOutcome::Failed,
            Some(
                "the test process ended with status 0 before the test harness reported a result: the code under \
                 test ended the process (std::process::exit?); this never counts as a pass"
                    .into(),
            ),
        ),
        Exit::Code(101) => {
            let message = failure_message(&output, test).unwrap_or_else(|| {
                "the test failed, but its failure report could not be read (the output was:\n".to_string()
                    + &tail_chars(&output, 1500)
                    + ")"
            });
            (RunOutcome::Failed, Some(message))
        }
        exit => {
            let mut message = format!("the test process {}", describe_exit(exit));
            if output.contains("memory allocation of") {
                message.push_str(&format!(
                    ": it ran out of memory (the limit is {} GiB per test process)",
                    MEMORY_LIMIT >> 30
                ));
            } else if output.contains("has overflowed its stack") {
                message.push_str(": a thread overflowed its stack (endless recursion?)");
            } else if matches!(exit, Exit::Code(_)) {
                message.push_str(" (std::process::exit in the code under test?)");
            }
            (RunOutcome::Failed, Some(message))
        }
    }
}

/// The counterexample a failing run printed: the last well-formed
/// `testkit: counterexample: <json>` line. It only explains a failure the
/// exit status already proved, so a malformed or oversized line is simply
/// left out.
pub fn counterexample(output: &str) -> Option<Counterexample> {
    output
        .lines()
        .filter_map(|line| line.split_once(COUNTEREXAMPLE_MARKER))
        .map(|(_, json)| json.trim())
        .filter(|json| json.len() <= MAX_COUNTEREXAMPLE_CHARS)
        .filter_map(|json| serde_json::from_str::<Counterexample>(json).ok())
        .next_back()
}

/// The counterexample with each step's source text read by the grader from
/// the submission itself: a confined test cannot read the staged sources, and
/// text a test prints is never shown as the student's code. Only plain
/// relative paths below `src/` are read (a symbolic link never is).
fn with_source_lines(mut found: Counterexample, sources: Option<&testkit::hang::Sources>) -> Counterexample {
    for step in found.steps.iter_mut().filter(|step| !step.file.is_empty()) {
        let plain = step.file.starts_with("src/")
            && Path::new(&step.file).components().all(|c| matches!(c, std::path::Component::Normal(_)));
        step.source = match sources {
            Some(sources) if plain => testkit::hang::source_line(&sources.read_dir, &step.file, step.line),
            _ => String::new(),
        };
    }
    found
}

fn describe_exit(exit: Exit) -> String {
    match exit {
        Exit::Code(code) => format!("exited with status {code}"),
        Exit::Signal(signal) => format!("was killed by signal {} ({})", signal, signal_name(signal)),
        Exit::TimedOut => "hit the time limit".into(),
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGABRT => "SIGABRT: aborted",
        libc::SIGSEGV => "SIGSEGV: invalid memory access",
        libc::SIGBUS => "SIGBUS: invalid memory access",
        libc::SIGILL => "SIGILL: illegal instruction",
        libc::SIGFPE => "SIGFPE: arithmetic error",
        libc::SIGKILL => "SIGKILL: killed",
        libc::SIGTERM => "SIGTERM: terminated",
        _ => "a signal",
    }
}

/// The panic message of `test` from libtest's failure report:
/// the lines after "thread '…' panicked at …:" in the test's section.
pub fn failure_message(output: &str, test: &str) -> Option<String> {
    let header = format!("---- {test} stdout ----");
    let section_start = output.find(&header)? + header.len();
    let section = &output[section_start..];
    let section_end = [section.find("\n---- "), section.find("\nfailures:\n"), section.find("\nsuccesses:\n")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(section.len());
    let section = &section[..section_end];
    let panic_line = section.lines().position(|line| line.starts_with("thread '") && line.contains("panicked at"));
    let lines: Vec<&str> = section.lines().collect();
    let body: Vec<&str> = match panic_line {
        Some(at) => lines[at + 1..]
            .iter()
            .take_while(|line| {
                !line.starts_with("note: run with `RUST_BACKTRACE") && !line.starts_with("stack backtrace:")
            })
            .copied()
            .collect(),
        None => lines,
    };
    let message = body.join("\n").trim().to_string();
    if message.is_empty() { None } else { Some(truncate_chars(&message, 2000)) }
}

fn format_secs(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 { format!("{secs:.0}") } else { format!("{secs:.1}") }
}

fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max { text.to_string() } else { text.chars().take(max).collect::<String>() + " [...]" }
}

fn tail_chars(text: &str, max: usize) -> String {
    let count = text.chars().count();
    text.chars().skip(count.saturating_sub(max)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_shared_runs_start_first_and_exclusive_runs_last() {
        let case = |name: &str, exclusive: bool, long: bool, repeat: u32| TestCase {
            exercise: "exercise-1".into(),
            name: name.into(),
            target: "t".into(),
            executable: PathBuf::from("/bin/true"),
            repeat,
            exclusive,
            long,
            timeout: Duration::from_secs(1),
            rounds: None,
            env: vec![],
            sources: None,
        };
        let cases = [case("stress", true, false, 2), case("plain", false, false, 1), case("lane", false, true, 1)];
        assert_eq!(queue_order(&cases), [(2, 0), (1, 0), (0, 0), (0, 1)]);
    }

    #[test]
    fn a_counterexample_quotes_the_submissions_own_lines_and_nothing_outside_src() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("src")).unwrap();
        fs::write(dir.path().join("src/lib.rs"), "fn a() {}\n    let guard = self.balance.lock();\n").unwrap();
        fs::write(dir.path().join("secret"), "token\n").unwrap();
        let step = |file: &str, line: u32| crate::scorecard::CounterexampleStep {
            thread: "T1".into(),
            operation: "locks a Mutex".into(),
            file: file.into(),
            line,
            source: "printed by the test".into(),
        };
        let found = Counterexample {
            scenario: vec![],
            observed: vec![],
            explanation: String::new(),
            steps: vec![step("src/lib.rs", 2), step("src/../secret", 1), step("secret", 1)],
            replay: String::new(),
        };
        let sources = testkit::hang::Sources { recorded_dir: "exercises/x".into(), read_dir: dir.path().into() };
        let sourced: Vec<String> =
            with_source_lines(found, Some(&sources)).steps.into_iter().map(|s| s.source).collect();
        assert_eq!(sourced, ["let guard = self.balance.lock();", "", ""]);
    }
    use process::CapturedOutput;

    const FAILED_RUN: &str = "\nrunning 2 tests\ntest two_withdrawals ... FAILED\ntest zzzz_grader_sentinel ... ok\n\n\
        failures:\n\n---- two_withdrawals stdout ----\n\nthread 'two_withdrawals' (61) panicked at tests/stress.rs:3:5:\n\
        two withdrawals of 600 from 1000 both succeeded\n  (round 3 of 10, seed 7)\n\
        note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\n\
        failures:\n    two_withdrawals\n\ntest result: FAILED. 1 passed; 1 failed; 0 ignored\n";

    fn result(exit: Exit, output: &str) -> ProcessResult {
        ProcessResult {
            exit,
            duration: Duration::from_millis(5),
            output: CapturedOutput { head: output.as_bytes().to_vec(), tail: vec![], omitted_bytes: 0 },
            hang: None,
        }
    }

    #[test]
    fn reads_the_panic_message_of_the_named_test() {
        let message = failure_message(FAILED_RUN, "two_withdrawals").unwrap();
        assert_eq!(message, "two withdrawals of 600 from 1000 both succeeded\n  (round 3 of 10, seed 7)");
    }

    #[test]
    fn a_pass_needs_status_zero_and_the_sentinel() {
        let limit = Duration::from_secs(30);
        let ok = result(Exit::Code(0), "\nrunning 2 tests\ntest t ... ok\n");
        assert_eq!(interpret("t", &ok, true, limit).0, RunOutcome::Passed);
        let (outcome, message) = interpret("t", &ok, false, limit);
        assert_eq!(outcome, RunOutcome::Failed);
        assert!(message.unwrap().contains("never counts as a pass"));
        let only_sentinel = result(Exit::Code(0), "\nrunning 1 test\n");
        assert_eq!(interpret("t", &only_sentinel, true, limit).0, RunOutcome::Failed);
    }

    #[test]
    fn failures_timeouts_and_crashes_are_explained() {
        let limit = Duration::from_secs(30);
        let (outcome, message) = interpret("two_withdrawals", &result(Exit::Code(101), FAILED_RUN), true, limit);
        assert_eq!(outcome, RunOutcome::Failed);
        assert!(message.unwrap().starts_with("two withdrawals of 600"));

        let (outcome, message) = interpret("t", &result(Exit::TimedOut, ""), false, limit);
        assert_eq!(outcome, RunOutcome::TimedOut);
        assert!(message.unwrap().contains("no result after 30 s"));

        let oom = result(Exit::Signal(libc::SIGABRT), "memory allocation of 8589934592 bytes failed\n");
        let (outcome, message) = interpret("t", &oom, false, limit);
        assert_eq!(outcome, RunOutcome::Failed);
        assert!(message.unwrap().contains("ran out of memory"));

        let (_, message) = interpret("t", &result(Exit::Code(3), ""), false, limit);
        assert!(message.unwrap().contains("exited with status 3"));
    }

    #[test]
    fn the_inconclusive_marker_turns_a_pass_into_a_rerun_and_never_a_failure_into_a_pass() {
        let limit = Duration::from_secs(30);
        let marker =
            format!("\nrunning 2 tests\ntest t ... {INCONCLUSIVE_MARKER} t: only 3 of 10000 rounds overlapped\nok\n");
        let (outcome, message) = interpret("t", &result(Exit::Code(0), &marker), true, limit);
        assert_eq!(outcome, RunOutcome::Inconclusive);
        assert!(message.unwrap().contains("only 3 of 10000 rounds"));
        let failed = format!("{INCONCLUSIVE_MARKER} t\n{FAILED_RUN}");
        assert_eq!(interpret("two_withdrawals", &result(Exit::Code(101), &failed), true, limit).0, RunOutcome::Failed);
        assert_eq!(interpret("t", &result(Exit::Code(0), &marker), false, limit).0, RunOutcome::Failed);
    }

    #[test]
    fn a_printed_lane_unavailable_line_is_only_text() {
        // What the lane test prints when its build found the submission
        // unmodelable; code under test can print it too, so it decides
        // nothing: a pass stays a pass and a failure a failure.
        let limit = Duration::from_secs(30);
        let line = "testkit: lane unavailable: the rewrite cannot handle `static mut`";
        let passed = format!("\nrunning 2 tests\ntest t ... {line}\nok\n");
        assert_eq!(interpret("t", &result(Exit::Code(0), &passed), true, limit).0, RunOutcome::Passed);
        let failed = format!("{line}\n{FAILED_RUN}");
        assert_eq!(interpret("two_withdrawals", &result(Exit::Code(101), &failed), true, limit).0, RunOutcome::Failed);
    }

    #[test]
    fn the_last_well_formed_counterexample_line_is_read() {
        let good = r#"{"scenario":["thread 1: withdraw(600)","thread 2: withdraw(600)"],"observed":["thread 1: Ok(400)","thread 2: Ok(400)"],"explanation":"in any order one withdrawal fails","steps":[{"thread":"thread 1","operation":"load","file":"src/lib.rs","line":12,"source":"let b = self.balance.load();"}],"replay":"STRESS_SEED=7 cargo test -p exercise-1 --test lane -- lane_scenarios_are_linearizable --exact"}"#;
        let output = format!(
            "{COUNTEREXAMPLE_MARKER} {{not json}}\ntest t ... {COUNTEREXAMPLE_MARKER} {good}\n{COUNTEREXAMPLE_MARKER} {{\"scenario\":[]}}\n{FAILED_RUN}"
        );
        let found = counterexample(&output).expect("the good line is read");
        assert_eq!(found.steps[0].line, 12);
        assert_eq!(found.scenario.len(), 2);
        assert!(found.replay.starts_with("STRESS_SEED=7"));
        assert_eq!(counterexample(FAILED_RUN), None);
        let extra = format!("{COUNTEREXAMPLE_MARKER} {}", good.replacen('{', r#"{"schedule":"0a1b","#, 1));
        assert_eq!(counterexample(&extra), Some(found.clone()), "a field beyond the agreed ones is dropped");
        let huge = format!("{COUNTEREXAMPLE_MARKER} {}", good.replace("load", &"x".repeat(MAX_COUNTEREXAMPLE_CHARS)));
        assert_eq!(counterexample(&huge), None);
    }
}
