//! `RwLock` and its guards over shuttle's model.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use super::{LockResult, TryLockResult, map_lock, map_try_lock};
use crate::harness::{blocking, record};

/// A reader-writer lock (std's API over shuttle's model).
pub struct RwLock<T: ?Sized> {
    inner: shuttle::sync::RwLock<T>,
}

/// Shared access to a locked [`RwLock`].
pub struct RwLockReadGuard<'a, T: ?Sized + 'a> {
    inner: Option<shuttle::sync::RwLockReadGuard<'a, T>>,
    location: &'static Location<'static>,
}

/// Exclusive access to a locked [`RwLock`].
pub struct RwLockWriteGuard<'a, T: ?Sized + 'a> {
    inner: Option<shuttle::sync::RwLockWriteGuard<'a, T>>,
    location: &'static Location<'static>,
}

impl<T> RwLock<T> {
    /// A new unlocked lock holding `value`.
    pub const fn new(value: T) -> RwLock<T> {
        RwLock { inner: shuttle::sync::RwLock::new(value) }
    }

    /// Consumes the lock and returns its value.
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks for reading.
    #[track_caller]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let location = Location::caller();
        blocking("waits to read-lock an RwLock (blocked here)", location);
        let result = self.inner.read();
        record("read-locks an RwLock", location);
        map_lock(result, |guard| RwLockReadGuard { inner: Some(guard), location })
    }

    /// Locks for writing.
    #[track_caller]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let location = Location::caller();
        blocking("waits to write-lock an RwLock (blocked here)", location);
        let result = self.inner.write();
        record("write-locks an RwLock", location);
        map_lock(result, |guard| RwLockWriteGuard { inner: Some(guard), location })
    }

    /// Read-locks if possible without blocking.
    #[track_caller]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        let location = Location::caller();
        let result = self.inner.try_read();
        record(
            if result.is_ok() { "try_read: read-locks an RwLock" } else { "try_read: the RwLock is taken" },
            location,
        );
        map_try_lock(result, |guard| RwLockReadGuard { inner: Some(guard), location })
    }

    /// Write-locks if possible without blocking.
    #[track_caller]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        let location = Location::caller();
        let result = self.inner.try_write();
        record(
            if result.is_ok() { "try_write: write-locks an RwLock" } else { "try_write: the RwLock is taken" },
            location,
        );
        map_try_lock(result, |guard| RwLockWriteGuard { inner: Some(guard), location })
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

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.inner.as_deref().expect("a guard holds its lock until dropped")
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.inner.as_deref().expect("a guard holds its lock until dropped")
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.inner.as_deref_mut().expect("a guard holds its lock until dropped")
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            record("releases the read lock taken here", self.location);
            drop(inner);
        }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            record("releases the write lock taken here", self.location);
            drop(inner);
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
