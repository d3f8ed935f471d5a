//! `Mutex` and its guard over shuttle's model.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use super::{LockResult, TryLockResult, map_lock, map_try_lock};
use crate::harness::{blocking, record};

/// A mutual exclusion lock (std's API over shuttle's model).
pub struct Mutex<T: ?Sized> {
    inner: shuttle::sync::Mutex<T>,
}

/// The guard of a locked [`Mutex`]; the lock is released when it is dropped.
pub struct MutexGuard<'a, T: ?Sized + 'a> {
    mutex: &'a shuttle::sync::Mutex<T>,
    /// `None` only while a `Condvar` wait holds the real guard.
    inner: Option<shuttle::sync::MutexGuard<'a, T>>,
    /// Where the lock was taken: the unlock is shown at that line.
    pub(super) location: &'static Location<'static>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    pub const fn new(value: T) -> Mutex<T> {
        Mutex { inner: shuttle::sync::Mutex::new(value) }
    }

    /// Consumes the mutex and returns its value.
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks, blocking until the lock is free.
    #[track_caller]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let location = Location::caller();
        blocking("waits for a Mutex (blocked here)", location);
        let result = self.inner.lock();
        record("locks a Mutex", location);
        map_lock(result, |guard| MutexGuard::new(&self.inner, guard, location))
    }

    /// Locks if the lock is free, without blocking.
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let location = Location::caller();
        let result = self.inner.try_lock();
        record(if result.is_ok() { "try_lock: locks a Mutex" } else { "try_lock: the Mutex is taken" }, location);
        map_try_lock(result, |guard| MutexGuard::new(&self.inner, guard, location))
    }

    /// A mutable reference to the value, without locking.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.inner.get_mut()
    }

    /// Clears the poisoned state.
    pub fn clear_poison(&self) {
        self.inner.clear_poison()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(
        mutex: &'a shuttle::sync::Mutex<T>,
        inner: shuttle::sync::MutexGuard<'a, T>,
        location: &'static Location<'static>,
    ) -> Self {
        MutexGuard { mutex, inner: Some(inner), location }
    }

    /// Takes the real guard out (for a `Condvar` wait); the emptied guard
    /// then drops without unlocking.
    pub(super) fn take(mut self) -> (&'a shuttle::sync::Mutex<T>, shuttle::sync::MutexGuard<'a, T>) {
        let inner = self.inner.take().expect("a guard holds its lock until dropped");
        (self.mutex, inner)
    }

    pub(super) fn rewrap(
        mutex: &'a shuttle::sync::Mutex<T>,
        inner: shuttle::sync::MutexGuard<'a, T>,
        location: &'static Location<'static>,
    ) -> Self {
        MutexGuard::new(mutex, inner, location)
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.inner.as_deref().expect("a guard holds its lock until dropped")
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.inner.as_deref_mut().expect("a guard holds its lock until dropped")
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            record("unlocks the Mutex locked here (its guard is dropped)", self.location);
            drop(inner);
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
