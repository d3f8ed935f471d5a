//! Batch grading: every subfolder of a folder is one submission.
//!
//! Several submissions are graded at once (a rayon pool), sharing the
//! grader's job slots and its one dependency build, so a hanging submission
//! holds only the slots of its own runs, up to its own time limits. A
//! submission that makes the grader itself fail becomes an
//! `infrastructure_error` row, never the end of the batch. Each scorecard is
//! written as soon as it is ready and carries a fingerprint, so a rerun
//! skips what is current; `--shard K/N` grades a fixed share of the class
//! and `merge` joins the shards' outputs.

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use crate::config::BatchConfig;
use crate::error::{GraderError, Result};
use crate::grade::Grader;
use crate::report::output::Output;
use crate::report::{self, csv::Row};
use crate::run::Silent;
use crate::scorecard::{Scorecard, TestStatus};

/// The gradebook's file name in an output folder.
pub const GRADEBOOK: &str = "grades.csv";

/// Grades every submission of `config.dir` (or the shard of them that
/// `config.shard` selects); returns the gradebook rows, sorted by name.
pub fn run(grader: &Grader, config: &BatchConfig) -> Result<Vec<Row>> {
    let submissions = list_submissions(&config.dir, config.shard)?;
    fs::create_dir_all(&config.output_dir)
        .map_err(|e| GraderError::io(format!("creating {}", config.output_dir.display()), e))?;
    let course = course_fingerprint(grader)?;

    let bar = progress_bar(submissions.len() as u64, config.run.quiet);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.submissions_at_once)
        .thread_name(|i| format!("grader-submission-{i}"))
        .build()
        .map_err(|e| GraderError::Usage(format!("could not start the batch's threads: {e}")))?;
    let rows: Vec<Row> = pool.install(|| {
        submissions
            .par_iter()
            .map(|(name, path)| {
                let row = grade_one(grader, config, &course, name, path);
                bar.inc(1);
                if !config.run.quiet {
                    let reused = if row.reused { " (current: not graded again)" } else { "" };
                    let line = format!("{}: {} {}{reused}", row.submission, row.status, row_score(&row));
                    // A hidden bar (stderr is not a terminal) prints nothing.
                    if bar.is_hidden() { eprintln!("{line}") } else { bar.println(line) }
                }
                row
            })
            .collect()
    });
    bar.finish_and_clear();

    let ids: Vec<String> = grader.exercises.iter().map(|e| e.id.clone()).collect();
    report::csv::write(&config.output_dir.join(GRADEBOOK), &ids, &rows)?;
    Ok(rows)
}

/// Grades one submission, or reuses its scorecard when it is current.
fn grade_one(grader: &Grader, config: &BatchConfig, course: &str, name: &str, path: &Path) -> Row {
    let scorecard_path = config.output_dir.join(format!("{name}.json"));
    let fingerprint = match submission_fingerprint(grader, course, path) {
        Ok(fingerprint) => fingerprint,
        Err(error) => return Row::failed(name.to_string(), error.to_string()),
    };
    if !config.force
        && let Some(card) = read_scorecard(&scorecard_path)
        && card.fingerprint.as_deref() == Some(fingerprint.as_str())
        && card.is_trusted()
    {
        return Row { reused: true, ..Row::graded(name.to_string(), card) };
    }
    match grader.grade(path, name, &Silent) {
        Ok(mut card) => {
            card.fingerprint = Some(fingerprint);
            match report::json::write(&card, &Output::File(scorecard_path)) {
                Ok(()) => Row::graded(name.to_string(), card),
                Err(error) => Row::failed(name.to_string(), error.to_string()),
            }
        }
        Err(error) => Row::failed(name.to_string(), error.to_string()),
    }
}

/// The submissions of `dir` (its subfolders, by name), or the shard of them.
/// A submission belongs to shard `hash(name) mod n`: stable when other
/// submissions come or go.
pub fn list_submissions(dir: &Path, shard: Option<(u32, u32)>) -> Result<Vec<(String, PathBuf)>> {
    let mut submissions: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .map_err(|e| GraderError::io(format!("reading {}", dir.display()), e))?
        .filter_map(std::result::Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .map(|entry| (entry.file_name().to_string_lossy().into_owned(), entry.path()))
        .filter(|(name, _)| match shard {
            Some((k, n)) => shard_of(name, n) == k - 1,
            None => true,
        })
        .collect();
    submissions.sort();
    Ok(submissions)
}

fn shard_of(name: &str, shards: u32) -> u32 {
    let digest = Sha256::digest(name.as_bytes());
    let number = u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"));
    (number % u64::from(shards)) as u32
}

/// What every grade of this batch depends on besides the submission: the
/// grader's version and options, and the course's grading files.
fn course_fingerprint(grader: &Grader) -> Result<String> {
    let manifest = crate::integrity::compute(&grader.workspace)?;
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION"));
    hasher.update(format!("{:?}|{:?}|{:?}", grader.run.exercises, grader.run.repeat, grader.run.timeout));
    for (file, hash) in &manifest.files {
        hasher.update(format!("{file}={hash}\n"));
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The course fingerprint combined with every file of the submission's
/// graded `src/` trees (names, link targets and contents).
fn submission_fingerprint(grader: &Grader, course: &str, root: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(course);
    for exercise in &grader.exercises {
        let src = root.join(&exercise.relative_dir).join("src");
        hasher.update(format!("\n[{}]\n", exercise.id));
        for entry in WalkDir::new(&src).follow_links(false).sort_by_file_name() {
            let Ok(entry) = entry else { continue };
            let relative = entry.path().strip_prefix(&src).unwrap_or(entry.path());
            hasher.update(relative.as_os_str().as_encoded_bytes());
            if entry.file_type().is_symlink() {
                let target = fs::read_link(entry.path()).unwrap_or_default();
                hasher.update(b" -> ");
                hasher.update(target.as_os_str().as_encoded_bytes());
            } else if entry.file_type().is_file() {
                let bytes = fs::read(entry.path())
                    .map_err(|e| GraderError::io(format!("reading {}", entry.path().display()), e))?;
                hasher.update(Sha256::digest(&bytes));
            }
            hasher.update(b"\n");
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

/// A scorecard this batch (or an earlier one) wrote, or `None` for a file
/// that is not one: it is then graded again (or, in `merge`, left out).
fn read_scorecard(path: &Path) -> Option<Scorecard> {
    report::read::scorecard(path).ok()
}

fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    let visible = !quiet && std::io::stderr().is_terminal();
    let bar = ProgressBar::with_draw_target(
        Some(total),
        if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() },
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:.bold} [{elapsed_precise}] {bar:30} {pos}/{len} submissions, ~{eta} left",
        )
        .expect("the template is valid"),
    );
    bar.set_prefix("batch");
    bar
}

fn row_score(row: &Row) -> String {
    match &row.scorecard {
        Some(card) if card.is_trusted() => {
            format!("{}/{}", report::human::points(card.score), report::human::points(card.max_score))
        }
        _ => row.error.clone().unwrap_or_default(),
    }
}

/// Joins the output folders of sharded batches into `output_dir`: every
/// scorecard, and one gradebook whose rows, sorted by submission, are what
/// an unsharded batch writes.
pub fn merge(shards: &[PathBuf], output_dir: &Path) -> Result<(usize, Vec<Scorecard>)> {
    fs::create_dir_all(output_dir).map_err(|e| GraderError::io(format!("creating {}", output_dir.display()), e))?;
    let mut header: Option<csv::StringRecord> = None;
    let mut rows: Vec<csv::StringRecord> = Vec::new();
    let mut cards = Vec::new();
    for shard in shards {
        let gradebook = shard.join(GRADEBOOK);
        let error = |e: csv::Error| GraderError::io(format!("reading {}", gradebook.display()), e.into());
        let mut reader = csv::Reader::from_path(&gradebook).map_err(error)?;
        let this_header = reader.headers().map_err(error)?.clone();
        match &header {
            None => header = Some(this_header),
            Some(first) if *first != this_header => {
                return Err(GraderError::Usage(format!(
                    "{} has other columns than the first shard's gradebook: were the shards graded with the same \
                     exercises?",
                    gradebook.display()
                )));
            }
            Some(_) => {}
        }
        for record in reader.records() {
            rows.push(record.map_err(error)?);
        }
        for entry in fs::read_dir(shard).map_err(|e| GraderError::io(format!("reading {}", shard.display()), e))? {
            let path = entry.map_err(|e| GraderError::io(format!("reading {}", shard.display()), e))?.path();
            if path.extension().is_some_and(|e| e == "json") {
                let target = output_dir.join(path.file_name().expect("a file has a name"));
                if path != target {
                    fs::copy(&path, &target).map_err(|e| GraderError::io(format!("copying {}", path.display()), e))?;
                }
                if let Some(card) = read_scorecard(&path) {
                    cards.push(card);
                }
            }
        }
    }
    rows.sort_by(|a, b| a.get(0).cmp(&b.get(0)));
    let path = output_dir.join(GRADEBOOK);
    let error = |e: csv::Error| GraderError::io(format!("writing {}", path.display()), e.into());
    let mut writer = csv::Writer::from_path(&path).map_err(error)?;
    if let Some(header) = header {
        writer.write_record(&header).map_err(error)?;
    }
    for row in &rows {
        writer.write_record(row).map_err(error)?;
    }
    writer.flush().map_err(|e| GraderError::io(format!("writing {}", path.display()), e))?;
    Ok((rows.len(), cards))
}

/// Prints the class's statistics (see [`statistics`]) on stderr.
pub fn print_statistics(cards: &[&Scorecard], submissions: usize) {
    let _ = anstream::stderr().lock().write_all(statistics(cards, submissions).as_bytes());
}

/// The class's statistics: the score distribution and, per test, how many
/// submissions did not pass it. Gradings that cannot be trusted (an
/// infrastructure error) are counted apart and left out of both, as the
/// gradebook leaves their scores out.
pub fn statistics(cards: &[&Scorecard], submissions: usize) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let (cards, untrusted): (Vec<&Scorecard>, Vec<&Scorecard>) =
        cards.iter().copied().partition(|card| card.is_trusted());
    let mut scores: Vec<f64> = cards.iter().map(|c| c.score).collect();
    scores.sort_by(f64::total_cmp);
    let _ = write!(out, "\n{submissions} submissions, {} graded", scores.len());
    if !untrusted.is_empty() {
        let _ = write!(
            out,
            ", {} with an infrastructure error (the next run of the batch grades them again)",
            untrusted.len()
        );
    }
    let _ = writeln!(out);
    if let (Some(min), Some(max)) = (scores.first(), scores.last()) {
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        let middle = scores.len() / 2;
        let median = if scores.len() % 2 == 1 { scores[middle] } else { (scores[middle - 1] + scores[middle]) / 2.0 };
        let _ = writeln!(out, "scores: min {min:.1}, median {median:.1}, mean {mean:.1}, max {max:.1}");
        let max_score = cards.first().map(|c| c.max_score).unwrap_or(100.0);
        for bucket in 0..5 {
            let low = max_score * bucket as f64 / 5.0;
            let high = max_score * (bucket + 1) as f64 / 5.0;
            let count = scores.iter().filter(|&&s| s >= low && (s < high || (bucket == 4 && s <= high))).count();
            let _ = writeln!(out, "  {low:>5.0}-{high:<5.0} {count:<3} {}", "#".repeat(count));
        }
    }
    let mut failures: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for card in &cards {
        for exercise in &card.exercises {
            for test in &exercise.tests {
                if test.status != TestStatus::Passed {
                    *failures.entry((exercise.id.clone(), test.name.clone())).or_default() += 1;
                }
            }
        }
    }
    if !failures.is_empty() {
        let _ = writeln!(out, "tests not passed, by how many submissions:");
        let mut failures: Vec<_> = failures.into_iter().collect();
        failures.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for ((exercise, test), count) in failures {
            let _ = writeln!(out, "  {count:>4}  {exercise} {test}");
        }
    }
    out
}
