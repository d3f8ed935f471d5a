//! The JSON scorecard, as the contract fixes it.

use crate::error::Result;
use crate::report::output::Output;
use crate::scorecard::Scorecard;

/// The scorecard as pretty-printed JSON, ending in a newline.
pub fn to_string(scorecard: &Scorecard) -> String {
    let mut text = serde_json::to_string_pretty(scorecard).expect("a scorecard always serializes");
    text.push('\n');
    text
}

/// Writes the scorecard to a file (atomically: a reader never sees half a
/// scorecard) or to stdout.
pub fn write(scorecard: &Scorecard, output: &Output) -> Result<()> {
    output.write(&to_string(scorecard), "the scorecard")
}
