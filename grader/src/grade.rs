//! Grading one submission, end to end: inspect it, stage and build its
//! exercises, list their tests, run them, score the records.
//!
//! This is the only module that knows the order of the steps; each step
//! lives in its own module (`machine`, `submission`, `build`, `plan`, `run`,
//! `score`).

use std::collections::BTreeMap;
use std::fs;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::build::{self, BuildOutcome};
use crate::config::RunConfig;
use crate::discover::{Exercise, Workspace};
use crate::error::{GraderError, Result};
use crate::plan::{self, ExercisePlan, PlanState};
use crate::run::canary::Canary;
use crate::run::slots::Slots;
use crate::run::{self, INCONCLUSIVE_ATTEMPTS, Observer, RunOutcome, Sandbox, TestCase};
use crate::score;
use crate::scorecard::{Phases, SCHEMA_VERSION, Scorecard};
use crate::submission::{self, SourceTree};

/// Grades submissions against one course workspace.
pub struct Grader {
    pub workspace: Workspace,
    pub exercises: Vec<Exercise>,
    pub run: RunConfig,
    /// The grader's own folder: staging, the shared build, run scratch.
    cache: PathBuf,
    /// Files of the workspace that differ from its grading manifest.
    tampered: Option<Vec<String>>,
    /// Job slots shared by every grading this grader runs.
    slots: Slots,
}

impl Grader {
    /// A grader for the exercises `run.exercises` names (all if none).
    pub fn new(workspace: Workspace, run: RunConfig) -> Result<Grader> {
        let exercises = workspace.select(&run.exercises)?;
        let cache = workspace.target_dir.join("grader");
        let tampered = crate::integrity::tampered(&workspace)?;
        let slots = Slots::new(run.jobs);
        Ok(Grader { workspace, exercises, run, cache, tampered, slots })
    }

    /// Grades the submission at `root`; `label` names it in the scorecard.
    pub fn grade(&self, root: &Path, label: &str, observer: &dyn Observer) -> Result<Scorecard> {
        let started = Instant::now();
        // Before anything runs: a stress lane that needs more CPUs than
        // this is planned as not run, instead of failing for minutes.
        let machine = crate::machine::detect();
        let inspection = submission::inspect(&self.workspace, root, &self.exercises);
        let scratch = ScratchDir::create(&self.cache.join("runs"))?;

        let mut plans: Vec<ExercisePlan> = Vec::new();
        let mut ready: Vec<(&Exercise, PathBuf, Vec<PathBuf>)> = Vec::new();
        for (exercise, (_, tree)) in self.exercises.iter().zip(&inspection.sources) {
            let state = match tree {
                SourceTree::Missing => PlanState::Missing(format!(
                    "the submission has no {}/src; nothing to build",
                    exercise.relative_dir.display()
                )),
                SourceTree::Unusable(reason) => PlanState::BuildFailed(reason.clone()),
                SourceTree::Present { src, files } => {
                    ready.push((exercise, src.clone(), files.clone()));
                    PlanState::Ready(Vec::new())
                }
            };
            plans.push(ExercisePlan::new(exercise, state));
        }

        let build_started = Instant::now();
        let executables = if ready.is_empty() { BTreeMap::new() } else { self.build(&ready, &scratch.path)? };
        let build_secs = build_started.elapsed().as_secs_f64();
        let list_started = Instant::now();

        let sandbox = Sandbox { scratch: scratch.path.join("tmp"), path: std::env::var_os("PATH").unwrap_or_default() };
        let settings = plan::Settings {
            cpus: machine.cpus,
            repeat: self.run.repeat,
            timeout: self.run.timeout,
            slots: &self.slots,
            sandbox: &sandbox,
        };
        let mut cases: Vec<TestCase> = Vec::new();
        let mut review_flags = inspection.review_flags;
        for (plan, exercise) in plans.iter_mut().zip(&self.exercises) {
            if !matches!(plan.state, PlanState::Ready(_)) {
                continue;
            }
            plan.state = match executables.get(&exercise.id) {
                Some(BuildOutcome::Built { executables, failed_targets, lane_unavailable }) => {
                    match plan::plan_tests(
                        exercise,
                        executables,
                        failed_targets,
                        lane_unavailable.as_deref(),
                        &settings,
                    ) {
                        Ok((planned, mut exercise_cases)) => {
                            // A hang diagnosis quotes the submission's own lines.
                            let sources = ready.iter().find(|(e, _, _)| e.id == exercise.id).and_then(|(_, src, _)| {
                                Some(testkit::hang::Sources {
                                    recorded_dir: exercise.relative_dir.to_string_lossy().into_owned(),
                                    read_dir: src.parent()?.to_path_buf(),
                                })
                            });
                            for case in &mut exercise_cases {
                                case.sources = sources.clone();
                            }
                            cases.extend(exercise_cases);
                            review_flags.extend(plan::lane_review_flag(
                                exercise,
                                &planned,
                                failed_targets,
                                lane_unavailable.as_deref(),
                            ));
                            PlanState::Ready(planned)
                        }
                        Err(reason) => PlanState::BuildFailed(reason),
                    }
                }
                Some(BuildOutcome::Failed(message)) => PlanState::BuildFailed(message.clone()),
                None => PlanState::BuildFailed("the build produced nothing for this exercise".into()),
            };
        }

        let list_secs = list_started.elapsed().as_secs_f64();
        let canary = Canary::calibrate(&self.cache);
        let run_started = Instant::now();
        let records = run::run_all(&cases, &self.slots, &sandbox, observer);
        let run_secs = run_started.elapsed().as_secs_f64();
        let mut exercises = score::score(&plans, &records);
        crate::discover::visibility::apply(&self.exercises, &mut exercises);
        let inconclusive = records.iter().find(|r| r.outcome == RunOutcome::Inconclusive);
        let infrastructure_error = if let Some(reason) = score::undecided(&exercises) {
            Some(reason)
        } else if let Some(record) = inconclusive {
            Some(format!(
                "{} {} could not look for its bug in {INCONCLUSIVE_ATTEMPTS} attempts: {}; grade this submission \
                 again when the machine is less busy",
                record.exercise,
                record.test,
                record.message.as_deref().unwrap_or("inconclusive")
            ))
        } else if records.iter().any(|r| r.outcome == RunOutcome::TimedOut) {
            // Measured with every job slot held, so that the grader's own
            // other work (a batch's other gradings and builds) does not count
            // as load.
            let _all = self.slots.acquire_all();
            canary.check()
        } else {
            None
        };
        Ok(Scorecard {
            schema_version: SCHEMA_VERSION,
            score: score::round2(exercises.iter().map(|e| e.score).sum()),
            max_score: score::round2(exercises.iter().map(|e| e.max_score).sum()),
            exercises,
            grader_version: env!("CARGO_PKG_VERSION").to_string(),
            submission: label.to_string(),
            duration_secs: score::round2(started.elapsed().as_secs_f64()),
            phases: Phases {
                build_secs: score::round2(build_secs),
                list_secs: score::round2(list_secs),
                run_secs: score::round2(run_secs),
                runs: records.len() as u64,
            },
            grader_peak_rss_mib: score::round2(peak_rss_mib()),
            infrastructure_error,
            tampered_files: self.tampered.clone(),
            fingerprint: None,
            ignored_changes: inspection.ignored_changes,
            review_flags,
            machine: Some(machine),
            confinement: Some(run::confine::card()),
        })
    }

    /// Stages and builds the ready exercises, then copies their test
    /// executables into `scratch`, so the next build can reuse the staging
    /// folder while these tests run.
    fn build(
        &self,
        ready: &[(&Exercise, PathBuf, Vec<PathBuf>)],
        scratch: &Path,
    ) -> Result<BTreeMap<String, BuildOutcome>> {
        fs::create_dir_all(&self.cache)
            .map_err(|e| GraderError::io(format!("creating {}", self.cache.display()), e))?;
        // One build at a time per workspace, also across grader processes:
        // they share the staging folder and the build cache.
        let _lock = FileLock::acquire(&self.cache.join("build.lock"))?;
        // A build uses every core: it waits for running tests to finish, and
        // no stress test starts beside it.
        let _slots = self.slots.acquire_all();
        let stage_dir = self.cache.join("stage");
        let staged: Vec<(&Exercise, &Path, &[PathBuf])> =
            ready.iter().map(|(e, src, files)| (*e, src.as_path(), files.as_slice())).collect();
        build::stage::stage(&self.workspace, &stage_dir, &staged)?;
        let exercises: Vec<&Exercise> = ready.iter().map(|(e, _, _)| *e).collect();
        let mut outcomes = build::build(&stage_dir, &self.cache.join("build"), &exercises)?;

        for (id, outcome) in outcomes.iter_mut() {
            if let BuildOutcome::Built { executables: binaries, .. } = outcome {
                let dir = scratch.join("bin").join(id);
                fs::create_dir_all(&dir).map_err(|e| GraderError::io(format!("creating {}", dir.display()), e))?;
                for (target, path) in binaries.iter_mut() {
                    let copy = dir.join(target);
                    fs::copy(&*path, &copy).map_err(|e| GraderError::io(format!("copying {}", path.display()), e))?;
                    // Checked before each unconfined run (run::executables).
                    run::executables::remember(&copy)
                        .map_err(|e| GraderError::io(format!("reading {}", copy.display()), e))?;
                    *path = copy;
                }
            }
        }
        Ok(outcomes)
    }
}

/// The peak resident memory of this process, from `getrusage`.
fn peak_rss_mib() -> f64 {
    // SAFETY: getrusage writes only into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    usage.ru_maxrss as f64 / 1024.0
}

/// A folder below the cache for one grading, removed when it ends.
struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    fn create(parent: &Path) -> Result<ScratchDir> {
        fs::create_dir_all(parent).map_err(|e| GraderError::io(format!("creating {}", parent.display()), e))?;
        let path = tempfile::Builder::new()
            .prefix("grading-")
            .tempdir_in(parent)
            .map_err(|e| GraderError::io(format!("creating a folder in {}", parent.display()), e))?
            .keep();
        Ok(ScratchDir { path })
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        run::executables::forget_below(&self.path);
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// An exclusive advisory lock on a file, released on drop.
struct FileLock {
    _file: fs::File,
}

impl FileLock {
    fn acquire(path: &Path) -> Result<FileLock> {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| GraderError::io(format!("opening {}", path.display()), e))?;
        // SAFETY: flock on a descriptor we own; it is released when the
        // file is closed.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(GraderError::io(format!("locking {}", path.display()), std::io::Error::last_os_error()));
        }
        Ok(FileLock { _file: file })
    }
}
