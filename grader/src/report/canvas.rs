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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::Student;

    fn student(github: &str, name: &str, id: &str) -> Student {
        Student {
            github: github.into(),
            id: id.into(),
            name: name.into(),
            section: "S1".into(),
            canvas_id: String::new(),
            sis_login_id: format!("{github}@uni"),
        }
    }

    fn card(score: f64, infrastructure: Option<&str>) -> crate::scorecard::Scorecard {
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "score": score, "max_score": 20.0, "grader_version": "t", "submission": "x",
            "duration_secs": 0.0, "grader_peak_rss_mib": 0.0, "ignored_changes": [], "review_flags": [],
            "infrastructure_error": infrastructure, "tampered_files": [],
            "exercises": [{ "id": "exercise-1", "title": "t", "score": score, "max_score": 20.0,
                "status": "failed", "message": null, "tests": [] }]
        }))
        .unwrap()
    }

    /// Only a trusted grading puts points in Canvas: an untrusted one and a
    /// missing submission leave the cell empty; a folder on no roster line
    /// has no row (Canvas could not match it).
    #[test]
    fn only_trusted_gradings_of_roster_students_get_points() {
        let mut ada = Row::graded("lab-ada".into(), card(12.5, None));
        ada.student = Some(student("ada", "Lovelace, Ada", "1001"));
        let mut bob = Row::graded("lab-bob".into(), card(20.0, Some("starved")));
        bob.student = Some(student("bob", "Babbage, Bob", "1002"));
        let cy = Row::missing(student("cy", "Hopper, Cy", "1003"));
        let stranger = Row::graded("lab-zed".into(), card(20.0, None));
        let rows = [ada, bob, cy, stranger];
        let file = tempfile::NamedTempFile::new().unwrap();
        write(file.path(), &exercises(&rows), &rows).unwrap();
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert_eq!(
            text,
            "Student,ID,SIS User ID,SIS Login ID,Section,exercise-1\n    Points Possible,,,,,20\n\
             \"Babbage, Bob\",,1002,bob@uni,S1,\n\"Hopper, Cy\",,1003,cy@uni,S1,\n\"Lovelace, Ada\",,1001,ada@uni,S1,12.50\n"
        );
    }
}
