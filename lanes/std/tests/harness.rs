//! The harness on small objects written against `lane_std` directly (as the
//! rewrite leaves a submission): a lost update and a deadlock are found with
//! the lines that caused them, a correct object passes, and the same seed
//! replays the same interleaving.

use std::sync::atomic::{AtomicUsize, Ordering as StdOrdering};

use lane_std::harness::{Explore, Problem, explore, spawn};
use lane_std::sync::atomic::{AtomicU64, Ordering};
use lane_std::sync::{Arc, Condvar, Mutex};

fn settings(seed: u64) -> Explore {
    Explore {
        seed,
        random_executions: 200,
        pct_executions: 200,
        pct_depth: 3,
        max_steps: 5_000,
        // This file is not a rewritten copy: its own paths are shown as they are.
        copy_root: "/nonexistent",
        src_root: "/nonexistent",
    }
}

/// A deposit that loads, then stores: two of them can lose one.
fn racy_deposits() -> Result<(), String> {
    let balance = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..2)
        .map(|i| {
            let balance = balance.clone();
            spawn(&format!("T{}", i + 1), move || {
                let seen = balance.load(Ordering::SeqCst);
                balance.store(seen + 1, Ordering::SeqCst);
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| "a thread panicked".to_string())?;
    }
    match balance.load(Ordering::SeqCst) {
        2 => Ok(()),
        other => Err(format!("balance {other} after two deposits of 1")),
    }
}

#[test]
fn a_lost_update_is_found_with_its_lines() {
    let failure = explore(&settings(7), racy_deposits).expect_err("two load-then-store deposits lose one");
    assert_eq!(failure.problem, Problem::Violation("balance 1 after two deposits of 1".into()));
    let loads: Vec<_> = failure.steps.iter().filter(|s| s.operation == "AtomicU64::load -> 0").collect();
    assert!(loads.len() >= 2, "both threads loaded 0 before either stored: {:?}", failure.steps);
    // The line of the load in this file (its source text is quoted only for
    // files found on disk by their path, as a rewritten copy's are).
    assert!(loads.iter().all(|s| s.file.ends_with("tests/harness.rs") && s.line > 0), "{loads:?}");
    let threads: Vec<_> = loads.iter().map(|s| s.thread.as_str()).collect();
    assert!(threads.contains(&"T1") && threads.contains(&"T2"), "{threads:?}");
}

#[test]
fn the_same_seed_replays_the_same_interleaving() {
    let first = explore(&settings(11), racy_deposits).unwrap_err();
    let second = explore(&settings(11), racy_deposits).unwrap_err();
    assert_eq!((first.scheduler, first.execution), (second.scheduler, second.execution));
    assert_eq!(first.steps, second.steps);
}

#[test]
fn a_correct_object_passes_every_execution() {
    static EXECUTIONS: AtomicUsize = AtomicUsize::new(0);
    let executions = explore(&settings(3), || {
        EXECUTIONS.fetch_add(1, StdOrdering::SeqCst);
        let balance = Arc::new(Mutex::new(0u64));
        let threads: Vec<_> = (0..2)
            .map(|i| {
                let balance = balance.clone();
                spawn(&format!("T{}", i + 1), move || *balance.lock().unwrap() += 1)
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let total = *balance.lock().unwrap();
        if total == 2 { Ok(()) } else { Err(format!("balance {total}")) }
    })
    .expect("a deposit under one lock never loses an update");
    assert_eq!(executions, 400);
    assert_eq!(EXECUTIONS.load(StdOrdering::SeqCst), 400);
}

#[test]
fn opposite_lock_orders_deadlock_and_the_trace_ends_where_threads_wait() {
    let failure = explore(&settings(5), || {
        let locks = Arc::new((Mutex::new(0), Mutex::new(0)));
        let a = locks.clone();
        let first = spawn("T1", move || {
            let _one = a.0.lock().unwrap();
            let _two = a.1.lock().unwrap();
        });
        let b = locks.clone();
        let second = spawn("T2", move || {
            let _two = b.1.lock().unwrap();
            let _one = b.0.lock().unwrap();
        });
        first.join().unwrap();
        second.join().unwrap();
        Ok(())
    })
    .expect_err("opposite lock orders deadlock in some interleaving");
    assert!(matches!(failure.problem, Problem::Deadlock(_)), "{:?}", failure.problem);
    let blocked: Vec<_> = failure.steps.iter().filter(|s| s.operation.contains("blocked here")).collect();
    assert_eq!(blocked.len(), 2, "{:?}", failure.steps);
}

#[test]
fn a_wait_under_if_is_caught_by_a_spurious_wake_up() {
    let failure = explore(&settings(9), || {
        let state = Arc::new((Mutex::new(false), Condvar::new()));
        let waiter_state = state.clone();
        let waiter = spawn("T1", move || {
            let (ready, condvar) = &*waiter_state;
            let mut guard = ready.lock().unwrap();
            if !*guard {
                guard = condvar.wait(guard).unwrap();
            }
            *guard
        });
        let (ready, condvar) = &*state;
        *ready.lock().unwrap() = true;
        condvar.notify_one();
        match waiter.join().unwrap() {
            true => Ok(()),
            false => Err("woke up with the flag still false".into()),
        }
    })
    .expect_err("std lets a Condvar wake up spuriously; an `if` does not wait again");
    assert!(matches!(failure.problem, Problem::Violation(_)), "{:?}", failure.problem);
    assert!(failure.steps.iter().any(|s| s.operation.contains("spuriously")), "{:?}", failure.steps);
}

#[test]
fn a_wait_under_while_survives_spurious_wake_ups_and_timeouts() {
    explore(&settings(9), || {
        let state = Arc::new((Mutex::new(0u32), Condvar::new()));
        let waiter_state = state.clone();
        let waiter = spawn("T1", move || {
            let (count, condvar) = &*waiter_state;
            let mut guard = condvar.wait_while(count.lock().unwrap(), |c| *c < 1).unwrap();
            // A timeout may be reported at any time (time is not modelled):
            // a correct caller waits again.
            loop {
                let (next, result) =
                    condvar.wait_timeout_while(guard, std::time::Duration::from_secs(1), |c| *c < 2).unwrap();
                guard = next;
                if !result.timed_out() {
                    break;
                }
            }
            *guard
        });
        let (count, condvar) = &*state;
        for _ in 0..2 {
            *count.lock().unwrap() += 1;
            condvar.notify_all();
        }
        match waiter.join().unwrap() {
            2 => Ok(()),
            other => Err(format!("woke up at {other}")),
        }
    })
    .expect("waits that recheck their condition are correct under any wake-up");
}

/// Half a MiB on the stack of each of two threads (shuttle's own default
/// stack is 60 KiB).
fn deep_stack() -> Result<(), String> {
    let total = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let total = total.clone();
            spawn(&format!("T{}", i + 1), move || {
                let buffer = std::hint::black_box([7u8; 512 * 1024]);
                total.fetch_add(buffer.iter().map(|&b| u64::from(b)).sum::<u64>(), Ordering::SeqCst);
            })
        })
        .collect();
    for worker in workers {
        worker.join().map_err(|_| "a thread panicked".to_string())?;
    }
    match total.load(Ordering::SeqCst) {
        sum if sum == 2 * 7 * 512 * 1024 => Ok(()),
        other => Err(format!("sum {other}")),
    }
}

#[test]
fn a_modelled_thread_has_a_real_threads_stack() {
    // With shuttle's 60 KiB this process would die of a stack overflow.
    assert_eq!(explore(&settings(9), deep_stack).err().map(|f| f.problem), None);
}
