//! Building: one `cargo build --tests` over the staged exercises, read from
//! cargo's JSON messages. Each exercise either yields its test executables
//! or fails with the compiler's first errors; one exercise's compile error
//! never stops the others (`--keep-going`), and neither does one test
//! target's: errors are attributed per package and target, so a test target
//! that alone does not compile (a controlled-lane target whose rewritten
//! copy of `src/` does not fit the model checker's types) is reported on its
//! own and the plan decides what it costs.
//!
//! All builds share one target directory below the workspace's, so the
//! dependencies are compiled once and only a submission's own code is
//! rebuilt.

pub mod stage;

use std::collections::BTreeMap;
use std::io::BufReader;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use cargo_metadata::Message;
use cargo_metadata::diagnostic::DiagnosticLevel;

use crate::discover::Exercise;
use crate::error::{GraderError, Result};

/// The longest a build may take before it is stopped.
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(600);
/// The compiler errors kept per exercise.
const MAX_ERRORS: usize = 3;
/// The most characters of compiler output kept per exercise.
const MAX_ERROR_CHARS: usize = 4000;

/// How one exercise's build ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildOutcome {
    /// The library built. `executables`: the test executables, by test
    /// target name; `failed_targets`: the test targets that did not compile
    /// on their own, with the compiler's words.
    ///
    /// `lane_unavailable`: why the controlled lane cannot model this
    /// submission, as the exercise's build script decided it (cargo reports
    /// the build script's `lane_unavailable` cfg and its reason). Only the
    /// build says this, never a test's output: code under test could print
    /// anything.
    Built {
        executables: BTreeMap<String, PathBuf>,
        failed_targets: BTreeMap<String, String>,
        lane_unavailable: Option<String>,
    },
    /// Why the exercise did not build, in the compiler's words.
    Failed(String),
}

/// What cargo says when it could not ask rustc about the target: the
/// machine's failure, before any of the submission is compiled.
const PROBE_FAILED: &str = "to learn about target-specific information";

/// Builds the test targets of `exercises`, staged in `stage_dir`, into
/// `target_dir`.
///
/// When cargo cannot even ask rustc about the target, nothing of the
/// submission was compiled, so this is an infrastructure error, never the
/// submission's `build_failed`. Seen on machines whose `/dev/null` was a
/// regular file: rustc's probe reads its source from `/dev/null` and got
/// other programs' output. cargo caches that failure in
/// `.rustc_info.json`, so the cache is dropped and the build tried once
/// more before giving up.
pub fn build(stage_dir: &Path, target_dir: &Path, exercises: &[&Exercise]) -> Result<BTreeMap<String, BuildOutcome>> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (outcomes, cargo_stderr) = build_once(stage_dir, target_dir, exercises)?;
        if !cargo_stderr.contains(PROBE_FAILED) {
            return Ok(outcomes);
        }
        let _ = std::fs::remove_file(target_dir.join(".rustc_info.json"));
        if attempt == 2 {
            let hint = if is_null_device(Path::new("/dev/null")) {
                String::new()
            } else {
                "; /dev/null is not the null device on this machine (recreate it: mknod -m 666 /dev/null c 1 3)"
                    .to_string()
            };
            return Err(GraderError::Infrastructure(format!(
                "cargo could not run rustc to learn about the target{hint}:\n{}",
                last_lines(&cargo_stderr, 15)
            )));
        }
    }
}

/// Whether `path` is a character device (what `/dev/null` must be).
fn is_null_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

/// One `cargo build`: the outcomes, and cargo's own stderr.
fn build_once(
    stage_dir: &Path,
    target_dir: &Path,
    exercises: &[&Exercise],
) -> Result<(BTreeMap<String, BuildOutcome>, String)> {
    let mut command = Command::new(cargo());
    // The compiler runs the submission's macros: it sees only what a build
    // needs, never the grader's tokens or CI secrets (`env!` is refused by
    // the policy as well; this is the second wall).
    command.env_clear().envs(build_env(std::env::vars_os()));
    command
        .current_dir(stage_dir)
        .args(["build", "--keep-going", "--message-format=json", "--color=never", "--test", "*"])
        .env("CARGO_TARGET_DIR", target_dir)
        // Full rebuilds of small crates are as fast without incremental
        // state, and the cache stays small.
        .env("CARGO_INCREMENTAL", "0")
        // No debug info: a grading never shows a backtrace (panic messages
        // keep their file and line without it), and leaving it out cuts a
        // warm build of the five exercises from about 6.2 s to 3.8 s
        // (BENCHMARKS.md).
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for exercise in exercises {
        command.args(["-p", &exercise.id]);
        // Line tables for the exercise crates only (not their
        // dependencies): a hang diagnosis can then name the submission's
        // file:line (run::diagnose). Cost: BENCHMARKS.md.
        command
            .arg("--config")
            .arg(format!("profile.dev.package.{}.debug=\"line-tables-only\"", toml_key(&exercise.id)));
    }
    let mut child = command.spawn().map_err(|e| GraderError::Toolchain(e.to_string()))?;
    // A build that runs away (a type-level bomb, say) is stopped, with
    // everything cargo started.
    let (finished_tx, finished_rx) = std::sync::mpsc::channel::<()>();
    let pid = child.id() as libc::pid_t;
    let watchdog = std::thread::spawn(move || {
        if finished_rx.recv_timeout(BUILD_TIMEOUT).is_err() {
            // SAFETY: killpg has no memory-safety preconditions.
            unsafe { libc::killpg(pid, libc::SIGKILL) };
            return true;
        }
        false
    });
    let stderr = child.stderr.take().expect("stderr is piped");
    let stderr_reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());

    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let attributed = attribute(Message::parse_stream(stdout).map_while(std::result::Result::ok), stage_dir, exercises);
    let status = child.wait().map_err(|e| GraderError::Toolchain(e.to_string()))?;
    let _ = finished_tx.send(());
    let build_timed_out = watchdog.join().unwrap_or(false);
    let cargo_stderr = stderr_reader.join().unwrap_or_default();
    let outcomes = outcomes(exercises, attributed, build_timed_out, &status.to_string(), &cargo_stderr);
    Ok((outcomes, cargo_stderr))
}

/// What cargo's messages say, per exercise: the test executables built and
/// the compiler errors, each error under the target that has it (`None`:
/// the library or the build script, which every test target needs).
#[derive(Debug, Default)]
struct Attributed {
    executables: BTreeMap<String, BTreeMap<String, PathBuf>>,
    errors: BTreeMap<String, BTreeMap<Option<String>, Vec<String>>>,
    lane_unavailable: BTreeMap<String, String>,
}

/// The cfg and the variable with which `lanes/rewrite` says the controlled
/// lane cannot model the submission.
const LANE_UNAVAILABLE_CFG: &str = "lane_unavailable";
const LANE_UNAVAILABLE_ENV: &str = "LANE_UNAVAILABLE_REASON";

/// The package whose build script ran in `out_dir`
/// (`<target>/debug/build/<package>-<hash>/out`).
fn package_of_out_dir(out_dir: &Path) -> Option<&str> {
    let folder = out_dir.parent()?.file_name()?.to_str()?;
    folder.rsplit_once('-').map(|(package, _hash)| package)
}

/// Sorts cargo's messages by exercise and target. Messages name the
/// target's source file; the staged crate folder that holds it tells the
/// exercise.
fn attribute(messages: impl Iterator<Item = Message>, stage_dir: &Path, exercises: &[&Exercise]) -> Attributed {
    let staged_dirs: Vec<(PathBuf, &str)> =
        exercises.iter().map(|e| (stage_dir.join(&e.relative_dir), e.id.as_str())).collect();
    let id_of = |src_path: &Path| staged_dirs.iter().find(|(dir, _)| src_path.starts_with(dir)).map(|(_, id)| *id);
    let mut attributed = Attributed::default();
    for message in messages {
        match message {
            Message::CompilerArtifact(artifact) if artifact.target.is_test() => {
                if let (Some(id), Some(exe)) = (id_of(artifact.target.src_path.as_std_path()), artifact.executable) {
                    attributed
                        .executables
                        .entry(id.to_string())
                        .or_default()
                        .insert(artifact.target.name.clone(), exe.into_std_path_buf());
                }
            }
            Message::BuildScriptExecuted(script) if script.cfgs.iter().any(|c| c == LANE_UNAVAILABLE_CFG) => {
                let package = package_of_out_dir(script.out_dir.as_std_path());
                if let Some(id) = exercises.iter().map(|e| e.id.as_str()).find(|id| Some(*id) == package) {
                    let reason = script
                        .env
                        .iter()
                        .find(|(key, _)| key == LANE_UNAVAILABLE_ENV)
                        .map_or_else(|| "the lane's rewrite of src/ failed".to_string(), |(_, v)| v.clone());
                    attributed.lane_unavailable.insert(id.to_string(), reason);
                }
            }
            Message::CompilerMessage(message) => {
                let diagnostic = &message.message;
                if matches!(diagnostic.level, DiagnosticLevel::Error | DiagnosticLevel::Ice)
                    && let Some(id) = id_of(message.target.src_path.as_std_path())
                {
                    let rendered = diagnostic.rendered.clone().unwrap_or_else(|| diagnostic.message.clone());
                    let target = message.target.is_test().then(|| message.target.name.clone());
                    attributed.errors.entry(id.to_string()).or_default().entry(target).or_default().push(rendered);
                }
            }
            _ => {}
        }
    }
    attributed
}

/// Each exercise's outcome. A test target that alone does not compile
/// (with the library built) is reported as such in `failed_targets`, not as
/// the exercise's failure: the plan decides what it costs (a controlled-lane
/// target that cannot compile against the model checker's types costs
/// nothing; any other target fails the exercise).
fn outcomes(
    exercises: &[&Exercise],
    mut attributed: Attributed,
    build_timed_out: bool,
    status: &str,
    cargo_stderr: &str,
) -> BTreeMap<String, BuildOutcome> {
    let mut outcomes = BTreeMap::new();
    for exercise in exercises {
        let id = exercise.id.as_str();
        let built = attributed.executables.remove(id).unwrap_or_default();
        let mut errors = attributed.errors.remove(id).unwrap_or_default();
        let lane_unavailable = attributed.lane_unavailable.remove(id);
        let missing: Vec<&str> =
            exercise.test_targets.iter().map(|t| t.name.as_str()).filter(|t| !built.contains_key(*t)).collect();
        let every_missing_target_has_errors =
            missing.iter().all(|t| errors.get(&Some(t.to_string())).is_some_and(|e| !e.is_empty()));
        let outcome = if missing.is_empty() {
            BuildOutcome::Built { executables: built, failed_targets: BTreeMap::new(), lane_unavailable }
        } else if build_timed_out {
            BuildOutcome::Failed(format!("the build took longer than {} s and was stopped", BUILD_TIMEOUT.as_secs()))
        } else if let Some(lib_errors) = errors.remove(&None) {
            BuildOutcome::Failed(summarize_errors(&lib_errors))
        } else if every_missing_target_has_errors {
            let failed_targets =
                missing.iter().map(|t| (t.to_string(), summarize_errors(&errors[&Some(t.to_string())]))).collect();
            BuildOutcome::Built { executables: built, failed_targets, lane_unavailable }
        } else if !errors.is_empty() {
            let all: Vec<String> = errors.into_values().flatten().collect();
            BuildOutcome::Failed(summarize_errors(&all))
        } else {
            // Cargo failed before compiling this crate (a manifest or
            // dependency problem): its own words are the best message.
            let detail = last_lines(cargo_stderr, 15);
            BuildOutcome::Failed(format!(
                "the build did not produce the test executables (cargo exited with {status}):\n{detail}"
            ))
        };
        outcomes.insert(exercise.id.clone(), outcome);
    }
    outcomes
}

/// A package name as a TOML key (quoted: names hold dashes).
fn toml_key(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Variables a build keeps from the grader's environment: where the
/// toolchain and the registry cache are, how to reach the registry, and
/// the locale. Everything else (tokens, `RUSTFLAGS`, `RUSTC_WRAPPER`,
/// `CARGO_REGISTRIES_*_TOKEN`) is dropped.
const BUILD_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "RUSTC",
    "CARGO_NET_OFFLINE",
    "CARGO_HTTP_CAINFO",
    "CARGO_HTTP_TIMEOUT",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// The build's environment, from the grader's.
pub fn build_env(
    vars: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    vars.filter(|(name, _)| name.to_str().is_some_and(|name| BUILD_ENV.contains(&name))).collect()
}

/// The cargo the grader was started with, or the one on `PATH`.
fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The first errors, with the summary lines rustc adds at the end dropped,
/// trimmed to a readable size.
fn summarize_errors(errors: &[String]) -> String {
    let relevant: Vec<&str> = errors
        .iter()
        .map(|e| e.trim_end())
        .filter(|e| !e.starts_with("error: aborting due to") && !e.starts_with("error: could not compile"))
        .collect();
    let shown = relevant.len().min(MAX_ERRORS);
    let mut text = relevant[..shown].join("\n\n");
    if relevant.len() > shown {
        text.push_str(&format!("\n\n... and {} more errors", relevant.len() - shown));
    }
    if text.chars().count() > MAX_ERROR_CHARS {
        text = text.chars().take(MAX_ERROR_CHARS).collect::<String>() + "\n[... truncated]";
    }
    if text.is_empty() { "the code does not compile".into() } else { format!("the code does not compile:\n{text}") }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::{GradingMetadata, TestTarget};

    fn exercise() -> Exercise {
        let dir = PathBuf::from("/STAGE/exercises/exercise-9");
        Exercise {
            id: "exercise-9".into(),
            dir: dir.clone(),
            relative_dir: "exercises/exercise-9".into(),
            manifest: dir.join("Cargo.toml"),
            test_targets: ["behaviour", "lane"]
                .map(|t| TestTarget { name: t.into(), src_path: dir.join(format!("tests/{t}.rs")) })
                .into(),
            grading: GradingMetadata {
                title: "x".into(),
                max_score: 1.0,
                timeout: Duration::from_secs(1),
                env: BTreeMap::new(),
                allow: Vec::new(),
                grading_only: Vec::new(),
                groups: Vec::new(),
            },
        }
    }

    /// Cargo's messages recorded from a real build (paths replaced), fed to
    /// the attribution.
    fn outcome_of(recorded: &str) -> BuildOutcome {
        let exercise = exercise();
        let messages = Message::parse_stream(recorded.as_bytes()).map_while(std::result::Result::ok);
        let attributed = attribute(messages, Path::new("/STAGE"), &[&exercise]);
        outcomes(&[&exercise], attributed, false, "exit status: 101", "").remove("exercise-9").unwrap()
    }

    #[test]
    fn a_test_target_that_alone_does_not_compile_is_reported_apart() {
        let BuildOutcome::Built { executables, failed_targets, lane_unavailable } =
            outcome_of(include_str!("testdata/tests_fail.jsonl"))
        else {
            panic!("the library built; only tests/lane.rs failed");
        };
        assert_eq!(executables.keys().collect::<Vec<_>>(), ["behaviour"]);
        assert_eq!(failed_targets.keys().collect::<Vec<_>>(), ["lane"]);
        assert!(failed_targets["lane"].contains("cannot find function `missing`"), "{failed_targets:?}");
        assert_eq!(lane_unavailable, None);
    }

    #[test]
    fn only_the_build_script_says_the_lane_cannot_run() {
        // cargo's report of exercise-9's build script (as `lanes/rewrite`
        // prints it), then of a dependency's build script with the same cfg.
        let script = |package: &str, cfgs: &str, env: &str| {
            format!(
                r#"{{"reason":"build-script-executed","package_id":"path+file:///STAGE/x#{package}@0.1.0","linked_libs":[],"linked_paths":[],"cfgs":[{cfgs}],"env":[{env}],"out_dir":"/T/debug/build/{package}-0123456789abcdef/out"}}"#
            )
        };
        let unavailable = script(
            "exercise-9",
            r#""lane_unavailable""#,
            r#"["LANE_UNAVAILABLE_REASON","the rewrite cannot handle `static mut`"]"#,
        );
        let recorded = format!("{unavailable}\n{}", include_str!("testdata/tests_fail.jsonl"));
        let BuildOutcome::Built { lane_unavailable, .. } = outcome_of(&recorded) else { panic!("it built") };
        assert_eq!(lane_unavailable.as_deref(), Some("the rewrite cannot handle `static mut`"));

        let other = script("exercise-99", r#""lane_unavailable""#, "");
        let available = script("exercise-9", "", "");
        let recorded = format!("{other}\n{available}\n{}", include_str!("testdata/tests_fail.jsonl"));
        let BuildOutcome::Built { lane_unavailable, .. } = outcome_of(&recorded) else { panic!("it built") };
        assert_eq!(lane_unavailable, None, "another package's cfg, or none, says nothing about exercise-9");
    }

    #[test]
    fn only_a_character_device_is_the_null_device() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("null");
        std::fs::write(&fake, "error[E0554]: piled up here").unwrap();
        assert!(!is_null_device(&fake));
        assert!(!is_null_device(&dir.path().join("missing")));
        assert!(is_null_device(Path::new("/dev/zero")));
    }

    #[test]
    fn a_library_that_does_not_compile_fails_the_exercise() {
        let BuildOutcome::Failed(message) = outcome_of(include_str!("testdata/lib_fail.jsonl")) else {
            panic!("the library did not build");
        };
        assert!(message.starts_with("the code does not compile:") && message.contains("mismatched types"), "{message}");
    }

    #[test]
    fn a_build_keeps_the_toolchain_and_drops_secrets() {
        let vars = [
            ("PATH", "/usr/bin"),
            ("CARGO_HOME", "/c"),
            ("GITHUB_TOKEN", "ghp_x"),
            ("CARGO_REGISTRIES_X_TOKEN", "t"),
            ("RUSTFLAGS", "-C x"),
            ("AWS_SECRET_ACCESS_KEY", "k"),
        ]
        .map(|(k, v)| (k.into(), v.into()));
        let kept: Vec<String> =
            super::build_env(vars.into_iter()).into_iter().map(|(k, _)| k.into_string().unwrap()).collect();
        assert_eq!(kept, ["PATH", "CARGO_HOME"]);
    }
}
