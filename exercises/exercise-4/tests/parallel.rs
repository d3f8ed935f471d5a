//! Proves that `word_count` reads and counts several files at the same
//! moment, without timing a speed-up (too noisy on two cores).
//!
//! The input files are named pipes (FIFOs). A writer thread in the test
//! gives each pipe the first half of its text as soon as a reader opens it,
//! but keeps the pipe open and holds the second half back. A reader that has
//! taken the first half is therefore in the middle of its file and stays
//! there. The writer releases the second halves only once it has seen two
//! pipes in that state at once: two files being read at the same moment,
//! which needs two threads, since a blocked read holds its thread. An
//! implementation that reads one file at a time never gets there; after a
//! deadline the writer releases everything anyway, so it still finishes
//! (with correct counts), and the test fails.

use std::collections::HashMap;
use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use exercise_4::word_count;

/// How many named pipes `word_count` gets.
const PIPES: usize = 4;
/// How long the writer waits for two pipes to be read at once. A parallel
/// implementation gets there in about a millisecond; the margin covers a
/// heavily loaded machine.
const DEADLINE: Duration = Duration::from_secs(5);
/// How long `word_count` may take in all before the test gives up on it.
const HANG_LIMIT: Duration = Duration::from_secs(20);
/// How often the writer looks at the pipes.
const POLL: Duration = Duration::from_micros(200);

/// Creates a named pipe at `path`.
fn make_fifo(path: &Path) {
    let c_path = CString::new(path.as_os_str().as_bytes()).expect("a temporary path has no NUL byte");
    // SAFETY: `c_path` is a valid NUL-terminated string for the whole call.
    let status = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
    assert!(status == 0, "the test could not create a named pipe: {}", io::Error::last_os_error());
}

/// How many bytes written to the pipe of `file` are still waiting to be read.
fn unread_bytes(file: &File) -> io::Result<usize> {
    let mut unread: libc::c_int = 0;
    // SAFETY: FIONREAD stores one c_int through the pointer, which points to
    // a live local variable; the descriptor belongs to `file`.
    let status = unsafe { libc::ioctl(file.as_raw_fd(), libc::FIONREAD, &mut unread as *mut libc::c_int) };
    if status == 0 { Ok(unread.max(0) as usize) } else { Err(io::Error::last_os_error()) }
}

/// Where a pipe stands, as the writer sees it.
enum Pipe {
    /// No reader has opened it yet.
    Unopened,
    /// A reader has it open and got the first half; the second half is held.
    Holding(File),
    /// All its text was written and the writer closed it.
    Done,
}

/// What the writer saw.
struct Report {
    /// When two pipes were first in the middle of being read at once.
    simultaneous_after: Option<Duration>,
}

/// Serves the pipes until `stop` is set (see the file's documentation).
fn serve(paths: &[PathBuf], halves: &[(String, String)], stop: &AtomicBool) -> Report {
    let start = Instant::now();
    let mut pipes: Vec<Pipe> = paths.iter().map(|_| Pipe::Unopened).collect();
    let mut simultaneous_after = None;
    // Once released, the writer no longer holds anything back.
    let mut released = false;
    while !stop.load(Ordering::Acquire) {
        for (index, pipe) in pipes.iter_mut().enumerate() {
            if matches!(pipe, Pipe::Holding(_)) {
                continue;
            }
            // Opening for writing without blocking succeeds only while a
            // reader has the pipe open (or is waiting in its own open).
            let opened = OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&paths[index]);
            let Ok(mut file) = opened else { continue };
            if matches!(pipe, Pipe::Done) {
                // A reader opened a finished pipe again, or is still reading
                // its end: dropping our new write end at once gives it
                // end-of-file instead of leaving it waiting.
                continue;
            }
            // Both halves are far smaller than a pipe's buffer, so these
            // writes complete at once. A write error (a reader that closed
            // early) only means that reader gets less text.
            let (first, second) = &halves[index];
            let _ = file.write_all(first.as_bytes());
            if released {
                let _ = file.write_all(second.as_bytes());
                *pipe = Pipe::Done;
            } else {
                *pipe = Pipe::Holding(file);
            }
        }
        if !released {
            let mid_read = pipes
                .iter()
                .filter(|pipe| matches!(pipe, Pipe::Holding(file) if matches!(unread_bytes(file), Ok(0))))
                .count();
            if mid_read >= 2 {
                simultaneous_after = Some(start.elapsed());
                released = true;
            } else if start.elapsed() >= DEADLINE {
                released = true;
            }
            if released {
                for (index, pipe) in pipes.iter_mut().enumerate() {
                    if let Pipe::Holding(file) = pipe {
                        let _ = file.write_all(halves[index].1.as_bytes());
                        // Replacing the state drops (closes) the write end:
                        // the reader then sees the end of its file.
                        *pipe = Pipe::Done;
                    }
                }
            }
        }
        thread::sleep(POLL);
    }
    Report { simultaneous_after }
}

#[test]
fn files_are_read_on_several_threads_at_once() {
    let _exclusive = testkit::exclusive();
    let setting = std::env::var("RAYON_NUM_THREADS").ok();
    let workers = setting.as_deref().and_then(|value| value.trim().parse::<usize>().ok());
    assert!(
        matches!(workers, Some(count) if count >= 2),
        "this test needs the environment variable RAYON_NUM_THREADS set to 2 or more (it is \
         {}), so that a one-CPU machine still has two rayon workers: `cargo test` sets it \
         from .cargo/config.toml and the grader from exercise-4's Cargo.toml; when running \
         the test binary by hand, set RAYON_NUM_THREADS=4",
        setting.map_or("unset".to_string(), |value| format!("{value:?}"))
    );

    let dir = tempfile::tempdir().expect("the test could not make a temporary directory");
    let paths: Vec<PathBuf> = (0..PIPES).map(|index| dir.path().join(format!("pipe-{index}.txt"))).collect();
    for path in &paths {
        make_fifo(path);
    }
    // Different words in every pipe, so only reading matters here, not
    // merging (that has tests of its own). Each half ends between words.
    let halves: Vec<(String, String)> = (0..PIPES)
        .map(|index| (format!("alpha{index} beta{index} beta{index}\n"), format!("gamma{index} alpha{index}\n")))
        .collect();
    let expected: HashMap<String, usize> = (0..PIPES)
        .flat_map(|index| [(format!("alpha{index}"), 2), (format!("beta{index}"), 2), (format!("gamma{index}"), 1)])
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (paths, stop) = (paths.clone(), stop.clone());
        thread::spawn(move || serve(&paths, &halves, &stop))
    };
    // `word_count` runs on a thread of its own, so that an implementation
    // that never returns fails this test instead of hanging it.
    let (done_tx, done_rx) = mpsc::channel();
    let counter_paths = paths.clone();
    thread::spawn(move || {
        let result = panic::catch_unwind(AssertUnwindSafe(|| word_count(&counter_paths)));
        let _ = done_tx.send(result.map_err(|payload| testkit::panic_message(payload.as_ref())));
    });
    let outcome = done_rx.recv_timeout(HANG_LIMIT);
    stop.store(true, Ordering::Release);
    let report = writer.join().expect("the test's pipe writer panicked");

    let result = match outcome {
        Ok(Ok(result)) => result,
        Ok(Err(message)) => panic!("word_count panicked on {PIPES} named pipes: {message}"),
        Err(_) => panic!(
            "word_count did not return within {} s when reading {PIPES} named pipes, although \
             every pipe got all its text after {} s at the latest",
            HANG_LIMIT.as_secs(),
            DEADLINE.as_secs()
        ),
    };
    let counts = result.unwrap_or_else(|error| {
        panic!(
            "word_count returned an error for {PIPES} named pipes (FIFOs), which are readable \
             files: {error}"
        )
    });
    if report.simultaneous_after.is_none() {
        panic!(
            "the files were read one at a time: word_count must read and count files on \
             several threads at once (in {} s, no two of the {PIPES} input files were ever \
             being read at the same moment; each file given was a named pipe that makes a \
             reader wait in the middle of it until another file is being read too)",
            DEADLINE.as_secs()
        );
    }
    assert!(
        counts == expected,
        "word_count gave {counts:?} for {PIPES} named pipes, expected {expected:?}: every file \
         must be read to its end"
    );
}
