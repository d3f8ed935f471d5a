//! exercise-2: producers and consumers (reference solution).
//!
//! Three producers generate random numbers from 1 to 100, two consumers sum
//! them, and the final sum covers every number exactly once. The student
//! builds the thread-safe bounded queue that connects them, and the
//! `parallel_sum` pipeline on top of it.
//!
//! The queue is one `Mutex` around the items and the closed flag, plus two
//! `Condvar`s: producers sleep on `not_full`, consumers on `not_empty`. Each
//! side only ever wakes the other side, so a wakeup is never spent on a
//! thread that cannot use it.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;

/// A blocking first-in-first-out queue holding at most `capacity` items.
///
/// `BoundedQueue<T>` is `Send + Sync` whenever `T: Send`; every method takes
/// `&self`. A thread blocked in `push` or `pop` sleeps until it is woken
/// (Condvar or equivalent): it never spins, and one blocked for a second uses
/// under 10 ms of CPU time.
pub struct BoundedQueue<T> {
    capacity: usize,
    state: Mutex<State<T>>,
    /// Signalled when an item is added or the queue is closed; consumers wait here.
    not_empty: Condvar,
    /// Signalled when an item is removed or the queue is closed; producers wait here.
    not_full: Condvar,
}

/// Everything the lock protects: the items and whether the queue is closed
/// are read and changed together, so one lock covers both.
struct State<T> {
    items: VecDeque<T>,
    closed: bool,
}

impl<T> BoundedQueue<T> {
    /// An empty, open queue. Panics if `capacity` is 0.
    pub fn new(capacity: usize) -> BoundedQueue<T> {
        assert!(
            capacity > 0,
            "a BoundedQueue needs a capacity of at least 1"
        );
        BoundedQueue {
            capacity,
            state: Mutex::new(State {
                items: VecDeque::with_capacity(capacity),
                closed: false,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
        }
    }

    /// The capacity given to `new`.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many items the queue holds now; never more than `capacity`.
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// Whether the queue holds no items now.
    pub fn is_empty(&self) -> bool {
        self.lock().items.is_empty()
    }

    /// Appends `item`, blocking while the queue is full. Returns
    /// `Err(item)`, handing the item back, if the queue is closed (also when
    /// it is closed while this call is blocked).
    pub fn push(&self, item: T) -> Result<(), T> {
        let mut state = self.lock();
        // `while`, not `if`: when this thread wakes up, another producer may
        // already have taken the free slot, so the condition is checked again
        // every time the lock is reacquired (this also covers spurious wakeups).
        while state.items.len() == self.capacity && !state.closed {
            state = self
                .not_full
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.closed {
            return Err(item);
        }
        state.items.push_back(item);
        // Unlock before notifying, so the woken consumer does not wake up only
        // to block on the lock we still hold.
        drop(state);
        // One new item can satisfy only one consumer.
        self.not_empty.notify_one();
        Ok(())
    }

    /// Removes the oldest item, blocking while the queue is empty and open.
    /// Returns `None` only once the queue is closed and empty: items pushed
    /// before `close` are still delivered.
    pub fn pop(&self) -> Option<T> {
        let mut state = self.lock();
        // Same reasoning as in `push`: re-check after every wakeup.
        while state.items.is_empty() && !state.closed {
            state = self
                .not_empty
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        // Items are delivered before the closed flag is honoured: `None` here
        // means the queue is both closed and empty.
        let item = state.items.pop_front();
        drop(state);
        if item.is_some() {
            // One free slot can satisfy only one producer.
            self.not_full.notify_one();
        }
        item
    }

    /// Closes the queue and wakes every blocked producer and consumer.
    /// Closing twice is harmless.
    pub fn close(&self) {
        self.lock().closed = true;
        // Every waiter must see the flag, not just one: `notify_one` would
        // leave the others asleep forever.
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }

    /// Whether `close` has been called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Locks the state. A thread that panicked while holding the lock cannot
    /// have left the state half-changed (every change is a single step), so a
    /// poisoned lock is still safe to use.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sums numbers through a producer-consumer pipeline.
///
/// Runs one producer thread per element of `producers`, each pushing its
/// numbers in order into one shared `BoundedQueue` of `capacity`, and
/// `consumers` consumer threads that pop and add up what they receive.
/// Returns the total once every number has been consumed exactly once and
/// every thread has finished. With no producers the total is 0.
/// Panics if `consumers` or `capacity` is 0.
pub fn parallel_sum(producers: Vec<Vec<u64>>, consumers: usize, capacity: usize) -> u64 {
    assert!(consumers > 0, "parallel_sum needs at least one consumer");
    let queue = &BoundedQueue::new(capacity);
    // Scoped threads may borrow `queue`, and the scope joins every thread
    // before it returns.
    thread::scope(|scope| {
        let consumer_threads: Vec<_> = (0..consumers)
            .map(|_| {
                scope.spawn(move || {
                    let mut sum = 0;
                    // `pop` returns `None` only once the queue is closed and
                    // drained, so no number is left behind.
                    while let Some(number) = queue.pop() {
                        sum += number;
                    }
                    sum
                })
            })
            .collect();
        let producer_threads: Vec<_> = producers
            .into_iter()
            .map(|numbers| {
                scope.spawn(move || {
                    for number in numbers {
                        queue
                            .push(number)
                            .expect("the queue is closed only after every producer has finished");
                    }
                })
            })
            .collect();
        // Close only after the *last* producer is done: closing earlier would
        // turn its remaining pushes away. Join them all before looking at the
        // results, so the consumers are released even if a producer panicked.
        let produced: Vec<_> = producer_threads
            .into_iter()
            .map(|producer| producer.join())
            .collect();
        queue.close();
        let total = consumer_threads
            .into_iter()
            .map(|consumer| consumer.join().expect("a consumer thread panicked"))
            .sum();
        for outcome in produced {
            outcome.expect("a producer thread panicked");
        }
        total
    })
}
