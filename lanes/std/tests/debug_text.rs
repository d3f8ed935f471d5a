//! Every type `lane-std` puts in place of std's prints std's `Debug` text, in
//! the same state, under the toolchain in use: code cannot tell the lanes
//! apart by printing one (SECURITY.md, attack 19). A Rust release that
//! changes std's text fails this test, rather than opening the channel.

use std::sync::atomic::Ordering;

/// Both texts, plain and `{:#?}`, with the thread ids (a process-wide
/// count in both, so never equal) left out.
fn same(lane: &dyn std::fmt::Debug, std: &dyn std::fmt::Debug) {
    let ids = |text: String| {
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("ThreadId(") {
            out.push_str(&rest[..at + "ThreadId(".len()]);
            rest = rest[at + "ThreadId(".len()..]
                .trim_start_matches(|c: char| c.is_ascii_digit() || c.is_whitespace() || c == ',');
            out.push('N');
        }
        out + rest
    };
    assert_eq!(ids(format!("{lane:?}")), ids(format!("{std:?}")));
    assert_eq!(ids(format!("{lane:#?}")), ids(format!("{std:#?}")));
}

fn in_shuttle(body: impl Fn() + Send + Sync + 'static) {
    shuttle::check_random(body, 1);
}

#[test]
fn locks_print_what_std_prints_free_held_and_poisoned() {
    in_shuttle(|| {
        let (lane, real) = (lane_std::sync::Mutex::new(5), std::sync::Mutex::new(5));
        same(&lane, &real);
        {
            let (a, b) = (lane.lock().unwrap(), real.lock().unwrap());
            same(&lane, &real);
            same(&a, &b);
        }
        let (lane, real) = (lane_std::sync::RwLock::new("x"), std::sync::RwLock::new("x"));
        same(&lane, &real);
        {
            let (a, b) = (lane.read().unwrap(), real.read().unwrap());
            same(&lane, &real);
            same(&a, &b);
        }
        {
            let (a, b) = (lane.write().unwrap(), real.write().unwrap());
            same(&lane, &real);
            same(&a, &b);
        }
        same(&lane_std::sync::Condvar::new(), &std::sync::Condvar::new());
        same(&lane_std::sync::Barrier::new(2), &std::sync::Barrier::new(2));
        same(&lane_std::sync::Once::new(), &std::sync::Once::new());
        let (lane, real) = (lane_std::sync::atomic::AtomicUsize::new(7), std::sync::atomic::AtomicUsize::new(7));
        same(&lane, &real);
        lane.fetch_add(1, Ordering::SeqCst);
        real.fetch_add(1, Ordering::SeqCst);
        same(&lane, &real);
        same(&lane_std::sync::atomic::AtomicBool::new(true), &std::sync::atomic::AtomicBool::new(true));
        same(&lane_std::sync::atomic::AtomicI64::new(-3), &std::sync::atomic::AtomicI64::new(-3));
    });
}

#[test]
fn threads_and_their_handles_print_what_std_prints() {
    in_shuttle(|| {
        let lane = lane_std::thread::spawn(|| 1);
        let real = std::thread::spawn(|| 1);
        same(&lane, &real);
        assert_eq!((lane.join().unwrap(), real.join().unwrap()), (1, 1));
        same(&lane_std::thread::Builder::new(), &std::thread::Builder::new());
        same(
            &lane_std::thread::Builder::new().name("worker".into()).stack_size(1 << 16),
            &std::thread::Builder::new().name("worker".into()).stack_size(1 << 16),
        );
        // std's scope names the thread that opened it: an unnamed one on both
        // sides, as the scenario threads are.
        let real_text = std::thread::spawn(|| {
            std::thread::scope(|s| {
                let before = format!("{s:?}");
                let handle = s.spawn(|| 1);
                (before, format!("{s:?}"), format!("{handle:?}"), format!("{s:#?}"))
            })
        })
        .join()
        .unwrap();
        let lane_text = lane_std::thread::spawn(|| {
            lane_std::thread::scope(|s| {
                let before = format!("{s:?}");
                let handle = s.spawn(|| 1);
                (before, format!("{s:?}"), format!("{handle:?}"), format!("{s:#?}"))
            })
        })
        .join()
        .unwrap();
        let pairs = [
            (&lane_text.0, &real_text.0),
            (&lane_text.1, &real_text.1),
            (&lane_text.2, &real_text.2),
            (&lane_text.3, &real_text.3),
        ];
        for (lane, real) in pairs {
            same(&Text(lane), &Text(real));
        }
    });
}

#[test]
fn a_scoped_thread_that_finished_or_panicked_is_counted_as_std_counts_it() {
    in_shuttle(|| {
        let lane = lane_std::thread::spawn(|| {
            lane_std::thread::scope(|s| {
                let handle = s.spawn(|| 1);
                handle.join().unwrap();
                format!("{s:?}")
            })
        })
        .join()
        .unwrap();
        let real = std::thread::spawn(|| {
            std::thread::scope(|s| {
                let handle = s.spawn(|| 1);
                handle.join().unwrap();
                format!("{s:?}")
            })
        })
        .join()
        .unwrap();
        same(&Text(&lane), &Text(&real));
        assert!(lane.contains("num_running_threads: 0"), "{lane}");
    });
}

#[test]
fn channels_print_what_std_prints() {
    in_shuttle(|| {
        let (lane_tx, lane_rx) = lane_std::sync::mpsc::channel::<u8>();
        let (real_tx, real_rx) = std::sync::mpsc::channel::<u8>();
        same(&lane_tx, &real_tx);
        same(&lane_rx, &real_rx);
        same(&lane_rx.iter(), &real_rx.iter());
        same(&lane_rx.try_iter(), &real_rx.try_iter());
        let (lane_tx, lane_rx) = lane_std::sync::mpsc::sync_channel::<u8>(1);
        let (real_tx, real_rx) = std::sync::mpsc::sync_channel::<u8>(1);
        same(&lane_tx, &real_tx);
        lane_tx.send(3).unwrap();
        real_tx.send(3).unwrap();
        same(&lane_tx.try_send(4), &real_tx.try_send(4));
        drop((lane_tx, real_tx));
        same(&lane_rx.into_iter(), &real_rx.into_iter());
    });
}

/// A text printed as itself (`{:?}` of a `String` would quote it).
struct Text<'a>(&'a str);
impl std::fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
