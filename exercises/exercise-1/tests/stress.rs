//! exercise-1's stress tests: tens of thousands of short rounds in which two
//! threads, lined up to start at the same instant, race on a fresh account.
//!
//! A race shows up in only a fraction of the rounds, so these tests run many;
//! one bad round fails the test. Replay a failure with the `STRESS_SEED` its
//! message prints; run heavier with `STRESS_ROUNDS`.

mod common;

use common::{Op, Round, run_rounds};
use rand::Rng;
use testkit::StdRng;

/// Rounds of each stress test, unless `STRESS_ROUNDS` says otherwise.
const ROUNDS: u64 = 50_000;

/// A withdrawal of more than half of `balance`: two of them never both fit.
fn more_than_half(rng: &mut StdRng, balance: u64) -> Op {
    Op::Withdraw(rng.random_range(balance / 2 + 1..=balance))
}

/// A withdrawal of more than `balance`: it must fail.
fn more_than(rng: &mut StdRng, balance: u64) -> Op {
    Op::Withdraw(rng.random_range(balance + 1..=2 * balance + 1))
}

#[test]
fn two_withdrawals_never_both_succeed() {
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(ROUNDS);
    // Each withdrawal is covered alone, never both together (600 and 600
    // from 1000): exactly one must succeed.
    run_rounds(&stress, |rng| {
        let initial = rng.random_range(1..=10_000);
        Round::one_each(initial, more_than_half(rng, initial), more_than_half(rng, initial))
    });
}

#[test]
fn balance_never_goes_below_zero() {
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(ROUNDS);
    // Mostly withdrawals that the balance does not cover: they must fail,
    // even when both threads try at once, and no thread may ever see the
    // balance below zero (as a huge, wrapped-around number). The rest are
    // withdrawals of more than half, of which only one may succeed.
    run_rounds(&stress, |rng| {
        let initial = rng.random_range(1..=10_000);
        let pick = |rng: &mut StdRng| {
            if rng.random_bool(0.75) { more_than(rng, initial) } else { more_than_half(rng, initial) }
        };
        let first = pick(rng);
        let second = pick(rng);
        Round::one_each(initial, first, second)
    });
}

#[test]
fn mixed_deposits_and_withdrawals_stay_consistent() {
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(ROUNDS);
    // Each thread makes one or two random calls, with amounts around the
    // balance: every outcome must be one that some one-at-a-time order of
    // the calls would give.
    run_rounds(&stress, |rng| {
        let initial = rng.random_range(0..=10_000);
        let threads = [(); 2].map(|()| {
            let calls = rng.random_range(1..=common::MAX_OPS);
            (0..calls)
                .map(|_| {
                    let amount = rng.random_range(0..=initial + initial / 2 + 10);
                    if rng.random_bool(0.4) { Op::Deposit(amount) } else { Op::Withdraw(amount) }
                })
                .collect()
        });
        Round { initial, threads }
    });
}

use exercise_1::Account;

/// The contract of `Account`, one call at a time, with its scenarios
/// (shared with `tests/lane.rs`, which runs them under the controlled
/// scheduler).
#[path = "spec/account.rs"]
mod spec;

/// No list of bug shapes: small random scenarios of the whole API (2–3
/// threads, 1–3 calls each, arguments chosen to compete) on real threads,
/// each accepted only if some order of the same calls, one at a time,
/// explains every result and the final state (linearizability). Calls that
/// wait for each other for good fail after 5 s with the scenario.
#[test]
fn scenarios_on_real_threads_are_linearizable() {
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(5_000);
    testkit::lincheck::assert_linearizable_on_threads::<spec::AccountSpec>(&stress, std::time::Duration::from_secs(5));
}
