//! Stress tests: many short rounds of producers and consumers lined up on a
//! spin barrier, with random inputs from the run's seed.
//!
//! Each queue test keeps its threads alive across rounds and gives every
//! round a fresh queue of random capacity. Everything runs under a watchdog,
//! so a lost wakeup (threads asleep that nobody wakes) fails the test within
//! seconds instead of hanging it.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use exercise_2::{BoundedQueue, parallel_sum};
use rand::Rng;
use testkit::{AbandonOnDrop, SpinBarrier, StdRng, Stress, panic_message};

/// A correct queue finishes a round in microseconds; two seconds without a
/// finished round means threads are asleep that nobody will wake.
const STALL: Duration = Duration::from_secs(2);

const LOST_WAKEUP: &str = "the queue made no progress for 2 s: producers and consumers are asleep in \
     push and pop and nobody wakes them (a lost wakeup). A notify_one went to a thread that \
     could not use it, for example a producer woke another producer because both sides wait \
     on one Condvar, and the thread that could have gone on sleeps forever";

/// What the threads of a lined-up test share: the spin barrier, the plan of
/// the current round, the round number and the first failure any thread saw.
struct Shared<P> {
    barrier: SpinBarrier,
    round: AtomicU64,
    plan: Mutex<Option<Arc<P>>>,
    failure: Mutex<Option<String>>,
}

impl<P> Shared<P> {
    fn record(&self, failure: String) {
        self.failure.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(failure);
    }

    fn failure(&self) -> Option<String> {
        self.failure.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Abandoning the shared state abandons its barrier, so that threads
/// spinning on it stop when the test ends early (a failure, a panic, the
/// watchdog): see [`AbandonOnDrop`].
impl<P> testkit::Abandon for Shared<P> {
    fn abandon(&self) {
        self.barrier.abandon();
    }
}

/// Runs `stress.rounds` rounds of `threads` persistent threads. Each round,
/// the coordinator (thread 0) makes a plan with `plan`, every thread runs
/// `work(index, &plan)` after lining up on the barrier, and once all are done
/// the coordinator runs `check(&plan)`. The first error fails the test.
fn lined_up_rounds<P: Send + Sync + 'static>(
    stress: &Stress,
    threads: usize,
    stalled: &'static str,
    mut plan: impl FnMut(&mut StdRng) -> P + Send + 'static,
    work: impl Fn(usize, &P) -> Result<(), String> + Send + Sync + 'static,
    mut check: impl FnMut(&P) -> Result<(), String> + Send + 'static,
) {
    let shared = Arc::new(Shared {
        barrier: SpinBarrier::new(threads),
        round: AtomicU64::new(0),
        plan: Mutex::new(None),
        failure: Mutex::new(None),
    });
    let _release = AbandonOnDrop(shared.clone());
    let (on_stall, stress_on_stall) = (shared.clone(), stress.clone());
    let stress = stress.clone();
    testkit::with_watchdog(
        STALL,
        move || {
            let round = on_stall.round.load(Ordering::SeqCst);
            stress_on_stall.stalled(round, on_stall.failure().unwrap_or_else(|| stalled.to_string()))
        },
        move |progress| {
            let _release = AbandonOnDrop(shared.clone());
            let work = Arc::new(work);
            let helpers: Vec<_> = (1..threads)
                .map(|index| {
                    let (shared, work) = (shared.clone(), work.clone());
                    let name = format!("stress thread {index}");
                    thread::Builder::new()
                        .name(name)
                        .spawn(move || {
                            // Labelled once, not every round: a label costs time the race needs.
                            testkit::hang::doing(format!("thread {index}'s part of each round"));
                            // Three waits per round: the plan is ready, start, done.
                            while shared.barrier.wait() {
                                let plan = shared.plan.lock().unwrap().clone().expect("a plan for the round");
                                if !shared.barrier.wait() {
                                    break;
                                }
                                match catch_unwind(AssertUnwindSafe(|| work(index, &plan))) {
                                    Ok(Ok(())) => {}
                                    Ok(Err(failure)) => shared.record(failure),
                                    Err(panic) => {
                                        shared.record(format!("a test thread panicked: {}", panic_message(&*panic)));
                                        shared.barrier.abandon();
                                    }
                                }
                                drop(plan);
                                if !shared.barrier.wait() {
                                    break;
                                }
                            }
                        })
                        .expect("could not start a test thread")
                })
                .collect();
            testkit::hang::doing("thread 0's part of each round");
            let mut rng = stress.rng();
            for round in 0..stress.rounds {
                shared.round.store(round, Ordering::SeqCst);
                let this_round = Arc::new(plan(&mut rng));
                *shared.plan.lock().unwrap() = Some(this_round.clone());
                let mut lined_up = shared.barrier.wait() && shared.barrier.wait();
                if lined_up {
                    if let Err(failure) = work(0, &this_round) {
                        shared.record(failure);
                    }
                    lined_up = shared.barrier.wait();
                }
                if let Some(failure) = shared.failure() {
                    stress.fail(round, failure);
                }
                assert!(lined_up, "a test thread gave up without saying why");
                if let Err(failure) = check(&this_round) {
                    stress.fail(round, failure);
                }
                progress.tick();
            }
            shared.barrier.abandon();
            for helper in helpers {
                helper.join().expect("a test thread panicked");
            }
        },
    );
}

/// One round of `pop_never_returns_none_while_the_queue_is_open`.
struct PopPlan {
    queue: BoundedQueue<u32>,
    /// How many items each consumer pops.
    takes: Vec<usize>,
}

#[test]
fn pop_never_returns_none_while_the_queue_is_open() {
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(400);
    // One producer and three consumers: consumers compete for each item, so
    // a woken consumer often finds that another one took it first.
    const CONSUMERS: usize = 3;
    lined_up_rounds(
        &stress,
        1 + CONSUMERS,
        LOST_WAKEUP,
        |rng| PopPlan {
            queue: BoundedQueue::new(rng.random_range(1..=3)),
            takes: (0..CONSUMERS).map(|_| rng.random_range(0..=12)).collect(),
        },
        |index, plan| {
            if index == 0 {
                let total: usize = plan.takes.iter().sum();
                for item in 0..total as u32 {
                    plan.queue.push(item).map_err(|_| "push returned Err although the queue was never closed")?;
                }
                return Ok(());
            }
            let (mut taken, mut nones) = (0, 0);
            while taken < plan.takes[index - 1] {
                match plan.queue.pop() {
                    Some(_) => taken += 1,
                    // Keep popping so that the round can still finish, and
                    // report the bug once it has.
                    None if nones < 1_000 => nones += 1,
                    None => break,
                }
            }
            if nones > 0 {
                return Err(format!(
                    "pop returned None {nones} time(s) although the queue was open (it is never closed in \
                     this test): a consumer woke up, found the queue empty again because another consumer \
                     had taken the item first, and did not wait again. Re-check the condition in a `while` \
                     loop around Condvar::wait, not an `if`"
                ));
            }
            Ok(())
        },
        |_| Ok(()),
    );
}

/// One round of `len_never_exceeds_capacity`.
struct CapacityPlan {
    queue: BoundedQueue<u32>,
    /// How many items each producer pushes.
    gives: Vec<usize>,
}

#[test]
fn len_never_exceeds_capacity() {
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(400);
    // Three producers and one consumer: producers compete for each free
    // slot, so a woken producer often finds that another one took it first.
    const PRODUCERS: usize = 3;
    fn over_capacity(len: usize, capacity: usize) -> String {
        format!(
            "len() was {len} in a queue of capacity {capacity}: a producer woke up, found the free slot \
             taken by another producer, and pushed anyway. Re-check the condition in a `while` loop \
             around Condvar::wait, not an `if`"
        )
    }
    lined_up_rounds(
        &stress,
        PRODUCERS + 1,
        LOST_WAKEUP,
        |rng| CapacityPlan {
            queue: BoundedQueue::new(rng.random_range(1..=3)),
            gives: (0..PRODUCERS).map(|_| rng.random_range(0..=12)).collect(),
        },
        |index, plan| {
            let capacity = plan.queue.capacity();
            if index == PRODUCERS {
                let total: usize = plan.gives.iter().sum();
                let (mut taken, mut worst) = (0, 0);
                while taken < total {
                    worst = worst.max(plan.queue.len());
                    if plan.queue.pop().is_some() {
                        taken += 1;
                    }
                }
                if worst > capacity {
                    return Err(over_capacity(worst, capacity));
                }
                return Ok(());
            }
            // Keep pushing after a violation so that the consumer can still
            // finish the round; the failure is reported once it has.
            let mut worst = 0;
            for item in 0..plan.gives[index] as u32 {
                plan.queue.push(item).map_err(|_| "push returned Err although the queue was never closed")?;
                worst = worst.max(plan.queue.len());
            }
            if worst > capacity {
                return Err(over_capacity(worst, capacity));
            }
            Ok(())
        },
        |plan| match plan.queue.len() {
            0 => Ok(()),
            left => Err(format!(
                "{left} item(s) were left in the queue after the consumer took as many as were pushed: \
                 len() does not count the items"
            )),
        },
    );
}

/// One round of `every_item_is_delivered_exactly_once_in_order`.
struct DeliveryPlan {
    queue: BoundedQueue<(usize, u32)>,
    /// How many items each producer pushes.
    gives: Vec<u32>,
    /// How many producers have finished; the last one closes the queue.
    finished: AtomicUsize,
    /// What each consumer popped, in order.
    received: Vec<Mutex<Vec<(usize, u32)>>>,
}

#[test]
fn every_item_is_delivered_exactly_once_in_order() {
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(400);
    const PRODUCERS: usize = 2;
    const CONSUMERS: usize = 2;
    lined_up_rounds(
        &stress,
        PRODUCERS + CONSUMERS,
        "the queue made no progress for 2 s: producers and consumers are asleep in push and pop and \
         nobody wakes them. Either close woke only one of several waiting consumers (it must wake \
         them all: notify_all), or a notify_one went to a thread that could not use it (a lost \
         wakeup, for example with one Condvar shared by producers and consumers)",
        |rng| DeliveryPlan {
            queue: BoundedQueue::new(rng.random_range(1..=4)),
            gives: (0..PRODUCERS).map(|_| rng.random_range(0..=16)).collect(),
            finished: AtomicUsize::new(0),
            received: (0..CONSUMERS).map(|_| Mutex::new(Vec::new())).collect(),
        },
        |index, plan| {
            if index < PRODUCERS {
                for seq in 0..plan.gives[index] {
                    plan.queue.push((index, seq)).map_err(|_| "push returned Err before the queue was closed")?;
                }
                // The last producer to finish closes the queue.
                if plan.finished.fetch_add(1, Ordering::SeqCst) + 1 == PRODUCERS {
                    plan.queue.close();
                }
                return Ok(());
            }
            let mut received = plan.received[index - PRODUCERS].lock().unwrap();
            while let Some(item) = plan.queue.pop() {
                received.push(item);
            }
            // `close` is final, so a correct `pop` returns None only when
            // `is_closed` already says so.
            if !plan.queue.is_closed() {
                return Err("pop returned None although the queue was still open: a consumer woke up, \
                     found the queue empty because another consumer had taken the item first (or the \
                     wakeup was meant for an item it had already taken), and did not wait again. \
                     Re-check the condition in a `while` loop around Condvar::wait, not an `if`"
                    .to_string());
            }
            Ok(())
        },
        |plan| {
            let mut seen = HashSet::new();
            for (consumer, received) in plan.received.iter().enumerate() {
                let received = received.lock().unwrap();
                let mut last = [None; PRODUCERS];
                for &(producer, seq) in received.iter() {
                    if !seen.insert((producer, seq)) {
                        return Err(format!("item {seq} of producer {producer} was popped twice"));
                    }
                    if last[producer].is_some_and(|previous| previous > seq) {
                        return Err(format!(
                            "consumer {consumer} popped item {seq} of producer {producer} after a later \
                             item of the same producer: the queue is not first-in-first-out"
                        ));
                    }
                    last[producer] = Some(seq);
                }
            }
            let pushed: usize = plan.gives.iter().map(|&gives| gives as usize).sum();
            if seen.len() != pushed {
                return Err(format!(
                    "{pushed} items were pushed before close but only {} were popped: pop returned None \
                     while items pushed before close were still in the queue (pop may return None only \
                     once the queue is closed AND empty)",
                    seen.len()
                ));
            }
            Ok(())
        },
    );
}

#[test]
fn parallel_sum_adds_every_number_exactly_once() {
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(500);
    let (worker_stress, current_round) = (stress.clone(), Arc::new(AtomicU64::new(0)));
    let worker_round = current_round.clone();
    testkit::with_watchdog(
        STALL,
        || {
            let round = current_round.load(Ordering::SeqCst);
            stress.stalled(
                round,
                "parallel_sum made no progress for 2 s: its threads wait forever. Either close woke only \
             one of several waiting consumers (it must wake them all), or a notify_one went to a thread \
             that could not use it (a lost wakeup), or the consumers were never told that the queue \
             is closed",
            )
        },
        move |progress| {
            let stress = worker_stress;
            let mut rng = stress.rng();
            for round in 0..stress.rounds {
                worker_round.store(round, Ordering::SeqCst);
                testkit::hang::doing(format!("parallel_sum(...) of round {}", round + 1));
                let producers: Vec<Vec<u64>> = (0..rng.random_range(0..=4))
                    .map(|_| (0..rng.random_range(0..=200)).map(|_| rng.random_range(1..=100)).collect())
                    .collect();
                let consumers = rng.random_range(1..=3);
                let capacity = rng.random_range(1..=4);
                let expected: u64 = producers.iter().flatten().sum();
                let counts: Vec<usize> = producers.iter().map(Vec::len).collect();
                let total = parallel_sum(producers, consumers, capacity);
                if total != expected {
                    stress.fail(
                        round,
                        format!(
                            "parallel_sum returned {total} instead of {expected} for {} producers with \
                             {counts:?} numbers, {consumers} consumer(s) and capacity {capacity}: \
                             numbers were lost or counted twice. Close the queue only after EVERY \
                             producer has finished, and let consumers stop only when pop returns None",
                            counts.len()
                        ),
                    );
                }
                progress.tick();
            }
        },
    );
}

/// The contract of `BoundedQueue` and `parallel_sum`, one call at a time, with its scenarios
/// (shared with `tests/lane.rs`, which runs them under the controlled
/// scheduler).
#[path = "spec/queue.rs"]
mod spec;

/// No list of bug shapes: small random scenarios of the whole API (2–3
/// threads, 1–3 calls each, arguments chosen to compete) on real threads,
/// each accepted only if some order of the same calls, one at a time,
/// explains every result and the final state (linearizability). Calls that
/// wait for each other for good fail after 5 s with the scenario.
#[test]
fn scenarios_on_real_threads_are_linearizable() {
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(5_000);
    testkit::lincheck::assert_linearizable_on_threads::<spec::QueueSpec>(&stress, std::time::Duration::from_secs(5));
}
