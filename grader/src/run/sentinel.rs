//! The sentinel: how the grader knows a test really ran to its end.
//!
//! A test's exit status alone can be forged if the process can end itself
//! early (`std::process::exit(0)` in the middle of a test, after printing
//! text that imitates libtest's report). So the grader appends one more test
//! to every staged test file, named to sort after every real test, and runs
//! it in the same process right after the test being graded (libtest runs
//! the tests it is given in name order, one at a time with
//! `--test-threads 1`). A run passes only if the process exits 0 *and* the
//! sentinel handed back the run's random nonce: a process that ended early
//! never reached the sentinel.
//!
//! The nonce is out of reach of the code under test by construction:
//!
//! - it is never in the environment, the command line or a file the test
//!   can open: the grader writes it to a file in the run's folder *outside*
//!   the two subfolders the test may use, opens it, deletes it, and hands the
//!   open file down as descriptor 3; the proof goes back through descriptor
//!   4, a second file beside it, which the grader reads after the process
//!   has ended;
//! - turning a descriptor number into a `File` takes `unsafe`
//!   (`File::from_raw_fd`), and the student's crate is compiled with
//!   `#![forbid(unsafe_code)]` (see `build::stage`); no safe standard API
//!   reads a raw descriptor;
//! - reopening them by path (`/proc/self/fd/3`, `/dev/fd/3`) is refused by
//!   the run's Landlock domain (see `run::confine`): the files lie outside
//!   what the test may read or write, and `/proc` is not readable at all;
//! - only the grader-owned sentinel, compiled into the test crate (not the
//!   student's), uses `unsafe` to read descriptor 3 and write descriptor 4.
//!
//! What the nonce does not prove by itself is that the graded test passed:
//! the sentinel also runs after a failed test, and the exit status carries
//! the verdict. That status is libtest's because the code under test cannot
//! end the process itself: no `std::process` (the policy's resolver), no
//! `unsafe` and no foreign code (the compiler). See SECURITY.md.

/// The sentinel test's name; it sorts after any real test name.
pub const NAME: &str = "zzzz_grader_sentinel";
/// The variable that tells the sentinel its descriptors are there (it holds
/// no secret: only where the descriptors are).
pub const FDS_ENV: &str = "GRADER_SENTINEL_FDS";
/// The value of [`FDS_ENV`]: the nonce's descriptor, then the proof's.
pub const FDS: &str = "3,4";
/// Descriptor numbers of the nonce (read) and the proof (write).
pub const NONCE_FD: i32 = 3;
pub const PROOF_FD: i32 = 4;

/// Appended to each staged test file. `#[ignore]` keeps it out of a plain
/// run; the grader asks for it with `--include-ignored`. Without the
/// grader's variable (a student running `cargo test -- --include-ignored`)
/// it touches no descriptor, which could belong to someone else (cargo's
/// jobserver).
pub const SOURCE: &str = r#"

// Appended by the grader to its staged copy (see grader/src/run/sentinel.rs).
#[test]
#[ignore = "run by the grader only"]
#[allow(unsafe_code)]
fn zzzz_grader_sentinel() {
    use ::std::io::{Read as _, Write as _};
    use ::std::os::fd::FromRawFd as _;
    if ::std::env::var_os("GRADER_SENTINEL_FDS").is_some_and(|v| v == "3,4") {
        // SAFETY: the grader opened descriptors 3 and 4 for this process
        // (the variable above says so) and nothing else in it owns them.
        let (mut nonce_in, mut proof) =
            unsafe { (::std::fs::File::from_raw_fd(3), ::std::fs::File::from_raw_fd(4)) };
        let mut nonce = ::std::vec::Vec::new();
        nonce_in.read_to_end(&mut nonce).expect("the grader's nonce is readable");
        proof.write_all(&nonce).expect("the grader's proof file is writable");
    }
}
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn the_source_defines_the_named_test_reading_the_named_descriptors() {
        assert!(super::SOURCE.contains(&format!("fn {}()", super::NAME)));
        assert!(super::SOURCE.contains(&format!("\"{}\"", super::FDS_ENV)));
        assert!(super::SOURCE.contains(&format!("\"{}\"", super::FDS)));
        assert!(super::SOURCE.contains(&format!("from_raw_fd({})", super::NONCE_FD)));
        assert!(super::SOURCE.contains(&format!("from_raw_fd({})", super::PROOF_FD)));
        assert!(!super::SOURCE.contains("NONCE\""), "the nonce is never in a variable");
    }
}
