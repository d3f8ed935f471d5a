//! A thread blocked in `push` or `pop` must sleep, not spin.
//!
//! Each test measures the CPU time of the blocked thread itself (Linux's
//! per-thread CPU clock, read by that thread right before and right after
//! its blocking call) while the test keeps it waiting. A thread asleep on a
//! Condvar uses a few microseconds; a loop that checks the queue again and
//! again (even with `yield_now`) burns the whole wait.

use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use exercise_2::BoundedQueue;

/// How long the test keeps the thread blocked.
const BLOCKED_FOR: Duration = Duration::from_millis(500);

/// The CPU time the blocked thread may use while it waits. The contract
/// allows 10 ms per second; a sleeping thread uses well under 1 ms, while a
/// spinning one uses hundreds of ms here even on a loaded machine.
const CPU_ALLOWED: Duration = Duration::from_millis(10);

/// How long the test waits for the woken thread before calling it stuck.
const WAKES_WITHIN: Duration = Duration::from_secs(5);

/// The CPU time the calling thread has used so far.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec for the call to fill in.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "could not read the thread's CPU clock");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// What the blocked thread saw: its call's result, the CPU time it used
/// inside the call, and the wall time the call took.
struct Measured<R> {
    result: R,
    cpu: Duration,
    wall: Duration,
}

/// Runs `call` on a new thread, measuring that thread's own CPU time around
/// it.
fn measure_in_thread<R: Send + 'static>(call: impl FnOnce() -> R + Send + 'static) -> mpsc::Receiver<Measured<R>> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let (cpu_before, started) = (thread_cpu_time(), Instant::now());
        let result = call();
        let (cpu, wall) = (thread_cpu_time() - cpu_before, started.elapsed());
        let _ = sender.send(Measured { result, cpu, wall });
    });
    receiver
}

fn wait_for<R>(receiver: &mpsc::Receiver<Measured<R>>, call: &str) -> Measured<R> {
    match receiver.recv_timeout(BLOCKED_FOR + WAKES_WITHIN) {
        Ok(measured) => measured,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{call} was never woken up: it stayed blocked after the queue changed (a lost wakeup)")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the thread calling {call} panicked"),
    }
}

fn assert_slept<R>(measured: &Measured<R>, call: &str) {
    assert!(
        measured.cpu < CPU_ALLOWED,
        "a thread blocked in {call} for {:?} used {:?} of CPU time (at most {:?} allowed): it spins, \
         checking the queue over and over, instead of sleeping until it is woken (wait on a Condvar)",
        measured.wall,
        measured.cpu,
        CPU_ALLOWED
    );
}

#[test]
fn a_blocked_pop_sleeps_instead_of_spinning() {
    let queue = Arc::new(BoundedQueue::new(1));
    let popper = {
        let queue = queue.clone();
        measure_in_thread(move || queue.pop())
    };
    thread::sleep(BLOCKED_FOR);
    queue.push(42).unwrap();
    let measured = wait_for(&popper, "pop");
    assert_eq!(measured.result, Some(42), "a waiting pop must return the item pushed while it waited");
    assert_slept(&measured, "pop");
}

#[test]
fn a_blocked_push_sleeps_instead_of_spinning() {
    let queue = Arc::new(BoundedQueue::new(1));
    queue.push(1).unwrap();
    let pusher = {
        let queue = queue.clone();
        measure_in_thread(move || queue.push(2))
    };
    thread::sleep(BLOCKED_FOR);
    assert_eq!(queue.pop(), Some(1), "pop must return the oldest item");
    let measured = wait_for(&pusher, "push");
    assert_eq!(measured.result, Ok(()), "a waiting push must succeed once there is room");
    assert_eq!(queue.pop(), Some(2), "the waiting push must have added its item");
    assert_slept(&measured, "push");
}
