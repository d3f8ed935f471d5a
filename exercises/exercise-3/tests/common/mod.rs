//! A scripted `Api` for the tests, and the model of the expected schedule.
//!
//! Every call of [`TestApi`] sleeps a latency chosen by the test on tokio's
//! paused clock, then succeeds or fails as planned. The api counts the calls
//! per user, records when each user started (the first poll of its first
//! call) and finished (both calls done, or one failed), and how many users
//! were in flight at once. The tests run on tokio's paused clock, so these
//! times are exact and the tests are deterministic.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use exercise_3::{Api, ApiError, Order, User, UserWithOrders};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

/// How one call of the api behaves: how long it takes and whether it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    pub latency: Duration,
    pub fails: bool,
}

impl Call {
    /// A call that succeeds after `ms` milliseconds.
    pub fn ok(ms: u64) -> Call {
        Call { latency: Duration::from_millis(ms), fails: false }
    }

    /// A call that fails after `ms` milliseconds.
    pub fn fails(ms: u64) -> Call {
        Call { latency: Duration::from_millis(ms), fails: true }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = if self.fails { "fails" } else { "succeeds" };
        write!(f, "{outcome} after {}", secs(self.latency))
    }
}

/// How the two calls for one user behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub user: Call,
    pub orders: Call,
}

impl Plan {
    pub fn new(user: Call, orders: Call) -> Plan {
        Plan { user, orders }
    }

    /// Both calls succeed, after `user_ms` and `orders_ms`.
    pub fn ok(user_ms: u64, orders_ms: u64) -> Plan {
        Plan::new(Call::ok(user_ms), Call::ok(orders_ms))
    }

    /// How long a correct `get_user_with_orders` takes: the slower call, or
    /// the first failure if a call fails.
    pub fn duration(&self) -> Duration {
        let failures = [self.user, self.orders].into_iter().filter(|call| call.fails);
        match failures.map(|call| call.latency).min() {
            Some(first_failure) => first_failure,
            None => self.user.latency.max(self.orders.latency),
        }
    }

    /// What a correct `get_user_with_orders` returns for `user_id`. When both
    /// calls fail, the one that fails first wins (tests avoid exact ties).
    pub fn expected(&self, user_id: u64) -> Result<UserWithOrders, ApiError> {
        let user_error = self.user.fails.then(|| user_error(user_id));
        let orders_error = self.orders.fails.then(|| orders_error(user_id));
        match (user_error, orders_error) {
            (Some(u), Some(o)) => Err(if self.user.latency <= self.orders.latency { u } else { o }),
            (Some(u), None) => Err(u),
            (None, Some(o)) => Err(o),
            (None, None) => Ok(UserWithOrders { user: user(user_id), orders: orders(user_id) }),
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fetch_user {}, fetch_orders {}", self.user, self.orders)
    }
}

/// The user the test api returns for `user_id`.
pub fn user(user_id: u64) -> User {
    User { id: user_id, name: format!("test user {user_id}") }
}

/// The orders the test api returns for `user_id` (distinct per user, so a
/// result put in the wrong place shows).
pub fn orders(user_id: u64) -> Vec<Order> {
    vec![Order { id: user_id * 10 + 1, total: user_id + 5 }, Order { id: user_id * 10 + 2, total: 7 }]
}

pub fn user_error(user_id: u64) -> ApiError {
    ApiError(format!("fetch_user({user_id}) failed"))
}

pub fn orders_error(user_id: u64) -> ApiError {
    ApiError(format!("fetch_orders({user_id}) failed"))
}

/// What the test api recorded about one user.
#[derive(Debug, Clone, Default)]
pub struct UserLog {
    /// How many times `fetch_user` was called for this user.
    pub user_calls: usize,
    /// How many times `fetch_orders` was called for this user.
    pub orders_calls: usize,
    /// When the first call for this user started running, since the api was made.
    pub started: Option<Duration>,
    /// When the user stopped being in flight, since the api was made.
    pub finished: Option<Duration>,
    in_flight: bool,
    user_done: bool,
    orders_done: bool,
}

#[derive(Debug, Default)]
struct State {
    users: HashMap<u64, UserLog>,
    in_flight: usize,
    max_in_flight: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    User,
    Orders,
}

/// The scripted api. Make it inside a test on tokio's paused clock.
pub struct TestApi {
    plans: HashMap<u64, Plan>,
    base: Instant,
    state: Mutex<State>,
    /// A seeded order of polls ([`TestApi::with_poll_order`]), or none.
    poll_order: Option<Mutex<StdRng>>,
}

impl TestApi {
    pub fn new(plans: impl IntoIterator<Item = (u64, Plan)>) -> TestApi {
        TestApi { plans: plans.into_iter().collect(), base: Instant::now(), state: Mutex::default(), poll_order: None }
    }

    /// As [`TestApi::new`], and every call yields to the runtime a number of
    /// times drawn from `seed` (0 to 3) before it starts and again after its
    /// latency. On the paused clock a yield takes no time, so the contract's
    /// times stay exact, but the futures that are ready at one virtual
    /// instant are polled, and finish, in an order the seed decides: a
    /// scheduler of the test's making on top of tokio's, one deterministic
    /// interleaving of the tasks per seed.
    pub fn with_poll_order(plans: impl IntoIterator<Item = (u64, Plan)>, seed: u64) -> TestApi {
        TestApi { poll_order: Some(Mutex::new(StdRng::seed_from_u64(seed))), ..TestApi::new(plans) }
    }

    /// Yields as many times as the seeded poll order says (never without one).
    async fn reorder(&self) {
        let Some(rng) = &self.poll_order else { return };
        let yields = rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).random_range(0..=3);
        for _ in 0..yields {
            tokio::task::yield_now().await;
        }
    }

    /// What was recorded about `user_id` (all zero if it was never called).
    pub fn log(&self, user_id: u64) -> UserLog {
        self.state().users.get(&user_id).cloned().unwrap_or_default()
    }

    /// The most users that were in flight at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.state().max_in_flight
    }

    /// Every user id the api was called with.
    pub fn called_ids(&self) -> Vec<u64> {
        self.state().users.keys().copied().collect()
    }

    /// Checks that each method was called exactly once for every id in
    /// `user_ids` and never for any other id; returns what is wrong.
    pub fn check_calls_once(&self, user_ids: &[u64]) -> Result<(), String> {
        for user_id in self.called_ids() {
            if !user_ids.contains(&user_id) {
                return Err(format!("the api was called for user {user_id}, which was not asked for"));
            }
        }
        for &user_id in user_ids {
            let log = self.log(user_id);
            for (method, calls) in [("fetch_user", log.user_calls), ("fetch_orders", log.orders_calls)] {
                if calls != 1 {
                    let why = if calls == 0 {
                        "it was never made (awaiting one call after the other skips the second \
                         when the first fails)"
                    } else {
                        "it was made again (a `select!` in a loop, for instance, evaluates its \
                         branches anew on every iteration)"
                    };
                    return Err(format!(
                        "{method} was called {calls} times for user {user_id}: {why}; each of \
                         fetch_user and fetch_orders must be called exactly once per user"
                    ));
                }
            }
        }
        Ok(())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A failed assertion elsewhere must not hide behind a poisoned lock.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn plan(&self, user_id: u64) -> Plan {
        match self.plans.get(&user_id) {
            Some(plan) => *plan,
            None => panic!("the api was called for user {user_id}, which the test never asked for"),
        }
    }

    fn count_call(&self, user_id: u64, kind: Kind) {
        let mut state = self.state();
        let log = state.users.entry(user_id).or_default();
        match kind {
            Kind::User => log.user_calls += 1,
            Kind::Orders => log.orders_calls += 1,
        }
    }

    /// One call: counted when the method is called, started when its future
    /// is first polled, finished when its latency has passed on tokio's timer.
    async fn call(&self, user_id: u64, kind: Kind) -> Result<(), ApiError> {
        let plan = self.plan(user_id);
        let call = match kind {
            Kind::User => plan.user,
            Kind::Orders => plan.orders,
        };
        self.reorder().await;
        self.on_start(user_id);
        tokio::time::sleep(call.latency).await;
        self.reorder().await;
        self.on_end(user_id, kind, call.fails);
        if call.fails {
            Err(match kind {
                Kind::User => user_error(user_id),
                Kind::Orders => orders_error(user_id),
            })
        } else {
            Ok(())
        }
    }

    fn on_start(&self, user_id: u64) {
        let now = self.base.elapsed();
        let mut state = self.state();
        let log = state.users.entry(user_id).or_default();
        if log.started.is_some() {
            // The user is in flight already (its other call started first),
            // or it has finished and is being fetched again (the call counts
            // tell that mistake).
            return;
        }
        log.started = Some(now);
        log.in_flight = true;
        state.in_flight += 1;
        state.max_in_flight = state.max_in_flight.max(state.in_flight);
    }

    fn on_end(&self, user_id: u64, kind: Kind, failed: bool) {
        let now = self.base.elapsed();
        let mut state = self.state();
        let log = state.users.entry(user_id).or_default();
        if !log.in_flight {
            return;
        }
        match kind {
            Kind::User => log.user_done = true,
            Kind::Orders => log.orders_done = true,
        }
        // A user leaves the window when both calls are done or one failed.
        if failed || (log.user_done && log.orders_done) {
            log.in_flight = false;
            log.finished = Some(now);
            state.in_flight -= 1;
        }
    }
}

impl Api for TestApi {
    fn fetch_user(&self, user_id: u64) -> impl Future<Output = Result<User, ApiError>> + Send {
        self.count_call(user_id, Kind::User);
        async move { self.call(user_id, Kind::User).await.map(|()| user(user_id)) }
    }

    fn fetch_orders(&self, user_id: u64) -> impl Future<Output = Result<Vec<Order>, ApiError>> + Send {
        self.count_call(user_id, Kind::Orders);
        async move { self.call(user_id, Kind::Orders).await.map(|()| orders(user_id)) }
    }
}

/// The schedule a correct sliding window follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// When each user starts, in the order of the ids.
    pub starts: Vec<Duration>,
    /// When the last user finishes.
    pub total: Duration,
}

/// Simulates a sliding window of `limit` slots over users that take
/// `durations` each: the next user starts as soon as any slot is free.
pub fn sliding_window(durations: &[Duration], limit: usize) -> Schedule {
    let mut running: Vec<Duration> = Vec::new();
    let mut now = Duration::ZERO;
    let mut starts = Vec::new();
    let mut total = Duration::ZERO;
    for &duration in durations {
        if running.len() == limit {
            // Wait for the user that finishes first and take its slot.
            let (slot, &earliest) = running.iter().enumerate().min_by_key(|&(_, finish)| *finish).expect("limit > 0");
            running.swap_remove(slot);
            now = now.max(earliest);
        }
        starts.push(now);
        running.push(now + duration);
        total = total.max(now + duration);
    }
    Schedule { starts, total }
}

/// Formats a duration as seconds with millisecond precision.
pub fn secs(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

/// Whether `actual` is within a few milliseconds of `expected`. The paused
/// clock makes times exact; the slack only absorbs the timer's 1 ms ticks.
pub fn close(actual: Duration, expected: Duration) -> bool {
    let slack = Duration::from_millis(10);
    actual + slack >= expected && actual <= expected + slack
}

/// Runs `future` with a generous limit of virtual time, so that an
/// implementation that waits for something that never happens fails with a
/// clear message instead of hanging (the paused clock jumps to the limit).
pub async fn within<F: Future>(limit_secs: u64, what: &str, future: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(limit_secs), future).await {
        Ok(output) => output,
        Err(_) => panic!(
            "{what} had not returned after {limit_secs} s of (virtual) time, far longer than its \
             calls take: it waits for something that never happens"
        ),
    }
}

/// Runs `get_many` over `plans` (the ids in order, each with its plan) with
/// `limit`, and checks everything the contract promises: one result per id
/// in order, each method called once per user, never more than `limit`
/// users in flight, every user started when the sliding window says, and the
/// total time. Returns what is wrong, in plain words.
pub async fn check_get_many(plans: &[(u64, Plan)], limit: usize) -> Result<(), String> {
    check_get_many_with(TestApi::new(plans.iter().copied()), plans, limit).await
}

/// [`check_get_many`] on `api` (made from the same `plans`; with a seeded
/// poll order, say).
pub async fn check_get_many_with(api: TestApi, plans: &[(u64, Plan)], limit: usize) -> Result<(), String> {
    let ids: Vec<u64> = plans.iter().map(|&(id, _)| id).collect();
    let start = Instant::now();
    let results = within(10_000, "get_many", exercise_3::get_many(&api, &ids, limit)).await;
    let elapsed = start.elapsed();

    if results.len() != ids.len() {
        return Err(format!(
            "get_many returned {} results for {} ids: it must return exactly one result per id",
            results.len(),
            ids.len()
        ));
    }
    api.check_calls_once(&ids)?;
    let max_in_flight = api.max_in_flight();
    if max_in_flight > limit {
        return Err(format!(
            "{max_in_flight} users were in flight at the same time with a limit of {limit}: \
             get_many does not cap the number of users fetched at once"
        ));
    }
    for (i, (&(id, plan), result)) in plans.iter().zip(&results).enumerate() {
        let expected = plan.expected(id);
        if *result != expected {
            return Err(format!(
                "result {} (user {id}, whose {plan}) is {result:?} instead of {expected:?}: results \
                 must come in the order of the ids, each user's own result, and one user's \
                 failure must not change the others'",
                i + 1
            ));
        }
    }
    let durations: Vec<Duration> = plans.iter().map(|(_, plan)| plan.duration()).collect();
    let model = sliding_window(&durations, limit);
    for (i, (&(id, _), &due)) in plans.iter().zip(&model.starts).enumerate() {
        let Some(started) = api.log(id).started else {
            return Err(format!("user {id} was never fetched (its calls were never awaited)"));
        };
        if close(started, due) {
            continue;
        }
        let why = if started > due {
            format!(
                "a slot was free at {} but the next id waited: the window must start the next \
                 id as soon as any user finishes, never wait for an earlier, slower user (batches \
                 of `limit`, or `buffered`, hold slots until earlier users finish), and a user \
                 whose call failed frees its slot at once",
                secs(due)
            )
        } else {
            "it started before a slot was free, or out of the order of the ids".to_string()
        };
        return Err(format!(
            "user {id} (id number {} of {}) started at {} instead of {}: {why}",
            i + 1,
            ids.len(),
            secs(started),
            secs(due)
        ));
    }
    if !close(elapsed, model.total) {
        return Err(format!(
            "get_many returned after {} instead of {} (when its last user finished): {}",
            secs(elapsed),
            secs(model.total),
            if elapsed < model.total {
                "it did not wait for every user on tokio's timer"
            } else {
                "it kept waiting after every user had finished"
            }
        ));
    }
    Ok(())
}

/// Describes a `get_many` scenario for a failure message.
pub fn describe(plans: &[(u64, Plan)], limit: usize) -> String {
    let users: Vec<String> = plans.iter().map(|(id, plan)| format!("\n    user {id}: {plan}")).collect();
    format!("get_many with limit {limit} over {} ids:{}", plans.len(), users.concat())
}
