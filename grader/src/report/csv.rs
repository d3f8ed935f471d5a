//! The class gradebook: `grades.csv`, one row per submission, ready for a
//! spreadsheet or an LMS import. With a roster, every student of the roster
//! has a row (status `missing` when no folder is theirs) and the student's
//! id, name and section follow the submission column.

use std::path::Path;

use crate::error::{GraderError, Result};
use crate::roster::Student;
use crate::scorecard::{ExerciseStatus, Scorecard, TestStatus};

/// One submission's line in the gradebook.
#[derive(Debug, Clone)]
pub struct Row {
    pub submission: String,
    /// `graded`, `build_failed`, `timed_out`, `infrastructure_error`, or
    /// `missing` (a roster student without a submission).
    pub status: String,
    pub scorecard: Option<Scorecard>,
    /// Why grading failed, for `infrastructure_error`.
    pub error: Option<String>,
    /// The scorecard was current and reused, not graded again.
    pub reused: bool,
    /// The roster's student for this submission.
    pub student: Option<Student>,
}

impl Row {
    /// The row for a graded submission; its status is the most telling
    /// thing that went wrong.
    pub fn graded(submission: String, scorecard: Scorecard) -> Row {
        let exercises = &scorecard.exercises;
        let status = if !scorecard.is_trusted() {
            "infrastructure_error"
        } else if exercises.iter().any(|e| e.status == ExerciseStatus::BuildFailed) {
            "build_failed"
        } else if exercises.iter().flat_map(|e| &e.tests).any(|t| t.status == TestStatus::TimedOut) {
            "timed_out"
        } else {
            "graded"
        };
        let error = scorecard.infrastructure_error.clone();
        Row { submission, status: status.into(), scorecard: Some(scorecard), error, reused: false, student: None }
    }

    pub fn failed(submission: String, error: String) -> Row {
        Row {
            submission,
            status: "infrastructure_error".into(),
            scorecard: None,
            error: Some(error),
            reused: false,
            student: None,
        }
    }

    /// A roster student with no submission folder. The submission column
    /// holds the GitHub user, so every row still has a unique key.
    pub fn missing(student: Student) -> Row {
        Row {
            submission: student.github.clone(),
            status: "missing".into(),
            scorecard: None,
            error: Some("no submission folder belongs to this student".into()),
            reused: false,
            student: Some(student),
        }
    }
}

/// Writes `rows` to `path`, with a column per exercise of `exercise_ids`.
pub fn write(path: &Path, exercise_ids: &[String], rows: &[Row]) -> Result<()> {
    let error = |e: csv::Error| GraderError::io(format!("writing {}", path.display()), e.into());
    let mut writer = csv::Writer::from_path(path).map_err(error)?;
    let with_roster = rows.iter().any(|row| row.student.is_some());
    let mut header = vec!["submission".to_string()];
    if with_roster {
        header.extend(["student_id".to_string(), "name".into(), "section".into()]);
    }
    header.extend(["status".to_string(), "score".into(), "max_score".into()]);
    header.extend(exercise_ids.iter().cloned());
    header.push("message".into());
    writer.write_record(&header).map_err(error)?;
    let mut rows: Vec<&Row> = rows.iter().collect();
    rows.sort_by(|a, b| a.submission.cmp(&b.submission));
    for row in rows {
        let mut record = vec![row.submission.clone()];
        if with_roster {
            let student = row.student.as_ref();
            let field = |get: fn(&Student) -> &String| student.map(get).cloned().unwrap_or_default();
            record.extend([field(|s| &s.id), field(|s| &s.name), field(|s| &s.section)]);
        }
        record.push(row.status.clone());
        match &row.scorecard {
            Some(card) => {
                // A grading that cannot be trusted gives no score to import:
                // an LMS would take a starved run's points for a grade. The
                // row keeps its status and message; the scorecard its runs.
                let score = |points: f64| if card.is_trusted() { points.to_string() } else { String::new() };
                record.push(score(card.score));
                record.push(card.max_score.to_string());
                for id in exercise_ids {
                    record
                        .push(card.exercises.iter().find(|e| &e.id == id).map(|e| score(e.score)).unwrap_or_default());
                }
            }
            None => record.extend(std::iter::repeat_n(String::new(), 2 + exercise_ids.len())),
        }
        record.push(row.error.clone().unwrap_or_default());
        writer.write_record(&record).map_err(error)?;
    }
    writer.flush().map_err(|e| GraderError::io(format!("writing {}", path.display()), e))
}
