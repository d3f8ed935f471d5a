//! Each test card's visibility, from its group's metadata.
//!
//! Scoring knows tests by name and group; who may see a result is a
//! property of the group (`visibility` in `[package.metadata.grader]`),
//! copied onto the cards after scoring so that every report (Gradescope's
//! per-test `visibility` first) reads it from the scorecard alone.

use crate::discover::Exercise;
use crate::scorecard::{ExerciseCard, Visibility};

/// Sets `visibility` on every test card of `cards` whose group is not
/// `visible`. A card whose exercise or group is unknown keeps `None`
/// (visible): that cannot happen for cards this grader made.
pub fn apply(exercises: &[Exercise], cards: &mut [ExerciseCard]) {
    for card in cards {
        let Some(exercise) = exercises.iter().find(|e| e.id == card.id) else { continue };
        for test in &mut card.tests {
            let group = exercise.grading.groups.iter().find(|g| g.name == test.group);
            test.visibility = group.map(|g| g.visibility).filter(|v| *v != Visibility::Visible);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::discover::{GradingMetadata, Group};
    use crate::scorecard::{ExerciseStatus, TestCard, TestStatus};

    fn group(name: &str, visibility: Visibility) -> Group {
        Group {
            name: name.into(),
            target: "t".into(),
            tests: None,
            points: 1.0,
            stress: false,
            repeat: 1,
            rounds: None,
            timeout: None,
            visibility,
            lane: crate::scorecard::Lane::Plain,
            cpus: 1,
        }
    }

    fn test(group: &str) -> TestCard {
        serde_json::from_value(serde_json::json!({
            "name": format!("in_{group}"), "status": "passed", "runs": 1, "passed_runs": 1, "points": 1.0,
            "max_points": 1.0, "message": null, "target": "t", "group": group, "stress": false,
            "failing_seed": null, "replay": null
        }))
        .unwrap()
    }

    #[test]
    fn cards_take_their_groups_visibility_and_visible_stays_unset() {
        let exercise = Exercise {
            id: "exercise-1".into(),
            dir: PathBuf::new(),
            relative_dir: PathBuf::new(),
            manifest: PathBuf::new(),
            test_targets: Vec::new(),
            grading: GradingMetadata {
                title: "T".into(),
                max_score: 3.0,
                timeout: Duration::from_secs(1),
                env: Default::default(),
                allow: Vec::new(),
                grading_only: Vec::new(),
                groups: vec![group("open", Visibility::Visible), group("later", Visibility::AfterDueDate)],
            },
        };
        let mut cards = vec![ExerciseCard {
            id: "exercise-1".into(),
            title: "T".into(),
            score: 3.0,
            max_score: 3.0,
            status: ExerciseStatus::Passed,
            message: None,
            tests: vec![test("open"), test("later"), test("unknown")],
            lanes: Vec::new(),
        }];
        apply(&[exercise], &mut cards);
        let visibility: Vec<Option<Visibility>> = cards[0].tests.iter().map(|t| t.visibility).collect();
        assert_eq!(visibility, [None, Some(Visibility::AfterDueDate), None]);
        assert_eq!(cards[0].tests[0].status, TestStatus::Passed);
    }
}
