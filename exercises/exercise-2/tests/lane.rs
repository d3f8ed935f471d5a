//! The controlled-scheduling lane: random small scenarios of concurrent
//! `push`, `pop`, `close`, `len`, `is_empty`, `is_closed`, `capacity` and
//! `parallel_sum` calls on one queue, run on a copy of `src/` whose
//! `std::sync` / `std::thread` are shuttle's models (see `build.rs`), under
//! shuttle's random and PCT schedulers.
//!
//! No bug list: an outcome passes only if the same calls, made one at a time
//! in some order that keeps non-overlapping calls in their real order, give
//! the same results and the same final contents under the contract (the
//! sequential model below, where a `push` on a full open queue and a `pop`
//! on an empty open one cannot happen yet). Only scenarios in which every
//! order lets every call finish are drawn, so a run whose threads all end
//! up blocked is a deadlock or a lost wake-up. The verdict does not depend
//! on the machine: the scheduler decides every interleaving, also on one CPU.
//!
//! `STRESS_SEED` replays a failure exactly; `STRESS_ROUNDS` sets how many
//! scenarios run.

include!(concat!(env!("OUT_DIR"), "/lane/student.rs"));

#[cfg(not(lane_unavailable))]
use student::{BoundedQueue, parallel_sum};
/// The contract of `BoundedQueue` and `parallel_sum`, one call at a time.
#[cfg(not(lane_unavailable))]
#[path = "spec/queue.rs"]
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
        lane_std::harness::check_scenarios::<spec::QueueSpec>(&stress, &LANE);
    }
}
