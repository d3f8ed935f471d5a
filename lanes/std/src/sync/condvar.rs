//! `Condvar` over shuttle's model, with std's whole waiting API.
//!
//! shuttle's timed waits never time out, so a correct program whose waits
//! end by timeout would look deadlocked. Here a timed wait releases the
//! lock, yields and reacquires it, and then reports a timeout one time in
//! [`TIMEOUT_ONE_IN`] (chosen by the scheduler's seeded randomness): time is
//! not modelled, so any amount of it may have passed. A correct caller
//! rechecks its condition either way; one that gives up when the timeout
//! fires (a `pop` returning `None` on an open queue) is caught.
//! `wait_timeout_while` waits through such wake-ups until its condition is
//! false or a timeout is reported.
//!
//! `wait` wakes up spuriously now and then (one wait in
//! [`SPURIOUS_ONE_IN`], chosen by the scheduler's seeded randomness, so a
//! replay repeats it), as std's documentation says it may: code that waits
//! under `if` instead of `while` goes on with a condition that does not hold.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use super::{LockResult, MutexGuard, PoisonError, map_lock};
use crate::harness::{blocking, record};

/// One `wait` in this many returns spuriously.
pub const SPURIOUS_ONE_IN: u64 = 6;

/// One timed wait in this many reports that its time elapsed.
pub const TIMEOUT_ONE_IN: u64 = 4;

/// A draw from the scheduler's seeded randomness: true one time in `n`.
fn one_in(n: u64) -> bool {
    shuttle::rand::RngCore::next_u64(&mut shuttle::rand::thread_rng()).is_multiple_of(n)
}

/// A condition variable (std's API over shuttle's model).
pub struct Condvar {
    inner: shuttle::sync::Condvar,
}

/// Whether a timed wait returned because its time elapsed.
#[derive(Debug, PartialEq, Eq, Copy, Clone)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// True if the wait's time is known to have elapsed.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl Condvar {
    /// A new condition variable.
    pub const fn new() -> Condvar {
        Condvar { inner: shuttle::sync::Condvar::new() }
    }

    /// Releases the lock and sleeps until notified, then relocks.
    #[track_caller]
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        let location = Location::caller();
        let taken_at = guard.location;
        record("waits on a Condvar (releases the lock)", location);
        let (mutex, inner) = guard.take();
        if one_in(SPURIOUS_ONE_IN) {
            drop(inner);
            shuttle::thread::yield_now();
            blocking("waits for the Mutex again after a spurious wake-up (blocked here)", location);
            let result = mutex.lock();
            record("wakes up spuriously from Condvar::wait (std allows this; the lock is held again)", location);
            return map_lock(result, |inner| MutexGuard::rewrap(mutex, inner, taken_at));
        }
        blocking("sleeps in Condvar::wait (blocked here)", location);
        let result = self.inner.wait(inner);
        record("wakes up from Condvar::wait (the lock is held again)", location);
        map_lock(result, |inner| MutexGuard::rewrap(mutex, inner, taken_at))
    }

    /// Waits while `condition` holds.
    #[track_caller]
    pub fn wait_while<'a, T, F>(&self, mut guard: MutexGuard<'a, T>, mut condition: F) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut *guard) {
            guard = self.wait(guard)?;
        }
        Ok(guard)
    }

    /// A timed wait: modelled as a spurious wake-up (see the module docs).
    #[track_caller]
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        duration: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let _ = duration;
        let location = Location::caller();
        let taken_at = guard.location;
        record("waits on a Condvar with a timeout (releases the lock)", location);
        let (mutex, inner) = guard.take();
        drop(inner);
        shuttle::thread::yield_now();
        blocking("waits for the Mutex again after Condvar::wait_timeout (blocked here)", location);
        let result = mutex.lock();
        let timed_out = one_in(TIMEOUT_ONE_IN);
        record(
            if timed_out {
                "Condvar::wait_timeout times out (the lock is held again)"
            } else {
                "wakes up from Condvar::wait_timeout (the lock is held again)"
            },
            location,
        );
        match map_lock(result, |inner| MutexGuard::rewrap(mutex, inner, taken_at)) {
            Ok(guard) => Ok((guard, WaitTimeoutResult(timed_out))),
            Err(poisoned) => Err(PoisonError::new((poisoned.into_inner(), WaitTimeoutResult(timed_out)))),
        }
    }

    /// Waits while `condition` holds, or until the time elapses.
    #[track_caller]
    pub fn wait_timeout_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        duration: Duration,
        mut condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        loop {
            if !condition(&mut *guard) {
                return Ok((guard, WaitTimeoutResult(false)));
            }
            let timed_out;
            (guard, timed_out) = match self.wait_timeout(guard, duration) {
                Ok((guard, result)) => (guard, result.timed_out()),
                Err(poisoned) => return Err(PoisonError::new((poisoned.into_inner().0, WaitTimeoutResult(false)))),
            };
            if timed_out {
                let still = condition(&mut *guard);
                return Ok((guard, WaitTimeoutResult(still)));
            }
        }
    }

    /// Wakes one waiting thread.
    #[track_caller]
    pub fn notify_one(&self) {
        record("notify_one on a Condvar", Location::caller());
        self.inner.notify_one();
    }

    /// Wakes every waiting thread.
    #[track_caller]
    pub fn notify_all(&self) {
        record("notify_all on a Condvar", Location::caller());
        self.inner.notify_all();
    }
}

impl Default for Condvar {
    fn default() -> Condvar {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Condvar { .. }")
    }
}
