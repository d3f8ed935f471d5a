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
    let workflows = template.join(".github/workflows");
    assert!(workflows.join("self-check.yml").is_file(), "the self-check workflow is missing");
    // Classroom 50 writes .github/workflows/autograde.yaml into each student
    // repository when the student accepts, and its wiki says a template must
    // never ship one: a copy would be re-fetched over it at `gh student
    // submit` and double-grade or break grading.
    for name in ["autograde.yaml", "autograde.yml"] {
        assert!(!workflows.join(name).exists(), "the template must not ship .github/workflows/{name}");
    }
    let self_check = std::fs::read_to_string(workflows.join("self-check.yml")).unwrap();
    assert!(self_check.contains("\non:\n  workflow_dispatch:\n\n"), "the self-check runs on demand only");
    assert!(!self_check.contains("autograding-grading-reporter"), "GitHub Classroom's reporter is gone");
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
    for command in ["template", "gradescope", "classroom50"] {
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

/// A copy of the course workspace (without build output or history) in a
/// new temporary folder, to change its metadata without touching the
/// course's own.
fn course_copy() -> (tempfile::TempDir, PathBuf) {
    let parent = tempfile::tempdir().unwrap();
    let copy = parent.path().join("course");
    let root = workspace();
    let mut walker = WalkDir::new(&root).min_depth(1).into_iter();
    while let Some(entry) = walker.next() {
        let entry = entry.unwrap();
        let relative = entry.path().strip_prefix(&root).unwrap();
        if ["target", ".git"].iter().any(|skip| entry.file_name() == *skip) {
            // A worktree's .git is a file: skipping "the current folder"
            // for it would skip the rest of the root.
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(copy.join(relative)).unwrap();
        } else if entry.file_type().is_file() {
            std::fs::create_dir_all(copy.join(relative).parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), copy.join(relative)).unwrap();
        }
    }
    (parent, copy)
}

/// Grading-only tests: exercise-1's `stress` target is declared
/// grading-only in a copy of the course. The template leaves its file and
/// its group out (the copy's points still add up, and its manifest is
/// current), while the Gradescope package, which grades for the course,
/// keeps both.
#[test]
fn the_template_never_ships_grading_only_tests() {
    let (_course_guard, course) = course_copy();
    let manifest = course.join("exercises/exercise-1/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let marked = text.replacen("max-score = 20\n", "max-score = 20\ngrading-only = [\"stress\"]\n", 1);
    assert_ne!(marked, text, "exercise-1's manifest sets max-score = 20");
    std::fs::write(&manifest, marked).unwrap();
    run(grader().current_dir(&course).arg("manifest"), 0);

    let out = tempfile::tempdir().unwrap();
    let template = out.path().join("template");
    run(grader().current_dir(&course).arg("template").arg(&template), 0);
    let exercise = template.join("exercises/exercise-1");
    assert!(!exercise.join("tests/stress.rs").exists(), "the grading-only test file is left out");
    assert!(exercise.join("tests/behaviour.rs").is_file(), "the other tests come along");
    let copied: toml::Table = std::fs::read_to_string(exercise.join("Cargo.toml")).unwrap().parse().unwrap();
    let grader_table = copied["package"]["metadata"]["grader"].as_table().unwrap();
    assert!(!grader_table.contains_key("grading-only"), "{grader_table:#?}");
    let groups = grader_table["groups"].as_array().unwrap();
    assert!(groups.iter().all(|g| g["target"].as_str() != Some("stress")), "{groups:#?}");
    let points: i64 = groups.iter().map(|g| g["points"].as_integer().unwrap()).sum();
    assert_eq!(grader_table["max-score"].as_integer(), Some(points), "the copy's groups add up to its max-score");
    assert!(
        all_paths(&template).iter().all(|p| !p.ends_with("exercise-1/tests/stress.rs")),
        "no copy of the grading-only test anywhere"
    );
    // The copy loads (its metadata is valid) and its manifest is current.
    assert_manifest_is_current(&template);

    let gradescope = out.path().join("gradescope");
    run(grader().current_dir(&course).arg("gradescope").arg(&gradescope), 0);
    assert!(gradescope.join("exercises/exercise-1/tests/stress.rs").is_file(), "the course's gradings run it");
    let kept = std::fs::read_to_string(gradescope.join("exercises/exercise-1/Cargo.toml")).unwrap();
    assert!(kept.contains("grading-only = [\"stress\"]"), "{kept}");
}

/// What a stand-in run of the Classroom 50 autograder left behind.
struct Classroom50Run {
    status: Option<i32>,
    stdout: String,
    /// The grader's command lines, one per line, with the checkout as CHECKOUT.
    calls: String,
    result: Option<String>,
    release_body: Option<String>,
    scorecard: bool,
}

/// Runs the package's `autograder.py` as Classroom 50's runner does: with
/// python3, in a student checkout (which has planted a `result.json` of its
/// own), with the runner's variables set. The grader is a stand-in
/// (CLASSROOM50_GRADER) whose `grade` writes a real scorecard (or sleeps
/// `sleep` seconds first) and exits with `status`, and which hands
/// `convert` to the real grader, so result.json and release-body.md are the
/// real formats.
fn run_classroom50(package: &Path, status: i32, sleep: u32, deadline: u32) -> Classroom50Run {
    let root = tempfile::tempdir().unwrap();
    let checkout = root.path().join("checkout");
    std::fs::create_dir_all(checkout.join("exercises/exercise-1/src")).unwrap();
    std::fs::write(checkout.join("result.json"), r#"{"score": 1000}"#).unwrap();
    std::fs::write(checkout.join("scorecard.json"), "planted").unwrap();
    let scorecard = root.path().join("graded.json");
    let card = serde_json::json!({
        "schema_version": 1, "score": 8.0, "max_score": 20.0, "grader_version": "0.1.0",
        "submission": "checkout", "duration_secs": 1.0, "grader_peak_rss_mib": 1.0,
        "ignored_changes": [], "infrastructure_error": null, "tampered_files": null, "review_flags": [],
        "exercises": [{
            "id": "exercise-1", "title": "Race", "score": 8.0, "max_score": 20.0, "status": "failed",
            "message": null,
            "tests": [
                { "name": "a", "status": "passed", "runs": 1, "passed_runs": 1, "points": 8.0, "max_points": 8.0,
                  "message": null, "target": "behaviour", "group": "Behaviour", "stress": false,
                  "failing_seed": null, "replay": null },
                { "name": "b", "status": "failed", "runs": 3, "passed_runs": 0, "points": 0.0, "max_points": 12.0,
                  "message": "lost update", "target": "stress", "group": "Stress", "stress": true,
                  "failing_seed": 7, "replay": "STRESS_SEED=7 cargo test" }
            ]
        }]
    });
    std::fs::write(&scorecard, card.to_string()).unwrap();
    let calls = root.path().join("calls");
    let stand_in = root.path().join("grader");
    let real = assert_cmd::cargo::cargo_bin("grader");
    write_executable(
        &stand_in,
        &format!(
            "#!/bin/sh\necho \"$@\" >> '{calls}'\n[ -n \"$GITHUB_TOKEN$ACTIONS_RUNTIME_TOKEN\" ] && echo LEAK >> '{calls}'\n\
             if [ \"$1\" = grade ]; then\n  sleep {sleep}\n  cp '{card}' \"$4\"\n  exit {status}\nfi\nexec '{real}' \"$@\"\n",
            calls = calls.display(),
            card = scorecard.display(),
            real = real.display(),
        ),
    );
    let output = Command::new("python3")
        .arg(package.join("autograder.py"))
        .current_dir(&checkout)
        .env("CLASSROOM50_GRADER", &stand_in)
        .env("GRADER_DEADLINE_SECS", deadline.to_string())
        .env("RUNNER_TEMP", root.path())
        .env("CLASSROOM", "cs-concurrency")
        .env("ASSIGNMENT", "exercises")
        .env("OWNER", "alice")
        .env("ASSIGNMENT_TYPE", "individual")
        .env("SUBMISSION_TAG", "submit/2026-06-01T14-32-05Z-a1b2c3d")
        .env("COMMIT_URL", "https://github.com/org/repo/commit/abc")
        .env("RELEASE_URL", "https://github.com/org/repo/releases/tag/submit%2F1")
        .env("GITHUB_TOKEN", "ghs_secret")
        .env("ACTIONS_RUNTIME_TOKEN", "secret")
        .output()
        .expect("python3 could be started");
    let read = |name: &str| std::fs::read_to_string(checkout.join(name)).ok();
    Classroom50Run {
        status: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        calls: std::fs::read_to_string(&calls)
            .unwrap_or_default()
            .replace(&checkout.display().to_string(), "CHECKOUT")
            .replace(&root.path().display().to_string(), "ROOT"),
        result: read("result.json"),
        release_body: read("release-body.md"),
        scorecard: read("scorecard.json").is_some_and(|text| text != "planted"),
    }
}

/// The Classroom 50 package: the course files (with their manifest) under
/// course/, an executable autograder.py, and what it does with each of the
/// grader's exit statuses: 0 and 1 record the grade (result.json valid
/// against Classroom 50's schema, the Markdown report as release-body.md,
/// the scorecard kept for the Release); 2, and a grading out of time,
/// record none (exit 2, and the result.json a student planted is gone).
#[test]
fn the_classroom50_autograder_records_a_grade_only_from_a_trusted_grading() {
    let (_guard, package) = generate("classroom50");
    let course = package.join("course");
    assert_holds_the_course_files(&course);
    assert_holds_no_course_only_files(&package);
    assert_manifest_is_current(&course);
    let mode = std::fs::metadata(package.join("autograder.py")).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "autograder.py is executable, its mode is {mode:o}");
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(package.join("assignment.json")).unwrap()).unwrap();
    assert_eq!(settings["runtime"]["rust"], "stable");
    assert!(package.join("README.md").is_file());

    let schema_path = workspace().join("grader/schemas/classroom50/result-v1.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for status in [0, 1] {
        let run = run_classroom50(&package, status, 0, 600);
        assert_eq!(run.status, Some(0), "grader status {status} records the grade\n{}", run.stdout);
        assert!(run.calls.starts_with("grade CHECKOUT --output CHECKOUT/scorecard.json\n"), "{}", run.calls);
        let result: serde_json::Value = serde_json::from_str(run.result.as_deref().unwrap()).unwrap();
        assert!(validator.is_valid(&result), "{result:#}");
        assert_eq!((result["score"].as_u64(), result["max-score"].as_u64()), (Some(8), Some(20)));
        assert_eq!(result["owner"], "alice");
        assert!(run.release_body.as_deref().unwrap().starts_with("## Grade: 8 / 20"), "{:?}", run.release_body);
        assert!(run.scorecard, "the scorecard is left for the Release");
        assert!(!run.calls.contains("LEAK"), "the grader (and so student code) gets no token:\n{}", run.calls);
    }
    for (status, sleep, deadline) in [(2, 0, 600), (0, 3, 1)] {
        let run = run_classroom50(&package, status, sleep, deadline);
        assert_eq!(run.status, Some(2), "no grade (status {status}, deadline {deadline} s)\n{}", run.stdout);
        assert!(run.stdout.contains("::error::no grade recorded"), "{}", run.stdout);
        assert_eq!((run.result, run.release_body, run.scorecard), (None, None, false), "nothing to record");
    }
}
