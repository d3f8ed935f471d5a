//! Behaviour of `BoundedQueue`, one documented guarantee per test.
//!
//! Tests that wait for a thread blocked in `push` or `pop` never wait
//! forever: a thread that is not woken within a few seconds fails the test
//! with a message naming the bug.

use std::cell::Cell;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::panic::catch_unwind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use exercise_2::BoundedQueue;

/// How long a thread must stay blocked to count as blocked. A correct queue
/// keeps it blocked forever, so this only needs to be long enough for a
/// buggy call to have returned.
const STAYS_BLOCKED: Duration = Duration::from_millis(200);

/// How long a woken thread may take to return. A correct queue takes
/// microseconds; the margin is for a busy machine.
const WAKES_WITHIN: Duration = Duration::from_secs(2);

/// Runs `call` on a thread of its own and hands back a receiver for its
/// result. If `call` panics, the sender is dropped and the receiver reports
/// the thread as gone.
fn in_thread<R: Send + 'static>(call: impl FnOnce() -> R + Send + 'static) -> mpsc::Receiver<R> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let _ = sender.send(call());
    });
    receiver
}

/// Fails unless the thread behind `receiver` is still inside its call after
/// `STAYS_BLOCKED`.
fn assert_still_blocked<R: Debug>(receiver: &mpsc::Receiver<R>, call: &str, why: &str) {
    match receiver.recv_timeout(STAYS_BLOCKED) {
        Err(mpsc::RecvTimeoutError::Timeout) => {}
        Ok(result) => panic!("{call} returned {result:?} at once, but it must block {why}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the thread calling {call} panicked"),
    }
}

/// Waits for the thread behind `receiver` to return, and fails with
/// `if_stuck` if it is still blocked after `WAKES_WITHIN`.
fn wait_for<R>(receiver: &mpsc::Receiver<R>, call: &str, if_stuck: &str) -> R {
    match receiver.recv_timeout(WAKES_WITHIN) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{call} was still blocked {} s later: {if_stuck}", WAKES_WITHIN.as_secs())
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the thread calling {call} panicked"),
    }
}

/// Waits (briefly) until `count` reaches `expected`: the threads have started
/// and are about to block.
fn wait_until_started(count: &AtomicUsize, expected: usize) {
    let deadline = Instant::now() + WAKES_WITHIN;
    while count.load(Ordering::SeqCst) < expected {
        assert!(Instant::now() < deadline, "the test's threads did not start within {WAKES_WITHIN:?}");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn new_panics_when_capacity_is_zero() {
    let queue = BoundedQueue::<u8>::new(1);
    assert_eq!(queue.capacity(), 1, "new(1) must make a queue of capacity 1");
    let outcome = catch_unwind(|| BoundedQueue::<u8>::new(0));
    assert!(
        outcome.is_err(),
        "new(0) returned a queue: a queue of capacity 0 could never accept an item, so new must panic"
    );
}

#[test]
fn capacity_len_and_is_empty_follow_the_contents() {
    let queue = BoundedQueue::new(3);
    assert_eq!(queue.capacity(), 3, "capacity() must return the capacity given to new");
    assert_eq!(queue.len(), 0, "a new queue must be empty");
    assert!(queue.is_empty(), "a new queue must be empty");
    assert!(!queue.is_closed(), "a new queue must be open");
    for (pushed, item) in (1..=3).enumerate() {
        assert_eq!(queue.push(item), Ok(()), "push must succeed while the queue has room");
        assert_eq!(queue.len(), pushed + 1, "len() must count the items pushed");
        assert!(!queue.is_empty(), "is_empty() must be false once an item was pushed");
    }
    assert_eq!(queue.capacity(), 3, "capacity() must not change as items come and go");
    assert_eq!(queue.pop(), Some(1), "pop must return the oldest item");
    assert_eq!(queue.len(), 2, "len() must drop by one after pop");
    assert_eq!(queue.pop(), Some(2), "pop must return the oldest item");
    assert_eq!(queue.pop(), Some(3), "pop must return the oldest item");
    assert_eq!(queue.len(), 0, "len() must be 0 once every item was popped");
    assert!(queue.is_empty(), "is_empty() must be true once every item was popped");
}

#[test]
fn items_come_out_in_fifo_order() {
    let queue = BoundedQueue::new(4);
    for item in ["a", "b", "c"] {
        queue.push(item).unwrap();
    }
    assert_eq!(queue.pop(), Some("a"), "pop must return the oldest item first");
    queue.push("d").unwrap();
    queue.push("e").unwrap();
    let rest: Vec<_> = (0..4).map(|_| queue.pop().unwrap()).collect();
    assert_eq!(rest, ["b", "c", "d", "e"], "items must come out in the order they went in");

    // Across threads: one producer, one consumer, far more items than fit.
    const ITEMS: u32 = 20_000;
    let queue = Arc::new(BoundedQueue::new(3));
    let producer = {
        let queue = queue.clone();
        in_thread(move || {
            for item in 0..ITEMS {
                queue.push(item).unwrap();
            }
        })
    };
    let consumer = {
        let queue = queue.clone();
        in_thread(move || (0..ITEMS).map(|_| queue.pop()).collect::<Vec<_>>())
    };
    let stuck = "one thread waits for the other and nobody wakes it (a lost wakeup)";
    wait_for(&producer, "push", stuck);
    let popped = wait_for(&consumer, "pop", stuck);
    for (expected, got) in (0..ITEMS).zip(popped) {
        assert_eq!(
            got,
            Some(expected),
            "with one producer and one consumer, items must come out in the order they were pushed"
        );
    }
}

#[test]
fn push_to_a_closed_queue_hands_the_item_back() {
    let queue = BoundedQueue::new(2);
    queue.push("kept".to_string()).unwrap();
    queue.close();
    assert!(queue.is_closed(), "is_closed() must be true after close");
    assert_eq!(
        queue.push("refused".to_string()),
        Err("refused".to_string()),
        "push to a closed queue must return Err with the very item it was given"
    );
    assert_eq!(queue.len(), 1, "a refused push must not add its item to the queue");

    let full = BoundedQueue::new(1);
    full.push(1).unwrap();
    full.close();
    assert_eq!(full.push(2), Err(2), "push to a closed, full queue must return Err(item) at once, not block");
}

#[test]
fn items_pushed_before_close_are_still_delivered() {
    let queue = BoundedQueue::new(4);
    for item in 1..=3 {
        queue.push(item).unwrap();
    }
    queue.close();
    assert_eq!(queue.len(), 3, "close must not throw away the items in the queue");
    for item in 1..=3 {
        assert_eq!(
            queue.pop(),
            Some(item),
            "pop after close must still deliver the items pushed before close, oldest first"
        );
    }
    assert_eq!(queue.pop(), None, "pop must return None once the queue is closed and empty");
    assert_eq!(queue.pop(), None, "pop must keep returning None on a closed, empty queue");
}

#[test]
fn pop_returns_none_only_once_closed_and_empty() {
    let queue = Arc::new(BoundedQueue::new(2));
    let popper = {
        let queue = queue.clone();
        in_thread(move || queue.pop())
    };
    assert_still_blocked(&popper, "pop", "while the queue is empty and open");
    queue.push(7).unwrap();
    let got = wait_for(&popper, "pop", "push did not wake the consumer waiting in pop");
    assert_eq!(got, Some(7), "a waiting pop must return the item pushed while it waited");

    let popper = {
        let queue = queue.clone();
        in_thread(move || queue.pop())
    };
    assert_still_blocked(&popper, "pop", "while the queue is empty and open");
    queue.close();
    let got = wait_for(&popper, "pop", "close did not wake the consumer waiting in pop");
    assert_eq!(got, None, "pop must return None once the queue is closed and empty");
}

#[test]
fn push_blocks_while_the_queue_is_full() {
    let queue = Arc::new(BoundedQueue::new(2));
    queue.push(1).unwrap();
    queue.push(2).unwrap();
    let pusher = {
        let queue = queue.clone();
        in_thread(move || queue.push(3))
    };
    assert_still_blocked(&pusher, "push", "while the queue is full");
    assert_eq!(queue.len(), 2, "len() must never exceed the capacity");
    assert_eq!(queue.pop(), Some(1), "pop must return the oldest item");
    let pushed = wait_for(&pusher, "push", "pop did not wake the producer waiting in push");
    assert_eq!(pushed, Ok(()), "a waiting push must succeed once there is room");
    assert_eq!(queue.len(), 2, "the waiting push must have added its item");
    assert_eq!(queue.pop(), Some(2), "items must come out in the order they went in");
    assert_eq!(queue.pop(), Some(3), "items must come out in the order they went in");
}

#[test]
fn a_blocked_push_gets_its_item_back_when_the_queue_is_closed() {
    let queue = Arc::new(BoundedQueue::new(1));
    queue.push("first".to_string()).unwrap();
    let pusher = {
        let queue = queue.clone();
        in_thread(move || queue.push("second".to_string()))
    };
    assert_still_blocked(&pusher, "push", "while the queue is full");
    queue.close();
    let pushed = wait_for(&pusher, "push", "close did not wake the producer waiting in push");
    assert_eq!(
        pushed,
        Err("second".to_string()),
        "a push blocked on a full queue must return Err(item) when the queue is closed"
    );
    assert_eq!(queue.pop(), Some("first".to_string()), "close must not throw away the queued item");
    assert_eq!(queue.pop(), None, "pop must return None once the queue is closed and empty");
}

#[test]
fn close_wakes_every_blocked_consumer() {
    const CONSUMERS: usize = 4;
    let queue = Arc::new(BoundedQueue::<u32>::new(2));
    let started = Arc::new(AtomicUsize::new(0));
    let (sender, results) = mpsc::channel();
    for _ in 0..CONSUMERS {
        let (queue, started, sender) = (queue.clone(), started.clone(), sender.clone());
        thread::spawn(move || {
            started.fetch_add(1, Ordering::SeqCst);
            let _ = sender.send(queue.pop());
        });
    }
    drop(sender);
    wait_until_started(&started, CONSUMERS);
    assert_still_blocked(&results, "pop", "while the queue is empty and open");
    queue.close();
    let deadline = Instant::now() + WAKES_WITHIN;
    for woken in 0..CONSUMERS {
        match results.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(popped) => assert_eq!(popped, None, "pop must return None once the queue is closed and empty"),
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "close woke only {woken} of {CONSUMERS} consumers blocked in pop; the others sleep \
                 forever: close must wake every waiting thread (notify_all), not just one"
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("a thread calling pop panicked"),
        }
    }
}

#[test]
fn close_wakes_every_blocked_producer() {
    const PRODUCERS: usize = 4;
    let queue = Arc::new(BoundedQueue::new(2));
    queue.push(100).unwrap();
    queue.push(101).unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let (sender, results) = mpsc::channel();
    for item in 0..PRODUCERS {
        let (queue, started, sender) = (queue.clone(), started.clone(), sender.clone());
        thread::spawn(move || {
            started.fetch_add(1, Ordering::SeqCst);
            let _ = sender.send((item, queue.push(item)));
        });
    }
    drop(sender);
    wait_until_started(&started, PRODUCERS);
    assert_still_blocked(&results, "push", "while the queue is full");
    queue.close();
    let deadline = Instant::now() + WAKES_WITHIN;
    for woken in 0..PRODUCERS {
        match results.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((item, pushed)) => assert_eq!(
                pushed,
                Err(item),
                "a push blocked on a full queue must return Err(item) when the queue is closed"
            ),
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "close woke only {woken} of {PRODUCERS} producers blocked in push; the others sleep \
                 forever: close must wake every waiting thread (notify_all), not just one"
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("a thread calling push panicked"),
        }
    }
    assert_eq!(queue.len(), 2, "refused pushes must not add their items to the queue");
}

#[test]
fn closing_twice_is_harmless() {
    let queue = Arc::new(BoundedQueue::new(2));
    queue.push(1).unwrap();
    queue.close();
    queue.close();
    assert!(queue.is_closed(), "the queue must stay closed after a second close");
    assert_eq!(queue.push(2), Err(2), "push must still hand the item back after a second close");
    assert_eq!(queue.pop(), Some(1), "a second close must not throw away queued items");
    assert_eq!(queue.pop(), None, "pop must return None once the queue is closed and empty");

    // Two threads closing at once while a consumer waits.
    let queue = Arc::new(BoundedQueue::<u8>::new(1));
    let popper = {
        let queue = queue.clone();
        in_thread(move || queue.pop())
    };
    assert_still_blocked(&popper, "pop", "while the queue is empty and open");
    let closers: Vec<_> = (0..2)
        .map(|_| {
            let queue = queue.clone();
            in_thread(move || queue.close())
        })
        .collect();
    for closer in &closers {
        wait_for(closer, "close", "close must never block");
    }
    let got = wait_for(&popper, "pop", "close did not wake the consumer waiting in pop");
    assert_eq!(got, None, "pop must return None once the queue is closed and empty");
    assert!(queue.is_closed(), "the queue must be closed after two concurrent closes");
}

/// Answers "does `T` implement Send / Sync?" at run time, so that a queue
/// missing a bound fails this test instead of breaking the build of every
/// test (the inherent constant wins when its bound holds; otherwise the
/// trait's `false` is used).
struct Probe<T: ?Sized>(PhantomData<T>);

// Only used when a bound is missing, so unused for a correct queue.
#[allow(dead_code)]
trait NotImplemented {
    const SEND: bool = false;
    const SYNC: bool = false;
}

impl<T: ?Sized> NotImplemented for Probe<T> {}

impl<T: ?Sized + Send> Probe<T> {
    const SEND: bool = true;
}

struct SyncProbe<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> NotImplemented for SyncProbe<T> {}

impl<T: ?Sized + Sync> SyncProbe<T> {
    const SYNC: bool = true;
}

#[test]
fn queue_is_send_and_sync_for_send_items() {
    // `Cell` is Send but not Sync: the queue must still be shareable, because
    // only one thread at a time ever touches an item.
    let bounds = [
        (Probe::<BoundedQueue<Cell<u32>>>::SEND, "BoundedQueue<T> must be Send when T: Send"),
        (
            SyncProbe::<BoundedQueue<Cell<u32>>>::SYNC,
            "BoundedQueue<T> must be Sync when T is Send (even if T is not Sync): \
             the items are only reached through the lock",
        ),
        (Probe::<BoundedQueue<String>>::SEND, "BoundedQueue<String> must be Send"),
        (SyncProbe::<BoundedQueue<String>>::SYNC, "BoundedQueue<String> must be Sync"),
    ];
    for (holds, requirement) in bounds {
        assert!(holds, "{requirement}");
    }

    // And it really is used from several threads: moved to one, shared by two.
    let queue = BoundedQueue::new(2);
    let queue = thread::spawn(move || {
        queue.push("moved".to_string()).unwrap();
        queue
    })
    .join()
    .expect("a thread pushing to a moved queue panicked");
    let shared = Arc::new(queue);
    let popper = {
        let shared = shared.clone();
        in_thread(move || (shared.pop(), shared.pop()))
    };
    shared.push("shared".to_string()).unwrap();
    let got = wait_for(&popper, "pop", "push did not wake the consumer waiting in pop");
    assert_eq!(
        got,
        (Some("moved".to_string()), Some("shared".to_string())),
        "items must travel between threads in order"
    );
}
