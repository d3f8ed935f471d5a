//! Classroom 50's `result.json` (`schema: "classroom50/result/v1"`), for
//! the course's `autograders/<assignment>/autograder.py` (see
//! `package::classroom50`) and `grade --format classroom50`.
//!
//! Classroom 50 records **integer** points: the result's `score` and
//! `max-score` and each test's are integers (its published schema, kept in
//! `grader/schemas/classroom50/`). The grader's points are not: a group's
//! points are shared by its tests, so a 10-point group of three tests gives
//! 3.33 points a test. [`integer_points`] turns them into integers so that
//!
//! 1. every exercise keeps its integer maximum and every group its share of
//!    it (largest remainders: each group gets the whole part of its points,
//!    and the points left over go to the groups with the largest fractions;
//!    with integer group points, as this course's, a group keeps exactly its
//!    points);
//! 2. a fully passed group gets all of its integer points, a group with no
//!    test passed none;
//! 3. a student never gets less than they earned: passing k of a group's n
//!    tests earns k/n of its G points, and the result gives ceil(k·G/n).
//!    Within a group every test is worth the whole part of G/n, and the G mod
//!    n points left over are given first to as many passing tests as
//!    ceil(k·(G mod n)/n), the rest to failing tests, so the passing tests'
//!    maxima add up to exactly ceil(k·G/n) and every test still scores all or
//!    nothing.
//!
//! The integer grade is thus at most one point a group above the
//! scorecard's (a rounding up, never down) and equal to it when every group
//! is passed or failed whole.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::report::entry::{always_shown, entries, held_back_groups, held_back_name};
use crate::scorecard::{ExerciseCard, Scorecard};

/// Who and what was graded: the identity fields Classroom 50's runner
/// hands the autograder as environment variables (its wiki, "Writing an
/// autograder.py"), which `result.json` must carry and which Classroom 50
/// checks against the student's repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub classroom: String,
    pub assignment: String,
    /// `individual` or `group` (the runner's `ASSIGNMENT_TYPE`, or `MODE`).
    pub assignment_type: String,
    pub owner: String,
    /// The `submit/...` tag.
    pub submission: String,
    pub commit: String,
    pub release: String,
    pub review: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub datetime: String,
}

impl Identity {
    /// The identity from the runner's environment (`CLASSROOM`,
    /// `ASSIGNMENT`, `ASSIGNMENT_TYPE` or `MODE`, `OWNER` or `USERNAME`,
    /// `SUBMISSION_TAG`, `COMMIT_URL`, `RELEASE_URL`, `REVIEW_URL`, and
    /// `CLASSROOM50_DATETIME`, which `autograder.py` sets to the graded
    /// commit's date). Outside a runner (`grader convert` on a laptop) the
    /// missing fields get placeholders that still satisfy the schema; the
    /// runner stamps the real ones.
    pub fn from_env() -> Identity {
        Identity::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// [`Identity::from_env`] with the environment given as a function.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Identity {
        let commit = get("COMMIT_URL").unwrap_or_else(|| "local".into());
        Identity {
            classroom: get("CLASSROOM").unwrap_or_else(|| "local".into()),
            assignment: get("ASSIGNMENT").unwrap_or_else(|| "local".into()),
            // Passed on as the runner gives it: its newer versions know
            // more modes than the stored schema's two, and a type that does
            // not match the assignment's mode gets the result skipped.
            assignment_type: get("ASSIGNMENT_TYPE").or_else(|| get("MODE")).unwrap_or_else(|| "individual".into()),
            owner: get("OWNER").or_else(|| get("USERNAME")).unwrap_or_else(|| "local".into()),
            submission: get("SUBMISSION_TAG")
                .filter(|t| t.starts_with("submit/"))
                .unwrap_or_else(|| "submit/local".into()),
            release: get("RELEASE_URL").unwrap_or_else(|| commit.clone()),
            review: get("REVIEW_URL").unwrap_or_else(|| commit.clone()),
            commit,
            datetime: get("CLASSROOM50_DATETIME").filter(|d| is_utc_datetime(d)).unwrap_or_else(now_utc),
        }
    }
}

/// One test of the result, in integer points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegerTest {
    pub name: String,
    pub passed: bool,
    pub score: u64,
    pub max_score: u64,
    /// The scorecard's status word (`passed`, `flaky`, `build_failed` ...).
    pub status: &'static str,
    /// What a student reads about a test that did not pass.
    pub message: Option<String>,
}

/// Every entry of the scorecard (a test, or an exercise without tests) in
/// integer points, in the scorecard's order; see the module's docs.
pub fn integer_points(card: &Scorecard) -> Vec<IntegerTest> {
    card.exercises.iter().flat_map(exercise_points).collect()
}

fn exercise_points(exercise: &ExerciseCard) -> Vec<IntegerTest> {
    let shown = entries(exercise);
    let integer = |entry: &crate::report::entry::Entry, score: u64, max_score: u64| IntegerTest {
        name: entry.full_name(),
        passed: entry.passed(),
        score,
        max_score,
        status: entry.status_word(),
        message: entry.failure(),
    };
    if exercise.tests.is_empty() || shown.len() != exercise.tests.len() {
        // An exercise that did not build or was not submitted: one entry,
        // worth the exercise's integer points, scoring none.
        return shown.iter().map(|entry| integer(entry, 0, whole(exercise.max_score))).collect();
    }
    // Groups in the order their first test appears.
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (index, test) in exercise.tests.iter().enumerate() {
        match groups.iter_mut().find(|(name, _)| *name == test.group) {
            Some((_, members)) => members.push(index),
            None => groups.push((&test.group, vec![index])),
        }
    }
    let raw: Vec<f64> =
        groups.iter().map(|(_, members)| members.iter().map(|&i| exercise.tests[i].max_points).sum()).collect();
    let maxima = largest_remainders(&raw, whole(raw.iter().sum()));
    let mut points = vec![(0, 0); exercise.tests.len()];
    for ((_, members), &group_max) in groups.iter().zip(&maxima) {
        let passed: Vec<bool> = members.iter().map(|&i| shown[i].passed()).collect();
        for (&index, share) in members.iter().zip(share_group(group_max, &passed)) {
            points[index] = share;
        }
    }
    // Tests students may always see are listed; the others (hidden, or
    // grading-only) become one entry per group, without names or messages:
    // the Release that holds result.json is the student's to read.
    let mut out: Vec<IntegerTest> = Vec::new();
    let mut folded: Vec<(String, IntegerTest)> = Vec::new();
    for ((entry, test), (score, max_score)) in shown.iter().zip(&exercise.tests).zip(points) {
        if always_shown(test) {
            out.push(integer(entry, score, max_score));
            continue;
        }
        match folded.iter_mut().find(|(group, _)| *group == test.group) {
            Some((_, sum)) => {
                sum.passed &= entry.passed();
                sum.score += score;
                sum.max_score += max_score;
            }
            None => folded.push((
                test.group.clone(),
                IntegerTest {
                    name: String::new(),
                    passed: entry.passed(),
                    score,
                    max_score,
                    status: "",
                    message: None,
                },
            )),
        }
    }
    let counts = held_back_groups(exercise);
    for (group, mut sum) in folded {
        let tests = counts.iter().find(|(name, _)| *name == group).map_or(0, |(_, tests)| tests.len());
        sum.name = format!("{}: {}", exercise.id, held_back_name(&group, tests));
        sum.status = if sum.passed { "passed" } else { "failed" };
        out.push(sum);
    }
    out
}

/// `total` integer points shared in proportion to `weights`: each gets the
/// whole part of its share, and what is left goes one point each to the
/// largest fractions (the earlier on a tie).
fn largest_remainders(weights: &[f64], total: u64) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    // A share within a millionth of a whole number is that number: 9.99 + a
    // rounding error must not lose a point to a neighbour's 0.01.
    let shares: Vec<f64> = weights.iter().map(|w| w / sum * total as f64).collect();
    let mut parts: Vec<u64> = shares.iter().map(|s| (s + 1e-6).floor().max(0.0) as u64).collect();
    let mut left = total.saturating_sub(parts.iter().sum());
    let mut order: Vec<usize> = (0..shares.len()).collect();
    let fraction = |i: usize| shares[i] - parts[i] as f64;
    order.sort_by(|&a, &b| fraction(b).total_cmp(&fraction(a)).then(a.cmp(&b)));
    for &i in order.iter().cycle().take(shares.len() * 2) {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

/// A group's `max` integer points shared by its tests (`passed[i]` says
/// whether test i passed), as `(score, max_score)` per test: see the
/// module's docs, point 3.
fn share_group(max: u64, passed: &[bool]) -> Vec<(u64, u64)> {
    let n = passed.len() as u64;
    if n == 0 {
        return Vec::new();
    }
    let k = passed.iter().filter(|p| **p).count() as u64;
    let (base, extra) = (max / n, max % n);
    let mut extra_for_passed = (k * extra).div_ceil(n);
    let mut extra_for_failed = extra - extra_for_passed;
    passed
        .iter()
        .map(|&passed| {
            let pool = if passed { &mut extra_for_passed } else { &mut extra_for_failed };
            let bonus = u64::from(*pool > 0);
            *pool -= bonus;
            let max_score = base + bonus;
            (if passed { max_score } else { 0 }, max_score)
        })
        .collect()
}

/// Points as a whole number: rounded to the nearest, never below 0.
fn whole(points: f64) -> u64 {
    if points.is_finite() && points > 0.0 { points.round() as u64 } else { 0 }
}

/// The `result.json` of `card` for `identity`, as Classroom 50's schema
/// describes it. Each test carries, beside the four required fields (the
/// schema allows more), the scorecard's `status` and, unless it passed, its
/// `message`; `graded_at` is this moment.
pub fn result_json(card: &Scorecard, identity: &Identity) -> Value {
    let tests = integer_points(card);
    let json_tests: Vec<Value> = tests
        .iter()
        .map(|test| {
            let mut value = json!({
                "test-name": test.name,
                "passed": test.passed,
                "score": test.score,
                "max-score": test.max_score,
                "status": test.status,
            });
            if let Some(message) = &test.message {
                value["message"] = json!(message);
            }
            value
        })
        .collect();
    json!({
        "schema": "classroom50/result/v1",
        "classroom": identity.classroom,
        "assignment": identity.assignment,
        "assignment_type": identity.assignment_type,
        "owner": identity.owner,
        "submission": identity.submission,
        "commit": identity.commit,
        "release": identity.release,
        "review": identity.review,
        "datetime": identity.datetime,
        "graded_at": now_utc(),
        "score": tests.iter().map(|t| t.score).sum::<u64>(),
        "max-score": tests.iter().map(|t| t.max_score).sum::<u64>(),
        "tests": json_tests,
    })
}

/// Whether `text` is `YYYY-MM-DDTHH:MM:SSZ`, the schema's date pattern.
fn is_utc_datetime(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    b.len() == 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && &text[11..13] <= "23"
        && b[13] == b':'
        && digits(14..16)
        && &text[14..16] <= "59"
        && b[16] == b':'
        && digits(17..19)
        && &text[17..19] <= "59"
        && b[19] == b'Z'
}

/// This moment in UTC as `YYYY-MM-DDTHH:MM:SSZ`.
fn now_utc() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    utc_datetime(secs)
}

/// Seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ` (the civil-from-days
/// algorithm of Howard Hinnant's date library).
fn utc_datetime(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_keeps_its_points_and_nobody_gets_less_than_earned() {
        for max in 0..=25u64 {
            for n in 1..=7usize {
                for mask in 0..(1u32 << n) {
                    let passed: Vec<bool> = (0..n).map(|i| mask & (1 << i) != 0).collect();
                    let shares = share_group(max, &passed);
                    let k = passed.iter().filter(|p| **p).count() as u64;
                    let score: u64 = shares.iter().map(|s| s.0).sum();
                    assert_eq!(shares.iter().map(|s| s.1).sum::<u64>(), max, "{max} {passed:?}");
                    assert_eq!(score, (k * max).div_ceil(n as u64), "{max} {passed:?}: ceil(k·G/n)");
                    assert!(score as f64 + 1e-9 >= k as f64 * max as f64 / n as f64);
                    for (&(s, m), &p) in shares.iter().zip(&passed) {
                        assert_eq!(s, if p { m } else { 0 }, "all or nothing");
                        assert!(m == max / n as u64 || m == max / n as u64 + 1, "shares differ by one at most");
                    }
                }
            }
        }
    }

    #[test]
    fn largest_remainders_keep_the_total_and_whole_weights() {
        assert_eq!(largest_remainders(&[8.0, 12.0], 20), [8, 12]);
        assert_eq!(largest_remainders(&[9.99, 10.0], 20), [10, 10], "9.99 is 10 points shared three ways");
        assert_eq!(largest_remainders(&[2.5, 2.5, 5.0], 10), [3, 2, 5], "a tie goes to the earlier group");
        assert_eq!(largest_remainders(&[1.0, 1.0, 1.0], 2), [1, 1, 0]);
        assert_eq!(largest_remainders(&[], 5), Vec::<u64>::new());
        assert_eq!(largest_remainders(&[0.0, 0.0], 5), [0, 0]);
    }

    #[test]
    fn dates_are_utc_in_the_schemas_pattern() {
        assert_eq!(utc_datetime(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_datetime(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_datetime(1_780_000_000), "2026-05-28T20:26:40Z");
        assert!(is_utc_datetime(&now_utc()));
        assert!(!is_utc_datetime("2026-05-28 20:26:40Z"));
        assert!(!is_utc_datetime("2026-05-28T24:00:00Z"));
    }

    #[test]
    fn identity_comes_from_the_runners_variables_with_placeholders_outside_it() {
        let identity = Identity::from_lookup(|name| match name {
            "CLASSROOM" => Some("cs-101".into()),
            "USERNAME" => Some("alice".into()),
            "SUBMISSION_TAG" => Some("submit/2026-06-01T14-32-05Z-a1b2c3d".into()),
            "COMMIT_URL" => Some("https://example.org/c".into()),
            "MODE" => Some("group".into()),
            _ => None,
        });
        assert_eq!(identity.classroom, "cs-101");
        assert_eq!(identity.owner, "alice");
        assert_eq!(identity.assignment, "local");
        assert_eq!(identity.assignment_type, "group", "the runner's MODE when ASSIGNMENT_TYPE is unset");
        assert_eq!(identity.review, "https://example.org/c", "review falls back to the commit, as the runner does");
        let outside = Identity::from_lookup(|_| None);
        assert_eq!(outside.submission, "submit/local");
        assert_eq!(outside.assignment_type, "individual");
    }
}
