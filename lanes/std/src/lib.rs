//! `lane-std`: the standard library as the controlled-scheduling lane sees it.
//!
//! The lane (issue 10) builds a second copy of a student's `src/` in which
//! every path rooted at `std` or `core` is rewritten to this crate (see
//! `lanes/rewrite`). Everything of std is re-exported unchanged except the
//! three modules whose operations decide how threads interleave:
//!
//! - [`sync`]: `Mutex`, `RwLock`, `Condvar`, `Barrier`, `Once`, the atomics
//!   and `mpsc` are shuttle's models, behind wrappers with std's API;
//! - [`thread`]: shuttle's threads (`spawn`, `scope`, `Builder`, `park`, ...);
//! - [`hint`]: `spin_loop` is a yield to shuttle's scheduler.
//!
//! Every modelled operation is `#[track_caller]` and is recorded, with the
//! task that ran it and the student's source location, in the trace of the
//! current execution ([`harness`]), so a counterexample can show the
//! interleaving as lines of the student's own files.
//!
//! Items of `std::sync` and `std::thread` are listed one by one rather than
//! glob-imported: a blocking std primitive that slipped through (a real
//! `std::sync::Mutex` under shuttle, whose tasks share one OS thread) would
//! hang the test instead of failing to compile, and a compile failure is
//! what reports "this lane could not run".

pub use std::*;

pub mod harness;
pub mod hint;
pub mod sync;
pub mod thread;

/// shuttle itself, for the lane's tests (schedulers, `Runner`, `Config`).
pub use shuttle;

/// `thread_local!` as shuttle's: one value per modelled thread. std's keeps
/// one per OS thread, and every modelled thread runs on the same one, so
/// they would share it (the rewrite points the prelude's `thread_local!` and
/// `std::thread_local!` here; this definition shadows the one `std::*`
/// re-exports).
#[macro_export]
macro_rules! thread_local {
    ($($declarations:tt)*) => { $crate::shuttle::thread_local!($($declarations)*); };
}
