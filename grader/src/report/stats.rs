//! Class statistics: what a batch's scorecards say about the class as a
//! whole. The numbers are computed once here ([`ClassStats`]) and shown two
//! ways: as text on stderr after `batch` and `merge` ([`text`]) and in the
//! dashboard (`report::dashboard`).
//!
//! A grading that cannot be trusted (an infrastructure error) is counted
//! apart and left out of every score and failure count, as the gradebook
//! leaves its scores out.

use std::collections::BTreeMap;
use std::io::Write;

use crate::scorecard::{Scorecard, TestStatus};

/// How many message groups a test keeps (the most common ones).
const MESSAGE_GROUPS: usize = 5;

/// The class's numbers.
#[derive(Debug, Clone)]
pub struct ClassStats {
    /// Rows of the gradebook: graded, untrusted, failed and missing alike.
    pub submissions: usize,
    /// The total of every trusted grading, sorted.
    pub totals: Vec<f64>,
    /// The most points a grading can earn (from the scorecards).
    pub max_score: f64,
    /// Gradings with an infrastructure error: (submission, reason).
    pub untrusted: Vec<(String, String)>,
    pub exercises: Vec<ExerciseStats>,
    /// Every test, the most often not passed first.
    pub tests: Vec<TestStats>,
}

#[derive(Debug, Clone)]
pub struct ExerciseStats {
    pub id: String,
    pub title: String,
    pub max_score: f64,
    /// This exercise's score in every trusted grading, sorted.
    pub scores: Vec<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct TestStats {
    pub exercise: String,
    pub name: String,
    /// Trusted gradings that ran or listed this test.
    pub graded: usize,
    pub failed: usize,
    pub flaky: usize,
    pub timed_out: usize,
    pub not_run: usize,
    /// The most common failure messages, grouped by [`message_pattern`].
    pub messages: Vec<MessageGroup>,
}

/// Failure messages that differ only in numbers (seeds, balances, rounds):
/// one bug, however many students.
#[derive(Debug, Clone)]
pub struct MessageGroup {
    pub pattern: String,
    /// One real message of the group, in full.
    pub example: String,
    pub submissions: Vec<String>,
}

impl TestStats {
    /// Gradings in which this test did not pass.
    pub fn not_passed(&self) -> usize {
        self.failed + self.flaky + self.timed_out + self.not_run
    }
}

impl ClassStats {
    /// The statistics of `cards` (each with its submission's name), out of
    /// `submissions` gradebook rows.
    pub fn new(cards: &[(&str, &Scorecard)], submissions: usize) -> ClassStats {
        let (trusted, untrusted): (Vec<_>, Vec<_>) = cards.iter().copied().partition(|(_, card)| card.is_trusted());
        let mut totals: Vec<f64> = trusted.iter().map(|(_, c)| c.score).collect();
        totals.sort_by(f64::total_cmp);
        let max_score = trusted.iter().chain(&untrusted).map(|(_, c)| c.max_score).fold(0.0, f64::max);

        let mut exercises: Vec<ExerciseStats> = Vec::new();
        let mut tests: BTreeMap<(String, String), TestStats> = BTreeMap::new();
        // Message groups per test, in first-seen order within a BTreeMap by pattern.
        let mut groups: BTreeMap<(String, String), BTreeMap<String, MessageGroup>> = BTreeMap::new();
        for (name, card) in &trusted {
            for exercise in &card.exercises {
                let stats = match exercises.iter_mut().find(|e| e.id == exercise.id) {
                    Some(stats) => stats,
                    None => {
                        exercises.push(ExerciseStats {
                            id: exercise.id.clone(),
                            title: exercise.title.clone(),
                            max_score: exercise.max_score,
                            scores: Vec::new(),
                        });
                        exercises.last_mut().expect("just pushed")
                    }
                };
                stats.max_score = stats.max_score.max(exercise.max_score);
                stats.scores.push(exercise.score);
                for test in &exercise.tests {
                    let key = (exercise.id.clone(), test.name.clone());
                    let entry = tests.entry(key.clone()).or_insert_with(|| TestStats {
                        exercise: exercise.id.clone(),
                        name: test.name.clone(),
                        ..TestStats::default()
                    });
                    entry.graded += 1;
                    match test.status {
                        TestStatus::Passed => continue,
                        TestStatus::Failed => entry.failed += 1,
                        TestStatus::Flaky => entry.flaky += 1,
                        TestStatus::TimedOut => entry.timed_out += 1,
                        TestStatus::NotRun => entry.not_run += 1,
                    }
                    if let Some(message) = &test.message {
                        let pattern = message_pattern(message);
                        let group = groups.entry(key).or_default().entry(pattern.clone()).or_insert_with(|| {
                            MessageGroup { pattern, example: message.clone(), submissions: Vec::new() }
                        });
                        group.submissions.push(name.to_string());
                    }
                }
            }
        }
        exercises.sort_by(|a, b| a.id.cmp(&b.id));
        for exercise in &mut exercises {
            exercise.scores.sort_by(f64::total_cmp);
        }
        let mut tests: Vec<TestStats> = tests
            .into_iter()
            .map(|(key, mut stats)| {
                let mut messages: Vec<MessageGroup> = groups.remove(&key).unwrap_or_default().into_values().collect();
                messages.sort_by(|a, b| b.submissions.len().cmp(&a.submissions.len()).then(a.pattern.cmp(&b.pattern)));
                messages.truncate(MESSAGE_GROUPS);
                stats.messages = messages;
                stats
            })
            .collect();
        tests.sort_by(|a, b| {
            b.not_passed()
                .cmp(&a.not_passed())
                .then_with(|| a.exercise.cmp(&b.exercise))
                .then_with(|| a.name.cmp(&b.name))
        });
        let untrusted = untrusted
            .iter()
            .map(|(name, card)| (name.to_string(), card.infrastructure_error.clone().unwrap_or_default()))
            .collect();
        ClassStats { submissions, totals, max_score, untrusted, exercises, tests }
    }

    pub fn median(&self) -> Option<f64> {
        median(&self.totals)
    }

    pub fn mean(&self) -> Option<f64> {
        (!self.totals.is_empty()).then(|| self.totals.iter().sum::<f64>() / self.totals.len() as f64)
    }
}

/// The median of sorted `values`.
pub fn median(values: &[f64]) -> Option<f64> {
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[middle]),
        _ => Some((values[middle - 1] + values[middle]) / 2.0),
    }
}

/// `buckets` equal bins over `0..=max`, the last one closed: how many of
/// `values` fall in each.
pub fn histogram(values: &[f64], max: f64, buckets: usize) -> Vec<usize> {
    let mut counts = vec![0; buckets];
    if max <= 0.0 {
        counts[0] = values.len();
        return counts;
    }
    for &value in values {
        // value * n / max, not value / max * n: 12 * 5 / 20 is exactly 3.
        let index = (value * buckets as f64 / max).floor();
        let index = if index.is_finite() { (index.max(0.0) as usize).min(buckets - 1) } else { 0 };
        counts[index] += 1;
    }
    counts
}

/// The key that groups failure messages: the first line, with every run of
/// digits (seeds, balances, rounds, addresses) replaced by `N` and
/// whitespace collapsed, so the same bug seen with different random inputs
/// is one group.
pub fn message_pattern(message: &str) -> String {
    let first = message.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut out = String::new();
    let mut previous_digit = false;
    let mut previous_space = false;
    for c in first.trim().chars().take(300) {
        if c.is_ascii_digit() {
            if !previous_digit {
                out.push('N');
            }
            previous_digit = true;
            previous_space = false;
        } else if c.is_whitespace() {
            if !previous_space {
                out.push(' ');
            }
            previous_space = true;
            previous_digit = false;
        } else {
            // "0x7ffd..." becomes "NxN", whatever its hex digits.
            if previous_digit && c.is_ascii_hexdigit() {
                continue;
            }
            out.push(c);
            previous_digit = false;
            previous_space = false;
        }
    }
    out
}

/// Prints [`text`] on stderr.
pub fn print(cards: &[(&str, &Scorecard)], submissions: usize) {
    let _ = anstream::stderr().lock().write_all(text(&ClassStats::new(cards, submissions)).as_bytes());
}

/// [`text`] of `cards`, each named by its `submission` field.
pub fn statistics(cards: &[&Scorecard], submissions: usize) -> String {
    let named: Vec<(&str, &Scorecard)> = cards.iter().map(|card| (card.submission.as_str(), *card)).collect();
    text(&ClassStats::new(&named, submissions))
}

/// The statistics as text: the score distribution and, per test, how many
/// submissions did not pass it.
pub fn text(stats: &ClassStats) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = write!(out, "\n{} submissions, {} graded", stats.submissions, stats.totals.len());
    if !stats.untrusted.is_empty() {
        let _ = write!(
            out,
            ", {} with an infrastructure error (the next run of the batch grades them again)",
            stats.untrusted.len()
        );
    }
    let _ = writeln!(out);
    if let (Some(min), Some(max), Some(median), Some(mean)) =
        (stats.totals.first(), stats.totals.last(), stats.median(), stats.mean())
    {
        let _ = writeln!(out, "scores: min {min:.1}, median {median:.1}, mean {mean:.1}, max {max:.1}");
        let max_score = if stats.max_score > 0.0 { stats.max_score } else { 100.0 };
        for (bucket, count) in histogram(&stats.totals, max_score, 5).into_iter().enumerate() {
            let low = max_score * bucket as f64 / 5.0;
            let high = max_score * (bucket + 1) as f64 / 5.0;
            let _ = writeln!(out, "  {low:>5.0}-{high:<5.0} {count:<3} {}", "#".repeat(count));
        }
    }
    let failing: Vec<&TestStats> = stats.tests.iter().filter(|t| t.not_passed() > 0).collect();
    if !failing.is_empty() {
        let _ = writeln!(out, "tests not passed, by how many submissions:");
        for test in failing {
            let _ = writeln!(out, "  {:>4}  {} {}", test.not_passed(), test.exercise, test.name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_that_differ_in_numbers_group_together() {
        let a = "two withdrawals of 3834 and 2320 from 4135 both succeeded: not atomic\n  round 17, seed 88";
        let b = "two withdrawals of 4076 and 2985 from 4941 both succeeded: not atomic\n  round 3, seed 12";
        assert_eq!(message_pattern(a), message_pattern(b));
        assert_eq!(message_pattern(a), "two withdrawals of N and N from N both succeeded: not atomic");
        assert_ne!(message_pattern(a), message_pattern("attempt to subtract with overflow"));
        assert_eq!(message_pattern("at 0x7ffd12ab and 0x1f"), message_pattern("at 0x55aa00ff and 0x2e"));
    }

    #[test]
    fn the_histogram_puts_the_maximum_in_the_last_bin() {
        assert_eq!(histogram(&[0.0, 4.0, 8.0, 10.0, 12.0, 20.0], 20.0, 5), vec![1, 1, 2, 1, 1]);
        assert_eq!(histogram(&[3.0], 0.0, 5), vec![1, 0, 0, 0, 0]);
        assert_eq!(median(&[1.0, 2.0, 10.0, 20.0]), Some(6.0));
    }
}
