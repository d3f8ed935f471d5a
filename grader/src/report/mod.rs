//! Reporting: everything that turns a scorecard into bytes for someone:
//! JSON for machines, a summary for people, a progress display while tests
//! run, a CSV gradebook for a batch. No other module serializes.

pub mod csv;
pub mod human;
pub mod json;
pub mod progress;
