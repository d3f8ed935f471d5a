//! exercise-1's documented behaviour, one guarantee per test.
//!
//! Each test first checks its guarantee on an account used by one thread,
//! then checks it again in a few thousand short rounds in which a second
//! thread deposits or withdraws at the same instant: the contract promises
//! every guarantee "whatever runs concurrently", and that is where a race
//! breaks it. Replay a failure with the `STRESS_SEED` its message prints;
//! `STRESS_ROUNDS` sets the number of rounds.

mod common;

use common::{Op, Round, run_rounds};
use exercise_1::Account;
use rand::Rng;

/// Rounds of each test here, unless `STRESS_ROUNDS` says otherwise.
const ROUNDS: u64 = 5_000;

#[test]
fn deposit_adds_to_the_balance() {
    let _exclusive = testkit::exclusive();
    let account = Account::new(1000);
    assert_eq!(account.balance(), 1000, "a new account must hold its initial balance");
    account.deposit(250);
    assert_eq!(account.balance(), 1250, "deposit(250) on 1000 must leave 1250");
    account.deposit(0);
    assert_eq!(account.balance(), 1250, "deposit(0) must not change the balance");

    // Two deposits at the same instant: both must count.
    let stress = testkit::stress!(ROUNDS);
    run_rounds(&stress, |rng| {
        let initial = rng.random_range(0..=10_000);
        let first = Op::Deposit(rng.random_range(1..=1_000));
        let second = Op::Deposit(rng.random_range(1..=1_000));
        Round::one_each(initial, first, second)
    });
}

#[test]
fn withdraw_zero_succeeds_and_changes_nothing() {
    let _exclusive = testkit::exclusive();
    for initial in [0, 1, 1000] {
        let account = Account::new(initial);
        assert!(account.withdraw(0), "withdraw(0) on a balance of {initial} must return true");
        assert_eq!(account.balance(), initial, "withdraw(0) must not change the balance (it was {initial})");
    }

    // withdraw(0) while the other thread deposits or withdraws.
    let stress = testkit::stress!(ROUNDS);
    run_rounds(&stress, |rng| {
        let initial = rng.random_range(1..=10_000);
        let other = if rng.random_bool(0.5) {
            Op::Deposit(rng.random_range(1..=1_000))
        } else {
            Op::Withdraw(rng.random_range(1..=initial))
        };
        if rng.random_bool(0.5) {
            Round::one_each(initial, Op::Withdraw(0), other)
        } else {
            Round::one_each(initial, other, Op::Withdraw(0))
        }
    });
}

#[test]
fn withdrawal_larger_than_the_balance_fails_and_changes_nothing() {
    let _exclusive = testkit::exclusive();
    let account = Account::new(1000);
    assert!(!account.withdraw(1001), "withdraw(1001) on a balance of 1000 must return false");
    assert_eq!(account.balance(), 1000, "a refused withdrawal must not change the balance");
    let empty = Account::new(0);
    assert!(!empty.withdraw(1), "withdraw(1) on a balance of 0 must return false");
    assert_eq!(empty.balance(), 0, "a refused withdrawal must not change the balance");

    // Each thread tries to withdraw more than the account will ever hold,
    // then deposits: the withdrawals must fail and both deposits must count.
    let stress = testkit::stress!(ROUNDS);
    run_rounds(&stress, |rng| {
        let initial = rng.random_range(0..=10_000);
        let deposits = [rng.random_range(1..=1_000), rng.random_range(1..=1_000)];
        let most = initial + deposits[0] + deposits[1];
        let threads = deposits.map(|deposit| {
            let too_much = most + rng.random_range(1..=1_000);
            vec![Op::Withdraw(too_much), Op::Deposit(deposit)]
        });
        Round { initial, threads }
    });
}

#[test]
fn withdrawal_the_balance_covers_succeeds_and_subtracts() {
    let _exclusive = testkit::exclusive();
    let account = Account::new(1000);
    assert!(account.withdraw(600), "withdraw(600) on a balance of 1000 must return true");
    assert_eq!(account.balance(), 400, "withdraw(600) on 1000 must leave 400");
    assert!(account.withdraw(400), "withdrawing the whole balance (400) must return true");
    assert_eq!(account.balance(), 0, "withdrawing the whole balance must leave 0");

    // A withdrawal the balance covers, while the other thread deposits or
    // makes a withdrawal that the balance covers as well: both must succeed.
    let stress = testkit::stress!(ROUNDS);
    run_rounds(&stress, |rng| {
        let initial = rng.random_range(1..=10_000);
        let amount = rng.random_range(1..=initial);
        let other = if rng.random_bool(0.5) {
            Op::Deposit(rng.random_range(1..=1_000))
        } else if rng.random_bool(0.25) {
            // Together the two take the whole balance, to the last unit.
            Op::Withdraw(initial - amount)
        } else {
            Op::Withdraw(rng.random_range(0..=initial - amount))
        };
        if rng.random_bool(0.5) {
            Round::one_each(initial, Op::Withdraw(amount), other)
        } else {
            Round::one_each(initial, other, Op::Withdraw(amount))
        }
    });
}
