//! The canary: is the machine fit to grade?
//!
//! A timeout is only the student's fault if the machine was not starved.
//! When a run times out, the grader times a fixed piece of CPU work and
//! compares it with the fastest this machine has ever done it (kept in the
//! grader's cache). Far slower means the machine is overloaded, and the
//! grading is reported as an infrastructure error instead of zeros.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

/// How much slower than its best the canary may run before the machine
/// counts as too loaded to grade fairly.
pub const MAX_SLOWDOWN: f64 = 4.0;

/// The machine's best canary time, remembered across gradings.
#[derive(Debug, Clone)]
pub struct Canary {
    best: Duration,
}

impl Canary {
    /// Measures the canary now and remembers the best time ever seen.
    pub fn calibrate(cache: &Path) -> Canary {
        let record = cache.join("canary-best-nanos");
        let now = measure();
        let remembered =
            fs::read_to_string(&record).ok().and_then(|text| text.trim().parse::<u64>().ok()).map(Duration::from_nanos);
        let best = remembered.map_or(now, |r| r.min(now));
        if remembered != Some(best) {
            let _ = fs::create_dir_all(cache);
            let _ = fs::write(&record, best.as_nanos().to_string());
        }
        Canary { best }
    }

    /// `None` when the machine runs the canary at a fair speed; otherwise
    /// why the grading cannot be trusted.
    pub fn check(&self) -> Option<String> {
        let now = measure();
        verdict(self.best, now)
    }
}

/// Compares a canary time with the machine's best.
pub fn verdict(best: Duration, now: Duration) -> Option<String> {
    let slowdown = now.as_secs_f64() / best.as_secs_f64().max(1e-9);
    (slowdown > MAX_SLOWDOWN).then(|| {
        format!(
            "the machine was too loaded to grade fairly: a fixed piece of CPU work took {slowdown:.1}x its usual \
             time when tests timed out, so the timeouts may not be the submission's fault; grade it again on a \
             quieter machine"
        )
    })
}

/// The fastest of three runs of a fixed CPU-bound workload (about 10 ms on
/// an idle core).
pub fn measure() -> Duration {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(workload(std::hint::black_box(2_000_000)));
            started.elapsed()
        })
        .min()
        .expect("three measurements")
}

fn workload(steps: u64) -> u64 {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..steps {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        state ^= state >> 29;
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fair_machine_passes_and_a_starved_one_does_not() {
        let best = Duration::from_millis(10);
        assert_eq!(verdict(best, Duration::from_millis(12)), None);
        assert_eq!(verdict(best, Duration::from_millis(39)), None);
        let message = verdict(best, Duration::from_millis(63)).unwrap();
        assert!(message.contains("6.3x"), "{message}");
    }

    #[test]
    fn the_best_time_is_remembered_and_only_improved() {
        let cache = tempfile::tempdir().unwrap();
        let record = cache.path().join("canary-best-nanos");
        fs::write(&record, "1").unwrap();
        let canary = Canary::calibrate(cache.path());
        assert_eq!(canary.best, Duration::from_nanos(1), "a remembered faster time wins");
        fs::write(&record, u64::MAX.to_string()).unwrap();
        let canary = Canary::calibrate(cache.path());
        assert!(canary.best < Duration::from_secs(10));
        assert_eq!(fs::read_to_string(&record).unwrap(), canary.best.as_nanos().to_string());
    }
}
