//! Reporting: everything that turns a scorecard into bytes for someone:
//! JSON for machines, a summary for people, a progress display while tests
//! run, a CSV gradebook for a batch (and Canvas's import columns), the class
//! statistics, the class dashboard with a feedback page per submission, and
//! the export formats other tools read, one module per consumer (Gradescope,
//! JUnit, Markdown, Classroom 50, GitHub Classroom (legacy), Exercism),
//! dispatched by `formats`. No other module serializes; every file goes
//! through `output::write_atomic`, and every scorecard is read back through
//! `read::scorecard`.

pub mod canvas;
pub mod classroom;
pub mod classroom50;
pub mod counterexample;
pub mod csv;
pub mod dashboard;
pub(crate) mod entry;
pub mod exercism;
pub mod formats;
pub mod gradescope;
pub mod hang;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod output;
pub mod page;
pub mod progress;
pub mod read;
pub mod stats;
