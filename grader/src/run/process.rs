//! One child process under the grader's limits: a fresh process group, a
//! scrubbed environment, resource limits, a Landlock domain (see
//! [`super::confine`]), descriptors handed down at fixed numbers (the
//! sentinel's), a time limit after which the whole group is killed, and
//! output captured up to a cap.
//!
//! Used for test runs, test listing and builds alike, so every process the
//! grader starts on a submission's behalf is held to the same rules.

use std::ffi::OsString;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use super::diagnose::{self, Diagnosis};
use crate::scorecard::Hang;

/// What to run, and under which limits.
#[derive(Debug)]
pub struct ProcessSpec {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// The complete environment: nothing of the grader's own is inherited.
    pub env: Vec<(OsString, OsString)>,
    pub cwd: PathBuf,
    pub timeout: Duration,
    /// Bytes of combined stdout and stderr kept; the rest is counted and
    /// dropped.
    pub output_cap: usize,
    /// The address-space limit (`RLIMIT_AS`) in bytes, if any.
    pub memory_limit: Option<u64>,
    /// Look at the threads of a hung test before it is killed (see
    /// [`super::diagnose`]); `None` for builds and listings.
    pub diagnosis: Option<Diagnosis>,
    /// A Landlock ruleset ([`super::confine::ruleset`]) the child enters
    /// before `exec`; `None` runs it unconfined.
    pub landlock: Option<OwnedFd>,
    /// Descriptors the child gets at the given numbers (at least 3), open
    /// across `exec`; every other descriptor of the grader is closed on
    /// `exec` (the standard library opens all of them close-on-exec).
    pub inherit: Vec<(OwnedFd, i32)>,
}

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// Killed by the grader at the time limit.
    TimedOut,
}

/// The result of running a [`ProcessSpec`].
#[derive(Debug, Clone)]
pub struct ProcessResult {
    pub exit: Exit,
    pub duration: Duration,
    pub output: CapturedOutput,
    /// Where each thread waited, if the run hung and was diagnosed.
    pub hang: Option<Hang>,
}

/// Combined stdout and stderr, capped: the head and the tail are kept, the
/// middle is dropped and counted.
#[derive(Debug, Clone, Default)]
pub struct CapturedOutput {
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
    pub omitted_bytes: u64,
}

impl CapturedOutput {
    /// The kept output as text (invalid UTF-8 replaced), with a marker where
    /// bytes were dropped.
    pub fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if self.omitted_bytes > 0 {
            text.push_str(&format!("\n[... {} bytes of output omitted ...]\n", self.omitted_bytes));
        }
        text.push_str(&String::from_utf8_lossy(&self.tail));
        text
    }

    /// Total bytes the process wrote.
    pub fn total_bytes(&self) -> u64 {
        (self.head.len() + self.tail.len()) as u64 + self.omitted_bytes
    }
}

/// Runs `spec` to completion or to its time limit.
///
/// The child leads a process group of its own; whether it exits or is
/// killed at the limit, the whole group is killed afterwards, so nothing it
/// started outlives the run.
pub fn run(spec: &ProcessSpec) -> io::Result<ProcessResult> {
    let (reader, writer) = io::pipe()?;
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&spec.cwd)
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0);
    let memory_limit = spec.memory_limit;
    let landlock = spec.landlock.as_ref().map(|fd| fd.as_raw_fd());
    // Each source descriptor is first copied to a number of 10 or more, so
    // that placing one at 3 cannot overwrite the source of another.
    let mut sources = Vec::with_capacity(spec.inherit.len());
    for (fd, target) in &spec.inherit {
        if *target < 3 || *target >= 10 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("cannot hand down descriptor {target}")));
        }
        // SAFETY: F_DUPFD_CLOEXEC on a descriptor we own returns a new one
        // (or -1), which the OwnedFd below then owns.
        let high = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 10) };
        if high < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `high` is a fresh descriptor nobody else owns.
        sources.push((unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(high) }, *target));
    }
    let moves: Vec<(i32, i32)> = sources.iter().map(|(fd, target)| (fd.as_raw_fd(), *target)).collect();
    // SAFETY: the closure runs in the forked child before exec and only
    // makes system calls (setrlimit, prctl, landlock_restrict_self, dup2),
    // all async-signal-safe; it allocates nothing (`moves` was built before
    // the fork and is only read).
    unsafe {
        command.pre_exec(move || {
            // The grader's gdb (a child of the grader, not an ancestor of
            // this process) may attach to diagnose a hang even under Yama's
            // ptrace_scope=1; harmless where Yama is absent.
            libc::prctl(libc::PR_SET_PTRACER, libc::getppid() as libc::c_ulong, 0, 0, 0);
            set_limit(libc::RLIMIT_CORE, 0);
            if let Some(bytes) = memory_limit {
                set_limit(libc::RLIMIT_AS, bytes);
            }
            if let Some(fd) = landlock {
                super::confine::enter(fd)?;
            }
            for &(from, to) in &moves {
                // dup2 leaves the copy open across exec.
                if libc::dup2(from, to) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }

    let started = Instant::now();
    let mut child = command.spawn()?;
    // The pipe's write ends now live only in the child (and what it starts):
    // dropping the command closes ours, so reading ends when they are gone.
    drop(command);
    drop(sources);
    let pid = child.id() as libc::pid_t;

    let cap = spec.output_cap;
    let hang = Arc::new(HangState::default());
    let (marker_tx, marker_rx) = mpsc::channel::<String>();
    let (output_tx, output_rx) = mpsc::channel();
    thread::Builder::new().name("grader-output".into()).spawn(move || {
        let _ = output_tx.send(read_capped(MarkerWatch::new(reader, marker_tx), cap));
    })?;
    // The watchdog's marker is diagnosed while the test waits for it; its
    // end is awaited before the result is returned.
    let diagnoser = spec.diagnosis.clone().map(|diagnosis| {
        let hang = hang.clone();
        thread::Builder::new().name("grader-diagnose".into()).spawn(move || {
            // One marker per run is looked at; later ones are only acknowledged.
            for marker in marker_rx {
                hang.run_once(&diagnosis, pid, Some(&marker));
                diagnosis.acknowledge();
            }
        })
    });
    let diagnoser = diagnoser.transpose()?;

    let timed_out = Arc::new(AtomicBool::new(false));
    let (cancel_tx, cancel_rx) = mpsc::channel::<()>();
    let timer = {
        let (timed_out, hang, diagnosis) = (timed_out.clone(), hang.clone(), spec.diagnosis.clone());
        let timeout = spec.timeout;
        thread::Builder::new().name("grader-timer".into()).spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = cancel_rx.recv_timeout(timeout) {
                timed_out.store(true, Ordering::SeqCst);
                // Look before killing: afterwards there is nothing to see.
                if let Some(diagnosis) = &diagnosis {
                    hang.run_once(diagnosis, pid, None);
                }
                kill_group(pid);
            }
        })?
    };

    let status = child.wait()?;
    let duration = started.elapsed();
    let _ = cancel_tx.send(());
    let _ = timer.join();
    // Whatever the test started in its group goes with it.
    kill_group(pid);

    // A process that left the group (setsid) may still hold the pipe open;
    // do not wait for it longer than a moment.
    let output = output_rx.recv_timeout(Duration::from_secs(2));
    let reader_done = output.is_ok();
    let output = output.unwrap_or_default();
    // The diagnoser ends once the reader has (it drops the sender); a
    // capture in progress is capped by testkit::hang::TIME_CAP.
    if let Some(diagnoser) = diagnoser.filter(|_| reader_done) {
        let _ = diagnoser.join();
    }
    let hang = hang.result.lock().unwrap_or_else(|p| p.into_inner()).take();

    let exit = if timed_out.load(Ordering::SeqCst) {
        Exit::TimedOut
    } else if let Some(code) = status.code() {
        Exit::Code(code)
    } else {
        Exit::Signal(status.signal().unwrap_or(0))
    };
    Ok(ProcessResult { exit, duration, output, hang })
}

/// The diagnosis of one run: taken at most once (marker or time limit,
/// whichever comes first), and only while the test's budget lasts.
#[derive(Default)]
struct HangState {
    taken: Mutex<bool>,
    result: Mutex<Option<Hang>>,
}

impl HangState {
    fn run_once(&self, diagnosis: &Diagnosis, pid: libc::pid_t, marker: Option<&str>) {
        // Held while capturing: the timer waits for a capture the marker
        // started instead of killing the process under it.
        let mut taken = self.taken.lock().unwrap_or_else(|p| p.into_inner());
        if *taken || !diagnosis.claim() {
            return;
        }
        *taken = true;
        let hang = diagnosis.capture(pid as u32, marker);
        *self.result.lock().unwrap_or_else(|p| p.into_inner()) = Some(hang);
    }
}

/// Passes output through unchanged, and sends the JSON of each line that
/// holds the hang marker (the first few; at most a bounded line length).
struct MarkerWatch<R> {
    inner: R,
    line: Vec<u8>,
    overlong: bool,
    sent: u32,
    markers: mpsc::Sender<String>,
}

impl<R> MarkerWatch<R> {
    fn new(inner: R, markers: mpsc::Sender<String>) -> MarkerWatch<R> {
        MarkerWatch { inner, line: Vec::new(), overlong: false, sent: 0, markers }
    }

    /// Looks at whole lines only, found with libc's `memchr`: the reader must
    /// keep up with a test that floods its output (a slow reader blocks the
    /// test's writes until its watchdog declares a stall), also in a debug
    /// build of the grader.
    fn scan(&mut self, mut bytes: &[u8]) {
        loop {
            let (segment, rest) = match find_newline(bytes) {
                Some(at) => (&bytes[..at], Some(&bytes[at + 1..])),
                None => (bytes, None),
            };
            let room = diagnose::MAX_MARKER_BYTES.saturating_sub(self.line.len());
            if segment.len() > room {
                self.overlong = true;
            }
            self.line.extend_from_slice(&segment[..segment.len().min(room)]);
            let Some(rest) = rest else { return };
            if !self.overlong && self.sent < 4 {
                let line = String::from_utf8_lossy(&self.line);
                if let Some(json) = diagnose::marker_in(&line) {
                    self.sent += 1;
                    let _ = self.markers.send(json.to_string());
                }
            }
            self.line.clear();
            self.overlong = false;
            bytes = rest;
        }
    }
}

/// The first `\n` in `bytes`.
fn find_newline(bytes: &[u8]) -> Option<usize> {
    // SAFETY: memchr reads at most `bytes.len()` bytes from the slice's start
    // and returns a pointer into it or null.
    let found = unsafe { libc::memchr(bytes.as_ptr().cast(), i32::from(b'\n'), bytes.len()) };
    (!found.is_null()).then(|| found as usize - bytes.as_ptr() as usize)
}

impl<R: Read> Read for MarkerWatch<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.scan(&buffer[..n]);
        Ok(n)
    }
}

fn kill_group(pid: libc::pid_t) {
    // SAFETY: killpg has no memory-safety preconditions; ESRCH (no such
    // group) is expected once everything has exited.
    unsafe {
        libc::killpg(pid, libc::SIGKILL);
    }
}

fn set_limit(resource: libc::__rlimit_resource_t, value: u64) {
    let limit = libc::rlimit { rlim_cur: value, rlim_max: value };
    // SAFETY: setrlimit reads the struct we pass and nothing else.
    unsafe {
        libc::setrlimit(resource, &limit);
    }
}

/// Reads to end of file, keeping the first quarter of `cap` bytes and the
/// last three quarters: the start shows what ran, the end holds libtest's
/// failure report.
fn read_capped(mut reader: impl Read, cap: usize) -> CapturedOutput {
    let head_cap = cap / 4;
    let tail_cap = cap - head_cap;
    let mut output = CapturedOutput::default();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let mut chunk = &buffer[..n];
        if output.head.len() < head_cap {
            let take = chunk.len().min(head_cap - output.head.len());
            output.head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
        }
        output.tail.extend_from_slice(chunk);
        if output.tail.len() > 2 * tail_cap.max(1) {
            let excess = output.tail.len() - tail_cap;
            output.tail.drain(..excess);
            output.omitted_bytes += excess as u64;
        }
    }
    if output.tail.len() > tail_cap {
        let excess = output.tail.len() - tail_cap;
        output.tail.drain(..excess);
        output.omitted_bytes += excess as u64;
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str, timeout: Duration) -> ProcessResult {
        run(&ProcessSpec {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            cwd: std::env::temp_dir(),
            timeout,
            output_cap: 1000,
            memory_limit: None,
            diagnosis: None,
            landlock: None,
            inherit: vec![],
        })
        .unwrap()
    }

    #[test]
    fn captures_exit_code_and_both_streams() {
        let result = shell("echo out; echo err >&2; exit 3", Duration::from_secs(10));
        assert_eq!(result.exit, Exit::Code(3));
        assert_eq!(result.output.text(), "out\nerr\n");
    }

    #[test]
    fn the_environment_is_only_what_was_given() {
        let result = run(&ProcessSpec {
            program: "/usr/bin/env".into(),
            args: vec![],
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            cwd: std::env::temp_dir(),
            timeout: Duration::from_secs(10),
            output_cap: 1000,
            memory_limit: None,
            diagnosis: None,
            landlock: None,
            inherit: vec![],
        })
        .unwrap();
        assert_eq!(result.output.text().trim(), "PATH=/usr/bin:/bin");
    }

    #[test]
    fn kills_the_whole_group_at_the_time_limit() {
        let started = Instant::now();
        // The grandchild would hold the output pipe open for a minute.
        let result = shell("sleep 60 & sleep 60", Duration::from_millis(300));
        assert_eq!(result.exit, Exit::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    }

    #[test]
    fn background_processes_do_not_outlive_the_run() {
        let marker = format!("grader-test-orphan-{}", std::process::id());
        let result = shell(&format!("(exec -a {marker} sleep 60) & echo started"), Duration::from_secs(10));
        assert_eq!(result.exit, Exit::Code(0));
        thread::sleep(Duration::from_millis(100));
        let survivors = Command::new("pgrep").args(["-f", &marker]).output().unwrap();
        assert!(survivors.stdout.is_empty(), "still running: {}", String::from_utf8_lossy(&survivors.stdout));
    }

    #[test]
    fn caps_a_flood_of_output_keeping_head_and_tail() {
        let result =
            shell("echo first; head -c 5000000 /dev/zero | tr '\\0' x; echo; echo last", Duration::from_secs(20));
        let text = result.output.text();
        assert!(text.starts_with("first\n"), "{}", &text[..50]);
        assert!(text.ends_with("last\n"));
        assert!(text.contains("bytes of output omitted"));
        assert!(result.output.head.len() + result.output.tail.len() <= 1000);
        assert_eq!(result.output.total_bytes(), 5_000_000 + "first\n\nlast\n".len() as u64);
    }

    #[test]
    fn reports_death_by_signal() {
        let result = shell("kill -SEGV $$", Duration::from_secs(10));
        assert_eq!(result.exit, Exit::Signal(libc::SIGSEGV));
    }
}
