//! Reporting: everything that turns a scorecard into bytes for someone:
//! JSON for machines, a summary for people, a progress display while tests
//! run, a CSV gradebook for a batch, and the export formats other tools
//! read, one module per consumer (Gradescope, JUnit, Markdown, Classroom 50,
//! GitHub Classroom (legacy), Exercism), dispatched by `formats`. No other module
//! serializes; every file goes through `output::write_atomic`, and every
//! scorecard is read back through `read::scorecard`.

pub mod classroom;
pub mod classroom50;
pub mod counterexample;
pub mod csv;
pub(crate) mod entry;
pub mod exercism;
pub mod formats;
pub mod gradescope;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod output;
pub mod progress;
pub mod read;
