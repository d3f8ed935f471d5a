//! The lane's harness: the trace of the current execution, and the
//! exploration of one scenario under shuttle's random and PCT schedulers.
//!
//! shuttle runs all the tasks of an execution as coroutines on the calling
//! OS thread, so the trace lives in thread-locals: no locking on the path of
//! every modelled operation, and tests that libtest runs in parallel (each on
//! its own OS thread) never see each other's steps.
//!
//! The exploration is deterministic for a given seed: the same seed runs
//! the same schedules in the same order, so the failing execution comes back
//! on replay (as long as the submission itself is deterministic).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, Location};
use std::rc::Rc;
use std::sync::Arc;

use rand::Rng;
use rand::SeedableRng;
use shuttle::scheduler::{PctScheduler, Schedule, Scheduler, Task, TaskId};
use shuttle::{Config, FailurePersistence, MaxSteps, Runner};
use testkit::lincheck::{self, Counterexample, History, Scenario, Spec, Step};
use testkit::{StdRng, Stress};

/// The most steps one execution keeps: the first [`TRACE_HEAD`] and the
/// latest ones (a livelock's trace is endless; its start and end say most).
const TRACE_LIMIT: usize = 3000;
const TRACE_HEAD: usize = 300;

struct RawStep {
    task: usize,
    operation: Cow<'static, str>,
    location: Option<&'static Location<'static>>,
    /// A place that is not a `'static` location (where a panic was raised).
    place: Option<(String, u32)>,
}

#[derive(Default)]
struct Trace {
    steps: Vec<RawStep>,
    dropped: usize,
    names: HashMap<usize, String>,
    /// The scenario's calls in the order they started: thread, call, and
    /// what it returned (`None`: it has not returned).
    calls: Vec<(String, String, Option<String>)>,
    /// The final state, once read.
    final_state: Option<String>,
    /// What each task is blocked in right now, if anything: a deadlock's
    /// trace ends with where each thread waits.
    pending: HashMap<usize, (&'static str, &'static Location<'static>)>,
    /// The task that raised the failing panic, its message and where.
    panic: Option<(usize, String, String, u32)>,
}

thread_local! {
    static TRACE: RefCell<Trace> = RefCell::new(Trace::default());
    /// The oracle's verdict on the current execution, once one failed.
    static VERDICT: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Whether this OS thread is running an exploration (see [`quiet_panic_hook`]).
    static EXPLORING: Cell<bool> = const { Cell::new(false) };
}

fn push(step: RawStep) {
    TRACE.with(|trace| {
        let mut trace = trace.borrow_mut();
        if trace.steps.len() >= TRACE_LIMIT {
            let cut = TRACE_LIMIT / 3;
            trace.steps.drain(TRACE_HEAD..TRACE_HEAD + cut);
            trace.dropped += cut;
        }
        trace.steps.push(step);
    });
}

/// Records one modelled operation of the running task, at `location` in
/// the submission. Outside a shuttle execution it does nothing.
pub fn record(operation: impl Into<Cow<'static, str>>, location: &'static Location<'static>) {
    if let Some(task) = shuttle::current::try_get_current_task() {
        let task = usize::from(task);
        TRACE.with(|trace| trace.borrow_mut().pending.remove(&task));
        push(RawStep { task, operation: operation.into(), location: Some(location), place: None });
    }
}

/// Notes that the running task is about to block in `operation` (until its
/// next recorded step), so that a deadlock shows where each thread waits.
pub fn blocking(operation: &'static str, location: &'static Location<'static>) {
    if let Some(task) = shuttle::current::try_get_current_task() {
        TRACE.with(|trace| trace.borrow_mut().pending.insert(usize::from(task), (operation, location)));
    }
}

/// Records a step of the scenario itself (a call starting or returning),
/// which has no line in the submission.
pub fn note(text: impl Into<Cow<'static, str>>) {
    if let Some(task) = shuttle::current::try_get_current_task() {
        push(RawStep { task: usize::from(task), operation: text.into(), location: None, place: None });
    }
}

/// Spawns a scenario thread called `name` (the name the trace shows).
pub fn spawn<F, T>(name: &str, work: F) -> shuttle::thread::JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let handle = shuttle::thread::Builder::new()
        .name(name.to_string())
        .spawn(work)
        .expect("shuttle spawns a modelled thread or panics");
    let id = usize::from(handle.thread().id());
    TRACE.with(|trace| trace.borrow_mut().names.insert(id, name.to_string()));
    handle
}

fn reset() {
    TRACE.with(|trace| *trace.borrow_mut() = Trace::default());
    crate::thread::reset();
}

/// The stack of a thread std spawns, unless `RUST_MIN_STACK` or a
/// `Builder` says otherwise.
pub const REAL_THREAD_STACK: usize = 2 * 1024 * 1024;

/// How to explore one scenario.
#[derive(Debug, Clone)]
pub struct Explore {
    /// Seeds both schedulers: the same seed explores the same schedules.
    pub seed: u64,
    /// Executions under shuttle's random scheduler.
    pub random_executions: usize,
    /// Executions under PCT (one scheduler for all of them: PCT picks its
    /// change points from the lengths of its earlier executions).
    pub pct_executions: usize,
    /// PCT's bug depth.
    pub pct_depth: usize,
    /// The step bound of one execution. Under the random scheduler an
    /// execution past it fails ("a call does not return in bounded steps");
    /// under PCT it is abandoned, since PCT's fixed priorities can starve a
    /// correct spin loop that never yields.
    pub max_steps: usize,
    /// Where the rewritten copy of `src/` lives (the paths the trace's
    /// locations name): `concat!(env!("OUT_DIR"), "/lane/src")`.
    pub copy_root: &'static str,
    /// The submission's own `src/`, whose lines the counterexample quotes.
    pub src_root: &'static str,
}

/// What went wrong in the failing execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The oracle rejected the outcome; the text says why.
    Violation(String),
    /// A call panicked (or the test body did); the panic message.
    Panic(String),
    /// Every unfinished thread was blocked; shuttle's list of them.
    Deadlock(String),
    /// An execution ran past the step bound.
    Unbounded(String),
}

/// The failing execution of an exploration.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What went wrong.
    pub problem: Problem,
    /// "random" or "PCT".
    pub scheduler: &'static str,
    /// Which execution of that scheduler failed (1-based).
    pub execution: usize,
    /// The interleaving, step by step.
    pub steps: Vec<Step>,
    /// Steps left out of the middle of a very long execution.
    pub steps_dropped: usize,
    /// What each call returned (or that it did not), and the final state.
    pub observed: Vec<String>,
}

/// shuttle's random scheduler, without its side effects: it reads
/// `SHUTTLE_RANDOM_SEED` (which would break replay by `STRESS_SEED`) and
/// prints its own replay advice when an exploration is stopped early.
struct RandomWalk {
    rng: StdRng,
    executions: usize,
}

impl Scheduler for RandomWalk {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.executions == 0 {
            return None;
        }
        self.executions -= 1;
        Some(Schedule::new(self.rng.random()))
    }

    fn next_task(&mut self, runnable: &[&Task], _current: Option<TaskId>, _is_yielding: bool) -> Option<TaskId> {
        Some(runnable[self.rng.random_range(0..runnable.len())].id())
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.random()
    }
}

/// Wraps a scheduler so that the exploration stops after the first
/// execution the oracle rejected, and counts executions.
struct Stopping<S> {
    inner: S,
    executions: Rc<Cell<usize>>,
}

impl<S: Scheduler> Scheduler for Stopping<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        if VERDICT.with(|verdict| verdict.borrow().is_some()) {
            return None;
        }
        let schedule = self.inner.new_execution();
        if schedule.is_some() {
            self.executions.set(self.executions.get() + 1);
        }
        schedule
    }

    fn next_task(&mut self, runnable: &[&Task], current: Option<TaskId>, is_yielding: bool) -> Option<TaskId> {
        self.inner.next_task(runnable, current, is_yielding)
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

/// Runs `body` under the random scheduler, then under PCT, until an
/// execution fails. `body` runs one whole execution: it starts the threads,
/// joins them and returns the oracle's verdict (`Err` with the reason to
/// reject the outcome). Returns the number of executions that all passed.
pub fn explore<F>(explore: &Explore, body: F) -> Result<usize, Failure>
where
    F: Fn() -> Result<(), String> + Send + Sync + 'static,
{
    quiet_panic_hook();
    let body = Arc::new(body);
    let mut total = 0;
    let pct_seed = explore.seed.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15;
    let runs: [(&'static str, usize, Box<dyn Scheduler + Send>); 2] = [
        (
            "random",
            explore.random_executions,
            Box::new(RandomWalk { rng: StdRng::seed_from_u64(explore.seed), executions: explore.random_executions }),
        ),
        (
            "PCT",
            explore.pct_executions,
            Box::new(PctScheduler::new_from_seed(pct_seed, explore.pct_depth, explore.pct_executions)),
        ),
    ];
    for (scheduler, executions, inner) in runs {
        if executions == 0 {
            continue;
        }
        VERDICT.with(|verdict| verdict.borrow_mut().take());
        let counter = Rc::new(Cell::new(0));
        let stopping = Stopping { inner, executions: counter.clone() };
        let mut config = Config::new();
        config.failure_persistence = FailurePersistence::None;
        config.silence_warnings = true;
        // A modelled thread gets the stack a real one gets by default (std's
        // 2 MiB), not shuttle's 60 KiB: code correct on real threads that
        // keeps a large array on its stack would otherwise crash the lane.
        // shuttle reuses its stacks between executions, and the pages are
        // only touched when used.
        config.stack_size = REAL_THREAD_STACK;
        config.max_steps = if scheduler == "random" {
            MaxSteps::FailAfter(explore.max_steps)
        } else {
            MaxSteps::ContinueAfter(explore.max_steps)
        };
        let body = body.clone();
        EXPLORING.with(|exploring| exploring.set(true));
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            Runner::new(stopping, config).run(move || {
                reset();
                if let Err(reason) = body() {
                    VERDICT.with(|verdict| *verdict.borrow_mut() = Some(reason));
                }
            })
        }));
        EXPLORING.with(|exploring| exploring.set(false));
        let problem = match outcome {
            Err(payload) => classify(payload),
            Ok(_) => match VERDICT.with(|verdict| verdict.borrow_mut().take()) {
                Some(reason) => Problem::Violation(reason),
                None => {
                    total += counter.get();
                    continue;
                }
            },
        };
        let observed = observed();
        let (steps, steps_dropped) = resolve(explore);
        return Err(Failure { problem, scheduler, execution: counter.get(), steps, steps_dropped, observed });
    }
    Ok(total)
}

/// shuttle installs a panic hook, once per process, that prints "Task
/// failed, serializing schedule" and shuttle's own replay advice before the
/// usual panic message, for every panic: also for the lane's own failure,
/// raised outside any execution. That advice does not apply (replay is by
/// `STRESS_SEED`), so this puts the hook that was there before shuttle's
/// back, once shuttle has installed its own.
fn quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let before: Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> = Arc::from(std::panic::take_hook());
        let keep = before.clone();
        std::panic::set_hook(Box::new(move |info| keep(info)));
        // One trivial execution makes shuttle install its hook now.
        Runner::new(RandomWalk { rng: StdRng::seed_from_u64(0), executions: 1 }, Config::new()).run(|| {});
        let _shuttle = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !EXPLORING.with(Cell::get) {
                return before(info);
            }
            // During an exploration the counterexample reports the panic
            // (message and line); printing each one here would only bury it.
            let message = if let Some(text) = info.payload().downcast_ref::<String>() {
                text.clone()
            } else if let Some(text) = info.payload().downcast_ref::<&str>() {
                (*text).to_string()
            } else {
                String::new()
            };
            let (file, line) = info.location().map(|l| (l.file().to_string(), l.line())).unwrap_or_default();
            let task = shuttle::current::try_get_current_task().map(usize::from).unwrap_or(0);
            let _ = TRACE.try_with(|trace| {
                if let Ok(mut trace) = trace.try_borrow_mut()
                    && trace.panic.is_none()
                {
                    trace.panic = Some((task, message, file, line));
                }
            });
        }));
    });
}

fn classify(payload: Box<dyn std::any::Any + Send>) -> Problem {
    let message = if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else {
        "a panic with a non-text payload".to_string()
    };
    if message.starts_with("deadlock!") || message.contains("deadlock while dropping") {
        Problem::Deadlock(message)
    } else if message.contains("exceeded max_steps bound") || message.contains("exceeded the step bound") {
        Problem::Unbounded(message)
    } else {
        Problem::Panic(message)
    }
}

/// The calls of the failing execution and their results, as lines.
fn observed() -> Vec<String> {
    TRACE.with(|trace| {
        let trace = trace.borrow();
        let mut lines: Vec<String> = trace
            .calls
            .iter()
            .map(|(thread, call, ret)| match ret {
                Some(ret) => format!("{thread}: {call} -> {ret}"),
                None => format!("{thread}: {call} -> (never returned)"),
            })
            .collect();
        if let Some(state) = &trace.final_state {
            lines.push(format!("afterwards: {state}"));
        }
        lines
    })
}

/// Turns the recorded steps into the counterexample's: thread names, and
/// each location as the submission's file, line and source text.
fn resolve(explore: &Explore) -> (Vec<Step>, usize) {
    let mut trace = TRACE.with(|trace| std::mem::take(&mut *trace.borrow_mut()));
    let mut pending: Vec<_> = trace.pending.drain().collect();
    pending.sort_by_key(|(task, _)| *task);
    for (task, (operation, location)) in pending {
        trace.steps.push(RawStep { task, operation: Cow::Borrowed(operation), location: Some(location), place: None });
    }
    // A panic raised in the submission's code is shown at its line; shuttle's
    // own (a deadlock, the step bound) is already the explanation.
    if let Some((task, message, file, line)) =
        trace.panic.take().filter(|(_, _, file, _)| file.starts_with(explore.copy_root))
    {
        let operation = Cow::Owned(format!("panics: {message}"));
        trace.steps.push(RawStep { task, operation, location: None, place: Some((file, line)) });
    }
    let mut files: HashMap<String, Vec<String>> = HashMap::new();
    let steps = trace
        .steps
        .iter()
        .map(|step| {
            let thread = match trace.names.get(&step.task) {
                Some(name) => name.clone(),
                None if step.task == 0 => "main".to_string(),
                None => format!("thread #{} (started by the submission)", step.task),
            };
            let place = match (step.location, &step.place) {
                (Some(location), _) => Some((location.file(), location.line())),
                (None, Some((file, line))) => Some((file.as_str(), *line)),
                (None, None) => None,
            };
            let (file, line, source) = match place {
                None => (String::new(), 0, String::new()),
                Some((path, line)) => {
                    let relative = path
                        .strip_prefix(explore.copy_root)
                        .map(|rest| rest.trim_start_matches(['/', '\\']).to_string());
                    let shown = match &relative {
                        Some(rest) => format!("src/{rest}"),
                        None => path.to_string(),
                    };
                    let lines = files.entry(path.to_string()).or_insert_with(|| {
                        let original = relative.as_ref().map(|rest| format!("{}/{rest}", explore.src_root));
                        original
                            .and_then(|original| std::fs::read_to_string(original).ok())
                            .or_else(|| std::fs::read_to_string(path).ok())
                            .map(|text| text.lines().map(str::to_string).collect())
                            .unwrap_or_default()
                    });
                    let source =
                        lines.get((line as usize).wrapping_sub(1)).map(|l| l.trim().to_string()).unwrap_or_default();
                    (shown, line, source)
                }
            };
            Step { thread, operation: step.operation.to_string(), file, line, source }
        })
        .collect();
    (steps, trace.dropped)
}

/// Settings of the controlled lane for one exercise.
#[derive(Debug, Clone)]
pub struct Lane {
    /// Executions per scenario under the random scheduler.
    pub random_executions: usize,
    /// Executions per scenario under PCT.
    pub pct_executions: usize,
    /// PCT's bug depth.
    pub pct_depth: usize,
    /// The step bound of one execution (see [`Explore::max_steps`]).
    pub max_steps: usize,
    /// See [`Explore::copy_root`].
    pub copy_root: &'static str,
    /// See [`Explore::src_root`].
    pub src_root: &'static str,
}

/// The controlled lane's test: `stress.rounds` scenarios of `S`, each
/// explored under both schedulers and judged by [`lincheck::linearizable`],
/// plus: no deadlock or lost wake-up (shuttle's all-blocked detection on a
/// scenario the model says always completes), every call returns within the
/// step bound, no call panics. On the first failure, prints the
/// counterexample marker and panics with the readable counterexample.
///
/// Scenario `k` is seeded by the `k`-th link of a chain that starts at
/// `stress.seed` ([`lincheck::next_seed`]), and the replay command names
/// that link: it starts at the failing scenario and replays the same
/// schedules.
pub fn check_scenarios<S: Spec>(stress: &Stress, lane: &Lane) -> usize {
    let mut seed = stress.seed;
    let mut executions = 0;
    for round in 0..stress.rounds {
        let mut rng = StdRng::seed_from_u64(seed);
        let scenario = loop {
            let scenario = S::generate(&mut rng);
            if scenario.always_completes() {
                break scenario;
            }
        };
        let explore = Explore {
            seed,
            random_executions: lane.random_executions,
            pct_executions: lane.pct_executions,
            pct_depth: lane.pct_depth,
            max_steps: lane.max_steps,
            copy_root: lane.copy_root,
            src_root: lane.src_root,
        };
        let shared = Arc::new(scenario.clone());
        match crate::harness::explore(&explore, move || execute::<S>(&shared)) {
            Ok(count) => executions += count,
            Err(failure) => {
                let mut replay = stress.clone();
                replay.seed = seed;
                counterexample(&scenario, &failure, &explore, round, &replay).fail()
            }
        }
        seed = lincheck::next_seed(seed);
    }
    executions
}

fn counterexample<S: Spec>(
    scenario: &Scenario<S>,
    failure: &Failure,
    explore: &Explore,
    round: u64,
    replay: &Stress,
) -> Counterexample {
    let found = format!(
        "(Found in scenario {} by shuttle's {} scheduler, execution {}.)",
        round + 1,
        failure.scheduler,
        failure.execution
    );
    let explanation = match &failure.problem {
        Problem::Violation(why) => format!("{why} {found}"),
        Problem::Deadlock(blocked) => format!(
            "Every thread that had not finished was blocked for good: a deadlock, or a lost wake-up (a thread \
             sleeping until a notification that never comes). Some order of the same calls lets every one of \
             them finish, so a correct submission never blocks here. {found} shuttle: {blocked}"
        ),
        Problem::Unbounded(_) => format!(
            "A call did not return within {} scheduling steps: it keeps running without making progress (a \
             livelock, or a loop waiting for something no other thread will do). {found}",
            explore.max_steps
        ),
        Problem::Panic(message) => format!("A call panicked: {message} {found}"),
    };
    let mut steps = failure.steps.clone();
    if failure.steps_dropped > 0 {
        steps.insert(
            TRACE_HEAD.min(steps.len()),
            Step {
                thread: "-".into(),
                operation: format!("... {} steps left out ...", failure.steps_dropped),
                file: String::new(),
                line: 0,
                source: String::new(),
            },
        );
    }
    Counterexample {
        scenario: scenario.lines(),
        observed: failure.observed.clone(),
        explanation,
        steps,
        replay: replay.replay_command(),
    }
}

/// One execution of a scenario: make the object, start one thread per
/// scenario thread, join them, read the final state, judge.
fn execute<S: Spec>(scenario: &Scenario<S>) -> Result<(), String> {
    note(format!("sets up: {}", S::show_init(&scenario.init)));
    let sut = Arc::new(S::sut(&scenario.init));
    let history = Arc::new(History::<S>::default());
    let handles: Vec<_> = scenario
        .threads
        .iter()
        .enumerate()
        .map(|(thread, ops)| {
            let (sut, history, ops) = (sut.clone(), history.clone(), ops.clone());
            let name = lincheck::thread_name(thread);
            spawn(&name.clone(), move || {
                for op in &ops {
                    let call = S::show_op(op);
                    let slot = TRACE.with(|trace| {
                        let mut trace = trace.borrow_mut();
                        trace.calls.push((name.clone(), call.clone(), None));
                        trace.calls.len() - 1
                    });
                    note(format!("calls {call}"));
                    let ret = history.call(thread, &sut, op);
                    note(format!("{call} returns {ret:?}"));
                    TRACE.with(|trace| trace.borrow_mut().calls[slot].2 = Some(format!("{ret:?}")));
                }
            })
        })
        .collect();
    for handle in handles {
        // A panicking call fails the execution inside shuttle before this.
        handle.join().map_err(|_| "a scenario thread panicked".to_string())?;
    }
    note("reads the final state");
    let fin = S::sut_final(&sut);
    TRACE.with(|trace| trace.borrow_mut().final_state = Some(S::show_final(&fin)));
    lincheck::linearizable::<S>(&scenario.init, &history.events(), &fin)
}
