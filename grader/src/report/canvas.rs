//! `canvas.csv`: the gradebook in the columns Canvas's "Import" (Grades →
//! Import) reads: `Student`, `ID`, `SIS User ID`, `SIS Login ID`,
//! `Section`, then one column per exercise, with a `Points Possible` row
//! first. Written only with a roster, since Canvas matches rows to students
//! by those ids.
//!
//! A cell is left empty, never 0, when there is no grade to record: a
//! missing submission (Canvas keeps it missing and its own missing-work
//! policy applies) and a grading that cannot be trusted. Canvas leaves an
//! empty cell's grade unchanged.

use std::path::Path;

use crate::error::{GraderError, Result};
use crate::report::csv::Row;
use crate::report::human::points;

/// The file name in an output folder.
pub const FILE: &str = "canvas.csv";

/// Writes the rows that have a roster student, one column per exercise
/// (`exercises`: id and points possible), sorted as the roster is not:
/// by student name, then id.
pub fn write(path: &Path, exercises: &[(String, f64)], rows: &[Row]) -> Result<()> {
    let error = |e: csv::Error| GraderError::io(format!("writing {}", path.display()), e.into());
    let mut writer = csv::Writer::from_path(path).map_err(error)?;
    let mut header: Vec<String> =
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"].iter().map(|s| s.to_string()).collect();
    header.extend(exercises.iter().map(|(id, _)| id.clone()));
    writer.write_record(&header).map_err(error)?;
    let mut possible =
        vec!["    Points Possible".to_string(), String::new(), String::new(), String::new(), String::new()];
    possible.extend(exercises.iter().map(|(_, max)| points(*max)));
    writer.write_record(&possible).map_err(error)?;

    let mut students: Vec<&Row> = rows.iter().filter(|row| row.student.is_some()).collect();
    students.sort_by_key(|row| {
        let student = row.student.as_ref().expect("filtered");
        (student.name.clone(), student.id.clone(), row.submission.clone())
    });
    for row in students {
        let student = row.student.as_ref().expect("filtered");
        let mut record =
            vec![student.name.clone(), student.canvas_id.clone(), student.id.clone(), student.sis_login_id.clone()];
        record.push(student.section.clone());
        for (id, _) in exercises {
            let cell = match &row.scorecard {
                Some(card) if card.is_trusted() => {
                    card.exercises.iter().find(|e| &e.id == id).map(|e| points(e.score)).unwrap_or_default()
                }
                _ => String::new(),
            };
            record.push(cell);
        }
        writer.write_record(&record).map_err(error)?;
    }
    writer.flush().map_err(|e| GraderError::io(format!("writing {}", path.display()), e))
}

/// The exercises of a class and their points possible, from its scorecards.
pub fn exercises(rows: &[Row]) -> Vec<(String, f64)> {
    let mut exercises: Vec<(String, f64)> = Vec::new();
    for card in rows.iter().filter_map(|row| row.scorecard.as_ref()) {
        for exercise in &card.exercises {
            match exercises.iter_mut().find(|(id, _)| id == &exercise.id) {
                Some((_, max)) => *max = max.max(exercise.max_score),
                None => exercises.push((exercise.id.clone(), exercise.max_score)),
            }
        }
    }
    exercises.sort_by(|a, b| a.0.cmp(&b.0));
    exercises
}
