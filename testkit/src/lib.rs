//! Shared machinery for the exercises' stress tests.
//!
//! Concurrency bugs are intermittent, so a stress test drives many short,
//! lined-up rounds with random inputs. This crate gives every exercise the
//! same conventions:
//!
//! - [`Stress`] reads the seed (`STRESS_SEED`) and the number of rounds
//!   (`STRESS_ROUNDS`) from the environment, so a student can replay a
//!   failure and the grader can run heavier;
//! - [`Stress::fail`] panics with a message that names the bug, the round and
//!   seed, and the command that replays the same inputs;
//! - [`SpinBarrier`] lines persistent threads up at the start of each round
//!   (a blocking barrier staggers wake-ups and hides races on two cores);
//! - [`exclusive`] keeps the stress tests of one test binary from running at
//!   the same time as each other, so they never oversubscribe the cores;
//! - [`with_watchdog`] fails a test whose workers stop making progress (a
//!   deadlock) instead of letting it hang, and shows where each thread
//!   waits in the student's own lines ([`hang`]);
//! - [`panic_message`], [`AbandonOnDrop`] and [`Stress::context`] are the
//!   small helpers every exercise's tests need;
//! - [`lincheck`] draws small concurrent scenarios from an exercise's API and
//!   judges their outcomes against a sequential model (linearizability).

pub mod hang;

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use rand::SeedableRng;
pub use rand::rngs::StdRng;

pub mod lincheck;

/// The environment variable that fixes the random inputs of a stress test.
pub const SEED_ENV: &str = "STRESS_SEED";
/// The environment variable that sets how many rounds a stress test runs.
pub const ROUNDS_ENV: &str = "STRESS_ROUNDS";
/// Starts the line by which a test that found no bug says it could not look
/// properly (see [`inconclusive`]). The grader reads it; keep it equal to
/// `grader::run::INCONCLUSIVE_MARKER`.
pub const INCONCLUSIVE_MARKER: &str = "testkit: inconclusive run:";

/// Says, on the process's real stderr, that this run of a test found no bug
/// but could not look for one properly (on a starved machine, two threads
/// that should run at the same moment never did), without failing the test:
/// a correct submission must never fail for the machine's load.
///
/// The line bypasses libtest's output capture, so it shows even when the
/// test passes. The grader runs such a test again, and reports an
/// infrastructure error instead of a grade when no run is conclusive.
pub fn inconclusive(reason: &str) {
    use std::io::Write;
    // libtest may have printed "test name ... " without a line break yet:
    // the marker starts a line of its own.
    let line = format!("\n{INCONCLUSIVE_MARKER} {}\n", reason.replace('\n', " "));
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// The context of one stress test: its seed, its number of rounds and what
/// is needed to tell a student how to replay it.
///
/// Create it with the [`stress!`] macro at the top of the test function, on
/// the test's own thread, so that it records the test's name.
#[derive(Debug, Clone)]
pub struct Stress {
    /// The seed of every random input of this run.
    pub seed: u64,
    /// How many rounds to run.
    pub rounds: u64,
    package: &'static str,
    target: &'static str,
    test: String,
}

/// Creates the [`Stress`] context of the calling test, with `default_rounds`
/// rounds unless `STRESS_ROUNDS` says otherwise.
#[macro_export]
macro_rules! stress {
    ($default_rounds:expr) => {
        $crate::Stress::new(env!("CARGO_PKG_NAME"), env!("CARGO_CRATE_NAME"), $default_rounds)
    };
}

impl Stress {
    /// Reads the seed and round count from the environment. Prefer the
    /// [`stress!`] macro, which fills in the package and test target.
    ///
    /// Panics with a clear message if either variable is set but is not a
    /// whole number, rather than silently running something else.
    pub fn new(package: &'static str, target: &'static str, default_rounds: u64) -> Stress {
        let seed = match env_number(SEED_ENV) {
            Some(seed) => seed,
            None => rand::random(),
        };
        let rounds = env_number(ROUNDS_ENV).unwrap_or(default_rounds).max(1);
        let test = thread::current().name().unwrap_or("<unnamed test>").to_string();
        Stress { seed, rounds, package, target, test }
    }

    /// A random number generator seeded from this run's seed.
    pub fn rng(&self) -> StdRng {
        StdRng::seed_from_u64(self.seed)
    }

    /// The shell command that runs this test again with the same inputs.
    pub fn replay_command(&self) -> String {
        format!(
            "{SEED_ENV}={} cargo test -p {} --test {} -- {} --exact",
            self.seed, self.package, self.target, self.test
        )
    }

    /// Fails the test: `what` says in plain words what went wrong and which
    /// concurrency bug that shows; the message adds where (round and seed)
    /// and how to replay it.
    #[track_caller]
    pub fn fail(&self, round: u64, what: impl Display) -> ! {
        panic!(
            "{what}\n{}\n  (a race depends on timing too: if one replay passes, run it a few times)",
            self.context(round)
        )
    }

    /// Where a failure happened and how to replay it, as the indented lines
    /// that follow the description of the bug:
    /// `  (round N of M, seed S)` and `  replay the same inputs: ...`.
    pub fn context(&self, round: u64) -> String {
        format!(
            "  (round {} of {}, seed {})\n  replay the same inputs: {}",
            round + 1,
            self.rounds,
            self.seed,
            self.replay_command()
        )
    }

    /// A watchdog's description of a stall: `what` and then [`Stress::context`].
    pub fn stalled(&self, round: u64, what: impl Display) -> String {
        format!("{what}\n{}", self.context(round))
    }
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match value.parse() {
        Ok(number) => Some(number),
        Err(_) => panic!("{name}={value:?} is not a whole number; unset it or give e.g. {name}=1000"),
    }
}

/// Serialises the stress tests of one test binary.
///
/// `cargo test` runs the tests of a binary on several threads at once. Two
/// stress tests, each with busy threads, would oversubscribe the cores and
/// hide the very races they look for. Hold the guard for the whole test.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static EXCLUSIVE: Mutex<()> = Mutex::new(());
    // A stress test that failed poisons the lock; the next one may still run.
    EXCLUSIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A barrier for a fixed set of persistent threads that spins instead of
/// sleeping, so that every thread leaves it at nearly the same instant.
///
/// Measured on two cores: with a sleeping barrier a check-then-act race was
/// caught in 0 of 5,000 rounds; lined up by a spin barrier, in 14–16% of
/// rounds. Use no more spinning threads than cores.
///
/// If one participant gives up (a failed check, a panic), it calls
/// [`SpinBarrier::abandon`], and every thread waiting now or later returns
/// `false` instead of spinning forever.
#[derive(Debug)]
pub struct SpinBarrier {
    parties: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    abandoned: AtomicBool,
}

impl SpinBarrier {
    /// A barrier for `parties` threads. Panics if `parties` is 0.
    pub fn new(parties: usize) -> SpinBarrier {
        assert!(parties > 0, "a barrier needs at least one party");
        SpinBarrier {
            parties,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            abandoned: AtomicBool::new(false),
        }
    }

    /// Waits until all parties have arrived. Returns `false` if the barrier
    /// was abandoned: the caller should stop its rounds.
    pub fn wait(&self) -> bool {
        if self.abandoned.load(Ordering::Acquire) {
            return false;
        }
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.parties {
            self.arrived.store(0, Ordering::Release);
            self.generation.fetch_add(1, Ordering::AcqRel);
            return true;
        }
        let mut spins: u32 = 0;
        while self.generation.load(Ordering::Acquire) == generation {
            if self.abandoned.load(Ordering::Acquire) {
                return false;
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(4096) {
                // Let a descheduled party run if the machine is busier than
                // the test assumed, instead of burning its time slice.
                thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        true
    }

    /// Releases every waiting thread for good; `wait` returns `false` from
    /// now on.
    pub fn abandon(&self) {
        self.abandoned.store(true, Ordering::Release);
    }

    /// Whether [`SpinBarrier::abandon`] was called.
    pub fn is_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::Acquire)
    }
}

/// Something that lets every thread waiting on it go, for good.
pub trait Abandon {
    fn abandon(&self);
}

impl Abandon for SpinBarrier {
    fn abandon(&self) {
        SpinBarrier::abandon(self);
    }
}

impl<T: Abandon + ?Sized> Abandon for Arc<T> {
    fn abandon(&self) {
        (**self).abandon();
    }
}

impl<T: Abandon + ?Sized> Abandon for &T {
    fn abandon(&self) {
        (**self).abandon();
    }
}

/// Abandons its barrier when dropped, so that a thread that stops early (a
/// failed check, a panic, the watchdog) never leaves its partners spinning
/// forever. Hold one in every thread that waits on the barrier.
pub struct AbandonOnDrop<B: Abandon>(pub B);

impl<B: Abandon> Drop for AbandonOnDrop<B> {
    fn drop(&mut self) {
        self.0.abandon();
    }
}

/// The message of a caught panic (`&str`, `String` or a watchdog's stall),
/// or a placeholder for any other payload.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = panic.downcast_ref::<&str>() {
        (*message).to_string()
    } else if let Some(message) = panic.downcast_ref::<String>() {
        message.clone()
    } else if let Some(Stalled(message)) = panic.downcast_ref::<Stalled>() {
        message.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// The payload with which [`with_watchdog`] fails a stalled test. Its panic
/// is printed as `thread '...' panicked at ...:` and the message, like any
/// other, but never with a `stack backtrace:` of the watchdog's own thread,
/// which shows none of the student's code (the message holds the threads
/// that matter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stalled(pub String);

/// Installs, once, a panic hook that prints a [`Stalled`] panic without a
/// backtrace and passes every other panic to the hook it replaces.
fn install_stall_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Some(Stalled(message)) = info.payload().downcast_ref::<Stalled>() {
                let name = thread::current().name().unwrap_or("<unnamed>").to_string();
                let location = info.location().map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()));
                // eprintln goes to libtest's capture, as the default hook's output does.
                eprintln!("\nthread '{name}' panicked{}:\n{message}", location.unwrap_or_default());
            } else {
                previous(info);
            }
        }));
    });
}

/// A counter that workers bump to show they are making progress.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Records one more step of progress.
    pub fn tick(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// How many steps have been recorded.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Runs `work` on a thread of its own and fails the test if it makes no
/// progress for `stall`: no [`Progress::tick`] and no return.
///
/// A deadlocked thread cannot be stopped, so the test does not wait for it:
/// it panics with `describe_stall()` (which should name the bug, for example
/// "transfers made no progress for 5 s: threads are waiting on each other's
/// locks") and leaves the stuck threads behind; they end with the process.
/// A panic inside `work` is passed on unchanged.
///
/// Before it fails, it shows where each thread waits ([`hang`]): in `cargo
/// test` it attaches gdb to its own process (or reads `/proc` without one)
/// and adds the threads to the message; under the grader (`TESTKIT_HANG_ACK`
/// set) it prints its threads' labels after [`hang::HANG_MARKER`] and waits a
/// bounded moment for the grader, which looks from outside.
pub fn with_watchdog<R, W, D>(stall: Duration, describe_stall: D, work: W) -> R
where
    R: Send + 'static,
    W: FnOnce(Progress) -> R + Send + 'static,
    D: FnOnce() -> String,
{
    install_stall_hook();
    let progress = Progress::default();
    let (done_tx, done_rx) = mpsc::channel();
    let worker_progress = progress.clone();
    thread::Builder::new()
        .name(format!("{}-worker", thread::current().name().unwrap_or("test")))
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(worker_progress)));
            let _ = done_tx.send(result);
        })
        .expect("could not start the watchdog's worker thread");

    let mut last_count = progress.count();
    let mut last_change = Instant::now();
    let poll = (stall / 20).clamp(Duration::from_millis(1), Duration::from_millis(50));
    loop {
        match done_rx.recv_timeout(poll) {
            Ok(Ok(value)) => return value,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("the worker thread vanished without a result")
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let count = progress.count();
                if count != last_count {
                    last_count = count;
                    last_change = Instant::now();
                } else if last_change.elapsed() >= stall {
                    // Look before the description runs: it may release
                    // spinning threads (abandon a barrier), which would
                    // hide where they were.
                    let diagnosis = diagnose_stall();
                    let mut message = describe_stall();
                    if let Some(diagnosis) = diagnosis {
                        message.push_str("\n\n");
                        message.push_str(diagnosis.trim_end());
                    }
                    std::panic::panic_any(Stalled(message));
                }
            }
        }
    }
}

/// Shows where the threads of this stalled process wait: the text to add to
/// the failure message, if any.
fn diagnose_stall() -> Option<String> {
    let me = hang::current_tid();
    if let Some(ack) = std::env::var_os(hang::ACK_ENV) {
        // Under the grader: it looks from outside (a confined test cannot).
        use std::io::Write;
        let ack = std::path::PathBuf::from(ack);
        let line = format!("\n{} {}\n", hang::HANG_MARKER, hang::labels_report(&[me]).json());
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
        let started = Instant::now();
        while !ack.exists() && started.elapsed() < hang::ACK_WAIT {
            thread::sleep(Duration::from_millis(10));
        }
        return None;
    }
    if cfg!(not(target_os = "linux")) {
        return Some("(where each thread waits can be shown on Linux only)".into());
    }
    hang::allow_ptrace();
    let sources = std::env::var_os("CARGO_MANIFEST_DIR").map(|dir| {
        let dir = std::path::PathBuf::from(dir);
        // The debug info records the crate's folder relative to the
        // workspace (`exercises/exercise-5`) or absolute; try both.
        let recorded = std::env::current_dir()
            .ok()
            .and_then(|cwd| workspace_relative(&dir, &cwd))
            .unwrap_or_else(|| dir.to_string_lossy().into_owned());
        hang::Sources { recorded_dir: recorded, read_dir: dir }
    });
    let options = hang::Options { sources, skip_tids: vec![me], labels: hang::labels(), ..hang::Options::default() };
    let mut report = hang::capture(std::process::id(), &options);
    if report.threads.iter().all(|t| t.frames.is_empty()) && report.mechanism == "gdb" {
        // Nothing matched the relative folder: the build recorded absolute paths.
        if let Some(mut sources) = options.sources.clone() {
            sources.recorded_dir = sources.read_dir.to_string_lossy().into_owned();
            report = hang::capture(std::process::id(), &hang::Options { sources: Some(sources), ..options });
        }
    }
    Some(report.text())
}

/// The crate folder relative to the workspace root, found as the nearest
/// ancestor of `dir` holding a Cargo.lock (cargo compiles workspace members
/// with paths relative to it).
fn workspace_relative(dir: &std::path::Path, _cwd: &std::path::Path) -> Option<String> {
    let root = dir.ancestors().skip(1).find(|a| a.join("Cargo.lock").is_file())?;
    dir.strip_prefix(root).ok().map(|p| p.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spin_barrier_lines_up_rounds() {
        let barrier = Arc::new(SpinBarrier::new(2));
        let counter = Arc::new(AtomicU64::new(0));
        let (b, c) = (barrier.clone(), counter.clone());
        let other = thread::spawn(move || {
            for _ in 0..1000 {
                assert!(b.wait());
                c.fetch_add(1, Ordering::Relaxed);
                assert!(b.wait());
            }
        });
        for round in 0..1000 {
            assert!(barrier.wait());
            assert!(barrier.wait());
            // After the second barrier of a round the other thread has
            // counted this round.
            assert!(counter.load(Ordering::Relaxed) > round);
        }
        other.join().unwrap();
    }

    #[test]
    fn abandoned_barrier_releases_waiters() {
        let barrier = Arc::new(SpinBarrier::new(2));
        let waiter = {
            let barrier = barrier.clone();
            thread::spawn(move || barrier.wait())
        };
        thread::sleep(Duration::from_millis(20));
        barrier.abandon();
        assert!(!waiter.join().unwrap());
        assert!(!barrier.wait());
    }

    #[test]
    fn watchdog_returns_the_result_of_progressing_work() {
        let value = with_watchdog(
            Duration::from_millis(500),
            || "stalled".into(),
            |progress| {
                for _ in 0..10 {
                    progress.tick();
                    thread::sleep(Duration::from_millis(5));
                }
                42
            },
        );
        assert_eq!(value, 42);
    }

    #[test]
    fn watchdog_fails_a_stalled_worker_with_the_description() {
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(|| {
            with_watchdog(
                Duration::from_millis(200),
                || "no progress: deadlock".to_string(),
                |_| {
                    thread::sleep(Duration::from_secs(30));
                },
            )
        });
        let message = panic_message(&*outcome.unwrap_err());
        assert!(message.starts_with("no progress: deadlock"), "{message}");
        assert!(started.elapsed() < Duration::from_secs(15));
    }

    #[test]
    fn watchdog_passes_a_worker_panic_on() {
        let outcome = std::panic::catch_unwind(|| {
            with_watchdog(Duration::from_secs(5), || "stalled".into(), |_| -> () { panic!("boom") })
        });
        assert_eq!(*outcome.unwrap_err().downcast::<&str>().unwrap(), "boom");
    }

    #[test]
    fn failure_message_names_seed_round_and_replay() {
        let stress = Stress { seed: 7, rounds: 10, package: "exercise-1", target: "stress", test: "t".into() };
        let outcome = std::panic::catch_unwind(|| stress.fail(3, "lost an update"));
        let message = *outcome.unwrap_err().downcast::<String>().unwrap();
        assert!(message.starts_with("lost an update\n"), "{message}");
        assert!(message.contains("round 4 of 10, seed 7"), "{message}");
        assert!(message.contains("STRESS_SEED=7 cargo test -p exercise-1 --test stress -- t --exact"), "{message}");
    }
}
