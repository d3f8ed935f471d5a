//! `Condvar` over shuttle's model, with std's whole waiting API.
//!
//! shuttle's timed waits never time out, so a correct program whose waits
//! end by timeout would look deadlocked. Here a timed wait releases the
//! lock, yields and reacquires it: a spurious wake-up, which std allows and
//! every correct caller rechecks its condition after. `wait_timeout_while`
//! reports a timeout after many such wake-ups without the condition
//! becoming false, as a real long wait would.
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

/// How many spurious wake-ups `wait_timeout_while` waits before timing out.
const TIMED_WAIT_ROUNDS: usize = 64;

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
        if shuttle::rand::RngCore::next_u64(&mut shuttle::rand::thread_rng()).is_multiple_of(SPURIOUS_ONE_IN) {
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
        record("wakes up from Condvar::wait_timeout (the lock is held again)", location);
        match map_lock(result, |inner| MutexGuard::rewrap(mutex, inner, taken_at)) {
            Ok(guard) => Ok((guard, WaitTimeoutResult(false))),
            Err(poisoned) => Err(PoisonError::new((poisoned.into_inner(), WaitTimeoutResult(false)))),
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
        for _ in 0..TIMED_WAIT_ROUNDS {
            if !condition(&mut *guard) {
                return Ok((guard, WaitTimeoutResult(false)));
            }
            guard = match self.wait_timeout(guard, duration) {
                Ok((guard, _)) => guard,
                Err(poisoned) => return Err(PoisonError::new((poisoned.into_inner().0, WaitTimeoutResult(false)))),
            };
        }
        let timed_out = condition(&mut *guard);
        Ok((guard, WaitTimeoutResult(timed_out)))
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
