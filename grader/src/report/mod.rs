//! Reporting: everything that turns a scorecard into bytes for someone:
//! JSON for machines, a summary for people, a progress display while tests
//! run, a CSV gradebook for a batch (and Canvas's import columns), the class
//! statistics, the class dashboard with a feedback page per submission, and
//! the export formats other tools read (Gradescope, JUnit, Markdown, GitHub
//! Classroom, Exercism). No other module serializes.

pub mod canvas;
pub mod csv;
pub mod dashboard;
pub mod formats;
pub mod html;
pub mod human;
pub mod json;
pub mod page;
pub mod progress;
pub mod stats;
