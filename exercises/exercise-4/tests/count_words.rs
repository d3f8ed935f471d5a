//! The word rule of `count_words` and the reduce step `merge_counts`.
//!
//! These tests are sequential: they pin down what one file's counts are and
//! how two partial counts combine, so that the parallel tests can rely on
//! both.

use std::collections::HashMap;

use exercise_4::{count_words, merge_counts};

/// Builds the expected map from `(word, count)` pairs.
fn counts(pairs: &[(&str, usize)]) -> HashMap<String, usize> {
    pairs.iter().map(|&(word, count)| (word.to_string(), count)).collect()
}

/// Fails with a message that names the text, the rule and both maps.
fn expect_counts(text: &str, expected: &[(&str, usize)], rule: &str) {
    let expected = counts(expected);
    let got = count_words(text);
    assert!(got == expected, "count_words({text:?}) gave {got:?}, expected {expected:?}: {rule}");
}

#[test]
fn words_are_runs_of_alphanumeric_characters() {
    let rule = "a word is a maximal run of alphanumeric characters; every other \
                character (space, punctuation, apostrophe, underscore, dash) ends a word";
    expect_counts("Don't stop, don't!", &[("don", 2), ("t", 2), ("stop", 1)], rule);
    expect_counts(
        "snake_case-and/slash\ttab\nnew…line",
        &[("snake", 1), ("case", 1), ("and", 1), ("slash", 1), ("tab", 1), ("new", 1), ("line", 1)],
        rule,
    );
    expect_counts("e-mail: ann@example.org", &[("e", 1), ("mail", 1), ("ann", 1), ("example", 1), ("org", 1)], rule);
    expect_counts("naïve café, naïve", &[("naïve", 2), ("café", 1)], rule);
    expect_counts("(yes) «yes» \"yes\" yes.", &[("yes", 4)], rule);
}

#[test]
fn words_are_lowercased_as_a_whole_after_splitting() {
    let rule = "split the text into words first, then lowercase each word with \
                str::to_lowercase (\"İ\" lowercases to \"i\" plus a combining dot, which is \
                not alphanumeric: lowercasing before splitting would cut the word there)";
    expect_counts("The THE the tHe", &[("the", 4)], rule);
    expect_counts("İ", &[("i\u{307}", 1)], rule);
    expect_counts("İstanbul, ISTANBUL", &[("i\u{307}stanbul", 1), ("istanbul", 1)], rule);
    expect_counts("Straße STRASSE", &[("straße", 1), ("strasse", 1)], rule);
}

#[test]
fn final_sigma_is_decided_within_each_word() {
    let rule = "each word is lowercased on its own with str::to_lowercase, so a capital \
                sigma at the end of a word becomes the final form \"ς\" (lowercasing \
                character by character, or the whole text before splitting, gets this wrong)";
    expect_counts("ΣΑΣ", &[("σας", 1)], rule);
    expect_counts("ΟΔΟΣ.ΑΒ", &[("οδος", 1), ("αβ", 1)], rule);
    expect_counts("ΑΣ'Β", &[("ας", 1), ("β", 1)], rule);
    expect_counts("ΣΟΦΟΣ σοφος", &[("σοφος", 2)], rule);
}

#[test]
fn digits_are_words() {
    let rule = "digits are alphanumeric, so numbers are words too, and so are letters \
                and digits mixed";
    expect_counts(
        "In 2024: 3 cats, 12 dogs, 3 r2d2s.",
        &[("in", 1), ("2024", 1), ("3", 2), ("cats", 1), ("12", 1), ("dogs", 1), ("r2d2s", 1)],
        rule,
    );
    expect_counts("٣ + ½ = Ⅻ?", &[("٣", 1), ("½", 1), ("ⅻ", 1)], rule);
}

#[test]
fn text_without_words_gives_an_empty_map() {
    let rule = "a text with no alphanumeric character holds no word; empty strings between \
                separators are not words";
    for text in ["", "   \n\t ", "... -- !? '' _ — ", "\u{307}\u{301}", ", ,"] {
        expect_counts(text, &[], rule);
    }
}

#[test]
fn merge_counts_adds_and_never_overwrites() {
    let mut into = counts(&[("apple", 2), ("pear", 1)]);
    merge_counts(&mut into, counts(&[("pear", 3), ("plum", 4)]));
    let expected = counts(&[("apple", 2), ("pear", 4), ("plum", 4)]);
    assert!(
        into == expected,
        "merging {{pear: 3, plum: 4}} into {{apple: 2, pear: 1}} gave {into:?}, expected \
         {expected:?}: a word found in both maps must get the sum of its counts, not be \
         overwritten"
    );

    let before = into.clone();
    merge_counts(&mut into, HashMap::new());
    assert!(into == before, "merging an empty map changed the counts from {before:?} to {into:?}");

    let mut empty = HashMap::new();
    merge_counts(&mut empty, before.clone());
    assert!(empty == before, "merging {before:?} into an empty map gave {empty:?}");
}
