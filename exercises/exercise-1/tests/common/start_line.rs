//! A start line for the two threads of a round: `testkit::SpinBarrier`,
//! but one that keeps spinning instead of yielding its core early.
//!
//! Measured on two busy cores (eight other CPU-bound processes):
//! `SpinBarrier` yields after 4,096 spins (about 0.2 ms here), so a waiting
//! thread gives its core away just before its partner arrives, the two
//! threads take turns, and their calls never overlap: 0 to 250 overlapping
//! rounds in 8 s, and the skeleton's race went unseen. A waiter that holds
//! on to its core for a few milliseconds is still running when its partner
//! is scheduled on the other core, and the two then run rounds in lock step.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long a thread spins at the start line before it starts yielding its
/// core to others (so that a one-core machine still makes progress).
const SPIN_BEFORE_YIELDING: Duration = Duration::from_millis(5);

/// A reusable barrier for exactly two threads.
#[derive(Debug, Default)]
pub struct StartLine {
    arrived: AtomicUsize,
    generation: AtomicUsize,
    abandoned: AtomicBool,
}

impl StartLine {
    /// Waits until both threads have arrived. Returns `false` once the line
    /// has been abandoned: the caller should stop its rounds.
    pub fn wait(&self) -> bool {
        if self.abandoned.load(Ordering::Acquire) {
            return false;
        }
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) == 1 {
            self.arrived.store(0, Ordering::Release);
            self.generation.fetch_add(1, Ordering::AcqRel);
            return true;
        }
        let mut since: Option<Instant> = None;
        let mut spins: u32 = 0;
        while self.generation.load(Ordering::Acquire) == generation {
            if self.abandoned.load(Ordering::Acquire) {
                return false;
            }
            spins = spins.wrapping_add(1);
            if spins & 1023 == 0 {
                // Reading the clock costs little next to 1,024 spins.
                let since = *since.get_or_insert_with(Instant::now);
                if since.elapsed() >= SPIN_BEFORE_YIELDING {
                    thread::yield_now();
                }
            }
            std::hint::spin_loop();
        }
        true
    }

    /// Releases the other thread for good: `wait` returns `false` from now on.
    pub fn abandon(&self) {
        self.abandoned.store(true, Ordering::Release);
    }
}
