//! What `word_count` returns: the counts of all files together, and an
//! `io::Error` (never a panic) for files that cannot be read or are not
//! UTF-8. Every file is made in a fresh temporary directory at run time.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use exercise_4::word_count;

fn counts(pairs: &[(&str, usize)]) -> HashMap<String, usize> {
    pairs.iter().map(|&(word, count)| (word.to_string(), count)).collect()
}

/// Writes `contents` to `dir/name` and returns the path.
fn write_file(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, contents).expect("the test could not write its input file");
    path
}

/// Calls `word_count`, turning a panic into a test failure that says which
/// input made it panic: `word_count` must report every problem as an error.
fn call<P: AsRef<Path> + Sync>(files: &[P], input: &str) -> io::Result<HashMap<String, usize>> {
    match panic::catch_unwind(AssertUnwindSafe(|| word_count(files))) {
        Ok(result) => result,
        Err(payload) => {
            let message = testkit::panic_message(payload.as_ref());
            panic!(
                "word_count panicked on {input}: {message}\n(word_count must never panic; a file it \
                 cannot read is reported as an io::Error)"
            )
        }
    }
}

/// Checks that `word_count` fails on `files` and returns the error.
fn expect_error<P: AsRef<Path> + Sync>(files: &[P], input: &str) -> io::Error {
    match call(files, input) {
        Err(error) => error,
        Ok(counts) => panic!(
            "word_count returned Ok({counts:?}) for {input}: a file that cannot be read makes \
             the whole call return an io::Error"
        ),
    }
}

#[test]
fn no_files_give_an_empty_map() {
    let no_paths: [PathBuf; 0] = [];
    match call(&no_paths, "an empty list of files") {
        Ok(counts) => assert!(counts.is_empty(), "word_count of no files gave {counts:?}, expected an empty map"),
        Err(error) => {
            panic!("word_count of no files returned the error {error:?}, expected Ok(empty map)")
        }
    }
}

#[test]
fn counts_the_words_of_all_files_together() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        write_file(dir.path(), "a.txt", "Don't stop, don't!\n"),
        write_file(dir.path(), "b.txt", "Stop. İstanbul ΣΑΣ; 2024 stop\r\n"),
        write_file(dir.path(), "empty.txt", ""),
        write_file(dir.path(), "c.txt", "t_T don-DON ΟΔΟΣ.ΑΒ 2024"),
    ];
    let expected = counts(&[
        ("don", 4),
        ("t", 4),
        ("stop", 3),
        ("i\u{307}stanbul", 1),
        ("σας", 1),
        ("2024", 2),
        ("οδος", 1),
        ("αβ", 1),
    ]);
    let got = call(&files, "four readable files")
        .unwrap_or_else(|error| panic!("word_count returned the error {error:?} for four readable UTF-8 files"));
    assert!(
        got == expected,
        "word_count gave {got:?}, expected {expected:?}: the words of all files are counted \
         with the rule of count_words, and a word found in several files gets the sum of \
         its counts"
    );

    // Any path type works, and the caller's list is only borrowed.
    let as_strings: Vec<String> = files.iter().map(|path| path.display().to_string()).collect();
    let again = call(&as_strings, "the same files given as Strings")
        .unwrap_or_else(|error| panic!("word_count returned the error {error:?} for the same files given as Strings"));
    assert!(again == expected, "word_count gave {again:?} for the same files given as Strings, expected {expected:?}");
}

#[test]
fn a_path_given_twice_counts_twice() {
    let dir = tempfile::tempdir().unwrap();
    let twice = write_file(dir.path(), "twice.txt", "echo Echo, once");
    let other = write_file(dir.path(), "other.txt", "echo");
    let files = [&twice, &other, &twice];
    let got = call(&files, "a list with one path twice")
        .unwrap_or_else(|error| panic!("word_count returned the error {error:?} for readable files"));
    let expected = counts(&[("echo", 5), ("once", 2)]);
    assert!(
        got == expected,
        "word_count([twice.txt, other.txt, twice.txt]) gave {got:?}, expected {expected:?}: \
         a path given twice is counted twice"
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_file(dir.path(), "good.txt", "some words");
    let missing = dir.path().join("no-such-file.txt");
    let error = expect_error(&[&good, &missing], "a missing file");
    assert!(
        error.kind() == io::ErrorKind::NotFound,
        "word_count returned an error of kind {:?} for a missing file, expected the file's own \
         error, of kind NotFound: {error}",
        error.kind()
    );
}

#[test]
fn a_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_file(dir.path(), "good.txt", "some words");
    let subdir = dir.path().join("a-directory");
    fs::create_dir(&subdir).unwrap();
    expect_error(&[&good, &subdir], "a directory given as a file");
}

#[test]
fn an_unreadable_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_file(dir.path(), "good.txt", "some words");

    // A path that goes through a regular file as if it were a directory.
    let through_a_file = good.join("inside.txt");
    expect_error(&[&good, &through_a_file], "a path through a regular file (not a directory)");

    unreadable_by_platform(dir.path(), &good);
}

/// The unreadable files of Linux and macOS.
#[cfg(unix)]
fn unreadable_by_platform(dir: &Path, good: &Path) {
    // A symbolic link that points to itself can never be opened.
    let looping = dir.join("loop.txt");
    std::os::unix::fs::symlink(&looping, &looping).unwrap();
    expect_error(&[good, looping.as_path()], "a symbolic link that points to itself");

    // A file without read permission. A privileged user (root) can read it
    // anyway, so this case is only checked when the test itself cannot.
    let locked = write_file(dir, "locked.txt", "secret words");
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    }
    if fs::read(&locked).is_err() {
        expect_error(&[good, locked.as_path()], "a file without read permission");
    } else {
        not_checked_here("a file without read permission (this user, root, can read it anyway)");
    }
}

/// Windows' unreadable files: its file system has no permission bits, and
/// symbolic links need Developer Mode or an administrator.
#[cfg(windows)]
fn unreadable_by_platform(dir: &Path, good: &Path) {
    use std::os::windows::fs::OpenOptionsExt;

    // A file another handle holds open without sharing: no other open of
    // it succeeds, whatever the user's rights (ERROR_SHARING_VIOLATION), as
    // a file without read permission on Unix.
    let locked = write_file(dir, "locked.txt", "secret words");
    let _held = fs::OpenOptions::new().read(true).share_mode(0).open(&locked).unwrap();
    expect_error(&[good, locked.as_path()], "a file that another handle holds open without sharing");

    // A name with a character Windows never allows in a file name.
    let invalid = dir.join("no<such>name.txt");
    expect_error(&[good, invalid.as_path()], "a path whose name Windows does not allow");

    // A symbolic link that points to itself can never be opened; only a
    // user allowed to make symbolic links can make one.
    let looping = dir.join("loop.txt");
    match std::os::windows::fs::symlink_file(&looping, &looping) {
        Ok(()) => {
            expect_error(&[good, looping.as_path()], "a symbolic link that points to itself");
        }
        Err(error) => not_checked_here(&format!(
            "a symbolic link that points to itself (this user cannot make symbolic links: {error}); \
             the grader checks it on Linux"
        )),
    }
}

/// Says, on the process's real stderr (past libtest's capture, so it shows
/// even when the test passes), that one case could not be checked here.
fn not_checked_here(case: &str) {
    use std::io::Write;
    let line = format!("\nnote: not checked on this machine: {case}\n");
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

#[test]
fn invalid_utf8_is_an_invalid_data_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_file(dir.path(), "good.txt", "some words");
    let cases: [(&str, &[u8]); 3] = [
        ("bytes that are never UTF-8", b"hello \xFF\xFE world"),
        ("a multi-byte character cut short", b"caf\xC3"),
        ("Latin-1 text", b"na\xEFve caf\xE9"),
    ];
    for (index, (what, bytes)) in cases.into_iter().enumerate() {
        let bad = write_file(dir.path(), &format!("bad-{index}.txt"), bytes);
        let error = expect_error(&[&good, &bad], &format!("a file that is not valid UTF-8 ({what})"));
        assert!(
            error.kind() == io::ErrorKind::InvalidData,
            "word_count returned an error of kind {:?} for a file that is not valid UTF-8 ({what}), \
             expected kind InvalidData (never replace the invalid bytes and count anyway): {error}",
            error.kind()
        );
    }
}

#[test]
fn several_failing_files_give_one_of_their_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for index in 0..6 {
        files.push(write_file(dir.path(), &format!("good-{index}.txt"), "good words here"));
        files.push(dir.path().join(format!("missing-{index}.txt")));
        files.push(write_file(dir.path(), &format!("bad-{index}.txt"), b"bad \xFF bytes"));
    }
    let error = expect_error(&files, "several missing and several non-UTF-8 files");
    assert!(
        matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::InvalidData),
        "word_count returned an error of kind {:?} when several files failed; expected the \
         error of one of them (NotFound for a missing file, InvalidData for invalid UTF-8): {error}",
        error.kind()
    );
}
