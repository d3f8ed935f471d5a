//! Export formats: one scorecard rendered for the tools that show or record
//! grades elsewhere. The JSON scorecard stays the record; every other format
//! is derived from it and carries only what its consumer reads. Each
//! consumer has a module of its own under `report/` (as cargo-nextest's
//! `reporter/` keeps one consumer per file); this one only names the
//! formats and sends a scorecard to the right module.

use base64::Engine as _;
use serde_json::Value;

use crate::error::Result;
use crate::report::output::Output;
use crate::report::{classroom, classroom50, exercism, gradescope, json, junit, markdown};
use crate::scorecard::Scorecard;

/// What `grade --output` and `convert` write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Format {
    /// The JSON scorecard itself (the contract's format).
    Json,
    /// Gradescope's autograder `results.json`.
    Gradescope,
    /// JUnit XML, for CI test-report widgets.
    Junit,
    /// A Markdown report, for `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// Classroom 50's `result.json` (classroom50/result/v1, integer points).
    Classroom50,
    /// Legacy: GitHub Classroom's autograding result (base64 of its JSON).
    /// GitHub Classroom was retired on 2026-08-28; use classroom50.
    Classroom,
    /// Exercism's test-runner `results.json`, version 3.
    Exercism,
}

impl Format {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Gradescope => "gradescope",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Classroom50 => "classroom50",
            Format::Classroom => "classroom",
            Format::Exercism => "exercism",
        }
    }
}

/// The scorecard in `format`, ending in a newline.
///
/// For [`Format::Classroom`] this is the *base64* of the JSON object that
/// [`classroom::result_json`] returns: GitHub Classroom's
/// `autograding-grading-reporter` reads each runner's result from an
/// environment variable `<RUNNER>_RESULTS` (set from a step output
/// `result`) and decodes it as base64 before parsing the JSON. The trailing
/// newline is harmless there: Node's base64 decoder skips whitespace.
pub fn render(card: &Scorecard, format: Format) -> String {
    let mut text = match format {
        Format::Json => return json::to_string(card),
        Format::Gradescope => pretty(&gradescope::results_json(card)),
        Format::Junit => return junit::to_string(card),
        Format::Markdown => return markdown::to_string(card),
        Format::Classroom => {
            let json = serde_json::to_string(&classroom::result_json(card)).expect("a JSON value always serializes");
            base64::engine::general_purpose::STANDARD.encode(json)
        }
        Format::Exercism => pretty(&exercism::results_json(card)),
        Format::Classroom50 => pretty(&classroom50::result_json(card, &classroom50::Identity::from_env())),
    };
    text.push('\n');
    text
}

/// Writes the scorecard in `format` to a file (atomically, like the JSON
/// scorecard) or to stdout. JSON goes through `report::json`, so
/// `--format json` is exactly the contract's output.
pub fn write(card: &Scorecard, format: Format, output: &Output) -> Result<()> {
    if format == Format::Json {
        return json::write(card, output);
    }
    output.write(&render(card, format), &format!("the {} report", format.name()))
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("a JSON value always serializes")
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    #[test]
    fn format_names_are_the_command_line_values() {
        for format in Format::value_variants() {
            let value = format.to_possible_value().expect("no variant is hidden");
            assert_eq!(value.get_name(), format.name());
            assert_eq!(Format::from_str(format.name(), false), Ok(*format));
        }
        assert_eq!(Format::value_variants().len(), 7);
    }
}
