//! exercise-4, reference solution: parallel map-reduce word count.
//!
//! Map: every file is read and counted on its own rayon task. Reduce: the
//! per-file counts are merged pairwise as the tasks finish. Addition is
//! associative and commutative, so the result is the same whatever order the
//! files finish in, and equals the sequential result exactly.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::Path;

use rayon::prelude::*;

/// Counts the words of `text`. A word is a maximal run of characters for
/// which `char::is_alphanumeric` is true; the text is split into words
/// first, and then each word is lowercased as a whole with
/// `str::to_lowercase` (so a lowercased word may hold characters that are
/// not alphanumeric, as "İ" becomes "i̇", and final sigma rules apply). So
/// "Don't stop, don't!" counts {"don": 2, "t": 2, "stop": 1}; text with no
/// word gives an empty map.
pub fn count_words(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    // Split before lowercasing: lowercasing can produce characters that are
    // not alphanumeric ("İ" becomes "i" plus a combining dot), and whether a
    // sigma is final depends on what follows it, so lowercasing the whole
    // text first would move word boundaries and change the words.
    let words = text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty());
    for word in words {
        *counts.entry(word.to_lowercase()).or_insert(0) += 1;
    }
    counts
}

/// Adds every count of `from` into `into`.
pub fn merge_counts(into: &mut HashMap<String, usize>, from: HashMap<String, usize>) {
    for (word, count) in from {
        // Add, never insert: the same word found in two files counts twice.
        *into.entry(word).or_insert(0) += count;
    }
}

/// Counts the words of all `files` together (the same rule as
/// `count_words`; a path given twice counts twice). Equals the sequential
/// result exactly, whatever the order the files finish in.
///
/// Parallel: with two or more files, at least two files are being read and
/// counted at the same moment, on different threads, whatever the number of
/// CPU cores. (The tests run with `RAYON_NUM_THREADS` set to at least 2; a
/// solution that starts its own threads starts at least two.)
///
/// A file that cannot be read (missing, a directory, no permission) or is
/// not valid UTF-8 makes the whole call return an `io::Error` (for invalid
/// UTF-8, kind `InvalidData`; when several files fail, any one of their
/// errors); it never panics. No files give an empty map.
pub fn word_count<P: AsRef<Path> + Sync>(files: &[P]) -> io::Result<HashMap<String, usize>> {
    files
        .par_iter()
        // Map: each file is read and counted on whichever worker picks it
        // up; no state is shared between the tasks, so there is nothing to
        // lock. `read_to_string` already reports invalid UTF-8 as an error
        // of kind `InvalidData`.
        .map(|path| {
            let path = path.as_ref();
            let text = fs::read_to_string(path).map_err(|error| {
                // Name the file in the message, keeping the kind, so that a
                // caller can still tell "not found" from "invalid data".
                io::Error::new(error.kind(), format!("{}: {error}", path.display()))
            })?;
            Ok(count_words(&text))
        })
        // Reduce: merge the partial counts pairwise. `try_reduce` stops at
        // the first error it meets and returns it; which one that is depends
        // on timing, and the contract allows any of them. With no files it
        // returns the identity, an empty map.
        .try_reduce(HashMap::new, |mut left, mut right| {
            // Merge the smaller map into the larger one: less rehashing.
            if left.len() < right.len() {
                std::mem::swap(&mut left, &mut right);
            }
            merge_counts(&mut left, right);
            Ok(left)
        })
}
