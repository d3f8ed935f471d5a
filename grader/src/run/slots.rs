//! Job slots: how many test processes (and builds) run at once, shared by
//! every grading of this grader process, so that a batch that grades
//! several submissions at a time still keeps to `--jobs` and still runs
//! each stress test alone.
//!
//! Requests are served first come, first served: a request for every slot
//! (a stress test, a build) waits for the slots to drain, and nothing
//! behind it jumps the queue, so it is never starved.

use std::sync::{Condvar, Mutex};

/// A first-come-first-served counting semaphore of job slots.
#[derive(Debug)]
pub struct Slots {
    total: usize,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug)]
struct State {
    free: usize,
    next_ticket: u64,
    serving: u64,
}

/// Slots held; they are returned on drop.
#[must_use = "the slots are released when this is dropped"]
pub struct Held<'a> {
    slots: &'a Slots,
    count: usize,
}

impl Slots {
    pub fn new(total: usize) -> Slots {
        let total = total.max(1);
        Slots { total, state: Mutex::new(State { free: total, next_ticket: 0, serving: 0 }), changed: Condvar::new() }
    }

    /// How many slots there are.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Waits for `count` slots (at most all of them), in arrival order.
    pub fn acquire(&self, count: usize) -> Held<'_> {
        let count = count.clamp(1, self.total);
        let mut state = self.state.lock().expect("slots lock");
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        while state.serving != ticket || state.free < count {
            state = self.changed.wait(state).expect("slots lock");
        }
        state.free -= count;
        state.serving += 1;
        drop(state);
        // The next in line may fit in what is left.
        self.changed.notify_all();
        Held { slots: self, count }
    }

    /// Waits for every slot.
    pub fn acquire_all(&self) -> Held<'_> {
        self.acquire(self.total)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.slots.state.lock().expect("slots lock").free += self.count;
        self.slots.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn never_more_than_total_in_use_and_exclusive_means_alone() {
        let slots = Slots::new(3);
        let in_use = AtomicUsize::new(0);
        let exclusive_saw_company = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for i in 0..12 {
                let (slots, in_use, company) = (&slots, &in_use, &exclusive_saw_company);
                scope.spawn(move || {
                    let want = if i % 4 == 0 { 3 } else { 1 };
                    let _held = slots.acquire(want);
                    let now = in_use.fetch_add(want, Ordering::SeqCst) + want;
                    assert!(now <= 3, "{now} slots in use");
                    std::thread::sleep(Duration::from_millis(5));
                    if want == 3 && in_use.load(Ordering::SeqCst) != 3 {
                        company.fetch_add(1, Ordering::SeqCst);
                    }
                    in_use.fetch_sub(want, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(exclusive_saw_company.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_request_larger_than_total_takes_all() {
        let slots = Slots::new(2);
        let held = slots.acquire(10);
        assert_eq!(held.count, 2);
    }
}
