//! What the policy also refuses in the `src/` of an exercise with a
//! controlled lane: the means by which code could tell the lane's rewritten
//! copy from the original, and so be correct only under the model checker.
//!
//! The controlled lane compiles `src/` a second time, copied into the
//! build's `OUT_DIR` with its `std` paths pointed at `lane_std` and `crate::`
//! at a module of the lane test (see `lanes/rewrite`). Every line keeps its
//! number, and `cfg(test)` means what it means in the original; the rest
//! differs: the file's path, columns, the module path, the spelling of the
//! tokens, and the types behind `Mutex` or `thread::spawn` (their names,
//! sizes, addresses, threads and panic locations). Code that reads any of
//! these could be correct under the model checker and wrong on real threads,
//! leaving only the stress lane's luck to judge it (SECURITY.md, attack 19).
//!
//! So these are refused by name. A name cannot be built by a macro
//! (`macro_rules!` pastes whole tokens, and `concat_idents!` is unstable),
//! and an alias (`use std::any::type_name as t;`) still spells it, so a name
//! refused anywhere in `src/` is refused on every route to it. Likewise the
//! token pairs that form raw pointers (`*const`, `*mut`, `&raw const`) and
//! the `{:p}` format spec in any string literal.
//!
//! Clocks too: the model checker's operations take far longer than std's
//! (a lock is a trip through its scheduler and its trace), so code that read
//! the time around one would know where it runs. No exercise needs the time:
//! `Duration`, `sleep` and `wait_timeout` stay allowed, `Instant` and
//! `SystemTime` do not. Nor can `Debug` text tell: every type `lane_std` puts
//! in std's place prints std's text (`lanes/std/tests/debug_text.rs`).

use proc_macro2::{Delimiter, TokenTree};

use super::{Violation, ident, is_path_sep, is_punct, line_of, plain_relative_literal};

const LOCATION: &str =
    "names where the code was compiled or a source location, and the controlled lane compiles a copy elsewhere";
const SPELLING: &str = "reads source text, which the controlled lane's copy spells with `lane_std`";
const NAMES_TYPES: &str = "names or identifies types, and the controlled lane's sync types are the model checker's";
const MEASURES: &str = "measures types, and the controlled lane's sync types are the model checker's";
const HOOK: &str = "installs a panic hook, which sees source locations that differ in the controlled lane's copy";
const ADDRESS: &str = "exposes a memory address, from which the controlled lane's types can be told apart by size";
const THREAD: &str = "identifies threads, and the controlled lane's threads are the model checker's tasks";
const CLOCK: &str = "reads a clock, and the controlled lane's operations take the model checker's time; wait with `Condvar::wait`/`wait_timeout` instead";
const ROOT: &str = "names the crate's root, which in the controlled lane is the lane test's; write `crate::item`";

/// Macros (followed by `!`) refused anywhere.
const MACROS: &[(&str, &str)] = &[
    ("file", LOCATION),
    ("column", LOCATION),
    ("module_path", LOCATION),
    ("stringify", SPELLING),
    ("concat", "builds a literal the policy cannot read (a `{:p}` format string, say)"),
];

/// Identifiers refused anywhere (a path segment, an import, a method, an
/// attribute).
const NAMES: &[(&str, &str)] = &[
    ("type_name", NAMES_TYPES),
    ("type_name_of_val", NAMES_TYPES),
    ("type_id", NAMES_TYPES),
    ("TypeId", NAMES_TYPES),
    ("size_of", MEASURES),
    ("size_of_val", MEASURES),
    ("align_of", MEASURES),
    ("align_of_val", MEASURES),
    ("Layout", MEASURES),
    ("Location", LOCATION),
    ("location", LOCATION),
    ("track_caller", LOCATION),
    ("Backtrace", LOCATION),
    ("backtrace", LOCATION),
    ("set_hook", HOOK),
    ("take_hook", HOOK),
    ("update_hook", HOOK),
    ("Pointer", ADDRESS),
    ("addr_of", ADDRESS),
    ("addr_of_mut", ADDRESS),
    ("as_ptr", ADDRESS),
    ("as_mut_ptr", ADDRESS),
    ("as_ptr_range", ADDRESS),
    ("as_mut_ptr_range", ADDRESS),
    ("into_raw", ADDRESS),
    ("from_ref", ADDRESS),
    ("from_mut", ADDRESS),
    ("NonNull", ADDRESS),
    ("AtomicPtr", ADDRESS),
    ("UnsafeCell", ADDRESS),
    ("expose_provenance", ADDRESS),
    ("Thread", THREAD),
    ("ThreadId", THREAD),
    ("Instant", CLOCK),
    ("SystemTime", CLOCK),
    ("UNIX_EPOCH", CLOCK),
];

/// Identifiers refused only as a method call (`.name(`): as plain names
/// (`let current = ...`) they are common and harmless.
const METHODS: &[(&str, &str)] = &[("addr", ADDRESS), ("thread", THREAD)];

/// Scans `tokens` and every group in them.
pub(super) fn scan(tokens: &[TokenTree], shown: &str, found: &mut Vec<Violation>) {
    let mut flag = |tree: &TokenTree, construct: String, reason: &str| {
        found.push(Violation { path: shown.to_string(), line: line_of(tree), construct, reason: reason.to_string() })
    };
    let mut groups = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let tree = &tokens[i];
        let next = tokens.get(i + 1);
        let before = i.checked_sub(1).and_then(|k| tokens.get(k));
        match tree {
            TokenTree::Ident(_) => {
                let name = ident(Some(tree)).unwrap_or_default();
                let bang = is_punct(next, '!');
                let called = matches!(next, Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis);
                if let Some((_, reason)) = MACROS.iter().find(|(m, _)| *m == name).filter(|_| bang) {
                    flag(tree, format!("{name}!"), reason);
                } else if matches!(name.as_str(), "include_str" | "include_bytes")
                    && bang
                    && plain_relative_literal(tokens.get(i + 2))
                {
                    // A path outside src/ is refused by the main policy already.
                    flag(tree, format!("{name}!"), SPELLING);
                } else if let Some((_, reason)) = NAMES.iter().find(|(n, _)| *n == name) {
                    flag(tree, name, reason);
                } else if let Some((_, reason)) =
                    METHODS.iter().find(|(n, _)| *n == name).filter(|_| is_punct(before, '.') && called)
                {
                    flag(tree, format!(".{name}()"), reason);
                } else if name == "current" && (called || (i >= 2 && is_path_sep(tokens, i - 2))) {
                    // `thread::current()`, or `thread::current` as a value.
                    flag(tree, "thread::current".to_string(), THREAD);
                } else if name == "raw"
                    && is_punct(before, '&')
                    && matches!(ident(next).as_deref(), Some("const" | "mut"))
                {
                    flag(tree, format!("&raw {}", ident(next).unwrap_or_default()), ADDRESS);
                } else if name == "crate" && !is_path_sep(tokens, i + 1) {
                    let after_extern = ident(before).as_deref() == Some("extern");
                    if after_extern && ident(next).as_deref() == Some("self") {
                        flag(tree, "extern crate self".to_string(), ROOT);
                    } else if !after_extern {
                        flag(tree, "crate".to_string(), ROOT);
                    }
                } else if name == "pub" && called {
                    // `pub(crate)`, `pub(in crate::x)`: a visibility, not a
                    // path to the crate's root.
                    i += 2;
                    continue;
                }
            }
            TokenTree::Punct(p) if p.as_char() == '*' && matches!(ident(next).as_deref(), Some("const" | "mut")) => {
                flag(tree, format!("*{}", ident(next).unwrap_or_default()), ADDRESS);
            }
            TokenTree::Literal(literal) if pointer_format(&literal.to_string()) => {
                flag(tree, "{:p}".to_string(), ADDRESS);
            }
            TokenTree::Group(group) => {
                let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                if group.delimiter() == Delimiter::Brace && i >= 2 && is_path_sep(tokens, i - 2) {
                    // A use tree, `std::thread::{self, current as me}`.
                    for element in inner.split(|t| is_punct(Some(t), ',')) {
                        if let Some(first) = element.first().filter(|f| ident(Some(f)).as_deref() == Some("current")) {
                            flag(first, "thread::current".to_string(), THREAD);
                        }
                    }
                }
                groups.push(inner);
            }
            _ => {}
        }
        i += 1;
    }
    for group in groups {
        scan(&group, shown, found);
    }
}

/// Whether a string literal's text (quotes included) holds a `{…:…p}`
/// format spec: `{:p}`, `{0:#p}`, `{x:>18p}`. `{{` is an escaped brace.
fn pointer_format(literal: &str) -> bool {
    let Some(body) = string_body(literal) else { return false };
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(after) = rest.strip_prefix('{') {
            rest = after;
            continue;
        }
        let Some(close) = rest.find('}') else { return false };
        let spec = &rest[..close];
        if spec.split_once(':').is_some_and(|(_, format)| format.ends_with('p')) {
            return true;
        }
        rest = &rest[close + 1..];
    }
    false
}

/// The text between a string literal's quotes (`"…"`, `r"…"`, `r#"…"#`, and
/// their `c`/`b` forms); `None` for any other literal.
fn string_body(literal: &str) -> Option<&str> {
    let unprefixed = literal.trim_start_matches(['b', 'c']);
    let raw = unprefixed.strip_prefix('r').map(|r| r.trim_matches('#'));
    let quoted = raw.unwrap_or(unprefixed);
    quoted.strip_prefix('"')?.strip_suffix('"')
}
