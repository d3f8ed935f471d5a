//! Tests of `get_user_with_orders` (and of `SimulatedApi`): the two calls run
//! at the same time, each exactly once, and the first failure returns at once.
//!
//! Every test runs on tokio's paused clock: time is virtual, jumps ahead
//! whenever every task waits on a timer, and is exact. A test therefore takes
//! microseconds of real time, and an implementation that does not wait on
//! tokio's timer at all (or blocks the thread with `std::thread::sleep`)
//! shows up as taking no time.

mod common;

use std::time::Duration;

use common::{Call, Plan, TestApi, orders_error, secs, user_error, within};
use exercise_3::{Api, ApiError, Order, SimulatedApi, User, UserWithOrders, get_user_with_orders};
use tokio::time::Instant;

/// Runs `get_user_with_orders` for one user with the given plan and checks
/// the result, the call counts and that it returned within
/// [`Plan::duration`] (the slower call, or the first failure) plus less than
/// a second.
async fn check_one(plan: Plan, lesson: &str) {
    let user_id = 7;
    let api = TestApi::new([(user_id, plan)]);
    let start = Instant::now();
    let result = within(1000, "get_user_with_orders", get_user_with_orders(&api, user_id)).await;
    let elapsed = start.elapsed();
    // Wrong call counts explain any timing that follows, so they come first.
    if let Err(what) = api.check_calls_once(&[user_id]) {
        panic!("{what} (get_user_with_orders, when {plan})");
    }
    let due = plan.duration();
    assert!(
        elapsed >= due,
        "get_user_with_orders returned after {} when {plan}: before the call that decides the \
         result had finished, so it did not wait for it on tokio's timer",
        secs(elapsed)
    );
    assert!(
        elapsed < due + Duration::from_secs(1),
        "get_user_with_orders returned after {} when {plan}, instead of at {}: {lesson}",
        secs(elapsed),
        secs(due)
    );
    let expected = plan.expected(user_id);
    assert_eq!(result, expected, "get_user_with_orders returned the wrong result when {plan}");
}

#[tokio::test(start_paused = true)]
async fn simulated_api_user_with_orders_takes_one_second_not_two() {
    let api = SimulatedApi { latency: Duration::from_secs(1) };

    // The service itself: each call sleeps its latency, then succeeds.
    let start = Instant::now();
    let user = api.fetch_user(42).await;
    let user_time = start.elapsed();
    let start = Instant::now();
    let orders = api.fetch_orders(42).await;
    let orders_time = start.elapsed();
    let expected_user = User { id: 42, name: "User42".to_string() };
    let expected_orders = vec![Order { id: 1, total: 100 }, Order { id: 2, total: 200 }];
    assert_eq!(user, Ok(expected_user.clone()), "SimulatedApi::fetch_user(42) returned the wrong user");
    assert_eq!(orders, Ok(expected_orders.clone()), "SimulatedApi::fetch_orders(42) returned the wrong orders");
    for (method, took) in [("fetch_user", user_time), ("fetch_orders", orders_time)] {
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(2),
            "SimulatedApi::{method} took {} of tokio's time instead of its latency of 1 s: it must \
             wait with tokio::time::sleep",
            secs(took)
        );
    }

    // Both calls at once: one second, not two.
    let start = Instant::now();
    let result = within(1000, "get_user_with_orders", get_user_with_orders(&api, 42)).await;
    let elapsed = start.elapsed();
    assert_eq!(
        result,
        Ok(UserWithOrders { user: expected_user, orders: expected_orders }),
        "get_user_with_orders(SimulatedApi, 42) returned the wrong result"
    );
    assert!(
        elapsed >= Duration::from_secs(1),
        "get_user_with_orders took {}, less than the 1 s each call takes: it did not wait for \
         the calls on tokio's timer",
        secs(elapsed)
    );
    assert!(
        elapsed < Duration::from_secs(2),
        "get_user_with_orders took {} with two calls of 1 s each: the calls were awaited one \
         after the other (their times add up) instead of running at the same time",
        secs(elapsed)
    );
}

#[tokio::test(start_paused = true)]
async fn takes_as_long_as_the_slower_call_and_calls_each_method_once() {
    let lesson = "the two calls did not run at the same time (their times add up)";
    check_one(Plan::ok(1000, 3000), lesson).await;
    check_one(Plan::ok(3000, 1000), lesson).await;
    check_one(Plan::ok(2000, 2000), lesson).await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_call_returns_its_error_at_once() {
    let lesson = "a failed call must end get_user_with_orders at once, without waiting for \
                  the other call (join! waits for both; awaiting one after the other waits \
                  for the first)";
    // The orders fail after 1 s while the user takes 5 s.
    check_one(Plan::new(Call::ok(5000), Call::fails(1000)), lesson).await;
    // The user fails after 1 s while the orders take 5 s.
    check_one(Plan::new(Call::fails(1000), Call::ok(5000)), lesson).await;
}

#[tokio::test(start_paused = true)]
async fn when_both_calls_fail_the_first_failure_wins() {
    let lesson = "when both calls fail, the error of the call that fails first must be \
                  returned as soon as it fails";
    let cases = [
        (Plan::new(Call::fails(3000), Call::fails(1000)), orders_error(7)),
        (Plan::new(Call::fails(1000), Call::fails(3000)), user_error(7)),
    ];
    for (plan, expected) in cases {
        let expected: Result<UserWithOrders, ApiError> = Err(expected);
        assert_eq!(plan.expected(7), expected, "the test's own model is wrong");
        check_one(plan, lesson).await;
    }
}
