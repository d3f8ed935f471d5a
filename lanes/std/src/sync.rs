//! `std::sync` with shuttle's models of every blocking primitive.
//!
//! The wrappers keep std's API (guards, poisoning, `wait_while`, `try_lock`,
//! `fetch_update`, ...) and record each operation in the execution's trace
//! with the caller's source location. `Arc`, `Weak`, the poisoning types,
//! `OnceLock` and `LazyLock` are std's own: they never block under shuttle
//! unless an initialiser itself blocks, which the exercises have no reason to do.

mod barrier;
mod condvar;
mod mutex;
mod once;
mod rwlock;

pub mod atomic;
pub mod mpsc;

pub use barrier::{Barrier, BarrierWaitResult};
pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard};
pub use once::{Once, OnceState};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use std::sync::{Arc, LazyLock, LockResult, OnceLock, PoisonError, TryLockError, TryLockResult, Weak};

/// Maps the guard inside a lock result, keeping the poisoning.
fn map_lock<G, H>(result: LockResult<G>, wrap: impl FnOnce(G) -> H) -> LockResult<H> {
    match result {
        Ok(guard) => Ok(wrap(guard)),
        Err(poisoned) => Err(PoisonError::new(wrap(poisoned.into_inner()))),
    }
}

/// Maps the guard inside a `try_lock` result.
fn map_try_lock<G, H>(result: TryLockResult<G>, wrap: impl FnOnce(G) -> H) -> TryLockResult<H> {
    match result {
        Ok(guard) => Ok(wrap(guard)),
        Err(TryLockError::Poisoned(poisoned)) => {
            Err(TryLockError::Poisoned(PoisonError::new(wrap(poisoned.into_inner()))))
        }
        Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
    }
}
