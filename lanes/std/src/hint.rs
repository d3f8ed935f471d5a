//! `std::hint` with `spin_loop` as a yield to the scheduler.
//!
//! A spinning thread waits for another one to move; under shuttle only the
//! scheduler can let the other one run, and the yield tells PCT to lower the
//! spinner's priority (otherwise a spin loop could starve the lock holder
//! until the step bound).

pub use std::hint::*;

/// Signals a spin loop: a yield point for the controlled scheduler. Not
/// recorded in the trace: a yield changes no state, and a counterexample
/// shows the steps that do.
pub fn spin_loop() {
    shuttle::hint::spin_loop();
}
