//! Tests of `get_many`: a sliding window of `limit` users, results in the
//! order of the ids, every method called once per user.
//!
//! Every test runs on tokio's paused clock (virtual, exact time), through a
//! scripted api that records when each user starts and finishes and how many
//! are in flight at once.

mod common;

use std::time::Duration;

use common::{Call, Plan, TestApi, check_get_many, describe, secs, within};
use exercise_3::{Order, SimulatedApi, User, UserWithOrders, get_many};
use futures::FutureExt;
use tokio::time::Instant;

/// Runs [`check_get_many`] and fails the test with the scenario and `what`.
async fn expect(plans: &[(u64, Plan)], limit: usize) {
    if let Err(what) = check_get_many(plans, limit).await {
        panic!("{what}\n  in: {}", describe(plans, limit));
    }
}

#[tokio::test(start_paused = true)]
async fn returns_one_result_per_id_in_the_order_of_the_ids() {
    // Later ids finish first, and two users fail (one in each call): the
    // results must still come back in the order of the ids.
    let plans = [
        (7, Plan::ok(5000, 4500)),
        (3, Plan::ok(3500, 4000)),
        (11, Plan::new(Call::fails(3000), Call::ok(2500))),
        (5, Plan::new(Call::ok(1500), Call::fails(2000))),
        (2, Plan::ok(1000, 500)),
    ];
    expect(&plans, 5).await;
}

#[tokio::test(start_paused = true)]
async fn one_failure_does_not_stop_the_others() {
    // The first user fails at once; the others still run and return their
    // own results.
    let plans = [
        (1, Plan::new(Call::fails(100), Call::fails(200))),
        (2, Plan::ok(1000, 2000)),
        (3, Plan::new(Call::ok(3000), Call::fails(1500))),
        (4, Plan::ok(2000, 1000)),
    ];
    expect(&plans, 2).await;
}

#[tokio::test(start_paused = true)]
async fn no_ids_give_an_empty_vec_and_no_calls() {
    let api = TestApi::new([]);
    let start = Instant::now();
    let results = within(1000, "get_many with no ids", get_many(&api, &[], 3)).await;
    assert!(results.is_empty(), "get_many with no ids returned {results:?} instead of an empty vector");
    assert!(api.called_ids().is_empty(), "get_many with no ids called the api");
    assert!(
        start.elapsed() < Duration::from_millis(10),
        "get_many with no ids took {} of tokio's time instead of returning at once",
        secs(start.elapsed())
    );
}

#[tokio::test(start_paused = true)]
async fn limit_one_fetches_one_user_at_a_time_and_limit_zero_panics() {
    let plans = [(1, Plan::ok(1000, 500)), (2, Plan::ok(500, 2000)), (3, Plan::ok(1000, 1000))];
    expect(&plans, 1).await;

    let api = TestApi::new([(1, Plan::ok(1000, 1000)), (2, Plan::ok(1000, 1000))]);
    // A limit of 0 would let no user through: get_many must refuse it with a
    // panic rather than wait forever (the virtual-time limit catches that).
    let outcome =
        within(1000, "get_many with limit 0", std::panic::AssertUnwindSafe(get_many(&api, &[1, 2], 0)).catch_unwind())
            .await;
    assert!(outcome.is_err(), "get_many with limit 0 returned instead of panicking");
}

#[tokio::test(start_paused = true)]
async fn the_window_holds_limit_users_never_more_never_fewer() {
    let plans: Vec<(u64, Plan)> = (1..=12).map(|id| (id, Plan::ok(300 * (id % 4 + 1), 200 * (id % 5 + 1)))).collect();
    expect(&plans, 3).await;
    let all_at_once: Vec<(u64, Plan)> = (20..30).map(|id| (id, Plan::ok(1000, 1000))).collect();
    expect(&all_at_once, 4).await;
}

#[tokio::test(start_paused = true)]
async fn a_free_slot_never_waits_for_an_earlier_slower_user() {
    // The contract's example: with limit 2, user 1 takes 5 s and user 2
    // takes 1 s, so user 3 starts at 1 s (when user 2 is done), not at 5 s.
    let plans = [(1, Plan::ok(5000, 4000)), (2, Plan::ok(1000, 500)), (3, Plan::ok(1000, 1000))];
    expect(&plans, 2).await;
    // The same with more users behind the slow one.
    let plans = [
        (1, Plan::ok(6000, 6000)),
        (2, Plan::ok(1000, 1000)),
        (3, Plan::ok(1000, 1000)),
        (4, Plan::ok(1000, 1000)),
        (5, Plan::ok(1000, 1000)),
    ];
    expect(&plans, 2).await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_user_frees_its_slot_at_once() {
    // User 1's fetch_user fails at 1 s while its orders would take 5 s: it is
    // out of flight at 1 s, so user 2 starts at 1 s, not at 5 s.
    let plans = [(1, Plan::new(Call::fails(1000), Call::ok(5000))), (2, Plan::ok(1000, 1000))];
    expect(&plans, 1).await;
    let plans = [(1, Plan::new(Call::ok(5000), Call::fails(1000))), (2, Plan::ok(1000, 1000))];
    expect(&plans, 1).await;
}

#[tokio::test(start_paused = true)]
async fn simulated_api_ten_users_four_at_a_time_take_three_seconds() {
    let api = SimulatedApi { latency: Duration::from_secs(1) };
    let ids: Vec<u64> = (1..=10).collect();
    let start = Instant::now();
    let results = within(1000, "get_many", get_many(&api, &ids, 4)).await;
    let elapsed = start.elapsed();
    let expected: Vec<_> = ids
        .iter()
        .map(|&id| {
            Ok(UserWithOrders {
                user: User { id, name: format!("User{id}") },
                orders: vec![Order { id: 1, total: 100 }, Order { id: 2, total: 200 }],
            })
        })
        .collect();
    assert_eq!(results, expected, "get_many(SimulatedApi, 1..=10, 4) returned the wrong results");
    assert!(
        elapsed >= Duration::from_secs(3) && elapsed < Duration::from_secs(4),
        "get_many of 10 users of 1 s each, 4 at a time, took {} instead of 3 s (three waves): {}",
        secs(elapsed),
        if elapsed < Duration::from_secs(3) {
            "more than 4 users ran at once, or it did not wait on tokio's timer"
        } else {
            "users did not run 4 at a time, or each user's two calls did not run at the same time"
        }
    );
}
