//! Building: one `cargo test --no-run` over the staged exercises, read from
//! cargo's JSON messages. Each exercise either yields its test executables
//! or fails with the compiler's first errors; one exercise's compile error
//! never stops the others (`--keep-going`).
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
    /// The test executables, by test target name.
    Built(BTreeMap<String, PathBuf>),
    /// Why the exercise did not build, in the compiler's words.
    Failed(String),
}

/// Builds the test targets of `exercises`, staged in `stage_dir`, into
/// `target_dir`.
pub fn build(stage_dir: &Path, target_dir: &Path, exercises: &[&Exercise]) -> Result<BTreeMap<String, BuildOutcome>> {
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

    // Messages name the target's source file; the staged crate folder that
    // holds it tells the exercise.
    let staged_dirs: Vec<(PathBuf, &str)> =
        exercises.iter().map(|e| (stage_dir.join(&e.relative_dir), e.id.as_str())).collect();
    let id_of = |src_path: &Path| staged_dirs.iter().find(|(dir, _)| src_path.starts_with(dir)).map(|(_, id)| *id);

    let mut executables: BTreeMap<&str, BTreeMap<String, PathBuf>> = BTreeMap::new();
    let mut errors: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    for message in Message::parse_stream(stdout).map_while(std::result::Result::ok) {
        match message {
            Message::CompilerArtifact(artifact) if artifact.target.is_test() => {
                if let (Some(id), Some(exe)) = (id_of(artifact.target.src_path.as_std_path()), artifact.executable) {
                    executables.entry(id).or_default().insert(artifact.target.name.clone(), exe.into_std_path_buf());
                }
            }
            Message::CompilerMessage(message) => {
                let diagnostic = &message.message;
                if matches!(diagnostic.level, DiagnosticLevel::Error | DiagnosticLevel::Ice)
                    && let Some(id) = id_of(message.target.src_path.as_std_path())
                {
                    let rendered = diagnostic.rendered.clone().unwrap_or_else(|| diagnostic.message.clone());
                    errors.entry(id).or_default().push(rendered);
                }
            }
            _ => {}
        }
    }
    let status = child.wait().map_err(|e| GraderError::Toolchain(e.to_string()))?;
    let _ = finished_tx.send(());
    let build_timed_out = watchdog.join().unwrap_or(false);
    let cargo_stderr = stderr_reader.join().unwrap_or_default();

    let mut outcomes = BTreeMap::new();
    for exercise in exercises {
        let id = exercise.id.as_str();
        let built = executables.remove(id).unwrap_or_default();
        let complete = exercise.test_targets.iter().all(|t| built.contains_key(&t.name));
        let outcome = if complete {
            BuildOutcome::Built(built)
        } else if build_timed_out {
            BuildOutcome::Failed(format!("the build took longer than {} s and was stopped", BUILD_TIMEOUT.as_secs()))
        } else if let Some(errors) = errors.remove(id) {
            BuildOutcome::Failed(summarize_errors(&errors))
        } else {
            // Cargo failed before compiling this crate (a manifest or
            // dependency problem): its own words are the best message.
            let detail = last_lines(&cargo_stderr, 15);
            BuildOutcome::Failed(format!(
                "the build did not produce the test executables (cargo exited with {status}):\n{detail}"
            ))
        };
        outcomes.insert(exercise.id.clone(), outcome);
    }
    Ok(outcomes)
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
