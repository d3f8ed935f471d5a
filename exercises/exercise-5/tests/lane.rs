//! The controlled-scheduling lane: random small scenarios of concurrent
//! `transfer`, `balance`, `total`, `len` and `is_empty` calls on one bank,
//! run on a copy of `src/` whose `std::sync` / `std::thread` are shuttle's
//! models (see `build.rs`), under shuttle's random and PCT schedulers.
//!
//! No bug list: an outcome passes only if the same calls, made one at a time
//! in some order that keeps non-overlapping calls in their real order, give
//! the same results and the same final balances under the contract (the
//! sequential model below). A scenario whose threads all end up blocked is a
//! deadlock (the model never blocks), and a call that runs past the step
//! bound is a livelock. The verdict does not depend on the machine: the
//! scheduler decides every interleaving, also on one CPU.
//!
//! `STRESS_SEED` replays a failure exactly; `STRESS_ROUNDS` sets how many
//! scenarios run.

include!(concat!(env!("OUT_DIR"), "/lane/student.rs"));

#[cfg(not(lane_unavailable))]
use student::{Bank, TransferError};
/// The contract of `Bank`, one call at a time.
#[cfg(not(lane_unavailable))]
#[path = "spec/bank.rs"]
mod spec;

/// How hard the lane looks at each scenario (measured: scripts/measure-lane.sh).
#[cfg(not(lane_unavailable))]
const LANE: lane_std::harness::Lane = lane_std::harness::Lane {
    random_executions: 50,
    pct_executions: 50,
    pct_depth: 3,
    max_steps: 50_000,
    copy_root: concat!(env!("OUT_DIR"), "/lane/src"),
    src_root: concat!(env!("CARGO_MANIFEST_DIR"), "/src"),
};

#[test]
fn lane_scenarios_are_linearizable() {
    if let Some(reason) = LANE_UNAVAILABLE {
        testkit::lincheck::unavailable(reason);
        return;
    }
    #[cfg(not(lane_unavailable))]
    {
        let stress = testkit::stress!(120);
        lane_std::harness::check_scenarios::<spec::BankSpec>(&stress, &LANE);
    }
}
