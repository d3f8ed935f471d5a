//! Submissions built to break the grader or steal points, made on the fly
//! where they cannot be committed (links, odd file names, huge files). Each
//! gets a clear status and message, the grader exits 0, and nothing leaks
//! or lingers. The committed hostile fixtures are checked in fixtures.rs;
//! here are the checks that need more than a scorecard.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{exercise, grade, grader, run, serial, workspace};

/// A submission whose exercise-1 is the reference solution, in a temp dir.
fn submission_with_solution() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("exercises/exercise-1/src");
    fs::create_dir_all(&src).unwrap();
    fs::copy(workspace().join("solutions/exercises/exercise-1/src/lib.rs"), src.join("lib.rs")).unwrap();
    (dir, src)
}

fn grade_exercise_1(root: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--exercise", "exercise-1", "--repeat", "1"];
    all.extend_from_slice(args);
    grade(root, &all)
}

#[test]
fn symbolic_links_are_never_followed_and_are_reported() {
    let _serial = serial();
    let (dir, src) = submission_with_solution();
    // The "solution" is a link to the reference solution; another points
    // at a system file.
    fs::remove_file(src.join("lib.rs")).unwrap();
    std::os::unix::fs::symlink(workspace().join("solutions/exercises/exercise-1/src/lib.rs"), src.join("lib.rs"))
        .unwrap();
    std::os::unix::fs::symlink("/etc/passwd", src.join("passwd.rs")).unwrap();
    let card = grade_exercise_1(dir.path(), &[]);
    let exercise = exercise(&card, "exercise-1");
    assert_eq!(exercise["status"], "build_failed", "{exercise:#}");
    assert_eq!(exercise["score"], 0.0);
    let links: Vec<&str> = card["ignored_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "symlink")
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(links, ["exercises/exercise-1/src/lib.rs", "exercises/exercise-1/src/passwd.rs"]);
}

#[test]
fn malformed_submissions_get_a_clear_status_each() {
    let _serial = serial();
    /// What is broken, how, and the status and phrase expected.
    type Case = (&'static str, Box<dyn Fn(&Path)>, &'static str, &'static str);
    let cases: Vec<Case> = vec![
        (
            "a file where src/ should be",
            Box::new(|src: &Path| {
                fs::remove_dir_all(src).unwrap();
                fs::write(src, "not a folder").unwrap();
            }),
            "build_failed",
            "is a file, not a folder",
        ),
        (
            "an empty src/",
            Box::new(|src: &Path| fs::remove_file(src.join("lib.rs")).unwrap()),
            "build_failed",
            "has no lib.rs",
        ),
        (
            "a 50 MB source file",
            Box::new(|src: &Path| fs::write(src.join("huge.rs"), vec![b'/'; 50 << 20]).unwrap()),
            "build_failed",
            "the limit is 2 MB",
        ),
        (
            "binary garbage in lib.rs",
            Box::new(|src: &Path| {
                fs::write(src.join("lib.rs"), (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<_>>()).unwrap()
            }),
            "build_failed",
            "does not compile",
        ),
        (
            "a file name that is not UTF-8",
            Box::new(|src: &Path| {
                use std::os::unix::ffi::OsStrExt;
                fs::write(src.join(std::ffi::OsStr::from_bytes(b"bad\xff.rs")), "").unwrap()
            }),
            "build_failed",
            "not valid UTF-8",
        ),
    ];
    for (what, break_it, status, phrase) in cases {
        let (dir, src) = submission_with_solution();
        break_it(&src);
        let card = grade_exercise_1(dir.path(), &[]);
        let exercise = exercise(&card, "exercise-1");
        assert_eq!(exercise["status"], status, "{what}: {exercise:#}");
        let message = exercise["message"].as_str().unwrap_or_default();
        assert!(message.contains(phrase), "{what}: the message should contain {phrase:?}: {message}");
    }
}

#[test]
fn a_test_process_sees_no_secret_of_the_graders_environment_or_home() {
    let _serial = serial();
    let home = tempfile::tempdir().unwrap();
    fs::create_dir_all(home.path().join(".cargo")).unwrap();
    fs::write(home.path().join(".cargo/credentials.toml"), "[registry]\ntoken = \"cio-secret-token-1234\"\n").unwrap();
    fs::write(home.path().join(".git-credentials"), "https://student:ghp_secret5678@github.com\n").unwrap();

    let fixture = workspace().join("fixtures/hostile-reads-secrets");
    let mut command = grader();
    command
        .args(["grade"])
        .arg(&fixture)
        .args(["--output", "-", "--exercise", "exercise-1", "--repeat", "1"])
        .env("GITHUB_TOKEN", "ghp_secret_from_the_environment")
        .env("AWS_SECRET_ACCESS_KEY", "aws-secret-from-the-environment")
        .env("CARGO_HOME", std::env::var_os("CARGO_HOME").unwrap_or_else(home_cargo))
        .env("RUSTUP_HOME", std::env::var_os("RUSTUP_HOME").unwrap_or_else(home_rustup))
        .env("HOME", home.path())
        // The policy would refuse the fixture's std::env before it ran: this
        // tests the wall behind it, the scrubbed environment.
        .env(grader::policy::SWITCH_ENV, "off");
    let output = run(&mut command, 0);
    let card = String::from_utf8_lossy(&output.stdout);
    assert!(card.contains("what I could see"), "the fixture should have reported what it saw:\n{card}");
    assert!(card.contains("HOME="), "the fixture should have printed its environment:\n{card}");
    for secret in [
        "ghp_secret_from_the_environment",
        "aws-secret-from-the-environment",
        "cio-secret-token-1234",
        "ghp_secret5678",
    ] {
        assert!(!card.contains(secret), "the secret {secret} reached the scorecard:\n{card}");
    }
    for variable in ["GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "CARGO_HOME", "GRADER_WORKSPACE"] {
        assert!(!card.contains(&format!("{variable}=")), "{variable} reached the test process:\n{card}");
    }
}

/// Grades `submission` with the source policy switched off, so that code it
/// would refuse reaches the defences behind it; returns the scorecard.
fn grade_with_policy_off(submission: &Path, args: &[&str]) -> serde_json::Value {
    let mut command = grader();
    command.arg("grade").arg(submission).args(["--output", "-"]).args(args).env(grader::policy::SWITCH_ENV, "off");
    let output = run(&mut command, 0);
    let card: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    common::check_schema(&card);
    assert!(card["confinement"]["policy"].as_str().unwrap().starts_with("OFF"), "the scorecard hides it: {card:#}");
    card
}

/// Whether this machine confines test processes (Landlock); the grader's
/// own verdict, as a scorecard reports it.
fn confined(card: &serde_json::Value) -> bool {
    card["confinement"]["confined"].as_bool().expect("every scorecard says whether it was confined")
}

#[test]
fn forgeries_of_the_sentinel_behind_the_policy_earn_nothing() {
    let _serial = serial();
    // Each fixture is refused by the policy (fixtures.rs); here each
    // reaches the walls behind it: no nonce in the environment, none
    // readable through /proc, and an early exit never counts as a pass.
    let cases: &[(&str, &[&str])] = &[
        ("hostile-nonce-from-env-alias", &["no sentinel nonce in the environment"]),
        (
            "hostile-nonce-from-proc-environ",
            &["/proc/self/environ: Permission denied", "/proc/self/fd/3: Permission denied"],
        ),
        ("hostile-panic-hook-forges", &["never counts as a pass"]),
        ("hostile-thread-forges", &["never counts as a pass"]),
    ];
    for (fixture, phrases) in cases {
        let card = grade_with_policy_off(
            &workspace().join("fixtures").join(fixture),
            &["--exercise", "exercise-1", "--repeat", "1"],
        );
        let exercise = exercise(&card, "exercise-1");
        assert_eq!(exercise["score"], 0.0, "{fixture} earned points: {exercise:#}");
        for test in exercise["tests"].as_array().unwrap() {
            assert_ne!(test["status"], "passed", "{fixture}: {test:#}");
            let message = test["message"].as_str().unwrap_or_default();
            // Without Landlock the /proc reads succeed (and still forge
            // nothing: the nonce is not in the environment, and the proof
            // descriptor's file is outside what they could find).
            if confined(&card) || !phrases[0].contains("Permission") {
                assert!(phrases.iter().all(|p| message.contains(p)), "{fixture}: {message}");
            }
        }
    }
}

/// Every regular file below `dir` whose name starts with one of `prefixes`.
fn files_named(dir: &Path, prefixes: &[&str]) -> std::collections::BTreeSet<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| prefixes.iter().any(|p| e.file_name().to_string_lossy().starts_with(p)))
        .map(|e| e.path().to_path_buf())
        .collect()
}

#[test]
fn file_attacks_reach_no_other_run_submission_or_grader_state() {
    let _serial = serial();
    // One batch, graded one submission at a time in name order: the
    // victim first (the reference solution), then submissions that try to
    // rewrite its scorecard, the build cache (twice, identical: the second
    // would run what the first left), the grading's executables and the
    // canary's record. The output folder is below the workspace's target/,
    // where the scorecard attack looks.
    let target = workspace().join("target");
    let out = tempfile::Builder::new().prefix("hostile-batch-out-").tempdir_in(&target).unwrap();
    let submissions = tempfile::tempdir().unwrap();
    let victim = submissions.path().join("a-victim/exercises/exercise-4/src");
    fs::create_dir_all(&victim).unwrap();
    fs::copy(workspace().join("solutions/exercises/exercise-4/src/lib.rs"), victim.join("lib.rs")).unwrap();
    let attacks = [
        ("b-rewrites-batch-scorecards", "hostile-rewrites-batch-scorecards"),
        ("c-writes-build-cache", "hostile-writes-build-cache"),
        ("d-writes-build-cache-again", "hostile-writes-build-cache"),
        ("e-replaces-sibling-executables", "hostile-replaces-sibling-executables"),
        ("f-writes-canary-record", "hostile-writes-canary-record"),
    ];
    for (name, fixture) in attacks {
        common::copy_dir(&workspace().join("fixtures").join(fixture), &submissions.path().join(name));
    }
    let cache = target.join("grader");
    let canary = cache.join("canary-best-nanos");
    let deps = cache.join("build/debug/deps");
    let binaries = ["count_words-", "word_count-", "stress-", "parallel-"];

    let mut command = grader();
    command.arg("batch").arg(submissions.path()).arg("--output-dir").arg(out.path()).args([
        "--exercise",
        "exercise-4",
        "--repeat",
        "1",
        "--submissions-at-once",
        "1",
        "--quiet",
    ]);
    run(&mut command, 0);

    let card = |name: &str| -> serde_json::Value {
        let path = out.path().join(format!("{name}.json"));
        serde_json::from_str(&fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{} is no longer a scorecard ({e})", path.display()))
    };
    let victim_card = card("a-victim");
    if !confined(&victim_card) {
        eprintln!("test processes are not confined here ({}); skipping", victim_card["confinement"]["detail"]);
        return;
    }
    assert_eq!(exercise(&victim_card, "exercise-4")["score"], 20.0, "{victim_card:#}");
    for (name, _) in attacks {
        let card = card(name);
        let exercise = exercise(&card, "exercise-4");
        assert_eq!(exercise["score"], 0.0, "{name} earned points: {exercise:#}");
        for test in exercise["tests"].as_array().unwrap() {
            let message = test["message"].as_str().unwrap_or_default();
            assert!(
                message.contains("hostile: ") && !message.contains("REPLACED") && !message.contains("REWROTE"),
                "{name}: {message}"
            );
            assert!(message.contains("Permission denied") || message.contains("nothing found"), "{name}: {message}");
        }
    }
    let gradebook = fs::read_to_string(out.path().join("grades.csv")).unwrap();
    assert!(gradebook.contains("a-victim") && !gradebook.contains("hacked"), "{gradebook}");
    // The grader itself may lower the record (a faster canary); the attack
    // would have written 1.
    let record = fs::read_to_string(&canary).unwrap_or_default();
    assert_ne!(record.trim(), "1", "a test process wrote the canary's record");
    // Rebuilds replace the cache's executables legitimately; the attack's
    // script would be a shell script.
    for path in files_named(&deps, &binaries) {
        let head: Vec<u8> = fs::read(&path).unwrap().into_iter().take(9).collect();
        assert_ne!(head, b"#!/bin/sh", "{} was replaced by a test process", path.display());
    }
}

fn home_cargo() -> std::ffi::OsString {
    Path::new(&std::env::var_os("HOME").unwrap()).join(".cargo").into_os_string()
}

fn home_rustup() -> std::ffi::OsString {
    Path::new(&std::env::var_os("HOME").unwrap()).join(".rustup").into_os_string()
}

#[test]
fn no_process_started_by_a_submission_outlives_its_grading() {
    let _serial = serial();
    let fixture = workspace().join("fixtures/hostile-process-bomb");
    // The policy would refuse the fixture's std::process: this tests the
    // process-group kill behind it.
    let card = grade_with_policy_off(&fixture, &["--exercise", "exercise-1", "--repeat", "1", "--timeout", "3"]);
    let exercise = exercise(&card, "exercise-1");
    // Every test of real threads hangs; the controlled lane's scheduler sees
    // the calls never return and fails its test instead.
    let tests = exercise["tests"].as_array().unwrap();
    assert!(tests.iter().filter(|t| t["lane"] != "controlled").all(|t| t["status"] == "timed_out"), "{exercise:#}");
    let survivors = std::process::Command::new("pgrep").args(["-f", "sleep 987654"]).output().unwrap();
    assert!(
        survivors.stdout.is_empty(),
        "processes started by the submission are still running: {}",
        String::from_utf8_lossy(&survivors.stdout)
    );
}

#[test]
fn an_output_flood_leaves_the_grader_small_and_the_message_short() {
    let _serial = serial();
    let fixture = workspace().join("fixtures/hostile-output-flood");
    let card = grade(&fixture, &["--exercise", "exercise-1", "--repeat", "1"]);
    let peak = card["grader_peak_rss_mib"].as_f64().unwrap();
    assert!(peak < 200.0, "the grader's peak memory was {peak} MiB while tests wrote gigabytes");
    for test in exercise(&card, "exercise-1")["tests"].as_array().unwrap() {
        let message = test["message"].as_str().unwrap();
        assert!(message.len() < 4096, "a message of {} bytes", message.len());
        // The controlled lane's test floods its output in every execution
        // it explores: only its length is bounded.
        if test["lane"] != "controlled" {
            assert!(message.contains("after the flood"), "{message}");
        }
    }
}

#[test]
fn timeouts_on_a_starved_machine_are_an_infrastructure_error_not_zeros() {
    let _serial = serial();
    // A grading on the idle machine records its speed (an empty submission
    // builds nothing, so this is quick).
    grade(&workspace().join("fixtures/broken-empty-submission"), &[]);

    let out = tempfile::tempdir().unwrap();
    let scorecard = out.path().join("card.json");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("grader"))
        .current_dir(workspace())
        .args([
            "grade",
            "fixtures/broken-hangs",
            "--exercise",
            "exercise-1",
            "--repeat",
            "1",
            "--timeout",
            "3",
            "--quiet",
        ])
        .arg("--output")
        .arg(&scorecard)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Starve the machine: far more busy threads than cores, until the
    // grading ends.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..24)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                }
            })
        })
        .collect();
    let output = child.wait_with_output().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    load.into_iter().for_each(|t| t.join().unwrap());

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "a starved grading exits 2:\n{stderr}");
    assert!(stderr.contains("infrastructure_error: the machine was too loaded"), "{stderr}");
    let card: serde_json::Value = serde_json::from_str(&fs::read_to_string(&scorecard).unwrap()).unwrap();
    assert!(card["infrastructure_error"].as_str().is_some_and(|m| m.contains("too loaded")), "{card:#}");
}

#[test]
fn a_run_that_says_it_is_inconclusive_is_rerun_and_never_passes() {
    let _serial = serial();
    // The reference solution, whose `balance` also prints, once per process,
    // the line by which a starved test says it could not look for races
    // (after libtest's "test name ... ", as testkit's own line would be):
    // every run of a test that reads the balance claims to be inconclusive.
    let (dir, src) = submission_with_solution();
    let lib = src.join("lib.rs");
    let code = fs::read_to_string(&lib).unwrap();
    let marked = code.replacen(
        "pub fn balance(&self) -> u64 {",
        &format!(
            "pub fn balance(&self) -> u64 {{\n        use std::io::Write as _;\n        \
             static ONCE: std::sync::Once = std::sync::Once::new();\n        \
             ONCE.call_once(|| {{ let _ = std::io::stderr().write_all(b\"{} faked\\n\"); }});",
            grader::run::INCONCLUSIVE_MARKER
        ),
        1,
    );
    assert_ne!(marked, code, "the solution's `balance` signature changed; update this test");
    fs::write(&lib, marked).unwrap();

    let out = tempfile::tempdir().unwrap();
    let scorecard = out.path().join("card.json");
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("grader"))
        .current_dir(workspace())
        .args(["grade", "--exercise", "exercise-1", "--repeat", "1", "--quiet", "--output"])
        .arg(&scorecard)
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "an inconclusive grading exits 2:\n{stderr}");
    let card: serde_json::Value = serde_json::from_str(&fs::read_to_string(&scorecard).unwrap()).unwrap();
    let reason = card["infrastructure_error"].as_str().unwrap_or_default();
    assert!(reason.contains("could not look for its bug in 3 attempts") && reason.contains("faked"), "{card:#}");
    let exercise = exercise(&card, "exercise-1");
    // Every test reads the balance, so no run of any test counts as a pass.
    for test in exercise["tests"].as_array().unwrap() {
        assert_eq!(test["passed_runs"], 0, "{test:#}");
        assert!(test["message"].as_str().is_some_and(|m| m.contains("inconclusive run")), "{test:#}");
    }
    assert_eq!(exercise["score"], 0.0, "a claimed inconclusive run earned points: {exercise:#}");
}

#[test]
fn the_grader_and_the_tests_agree_on_the_inconclusive_marker() {
    assert_eq!(grader::run::INCONCLUSIVE_MARKER, testkit::INCONCLUSIVE_MARKER);
}
