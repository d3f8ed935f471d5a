//! Edge cases of `parallel_sum`: the arguments it must refuse, and the
//! pipelines with nothing to sum. (The stress tests check real sums.)
//!
//! Every call runs on a thread of its own, so that a pipeline that never
//! finishes fails the test within seconds instead of hanging it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use exercise_2::parallel_sum;

/// How long one small call may take. A correct pipeline takes well under a
/// millisecond; the margin is for a busy machine.
const FINISHES_WITHIN: Duration = Duration::from_secs(5);

/// Calls `parallel_sum` on a thread of its own: `Ok(total)` if it returned,
/// `Err(())` if it panicked. Fails the test if it does not finish.
fn call(producers: Vec<Vec<u64>>, consumers: usize, capacity: usize) -> Result<u64, ()> {
    let shape = format!("parallel_sum({producers:?}, {consumers}, {capacity})");
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let outcome = catch_unwind(AssertUnwindSafe(|| parallel_sum(producers, consumers, capacity)));
        let _ = sender.send(outcome.map_err(|_| ()));
    });
    match receiver.recv_timeout(FINISHES_WITHIN) {
        Ok(outcome) => outcome,
        Err(_) => panic!(
            "{shape} did not return within {} s: a thread of the pipeline waits forever \
             (a consumer never told that the queue is closed, or a producer blocked on a full \
             queue that nobody empties)",
            FINISHES_WITHIN.as_secs()
        ),
    }
}

#[test]
fn parallel_sum_panics_when_consumers_or_capacity_is_zero() {
    assert_eq!(call(vec![], 1, 1), Ok(0), "parallel_sum(vec![], 1, 1) must return 0: there is nothing to sum");
    assert_eq!(
        call(vec![vec![1, 2]], 0, 4),
        Err(()),
        "parallel_sum with 0 consumers must panic: nobody would ever take the numbers"
    );
    assert_eq!(
        call(vec![vec![1, 2]], 2, 0),
        Err(()),
        "parallel_sum with capacity 0 must panic: a queue of capacity 0 cannot hold a number"
    );
}

#[test]
fn parallel_sum_of_no_numbers_is_zero() {
    assert_eq!(call(vec![], 1, 1), Ok(0), "with no producers the total must be 0");
    assert_eq!(call(vec![], 1, 5), Ok(0), "with no producers the total must be 0");
    assert_eq!(call(vec![vec![], vec![], vec![]], 1, 2), Ok(0), "producers with no numbers must give a total of 0");
    assert_eq!(call(vec![vec![]], 1, 1), Ok(0), "a producer with no numbers must give a total of 0");
}
