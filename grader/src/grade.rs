//! Grading one submission, end to end: inspect it, stage and build its
//! exercises, list their tests, run them, score the records.
//!
//! This is the only module that knows the order of the steps; each step
//! lives in its own module (`submission`, `build`, `run`, `score`).

use std::collections::BTreeMap;
use std::fs;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::build::{self, BuildOutcome};
use crate::config::RunConfig;
use crate::discover::{Exercise, Workspace};
use crate::error::{GraderError, Result};
use crate::run::canary::Canary;
use crate::run::slots::Slots;
use crate::run::{self, INCONCLUSIVE_ATTEMPTS, Observer, RunOutcome, Sandbox, TestCase};
use crate::score::{self, ExercisePlan, PlanState, PlannedTest};
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
            plans.push(plan(exercise, state));
        }

        let build_started = Instant::now();
        let executables = if ready.is_empty() { BTreeMap::new() } else { self.build(&ready, &scratch.path)? };
        let build_secs = build_started.elapsed().as_secs_f64();
        let list_started = Instant::now();

        let sandbox = Sandbox { scratch: scratch.path.join("tmp"), path: std::env::var_os("PATH").unwrap_or_default() };
        let mut cases: Vec<TestCase> = Vec::new();
        for (plan, exercise) in plans.iter_mut().zip(&self.exercises) {
            if !matches!(plan.state, PlanState::Ready(_)) {
                continue;
            }
            plan.state = match executables.get(&exercise.id) {
                Some(BuildOutcome::Built(binaries)) => match self.plan_tests(exercise, binaries, &sandbox) {
                    Ok((planned, exercise_cases)) => {
                        cases.extend(exercise_cases);
                        PlanState::Ready(planned)
                    }
                    Err(reason) => PlanState::BuildFailed(reason),
                },
                Some(BuildOutcome::Failed(message)) => PlanState::BuildFailed(message.clone()),
                None => PlanState::BuildFailed("the build produced nothing for this exercise".into()),
            };
        }

        let list_secs = list_started.elapsed().as_secs_f64();
        let canary = Canary::calibrate(&self.cache);
        let run_started = Instant::now();
        let records = run::run_all(&cases, &self.slots, &sandbox, observer);
        let run_secs = run_started.elapsed().as_secs_f64();
        let inconclusive = records.iter().find(|r| r.outcome == RunOutcome::Inconclusive);
        let infrastructure_error = if let Some(record) = inconclusive {
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
        let exercises = score::score(&plans, &records);
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
            review_flags: inspection.review_flags,
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
            if let BuildOutcome::Built(binaries) = outcome {
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

    /// Lists the exercise's tests, gives each its group and points, and
    /// makes the runs. An error (in words) makes the exercise build_failed.
    fn plan_tests(
        &self,
        exercise: &Exercise,
        binaries: &BTreeMap<String, PathBuf>,
        sandbox: &Sandbox,
    ) -> std::result::Result<(Vec<PlannedTest>, Vec<TestCase>), String> {
        let mut listed: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (target, binary) in binaries {
            let _slot = self.slots.acquire(1);
            let tests = run::list_tests(binary, sandbox)
                .map_err(|e| format!("the test executable tests/{target}.rs could not be used: {e}"))?;
            listed.insert(target.clone(), tests);
        }
        let assigned = assign_groups(exercise, &listed)?;
        let grading = &exercise.grading;
        let mut planned = Vec::new();
        let mut cases = Vec::new();
        for (name, target, group_index, max_points) in assigned {
            let group = &grading.groups[group_index];
            planned.push(PlannedTest {
                name: name.clone(),
                target: target.clone(),
                group: group.name.clone(),
                max_points,
                stress: group.stress,
                rounds: group.rounds,
            });
            cases.push(TestCase {
                exercise: exercise.id.clone(),
                name,
                executable: binaries[&target].clone(),
                target,
                repeat: self.run.repeat.unwrap_or(group.repeat),
                exclusive: group.stress,
                timeout: self.run.timeout.or(group.timeout).unwrap_or(grading.timeout),
                rounds: group.rounds,
                env: grading.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            });
        }
        Ok((planned, cases))
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

fn plan(exercise: &Exercise, state: PlanState) -> ExercisePlan {
    ExercisePlan {
        id: exercise.id.clone(),
        title: exercise.grading.title.clone(),
        max_score: exercise.grading.max_score,
        state,
    }
}

/// Gives every listed test its group and its share of the group's points:
/// `(test, target, group index, points)`, in group order. Groups that name
/// their tests claim them first; a group without names takes the rest of its
/// target. A test in no group, a named test that does not exist, a group
/// left empty or a test name used twice is an error in words.
pub fn assign_groups(
    exercise: &Exercise,
    listed: &BTreeMap<String, Vec<String>>,
) -> std::result::Result<Vec<(String, String, usize, f64)>, String> {
    let manifest = exercise.manifest.display();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (target, tests) in listed {
        for test in tests {
            if let Some(other) = seen.insert(test, target) {
                return Err(format!(
                    "the test name `{test}` is used in tests/{other}.rs and tests/{target}.rs; test names must be \
                     unique within an exercise"
                ));
            }
        }
    }

    let groups = &exercise.grading.groups;
    let mut owner: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (index, group) in groups.iter().enumerate() {
        let Some(names) = &group.tests else { continue };
        let available = listed.get(&group.target).map(Vec::as_slice).unwrap_or_default();
        for name in names {
            if !available.contains(name) {
                return Err(format!(
                    "{manifest}: group `{}` names test `{name}`, which tests/{}.rs does not have",
                    group.name, group.target
                ));
            }
            if owner.insert((group.target.as_str(), name.as_str()), index).is_some() {
                return Err(format!("{manifest}: test `{name}` is named by two groups"));
            }
        }
    }
    for (index, group) in groups.iter().enumerate().filter(|(_, g)| g.tests.is_none()) {
        for name in listed.get(&group.target).into_iter().flatten() {
            owner.entry((group.target.as_str(), name.as_str())).or_insert(index);
        }
    }
    for (target, tests) in listed {
        for test in tests {
            if !owner.contains_key(&(target.as_str(), test.as_str())) {
                return Err(format!("{manifest}: test `{test}` of tests/{target}.rs belongs to no group"));
            }
        }
    }

    let mut counts = vec![0usize; groups.len()];
    for index in owner.values() {
        counts[*index] += 1;
    }
    if let Some(empty) = counts.iter().position(|&n| n == 0) {
        return Err(format!("{manifest}: group `{}` has no tests", groups[empty].name));
    }
    let mut assigned: Vec<(String, String, usize, f64)> = owner
        .into_iter()
        .map(|((target, name), index)| {
            (name.to_string(), target.to_string(), index, groups[index].points / counts[index] as f64)
        })
        .collect();
    assigned.sort_by_key(|(_, _, index, _)| *index);
    Ok(assigned)
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
