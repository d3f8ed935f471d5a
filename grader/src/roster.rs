//! The class roster: which student each submission folder belongs to.
//!
//! `batch --roster roster.csv` reads a CSV with a header row. The columns
//! are found by name (case and spaces do not matter), so a GitHub Classroom
//! roster export or an LMS export works as it is:
//! - the GitHub user (required): `github_username`, `github`, `login` or `username`;
//! - the student id: `student_id`, `sis_user_id`, `sis user id`, `identifier` or `id`;
//! - the name: `name`, `student` or `student_name`;
//! - the section: `section`;
//! - optionally Canvas's own ids: `canvas_id` (Canvas's "ID") and `sis_login_id`.
//!
//! A folder belongs to the student whose GitHub user it is (`ada`), or whose
//! user ends it after a dash, as roster-cloning tools name folders
//! (`lab3-ada`); the longest such user wins, so `lab3-j-doe` is `j-doe`'s,
//! not `doe`'s. GitHub users are case-insensitive, and so is the match.

use std::path::Path;

use crate::error::{GraderError, Result};

/// One student of the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Student {
    pub github: String,
    pub id: String,
    pub name: String,
    pub section: String,
    /// Canvas's internal user id, when the roster has it.
    pub canvas_id: String,
    pub sis_login_id: String,
}

#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub students: Vec<Student>,
}

impl Roster {
    /// Reads a roster CSV; a missing user column, an empty user or a user
    /// listed twice is a usage error that names the file and the line.
    pub fn read(path: &Path) -> Result<Roster> {
        let bad = |why: String| GraderError::Usage(format!("the roster {}: {why}", path.display()));
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| bad(e.to_string()))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| bad(e.to_string()))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_lowercase().replace([' ', '-'], "_"))
            .collect();
        let column = |names: &[&str]| names.iter().find_map(|name| header.iter().position(|h| h == name));
        let github = column(&["github_username", "github", "login", "username", "github_user"]).ok_or_else(|| {
            bad(format!(
                "no column of GitHub users (github_username, github, login or username); its columns are: {}",
                header.join(", ")
            ))
        })?;
        let id = column(&["student_id", "sis_user_id", "identifier", "id"]);
        let name = column(&["name", "student", "student_name"]);
        let section = column(&["section"]);
        let canvas_id = column(&["canvas_id", "canvas_user_id"]);
        let sis_login_id = column(&["sis_login_id"]);
        let mut students: Vec<Student> = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let line = index + 2;
            let record = record.map_err(|e| bad(e.to_string()))?;
            if record.iter().all(|field| field.is_empty()) {
                continue;
            }
            let get = |column: Option<usize>| column.and_then(|c| record.get(c)).unwrap_or("").to_string();
            let student = Student {
                github: get(Some(github)),
                id: get(id),
                name: get(name),
                section: get(section),
                canvas_id: get(canvas_id),
                sis_login_id: get(sis_login_id),
            };
            if student.github.is_empty() {
                return Err(bad(format!("line {line} has no GitHub user")));
            }
            if students.iter().any(|s| s.github.eq_ignore_ascii_case(&student.github)) {
                return Err(bad(format!("line {line}: the GitHub user {} is listed twice", student.github)));
            }
            students.push(student);
        }
        Ok(Roster { students })
    }

    /// The student whose submission the folder `folder` is, if any.
    pub fn student_of(&self, folder: &str) -> Option<&Student> {
        let folder = folder.to_lowercase();
        if let Some(exact) = self.students.iter().find(|s| s.github.to_lowercase() == folder) {
            return Some(exact);
        }
        self.students
            .iter()
            .filter(|s| folder.ends_with(&format!("-{}", s.github.to_lowercase())))
            .max_by_key(|s| s.github.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster(text: &str) -> Result<Roster> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        Roster::read(file.path())
    }

    #[test]
    fn folders_map_to_students_by_github_user() {
        let roster = roster(
            "\u{feff}Name,GitHub Username,Student ID,Section\nAda Lovelace,ada,1001,A\nJ Doe,j-doe,1002,B\nD Oe,doe,1003,B\n\n",
        )
        .unwrap();
        assert_eq!(roster.students.len(), 3);
        assert_eq!(roster.student_of("ada").unwrap().id, "1001");
        assert_eq!(roster.student_of("ADA").unwrap().name, "Ada Lovelace");
        assert_eq!(roster.student_of("lab3-ada").unwrap().section, "A");
        assert_eq!(roster.student_of("lab3-j-doe").unwrap().github, "j-doe", "the longest user wins");
        assert_eq!(roster.student_of("lab3-doe").unwrap().github, "doe");
        assert!(roster.student_of("adam").is_none(), "a prefix is not a match");
        assert!(roster.student_of("lab3ada").is_none());
    }

    #[test]
    fn a_roster_without_users_or_with_duplicates_is_refused() {
        let error = roster("name,id\nAda,1\n").unwrap_err().to_string();
        assert!(error.contains("no column of GitHub users"), "{error}");
        let error = roster("login,name\nada,Ada\nAda,Ada again\n").unwrap_err().to_string();
        assert!(error.contains("line 3") && error.contains("listed twice"), "{error}");
        let error = roster("login,name\n,Nobody\n").unwrap_err().to_string();
        assert!(error.contains("line 2 has no GitHub user"), "{error}");
    }
}
