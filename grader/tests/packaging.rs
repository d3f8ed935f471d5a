//! The packages the grader writes for use outside this repository: the
//! student template (`grader template`) and the Gradescope autograder
//! (`grader gradescope`). Each is generated into a fresh temporary folder
//! and checked as its user would meet it: no solutions or fixtures inside,
//! a workspace that builds on its own, a skeleton that fails its tests, a
//! manifest that matches, scripts Gradescope can run.

mod common;

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{grader, run, workspace, write_executable};
use walkdir::WalkDir;

/// Runs `grader COMMAND DEST` into a new temporary folder and returns the
/// folder's guard (the package is deleted when it drops) and DEST.
fn generate(command: &str) -> (tempfile::TempDir, PathBuf) {
    let parent = tempfile::tempdir().unwrap();
    let dest = parent.path().join(command);
    run(grader().arg(command).arg(&dest), 0);
    (parent, dest)
}

/// The target folder for building generated templates, shared by every run
/// of these tests on this machine: a fresh copy's path differs each time,
/// but its dependencies (rand, testkit's) are then compiled only once.
fn shared_target_dir() -> PathBuf {
    std::env::temp_dir().join("grader-packaging-target")
}

/// Every path in `package`, relative to it.
fn all_paths(package: &Path) -> Vec<PathBuf> {
    WalkDir::new(package)
        .min_depth(1)
        .into_iter()
        .map(|entry| entry.unwrap().path().strip_prefix(package).unwrap().to_path_buf())
        .collect()
}

/// Fails if `package` holds a course-only folder or build output at any
/// depth, or any file whose bytes equal one of the reference solutions'.
fn assert_holds_no_course_only_files(package: &Path) {
    for path in all_paths(package) {
        for component in path.components() {
            let name = component.as_os_str();
            assert!(
                !["solutions", "fixtures", "target", ".git"].iter().any(|forbidden| name == *forbidden),
                "{} should not be in the package {}",
                path.display(),
                package.display()
            );
        }
    }
    let solutions: Vec<Vec<u8>> = WalkDir::new(workspace().join("solutions"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| std::fs::read(entry.path()).unwrap())
        .collect();
    assert!(!solutions.is_empty(), "the course has reference solutions to compare against");
    for path in all_paths(package) {
        let full = package.join(&path);
        if full.is_file() {
            let bytes = std::fs::read(&full).unwrap();
            assert!(!solutions.contains(&bytes), "{} is a copy of a reference solution", path.display());
        }
    }
}

/// The course files both packages must hold.
fn assert_holds_the_course_files(package: &Path) {
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
        "grading-manifest.json",
        "testkit/Cargo.toml",
        "grader/Cargo.toml",
        "grader/src/main.rs",
        "grader/scorecard.schema.json",
        "exercises/exercise-1/Cargo.toml",
        "exercises/exercise-1/src/lib.rs",
        "exercises/exercise-1/build.rs",
        "lanes/std/Cargo.toml",
        "lanes/rewrite/Cargo.toml",
    ] {
        assert!(package.join(file).is_file(), "{file} is missing from {}", package.display());
    }
    assert!(package.join("exercises/exercise-1/tests").is_dir(), "the exercises' tests are missing");
    assert!(!package.join("grader/tests").exists(), "the grader's own tests need the fixtures; they stay out");
    let manifest = std::fs::read_to_string(package.join("Cargo.toml")).unwrap();
    assert!(!manifest.contains("fixtures") && !manifest.contains("solutions"), "Cargo.toml:\n{manifest}");
}

/// `grader manifest --check`, run inside `package`, must find it current.
fn assert_manifest_is_current(package: &Path) {
    run(grader().current_dir(package).args(["manifest", "--check"]), 0);
}

#[test]
fn the_template_holds_the_course_files_and_no_solutions_or_fixtures() {
    let (_guard, template) = generate("template");
    assert_holds_the_course_files(&template);
    assert_holds_no_course_only_files(&template);
    assert!(template.join("README.md").is_file(), "the students' README is missing");
    assert!(template.join(".github/workflows/autograde.yml").is_file(), "the autograding workflow is missing");
    assert_eq!(
        std::fs::read_to_string(template.join("README.md")).unwrap(),
        std::fs::read_to_string(workspace().join("template/README.md")).unwrap(),
        "the template's README is template/README.md"
    );
    assert_manifest_is_current(&template);

    // A student's copy has no template/ of its own, so it cannot make
    // another one: the error says where to run the command instead.
    let nested = tempfile::tempdir().unwrap();
    let output = run(grader().current_dir(&template).arg("template").arg(nested.path().join("again")), 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("in the course repository"), "{stderr}");
    assert!(!nested.path().join("again").exists(), "nothing is written when the template cannot be made");
}

#[test]
fn the_template_builds_from_a_fresh_copy_and_its_skeleton_fails_its_tests() {
    let (_guard, template) = generate("template");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let output = Command::new(cargo)
        .current_dir(&template)
        .args(["test", "--locked", "-p", "exercise-1"])
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .output()
        .expect("cargo could be started");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let story = format!("--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    // 101 is also cargo's status for a build that fails; only the test
    // harness's own summary shows that the tests ran and failed.
    assert_eq!(output.status.code(), Some(101), "a skeleton's tests fail with cargo's status 101\n{story}");
    assert!(stdout.contains("test result: FAILED"), "the skeleton should build and fail its tests\n{story}");
    assert!(stdout.contains("failures:"), "the failing tests should be listed\n{story}");
}

#[test]
fn a_destination_with_files_in_it_is_refused() {
    let dest = tempfile::tempdir().unwrap();
    std::fs::write(dest.path().join("notes.txt"), "mine").unwrap();
    for command in ["template", "gradescope"] {
        let output = run(grader().arg(command).arg(dest.path()), 2);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("exists and is not empty"), "{command}: {stderr}");
    }
    assert_eq!(all_paths(dest.path()), [PathBuf::from("notes.txt")], "nothing is added to a folder that is refused");
    assert_eq!(std::fs::read_to_string(dest.path().join("notes.txt")).unwrap(), "mine");
}

#[test]
fn the_gradescope_package_has_runnable_scripts_and_the_course_files() {
    let (_guard, package) = generate("gradescope");
    assert_holds_the_course_files(&package);
    assert_holds_no_course_only_files(&package);
    assert_manifest_is_current(&package);

    for script in ["setup.sh", "run_autograder"] {
        let path = package.join(script);
        let mode = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{script}: {e}")).permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "{script} should be executable by everyone, its mode is {mode:o}");
        let syntax = Command::new("bash").arg("-n").arg(&path).output().expect("bash could be started");
        assert!(syntax.status.success(), "bash -n {script} failed:\n{}", String::from_utf8_lossy(&syntax.stderr));
    }
    let run_script = std::fs::read_to_string(package.join("run_autograder")).unwrap();
    assert!(
        run_script.contains("${AUTOGRADER_ROOT:-/autograder}"),
        "run_autograder must work in Gradescope's /autograder"
    );
    let setup_script = std::fs::read_to_string(package.join("setup.sh")).unwrap();
    assert!(setup_script.contains("rustup"), "setup.sh must install the Rust toolchain");
    assert!(setup_script.contains("cargo build --release"), "setup.sh must build the grader");
}

/// Runs the Gradescope package's `run_autograder` in a stand-in for
/// Gradescope's `/autograder` (AUTOGRADER_ROOT), whose grader is a script
/// that records its arguments, writes a results file and exits with
/// `status`. Returns the script's exit status, the grader's arguments, and
/// whether `results/results.json` is left.
fn run_autograder_with(package: &Path, submission_layout: &str, status: i32) -> (Option<i32>, String, bool) {
    let root = tempfile::tempdir().unwrap();
    let release = root.path().join("source/target/release");
    std::fs::create_dir_all(&release).unwrap();
    write_executable(
        &release.join("grader"),
        &format!(
            "#!/bin/sh\necho \"$@\" > \"{}\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --output ] && echo '{{}}' > \"$2\"; shift; done\nexit {status}\n",
            root.path().join("arguments").display()
        ),
    );
    std::fs::create_dir_all(root.path().join("submission").join(submission_layout)).unwrap();

    let output = Command::new(package.join("run_autograder")).env("AUTOGRADER_ROOT", root.path()).output().unwrap();
    let arguments = std::fs::read_to_string(root.path().join("arguments")).unwrap_or_default();
    let arguments = arguments.trim().replace(&root.path().display().to_string(), "ROOT");
    let results = root.path().join("results/results.json").exists();
    (output.status.code(), arguments, results)
}

/// Gradescope records the points of any `results.json` it finds, so a
/// grading that cannot be trusted (exit status 2: an infrastructure error,
/// or a grader that could not work) must leave none: Gradescope then shows
/// the submission as failed to grade, to be re-run. A completed grading
/// leaves its results, and the submission folder is found one level down
/// when a student uploads a zip of their repository's folder.
#[test]
fn gradescope_records_no_points_from_an_untrusted_grading() {
    let (_guard, package) = generate("gradescope");
    let graded = "grade ROOT/submission --format gradescope --output ROOT/results/results.json";

    assert_eq!(run_autograder_with(&package, "exercises", 0), (Some(0), graded.to_string(), true));
    assert_eq!(run_autograder_with(&package, "exercises", 2), (Some(2), graded.to_string(), false));
    let nested = "grade ROOT/submission/my-repo --format gradescope --output ROOT/results/results.json";
    assert_eq!(run_autograder_with(&package, "my-repo/exercises", 0), (Some(0), nested.to_string(), true));
}
