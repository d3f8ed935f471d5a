//! A thread blocked in `push` or `pop` must sleep, not spin.
//!
//! Each test measures the CPU time of the blocked thread itself (the
//! per-thread CPU clock, read by that thread right before and right after
//! its blocking call) while the test keeps it waiting. A thread asleep on a
//! Condvar uses a few microseconds; a loop that checks the queue again and
//! again (even with `yield_now`) burns the whole wait.
//!
//! The clock: `clock_gettime(CLOCK_THREAD_CPUTIME_ID)` on Linux and macOS
//! (both account a thread's time at every switch, to the nanosecond on
//! Linux, the microsecond on macOS); `GetThreadTimes` on Windows, which
//! charges a whole clock tick (15.6 ms by default) to the thread that is
//! running when the tick comes, so a thread that ran for microseconds may
//! show a tick or two. The allowance on Windows adds two ticks for that.

use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use exercise_2::BoundedQueue;

/// How long the test keeps the thread blocked. Twice as long on Windows,
/// so that a spinning thread's CPU time stays well above the allowance
/// there, which is larger by the clock's ticks (see `cpu_allowed`).
const BLOCKED_FOR: Duration = Duration::from_millis(if cfg!(windows) { 1000 } else { 500 });

/// The CPU time the blocked thread may use while it waits. The contract
/// allows 10 ms per second; a sleeping thread uses well under 1 ms, while a
/// spinning one uses hundreds of ms here even on a loaded machine.
const CPU_ALLOWED: Duration = Duration::from_millis(10);

/// How long the test waits for the woken thread before calling it stuck.
const WAKES_WITHIN: Duration = Duration::from_secs(5);

/// The CPU time the calling thread has used so far.
#[cfg(unix)]
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec for the call to fill in.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "could not read the thread's CPU clock");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// The CPU time the calling thread has used so far (user and kernel time,
/// as Windows accounts them: in whole clock ticks, see the file's notes).
#[cfg(windows)]
fn thread_cpu_time() -> Duration {
    use windows_sys::Win32::Foundation::FILETIME;
    use windows_sys::Win32::System::Threading::{GetCurrentThread, GetThreadTimes};

    let zero = || FILETIME { dwLowDateTime: 0, dwHighDateTime: 0 };
    let (mut created, mut exited, mut kernel, mut user) = (zero(), zero(), zero(), zero());
    // SAFETY: GetCurrentThread returns a pseudo-handle that needs no closing
    // and is valid on the calling thread; the four pointers are to live,
    // writable FILETIMEs.
    let ok = unsafe { GetThreadTimes(GetCurrentThread(), &mut created, &mut exited, &mut kernel, &mut user) };
    assert!(ok != 0, "could not read the thread's CPU times: {}", std::io::Error::last_os_error());
    // FILETIME counts 100 ns units.
    let hundred_ns = |time: FILETIME| (u64::from(time.dwHighDateTime) << 32) | u64::from(time.dwLowDateTime);
    Duration::from_nanos((hundred_ns(kernel) + hundred_ns(user)) * 100)
}

/// The CPU time the blocked thread may use: [`CPU_ALLOWED`] where the clock
/// is exact (Linux, macOS).
#[cfg(unix)]
fn cpu_allowed() -> Duration {
    CPU_ALLOWED
}

/// The CPU time the blocked thread may use on Windows: [`CPU_ALLOWED`] plus
/// two clock ticks, one for each stretch the thread runs (before it blocks,
/// after it is woken), since a tick that comes while it runs is charged to
/// it whole. A spinning thread still uses hundreds of ms.
#[cfg(windows)]
fn cpu_allowed() -> Duration {
    use windows_sys::Win32::System::SystemInformation::GetSystemTimeAdjustment;

    let (mut adjustment, mut increment, mut disabled) = (0u32, 0u32, 0);
    // SAFETY: the three pointers are to live, writable locals.
    let ok = unsafe { GetSystemTimeAdjustment(&mut adjustment, &mut increment, &mut disabled) };
    // The increment is the time between two clock interrupts, in 100 ns
    // units; 15.625 ms is Windows' default and its longest.
    let tick = if ok != 0 && increment > 0 {
        Duration::from_nanos(u64::from(increment) * 100)
    } else {
        Duration::from_micros(15_625)
    };
    CPU_ALLOWED + 2 * tick.max(Duration::from_micros(15_625))
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
        measured.cpu < cpu_allowed(),
        "a thread blocked in {call} for {:?} used {:?} of CPU time (at most {:?} allowed): it spins, \
         checking the queue over and over, instead of sleeping until it is woken (wait on a Condvar)",
        measured.wall,
        measured.cpu,
        cpu_allowed()
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
