//! `thread_local!` in the lane's copy is shuttle's: every modelled thread
//! has its own value, as every real thread has under std. std's own keeps
//! one value per OS thread, and the model checker runs all of an
//! execution's threads on one, so they would share it: a difference code
//! could test for (SECURITY.md, attack 19), and a wrong model of code that
//! keeps per-thread state.

use std::cell::Cell;

lane_std::thread_local!(static MODELLED: Cell<bool> = const { Cell::new(false) });
std::thread_local!(static OS_THREAD: Cell<bool> = const { Cell::new(false) });

#[test]
fn each_modelled_thread_has_its_own_value() {
    shuttle::check_random(
        || {
            lane_std::thread::spawn(|| MODELLED.with(|v| v.set(true))).join().unwrap();
            assert!(!MODELLED.with(Cell::get), "a spawned thread's value leaked into its parent's");
        },
        10,
    );
}

#[test]
fn std_s_own_would_be_shared_by_every_modelled_thread() {
    shuttle::check_random(
        || {
            OS_THREAD.with(|v| v.set(false));
            lane_std::thread::spawn(|| OS_THREAD.with(|v| v.set(true))).join().unwrap();
            assert!(OS_THREAD.with(Cell::get), "std's thread-local is per OS thread, and shuttle runs on one");
        },
        10,
    );
}
