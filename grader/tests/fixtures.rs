//! Every fixture under fixtures/ gets exactly the outcome its
//! `expected.toml` states, test by test: the correct ones full marks, the
//! buggy ones a failure in the tests that catch their bug, the broken ones
//! their status and message. The fixtures are graded as a class with
//! `grader batch`, which also checks the gradebook.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{Expected, check_schema, copy_dir, fixtures, grader, run, serial};

#[test]
fn every_fixture_gets_its_expected_outcome() {
    let _serial = serial();
    let fixtures = fixtures();
    assert!(fixtures.len() >= 25, "expected at least five fixtures per exercise, found {}", fixtures.len());

    // Fixtures graded with other settings (a short time limit for the
    // hanging ones) form batches of their own.
    let mut batches: BTreeMap<Vec<String>, Vec<(PathBuf, Expected)>> = BTreeMap::new();
    for fixture in fixtures {
        let expected = Expected::load(&fixture);
        batches.entry(expected.grading_args()).or_default().push((fixture, expected));
    }

    let mut problems = Vec::new();
    for (args, members) in &batches {
        let class = tempfile::tempdir().unwrap();
        for (fixture, _) in members {
            copy_dir(fixture, &class.path().join(fixture.file_name().unwrap()));
        }
        let out = tempfile::tempdir().unwrap();
        let mut command = grader();
        command.arg("batch").arg(class.path()).arg("--output-dir").arg(out.path()).arg("--quiet").args(args);
        run(&mut command, 0);

        let gradebook = std::fs::read_to_string(out.path().join("grades.csv")).unwrap();
        assert_eq!(gradebook.lines().count(), members.len() + 1, "one row per submission:\n{gradebook}");
        for (fixture, expected) in members {
            let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
            let path = out.path().join(format!("{name}.json"));
            let card: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            check_schema(&card);
            for problem in expected.mismatches(&card) {
                problems.push(format!("{name} ({:?}: {}): {problem}", expected.kind, expected.summary));
            }
        }
    }
    assert!(problems.is_empty(), "{} mismatches:\n{}", problems.len(), problems.join("\n"));
}
