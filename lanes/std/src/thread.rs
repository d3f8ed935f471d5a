//! `std::thread` as shuttle's threads.
//!
//! Time is not modelled: `sleep` and `park_timeout` are yields, after which
//! any amount of time may have passed (a sleeping thread lets the others run,
//! which is all a correct program may rely on). Yields are not recorded in
//! the trace: they change no state.
//!
//! The handles (`JoinHandle`, `Scope`, `ScopedJoinHandle`, `Builder`) wrap
//! shuttle's so that their `Debug` text is std's, field for field: code that
//! printed a handle (or let a panic message print it, and read the message
//! back from `join`) would otherwise learn which lane runs it and could
//! behave only where it is watched (SECURITY.md, attack 19).
//! `tests/debug_text.rs` compares every one with std's under the toolchain
//! in use.

pub use shuttle::thread::{AccessError, LocalKey, Result, Thread, ThreadId, current, panicking, park};
pub use std::thread::available_parallelism;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// Spawns a modelled thread.
pub fn spawn<F, T>(work: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    JoinHandle { inner: shuttle::thread::spawn(work) }
}

/// An owned permission to join a thread.
pub struct JoinHandle<T> {
    inner: shuttle::thread::JoinHandle<T>,
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish; `Err` with its panic payload if it
    /// panicked.
    pub fn join(self) -> Result<T> {
        self.inner.join()
    }

    /// The thread's handle.
    pub fn thread(&self) -> &Thread {
        self.inner.thread()
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").finish_non_exhaustive()
    }
}

/// Runs `f` with a scope whose threads are all joined before it returns.
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    shuttle::thread::scope(|inner| {
        let scope = Scope::wrap(inner);
        let main = identity_of_current();
        SCOPES.with(|scopes| scopes.borrow_mut().insert(scope.key(), ScopeState { running: 0, panicked: false, main }));
        f(scope)
    })
}

/// A scope to spawn scoped threads in.
#[repr(transparent)]
pub struct Scope<'scope, 'env: 'scope> {
    inner: shuttle::thread::Scope<'scope, 'env>,
}

impl<'scope, 'env> Scope<'scope, 'env> {
    fn wrap<'a>(inner: &'a shuttle::thread::Scope<'scope, 'env>) -> &'a Scope<'scope, 'env> {
        // SAFETY: `Scope` is `repr(transparent)` over shuttle's `Scope`, so
        // the two references have the same layout and the same referent.
        unsafe { &*(inner as *const shuttle::thread::Scope<'scope, 'env>).cast::<Scope<'scope, 'env>>() }
    }

    /// What tells this scope's bookkeeping from another live scope's.
    fn key(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    /// Spawns a thread that may borrow from outside the scope.
    pub fn spawn<F, T>(&'scope self, work: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let key = self.key();
        with_scope(key, |state| state.running += 1);
        ScopedJoinHandle {
            inner: self.inner.spawn(move || {
                // As std counts: the thread stops running, and says whether
                // it panicked, after its closure has returned or unwound.
                let _finished = Finished(key);
                work()
            }),
        }
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (running, panicked, main) = with_scope(self.key(), |s| (s.running, s.panicked, s.main.clone()))
            .unwrap_or((0, false, Identity { id: 0, name: None }));
        f.debug_struct("Scope")
            .field("num_running_threads", &running)
            .field("a_thread_panicked", &panicked)
            .field("main_thread", &main)
            .finish_non_exhaustive()
    }
}

/// An owned permission to join a scoped thread.
pub struct ScopedJoinHandle<'scope, T> {
    inner: shuttle::thread::ScopedJoinHandle<'scope, T>,
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the thread to finish; `Err` with its panic payload if it
    /// panicked.
    pub fn join(self) -> Result<T> {
        self.inner.join()
    }

    /// The thread's handle.
    pub fn thread(&self) -> &Thread {
        self.inner.thread()
    }

    /// Whether the thread's closure has returned.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedJoinHandle").finish_non_exhaustive()
    }
}

/// A thread factory: a name and a stack size (the stack size is not
/// modelled).
#[derive(Default)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    pub fn name(mut self, name: String) -> Builder {
        self.name = Some(name);
        self
    }

    pub fn stack_size(mut self, size: usize) -> Builder {
        self.stack_size = Some(size);
        self
    }

    pub fn spawn<F, T>(self, work: F) -> std::io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let mut builder = shuttle::thread::Builder::new();
        if let Some(name) = self.name.clone() {
            builder = builder.name(name);
        }
        if let Some(size) = self.stack_size {
            builder = builder.stack_size(size);
        }
        let name = self.name;
        let inner = builder.spawn(move || {
            named(name);
            work()
        })?;
        Ok(JoinHandle { inner })
    }

    /// Spawns a scoped thread (shuttle's scoped threads are unnamed, so the
    /// name is kept for `Debug` text only).
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &'scope Scope<'scope, 'env>,
        work: F,
    ) -> std::io::Result<ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let name = self.name;
        Ok(scope.spawn(move || {
            named(name);
            work()
        }))
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("name", &self.name)
            .field("stack_size", &self.stack_size)
            .field("no_hooks", &false)
            .finish()
    }
}

/// How a thread appears in std's `Debug` text: a `ThreadId` from one
/// counter for the whole process, as std numbers its threads (so ids grow
/// from one execution to the next, as from one stress round to the next),
/// and the name given with `Builder::name`, if any. The lane's own names
/// for scenario threads are for the trace only: on real threads those are
/// unnamed.
#[derive(Clone)]
struct Identity {
    id: u64,
    name: Option<String>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Id(u64);
        impl fmt::Debug for Id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple("ThreadId").field(&self.0).finish()
            }
        }
        f.debug_struct("Thread").field("id", &Id(self.id)).field("name", &self.name).finish_non_exhaustive()
    }
}

/// std's main thread is 1; every later thread takes the next number.
static NEXT_ID: AtomicU64 = AtomicU64::new(2);

/// One scope's bookkeeping, as std keeps it.
struct ScopeState {
    running: usize,
    panicked: bool,
    main: Identity,
}

thread_local! {
    /// Each modelled thread's identity, by shuttle task (all of an
    /// execution's tasks run on one OS thread).
    static IDENTITIES: RefCell<HashMap<usize, Identity>> = RefCell::new(HashMap::new());
    /// Live scopes, by address.
    static SCOPES: RefCell<HashMap<usize, ScopeState>> = RefCell::new(HashMap::new());
}

fn current_task() -> usize {
    shuttle::current::try_get_current_task().map(usize::from).unwrap_or(usize::MAX)
}

/// The current thread's identity, made on first use.
fn identity_of_current() -> Identity {
    let task = current_task();
    IDENTITIES.with(|ids| {
        ids.borrow_mut()
            .entry(task)
            .or_insert_with(|| Identity { id: NEXT_ID.fetch_add(1, Ordering::Relaxed), name: None })
            .clone()
    })
}

/// Gives the current (new) thread its identity and name.
fn named(name: Option<String>) {
    let task = current_task();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    IDENTITIES.with(|ids| ids.borrow_mut().insert(task, Identity { id, name }));
}

fn with_scope<R>(key: usize, f: impl FnOnce(&mut ScopeState) -> R) -> Option<R> {
    SCOPES.with(|scopes| scopes.borrow_mut().get_mut(&key).map(f))
}

/// Forgets every thread and scope: shuttle numbers its tasks from 0 again in
/// each execution (the harness calls this as one starts).
pub(crate) fn reset() {
    IDENTITIES.with(|ids| ids.borrow_mut().clear());
    SCOPES.with(|scopes| scopes.borrow_mut().clear());
}

/// Marks a scoped thread finished when dropped (after its closure returned
/// or unwound).
struct Finished(usize);

impl Drop for Finished {
    fn drop(&mut self) {
        let panicked = std::thread::panicking();
        with_scope(self.0, |state| {
            state.running = state.running.saturating_sub(1);
            state.panicked |= panicked;
        });
    }
}
