//! `[package.metadata.grader]`: how an exercise crate tells the grader its
//! title, points, stress tests and limits. Parsing is strict: an unknown key,
//! a wrong type or points that do not add up is an error naming the manifest
//! and the key, never a silent default.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::error::{GraderError, Result};
use crate::scorecard::{Lane, Visibility};

/// The default score of an exercise when its metadata sets none.
pub const DEFAULT_MAX_SCORE: f64 = 20.0;
/// The default time limit of one test run.
pub const DEFAULT_TIMEOUT_SECS: f64 = 30.0;
/// Runs per grading of a stress test, unless its group says otherwise.
///
/// Every fixture bug is caught by at least 99 of 100 default runs of its
/// exercise's tests (BENCHMARKS.md), so three runs miss it with probability
/// below 0.01³ = 10⁻⁶, well under the 0.1% the grader promises.
pub const DEFAULT_STRESS_REPEAT: u32 = 3;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMetadata {
    title: String,
    max_score: Option<f64>,
    timeout: Option<f64>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Modules the exercise's `src/` may use beyond the policy's default
    /// (`review-allow` is the name from before issue 9).
    #[serde(default, alias = "review-allow")]
    allow: Vec<String>,
    /// Test targets only the course's gradings run (see `GradingMetadata`).
    #[serde(default)]
    grading_only: Vec<String>,
    groups: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawGroup {
    name: String,
    target: String,
    tests: Option<Vec<String>>,
    points: f64,
    #[serde(default)]
    stress: bool,
    repeat: Option<u32>,
    rounds: Option<u64>,
    timeout: Option<f64>,
    lane: Option<RawLane>,
    cpus: Option<u32>,
    visibility: Option<Visibility>,
}

/// The lanes a group may name; "plain" is what a group without `lane` and
/// without `stress` is, never written.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RawLane {
    Controlled,
    Stress,
}

/// An exercise's validated grading settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GradingMetadata {
    pub title: String,
    pub max_score: f64,
    pub timeout: Duration,
    /// Variables set for every test run of the exercise.
    pub env: BTreeMap<String, String>,
    /// Modules of the policy's forbidden list that this exercise's `src/`
    /// legitimately needs (exercise 4 reads files: `std::fs`).
    pub allow: Vec<String>,
    /// Test targets that `grader template` leaves out of a student's copy
    /// and the course's own gradings (Gradescope, Classroom 50, `batch`)
    /// run: tests a student cannot read, or tune a solution to.
    pub grading_only: Vec<String>,
    pub groups: Vec<Group>,
}

/// A set of tests that share points and run settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    /// The test target (file `tests/<target>.rs`) the group draws from.
    pub target: String,
    /// Exact test names; `None` means every test of the target that no
    /// other group names.
    pub tests: Option<Vec<String>>,
    pub points: f64,
    /// A concurrency stress test: repeated, and run alone on the machine.
    pub stress: bool,
    pub repeat: u32,
    /// `STRESS_ROUNDS` for the group's runs; `None` keeps the test's default.
    pub rounds: Option<u64>,
    pub timeout: Option<Duration>,
    /// How the group's tests explore interleavings: `stress` (the default
    /// for a stress group), `controlled` (the model checker's lane, key
    /// `lane = "controlled"`) or `plain`.
    pub lane: Lane,
    /// The CPUs the group's tests need to mean anything (key `cpus`, stress
    /// lane only; 1 when unset). On a machine with fewer, they are not run
    /// and the exercise's controlled lane decides them.
    pub cpus: u32,
    /// When students see the group's results on Gradescope: the group's
    /// `visibility`, by default `after_published` for a grading-only
    /// target (a student learns what those tests found once grades are
    /// out) and `visible` for the others.
    pub visibility: Visibility,
}

/// Parses and checks `[package.metadata.grader]` of the crate at `manifest`.
/// `test_targets` are the names of the crate's test targets.
pub fn parse(manifest: &Path, metadata: &serde_json::Value, test_targets: &[String]) -> Result<GradingMetadata> {
    let error = |key: &str, reason: String| GraderError::Metadata {
        manifest: manifest.to_path_buf(),
        key: key.to_string(),
        reason,
    };
    const ROOT: &str = "package.metadata.grader";
    let value = metadata.get("grader").ok_or_else(|| {
        error(ROOT, "missing; every crate under exercises/ needs it (see exercises/README.md)".into())
    })?;
    let raw: RawMetadata = serde_json::from_value(value.clone()).map_err(|e| error(ROOT, e.to_string()))?;

    let max_score = raw.max_score.unwrap_or(DEFAULT_MAX_SCORE);
    if !(max_score.is_finite() && max_score > 0.0) {
        return Err(error(&format!("{ROOT}.max-score"), format!("must be a positive number, not {max_score}")));
    }
    let timeout = seconds(raw.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS))
        .ok_or_else(|| error(&format!("{ROOT}.timeout"), "must be a positive number of seconds".into()))?;
    if raw.groups.is_empty() {
        return Err(error(&format!("{ROOT}.groups"), "needs at least one group".into()));
    }

    for (index, target) in raw.grading_only.iter().enumerate() {
        if !test_targets.contains(target) {
            return Err(error(
                &format!("{ROOT}.grading-only[{index}]"),
                format!("no test target `{target}`; the crate's test targets are: {}", test_targets.join(", ")),
            ));
        }
    }

    let grading_only = raw.grading_only.clone();
    let mut groups = Vec::with_capacity(raw.groups.len());
    for (index, value) in raw.groups.into_iter().enumerate() {
        let key = format!("{ROOT}.groups[{index}]");
        let raw: RawGroup = serde_json::from_value(value).map_err(|e| error(&key, e.to_string()))?;
        if !test_targets.contains(&raw.target) {
            return Err(error(
                &format!("{key}.target"),
                format!("no test target `{}`; the crate's test targets are: {}", raw.target, test_targets.join(", ")),
            ));
        }
        if !(raw.points.is_finite() && raw.points >= 0.0) {
            return Err(error(&format!("{key}.points"), "must be a number of at least 0".into()));
        }
        if raw.repeat == Some(0) {
            return Err(error(&format!("{key}.repeat"), "must be at least 1".into()));
        }
        let group_timeout = match raw.timeout {
            Some(secs) => Some(
                seconds(secs)
                    .ok_or_else(|| error(&format!("{key}.timeout"), "must be a positive number of seconds".into()))?,
            ),
            None => None,
        };
        let lane = match (raw.lane, raw.stress) {
            (Some(RawLane::Controlled), _) => Lane::Controlled,
            (Some(RawLane::Stress), true) | (None, true) => Lane::Stress,
            (Some(RawLane::Stress), false) => {
                return Err(error(
                    &format!("{key}.lane"),
                    "the stress lane runs its tests alone on the machine: a `lane = \"stress\"` group needs \
                     `stress = true`"
                        .into(),
                ));
            }
            (None, false) => Lane::Plain,
        };
        let cpus = match raw.cpus {
            None => 1,
            Some(0) => return Err(error(&format!("{key}.cpus"), "must be at least 1".into())),
            Some(n) if lane != Lane::Stress => {
                return Err(error(
                    &format!("{key}.cpus"),
                    format!(
                        "only a stress-lane group needs free CPUs (this group's lane is {}); `cpus = {n}` would \
                         mean nothing here",
                        lane.as_str()
                    ),
                ));
            }
            Some(n) => n,
        };
        let visibility = raw.visibility.unwrap_or(if grading_only.contains(&raw.target) {
            Visibility::AfterPublished
        } else {
            Visibility::Visible
        });
        groups.push(Group {
            name: raw.name,
            target: raw.target,
            tests: raw.tests,
            points: raw.points,
            stress: raw.stress,
            repeat: raw.repeat.unwrap_or(if raw.stress { DEFAULT_STRESS_REPEAT } else { 1 }),
            rounds: raw.rounds,
            timeout: group_timeout,
            lane,
            cpus,
            visibility,
        });
    }

    let total: f64 = groups.iter().map(|g| g.points).sum();
    if (total - max_score).abs() > 1e-9 {
        return Err(error(
            &format!("{ROOT}.groups"),
            format!("the groups' points add up to {total}, but max-score is {max_score}"),
        ));
    }
    for (index, module) in raw.allow.iter().enumerate() {
        if !crate::policy::FORBIDDEN.iter().any(|(forbidden, _)| forbidden == module) {
            let known: Vec<&str> = crate::policy::FORBIDDEN.iter().map(|(m, _)| *m).collect();
            return Err(error(
                &format!("{ROOT}.allow[{index}]"),
                format!("`{module}` is not one of the policy's forbidden modules: {}", known.join(", ")),
            ));
        }
    }
    Ok(GradingMetadata {
        title: raw.title,
        max_score,
        timeout,
        env: raw.env,
        allow: raw.allow,
        grading_only: raw.grading_only,
        groups,
    })
}

fn seconds(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn targets() -> Vec<String> {
        vec!["behaviour".into(), "stress".into()]
    }

    fn parse_json(value: serde_json::Value) -> Result<GradingMetadata> {
        parse(Path::new("exercises/x/Cargo.toml"), &json!({ "grader": value }), &targets())
    }

    #[test]
    fn parses_groups_with_defaults() {
        let meta = parse_json(json!({
            "title": "Race",
            "groups": [
                { "name": "B", "target": "behaviour", "points": 8 },
                { "name": "S", "target": "stress", "points": 12, "stress": true, "rounds": 100 }
            ]
        }))
        .unwrap();
        assert_eq!(meta.max_score, 20.0);
        assert_eq!(meta.timeout, Duration::from_secs(30));
        assert_eq!(meta.groups[0].repeat, 1);
        assert_eq!(meta.groups[1].repeat, DEFAULT_STRESS_REPEAT);
        assert_eq!(meta.groups[1].rounds, Some(100));
    }

    #[test]
    fn points_must_add_up() {
        let err = parse_json(json!({
            "title": "Race",
            "groups": [{ "name": "B", "target": "behaviour", "points": 8 }]
        }))
        .unwrap_err()
        .to_string();
        assert!(err.contains("exercises/x/Cargo.toml"), "{err}");
        assert!(err.contains("add up to 8, but max-score is 20"), "{err}");
    }

    #[test]
    fn unknown_keys_and_targets_are_named() {
        let err = parse_json(json!({
            "title": "Race",
            "groups": [{ "name": "B", "target": "behaviour", "points": 20, "pionts": 1 }]
        }))
        .unwrap_err()
        .to_string();
        assert!(err.contains("package.metadata.grader.groups[0]") && err.contains("pionts"), "{err}");

        let err = parse_json(json!({
            "title": "Race",
            "groups": [{ "name": "B", "target": "nope", "points": 20 }]
        }))
        .unwrap_err()
        .to_string();
        assert!(err.contains("groups[0].target") && err.contains("no test target `nope`"), "{err}");
    }

    #[test]
    fn lanes_default_from_stress_and_cpus_belong_to_the_stress_lane() {
        let meta = parse_json(json!({
            "title": "Race",
            "groups": [
                { "name": "B", "target": "behaviour", "points": 8 },
                { "name": "S", "target": "stress", "points": 10, "stress": true, "cpus": 2 },
                { "name": "L", "target": "behaviour", "tests": ["x"], "points": 2, "lane": "controlled" }
            ]
        }))
        .unwrap();
        let lanes: Vec<(Lane, u32)> = meta.groups.iter().map(|g| (g.lane, g.cpus)).collect();
        assert_eq!(lanes, [(Lane::Plain, 1), (Lane::Stress, 2), (Lane::Controlled, 1)]);

        let one = |group: serde_json::Value| {
            parse_json(json!({ "title": "Race", "groups": [group] })).map(|_| ()).unwrap_err().to_string()
        };
        let err = one(json!({ "name": "B", "target": "behaviour", "points": 20, "lane": "plain" }));
        assert!(err.contains("groups[0]") && err.contains("plain"), "{err}");
        let err = one(json!({ "name": "B", "target": "behaviour", "points": 20, "lane": "stress" }));
        assert!(err.contains("groups[0].lane") && err.contains("stress = true"), "{err}");
        let err = one(json!({ "name": "B", "target": "behaviour", "points": 20, "cpus": 2 }));
        assert!(err.contains("groups[0].cpus") && err.contains("lane is plain"), "{err}");
        let err = one(json!({ "name": "B", "target": "behaviour", "points": 20, "lane": "controlled", "cpus": 2 }));
        assert!(err.contains("groups[0].cpus") && err.contains("controlled"), "{err}");
        let err = one(json!({ "name": "S", "target": "stress", "points": 20, "stress": true, "cpus": 0 }));
        assert!(err.contains("groups[0].cpus") && err.contains("at least 1"), "{err}");
        let err = one(json!({ "name": "S", "target": "stress", "points": 20, "stress": true, "cpus": "2" }));
        assert!(err.contains("groups[0]") && err.contains("invalid type"), "{err}");
    }

    #[test]
    fn visibility_and_grading_only_targets() {
        let meta = parse_json(json!({
            "title": "Race",
            "grading-only": ["stress"],
            "groups": [
                { "name": "B", "target": "behaviour", "points": 8, "visibility": "after_due_date" },
                { "name": "S", "target": "stress", "points": 6 },
                { "name": "T", "target": "stress", "tests": ["t"], "points": 6, "visibility": "hidden" }
            ]
        }))
        .unwrap();
        assert_eq!(meta.grading_only, ["stress"]);
        let visibility: Vec<Visibility> = meta.groups.iter().map(|g| g.visibility).collect();
        assert_eq!(visibility, [Visibility::AfterDueDate, Visibility::AfterPublished, Visibility::Hidden]);
        let plain =
            parse_json(json!({ "title": "R", "groups": [{ "name": "B", "target": "behaviour", "points": 20 }] }));
        assert_eq!(plain.unwrap().groups[0].visibility, Visibility::Visible);

        let err = parse_json(json!({
            "title": "Race",
            "grading-only": ["secret"],
            "groups": [{ "name": "B", "target": "behaviour", "points": 20 }]
        }))
        .unwrap_err()
        .to_string();
        assert!(err.contains("grading-only[0]") && err.contains("no test target `secret`"), "{err}");
        let err = parse_json(json!({
            "title": "Race",
            "groups": [{ "name": "B", "target": "behaviour", "points": 20, "visibility": "later" }]
        }))
        .unwrap_err()
        .to_string();
        assert!(err.contains("groups[0]") && err.contains("later"), "{err}");
    }

    #[test]
    fn missing_metadata_is_an_error() {
        let err = parse(Path::new("m/Cargo.toml"), &json!({}), &targets()).unwrap_err().to_string();
        assert!(err.contains("m/Cargo.toml") && err.contains("package.metadata.grader"), "{err}");
    }
}
