//! The sentinel: how the grader knows a test really passed.
//!
//! A test's exit status alone can be forged: code under test can call
//! `std::process::exit(0)` in the middle of a test, or print text that
//! imitates libtest's report and then exit. So the grader appends one more
//! test to every staged test file, named to sort after every real test, and
//! runs it in the same process right after the test being graded (libtest
//! runs the tests it is given in name order, one at a time with
//! `--test-threads 1`). The sentinel writes a random nonce, which only the
//! grader and this process know, to a file. A run passes only if the process
//! exits 0 *and* the file holds the nonce: a process that ended early never
//! reached the sentinel.

/// The sentinel test's name; it sorts after any real test name.
pub const NAME: &str = "zzzz_grader_sentinel";
/// The variable that holds the file to write.
pub const FILE_ENV: &str = "GRADER_SENTINEL_FILE";
/// The variable that holds the nonce.
pub const NONCE_ENV: &str = "GRADER_SENTINEL_NONCE";

/// Appended to each staged test file. `#[ignore]` keeps it out of a plain
/// run; the grader asks for it with `--include-ignored`.
pub const SOURCE: &str = r#"

// Appended by the grader to its staged copy (see grader/src/run/sentinel.rs).
#[test]
#[ignore = "run by the grader only"]
fn zzzz_grader_sentinel() {
    if let (Some(file), Some(nonce)) = (
        ::std::env::var_os("GRADER_SENTINEL_FILE"),
        ::std::env::var_os("GRADER_SENTINEL_NONCE"),
    ) {
        ::std::fs::write(file, nonce.into_encoded_bytes()).expect("the grader's sentinel file is writable");
    }
}
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn the_source_defines_the_named_test_reading_the_named_variables() {
        assert!(super::SOURCE.contains(&format!("fn {}()", super::NAME)));
        assert!(super::SOURCE.contains(super::FILE_ENV));
        assert!(super::SOURCE.contains(super::NONCE_ENV));
    }
}
