//! Batch grading: every subfolder of a folder is one submission.
//!
//! Several submissions are graded at once (a rayon pool), sharing the
//! grader's job slots and its one dependency build, so a hanging submission
//! holds only the slots of its own runs, up to its own time limits. A
//! submission that makes the grader itself fail becomes an
//! `infrastructure_error` row, never the end of the batch. Each scorecard is
//! written as soon as it is ready and carries a fingerprint, so a rerun
//! skips what is current; `--shard K/N` grades a fixed share of the class
//! and `merge` joins the shards' outputs. `--roster` maps folders to
//! students. Everything a batch writes goes through `report/`: the
//! gradebook, Canvas's columns, the dashboard and the feedback pages, which
//! `rebuild` (`grader report`) makes again from the scorecards alone.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use crate::config::BatchConfig;
use crate::error::{GraderError, Result};
use crate::grade::Grader;
use crate::report::output::Output;
use crate::report::progress::Progress;
use crate::report::{self, csv::Row};
use crate::roster::Roster;
use crate::run::Silent;
use crate::scorecard::Scorecard;

/// The gradebook's file name in an output folder.
pub const GRADEBOOK: &str = "grades.csv";

/// Grades every submission of `config.dir` (or the shard of them that
/// `config.shard` selects) and writes the gradebook (and with a roster,
/// `canvas.csv`), the dashboard and the feedback pages; returns the
/// gradebook rows, sorted by name, and warnings about the roster.
pub fn run(grader: &Grader, config: &BatchConfig) -> Result<(Vec<Row>, Vec<String>)> {
    let submissions = list_submissions(&config.dir, config.shard)?;
    fs::create_dir_all(&config.output_dir)
        .map_err(|e| GraderError::io(format!("creating {}", config.output_dir.display()), e))?;
    let course = course_fingerprint(grader)?;

    let progress = Progress::submissions(submissions.len() as u64, config.run.quiet);
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
                let line = (!config.run.quiet).then(|| {
                    let reused = if row.reused { " (current: not graded again)" } else { "" };
                    format!("{}: {} {}{reused}", row.submission, row.status, row_score(&row))
                });
                progress.submission_done(line);
                row
            })
            .collect()
    });
    progress.finish();

    let (rows, warnings) = match &config.roster {
        // A shard holds only some of the class: the roster's other students
        // are not missing, they are in other shards.
        Some(roster) => join(rows, roster, config.shard.is_none()),
        None => (rows, Vec::new()),
    };
    let ids: Vec<String> = grader.exercises.iter().map(|e| e.id.clone()).collect();
    report::csv::write(&config.output_dir.join(GRADEBOOK), &ids, &rows)?;
    write_outputs(&config.output_dir, &rows, config.roster.is_some())?;
    Ok((rows, warnings))
}

/// Writes what a batch's rows make besides `grades.csv`: `canvas.csv` (with
/// a roster), the dashboard and the feedback pages.
fn write_outputs(out: &Path, rows: &[Row], roster: bool) -> Result<()> {
    if roster {
        report::canvas::write(&out.join(report::canvas::FILE), &report::canvas::exercises(rows), rows)?;
    }
    report::dashboard::write_site(out, rows)?;
    Ok(())
}

/// Rebuilds the dashboard and the feedback pages of `out` (and with a
/// roster, `canvas.csv`) from its scorecards alone: after `merge`, after a
/// regrade. Every `*.json` in `out` must be a scorecard of this grader's
/// schema version; anything else is refused (a usage error) before a file
/// is written. Returns the rows and the roster's warnings.
pub fn rebuild(out: &Path, roster: Option<&Roster>) -> Result<(Vec<Row>, Vec<String>)> {
    let mut rows = Vec::new();
    for (name, card) in read_scorecards(out)? {
        rows.push(Row::graded(name, card));
    }
    if rows.is_empty() {
        return Err(GraderError::Usage(format!(
            "{} holds no scorecard (<name>.json); pass the output folder of `grader batch` or `grader merge`",
            out.display()
        )));
    }
    let (rows, warnings) = match roster {
        Some(roster) => join(rows, roster, true),
        None => (rows, Vec::new()),
    };
    write_outputs(out, &rows, roster.is_some())?;
    Ok((rows, warnings))
}

/// Every scorecard of `dir`, with its submission's name (the file stem),
/// sorted by name, read by the strict reader.
fn read_scorecards(dir: &Path) -> Result<Vec<(String, Scorecard)>> {
    let mut cards = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| GraderError::io(format!("reading {}", dir.display()), e))? {
        let path = entry.map_err(|e| GraderError::io(format!("reading {}", dir.display()), e))?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            let name = path.file_stem().expect("a file has a name").to_string_lossy().into_owned();
            cards.push((name, report::read::scorecard(&path)?));
        }
    }
    cards.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(cards)
}

/// Gives each row its roster student and, when `whole_class`, adds a
/// `missing` row for every student no folder belongs to. The warnings name
/// folders that are on no student's roster line and students that two
/// folders map to.
pub fn join(rows: Vec<Row>, roster: &Roster, whole_class: bool) -> (Vec<Row>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut rows: Vec<Row> = rows
        .into_iter()
        .map(|mut row| {
            row.student = roster.student_of(&row.submission).cloned();
            row
        })
        .collect();
    let strangers: Vec<&str> = rows.iter().filter(|r| r.student.is_none()).map(|r| r.submission.as_str()).collect();
    if !strangers.is_empty() {
        warnings.push(format!("not on the roster (in grades.csv, not in canvas.csv): {}", strangers.join(", ")));
    }
    for student in &roster.students {
        let folders: Vec<&str> =
            rows.iter().filter(|r| r.student.as_ref() == Some(student)).map(|r| r.submission.as_str()).collect();
        if folders.len() > 1 {
            warnings.push(format!(
                "{} folders belong to {} ({}): {}; canvas.csv has a row for each, keep the right one",
                folders.len(),
                student.github,
                student.name,
                folders.join(", ")
            ));
        }
    }
    if whole_class {
        let missing: Vec<Row> = roster
            .students
            .iter()
            .filter(|student| !rows.iter().any(|r| r.student.as_ref() == Some(*student)))
            .map(|student| Row::missing(student.clone()))
            .collect();
        rows.extend(missing);
    }
    rows.sort_by(|a, b| a.submission.cmp(&b.submission));
    (rows, warnings)
}

/// Grades one submission, or reuses its scorecard when it is current.
fn grade_one(grader: &Grader, config: &BatchConfig, course: &str, name: &str, path: &Path) -> Row {
    let scorecard_path = config.output_dir.join(format!("{name}.json"));
    let fingerprint = match submission_fingerprint(grader, course, path) {
        Ok(fingerprint) => fingerprint,
        Err(error) => return Row::failed(name.to_string(), error.to_string()),
    };
    if !config.force
        // The strict reader: a scorecard of another schema version is not
        // current, whatever its fingerprint, and is graded again.
        && let Ok(card) = report::read::scorecard(&scorecard_path)
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
/// grader's version and options, the course's grading files, and the
/// machine's part in a verdict (its CPUs decide which lanes run; its
/// confinement whether the runs can be trusted), so a grade from a
/// one-CPU or unconfined machine is never reused on another.
fn course_fingerprint(grader: &Grader) -> Result<String> {
    let manifest = crate::integrity::compute(&grader.workspace)?;
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION"));
    hasher.update(format!("{:?}|{:?}|{:?}", grader.run.exercises, grader.run.repeat, grader.run.timeout));
    let confinement = crate::run::confine::card();
    hasher.update(format!(
        "|cpus={}|confined={}|{}",
        crate::machine::detect().cpus,
        confinement.confined,
        confinement.policy
    ));
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
/// an unsharded batch writes; then the dashboard and pages of the whole
/// class. A scorecard of another schema version stops the merge.
pub fn merge(shards: &[PathBuf], output_dir: &Path) -> Result<(usize, Vec<(String, Scorecard)>)> {
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
                let name = path.file_stem().expect("a file has a name").to_string_lossy().into_owned();
                cards.push((name, report::read::scorecard(&path)?));
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
    cards.sort_by(|a, b| a.0.cmp(&b.0));
    let site: Vec<Row> = cards.iter().map(|(name, card)| Row::graded(name.clone(), card.clone())).collect();
    report::dashboard::write_site(output_dir, &site)?;
    Ok((rows.len(), cards))
}
