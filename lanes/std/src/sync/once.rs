//! `Once` over shuttle's model.

use std::fmt;
use std::panic::Location;

pub use shuttle::sync::OnceState;

use crate::harness::record;

/// One-time initialisation (std's API over shuttle's model).
pub struct Once {
    inner: shuttle::sync::Once,
}

impl Once {
    /// A new `Once`.
    pub const fn new() -> Once {
        Once { inner: shuttle::sync::Once::new() }
    }

    /// Runs `f` if no call has completed yet; blocks while another runs.
    #[track_caller]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        record("Once::call_once", Location::caller());
        self.inner.call_once(f)
    }

    /// Like `call_once`, also after a poisoning panic.
    #[track_caller]
    pub fn call_once_force<F: FnOnce(&OnceState)>(&self, f: F) {
        record("Once::call_once_force", Location::caller());
        self.inner.call_once_force(f)
    }

    /// Whether a call has completed.
    #[track_caller]
    pub fn is_completed(&self) -> bool {
        record("Once::is_completed", Location::caller());
        self.inner.is_completed()
    }
}

impl Default for Once {
    fn default() -> Once {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Once { .. }")
    }
}
