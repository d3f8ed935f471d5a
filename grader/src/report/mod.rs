//! Reporting: everything that turns a scorecard into bytes for someone:
//! JSON for machines, a summary for people, a progress display while tests
//! run, a CSV gradebook for a batch, and the export formats other tools
//! read (Gradescope, JUnit, Markdown, GitHub Classroom, Exercism). No other
//! module serializes.

pub mod csv;
pub mod formats;
pub mod hang;
pub mod human;
pub mod json;
pub mod progress;
