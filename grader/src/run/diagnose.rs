//! The grader's side of a hang diagnosis: where each thread of a hung test
//! process waits, taken from outside before the process is killed.
//!
//! A test process may be confined (no `/proc`, no debugger of its own), so
//! the grader, its unconfined parent, looks instead, with
//! `testkit::hang::capture` (gdb when it is on the grader's `PATH`, else
//! `/proc`), at two moments:
//!
//! - when the test's watchdog declares a stall: it prints
//!   `testkit: hang: <labels JSON>` (what each thread said it was doing) and
//!   waits, at most `testkit::hang::ACK_WAIT`, for the file named by
//!   `TESTKIT_HANG_ACK`, which the grader creates once it has looked; the
//!   test then fails by itself, with its own message;
//! - at the time limit, just before the process group is killed.
//!
//! It runs only on a hang, at most once per test per grading (a shared
//! budget flag), each capture capped by `testkit::hang::TIME_CAP`, so a
//! passing grading never pays for it. The marker is text the code under
//! test could print: it can make the grader look (once, time-capped) and
//! add labels to a report shown only for a run that did not pass; it never
//! changes an outcome.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Deserialize;
use testkit::hang::{self, Options, Report, Sources, ThreadLabel};

use crate::scorecard::{Hang, HangFrame, HangThread};

/// Starts the line a test's watchdog prints when it declares a stall.
pub const HANG_MARKER: &str = hang::HANG_MARKER;
/// The variable naming the file the grader creates once it has looked.
pub const ACK_ENV: &str = hang::ACK_ENV;
/// The most bytes of a marker line read (labels of at most a few dozen threads).
pub const MAX_MARKER_BYTES: usize = 64 * 1024;

/// How to diagnose one run.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// The student's sources, to keep only their frames and quote their lines.
    pub sources: Option<Sources>,
    /// Created once the grader has looked (the test waits for it).
    pub ack_file: PathBuf,
    /// True while this test may still be diagnosed in this grading: the
    /// first hung run takes it.
    pub budget: Arc<AtomicBool>,
}

impl Diagnosis {
    /// Takes the budget; false if another run of the test already used it.
    pub fn claim(&self) -> bool {
        self.budget.swap(false, Ordering::SeqCst)
    }

    /// Looks at `pid` now. `marker` is the JSON after [`HANG_MARKER`], if
    /// the test's watchdog printed one.
    pub fn capture(&self, pid: u32, marker: Option<&str>) -> Hang {
        let labels = marker.map(parse_labels).unwrap_or_default();
        let options = Options { sources: self.sources.clone(), labels, ..Options::default() };
        to_scorecard(&hang::capture(pid, &options))
    }

    /// Lets the waiting watchdog go on.
    pub fn acknowledge(&self) {
        let _ = std::fs::write(&self.ack_file, b"");
    }
}

#[derive(Deserialize)]
struct MarkerThread {
    #[serde(default)]
    tid: u32,
    #[serde(default)]
    name: String,
    #[serde(default)]
    call: Option<String>,
}

#[derive(Deserialize)]
struct Marker {
    #[serde(default)]
    threads: Vec<MarkerThread>,
}

/// The labels of a marker's JSON; nothing if it does not parse (the marker
/// is the test's text, not trusted).
pub fn parse_labels(json: &str) -> Vec<ThreadLabel> {
    let Ok(marker) = serde_json::from_str::<Marker>(json.trim()) else { return Vec::new() };
    marker
        .threads
        .into_iter()
        .take(64)
        .map(|t| ThreadLabel { tid: t.tid, name: clip(&t.name), call: t.call.as_deref().map(clip) })
        .collect()
}

fn clip(text: &str) -> String {
    text.chars().take(200).collect()
}

/// testkit's report in the scorecard's shape.
pub fn to_scorecard(report: &Report) -> Hang {
    Hang {
        mechanism: report.mechanism.clone(),
        threads: report
            .threads
            .iter()
            .map(|t| HangThread {
                name: t.name.clone(),
                call: t.call.clone(),
                state: t.state.clone(),
                frames: t
                    .frames
                    .iter()
                    .map(|f| HangFrame {
                        function: f.function.clone(),
                        file: f.file.clone(),
                        line: f.line,
                        source: f.source.clone(),
                    })
                    .collect(),
            })
            .collect(),
        deadlock: report.deadlock.clone(),
        note: report.note.clone(),
    }
}

/// Finds the marker in one line of output (anywhere: libtest may have
/// printed "test name ... " before it) and returns the JSON after it.
pub fn marker_in(line: &str) -> Option<&str> {
    line.split_once(HANG_MARKER).map(|(_, json)| json.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_the_markers_json_and_garbage_gives_none() {
        let line = r#"test t ... testkit: hang: {"mechanism":"labels","threads":[{"tid":12,"name":"w","call":"pop()","state":"unknown","frames":[]}],"deadlock":null,"note":null}"#;
        let labels = parse_labels(marker_in(line).unwrap());
        assert_eq!(labels, vec![ThreadLabel { tid: 12, name: "w".into(), call: Some("pop()".into()) }]);
        assert!(parse_labels("{not json").is_empty());
        assert!(marker_in("no marker here").is_none());
    }

    use crate::run::process::{self, ProcessSpec};
    use std::time::{Duration, Instant};

    fn shell(script: &str, timeout: Duration, diagnosis: &Diagnosis) -> process::ProcessResult {
        process::run(&ProcessSpec {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![("PATH".into(), "/usr/bin:/bin".into()), (ACK_ENV.into(), diagnosis.ack_file.clone().into())],
            cwd: std::env::temp_dir(),
            timeout,
            output_cap: 64 * 1024,
            memory_limit: None,
            diagnosis: Some(diagnosis.clone()),
            landlock: None,
            inherit: Vec::new(),
        })
        .unwrap()
    }

    fn diagnosis(dir: &std::path::Path) -> Diagnosis {
        Diagnosis { sources: None, ack_file: dir.join("ack"), budget: Arc::new(AtomicBool::new(true)) }
    }

    #[test]
    fn a_marker_is_diagnosed_and_acknowledged_while_the_test_waits() {
        let dir = tempfile::tempdir().unwrap();
        let diagnosis = diagnosis(dir.path());
        // Stands for a stalled watchdog: the marker, then a wait for the ack.
        let script = r#"printf 'test t ... testkit: hang: {"threads":[{"tid":1,"name":"w","call":"pop()"}]}
';
            while [ ! -e "$TESTKIT_HANG_ACK" ]; do sleep 0.02; done; exit 101"#;
        let started = Instant::now();
        let result = shell(script, Duration::from_secs(30), &diagnosis);
        assert_eq!(result.exit, process::Exit::Code(101));
        assert!(started.elapsed() < Duration::from_secs(15), "waited {:?}", started.elapsed());
        let hang = result.hang.expect("a diagnosis");
        assert!(["gdb", "proc"].contains(&hang.mechanism.as_str()), "{hang:?}");
        // Once per test: the next hung run is only acknowledged.
        std::fs::remove_file(&diagnosis.ack_file).unwrap();
        let again = shell(script, Duration::from_secs(30), &diagnosis);
        assert_eq!(again.exit, process::Exit::Code(101));
        assert!(again.hang.is_none());
    }

    #[test]
    fn a_time_limit_is_diagnosed_before_the_kill_and_a_normal_run_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let result = shell("sleep 60", Duration::from_millis(300), &diagnosis(dir.path()));
        assert_eq!(result.exit, process::Exit::TimedOut);
        let hang = result.hang.expect("a diagnosis at the time limit");
        assert!(!hang.threads.is_empty() || hang.note.is_some(), "{hang:?}");
        let quick = shell("echo fine", Duration::from_secs(10), &diagnosis(dir.path()));
        assert!(quick.hang.is_none());
    }

    #[test]
    fn the_budget_is_taken_once() {
        let diagnosis = Diagnosis { sources: None, ack_file: PathBuf::new(), budget: Arc::new(AtomicBool::new(true)) };
        assert!(diagnosis.claim());
        assert!(!diagnosis.claim());
    }
}
