//! Lincheck-style checking: random small concurrent scenarios drawn from an
//! exercise's whole public API, judged against a sequential model of its
//! contract.
//!
//! An exercise describes itself with a [`Spec`]: how to draw a scenario (2–3
//! threads × 1–3 calls, with arguments chosen so that calls compete), how
//! the contract answers each call one at a time (the model), and how to make
//! the same calls on the submission. An outcome is accepted only if some
//! order of the calls, one at a time, that keeps every call that finished
//! before another started ahead of it, gives the same results and the same
//! final state ([`linearizable`]: linearizability, as Lincheck checks it).
//! Blocking calls are modelled as calls that cannot happen yet: the model
//! returns `None` for them, and an order must place them where they can.
//!
//! Nothing here knows about schedulers: the controlled lane (`lane-std`)
//! runs scenarios under shuttle, and the same scenarios and oracle can drive
//! real threads. [`Counterexample`] is the failure a student reads (and the
//! grader parses: [`COUNTEREXAMPLE_MARKER`]).

use std::fmt::{self, Debug, Write as _};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::StdRng;

/// Starts the one-line JSON counterexample a failing lane test prints before
/// it panics; the grader copies it into `TestCard.counterexample`.
pub const COUNTEREXAMPLE_MARKER: &str = "testkit: counterexample:";
/// Starts the line by which a lane test says it could not model this
/// submission (it then passes; the grader reports "this lane could not run").
pub const UNAVAILABLE_MARKER: &str = "testkit: lane unavailable:";

/// An exercise's contract, as a model checker sees it.
pub trait Spec: 'static {
    /// How the object under test is made (`Account::new(1000)`).
    type Init: Clone + Debug + Send + Sync + 'static;
    /// One call of the public API, with its arguments.
    type Op: Clone + Debug + Send + Sync + 'static;
    /// What a call returns.
    type Ret: Clone + Debug + PartialEq + Send + 'static;
    /// What the object looks like once every thread has finished.
    type Final: Clone + Debug + PartialEq + Send + 'static;
    /// The sequential model's state.
    type Model: Clone;
    /// The submission's object.
    type Sut: Send + Sync + 'static;

    /// Draws a scenario whose calls compete.
    fn generate(rng: &mut StdRng) -> Scenario<Self>
    where
        Self: Sized;
    /// The model in its initial state.
    fn model(init: &Self::Init) -> Self::Model;
    /// Applies `op` to the model: what the contract returns, or `None` if
    /// the call cannot complete in this state (it blocks).
    fn step(model: &mut Self::Model, op: &Self::Op) -> Option<Self::Ret>;
    /// The model's final state.
    fn model_final(model: &Self::Model) -> Self::Final;
    /// Makes the submission's object.
    fn sut(init: &Self::Init) -> Self::Sut;
    /// Makes the call on the submission.
    fn call(sut: &Self::Sut, op: &Self::Op) -> Self::Ret;
    /// Reads the submission's final state (after every thread finished).
    fn sut_final(sut: &Self::Sut) -> Self::Final;
    /// `Account::new(1000)`: how the scenario starts, as code.
    fn show_init(init: &Self::Init) -> String;
    /// `withdraw(600)`: a call, as code.
    fn show_op(op: &Self::Op) -> String;
    /// How the final state was read, as code, with its value.
    fn show_final(fin: &Self::Final) -> String;
}

/// One scenario: the object's initial state and each thread's calls.
pub struct Scenario<S: Spec> {
    /// How the object is made.
    pub init: S::Init,
    /// The calls of each thread, in program order.
    pub threads: Vec<Vec<S::Op>>,
}

impl<S: Spec> Clone for Scenario<S> {
    fn clone(&self) -> Self {
        Scenario { init: self.init.clone(), threads: self.threads.clone() }
    }
}

impl<S: Spec> Debug for Scenario<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines().join("; "))
    }
}

/// The name of thread `index` of a scenario.
pub fn thread_name(index: usize) -> String {
    format!("T{}", index + 1)
}

impl<S: Spec> Scenario<S> {
    /// The scenario as lines of code: the set-up, then one line per thread.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![S::show_init(&self.init)];
        for (index, ops) in self.threads.iter().enumerate() {
            let calls: Vec<String> = ops.iter().map(S::show_op).collect();
            lines.push(format!("{}: {}", thread_name(index), calls.join("; ")));
        }
        lines
    }

    /// Whether every interleaving of the model's calls (each call atomic)
    /// lets every thread finish. A scenario that fails this would block even
    /// a correct submission (a `pop` that no `push` or `close` can ever
    /// satisfy), so generators draw again.
    pub fn always_completes(&self) -> bool {
        fn go<S: Spec>(threads: &[Vec<S::Op>], next: &mut Vec<usize>, model: &S::Model, budget: &mut usize) -> bool {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            let mut unfinished = false;
            let mut progressed = false;
            for thread in 0..threads.len() {
                let Some(op) = threads[thread].get(next[thread]) else { continue };
                unfinished = true;
                let mut after = model.clone();
                if S::step(&mut after, op).is_some() {
                    progressed = true;
                    next[thread] += 1;
                    let ok = go::<S>(threads, next, &after, budget);
                    next[thread] -= 1;
                    if !ok {
                        return false;
                    }
                }
            }
            !unfinished || progressed
        }
        let mut budget = 200_000;
        go::<S>(&self.threads, &mut vec![0; self.threads.len()], &S::model(&self.init), &mut budget)
    }
}

/// One completed call, with the logical times of its start and its return.
pub struct Event<S: Spec> {
    /// The scenario thread that made the call.
    pub thread: usize,
    /// The call.
    pub op: S::Op,
    /// What it returned.
    pub ret: S::Ret,
    /// When it started (a tick of the history's clock).
    pub invoked: u64,
    /// When it returned.
    pub returned: u64,
}

impl<S: Spec> Clone for Event<S> {
    fn clone(&self) -> Self {
        Event {
            thread: self.thread,
            op: self.op.clone(),
            ret: self.ret.clone(),
            invoked: self.invoked,
            returned: self.returned,
        }
    }
}

/// Collects the events of one execution. Its clock is a real atomic: under
/// a controlled scheduler one task runs at a time, so the ticks follow the
/// execution's real order; on real threads they follow it as the hardware
/// orders the clock's increments, which is what real time means here.
pub struct History<S: Spec> {
    clock: AtomicU64,
    events: Mutex<Vec<Event<S>>>,
}

impl<S: Spec> Default for History<S> {
    fn default() -> Self {
        History { clock: AtomicU64::new(0), events: Mutex::new(Vec::new()) }
    }
}

impl<S: Spec> History<S> {
    /// Makes `op` on `sut` for `thread`, recording when it started and returned.
    pub fn call(&self, thread: usize, sut: &S::Sut, op: &S::Op) -> S::Ret {
        let invoked = self.clock.fetch_add(1, Ordering::SeqCst);
        let ret = S::call(sut, op);
        let returned = self.clock.fetch_add(1, Ordering::SeqCst);
        let event = Event { thread, op: op.clone(), ret: ret.clone(), invoked, returned };
        self.events.lock().unwrap_or_else(|p| p.into_inner()).push(event);
        ret
    }

    /// The events recorded so far, in the order they started.
    pub fn events(&self) -> Vec<Event<S>> {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner()).clone();
        events.sort_by_key(|event| event.invoked);
        events
    }
}

/// The observed results as lines: each call with what it returned.
pub fn observed_lines<S: Spec>(events: &[Event<S>], fin: Option<&S::Final>) -> Vec<String> {
    let mut lines = Vec::new();
    let threads = events.iter().map(|e| e.thread + 1).max().unwrap_or(0);
    for thread in 0..threads {
        for event in events.iter().filter(|e| e.thread == thread) {
            lines.push(format!("{}: {} -> {:?}", thread_name(thread), S::show_op(&event.op), event.ret));
        }
    }
    if let Some(fin) = fin {
        lines.push(format!("afterwards: {}", S::show_final(fin)));
    }
    lines
}

/// Checks that some order of `events`, one call at a time, consistent with
/// real-time order (a call that returned before another started stays
/// ahead of it), gives every observed result and the observed final state.
/// `Err` explains, in plain words, why no order does.
pub fn linearizable<S: Spec>(init: &S::Init, events: &[Event<S>], observed: &S::Final) -> Result<(), String> {
    struct Search<'a, S: Spec> {
        events: &'a [Event<S>],
        observed: &'a S::Final,
        order: Vec<usize>,
        /// The deepest order that failed, and why it failed there.
        deepest: Option<(Vec<usize>, String)>,
        /// A complete order that explained every result but not the final state.
        final_mismatch: Option<(Vec<usize>, S::Final)>,
        budget: usize,
    }
    impl<S: Spec> Search<'_, S> {
        fn miss(&mut self, why: String) {
            if self.deepest.as_ref().is_none_or(|(order, _)| order.len() < self.order.len()) {
                self.deepest = Some((self.order.clone(), why));
            }
        }
        fn go(&mut self, model: &S::Model, done: u64) -> bool {
            if self.budget == 0 {
                // Far more orders than the scenarios have; give up accepting.
                return true;
            }
            self.budget -= 1;
            if self.order.len() == self.events.len() {
                let fin = S::model_final(model);
                if &fin == self.observed {
                    return true;
                }
                if self.final_mismatch.is_none() {
                    self.final_mismatch = Some((self.order.clone(), fin));
                }
                return false;
            }
            for candidate in 0..self.events.len() {
                if done & (1 << candidate) != 0 {
                    continue;
                }
                let event = &self.events[candidate];
                let blocked_by_earlier = (0..self.events.len())
                    .any(|other| done & (1 << other) == 0 && self.events[other].returned < event.invoked);
                if blocked_by_earlier {
                    continue;
                }
                let mut after = model.clone();
                match S::step(&mut after, &event.op) {
                    None => self.miss(format!(
                        "{}'s `{}` could not have returned at that point: the contract makes it wait there",
                        thread_name(event.thread),
                        S::show_op(&event.op)
                    )),
                    Some(ret) if ret != event.ret => self.miss(format!(
                        "{}'s `{}` would then return {:?}, but it returned {:?}",
                        thread_name(event.thread),
                        S::show_op(&event.op),
                        ret,
                        event.ret
                    )),
                    Some(_) => {
                        self.order.push(candidate);
                        if self.go(&after, done | (1 << candidate)) {
                            return true;
                        }
                        self.order.pop();
                    }
                }
            }
            false
        }
    }
    assert!(events.len() < 64, "a scenario has a handful of calls");
    let mut search =
        Search::<S> { events, observed, order: Vec::new(), deepest: None, final_mismatch: None, budget: 1_000_000 };
    if search.go(&S::model(init), 0) {
        return Ok(());
    }
    let show = |order: &[usize]| -> String {
        order
            .iter()
            .map(|&i| format!("{}: {}", thread_name(events[i].thread), S::show_op(&events[i].op)))
            .collect::<Vec<_>>()
            .join(", then ")
    };
    if let Some((order, fin)) = search.final_mismatch {
        return Err(format!(
            "Every call's result is explained by running them one at a time in the order {}, but that \
             order leaves {}, and the object actually ended with {}: some call's change was lost or \
             made twice.",
            show(&order),
            S::show_final(&fin),
            S::show_final(observed)
        ));
    }
    let (order, why) = search.deepest.unwrap_or_default();
    Err(if order.is_empty() {
        format!("No order of these calls, one at a time, gives these results: whichever call goes first, {why}.")
    } else {
        format!(
            "No order of these calls, one at a time, gives these results (every order that keeps \
             non-overlapping calls in their real order was tried). The closest, {}, explains the first {} \
             result(s); after it, {why}. So the calls were not atomic: one saw or changed the state in \
             the middle of another.",
            show(&order),
            order.len()
        )
    })
}

/// A step of an interleaving, as the counterexample shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The thread that ran it (`T1`, `main`, ...).
    pub thread: String,
    /// What it did (`locks a Mutex`, `AtomicU64::load -> 1000`, `calls withdraw(600)`).
    pub operation: String,
    /// The submission's file (`src/lib.rs`), empty for a step of the scenario itself.
    pub file: String,
    /// The line in that file (0 when `file` is empty).
    pub line: u32,
    /// The source text of that line, trimmed.
    pub source: String,
}

/// A failure a student can read and replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counterexample {
    /// The scenario as code: the set-up, then one line per thread.
    pub scenario: Vec<String>,
    /// What each call returned, and the final state.
    pub observed: Vec<String>,
    /// Why no sequential order explains it (or: the deadlock, the endless call, the panic).
    pub explanation: String,
    /// The interleaving, step by step.
    pub steps: Vec<Step>,
    /// The command that replays exactly this interleaving.
    pub replay: String,
}

/// How many steps the JSON marker carries at most (the first and the last).
const JSON_STEPS: usize = 400;
/// How many (merged) steps the panic message shows at most.
const SHOWN_STEPS: usize = 120;

impl Counterexample {
    /// The one-line JSON the grader reads (shape agreed in SHARED.md).
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"scenario\":");
        json_strings(&mut out, &self.scenario);
        out.push_str(",\"observed\":");
        json_strings(&mut out, &self.observed);
        out.push_str(",\"explanation\":");
        json_string(&mut out, &self.explanation);
        out.push_str(",\"steps\":[");
        let steps: Vec<&Step> = if self.steps.len() > JSON_STEPS {
            let head = JSON_STEPS / 4;
            self.steps[..head].iter().chain(&self.steps[self.steps.len() - (JSON_STEPS - head)..]).collect()
        } else {
            self.steps.iter().collect()
        };
        for (index, step) in steps.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str("{\"thread\":");
            json_string(&mut out, &step.thread);
            out.push_str(",\"operation\":");
            json_string(&mut out, &step.operation);
            out.push_str(",\"file\":");
            json_string(&mut out, &step.file);
            let _ = write!(out, ",\"line\":{},\"source\":", step.line);
            json_string(&mut out, &step.source);
            out.push('}');
        }
        out.push_str("],\"replay\":");
        json_string(&mut out, &self.replay);
        out.push('}');
        out
    }

    /// The counterexample for a person: scenario, results, why they are
    /// wrong, the interleaving as lines of the submission, and the replay.
    pub fn render(&self) -> String {
        let mut out =
            String::from("The controlled scheduler found an interleaving that breaks the contract.\n\nScenario:\n");
        for line in &self.scenario {
            let _ = writeln!(out, "    {line}");
        }
        out.push_str("Observed:\n");
        for line in &self.observed {
            let _ = writeln!(out, "    {line}");
        }
        let _ = writeln!(out, "Why this is wrong:\n    {}", self.explanation);
        out.push_str("The interleaving, step by step (each line: the thread, where in your code, what it did):\n");
        let merged = merge_steps(&self.steps);
        let skip = merged.len().saturating_sub(SHOWN_STEPS);
        if skip > 0 {
            let _ = writeln!(out, "    ... {skip} earlier steps left out ...");
        }
        let mut previous_thread: Option<&str> = None;
        for (step, times) in &merged[skip..] {
            if previous_thread.is_some_and(|t| t != step.thread) {
                out.push_str("    ---- switch ----\n");
            }
            previous_thread = Some(&step.thread);
            let repeat = if *times > 1 { format!(" (x{times})") } else { String::new() };
            if step.file.is_empty() {
                let _ = writeln!(out, "    {:<4} {}{repeat}", step.thread, step.operation);
            } else {
                let _ = writeln!(
                    out,
                    "    {:<4} {}:{}  `{}`  {}{repeat}",
                    step.thread, step.file, step.line, step.source, step.operation
                );
            }
        }
        let _ = write!(out, "Replay exactly this interleaving:\n    {}", self.replay);
        out
    }

    /// Prints the JSON marker on the real stderr, then panics with the
    /// readable counterexample.
    pub fn fail(&self) -> ! {
        use std::io::Write;
        let line = format!("\n{COUNTEREXAMPLE_MARKER} {}\n", self.to_json());
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
        panic!("{}", self.render())
    }
}

/// Consecutive identical steps (a spin loop) shown once, with a count.
fn merge_steps(steps: &[Step]) -> Vec<(&Step, usize)> {
    let mut merged: Vec<(&Step, usize)> = Vec::new();
    for step in steps {
        match merged.last_mut() {
            Some((last, times)) if *last == step => *times += 1,
            _ => merged.push((step, 1)),
        }
    }
    merged
}

/// Says, on the real stderr, that the controlled lane cannot model this
/// submission; the calling test then returns (passes).
pub fn unavailable(reason: &str) {
    use std::io::Write;
    let line = format!("\n{UNAVAILABLE_MARKER} {}\n", reason.replace('\n', " "));
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

fn json_strings(out: &mut String, items: &[String]) {
    out.push('[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        json_string(out, item);
    }
    out.push(']');
}

fn json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The seed of the scenario after the one seeded `seed` (splitmix64): a
/// run's scenarios form a chain, so replaying from a failing scenario's own
/// seed starts at that scenario.
pub fn next_seed(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A rejected real-thread round: the scenario, what was observed, and why
/// no sequential order explains it.
pub struct RoundFailure<S: Spec> {
    /// The round (0-based) and its scenario's seed.
    pub round: u64,
    /// Replaying from this seed starts at this round's scenario.
    pub seed: u64,
    /// The scenario.
    pub scenario: Scenario<S>,
    /// What each call returned, and the final state.
    pub observed: Vec<String>,
    /// Why no sequential order explains it.
    pub explanation: String,
}

/// The same scenarios and oracle on real threads, for a stress lane: each
/// round draws a scenario (seeded like the controlled lane's, scenario `k`
/// by the `k`-th link of the chain from `stress.seed`), runs its threads on
/// persistent worker threads lined up by a [`SpinBarrier`](crate::SpinBarrier),
/// and judges the outcome with [`linearizable`]. Returns the first rejected
/// round. Real threads only collide by chance: this finds what the machine
/// happens to show, and a run that finds nothing proves nothing. Calls that
/// can block forever in a buggy submission need a watchdog around this
/// ([`with_watchdog`](crate::with_watchdog)).
pub fn check_on_threads<S: Spec>(stress: &crate::Stress) -> Result<(), RoundFailure<S>>
where
    S::Sut: 'static,
{
    check_on_threads_ticking(stress, &|| {})
}

/// [`check_on_threads`], calling `tick` after every round judged (a
/// watchdog's [`Progress::tick`](crate::Progress::tick)).
pub fn check_on_threads_ticking<S: Spec>(stress: &crate::Stress, tick: &dyn Fn()) -> Result<(), RoundFailure<S>>
where
    S::Sut: 'static,
{
    use rand::SeedableRng;
    use std::sync::Arc;

    type Job<S> = Arc<(Scenario<S>, <S as Spec>::Sut, History<S>)>;
    const WORKERS: usize = 3;
    let barrier = Arc::new(crate::SpinBarrier::new(WORKERS + 1));
    let slot: Arc<Mutex<Option<Job<S>>>> = Arc::new(Mutex::new(None));
    type Panic = Box<dyn std::any::Any + Send>;
    let panicked: Arc<Mutex<Option<Panic>>> = Arc::new(Mutex::new(None));
    let workers: Vec<_> = (0..WORKERS)
        .map(|index| {
            let (barrier, slot, panicked) = (barrier.clone(), slot.clone(), panicked.clone());
            std::thread::spawn(move || {
                while barrier.wait() {
                    let job = slot.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    let Some(job) = job else { break };
                    let (scenario, sut, history) = &*job;
                    let calls = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        for op in scenario.threads.get(index).into_iter().flatten() {
                            history.call(index, sut, op);
                        }
                    }));
                    if let Err(panic) = calls {
                        // The submission panicked: the round's other
                        // parties must not wait for this thread.
                        panicked.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(panic);
                        barrier.abandon();
                        break;
                    }
                    if !barrier.wait() {
                        break;
                    }
                }
            })
        })
        .collect();
    let mut seed = stress.seed;
    let mut outcome = Ok(());
    for round in 0..stress.rounds {
        let mut rng = StdRng::seed_from_u64(seed);
        let scenario = loop {
            let scenario = S::generate(&mut rng);
            if scenario.threads.len() <= WORKERS && scenario.always_completes() {
                break scenario;
            }
        };
        let sut = S::sut(&scenario.init);
        let job: Job<S> = Arc::new((scenario, sut, History::default()));
        *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(job.clone());
        if !(barrier.wait() && barrier.wait()) {
            // A worker's call panicked: that is the test's failure, as in
            // any other test of the submission.
            for worker in workers {
                let _ = worker.join();
            }
            let panic = panicked.lock().unwrap_or_else(|p| p.into_inner()).take();
            std::panic::resume_unwind(panic.unwrap_or_else(|| Box::new("a worker thread stopped")));
        }
        let (scenario, sut, history) = &*job;
        let events = history.events();
        let fin = S::sut_final(sut);
        if let Err(explanation) = linearizable::<S>(&scenario.init, &events, &fin) {
            let observed = observed_lines::<S>(&events, Some(&fin));
            outcome = Err(RoundFailure { round, seed, scenario: scenario.clone(), observed, explanation });
            break;
        }
        tick();
        seed = next_seed(seed);
    }
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = None;
    barrier.wait();
    for worker in workers {
        let _ = worker.join();
    }
    outcome
}

/// The stress lane's oracle, which needs no list of bug shapes:
/// `stress.rounds` scenarios of the whole API on real threads
/// ([`check_on_threads`]), each accepted only if some sequential order
/// explains it. Runs under a watchdog, so a submission whose calls block
/// for good fails in `stall` with the scenario that blocked instead of
/// hanging. A rejected round fails the test with the scenario, the
/// results, why no order explains them, and the counterexample marker the
/// grader reads (no steps: real threads leave no trace of their
/// interleaving; the controlled lane shows one) with the command that
/// replays the same scenarios.
pub fn assert_linearizable_on_threads<S: Spec + 'static>(stress: &crate::Stress, stall: std::time::Duration)
where
    S::Sut: 'static,
{
    let runner = crate::Stress { test: stress.test.clone(), ..*stress };
    let description = format!(
        "the calls of a scenario made no progress for {} s on real threads: they wait for each other for good \
         (a deadlock or a lost wake-up)\n{}",
        stall.as_secs(),
        stress.context(0)
    );
    let result = crate::with_watchdog(
        stall,
        || description,
        move |progress| check_on_threads_ticking::<S>(&runner, &|| progress.tick()),
    );
    let Err(failure) = result else { return };
    let replay = format!(
        "{}={} cargo test -p {} --test {} -- {} --exact",
        crate::SEED_ENV,
        failure.seed,
        stress.package,
        stress.target,
        stress.test
    );
    let counterexample = Counterexample {
        scenario: failure.scenario.lines(),
        observed: failure.observed,
        explanation: failure.explanation,
        steps: Vec::new(),
        replay: format!("{replay}  (the same scenarios; real threads may need a few runs to meet again)"),
    };
    use std::io::Write;
    let line = format!("\n{COUNTEREXAMPLE_MARKER} {}\n", counterexample.to_json());
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    let mut message =
        format!("Round {} of {} on real threads broke the contract.\n\nScenario:\n", failure.round + 1, stress.rounds);
    for line in &counterexample.scenario {
        let _ = writeln!(message, "    {line}");
    }
    message.push_str("Observed:\n");
    for line in &counterexample.observed {
        let _ = writeln!(message, "    {line}");
    }
    let _ = write!(
        message,
        "Why this is wrong:\n    {}\nReplay the same scenarios:\n    {}\n(the controlled lane, `cargo test --test lane`, shows such an interleaving step by step)",
        counterexample.explanation, counterexample.replay
    );
    panic!("{message}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// A register with `add` (returns nothing) and `get`.
    struct Register;
    #[derive(Clone, Debug)]
    enum Op {
        Add(u64),
        Get,
        Take,
    }
    impl Spec for Register {
        type Init = u64;
        type Op = Op;
        type Ret = Option<u64>;
        type Final = u64;
        type Model = u64;
        type Sut = ();
        fn generate(rng: &mut StdRng) -> Scenario<Self> {
            Scenario { init: rng.random_range(0..3), threads: vec![vec![Op::Get]] }
        }
        fn model(init: &u64) -> u64 {
            *init
        }
        fn step(model: &mut u64, op: &Op) -> Option<Option<u64>> {
            match op {
                Op::Add(n) => {
                    *model += n;
                    Some(None)
                }
                Op::Get => Some(Some(*model)),
                // Blocks while the register is 0.
                Op::Take if *model == 0 => None,
                Op::Take => {
                    *model -= 1;
                    Some(None)
                }
            }
        }
        fn model_final(model: &u64) -> u64 {
            *model
        }
        fn sut(_: &u64) {}
        fn call(_: &(), _: &Op) -> Option<u64> {
            None
        }
        fn sut_final(_: &()) -> u64 {
            0
        }
        fn show_init(init: &u64) -> String {
            format!("Register::new({init})")
        }
        fn show_op(op: &Op) -> String {
            format!("{op:?}")
        }
        fn show_final(fin: &u64) -> String {
            format!("get() -> {fin}")
        }
    }

    fn event(thread: usize, op: Op, ret: Option<u64>, invoked: u64, returned: u64) -> Event<Register> {
        Event { thread, op, ret, invoked, returned }
    }

    #[test]
    fn overlapping_calls_may_take_either_order() {
        // T2's get overlaps T1's add: it may see 0 or 5.
        for seen in [0, 5] {
            let events = [event(0, Op::Add(5), None, 0, 3), event(1, Op::Get, Some(seen), 1, 2)];
            assert_eq!(linearizable::<Register>(&0, &events, &5), Ok(()));
        }
    }

    #[test]
    fn real_time_order_is_kept() {
        // The get starts after the add returned: it must see 5.
        let events = [event(0, Op::Add(5), None, 0, 1), event(1, Op::Get, Some(0), 2, 3)];
        let why = linearizable::<Register>(&0, &events, &5).unwrap_err();
        assert!(why.contains("would then return Some(5), but it returned Some(0)"), "{why}");
    }

    #[test]
    fn a_lost_update_is_a_final_state_mismatch() {
        let events = [event(0, Op::Add(5), None, 0, 2), event(1, Op::Add(5), None, 1, 3)];
        let why = linearizable::<Register>(&0, &events, &5).unwrap_err();
        assert!(why.contains("leaves get() -> 10") && why.contains("ended with get() -> 5"), "{why}");
    }

    #[test]
    fn a_blocking_call_goes_where_it_can_complete() {
        // Take overlaps Add and could only complete after it.
        let events = [event(0, Op::Take, None, 0, 3), event(1, Op::Add(1), None, 1, 2)];
        assert_eq!(linearizable::<Register>(&0, &events, &0), Ok(()));
        // Take returned before the Add started: no order explains it.
        let events = [event(0, Op::Take, None, 0, 1), event(1, Op::Add(1), None, 2, 3)];
        let why = linearizable::<Register>(&0, &events, &0).unwrap_err();
        assert!(why.contains("could not have returned"), "{why}");
    }

    #[test]
    fn scenarios_that_block_a_correct_object_are_recognised() {
        let stuck: Scenario<Register> = Scenario { init: 0, threads: vec![vec![Op::Take], vec![Op::Get]] };
        assert!(!stuck.always_completes());
        let fine: Scenario<Register> = Scenario { init: 0, threads: vec![vec![Op::Take], vec![Op::Add(1)]] };
        assert!(fine.always_completes());
        // Completes in one order but not in the other: rejected.
        let racy: Scenario<Register> = Scenario { init: 0, threads: vec![vec![Op::Take, Op::Add(1)], vec![Op::Take]] };
        assert!(!racy.always_completes());
    }

    #[test]
    fn json_escapes_and_keeps_the_agreed_shape() {
        let counterexample = Counterexample {
            scenario: vec!["Account::new(1000)".into()],
            observed: vec!["T1: withdraw(600) -> \"true\"".into()],
            explanation: "line\nbreak".into(),
            steps: vec![Step {
                thread: "T1".into(),
                operation: "locks a Mutex".into(),
                file: "src/lib.rs".into(),
                line: 7,
                source: "let g = m.lock();".into(),
            }],
            replay: "STRESS_SEED=1 cargo test".into(),
        };
        assert_eq!(
            counterexample.to_json(),
            "{\"scenario\":[\"Account::new(1000)\"],\"observed\":[\"T1: withdraw(600) -> \\\"true\\\"\"],\
             \"explanation\":\"line\\nbreak\",\"steps\":[{\"thread\":\"T1\",\"operation\":\"locks a Mutex\",\
             \"file\":\"src/lib.rs\",\"line\":7,\"source\":\"let g = m.lock();\"}],\"replay\":\"STRESS_SEED=1 cargo test\"}"
        );
        let text = counterexample.render();
        assert!(text.contains("src/lib.rs:7  `let g = m.lock();`  locks a Mutex"), "{text}");
        assert!(text.ends_with("STRESS_SEED=1 cargo test"), "{text}");
    }

    #[test]
    fn seeds_chain_deterministically() {
        assert_eq!(next_seed(1), next_seed(1));
        assert_ne!(next_seed(1), next_seed(2));
        assert_ne!(next_seed(next_seed(1)), next_seed(1));
    }

    /// A register behind one Mutex: correct, so no round may be rejected.
    struct LockedRegister;
    impl Spec for LockedRegister {
        type Init = u64;
        type Op = Op;
        type Ret = Option<u64>;
        type Final = u64;
        type Model = u64;
        type Sut = Mutex<u64>;
        fn generate(rng: &mut StdRng) -> Scenario<Self> {
            let threads = (0..rng.random_range(2..=3))
                .map(|_| {
                    (0..rng.random_range(1..=3))
                        .map(|_| if rng.random_bool(0.6) { Op::Add(1) } else { Op::Get })
                        .collect()
                })
                .collect();
            Scenario { init: rng.random_range(0..3), threads }
        }
        fn model(init: &u64) -> u64 {
            *init
        }
        fn step(model: &mut u64, op: &Op) -> Option<Option<u64>> {
            Register::step(model, op)
        }
        fn model_final(model: &u64) -> u64 {
            *model
        }
        fn sut(init: &u64) -> Mutex<u64> {
            Mutex::new(*init)
        }
        fn call(sut: &Mutex<u64>, op: &Op) -> Option<u64> {
            let mut value = sut.lock().unwrap();
            match op {
                Op::Add(n) => {
                    *value += n;
                    None
                }
                Op::Get => Some(*value),
                Op::Take => unreachable!("not generated"),
            }
        }
        fn sut_final(sut: &Mutex<u64>) -> u64 {
            *sut.lock().unwrap()
        }
        fn show_init(init: &u64) -> String {
            format!("LockedRegister::new({init})")
        }
        fn show_op(op: &Op) -> String {
            format!("{op:?}")
        }
        fn show_final(fin: &u64) -> String {
            format!("get() -> {fin}")
        }
    }

    #[test]
    fn the_stress_lane_oracle_fails_with_the_scenario_and_why() {
        // `Register`'s object answers every `get` with None: never linearizable.
        let stress = crate::Stress::new("testkit", "lib", 50);
        let panic = std::panic::catch_unwind(|| {
            assert_linearizable_on_threads::<Register>(&stress, std::time::Duration::from_secs(5))
        })
        .expect_err("a wrong object must fail the test");
        let message = crate::panic_message(panic.as_ref());
        assert!(message.starts_with("Round 1 of 50 on real threads broke the contract."), "{message}");
        assert!(message.contains("Register::new(") && message.contains("T1: Get -> None"), "{message}");
        assert!(message.contains("Why this is wrong:") && message.contains("STRESS_SEED="), "{message}");
    }

    #[test]
    fn real_threads_never_reject_a_correct_object() {
        let stress = crate::Stress::new("testkit", "lib", 300);
        if let Err(failure) = check_on_threads::<LockedRegister>(&stress) {
            panic!(
                "round {} rejected a correct register: {:?}: {}",
                failure.round, failure.observed, failure.explanation
            );
        }
    }
}
