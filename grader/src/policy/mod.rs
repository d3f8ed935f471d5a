//! The source policy: what a submission's `src/` may name, checked before
//! anything of it is compiled.
//!
//! The check works on tokens (lexed by `proc-macro2`, so comments, strings
//! and doc text never count), not on spellings in lines. It follows paths
//! the way the compiler resolves them from the standard library's roots:
//!
//! - every route to an item of `std` starts at a root (`std`, `core`,
//!   `alloc`, with or without a leading `::`), in a `use` tree (groups and
//!   `self` included), an expression, a type, an attribute or a macro's
//!   tokens. A path from a root is followed segment by segment, through
//!   `use` groups, and refused as soon as it reaches a forbidden module. So
//!   `use std::{fs as f, process as p};` is refused at `process`, and so is
//!   `pub use std::process as p;` in one module re-exported to another: the
//!   re-export itself names the module;
//! - naming a root or an ancestor of a forbidden module under another name
//!   (`use std as s;`, `extern crate std as s;`, `use std::{self as s}`,
//!   `use std::os;`), importing everything from one (`use std::*;`,
//!   `use std::os::unix::*;`), continuing a path from a root with a macro
//!   variable (`std::$m::exit`) or handing a root to a macro as a bare token
//!   (`m!(std)`) is refused too: those are the ways a later path could reach
//!   a forbidden module without naming it from a root;
//! - the exercises' dependencies (rayon, tokio without its `fs`, `net`,
//!   `process` and `signal` features, futures) re-export none of the
//!   forbidden modules, and a submission cannot add dependencies.
//!
//! Besides paths, it refuses `unsafe` (the staged crate root also gets
//! `#![forbid(unsafe_code)]`, which the compiler enforces whatever this
//! check misses), `extern` blocks, `asm!`/`global_asm!`/`naked_asm!`,
//! `env!`/`option_env!` (they read the grader's environment at compile
//! time), `include!`/`include_str!`/`include_bytes!` of anything but a plain
//! relative path inside `src/`, `#[path]` likewise, and the attributes that
//! place or export symbols or run code before `main` (`link_section`,
//! `used`, `no_mangle`, `export_name`, `link`, `link_name`, `naked`),
//! `#[macro_export]`, and hand-written `PartialEq`/`Eq`/`PartialOrd`/`Ord`
//! impls (an always-true `eq` would pass every `assert_eq!` of the tests).
//!
//! In an exercise with a controlled lane, whose tests compile a rewritten
//! copy of `src/`, it also refuses what could tell that copy from the
//! original: `file!`, `column!`, `module_path!`, `stringify!`, `concat!` and
//! `include_str!`; type names, ids and sizes; source locations, backtraces
//! and panic hooks; raw pointers, `{:p}` and the other ways to an address;
//! `thread::current()` and `Thread`s; and the bare `crate` root
//! ([`lane_copy`]).
//!
//! A violation fails the exercise's build with `file:line` and the reason;
//! nothing is compiled, so a compile-time read (`include_str!("/etc/..")`)
//! never happens. An exercise's `[package.metadata.grader] allow` lifts
//! the ban of named modules (exercise 4 reads files: `allow = ["std::fs"]`).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

mod lane_copy;

/// Said in the scorecard's `confinement.policy`.
pub const SUMMARY: &str = "src/ checked before the build by path resolution from std's roots (no std::process, \
                           std::env, std::net, std::os, std::arch, no std::fs unless the exercise allows it, no \
                           unsafe, extern blocks, asm, env!/option_env!, include*! or #[path] outside src/, no \
                           link_section/used/no_mangle/export_name/macro_export, no hand-written \
                           PartialEq/Eq/PartialOrd/Ord; with a controlled lane also nothing that tells its rewritten \
                           copy apart: file!/column!/module_path!/stringify!/concat!/include_str!, type names, \
                           ids and sizes, source locations and panic hooks, raw pointers and {:p}, \
                           thread::current, a bare crate root); the crate root compiled with \
                           #![forbid(unsafe_code)]";

/// The variable that switches the policy off, so the grader's tests can
/// reach the defences behind it (the sentinel, the process limits,
/// confinement) with code the policy would refuse. Never for grades of
/// record: the scorecard's `confinement.policy` then says OFF.
pub const SWITCH_ENV: &str = "GRADER_POLICY";

/// Whether [`SWITCH_ENV`] is `off`.
pub fn switched_off() -> bool {
    std::env::var_os(SWITCH_ENV).is_some_and(|v| v == "off")
}

/// What the scorecard says about the policy.
pub fn summary() -> String {
    if switched_off() {
        format!("OFF ({SWITCH_ENV}=off: for testing the grader's other defences only; never for grades of record)")
    } else {
        SUMMARY.to_string()
    }
}

/// The roots of the standard library.
const ROOTS: &[&str] = &["std", "core", "alloc"];

/// Modules no exercise's `src/` may reach, with why, unless its metadata
/// allows them.
pub const FORBIDDEN: &[(&str, &str)] = &[
    ("std::process", "can end the test process or start others"),
    ("std::env", "reads or changes environment variables and arguments"),
    ("std::net", "opens network connections"),
    ("std::fs", "reads and writes files"),
    ("std::os", "reaches raw descriptors and platform internals"),
    ("std::arch", "holds inline assembly and raw CPU intrinsics"),
    ("core::arch", "holds inline assembly and raw CPU intrinsics"),
    ("std::intrinsics", "holds compiler intrinsics"),
    ("core::intrinsics", "holds compiler intrinsics"),
];

/// Modules below a forbidden one that stay allowed: plain C type aliases.
const EXCEPTIONS: &[&str] = &["std::os::raw"];

/// Attributes that place or export symbols, or run code before `main`.
const ATTRIBUTES: &[(&str, &str)] = &[
    ("link_section", "places code in a special section, e.g. to run it before main"),
    ("used", "keeps a static in the binary, e.g. a constructor that runs before main"),
    ("no_mangle", "exports a symbol that could replace another"),
    ("export_name", "exports a symbol that could replace another"),
    ("link", "links a foreign library"),
    ("link_name", "binds a foreign symbol"),
    ("naked", "defines a function in assembly"),
    ("macro_export", "exports a macro into the tests' namespace"),
];

/// Traits through which code could decide what the tests' `assert_eq!`
/// and comparisons conclude: only derived, never written by hand.
const COMPARISON_TRAITS: &[&str] = &["PartialEq", "Eq", "PartialOrd", "Ord"];

/// One refused construct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The file, relative to the submission's root when known.
    pub path: String,
    pub line: usize,
    /// What was found, e.g. `std::process` or `unsafe`.
    pub construct: String,
    pub reason: String,
}

impl Violation {
    pub fn text(&self) -> String {
        format!("{}:{}: `{}` {}", self.path, self.line, self.construct, self.reason)
    }
}

/// What an exercise's `src/` may use beyond the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowed {
    /// Modules lifted from [`FORBIDDEN`], e.g. `std::fs`.
    pub modules: Vec<String>,
    /// The exercise has a controlled lane, which compiles a rewritten copy
    /// of `src/`: what could tell the copy from the original is refused too
    /// ([`lane_copy`]).
    pub lane_copy: bool,
}

/// Checks the files `files` (relative to `src`) and returns every violation,
/// their paths shown as `shown_src/<file>`.
pub fn check(src: &Path, files: &[PathBuf], shown_src: &str, allowed: &Allowed) -> Vec<Violation> {
    let mut violations = Vec::new();
    for file in files {
        if file.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let shown = format!("{shown_src}/{}", file.to_string_lossy().replace('\\', "/"));
        let Ok(text) = std::fs::read_to_string(src.join(file)) else {
            // Not UTF-8: the compiler refuses it with its own message.
            continue;
        };
        violations.extend(check_source(&text, &shown, allowed));
    }
    violations
}

/// Checks one file's text.
pub fn check_source(text: &str, shown: &str, allowed: &Allowed) -> Vec<Violation> {
    let Ok(tokens) = TokenStream::from_str(text) else {
        // It does not lex, so it does not compile: the compiler's message
        // is the better one.
        return Vec::new();
    };
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut checker = Checker { shown, allowed, found: Vec::new(), plain_root_ok: false };
    checker.scan(&tokens);
    if allowed.lane_copy {
        lane_copy::scan(&tokens, shown, &mut checker.found);
    }
    checker.found.sort_by_key(|v| v.line);
    checker.found.dedup();
    checker.found
}

struct Checker<'a> {
    shown: &'a str,
    allowed: &'a Allowed,
    found: Vec<Violation>,
    /// The root being followed stands in `use std;` or `extern crate std;`.
    plain_root_ok: bool,
}

fn ident(tree: Option<&TokenTree>) -> Option<String> {
    match tree {
        Some(TokenTree::Ident(ident)) => {
            let name = ident.to_string();
            Some(name.strip_prefix("r#").map(str::to_string).unwrap_or(name))
        }
        _ => None,
    }
}

fn is_punct(tree: Option<&TokenTree>, ch: char) -> bool {
    matches!(tree, Some(TokenTree::Punct(p)) if p.as_char() == ch)
}

/// `::` at `i` (two `:` puncts, the first joint).
fn is_path_sep(tokens: &[TokenTree], i: usize) -> bool {
    matches!((tokens.get(i), tokens.get(i + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':')
}

fn line_of(tree: &TokenTree) -> usize {
    tree.span().start().line
}

impl Checker<'_> {
    fn flag(&mut self, line: usize, construct: impl Into<String>, reason: impl Into<String>) {
        self.found.push(Violation {
            path: self.shown.to_string(),
            line,
            construct: construct.into(),
            reason: reason.into(),
        });
    }

    /// Why `path` (e.g. `std::process::exit`) is refused, if it is. A path
    /// on the way to an allowed exception (`std::os` on the way to
    /// `std::os::raw`) is refused only where it ends (`at_end`).
    fn forbidden_at(&self, path: &str, at_end: bool) -> Option<(&'static str, &'static str)> {
        if EXCEPTIONS.iter().any(|e| path == *e || path.starts_with(&format!("{e}::"))) {
            return None;
        }
        if !at_end && EXCEPTIONS.iter().any(|e| e.starts_with(&format!("{path}::"))) {
            return None;
        }
        FORBIDDEN
            .iter()
            .filter(|(module, _)| !self.allowed.modules.iter().any(|a| a == module))
            .find(|(module, _)| path == *module || path.starts_with(&format!("{module}::")))
            .copied()
    }

    fn forbidden(&self, path: &str) -> Option<(&'static str, &'static str)> {
        self.forbidden_at(path, false)
    }

    /// Whether `path` is a root or an ancestor of a forbidden module, so that
    /// naming it under another name or importing all of it could reach one.
    fn is_ancestor(&self, path: &str) -> bool {
        FORBIDDEN
            .iter()
            .filter(|(module, _)| !self.allowed.modules.iter().any(|a| a == module))
            .any(|(module, _)| module.starts_with(&format!("{path}::")))
    }

    /// Scans a flat sequence of token trees and, recursively, every group.
    fn scan(&mut self, tokens: &[TokenTree]) {
        let mut i = 0;
        while i < tokens.len() {
            let tree = &tokens[i];
            let line = line_of(tree);
            if let Some(name) = ident(Some(tree)) {
                let bang = is_punct(tokens.get(i + 1), '!');
                match name.as_str() {
                    "unsafe" => self.flag(line, "unsafe", "is unsafe code, which no exercise needs"),
                    "impl" => {
                        // `impl<T> PartialEq for X {`: a hand-written
                        // comparison could make every `assert_eq!` of the
                        // tests pass.
                        if let Some(name) = implemented_trait(&tokens[i + 1..])
                            && COMPARISON_TRAITS.contains(&name.as_str())
                        {
                            self.flag(
                                line,
                                format!("impl {name}"),
                                "defines by hand how the tests compare values; derive it instead (#[derive(PartialEq, Eq)])",
                            );
                        }
                    }
                    "asm" | "global_asm" | "naked_asm" if bang => {
                        self.flag(line, format!("{name}!"), "is inline assembly")
                    }
                    "env" | "option_env" if bang => self.flag(
                        line,
                        format!("{name}!"),
                        "reads the grader's environment while compiling; pass values as arguments instead",
                    ),
                    "include" | "include_str" | "include_bytes"
                        if bang && !plain_relative_literal(tokens.get(i + 2)) =>
                    {
                        self.flag(
                            line,
                            format!("{name}!"),
                            "reads a file at compile time; only a plain relative path inside src/ (no `..`) is allowed",
                        )
                    }
                    "extern" => {
                        let mut j = i + 1;
                        if matches!(tokens.get(j), Some(TokenTree::Literal(_))) {
                            j += 1;
                        }
                        if matches!(tokens.get(j), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace) {
                            self.flag(line, "extern block", "declares foreign functions");
                        }
                        if ident(tokens.get(i + 1)).as_deref() == Some("crate")
                            && ident(tokens.get(i + 3)).as_deref() == Some("as")
                            && ident(tokens.get(i + 2)).is_some_and(|c| ROOTS.contains(&c.as_str()))
                        {
                            self.flag(line, "extern crate ... as", "names the standard library under another name");
                            i += 4;
                            continue;
                        }
                    }
                    root if ROOTS.contains(&root) => {
                        // `use std;` and `extern crate std;` may end at the
                        // root; nothing else may.
                        let before = |back: usize| i.checked_sub(back).and_then(|k| tokens.get(k));
                        let statement = matches!(ident(before(1)).as_deref(), Some("use" | "crate"))
                            || (is_punct(before(1), ':') && ident(before(3)).as_deref() == Some("use"));
                        self.plain_root_ok = statement;
                        i = self.path_from(tokens, i + 1, root.to_string(), line);
                        continue;
                    }
                    _ => {}
                }
            }
            if is_punct(Some(tree), '#') {
                let mut j = i + 1;
                if is_punct(tokens.get(j), '!') {
                    j += 1;
                }
                if let Some(TokenTree::Group(group)) = tokens.get(j)
                    && group.delimiter() == Delimiter::Bracket
                {
                    self.attribute(&group.stream().into_iter().collect::<Vec<_>>(), line);
                }
            }
            if let TokenTree::Group(group) = tree {
                self.scan(&group.stream().into_iter().collect::<Vec<_>>());
            }
            i += 1;
        }
    }

    /// Every identifier anywhere in an attribute (so that `cfg_attr(.., x)`
    /// and `unsafe(x)` are seen through) that places or exports symbols,
    /// and every `path = "..."`.
    fn attribute(&mut self, tokens: &[TokenTree], line: usize) {
        for (k, tree) in tokens.iter().enumerate() {
            match tree {
                TokenTree::Group(group) => self.attribute(&group.stream().into_iter().collect::<Vec<_>>(), line),
                TokenTree::Ident(_) => {
                    let name = ident(Some(tree)).unwrap_or_default();
                    if let Some((_, reason)) = ATTRIBUTES.iter().find(|(a, _)| *a == name) {
                        self.flag(line, format!("#[{name}]"), *reason);
                    }
                    if name == "path" && is_punct(tokens.get(k + 1), '=') && !plain_relative_literal(tokens.get(k + 2))
                    {
                        self.flag(
                            line,
                            "#[path]",
                            "takes a module from outside src/; only a plain relative path (no `..`) is allowed",
                        );
                    }
                }
                _ => {}
            }
        }
    }

    /// Follows a path whose segments so far are `prefix`, from `i` (just
    /// after the last segment); returns the index after it.
    fn path_from(&mut self, tokens: &[TokenTree], mut i: usize, mut prefix: String, line: usize) -> usize {
        if let Some((module, reason)) = self.forbidden(&prefix) {
            self.flag(line, module, format!("{reason}; this exercise's src/ may not use it"));
            return i;
        }
        loop {
            if !is_path_sep(tokens, i) {
                if let Some((module, reason)) = self.forbidden_at(&prefix, true) {
                    self.flag(line, module, format!("{reason}; this exercise's src/ may not use it"));
                    return i;
                }
                // The path ends at `prefix`. Bound under another name, or
                // a root handed on as a bare token, it could reach a
                // forbidden module later without naming it.
                let next = tokens.get(i);
                if ident(next).as_deref() == Some("as") && self.is_ancestor(&prefix) {
                    self.flag(
                        line,
                        format!("{prefix} as ..."),
                        "names the standard library or one of its modules under another name",
                    );
                } else if ROOTS.contains(&prefix.as_str()) {
                    let ends_plainly = self.plain_root_ok && is_punct(next, ';');
                    if !ends_plainly {
                        self.flag(
                            line,
                            prefix.clone(),
                            "is handed on as a bare token (to a macro?), which could build a path around this check",
                        );
                    }
                } else if self.is_ancestor(&prefix) && (next.is_none() || is_punct(next, ';') || is_punct(next, ',')) {
                    self.flag(
                        line,
                        prefix.clone(),
                        "binds a module that holds forbidden ones; name the items you need instead",
                    );
                }
                return i;
            }
            i += 2;
            match tokens.get(i) {
                Some(tree @ TokenTree::Ident(_)) => {
                    let segment = ident(Some(tree)).unwrap_or_default();
                    prefix = format!("{prefix}::{segment}");
                    i += 1;
                    if let Some((module, reason)) = self.forbidden(&prefix) {
                        self.flag(line, module, format!("{reason}; this exercise's src/ may not use it"));
                        return i;
                    }
                }
                Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => {
                    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                    for element in inner.split(|t| is_punct(Some(t), ',')) {
                        self.use_element(element, &prefix, line);
                    }
                    return i + 1;
                }
                Some(tree) if is_punct(Some(tree), '*') => {
                    if let Some((module, reason)) = self.forbidden_at(&prefix, true) {
                        self.flag(line, module, format!("{reason}; this exercise's src/ may not use it"));
                    } else if self.is_ancestor(&prefix) {
                        self.flag(
                            line,
                            format!("{prefix}::*"),
                            "imports everything of a module that holds forbidden ones",
                        );
                    }
                    return i + 1;
                }
                Some(tree) if is_punct(Some(tree), '$') => {
                    self.flag(
                        line,
                        format!("{prefix}::$..."),
                        "continues a path from the standard library with a macro variable",
                    );
                    return i + 1;
                }
                // `std::vec::Vec::<T>` and the like: the path has ended.
                _ => return i,
            }
        }
    }

    /// One element of a `use` group below `prefix`.
    fn use_element(&mut self, element: &[TokenTree], prefix: &str, line: usize) {
        let Some(first) = element.first() else { return };
        let line = line.max(line_of(first));
        match ident(Some(first)).as_deref() {
            Some("self") => {
                if let Some((module, reason)) = self.forbidden_at(prefix, true) {
                    self.flag(line, module, format!("{reason}; this exercise's src/ may not use it"));
                } else if ident(element.get(1)).as_deref() == Some("as") && self.is_ancestor(prefix) {
                    self.flag(
                        line,
                        format!("{prefix}::{{self as ...}}"),
                        "names the standard library or one of its modules under another name",
                    );
                }
            }
            Some(segment) => {
                let mut tokens = element.to_vec();
                tokens.remove(0);
                // Whatever follows in the element (`as name`, a nested
                // group) is handled by `path_from`.
                self.path_from(&tokens, 0, format!("{prefix}::{segment}"), line);
            }
            None => {
                if is_punct(Some(first), '*') && self.is_ancestor(prefix) {
                    self.flag(line, format!("{prefix}::*"), "imports everything of a module that holds forbidden ones");
                } else if let TokenTree::Group(group) = first {
                    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                    for element in inner.split(|t| is_punct(Some(t), ',')) {
                        self.use_element(element, prefix, line);
                    }
                }
            }
        }
    }
}

/// The trait of a trait `impl` (the tokens after `impl`): the last segment
/// of the path before `for`, generic arguments skipped; `None` for an
/// inherent `impl`.
fn implemented_trait(tokens: &[TokenTree]) -> Option<String> {
    let mut k = 0;
    // Skip the impl's own generic parameters, `<T: PartialEq, ...>`.
    if is_punct(tokens.first(), '<') {
        let mut depth = 0;
        while let Some(t) = tokens.get(k) {
            if is_punct(Some(t), '<') {
                depth += 1;
            } else if is_punct(Some(t), '>') {
                depth -= 1;
                if depth == 0 {
                    k += 1;
                    break;
                }
            }
            k += 1;
        }
    }
    let mut last = None;
    let mut depth = 0;
    while let Some(t) = tokens.get(k) {
        match t {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => return None,
            _ if is_punct(Some(t), '<') => depth += 1,
            _ if is_punct(Some(t), '>') => depth -= 1,
            TokenTree::Ident(_) if depth == 0 => {
                let name = ident(Some(t)).unwrap_or_default();
                if name == "for" {
                    return last;
                }
                last = Some(name);
            }
            _ => {}
        }
        k += 1;
    }
    None
}

/// A string literal holding a relative path without `..` (and no other
/// tokens after it).
fn plain_relative_literal(tree: Option<&TokenTree>) -> bool {
    let Some(TokenTree::Group(group)) = tree else {
        return match tree {
            Some(TokenTree::Literal(literal)) => relative_literal(&literal.to_string()),
            _ => false,
        };
    };
    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
    matches!(inner.as_slice(), [TokenTree::Literal(literal)] if relative_literal(&literal.to_string()))
}

fn relative_literal(text: &str) -> bool {
    let Some(path) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else { return false };
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.split('/').any(|part| part == ".." || part.contains(':'))
}

#[cfg(test)]
mod tests;
