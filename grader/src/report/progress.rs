//! The progress display: a bar on stderr, only on a terminal, that shows
//! what is running and what has failed: over test runs while one
//! submission is graded, over submissions while a batch grades a class.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::run::{Observer, RunOutcome, RunRecord, TestCase};

/// A progress bar over test runs; invisible when stderr is not a terminal.
pub struct Progress {
    bar: ProgressBar,
    failed: AtomicU64,
}

impl Progress {
    /// A bar for `total` runs, labelled `label`.
    pub fn new(label: &str, quiet: bool) -> Progress {
        let visible = !quiet && std::io::stderr().is_terminal();
        let bar = ProgressBar::with_draw_target(
            None,
            if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() },
        );
        bar.set_style(
            ProgressStyle::with_template("{prefix:.bold} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}")
                .expect("the template is valid"),
        );
        bar.set_prefix(label.to_string());
        Progress { bar, failed: AtomicU64::new(0) }
    }

    /// A bar over the `total` submissions of a batch. Each finished one
    /// is reported with [`Progress::submission_done`].
    pub fn submissions(total: u64, quiet: bool) -> Progress {
        let progress = Progress::new("batch", quiet);
        progress.bar.set_length(total);
        progress.bar.set_style(
            ProgressStyle::with_template(
                "{prefix:.bold} [{elapsed_precise}] {bar:30} {pos}/{len} submissions, ~{eta} left",
            )
            .expect("the template is valid"),
        );
        progress
    }

    /// One more submission is done; `line` (unless quiet) says how it went,
    /// above the bar on a terminal and as a plain line otherwise, so a log
    /// of a batch still lists every submission.
    pub fn submission_done(&self, line: Option<String>) {
        self.bar.inc(1);
        if let Some(line) = line {
            if self.bar.is_hidden() { eprintln!("{line}") } else { self.bar.println(line) }
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for Progress {
    fn runs_planned(&self, total: usize) {
        self.bar.set_length(total as u64);
    }

    fn run_started(&self, case: &TestCase, run: u32) {
        self.bar.set_message(format!("{} {} #{}", case.exercise, case.name, run + 1));
    }

    fn run_finished(&self, case: &TestCase, record: &RunRecord) {
        if record.outcome != RunOutcome::Passed {
            let failed = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
            self.bar.println(format!(
                "  failed: {} {} (run {}); {failed} failed so far",
                case.exercise,
                case.name,
                record.run + 1
            ));
        }
        self.bar.inc(1);
    }
}
