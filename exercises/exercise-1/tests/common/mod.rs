//! The machinery shared by exercise-1's tests.
//!
//! Every concurrent check runs the same way: two persistent threads (the
//! test's own and one helper, no more busy threads than the two cores) play
//! many short rounds. Each round gets a fresh `Account`; both threads read it
//! once so that neither starts with a cold cache, line up on a spinning
//! start line (see `start_line.rs`), run their one or two operations at the same
//! instant, and read the balance. After each batch of rounds the test thread
//! checks every round against the orders in which the operations could have
//! run one after the other: a correct `Account` always matches one of them.
//!
//! The checks only use conditions that hold for every correct implementation
//! (linearizability of the four methods), so they never fail a correct
//! submission, whatever the timing.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use rand::Rng;

use exercise_1::Account;
use testkit::{AbandonOnDrop, Progress, StdRng, Stress};

mod start_line;
use start_line::StartLine;

/// Rounds per batch: the test thread checks results between batches, while
/// the helper thread waits for the next one.
const BATCH: u64 = 256;

/// How long no round may finish before the watchdog fails the test. A round
/// takes microseconds, and tens of milliseconds on a machine starved by
/// dozens of busy threads, so only a thread that is stuck (a lock that is
/// never released, a loop that never ends) gets near it.
const STALL: Duration = Duration::from_secs(5);

/// A round counts only if the two threads' calls really overlapped in time.
/// On a busy machine one thread may be descheduled and the round runs one
/// call after the other, which can hide any race; such rounds are run again,
/// up to this many attempts per counted round...
const MAX_ATTEMPTS_PER_ROUND: u64 = 50;

/// ...and for at most this long. A test that runs out of attempts or time
/// passes (it found no violation) and says so on stderr.
const TIME_BUDGET: Duration = Duration::from_secs(8);

/// A run that counted fewer than this share of its rounds (1 in 10) could
/// not look for races properly: the rarest known bug shows in 0.9% of the
/// counted rounds, so a tenth of the rounds still expects dozens of catches,
/// but far fewer may see none. Such a run still passes, and reports itself
/// as inconclusive (`testkit::inconclusive`) so that the grader runs it
/// again instead of trusting it.
const CONCLUSIVE_SHARE: u64 = 10;

/// The longest span of calls that counts as running alongside the other
/// thread: calls take microseconds; a thread descheduled in the middle of
/// them takes milliseconds.
const MAX_SPAN: Duration = Duration::from_micros(500);

/// Each thread waits a random number of spin-loop hints, at most this many,
/// between the start line and its first call, so that the two calls meet at
/// every relative offset rather than always at the same one.
const JITTER: u32 = 16;

/// The most operations one thread runs in one round.
pub const MAX_OPS: usize = 2;

// The contract promises that `Account` can be shared between threads; the
// tests could not share it otherwise.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Account>();
};

/// One call a thread makes on the shared account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Deposit(u64),
    Withdraw(u64),
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Deposit(amount) => write!(f, "deposit({amount})"),
            Op::Withdraw(amount) => write!(f, "withdraw({amount})"),
        }
    }
}

/// The inputs of one round: the starting balance and what each of the two
/// threads does, in its own program order.
#[derive(Debug, Clone)]
pub struct Round {
    pub initial: u64,
    pub threads: [Vec<Op>; 2],
}

impl Round {
    /// A round in which each thread runs one operation.
    pub fn one_each(initial: u64, first: Op, second: Op) -> Round {
        Round { initial, threads: [vec![first], vec![second]] }
    }
}

/// What one thread observed in one round.
#[derive(Debug, Clone)]
struct Seen {
    /// What each `withdraw` returned, in program order (`None` for deposits).
    results: [Option<bool>; MAX_OPS],
    /// `balance()` read by this thread right after its last operation.
    balance_after: u64,
    /// When this thread started its first call and finished its last.
    start: Instant,
    end: Instant,
}

impl Seen {
    /// Whether this thread's calls and the other's really ran at the same
    /// time: their spans overlap, and neither span is so long that its
    /// thread was most likely taken off its core in the middle (a span that
    /// includes a pause of a few milliseconds overlaps everything without
    /// running alongside anything).
    fn ran_alongside(&self, other: &Seen) -> bool {
        let short = |seen: &Seen| seen.end.duration_since(seen.start) < MAX_SPAN;
        self.start.max(other.start) < self.end.min(other.end) && short(self) && short(other)
    }
}

/// One thread's record of a round: what it saw, or why it could not finish.
type Outcome = Result<Seen, String>;

/// A batch of rounds, each with its own fresh account.
struct Batch {
    rounds: Vec<Round>,
    accounts: Vec<Account>,
    /// The spin-loop hints each thread waits before its first call.
    delays: Vec<[u32; 2]>,
}

/// Runs rounds made by `generate` on two lined-up threads until
/// `stress.rounds` of them ran with both threads' calls overlapping in time,
/// and fails the test, naming the bug, at the first round whose outcome no
/// one-at-a-time order of the calls explains.
pub fn run_rounds<G>(stress: &Stress, mut generate: G)
where
    G: FnMut(&mut StdRng) -> Round + Send + 'static,
{
    let stress = stress.clone();
    let stall_message = || {
        format!(
            "no deposit or withdrawal finished for {} s: a thread is stuck, most likely \
             waiting for a lock that is never released (a Mutex locked twice by the same \
             thread deadlocks) or in a loop that never ends",
            STALL.as_secs()
        )
    };
    testkit::with_watchdog(STALL, stall_message, move |progress| {
        // The helper never sleeps between batches: it waits for the next
        // one at the spinning start line, so that on a busy machine it is
        // still on its core when the test thread comes back from checking.
        let line = Arc::new(StartLine::default());
        let next_batch = Arc::new(Mutex::new(None::<Arc<Batch>>));
        let (outcome_sender, helper_outcomes) = mpsc::channel::<Vec<Outcome>>();
        let helper = {
            let (line, next_batch) = (Arc::clone(&line), Arc::clone(&next_batch));
            thread::Builder::new()
                .name("exercise-1-helper".into())
                .spawn(move || {
                    while line.wait() {
                        let Some(batch) = lock(&next_batch).take() else { break };
                        let outcomes = run_side(&batch, 1, &line, None);
                        if outcome_sender.send(outcomes).is_err() {
                            break;
                        }
                        line.wait();
                    }
                })
                .expect("could not start the test's helper thread")
        };
        // If this thread fails the test, the helper must not wait forever.
        let _release_helper = AbandonOnDrop(Arc::clone(&line));

        let mut rng = stress.rng();
        let started = Instant::now();
        let max_attempts = stress.rounds.saturating_mul(MAX_ATTEMPTS_PER_ROUND);
        let (mut attempts, mut counted) = (0, 0);
        while counted < stress.rounds && attempts < max_attempts && started.elapsed() < TIME_BUDGET {
            let rounds: Vec<Round> = (0..BATCH).map(|_| generate(&mut rng)).collect();
            let accounts = rounds.iter().map(|round| Account::new(round.initial)).collect();
            let delays = (0..BATCH).map(|_| [rng.random_range(0..=JITTER), rng.random_range(0..=JITTER)]).collect();
            let batch = Arc::new(Batch { rounds, accounts, delays });
            *lock(&next_batch) = Some(Arc::clone(&batch));
            line.wait();
            let mine = run_side(&batch, 0, &line, Some(&progress));
            // The helper sends its outcomes before it reaches this line, so
            // they are there when it opens (or soon after, if a panic made
            // the threads leave the line early).
            line.wait();
            let theirs = helper_outcomes.recv().expect("the test's helper thread stopped unexpectedly");
            counted = check_batch(&stress, counted, &batch, &mine, &theirs);
            attempts += BATCH;
        }
        // No next batch: the helper finds the slot empty and stops.
        line.wait();
        helper.join().expect("the test's helper thread panicked");
        let test = thread::current().name().unwrap_or("test").trim_end_matches("-worker").to_string();
        let seconds = started.elapsed().as_secs_f64();
        if counted < stress.rounds.div_ceil(CONCLUSIVE_SHARE) {
            testkit::inconclusive(&format!(
                "{test}: only {counted} of {} rounds ran with both threads at the same time \
                 ({attempts} attempts in {seconds:.1} s): the machine is too busy for this test to look for \
                 races; it found none, but rerun it on a quieter machine",
                stress.rounds
            ));
        } else if counted < stress.rounds {
            eprintln!(
                "note ({test}): only {counted} of {} rounds ran with both threads at the same \
                 time ({attempts} attempts in {seconds:.1} s): the machine is busy, so this run \
                 looked less hard for races than usual",
                stress.rounds
            );
        } else {
            eprintln!(
                "{test}: {counted} rounds with both threads at the same time, out of {attempts} \
                 attempts, in {seconds:.2} s"
            );
        }
    });
}

/// Locks a mutex of the test's own; a panic elsewhere does not make its
/// contents (a batch waiting to be run) invalid.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Abandoning the start line releases a thread still waiting at it,
/// whatever way the other thread leaves (held in an [`AbandonOnDrop`]).
impl testkit::Abandon for StartLine {
    fn abandon(&self) {
        StartLine::abandon(self);
    }
}

/// Plays one thread's side of every round of `batch`. Stops at the first
/// panic (after recording it) and makes the other thread stop too.
fn run_side(batch: &Batch, side: usize, barrier: &StartLine, progress: Option<&Progress>) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(batch.rounds.len());
    for ((round, account), delays) in batch.rounds.iter().zip(&batch.accounts).zip(&batch.delays) {
        let ops = &round.threads[side];
        // Both threads read the fresh account before the start, so that
        // both have it in cache and neither gets a head start.
        if let Err(message) = catch(|| account.balance()) {
            outcomes.push(Err(format!("balance() panicked: {message}")));
            barrier.abandon();
            break;
        }
        if !barrier.wait() {
            break;
        }
        for _ in 0..delays[side] {
            std::hint::spin_loop();
        }
        let start = Instant::now();
        let mut results = [None; MAX_OPS];
        let mut panicked = None;
        for (slot, op) in results.iter_mut().zip(ops) {
            let result = catch(|| match *op {
                Op::Deposit(amount) => {
                    account.deposit(amount);
                    None
                }
                Op::Withdraw(amount) => Some(account.withdraw(amount)),
            });
            match result {
                Ok(result) => *slot = result,
                Err(message) => {
                    panicked = Some(format!("{op} panicked: {message}"));
                    break;
                }
            }
        }
        let end = Instant::now();
        let outcome = match panicked {
            Some(message) => Err(message),
            None => catch(|| account.balance())
                .map(|balance_after| Seen { results, balance_after, start, end })
                .map_err(|message| format!("balance() panicked: {message}")),
        };
        let failed = outcome.is_err();
        outcomes.push(outcome);
        if failed {
            barrier.abandon();
            break;
        }
        // Progress is every finished round, not every batch: on a starved
        // machine a batch of lined-up rounds can take longer than the stall
        // limit although no call is stuck, and only a stuck call may fail.
        if let Some(progress) = progress {
            progress.tick();
        }
    }
    outcomes
}

/// Runs `f`, turning a panic into its message.
fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| testkit::panic_message(&*payload))
}

/// Checks every round of a finished batch; fails the test at the first bad
/// one. `counted` rounds had overlapping calls before this batch; returns
/// the number after it.
fn check_batch(stress: &Stress, mut counted: u64, batch: &Batch, mine: &[Outcome], theirs: &[Outcome]) -> u64 {
    for (index, (round, account)) in batch.rounds.iter().zip(&batch.accounts).enumerate() {
        let (Some(a), Some(b)) = (mine.get(index), theirs.get(index)) else {
            // A thread stops early only after the other one recorded a panic,
            // which the previous round's check would have reported.
            let panic = mine.iter().chain(theirs).find_map(|outcome| outcome.as_ref().err());
            let what = panic.map_or("a thread stopped its rounds early", String::as_str);
            stress.fail(counted, panic_explained(what, round));
        };
        let (a, b) = match (a, b) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(message), _) | (_, Err(message)) => stress.fail(counted, panic_explained(message, round)),
        };
        let final_balance = match catch(|| account.balance()) {
            Ok(balance) => balance,
            Err(message) => stress.fail(counted, panic_explained(&format!("balance() panicked: {message}"), round)),
        };
        if let Err(problem) = check_round(round, [a, b], final_balance) {
            stress.fail(counted, problem);
        }
        if a.ran_alongside(b) {
            counted += 1;
        }
    }
    counted
}

/// The message for a panic inside an operation, with the likely cause.
fn panic_explained(message: &str, round: &Round) -> String {
    let cause = if message.contains("overflow") {
        "\n  an arithmetic overflow on the balance means it went below zero: the balance check \
         and the withdrawal are not one atomic step"
    } else if message.contains("oison") {
        "\n  a lock is poisoned because another call panicked while holding it"
    } else {
        ""
    };
    format!("{message}{cause}\n  in this round: {}", describe_inputs(round))
}

/// "starting balance 1000; one thread: withdraw(600); the other: withdraw(600)"
fn describe_inputs(round: &Round) -> String {
    let list = |ops: &[Op]| ops.iter().map(Op::to_string).collect::<Vec<_>>().join(", then ");
    format!(
        "starting balance {}; one thread: {}; the other thread at the same time: {}",
        round.initial,
        list(&round.threads[0]),
        list(&round.threads[1])
    )
}

/// The same with what each call returned and the final balance.
fn describe_outcome(round: &Round, seen: [&Seen; 2], final_balance: u64) -> String {
    let list = |ops: &[Op], seen: &Seen| {
        ops.iter()
            .zip(seen.results)
            .map(|(op, result)| match result {
                Some(result) => format!("{op} returned {result}"),
                None => op.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", then ")
    };
    format!(
        "starting balance {}; one thread: {}; the other thread at the same time: {}; final balance {}",
        round.initial,
        list(&round.threads[0], seen[0]),
        list(&round.threads[1], seen[1]),
        final_balance
    )
}

/// One operation of a round together with what it returned.
#[derive(Debug, Clone, Copy)]
struct Done {
    op: Op,
    result: Option<bool>,
}

impl Done {
    /// Applies the operation as it reported itself; says whether what it
    /// returned is what it would return on `balance`, were it alone.
    fn apply(self, balance: &mut i128) -> bool {
        match (self.op, self.result) {
            (Op::Deposit(amount), _) => {
                *balance += i128::from(amount);
                true
            }
            (Op::Withdraw(amount), Some(true)) => {
                let covered = *balance >= i128::from(amount);
                *balance -= i128::from(amount);
                covered
            }
            (Op::Withdraw(amount), _) => *balance < i128::from(amount),
        }
    }
}

/// Every order of the two threads' operations that keeps each thread's own
/// program order: `false` takes the first thread's next operation, `true`
/// the second's.
fn interleavings(first: usize, second: usize) -> Vec<Vec<bool>> {
    if first == 0 || second == 0 {
        return vec![vec![first == 0; first + second]];
    }
    let mut all = Vec::new();
    for (side, rest) in [(false, interleavings(first - 1, second)), (true, interleavings(first, second - 1))] {
        for mut order in rest {
            order.insert(0, side);
            all.push(order);
        }
    }
    all
}

/// Checks one round. `Err` says in plain words which guarantee broke.
fn check_round(round: &Round, seen: [&Seen; 2], final_balance: u64) -> Result<(), String> {
    let done: [Vec<Done>; 2] = [0, 1].map(|side| {
        round.threads[side].iter().zip(seen[side].results).map(|(&op, result)| Done { op, result }).collect()
    });
    let context = || format!("\n  in this round: {}", describe_outcome(round, seen, final_balance));
    let initial = i128::from(round.initial);
    let all = || done.iter().flatten();
    let deposited: i128 = all()
        .map(|done| match done.op {
            Op::Deposit(amount) => i128::from(amount),
            Op::Withdraw(_) => 0,
        })
        .sum();
    let ceiling = initial + deposited;
    let granted: Vec<u64> = all()
        .filter_map(|done| match (done.op, done.result) {
            (Op::Withdraw(amount), Some(true)) => Some(amount),
            _ => None,
        })
        .collect();
    let granted_total: i128 = granted.iter().map(|&amount| i128::from(amount)).sum();

    // A successful withdrawal larger than all the money there ever was.
    if let Some(&amount) = granted.iter().find(|&&amount| i128::from(amount) > ceiling) {
        return Err(format!(
            "a withdrawal of {amount} succeeded although the account never held that much \
             (at most {ceiling}): the balance went below zero, if only for a moment, and a \
             withdrawal took money that was not there{}",
            context()
        ));
    }

    // Successful withdrawals that together exceed the money there was.
    if granted_total > ceiling {
        let amounts = granted.iter().map(u64::to_string).collect::<Vec<_>>();
        let what = match amounts.as_slice() {
            [a, b] if a == b => format!("two withdrawals of {a}"),
            [a, b] => format!("two withdrawals of {a} and {b}"),
            _ => format!("withdrawals of {}", amounts.join(", ")),
        };
        let from = if deposited > 0 {
            format!("{} (plus deposits of {deposited})", round.initial)
        } else {
            round.initial.to_string()
        };
        let all = if granted.len() == 2 { "both" } else { "all" };
        return Err(format!(
            "{what} from {from} {all} succeeded: the balance check and the withdrawal are not \
             one atomic step{}",
            context()
        ));
    }

    let orders = interleavings(done[0].len(), done[1].len());
    let replay = |order: &[bool]| {
        let mut next = [0, 0];
        let mut balance = initial;
        let mut consistent = [[false; MAX_OPS]; 2];
        for &side in order {
            let side = usize::from(side);
            consistent[side][next[side]] = done[side][next[side]].apply(&mut balance);
            next[side] += 1;
        }
        (consistent, balance)
    };

    // A refused withdrawal that the balance covered in every possible order.
    for (side, ops) in done.iter().enumerate() {
        for (index, done_op) in ops.iter().enumerate() {
            let Op::Withdraw(amount) = done_op.op else {
                continue;
            };
            if done_op.result != Some(false) {
                continue;
            }
            if orders.iter().any(|order| replay(order).0[side][index]) {
                continue;
            }
            let what = if amount == 0 {
                "withdraw(0) returned false: withdrawing nothing must always succeed".to_string()
            } else {
                format!(
                    "a withdrawal of {amount} returned false although the balance covered it \
                     whichever order the calls ran in: withdraw must succeed whenever the \
                     balance covers the amount"
                )
            };
            return Err(format!(
                "{what}, also while other threads change the balance (a withdrawal must not \
                 give up because the balance changed under it){}",
                context()
            ));
        }
    }

    // A balance that was never possible: below zero, wrapped around.
    for (side, read) in seen.iter().map(|seen| seen.balance_after).enumerate() {
        if i128::from(read) > ceiling {
            let who = if side == 0 { "one thread" } else { "the other thread" };
            return Err(format!(
                "balance() returned {read} to {who}, more than the account ever held (at most \
                 {ceiling}): the balance went below zero and wrapped around, and other threads \
                 could see it{}",
                context()
            ));
        }
    }
    if i128::from(final_balance) > ceiling {
        return Err(format!(
            "the final balance is {final_balance}, more than the account ever held (at most \
             {ceiling}): the balance went below zero and wrapped around{}",
            context()
        ));
    }

    // The balance must account for every call that reported success.
    let expected = initial + deposited - granted_total;
    if i128::from(final_balance) != expected {
        return Err(format!(
            "the final balance is {final_balance}, but the starting balance plus the deposits \
             minus the successful withdrawals is {expected}: an update was lost (a thread \
             stored a balance computed from a value that another thread had changed in the \
             meantime): every deposit and withdrawal must read and write the balance in one \
             atomic step{}",
            context()
        ));
    }

    // Last, the whole outcome: one order must explain every result at once.
    let explained = orders.iter().any(|order| {
        let (consistent, balance) = replay(order);
        balance == i128::from(final_balance)
            && (0..2).all(|side| consistent[side][..done[side].len()].iter().all(|&ok| ok))
    });
    if !explained {
        return Err(format!(
            "these results match no order in which the calls could have run one at a time: \
             deposits and withdrawals are not atomic{}",
            context()
        ));
    }
    Ok(())
}
