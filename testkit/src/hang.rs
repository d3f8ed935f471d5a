//! Where each thread of a hung test waits, in the student's own lines.
//!
//! A deadlock or a lost wake-up fails a test through [`crate::with_watchdog`]
//! (or the grader's time limit). What a student needs then is Go's goroutine
//! dump: every thread, the call it was making, its state and its stack, but
//! reduced to the lines of *their* `src/`. This module gives both sides:
//!
//! - [`doing`] labels what the calling thread is doing (`transfer(0, 1, 20)`),
//!   cheaply (one uncontended lock of the thread's own slot), so the report
//!   can say which call never returned;
//! - [`capture`] (Linux) looks at a process from the outside: two samples of
//!   `/proc/PID/task/*` a moment apart (state, CPU time, wait channel, the
//!   futex address of a blocked system call) and, when `gdb` is on `PATH`
//!   and may attach, one `gdb -batch` stack of every thread. The watchdog
//!   calls it on its own process in `cargo test`; the grader (unconfined,
//!   the test's parent) calls it on a test process it is about to kill;
//! - [`Report::text`] renders the result for a terminal, [`Report::json`] as
//!   the one-line JSON of the `testkit: hang:` marker and the scorecard's
//!   `TestCard.hang`.
//!
//! Nothing here runs unless a test is already declared hung: a passing test
//! pays only for its labels.

// The parsing and analysis below serve the Linux capture; elsewhere only the
// labels and the report's shape are used, and the rest must still compile.
#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// Starts the line by which the watchdog hands a hang to the grader (see
/// [`crate::with_watchdog`]); keep it equal to `grader::run::diagnose::HANG_MARKER`.
pub const HANG_MARKER: &str = "testkit: hang:";
/// Set by the grader to a path in the run's private folder: the watchdog of
/// a confined test cannot look at itself, so it prints its labels after
/// [`HANG_MARKER`] and waits (at most [`ACK_WAIT`]) until the grader, which
/// looks from outside, creates this file.
pub const ACK_ENV: &str = "TESTKIT_HANG_ACK";
/// How long a watchdog waits for the grader's diagnosis before it fails the
/// test anyway.
pub const ACK_WAIT: Duration = Duration::from_secs(20);
/// The longest one diagnosis may take (gdb included) before it is cut off.
pub const TIME_CAP: Duration = Duration::from_secs(10);
/// Most threads shown; a thread bomb must not make the report unreadable.
const MAX_THREADS: usize = 32;
/// Most frames of the student's code shown per thread.
const MAX_FRAMES: usize = 8;
/// Most characters of a label or a source line kept.
const MAX_TEXT: usize = 200;

/// What one thread has said it is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadLabel {
    /// The kernel's thread id (Linux), 0 elsewhere.
    pub tid: u32,
    pub name: String,
    pub call: Option<String>,
}

struct Slot {
    tid: u32,
    name: String,
    call: Mutex<Option<String>>,
}

static SLOTS: Mutex<Vec<Weak<Slot>>> = Mutex::new(Vec::new());

thread_local! {
    static MY_SLOT: Arc<Slot> = {
        let slot = Arc::new(Slot {
            tid: current_tid(),
            name: std::thread::current().name().unwrap_or("<unnamed>").to_string(),
            call: Mutex::new(None),
        });
        let mut slots = SLOTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Threads that ended leave dead entries; drop them as new ones come.
        slots.retain(|slot| slot.strong_count() > 0);
        slots.push(Arc::downgrade(&slot));
        slot
    };
}

/// Records what the calling thread is doing now, e.g. `transfer(0, 1, 20)`
/// or `pop()`, so that a hang report can name the call that never returned.
///
/// Cheap enough for every call of a behaviour test (one uncontended lock of
/// the thread's own slot); in a stress test's hot loop, label the burst
/// once instead of every call.
pub fn doing(what: impl Into<String>) {
    let what = what.into();
    let _ = MY_SLOT.try_with(|slot| *slot.call.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(what));
}

/// Forgets the calling thread's label: it is no longer inside a labelled call.
pub fn done() {
    let _ = MY_SLOT.try_with(|slot| *slot.call.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None);
}

/// The labels of every live thread that has called [`doing`].
pub fn labels() -> Vec<ThreadLabel> {
    let slots = SLOTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    slots
        .iter()
        .filter_map(Weak::upgrade)
        .map(|slot| ThreadLabel {
            tid: slot.tid,
            name: slot.name.clone(),
            call: slot.call.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone(),
        })
        .collect()
}

/// The kernel's id of the calling thread (what gdb calls its LWP).
pub fn current_tid() -> u32 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions.
        (unsafe { libc::gettid() }) as u32
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

/// One frame of the student's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub function: String,
    /// Relative to the crate: `src/lib.rs`.
    pub file: String,
    pub line: u32,
    /// That line of the source, trimmed (empty if it could not be read).
    pub source: String,
}

/// One thread of a hung process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadReport {
    pub tid: u32,
    pub name: String,
    pub call: Option<String>,
    /// In words: "blocked on a lock (Mutex::lock)", "running" ...
    pub state: String,
    /// The student's frames, innermost first.
    pub frames: Vec<Frame>,
    /// The address a thread blocked in a futex wait waits on (for a Mutex,
    /// the lock's own address).
    pub futex: Option<u64>,
    /// Whether the thread waits for a lock (the deadlock analysis).
    pub lock_wait: bool,
}

/// A diagnosis of a hung process.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// How it was taken: "gdb", "proc" (no debugger), "labels" (only what the
    /// test itself knows, handed to the grader), "none".
    pub mechanism: String,
    pub threads: Vec<ThreadReport>,
    /// Each thread of a lock cycle, in words; `None` if no cycle was seen.
    pub deadlock: Option<Vec<String>>,
    pub note: Option<String>,
}

/// Where the student's sources are, to keep only their frames.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The crate's folder as the compiler saw it (recorded in the debug
    /// info), absolute or relative to the workspace: `exercises/exercise-5`.
    pub recorded_dir: String,
    /// Where to read the same crate's files now (holding `src/`).
    pub read_dir: PathBuf,
}

/// How to take a diagnosis.
#[derive(Debug, Clone)]
pub struct Options {
    /// Try gdb (found on `PATH`); with `false` only `/proc` is read.
    pub use_gdb: bool,
    pub time_cap: Duration,
    pub sources: Option<Sources>,
    /// Threads left out (the watchdog's own).
    pub skip_tids: Vec<u32>,
    /// What the test's threads said they were doing, by thread id.
    pub labels: Vec<ThreadLabel>,
}

impl Default for Options {
    fn default() -> Options {
        Options { use_gdb: true, time_cap: TIME_CAP, sources: None, skip_tids: Vec::new(), labels: Vec::new() }
    }
}

impl Report {
    /// A report for a platform or process where nothing can look.
    pub fn unavailable(note: impl Into<String>) -> Report {
        Report { mechanism: "none".into(), note: Some(note.into()), ..Report::default() }
    }

    /// The report as a goroutine-dump-like text for a terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if self.threads.is_empty() {
            if let Some(note) = &self.note {
                let _ = writeln!(out, "({note})");
            }
            return out;
        }
        let _ = writeln!(out, "where each thread waits ({}):", self.mechanism_words());
        for thread in &self.threads {
            let call = thread.call.as_deref().map(|call| format!(", in `{call}`")).unwrap_or_default();
            let _ = writeln!(out, "  thread '{}'{call} [{}]", thread.name, thread.state);
            for frame in &thread.frames {
                let _ = writeln!(out, "      {}:{}  {}", frame.file, frame.line, frame.source);
            }
            if thread.frames.is_empty() && self.mechanism == "gdb" {
                let _ = writeln!(out, "      (no line of your src/ on its stack)");
            }
        }
        if let Some(cycle) = &self.deadlock {
            let _ = writeln!(out, "deadlock:");
            for step in cycle {
                let _ = writeln!(out, "  {step}");
            }
        }
        if let Some(note) = &self.note {
            let _ = writeln!(out, "({note})");
        }
        out
    }

    fn mechanism_words(&self) -> &'static str {
        match self.mechanism.as_str() {
            "gdb" => "stacks by gdb",
            "proc" => "thread states from /proc, no debugger",
            "labels" => "as the test recorded it",
            _ => "no stacks",
        }
    }

    /// The report as one line of JSON, in the shape of the scorecard's
    /// `TestCard.hang` (plus each thread's `tid`).
    pub fn json(&self) -> String {
        let mut out = String::from("{");
        let _ = write!(out, "\"mechanism\":{},\"threads\":[", json_string(&self.mechanism));
        for (i, thread) in self.threads.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"tid\":{},\"name\":{},\"call\":{},\"state\":{},\"frames\":[",
                thread.tid,
                json_string(&thread.name),
                thread.call.as_deref().map_or("null".to_string(), json_string),
                json_string(&thread.state)
            );
            for (j, frame) in thread.frames.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                let _ = write!(
                    out,
                    "{{\"function\":{},\"file\":{},\"line\":{},\"source\":{}}}",
                    json_string(&frame.function),
                    json_string(&frame.file),
                    frame.line,
                    json_string(&frame.source)
                );
            }
            out.push_str("]}");
        }
        out.push_str("],\"deadlock\":");
        match &self.deadlock {
            Some(steps) => {
                out.push('[');
                out.push_str(&steps.iter().map(|s| json_string(s)).collect::<Vec<_>>().join(","));
                out.push(']');
            }
            None => out.push_str("null"),
        }
        let _ = write!(out, ",\"note\":{}}}", self.note.as_deref().map_or("null".to_string(), json_string));
        out
    }
}

/// A JSON string literal (the marker must stay on one line).
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn clip(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= MAX_TEXT {
        text.to_string()
    } else {
        text.chars().take(MAX_TEXT).collect::<String>() + "…"
    }
}

/// A report made only of the test's own labels (for the grader to merge
/// with what it sees from outside).
pub fn labels_report(skip_tids: &[u32]) -> Report {
    let threads = labels()
        .into_iter()
        .filter(|label| !skip_tids.contains(&label.tid))
        .take(MAX_THREADS)
        .map(|label| ThreadReport {
            tid: label.tid,
            name: clip(&label.name),
            call: label.call.as_deref().map(clip),
            state: "unknown".into(),
            frames: Vec::new(),
            futex: None,
            lock_wait: false,
        })
        .collect();
    Report { mechanism: "labels".into(), threads, deadlock: None, note: None }
}

// ---------------------------------------------------------------------------
// Frames: gdb's output and the student's lines. Pure, so it is tested
// everywhere.

/// One thread as gdb printed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GdbThread {
    pub tid: u32,
    pub name: String,
    /// (function and arguments text, file, line) innermost first; file and
    /// line are empty/0 for a frame without line information.
    pub frames: Vec<(String, String, u32)>,
}

/// Parses `thread apply all bt` output.
pub fn parse_gdb(output: &str) -> Vec<GdbThread> {
    let mut threads: Vec<GdbThread> = Vec::new();
    for line in output.lines() {
        if let Some(rest) = line.strip_prefix("Thread ")
            && let Some(at) = rest.find("(LWP ")
        {
            let after = &rest[at + 5..];
            let tid = after.split(')').next().and_then(|n| n.trim().parse().ok()).unwrap_or(0);
            let name = after.split('"').nth(1).unwrap_or("").to_string();
            threads.push(GdbThread { tid, name, frames: Vec::new() });
            continue;
        }
        let Some(thread) = threads.last_mut() else { continue };
        let trimmed = line.trim_start();
        if !trimmed.starts_with('#') {
            continue;
        }
        // "#5  0x000 in transfer () at exercises/exercise-5/src/lib.rs:74"
        // "#2  std::sys::...::lock_contended () at library/std/...:61"
        let body = trimmed.split_once(' ').map(|(_, b)| b.trim_start()).unwrap_or("");
        let body = match body.split_once(" in ") {
            Some((address, rest)) if address.starts_with("0x") => rest,
            _ => body,
        };
        let (function, file, line) = match body.rsplit_once(" at ") {
            Some((function, location)) => match location.rsplit_once(':') {
                Some((file, line)) => (function, file.to_string(), line.trim().parse().unwrap_or(0)),
                None => (function, String::new(), 0),
            },
            None => (body, String::new(), 0),
        };
        thread.frames.push((function.to_string(), file, line));
    }
    threads
}

/// The function's name without its arguments and hash: `exercise_5::Bank::transfer`.
fn function_name(text: &str) -> String {
    let mut depth = 0i32;
    let mut end = text.len();
    for (i, c) in text.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ' ' | '(' if depth <= 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let name = &text[..end];
    // Drop a trailing "::h0123456789abcdef".
    match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => head.to_string(),
        _ => name.to_string(),
    }
}

/// `file` relative to the crate (`src/lib.rs`) if it is one of the student's
/// `src/` files, else `None`.
pub fn student_file(file: &str, sources: &Sources) -> Option<String> {
    let file = file.replace('\\', "/");
    let recorded = sources.recorded_dir.replace('\\', "/");
    let recorded = recorded.trim_end_matches('/');
    let rest = if recorded.is_empty() {
        file.strip_prefix("src/").map(|r| format!("src/{r}"))
    } else {
        file.strip_prefix(&format!("{recorded}/src/")).map(|r| format!("src/{r}"))
    }?;
    // Only plain relative paths below src/: nothing a crafted path could use
    // to make the grader read outside the submission.
    let path = Path::new(&rest);
    if path.components().all(|c| matches!(c, Component::Normal(_))) { Some(rest) } else { None }
}

/// Line `line` (1-based) of `file` below `dir`, trimmed; empty if unreadable
/// (a symbolic link is never followed).
pub fn source_line(dir: &Path, file: &str, line: u32) -> String {
    let path = dir.join(file);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_file() && meta.len() < 4 * 1024 * 1024 => {}
        _ => return String::new(),
    }
    let Ok(text) = std::fs::read_to_string(&path) else { return String::new() };
    let lines: Vec<&str> = text.lines().collect();
    let Some(index) = (line as usize).checked_sub(1).filter(|&i| i < lines.len()) else { return String::new() };
    // A method chain split over lines (`.wait(state)`) reads better with
    // the lines it continues: up to three.
    let mut start = index;
    while start > 0 && index - start < 3 && lines[start].trim_start().starts_with('.') {
        start -= 1;
    }
    clip(&lines[start..=index].iter().map(|l| l.trim()).collect::<String>())
}

/// What a thread is blocked in, from its frames (innermost first).
fn blocking_call(frames: &[(String, String, u32)]) -> Option<(&'static str, bool)> {
    if frames.iter().any(|(function, _, _)| function.contains("SpinBarrier")) {
        return Some((
            "spinning at the test's start line, waiting for the other threads (testkit::SpinBarrier)",
            false,
        ));
    }
    for (function, file, _) in frames {
        let f = function.as_str();
        let in_file = |part: &str| file.contains(part);
        if f.contains("lock_contended") && (f.contains("mutex") || in_file("mutex")) || f.contains("pthread_mutex_lock")
        {
            return Some(("blocked on a lock (Mutex::lock)", true));
        }
        if f.contains("read_contended") || f.contains("write_contended") {
            return Some(("blocked on a lock (RwLock)", true));
        }
        if f.contains("Condvar") && f.contains("wait") || in_file("condvar") && f.contains("wait") {
            return Some(("waiting on a condition variable (Condvar::wait)", false));
        }
        if f.contains("join") && (f.contains("Thread") || f.contains("JoinHandle") || f.contains("pthread"))
            || f.contains("clockjoin")
        {
            return Some(("waiting for a thread to finish (JoinHandle::join)", false));
        }
        if f.contains("thread::sleep") || f.contains("nanosleep") {
            return Some(("sleeping (thread::sleep)", false));
        }
        if f.contains("mpmc") || f.contains("mpsc") || in_file("mpmc") {
            return Some(("waiting on a channel (recv)", false));
        }
        if f.contains("park") {
            return Some(("parked (thread::park)", false));
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Capturing (Linux).

/// One look at one thread in `/proc`.
#[derive(Debug, Clone, Default)]
struct ProcThread {
    name: String,
    state: char,
    cpu_ticks: u64,
    wchan: String,
    /// The system call it is blocked in and its first argument.
    syscall: Option<(i64, u64)>,
}

#[cfg(target_os = "linux")]
fn proc_sample(pid: u32) -> Vec<(u32, ProcThread)> {
    let mut threads = Vec::new();
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return threads };
    for entry in entries.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let dir = entry.path();
        let mut thread = ProcThread::default();
        if let Ok(stat) = std::fs::read_to_string(dir.join("stat")) {
            // "tid (comm) S ..." where comm may hold spaces and parentheses.
            if let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) {
                thread.name = stat[open + 1..close].to_string();
                let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
                thread.state = fields.first().and_then(|s| s.chars().next()).unwrap_or('?');
                let number = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
                // utime and stime are fields 14 and 15 of stat, 12 and 13 here.
                thread.cpu_ticks = number(11) + number(12);
            }
        }
        thread.wchan = std::fs::read_to_string(dir.join("wchan")).unwrap_or_default();
        if let Ok(syscall) = std::fs::read_to_string(dir.join("syscall")) {
            let mut parts = syscall.split_whitespace();
            if let (Some(number), Some(first)) = (parts.next().and_then(|n| n.parse::<i64>().ok()), parts.next()) {
                let first = u64::from_str_radix(first.trim_start_matches("0x"), 16).unwrap_or(0);
                thread.syscall = Some((number, first));
            }
        }
        threads.push((tid, thread));
    }
    threads.sort_by_key(|(tid, _)| *tid);
    threads
}

/// The futex system call's number on this machine.
#[cfg(target_os = "linux")]
fn is_futex(number: i64) -> bool {
    number == libc::SYS_futex
}

/// Runs gdb on `pid` with a time cap; its output, or why it could not look.
///
/// gdb writes to files, never to a pipe: when a process looks at itself
/// (the watchdog), gdb stops every thread of it, the readers of a pipe
/// included, and a full pipe would stop gdb in turn (measured: a stress
/// test's 40-frame stacks outgrow a pipe). For the same reason the cap is
/// enforced by coreutils' `timeout` around gdb where it exists, not only by
/// this process, which gdb may be holding still.
#[cfg(target_os = "linux")]
fn run_gdb(pid: u32, cap: Duration) -> Result<String, String> {
    use std::process::{Command, Stdio};
    let gdb = find_on_path("gdb").ok_or_else(|| "no debugger: gdb is not on PATH".to_string())?;
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let base = std::env::temp_dir().join(format!("testkit-gdb-{}-{pid}-{stamp}", std::process::id()));
    let (out_path, err_path) = (base.with_extension("out"), base.with_extension("err"));
    let create = |path: &Path| {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| format!("gdb's output file {} could not be created: {e}", path.display()))
    };
    let (out_file, err_file) = (create(&out_path)?, create(&err_path)?);
    let mut command = match find_on_path("timeout") {
        Some(timeout) => {
            let mut command = Command::new(timeout);
            command.args(["-s", "KILL", &format!("{}", cap.as_secs().max(1))]).arg(&gdb);
            command
        }
        None => Command::new(&gdb),
    };
    command
        // No init files, no auto-loaded scripts: a test binary may embed gdb
        // scripts (`#![debugger_visualizer]`), which must never run here.
        .args(["-batch", "-nx", "-nh"])
        .args(["-iex", "set auto-load off", "-iex", "set debuginfod enabled off", "-iex", "set width 0"])
        .args(["-iex", "set print frame-arguments none", "-iex", "set print entry-values no"])
        .arg("-p")
        .arg(pid.to_string())
        .args(["-ex", "thread apply all bt 40"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(out_file))
        .stderr(Stdio::from(err_file));
    let result = (|| {
        let mut child = command.spawn().map_err(|e| format!("gdb could not be started: {e}"))?;
        let started = std::time::Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if started.elapsed() < cap + Duration::from_secs(1) => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("gdb took longer than {} s and was stopped", cap.as_secs()));
                }
            }
        }
        let read = |path: &Path| {
            use std::io::Read;
            let mut text = String::new();
            if let Ok(file) = std::fs::File::open(path) {
                let _ = file.take(2 * 1024 * 1024).read_to_string(&mut text);
            }
            text
        };
        Ok((read(&out_path), read(&err_path)))
    })();
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    let (out, err) = result?;
    if !out.contains("(LWP ") {
        let why = err
            .lines()
            .chain(out.lines())
            .find(|l| l.contains("ptrace") || l.contains("not permitted") || l.contains("Could not attach"))
            .unwrap_or("it printed no threads (it may have been stopped at its time cap)")
            .trim()
            .to_string();
        return Err(format!("gdb could not attach ({why})"));
    }
    Ok(out)
}

#[cfg(target_os = "linux")]
fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(candidate).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// Lets any process of the same user attach to this one (Yama's
/// `ptrace_scope=1`, the default on Ubuntu, allows only ancestors otherwise,
/// and the watchdog's gdb is a child).
#[cfg(target_os = "linux")]
pub fn allow_ptrace() {
    // SAFETY: prctl with PR_SET_PTRACER only sets a per-process attribute;
    // it fails harmlessly (EINVAL) where Yama is not built in.
    unsafe {
        libc::prctl(libc::PR_SET_PTRACER, libc::PR_SET_PTRACER_ANY as libc::c_ulong, 0, 0, 0);
    }
}

/// Looks at every thread of `pid` from outside and says where each waits.
#[cfg(target_os = "linux")]
pub fn capture(pid: u32, options: &Options) -> Report {
    let started = std::time::Instant::now();
    let first = proc_sample(pid);
    if first.is_empty() {
        return Report::unavailable(format!("could not read /proc/{pid}/task: thread states unavailable"));
    }
    let gdb = if options.use_gdb { Some(run_gdb(pid, options.time_cap)) } else { None };
    // The second sample a moment after the first (and after gdb, which
    // stops the process while it looks): a thread whose CPU time grew in
    // between is running, not blocked.
    let pause = Duration::from_millis(150).saturating_sub(started.elapsed()).max(Duration::from_millis(100));
    std::thread::sleep(pause);
    let second = proc_sample(pid);
    build_report(&first, &second, gdb, options)
}

#[cfg(target_os = "linux")]
fn build_report(
    first: &[(u32, ProcThread)],
    second: &[(u32, ProcThread)],
    gdb: Option<Result<String, String>>,
    options: &Options,
) -> Report {
    let (stacks, mechanism, mut note) = match gdb {
        Some(Ok(output)) => (Some(parse_gdb(&output)), "gdb", None),
        Some(Err(why)) => (None, "proc", Some(format!("{why}: thread states only, no lines"))),
        None => (None, "proc", Some("no debugger used: thread states only, no lines".to_string())),
    };
    let mut threads = Vec::new();
    let mut hidden = 0;
    for (tid, now) in second {
        if options.skip_tids.contains(tid) {
            continue;
        }
        let before = first.iter().find(|(t, _)| t == tid).map(|(_, p)| p);
        let used_cpu = before.is_some_and(|b| now.cpu_ticks > b.cpu_ticks);
        let label = options.labels.iter().find(|l| l.tid == *tid);
        let stack = stacks.as_ref().and_then(|s| s.iter().find(|t| t.tid == *tid));
        let blocked = stack.and_then(|s| blocking_call(&s.frames));
        let futex = now.syscall.filter(|(n, _)| is_futex(*n)).map(|(_, address)| address);
        let waiting_in_kernel = now.wchan.contains("futex") || futex.is_some();
        let (mut state, lock_wait) = match blocked {
            Some((words, lock)) if !used_cpu || words.starts_with("spinning") => (words.to_string(), lock),
            Some((words, _)) => (format!("running (it used CPU time between two samples; seen in {words})"), false),
            None if used_cpu || now.state == 'R' => {
                ("running (it used CPU time between two samples: an endless loop or a spin)".to_string(), false)
            }
            None if stack.is_none() && waiting_in_kernel => {
                ("blocked in a futex wait (a lock, a condition variable or a join)".to_string(), false)
            }
            None if now.wchan.contains("nanosleep") || matches!(now.syscall, Some((n, _)) if is_sleep(n)) => {
                ("sleeping (thread::sleep)".to_string(), false)
            }
            None => (format!("not running (kernel state {})", now.state), false),
        };
        if let (Some(address), true) = (futex, lock_wait) {
            let _ = write!(state, ", the lock at {address:#x}");
        }
        let frames: Vec<Frame> = match (stack, &options.sources) {
            (Some(stack), Some(sources)) => stack
                .frames
                .iter()
                .filter_map(|(function, file, line)| {
                    let relative = student_file(file, sources)?;
                    let source = source_line(&sources.read_dir, &relative, *line);
                    Some(Frame { function: function_name(function), file: relative, line: *line, source })
                })
                .take(MAX_FRAMES)
                .collect(),
            _ => Vec::new(),
        };
        // With stacks, a thread of neither the student nor a labelled test
        // (libtest's main thread) is left out; without, all are shown.
        if stacks.is_some() && frames.is_empty() && label.and_then(|l| l.call.as_ref()).is_none() {
            hidden += 1;
            continue;
        }
        let name = label.map(|l| l.name.clone()).unwrap_or_else(|| now.name.clone());
        threads.push(ThreadReport {
            tid: *tid,
            name: clip(&name),
            call: label.and_then(|l| l.call.as_deref().map(clip)),
            state,
            frames,
            futex,
            lock_wait,
        });
    }
    let shown = threads.len();
    threads.truncate(MAX_THREADS);
    let mut notes: Vec<String> = note.take().into_iter().collect();
    if hidden > 0 {
        notes.push(format!("{hidden} thread(s) of the test harness not shown"));
    }
    if shown > MAX_THREADS {
        notes.push(format!("{} more threads not shown", shown - MAX_THREADS));
    }
    let deadlock = deadlock(&threads);
    Report {
        mechanism: mechanism.into(),
        threads,
        deadlock,
        note: if notes.is_empty() { None } else { Some(notes.join("; ")) },
    }
}

#[cfg(target_os = "linux")]
fn is_sleep(number: i64) -> bool {
    number == libc::SYS_clock_nanosleep || {
        #[cfg(target_arch = "x86_64")]
        {
            number == libc::SYS_nanosleep
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }
}

/// The lock cycle, as far as the process shows it. std's Mutex does not
/// record its owner, so the holders are inferred: when nothing runs and
/// every waiting thread waits for a lock, each lock is held by one of them.
fn deadlock(threads: &[ThreadReport]) -> Option<Vec<String>> {
    let waiting: Vec<&ThreadReport> = threads.iter().filter(|t| t.lock_wait).collect();
    if waiting.is_empty() || threads.iter().any(|t| t.state.starts_with("running")) {
        return None;
    }
    let describe = |t: &ThreadReport| {
        let call = t.call.as_deref().map(|c| format!(" in `{c}`")).unwrap_or_default();
        let at = t.frames.first().map(|f| format!(" at {}:{} `{}`", f.file, f.line, f.source)).unwrap_or_default();
        let lock = t.futex.map(|a| format!("the lock at {a:#x}")).unwrap_or_else(|| "a lock".into());
        (format!("thread '{}'{call}", t.name), lock, at)
    };
    let mut steps = Vec::new();
    if waiting.len() == 1 {
        let (who, lock, at) = describe(waiting[0]);
        steps.push(format!(
            "{who} waits for {lock}{at}, which no running thread will release: it may hold that lock itself \
             (a Mutex is not re-entrant)"
        ));
        return Some(steps);
    }
    let distinct: std::collections::BTreeSet<Option<u64>> = waiting.iter().map(|t| t.futex).collect();
    for (i, t) in waiting.iter().enumerate() {
        let (who, lock, at) = describe(t);
        let next = waiting[(i + 1) % waiting.len()];
        if distinct.len() == waiting.len() && waiting.len() == 2 {
            let (_, theirs, _) = describe(next);
            steps.push(format!("{who} holds {theirs} and waits for {lock}{at}"));
        } else {
            steps.push(format!("{who} waits for {lock}{at}"));
        }
    }
    steps.push(
        "no thread is running, so none of these locks is ever released (std's Mutex does not record its owner: \
         who holds which lock is inferred from who waits for which)"
            .into(),
    );
    Some(steps)
}

/// Where no capture is possible.
#[cfg(not(target_os = "linux"))]
pub fn capture(_pid: u32, _options: &Options) -> Report {
    Report::unavailable("where each thread waits can be shown on Linux only (gdb or /proc)")
}

/// No-op where Yama does not exist.
#[cfg(not(target_os = "linux"))]
pub fn allow_ptrace() {}

#[cfg(test)]
mod tests {
    use super::*;

    const GDB: &str = r#"[New LWP 29520]
Thread 5 (Thread 0x7f84742ac6c0 (LWP 29523) "transfer_moves_"):
#0  syscall () at ../sysdeps/unix/sysv/linux/x86_64/syscall.S:38
#1  0x0000562c4db14e36 in std::sys::pal::unix::futex::futex_wait () at library/std/src/sys/pal/unix/futex.rs:73
#2  std::sys::sync::mutex::futex::Mutex::lock_contended () at library/std/src/sys/sync/mutex/futex.rs:61
#5  0x0000562c4dafa79b in transfer () at exercises/exercise-5/src/lib.rs:74
#6  0x0000562c4da8c261 in behaviour::common::with_crossfire::{{closure}}::h941b8e591e02e2e3 () at exercises/exercise-5/tests/common/mod.rs:174
#11 0x0000562c4daafe3b in __rust_try ()

Thread 3 (Thread 0x7f84746ae6c0 (LWP 29521) "transfer_moves_"):
#3  0x00007f847495dce3 in __pthread_clockjoin_ex (threadid=1, thread_return=0x0) at ./nptl/pthread_join_common.c:102
#4  0x0000562c4db17201 in std::sys::thread::unix::Thread::join () at library/std/src/sys/thread/unix.rs:126
"#;

    #[test]
    fn parses_gdb_threads_and_keeps_only_the_students_frames() {
        let threads = parse_gdb(GDB);
        assert_eq!(threads.len(), 2);
        assert_eq!((threads[0].tid, threads[0].name.as_str()), (29523, "transfer_moves_"));
        assert_eq!(
            threads[0].frames[3],
            ("transfer ()".to_string(), "exercises/exercise-5/src/lib.rs".to_string(), 74)
        );
        assert_eq!(threads[0].frames[5].1, "");
        let sources = Sources { recorded_dir: "exercises/exercise-5".into(), read_dir: PathBuf::new() };
        let mine: Vec<String> =
            threads[0].frames.iter().filter_map(|(_, file, _)| student_file(file, &sources)).collect();
        assert_eq!(mine, ["src/lib.rs"]);
        assert_eq!(blocking_call(&threads[0].frames), Some(("blocked on a lock (Mutex::lock)", true)));
        assert_eq!(
            blocking_call(&threads[1].frames).map(|b| b.0),
            Some("waiting for a thread to finish (JoinHandle::join)")
        );
        assert_eq!(
            function_name("behaviour::common::with_crossfire::{{closure}}::h941b8e591e02e2e3 ()"),
            "behaviour::common::with_crossfire::{{closure}}"
        );
    }

    #[test]
    fn a_crafted_path_never_leaves_src() {
        let sources = Sources { recorded_dir: "/w/exercises/e".into(), read_dir: PathBuf::new() };
        assert_eq!(student_file("/w/exercises/e/src/bank/mod.rs", &sources).as_deref(), Some("src/bank/mod.rs"));
        assert_eq!(student_file("/w/exercises/e/src/../../../etc/passwd", &sources), None);
        assert_eq!(student_file("/w/exercises/e/tests/stress.rs", &sources), None);
    }

    #[test]
    fn json_is_one_line_and_escaped() {
        let report = Report {
            mechanism: "gdb".into(),
            threads: vec![ThreadReport {
                tid: 7,
                name: "a \"b\"\n".into(),
                call: Some("pop()".into()),
                state: "blocked".into(),
                frames: vec![Frame { function: "f".into(), file: "src/lib.rs".into(), line: 3, source: "x\ty".into() }],
                futex: None,
                lock_wait: true,
            }],
            deadlock: Some(vec!["one".into()]),
            note: None,
        };
        let json = report.json();
        assert!(!json.contains('\n'), "{json}");
        assert!(json.contains(r#""name":"a \"b\"\n""#), "{json}");
        assert!(json.contains(r#""frames":[{"function":"f","file":"src/lib.rs","line":3,"source":"x\ty"}]"#), "{json}");
        assert!(json.ends_with(r#""deadlock":["one"],"note":null}"#), "{json}");
    }

    #[test]
    fn labels_name_the_threads_call() {
        let handle = std::thread::Builder::new()
            .name("labelled".into())
            .spawn(|| {
                doing("pop()");
                let mine = labels().into_iter().find(|l| l.tid == current_tid()).unwrap();
                done();
                mine
            })
            .unwrap();
        let label = handle.join().unwrap();
        assert_eq!(label.name, "labelled");
        assert_eq!(label.call.as_deref(), Some("pop()"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn captures_a_thread_blocked_on_a_lock_in_this_process() {
        use std::sync::mpsc;
        let lock = Arc::new(Mutex::new(()));
        let guard = lock.lock().unwrap();
        let (ready_tx, ready_rx) = mpsc::channel();
        let waiter = {
            let lock = lock.clone();
            std::thread::Builder::new()
                .name("waiter".into())
                .spawn(move || {
                    doing("lock()");
                    ready_tx.send(current_tid()).unwrap();
                    drop(lock.lock());
                })
                .unwrap()
        };
        let tid = ready_rx.recv().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        // No debugger: the fallback still tells a futex wait and the label.
        let options = Options { use_gdb: false, labels: labels(), ..Options::default() };
        let report = capture(std::process::id(), &options);
        drop(guard);
        waiter.join().unwrap();
        assert_eq!(report.mechanism, "proc");
        let thread = report.threads.iter().find(|t| t.tid == tid).expect("the waiting thread");
        assert_eq!(thread.call.as_deref(), Some("lock()"));
        assert!(thread.state.contains("futex"), "{}", thread.state);
        assert!(thread.futex.is_some());
    }
}
