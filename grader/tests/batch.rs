//! Batch grading of a class: a gradebook row per submission, resuming
//! without regrading what is current, and shards that merge into exactly
//! the gradebook of an unsharded batch.

mod common;

use std::fs;
use std::path::Path;

use common::{copy_dir, grader, run, serial, workspace};

/// A class of four submissions with outcomes that do not depend on timing:
/// the reference solution, one that panics, one that does not compile and
/// an empty one.
fn class() -> tempfile::TempDir {
    let class = tempfile::tempdir().unwrap();
    let solution = class.path().join("ada/exercises/exercise-1/src");
    fs::create_dir_all(&solution).unwrap();
    fs::copy(workspace().join("solutions/exercises/exercise-1/src/lib.rs"), solution.join("lib.rs")).unwrap();
    for (name, fixture) in
        [("bob", "broken-panics"), ("cy", "broken-does-not-compile"), ("dee", "broken-empty-submission")]
    {
        copy_dir(&workspace().join("fixtures").join(fixture), &class.path().join(name));
    }
    class
}

fn batch(class: &Path, out: &Path, extra: &[&str]) -> String {
    let mut command = grader();
    command.arg("batch").arg(class).arg("--output-dir").arg(out);
    command.args(["--exercise", "exercise-1", "--repeat", "1"]).args(extra);
    let output = run(&mut command, 0);
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_batch_writes_a_gradebook_resumes_and_merges_shards_into_the_same_gradebook() {
    let _serial = serial();
    let class = class();
    let full = tempfile::tempdir().unwrap();
    let stderr = batch(class.path(), full.path(), &[]);

    let gradebook = fs::read_to_string(full.path().join("grades.csv")).unwrap();
    let lines: Vec<&str> = gradebook.lines().collect();
    assert_eq!(lines[0], "submission,status,score,max_score,exercise-1,message", "{gradebook}");
    assert!(lines[1].starts_with("ada,graded,20,20,20,"), "{gradebook}");
    assert!(lines[2].starts_with("bob,graded,0,20,0,"), "{gradebook}");
    assert!(lines[3].starts_with("cy,build_failed,0,20,0,"), "{gradebook}");
    assert!(lines[4].starts_with("dee,graded,0,20,0,"), "{gradebook}");
    assert_eq!(lines.len(), 5);
    for name in ["ada", "bob", "cy", "dee"] {
        assert!(full.path().join(format!("{name}.json")).is_file());
    }
    assert!(stderr.contains("4 submissions, 4 graded"), "{stderr}");
    assert!(stderr.contains("tests not passed, by how many submissions"), "{stderr}");

    // A rerun regrades only what changed: here dee, who now has a src/.
    let before = fs::read_to_string(full.path().join("bob.json")).unwrap();
    let dee_src = class.path().join("dee/exercises/exercise-1/src");
    fs::create_dir_all(&dee_src).unwrap();
    fs::write(dee_src.join("lib.rs"), "compile_error!(\"dee started\");\n").unwrap();
    let stderr = batch(class.path(), full.path(), &[]);
    for name in ["ada", "bob", "cy"] {
        assert!(
            stderr.contains(&format!("{name}: "))
                && stderr
                    .lines()
                    .any(|l| l.starts_with(&format!("{name}: ")) && l.ends_with("(current: not graded again)")),
            "{name} should be reused:\n{stderr}"
        );
    }
    assert!(stderr.lines().any(|l| l.starts_with("dee: build_failed")), "dee changed and is regraded:\n{stderr}");
    assert_eq!(
        fs::read_to_string(full.path().join("bob.json")).unwrap(),
        before,
        "a current scorecard is kept as it was"
    );
    // --force regrades everything.
    let stderr = batch(class.path(), full.path(), &["--force"]);
    assert!(!stderr.contains("not graded again"), "{stderr}");
    // So does a machine with fewer CPUs: they decide which lanes run, so a
    // two-CPU grade is never reused there.
    if std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2 {
        let mut pinned = assert_cmd::Command::new("taskset");
        pinned.current_dir(workspace()).env_remove("GRADER_WORKSPACE");
        pinned.args(["-c", "0", env!("CARGO_BIN_EXE_grader"), "batch"]).arg(class.path());
        pinned.arg("--output-dir").arg(full.path()).args(["--exercise", "exercise-1", "--repeat", "1"]);
        let stderr = String::from_utf8_lossy(&run(&mut pinned, 0).stderr).into_owned();
        assert!(!stderr.contains("not graded again"), "one CPU regrades everything:\n{stderr}");
        let card: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(full.path().join("ada.json")).unwrap()).unwrap();
        assert_eq!(card["machine"]["cpus"], 1);
        batch(class.path(), full.path(), &[]);
    }
    fs::remove_dir_all(class.path().join("dee/exercises")).unwrap();
    batch(class.path(), full.path(), &[]);

    // Two shards, graded one after the other, merge into the same gradebook.
    let shard_outs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut sizes = Vec::new();
    for (index, out) in shard_outs.iter().enumerate() {
        batch(class.path(), out.path(), &["--shard", &format!("{}/2", index + 1)]);
        let rows = fs::read_to_string(out.path().join("grades.csv")).unwrap().lines().count() - 1;
        sizes.push(rows);
    }
    assert_eq!(sizes.iter().sum::<usize>(), 4, "every submission is in exactly one shard: {sizes:?}");
    let merged = tempfile::tempdir().unwrap();
    let mut command = grader();
    command.arg("merge").arg(shard_outs[0].path()).arg(shard_outs[1].path()).arg("--output-dir").arg(merged.path());
    run(&mut command, 0);
    assert_eq!(fs::read_to_string(merged.path().join("grades.csv")).unwrap(), gradebook);
    for name in ["ada", "bob", "cy", "dee"] {
        assert!(merged.path().join(format!("{name}.json")).is_file());
    }
}
