//! Stress: `word_count` on many random sets of files equals the sequential
//! result, counting each file with `count_words` and adding the counts.
//!
//! Two caller threads, lined up on a spin barrier, call `word_count` at the
//! same moment every round, each on its own random files (a path may appear
//! more than once), so that the workers of both calls finish in ever
//! different orders. A lost or overwritten count when merging, or state
//! shared between calls, shows up as a difference from the sequential sum.

use std::collections::HashMap;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread;

use exercise_4::{count_words, word_count};
use rand::Rng;
use rand::SeedableRng;
use rand::seq::IndexedRandom;
use testkit::{SpinBarrier, StdRng, panic_message};

/// Word pieces that files are made of: shared between files, so that the
/// same word is counted in several of them, in various cases and scripts.
const PIECES: &[&str] = &[
    "the",
    "The",
    "THE",
    "cat",
    "Cat",
    "sat",
    "on",
    "mat",
    "don",
    "t",
    "2024",
    "42",
    "r2d2",
    "İstanbul",
    "ΣΑΣ",
    "ΟΔΟΣ",
    "Straße",
    "naïve",
    "東京",
    "٣",
    "x",
];
/// What goes between pieces: separators of every kind, and sometimes
/// nothing, which glues two pieces into one word.
const GLUE: &[&str] = &[" ", " ", " ", "\n", ", ", "'", "-", "_", ". ", "\t", "—", "!", ""];
/// Files per caller, rewritten as the rounds go.
const POOL: usize = 6;
/// At most this many paths per call.
const MAX_PATHS: usize = 8;
/// Caller threads (no more than the cores: they spin on the barrier).
const CALLERS: usize = 2;

fn random_text(rng: &mut StdRng) -> String {
    let pieces = rng.random_range(0..=100);
    let mut text = String::new();
    for _ in 0..pieces {
        text.push_str(PIECES.choose(rng).unwrap());
        text.push_str(GLUE.choose(rng).unwrap());
    }
    text
}

/// Abandons the barrier if the caller thread unwinds, so that the other
/// caller does not spin forever waiting for it.
struct AbandonOnPanic<'a>(&'a SpinBarrier);

impl Drop for AbandonOnPanic<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.abandon();
        }
    }
}

/// One caller's files, with their current texts.
struct Pool {
    paths: Vec<PathBuf>,
    texts: Vec<String>,
}

impl Pool {
    fn new(dir: &Path, caller: usize, rng: &mut StdRng) -> Pool {
        let paths: Vec<PathBuf> = (0..POOL).map(|index| dir.join(format!("caller{caller}-file{index}.txt"))).collect();
        let mut pool = Pool { paths, texts: vec![String::new(); POOL] };
        for index in 0..POOL {
            pool.rewrite(index, rng);
        }
        pool
    }

    fn rewrite(&mut self, index: usize, rng: &mut StdRng) {
        self.texts[index] = random_text(rng);
        fs::write(&self.paths[index], &self.texts[index]).expect("the test could not write its input file");
    }
}

/// Describes how `got` differs from `expected`, naming one word and the
/// count it has in each file.
fn describe_difference(
    got: &HashMap<String, usize>,
    expected: &HashMap<String, usize>,
    per_file: &[HashMap<String, usize>],
) -> String {
    let mut words: Vec<&String> = expected.keys().chain(got.keys()).collect();
    words.sort();
    words.dedup();
    let word =
        words.into_iter().find(|word| got.get(*word) != expected.get(*word)).expect("the maps differ in some word");
    let in_files: Vec<String> =
        per_file.iter().map(|counts| counts.get(word).copied().unwrap_or(0).to_string()).collect();
    format!(
        "word_count on {} paths gave {word:?}: {}, but counting each file with count_words and \
         adding gives {} (per path: {}): the per-file counts were not all added together (a \
         count overwritten or lost when merging, or counts shared between calls)",
        per_file.len(),
        got.get(word).copied().unwrap_or(0),
        expected.get(word).copied().unwrap_or(0),
        in_files.join(" + "),
    )
}

/// Runs the rounds of one caller; returns the first failure (round and
/// message), if any.
fn caller_rounds(caller: usize, seed: u64, rounds: u64, dir: &Path, barrier: &SpinBarrier) -> Option<(u64, String)> {
    let _abandon = AbandonOnPanic(barrier);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pool = Pool::new(dir, caller, &mut rng);
    for round in 0..rounds {
        // New texts for a file or two (this caller's own files: nobody else
        // reads them), then a random list of paths, repeats allowed.
        for _ in 0..rng.random_range(1..=2) {
            let index = rng.random_range(0..POOL);
            pool.rewrite(index, &mut rng);
        }
        let chosen: Vec<usize> = (0..rng.random_range(0..=MAX_PATHS)).map(|_| rng.random_range(0..POOL)).collect();
        let paths: Vec<&Path> = chosen.iter().map(|&index| pool.paths[index].as_path()).collect();

        // The sequential result: each file on its own, added up here.
        let per_file = match panic::catch_unwind(|| {
            chosen.iter().map(|&index| count_words(&pool.texts[index])).collect::<Vec<_>>()
        }) {
            Ok(per_file) => per_file,
            Err(payload) => {
                barrier.abandon();
                return Some((round, format!("count_words panicked: {}", panic_message(payload.as_ref()))));
            }
        };
        let mut expected: HashMap<String, usize> = HashMap::new();
        for counts in &per_file {
            for (word, count) in counts {
                *expected.entry(word.clone()).or_insert(0) += count;
            }
        }

        if !barrier.wait() {
            return None;
        }
        let failure = match panic::catch_unwind(AssertUnwindSafe(|| word_count(&paths))) {
            Err(payload) => Some(format!(
                "word_count panicked on {} readable UTF-8 files: {}",
                paths.len(),
                panic_message(payload.as_ref())
            )),
            Ok(Err(error)) => {
                Some(format!("word_count returned an error for {} readable UTF-8 files: {error}", paths.len()))
            }
            Ok(Ok(got)) if got != expected => Some(describe_difference(&got, &expected, &per_file)),
            Ok(Ok(_)) => None,
        };
        if let Some(message) = failure {
            barrier.abandon();
            return Some((round, message));
        }
    }
    None
}

#[test]
fn word_count_equals_the_sequential_result() {
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(800);
    let mut rng = stress.rng();
    let dir = tempfile::tempdir().expect("the test could not make a temporary directory");
    let barrier = SpinBarrier::new(CALLERS);
    let seeds: Vec<u64> = (0..CALLERS).map(|_| rng.random()).collect();
    let failures = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for (caller, &seed) in seeds.iter().enumerate() {
            let (barrier, failures, dir) = (&barrier, &failures, dir.path());
            scope.spawn(move || {
                if let Some(failure) = caller_rounds(caller, seed, stress.rounds, dir, barrier) {
                    failures.lock().unwrap().push(failure);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    if let Some((round, message)) = failures.into_iter().min_by_key(|(round, _)| *round) {
        stress.fail(round, message);
    }
}
