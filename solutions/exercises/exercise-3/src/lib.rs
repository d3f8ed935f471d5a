//! exercise-3: async/await for I/O.
//!
//! `fetch_user` and `fetch_orders` each take one second. Awaited one after
//! the other they take two; run concurrently they take one. The skeleton's
//! `get_user_with_orders` awaits them sequentially and `get_many` has a
//! `todo!()` body; the student makes both concurrent. The crate uses tokio
//! (and may use the `futures` crate); both are dependencies of the skeleton.
//!
//! Reference solution: `tokio::try_join!` for the two calls of one user, and
//! a fair semaphore of `limit` permits around `join_all` for the sliding
//! window of `get_many`.

use std::future::Future;
use std::time::Duration;

use futures::future::join_all;
use tokio::sync::Semaphore;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: u64,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWithOrders {
    pub user: User,
    pub orders: Vec<Order>,
}

/// A failed remote call, with a human-readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(pub String);

/// The remote service. Tests supply their own implementations, with chosen
/// latencies and failures, and count the calls made.
pub trait Api: Sync {
    fn fetch_user(&self, user_id: u64) -> impl Future<Output = Result<User, ApiError>> + Send;
    fn fetch_orders(&self, user_id: u64) -> impl Future<Output = Result<Vec<Order>, ApiError>> + Send;
}

/// The service from the lesson: every call sleeps `latency` (tokio's timer)
/// and then succeeds. `fetch_user(id)` returns `User { id, name: format!("User{id}") }`;
/// `fetch_orders` returns orders 1 (total 100) and 2 (total 200).
pub struct SimulatedApi {
    pub latency: Duration,
}

// The methods keep the trait's `-> impl Future + Send` form rather than
// `async fn`, so that the `Send` promise the trait makes stays visible here.
#[allow(clippy::manual_async_fn, reason = "mirrors the trait's declaration")]
impl Api for SimulatedApi {
    fn fetch_user(&self, user_id: u64) -> impl Future<Output = Result<User, ApiError>> + Send {
        async move {
            // tokio's sleep yields to the runtime while it waits, as a real
            // network call would; `std::thread::sleep` would block it instead.
            tokio::time::sleep(self.latency).await;
            Ok(User { id: user_id, name: format!("User{user_id}") })
        }
    }

    fn fetch_orders(&self, _user_id: u64) -> impl Future<Output = Result<Vec<Order>, ApiError>> + Send {
        async move {
            tokio::time::sleep(self.latency).await;
            Ok(vec![Order { id: 1, total: 100 }, Order { id: 2, total: 200 }])
        }
    }
}

/// Fetches a user and their orders concurrently, calling each of the methods
/// `fetch_user` and `fetch_orders` exactly once. Takes as long as the slower
/// of the two calls, not their sum. If a call fails, returns the error of the
/// call that fails first, as soon as it fails, without waiting for the other
/// call.
pub async fn get_user_with_orders<A: Api>(api: &A, user_id: u64) -> Result<UserWithOrders, ApiError> {
    // `try_join!` polls both calls in the same task, so they wait at the same
    // time. Unlike `join!`, it returns as soon as either call fails (dropping,
    // and so cancelling, the other one), which is why the first error wins
    // and a failure never waits for the slower call.
    let (user, orders) = tokio::try_join!(api.fetch_user(user_id), api.fetch_orders(user_id))?;
    Ok(UserWithOrders { user, orders })
}

/// Fetches every user in `user_ids` with their orders (as
/// `get_user_with_orders` does) through a sliding window of `limit` users.
///
/// A user is in flight from the start of its first call until both of its
/// calls have finished (or one has failed). At most `limit` users are in
/// flight at once, and whenever fewer than `limit` are in flight while ids
/// remain, the next id in order starts at once: a slot never waits for an
/// earlier, slower user. For example, with `limit` 2 and ids [1, 2, 3] where
/// user 1 takes 5 s and user 2 takes 1 s, user 3 starts at 1 s, not at 5 s
/// (so `futures`' `buffered`, which holds a slot until earlier results are
/// yielded, is not enough on its own).
///
/// Returns one result per id, in the order of `user_ids`; one user's failure
/// does not stop the others. No ids give an empty vector. Panics if `limit`
/// is 0.
pub async fn get_many<A: Api>(api: &A, user_ids: &[u64], limit: usize) -> Vec<Result<UserWithOrders, ApiError>> {
    // A semaphore with no permits would make every fetch wait forever.
    assert!(limit > 0, "get_many needs a limit of at least 1");

    // One permit per slot of the window. A fetch holds its permit for as
    // long as its user is in flight; dropping the permit frees the slot for
    // the next waiting fetch at once, whatever the other fetches are doing.
    let slots = Semaphore::new(limit);
    let fetches = user_ids.iter().map(|&user_id| {
        let slots = &slots;
        async move {
            // The semaphore is never closed, so acquiring only fails if it
            // were: that would be a bug in this function.
            let _slot = slots.acquire().await.expect("the semaphore is never closed");
            get_user_with_orders(api, user_id).await
        }
    });
    // `join_all` first polls the fetches in the order of `user_ids`, so they
    // queue on the semaphore in that order, and tokio's semaphore is fair
    // (first come, first served): a freed slot always goes to the next id in
    // order. `join_all` also returns the results in the order of its input,
    // however the fetches interleave.
    join_all(fetches).await
}
