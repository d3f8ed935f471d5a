//! `Barrier` over shuttle's model.

use std::fmt;
use std::panic::Location;

pub use shuttle::sync::BarrierWaitResult;

use crate::harness::{blocking, record};

/// A barrier for a fixed number of threads (std's API over shuttle's model).
pub struct Barrier {
    inner: shuttle::sync::Barrier,
}

impl Barrier {
    /// A barrier for `n` threads.
    pub fn new(n: usize) -> Barrier {
        Barrier { inner: shuttle::sync::Barrier::new(n) }
    }

    /// Blocks until `n` threads have called `wait`.
    #[track_caller]
    pub fn wait(&self) -> BarrierWaitResult {
        let location = Location::caller();
        record("arrives at a Barrier", location);
        blocking("waits at a Barrier (blocked here)", location);
        let result = self.inner.wait();
        record("leaves the Barrier", location);
        result
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Barrier { .. }")
    }
}
