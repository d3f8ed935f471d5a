//! Batch grading: every subfolder of a folder is one submission. Each is
//! graded in turn against the shared build cache; one that breaks the
//! grader's own work becomes an `infrastructure_error` row, never the end
//! of the batch.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use crate::config::{BatchConfig, Output};
use crate::error::{GraderError, Result};
use crate::grade::Grader;
use crate::report::{self, csv::Row};
use crate::scorecard::TestStatus;

/// Grades every submission of `config.dir`; returns the gradebook rows.
pub fn run(grader: &Grader, config: &BatchConfig) -> Result<Vec<Row>> {
    let mut submissions: Vec<(String, PathBuf)> = fs::read_dir(&config.dir)
        .map_err(|e| GraderError::io(format!("reading {}", config.dir.display()), e))?
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .map(|entry| (entry.file_name().to_string_lossy().into_owned(), entry.path()))
        .collect();
    submissions.sort();
    fs::create_dir_all(&config.output_dir)
        .map_err(|e| GraderError::io(format!("creating {}", config.output_dir.display()), e))?;

    let total = submissions.len();
    let mut rows = Vec::with_capacity(total);
    for (index, (name, path)) in submissions.into_iter().enumerate() {
        let progress = report::progress::Progress::new(&format!("[{}/{total}] {name}", index + 1), config.run.quiet);
        let graded = grader.grade(&path, &name, &progress);
        progress.finish();
        let row = match graded {
            Ok(scorecard) => {
                let output = Output::File(config.output_dir.join(format!("{name}.json")));
                report::json::write(&scorecard, &output)?;
                Row::graded(name, scorecard)
            }
            Err(error) => Row::failed(name, error.to_string()),
        };
        if !config.run.quiet {
            eprintln!("[{}/{total}] {}: {} {}", index + 1, row.submission, row.status, row_score(&row));
        }
        rows.push(row);
    }
    let ids: Vec<String> = grader.exercises.iter().map(|e| e.id.clone()).collect();
    report::csv::write(&config.output_dir.join("grades.csv"), &ids, &rows)?;
    Ok(rows)
}

fn row_score(row: &Row) -> String {
    match &row.scorecard {
        Some(card) => format!("{}/{}", report::human::points(card.score), report::human::points(card.max_score)),
        None => row.error.clone().unwrap_or_default(),
    }
}

/// Prints the class's statistics: the score distribution and, per test, how
/// many submissions did not pass it.
pub fn print_statistics(rows: &[Row]) {
    let mut out = anstream::stderr().lock();
    let mut scores: Vec<f64> = rows.iter().filter_map(|r| r.scorecard.as_ref().map(|c| c.score)).collect();
    scores.sort_by(f64::total_cmp);
    let _ = writeln!(out, "\n{} submissions, {} graded", rows.len(), scores.len());
    if let (Some(min), Some(max)) = (scores.first(), scores.last()) {
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        let median = if scores.len() % 2 == 1 {
            scores[scores.len() / 2]
        } else {
            (scores[scores.len() / 2 - 1] + scores[scores.len() / 2]) / 2.0
        };
        let _ = writeln!(out, "scores: min {min:.1}, median {median:.1}, mean {mean:.1}, max {max:.1}");
        let max_score = rows.iter().find_map(|r| r.scorecard.as_ref().map(|c| c.max_score)).unwrap_or(100.0);
        for bucket in 0..5 {
            let low = max_score * bucket as f64 / 5.0;
            let high = max_score * (bucket + 1) as f64 / 5.0;
            let count = scores.iter().filter(|&&s| s >= low && (s < high || (bucket == 4 && s <= high))).count();
            let _ = writeln!(out, "  {low:>5.0}-{high:<5.0} {:<3} {}", count, "#".repeat(count));
        }
    }
    let mut failures: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for card in rows.iter().filter_map(|r| r.scorecard.as_ref()) {
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
}
