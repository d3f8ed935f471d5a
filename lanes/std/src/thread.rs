//! `std::thread` as shuttle's threads.
//!
//! Time is not modelled: `sleep` and `park_timeout` are yields, after which
//! any amount of time may have passed (a sleeping thread lets the others run,
//! which is all a correct program may rely on). Yields are not recorded in
//! the trace: they change no state.

pub use shuttle::thread::{
    AccessError, Builder, JoinHandle, LocalKey, Result, Scope, ScopedJoinHandle, Thread, ThreadId, current, panicking,
    park, scope, spawn,
};
pub use std::thread::available_parallelism;

use std::time::Duration;

/// Gives the other threads a turn.
pub fn yield_now() {
    shuttle::thread::yield_now();
}

/// Sleeps: a yield, after which any amount of time may have passed.
pub fn sleep(duration: Duration) {
    let _ = duration;
    shuttle::thread::yield_now();
}

/// Parks until unparked, or wakes spuriously (as std allows): modelled as a
/// yield, since shuttle cannot model the timeout firing.
pub fn park_timeout(duration: Duration) {
    let _ = duration;
    shuttle::thread::yield_now();
}
