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
