//! Test machinery shared by this exercise's test files.
//!
//! Two things live here:
//!
//! - [`with_crossfire`] runs the checks of a behaviour test while two other
//!   threads make transfers in opposite directions between the two accounts
//!   of a bank of their own. An implementation that can deadlock does so there, and
//!   the watchdog fails the test within seconds instead of letting it hang;
//!   so no behaviour test can pass while the deadlock is still in.
//! - [`lined_up_rounds`] drives the stress tests: two persistent threads,
//!   lined up on a spinning barrier at the start of every round, each doing
//!   its part of the round's work, with the outcome checked after every
//!   round and the whole run under the watchdog.

// Each test file uses only part of this module.
#![allow(dead_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use exercise_5::{Bank, TransferError};
use testkit::{AbandonOnDrop, SpinBarrier, Stress, panic_message};

/// How long the workers of a test may go without any progress before the
/// watchdog calls it a deadlock.
///
/// A correct bank completes a round every few microseconds; the longest gap
/// measured between two rounds, with the machine loaded by other busy test
/// processes, was far below this (see MEASUREMENTS.md). A deadlocked one
/// never completes another, so this is also how long a deadlocked test
/// takes to fail.
pub const STALL: Duration = Duration::from_secs(2);

/// How long the background transfers of a behaviour test run at least.
///
/// They run free, without a barrier: that is what deadlocks a bank that
/// locks in argument order fastest, even when both threads share one core
/// (a thread preempted between its two locks is enough). Measured on two
/// loaded cores, the skeleton deadlocked within 100 ms in 60 of 60 tries.
pub const CROSSFIRE_TIME: Duration = Duration::from_millis(300);

/// How many transfers each background thread makes at least, however fast
/// the clock runs.
pub const CROSSFIRE_TRANSFERS: u64 = 2_000;

/// What a behaviour test is doing right now, so that a call that never
/// returns can be named in the failure message.
#[derive(Clone, Default)]
pub struct Checks {
    step: Arc<Mutex<String>>,
}

impl Checks {
    /// Records the call about to be made (also as the thread's label in a
    /// hang report).
    pub fn doing(&self, what: impl Into<String>) {
        let what = what.into();
        testkit::hang::doing(what.clone());
        *self.step.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = what;
    }

    fn current(&self) -> String {
        self.step.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// `bank.transfer(from, to, amount)`, recorded as the current step.
    pub fn transfer(&self, bank: &Bank, from: usize, to: usize, amount: u64) -> Result<(), TransferError> {
        self.doing(format!("transfer({from}, {to}, {amount})"));
        let result = bank.transfer(from, to, amount);
        testkit::hang::done();
        result
    }

    /// `bank.total()`, recorded as the current step.
    pub fn total(&self, bank: &Bank) -> u64 {
        self.doing("total()");
        let total = bank.total();
        testkit::hang::done();
        total
    }

    /// `bank.balance(account)`, recorded as the current step.
    pub fn balance(&self, bank: &Bank, account: usize) -> Option<u64> {
        self.doing(format!("balance({account})"));
        let balance = bank.balance(account);
        testkit::hang::done();
        balance
    }

    /// Fails unless the balances of `bank` are exactly `expected`.
    #[track_caller]
    pub fn assert_balances(&self, bank: &Bank, expected: &[u64], after: &str) {
        let actual: Vec<Option<u64>> = (0..expected.len()).map(|account| self.balance(bank, account)).collect();
        let expected: Vec<Option<u64>> = expected.iter().copied().map(Some).collect();
        assert_eq!(actual, expected, "after {after} the balances are {actual:?}, expected {expected:?}");
    }
}

/// Runs `check` while two threads make transfers between the two accounts
/// of another bank in opposite directions, and fails the test if any of it
/// stops making progress (a deadlock).
pub fn with_crossfire<F>(check: F)
where
    F: FnOnce(&Checks) + Send + 'static,
{
    let checks = Checks::default();
    let stop = Arc::new(AtomicBool::new(false));
    let background_left = Arc::new(AtomicUsize::new(2));
    let transfers_done = Arc::new(AtomicU64::new(0));

    let describe = {
        let (checks, stop, background_left, transfers_done) =
            (checks.clone(), stop.clone(), background_left.clone(), transfers_done.clone());
        move || {
            // Let whatever still runs of this test wind down.
            stop.store(true, Ordering::SeqCst);
            let seconds = STALL.as_secs_f64();
            if background_left.load(Ordering::SeqCst) == 0 {
                format!(
                    "`{}` made no progress for {seconds} s: the call never returned. A thread is waiting \
                     for a lock that is never released; a Mutex is not re-entrant, so a thread that \
                     locks the same account twice waits for itself forever",
                    checks.current()
                )
            } else {
                format!(
                    "transfers made no progress for {seconds} s: threads are waiting on each other's \
                     locks. This test checks its guarantees while two threads make transfers between \
                     accounts 0 and 1 of another bank, one from 0 to 1 and the other from 1 to 0; they \
                     stopped after {} transfers, each holding one account's lock and waiting for the \
                     other's (a lock-ordering deadlock)",
                    transfers_done.load(Ordering::SeqCst)
                )
            }
        }
    };

    testkit::with_watchdog(STALL, describe, move |progress| {
        let bank = Arc::new(Bank::new(&[1_000, 1_000]));
        let started = Instant::now();
        let crossfire: Vec<_> = [(0, 1), (1, 0)]
            .into_iter()
            .map(|(from, to)| {
                let (bank, stop, progress, transfers_done, background_left) =
                    (bank.clone(), stop.clone(), progress.clone(), transfers_done.clone(), background_left.clone());
                let name = format!("crossfire {from} to {to}");
                thread::Builder::new()
                    .name(name)
                    .spawn(move || {
                        // The background threads stop on their own, not when the
                        // check ends: a check that never returns must still leave
                        // the watchdog without progress.
                        let mut made = 0;
                        testkit::hang::doing(format!("transfer({from}, {to}, 0), over and over"));
                        while !stop.load(Ordering::Relaxed)
                            && (made < CROSSFIRE_TRANSFERS || started.elapsed() < CROSSFIRE_TIME)
                        {
                            // Transfers of 0 take the same locks as any other
                            // and keep the two balances equal, so that a bank
                            // that orders its locks by balance cannot agree on
                            // an order either. (The stress tests move money.)
                            if let Err(error) = bank.transfer(from, to, 0) {
                                panic!(
                                    "transfer({from}, {to}, 0) between two distinct accounts returned {error:?}; a \
                                 transfer of 0 must succeed"
                                );
                            }
                            made += 1;
                            transfers_done.fetch_add(1, Ordering::Relaxed);
                            progress.tick();
                        }
                        background_left.fetch_sub(1, Ordering::SeqCst);
                    })
                    .expect("could not start a background transfer thread")
            })
            .collect();

        let check_result = catch_unwind(AssertUnwindSafe(|| check(&checks)));
        progress.tick();
        if check_result.is_err() {
            // The check's own failure is what matters; stop the background.
            stop.store(true, Ordering::SeqCst);
        }
        for thread in crossfire {
            if let Err(panic) = thread.join() {
                panic!("a background transfer between accounts 0 and 1 panicked: {}", panic_message(&*panic));
            }
        }
        if let Err(panic) = check_result {
            std::panic::resume_unwind(panic);
        }
        let balances = [bank.balance(0), bank.balance(1)];
        assert_eq!(
            balances,
            [Some(1_000), Some(1_000)],
            "after only transfers of 0 between accounts 0 and 1, which held 1000 each, the balances are \
             {balances:?}: concurrent transfers changed money they were not asked to move"
        );
    });
}

/// One transfer of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    pub from: usize,
    pub to: usize,
    pub amount: u64,
}

impl std::fmt::Display for Transfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "transfer({}, {}, {})", self.from, self.to, self.amount)
    }
}

/// Makes the two threads of a round overlap.
///
/// Each thread does its planned work, then keeps doing harmless extra work
/// until the other has finished its planned work too. When both threads
/// share one core (a busy machine), the one that runs first cannot finish
/// its round alone: the other only gets the core when the first is
/// preempted, at a random point of its work, which is what exposes a
/// deadlock or a torn snapshot. On two free cores both simply run at once.
#[derive(Default)]
pub struct Overlap {
    done: [AtomicBool; 2],
}

/// Sets a flag when dropped, even by a panic.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

impl Overlap {
    /// The most extra work a thread does while waiting; a partner that
    /// never finishes is the watchdog's business, not a reason to spin.
    const MAX_EXTRA: u64 = 100_000;

    /// Runs `planned` on `thread` (0 or 1), then `extra` until the other
    /// thread has finished its planned work.
    pub fn run<R>(&self, thread: usize, planned: impl FnOnce() -> R, mut extra: impl FnMut()) -> R {
        let result = {
            let _done = SetOnDrop(&self.done[thread]);
            planned()
        };
        let mut extras = 0;
        while !self.done[1 - thread].load(Ordering::Acquire) && extras < Self::MAX_EXTRA {
            extra();
            extras += 1;
        }
        result
    }
}

/// Runs `stress.rounds` rounds on two persistent threads.
///
/// Before each round `prepare` (on the checking thread) makes the round's
/// input; the two threads line up on a spinning barrier, then thread 0 runs
/// `act(0, input)` and thread 1 `act(1, input)` at the same moment; after
/// both finished, `check` gets the input and both outcomes. A round that
/// makes no progress for [`STALL`] fails the test with `stalled(round)`,
/// and a panic in `act` fails it with the panic's message.
pub fn lined_up_rounds<I, O, P, A, C, D>(stress: &Stress, mut prepare: P, act: A, mut check: C, stalled: D)
where
    I: Send + Sync + 'static,
    O: Send + 'static,
    P: FnMut(u64) -> I + Send + 'static,
    A: Fn(usize, &I) -> O + Send + Sync + 'static,
    C: FnMut(u64, &I, [O; 2]) + Send + 'static,
    D: FnOnce(u64) -> String,
{
    let barrier = Arc::new(SpinBarrier::new(2));
    let round_now = Arc::new(AtomicU64::new(0));
    let describe = {
        let (barrier, round_now) = (barrier.clone(), round_now.clone());
        move || {
            // Free the partner of a deadlocked thread, if it is spinning.
            barrier.abandon();
            stalled(round_now.load(Ordering::SeqCst))
        }
    };
    let stress = stress.clone();
    testkit::with_watchdog(STALL, describe, move |progress| {
        let act = Arc::new(act);
        let input_slot: Arc<Mutex<Option<Arc<I>>>> = Arc::new(Mutex::new(None));
        let output_slot: Arc<Mutex<Option<Result<O, String>>>> = Arc::new(Mutex::new(None));
        let partner = {
            let (barrier, act, input_slot, output_slot) =
                (barrier.clone(), act.clone(), input_slot.clone(), output_slot.clone());
            thread::Builder::new()
                .name("round thread 1".into())
                .spawn(move || {
                    let _abandon = AbandonOnDrop(barrier.clone());
                    // Labelled once, not every round: a label costs time the race needs.
                    testkit::hang::doing("thread 1's part of each round");
                    loop {
                        if !barrier.wait() {
                            return;
                        }
                        let input = input_slot.lock().unwrap().clone().expect("a round without input");
                        let outcome =
                            catch_unwind(AssertUnwindSafe(|| act(1, &input))).map_err(|panic| panic_message(&*panic));
                        let failed = outcome.is_err();
                        *output_slot.lock().unwrap() = Some(outcome);
                        if failed || !barrier.wait() {
                            return;
                        }
                    }
                })
                .expect("could not start the partner thread")
        };
        let _abandon = AbandonOnDrop(barrier.clone());
        testkit::hang::doing("thread 0's part of each round");
        for round in 0..stress.rounds {
            round_now.store(round, Ordering::SeqCst);
            *input_slot.lock().unwrap() = Some(Arc::new(prepare(round)));
            if !barrier.wait() {
                break;
            }
            // Take the input the same way as the partner, so that both start
            // their work at the same moment.
            let input = input_slot.lock().unwrap().clone().expect("a round without input");
            let mine = catch_unwind(AssertUnwindSafe(|| act(0, &input)));
            let mine = match mine {
                Ok(outcome) => outcome,
                Err(panic) => stress.fail(round, format!("a thread panicked: {}", panic_message(&*panic))),
            };
            let partner_done = barrier.wait();
            let theirs = match output_slot.lock().unwrap().take() {
                Some(Ok(outcome)) => outcome,
                Some(Err(message)) => stress.fail(round, format!("a thread panicked: {message}")),
                None if !partner_done => stress.fail(round, "the other thread stopped without an outcome"),
                None => unreachable!("the partner passed the barrier without leaving its outcome"),
            };
            check(round, &input, [mine, theirs]);
            progress.tick();
        }
        barrier.abandon();
        partner.join().expect("the partner thread panicked outside a round");
    });
}
