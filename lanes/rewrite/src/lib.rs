//! The controlled lane's source rewrite.
//!
//! An exercise's `build.rs` calls [`stage`]: it copies the crate's `src/`
//! tree into `OUT_DIR/lane/src/` and, in every `.rs` file, points each path
//! rooted at `std` or `core` at the `lane_std` crate (whose `sync`, `thread`
//! and `hint` are shuttle's models), and each `crate::` path at the module
//! the copy becomes (`crate::student::`). It works on tokens (proc-macro2,
//! with their lines and columns) so strings, comments and identifiers that
//! merely contain `std` are left alone, and it edits the text in place, so
//! every line stays where it was: the lane's counterexamples quote the
//! student's own `src/` lines. `test` in a `cfg` predicate becomes `any()`:
//! the copy is compiled inside the lane's test crate, where `cfg(test)`
//! holds, and must not behave otherwise than the library, where it does not.
//! The prelude's `thread_local!` becomes `::lane_std::thread_local!`
//! (shuttle's: std's keeps a value per OS thread, and the model checker runs
//! every modelled thread on one, so they would share it).
//!
//! It then writes `OUT_DIR/lane/student.rs`, which the exercise's
//! `tests/lane.rs` includes: a `#[path]` module pointing at the copy (a real
//! module file, so its inner attributes and `mod foo;` files work as in the
//! original), or, when the rewrite is impossible, a constant with the reason
//! and the `lane_unavailable` cfg, so the lane test says
//! `testkit: lane unavailable: <reason>` (for a student's `cargo test`) and
//! passes. The grader learns it from cargo's report of this build script
//! (the cfg and `LANE_UNAVAILABLE_REASON`), never from what a test prints. Nothing here ever fails
//! the build: only `tests/lane.rs` uses the copy, so the other test targets
//! never depend on it.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use proc_macro2::{Delimiter, LineColumn, Spacing, TokenStream, TokenTree};

/// The crate the rewritten paths point at.
pub const SHIM: &str = "lane_std";
/// The module of the lane test that the copy becomes.
pub const MODULE: &str = "student";

/// Runs the rewrite for the build script of the crate in `manifest_dir`.
/// Prints cargo's directives; never fails the build.
pub fn stage(manifest_dir: &Path, out_dir: &Path) {
    println!("cargo::rerun-if-changed=src");
    println!("cargo::rustc-check-cfg=cfg(lane_unavailable)");
    let lane = out_dir.join("lane");
    let outcome = copy_rewritten(&manifest_dir.join("src"), &lane.join("src"));
    let module = match outcome {
        Ok(()) => {
            let lib = lane.join("src").join("lib.rs");
            format!(
                "/// The submission's `src/`, rewritten onto `lane_std` (see `lanes/rewrite`).\n\
                 #[allow(warnings, clippy::all, clippy::pedantic)]\n\
                 #[path = {:?}]\n\
                 pub mod {MODULE};\n\
                 /// Why the lane cannot run (`None`: it can).\n\
                 pub const LANE_UNAVAILABLE: Option<&str> = None;\n",
                portable(&lib)
            )
        }
        Err(reason) => {
            println!("cargo::rustc-cfg=lane_unavailable");
            // The grader reads the cfg and this reason from cargo's report
            // of the build script, never from the test's output (which the
            // code under test controls). One line: cargo's directives are.
            let one_line: String = reason.split_whitespace().collect::<Vec<_>>().join(" ");
            println!("cargo::rustc-env=LANE_UNAVAILABLE_REASON={one_line}");
            format!(
                "/// Why the lane cannot run (`None`: it can).\n\
                 pub const LANE_UNAVAILABLE: Option<&str> = Some({reason:?});\n"
            )
        }
    };
    if let Err(error) = fs::create_dir_all(&lane).and_then(|()| fs::write(lane.join("student.rs"), module)) {
        // Without student.rs the lane test cannot compile; say why in the build log.
        println!("cargo::warning=the controlled lane could not write its module: {error}");
    }
}

fn portable(path: &Path) -> String {
    path.display().to_string().replace('\\', "/")
}

/// Copies `from` to `to`, rewriting every `.rs` file.
fn copy_rewritten(from: &Path, to: &Path) -> Result<(), String> {
    if to.exists() {
        fs::remove_dir_all(to).map_err(|e| format!("clearing {}: {e}", to.display()))?;
    }
    if !from.join("lib.rs").is_file() {
        return Err("the submission has no src/lib.rs".to_string());
    }
    let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let dir = from.join(&relative);
        fs::create_dir_all(to.join(&relative)).map_err(|e| format!("creating {}: {e}", to.display()))?;
        let entries = fs::read_dir(&dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
            let kind = entry.file_type().map_err(|e| format!("reading {}: {e}", dir.display()))?;
            let name = relative.join(entry.file_name());
            if kind.is_dir() {
                stack.push(name);
            } else if kind.is_file() {
                let source = from.join(&name);
                if name.extension().is_some_and(|e| e == "rs") {
                    let text =
                        fs::read_to_string(&source).map_err(|e| format!("reading src/{}: {e}", portable(&name)))?;
                    let rewritten = rewrite(&text).map_err(|e| format!("src/{}: {e}", portable(&name)))?;
                    fs::write(to.join(&name), rewritten).map_err(|e| format!("writing {}: {e}", name.display()))?;
                } else {
                    fs::copy(&source, to.join(&name)).map_err(|e| format!("copying src/{}: {e}", portable(&name)))?;
                }
            }
        }
    }
    Ok(())
}

/// One edit of the source text: replace the characters from `start` to
/// `end` (line, column) with `text`.
struct Edit {
    start: LineColumn,
    end: LineColumn,
    text: String,
}

/// Rewrites one file's text; every line keeps its number.
pub fn rewrite(source: &str) -> Result<String, String> {
    let tokens = TokenStream::from_str(source).map_err(|e| format!("cannot read the tokens: {e}"))?;
    let mut edits = Vec::new();
    visit(tokens, &mut edits, source);
    apply(source, edits)
}

fn is_double_colon(tokens: &[TokenTree], at: usize) -> bool {
    matches!((tokens.get(at), tokens.get(at + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':')
}

fn ident_is(token: Option<&TokenTree>, name: &str) -> bool {
    matches!(token, Some(TokenTree::Ident(ident)) if ident == name)
}

/// Whether the tokens before `at` end with `::` preceded by something a path
/// continues from (`a::std` is not a root; `::std` is).
fn continues_a_path(tokens: &[TokenTree], at: usize) -> Option<bool> {
    if at < 2 || !is_double_colon(tokens, at - 2) {
        return None;
    }
    Some(match at.checked_sub(3).and_then(|i| tokens.get(i)) {
        None => false,
        Some(TokenTree::Ident(ident)) => {
            let word = ident.to_string();
            !matches!(
                word.as_str(),
                "use"
                    | "pub"
                    | "in"
                    | "as"
                    | "return"
                    | "let"
                    | "mut"
                    | "const"
                    | "static"
                    | "dyn"
                    | "impl"
                    | "where"
                    | "for"
                    | "if"
                    | "while"
                    | "match"
                    | "else"
            )
        }
        Some(TokenTree::Punct(p)) => matches!(p.as_char(), '>' | '$'),
        Some(TokenTree::Group(g)) => g.delimiter() == Delimiter::None,
        Some(TokenTree::Literal(_)) => false,
    })
}

fn visit(stream: TokenStream, edits: &mut Vec<Edit>, source: &str) {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    for (at, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(group) => visit(group.stream(), edits, source),
            TokenTree::Ident(ident) => {
                let word = ident.to_string();
                let span = ident.span();
                let replace = |text: String| Edit { start: span.start(), end: span.end(), text };
                match word.as_str() {
                    "std" | "core" => {
                        let followed_by_path = is_double_colon(&tokens, at + 1);
                        match continues_a_path(&tokens, at) {
                            // `foo::std::x`: not a root.
                            Some(true) => {}
                            // `::std::x`
                            Some(false) => edits.push(replace(SHIM.to_string())),
                            None if followed_by_path => edits.push(replace(format!("::{SHIM}"))),
                            None => {
                                let after_use = ident_is(at.checked_sub(1).and_then(|i| tokens.get(i)), "use");
                                let after_extern = ident_is(at.checked_sub(1).and_then(|i| tokens.get(i)), "crate")
                                    && ident_is(at.checked_sub(2).and_then(|i| tokens.get(i)), "extern");
                                let renamed = ident_is(tokens.get(at + 1), "as");
                                if after_use {
                                    edits.push(replace(if renamed {
                                        format!("::{SHIM}")
                                    } else {
                                        format!("::{SHIM} as {word}")
                                    }));
                                } else if after_extern {
                                    edits.push(replace(if renamed {
                                        SHIM.to_string()
                                    } else {
                                        format!("{SHIM} as {word}")
                                    }));
                                }
                            }
                        }
                    }
                    // The prelude's `thread_local!` is std's, whose values are
                    // per OS thread: the model checker runs every modelled
                    // thread on one, so they would all share one value, a
                    // difference code could test for. `lane_std`'s is
                    // shuttle's, one value per modelled thread.
                    "thread_local"
                        if matches!(tokens.get(at + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!')
                            && continues_a_path(&tokens, at).is_none() =>
                    {
                        edits.push(replace(format!("::{SHIM}::thread_local")));
                    }
                    "crate" if is_double_colon(&tokens, at + 1) && continues_a_path(&tokens, at) != Some(true) => {
                        edits.push(replace(format!("crate::{MODULE}")));
                    }
                    "cfg" | "cfg_attr" => {
                        // The copy is compiled inside the lane's test crate,
                        // where `cfg(test)` holds; in the original library it
                        // does not. `test` in a predicate becomes `any()`
                        // (false), so the copy cannot tell the two apart.
                        let group = match (tokens.get(at + 1), tokens.get(at + 2)) {
                            (Some(TokenTree::Group(g)), _) => Some(g),
                            (Some(TokenTree::Punct(p)), Some(TokenTree::Group(g))) if p.as_char() == '!' => Some(g),
                            _ => None,
                        };
                        if let Some(group) = group.filter(|g| g.delimiter() == Delimiter::Parenthesis) {
                            let predicate: Vec<TokenTree> = group.stream().into_iter().collect();
                            let predicate = if word == "cfg_attr" {
                                predicate
                                    .split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','))
                                    .next()
                                    .unwrap_or(&[])
                                    .to_vec()
                            } else {
                                predicate
                            };
                            test_cfgs_off(&predicate, edits);
                        }
                    }
                    _ => {}
                }
            }
            TokenTree::Punct(punct) if punct.as_char() == '#' => {
                // `#![deny(warnings)]` and its kind would turn the lane test's
                // own warnings (dead code the test does not call) into errors
                // inside the copy; `#![no_std]` means nothing in a module.
                let inner = matches!(tokens.get(at + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                if let (true, Some(TokenTree::Group(group))) = (inner, tokens.get(at + 2)) {
                    let first = group.stream().into_iter().next();
                    let blank = matches!(&first, Some(TokenTree::Ident(i))
                        if ["deny", "forbid", "warn", "no_std", "no_implicit_prelude", "expect"].contains(&i.to_string().as_str()));
                    if blank {
                        let start = punct.span().start();
                        let end = group.span().end();
                        let text = blank_text(source, start, end);
                        edits.push(Edit { start, end, text });
                    }
                }
            }
            _ => {}
        }
    }
}

/// Edits every `test` in a `cfg` predicate (`all(test, unix)`, `not(test)`)
/// into `any()`, the predicate that never holds.
fn test_cfgs_off(predicate: &[TokenTree], edits: &mut Vec<Edit>) {
    for token in predicate {
        match token {
            TokenTree::Ident(ident) if ident == "test" => {
                edits.push(Edit { start: ident.span().start(), end: ident.span().end(), text: "any()".to_string() });
            }
            TokenTree::Group(group) => test_cfgs_off(&group.stream().into_iter().collect::<Vec<_>>(), edits),
            _ => {}
        }
    }
}

/// Spaces in place of the text between `start` and `end`, keeping its line breaks.
fn blank_text(source: &str, start: LineColumn, end: LineColumn) -> String {
    let (Some(from), Some(to)) = (offset(source, start), offset(source, end)) else { return String::new() };
    source[from..to].chars().map(|c| if c == '\n' || c == '\r' { c } else { ' ' }).collect()
}

/// The byte offset of a (1-based line, 0-based column in characters).
fn offset(source: &str, at: LineColumn) -> Option<usize> {
    let mut line_start = 0;
    for _ in 1..at.line {
        line_start += source[line_start..].find('\n')? + 1;
    }
    let rest = &source[line_start..];
    let within = rest.char_indices().nth(at.column).map(|(i, _)| i).unwrap_or(rest.len());
    Some(line_start + within)
}

fn apply(source: &str, mut edits: Vec<Edit>) -> Result<String, String> {
    edits.sort_by_key(|edit| (edit.start.line, edit.start.column));
    let mut out = String::with_capacity(source.len() + edits.len() * 12);
    let mut copied = 0;
    for edit in edits {
        let (Some(start), Some(end)) = (offset(source, edit.start), offset(source, edit.end)) else {
            return Err(format!("a token at line {} lies outside the file", edit.start.line));
        };
        if start < copied {
            return Err(format!("overlapping rewrites at line {}", edit.start.line));
        }
        out.push_str(&source[copied..start]);
        out.push_str(&edit.text);
        copied = end;
    }
    out.push_str(&source[copied..]);
    let _ = write!(out, "");
    if out.lines().count() != source.lines().count() {
        return Err("the rewrite moved lines (a bug in lanes/rewrite)".to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn path_roots_point_at_the_shim() {
        let source = "use std::sync::{Arc, Mutex};\nfn f() { std::hint::spin_loop(); ::std::thread::yield_now(); }\n";
        assert_eq!(
            rewrite(source).unwrap(),
            "use ::lane_std::sync::{Arc, Mutex};\nfn f() { ::lane_std::hint::spin_loop(); ::lane_std::thread::yield_now(); }\n"
        );
    }

    #[test]
    fn aliases_extern_crates_core_and_macro_bodies() {
        let source = "use std as s;\nuse std;\nextern crate std as x;\nextern crate core;\n\
                      use core::sync::atomic::AtomicU64;\nmacro_rules! m { () => { std::sync::Mutex::new(0) } }\n";
        assert_eq!(
            rewrite(source).unwrap(),
            "use ::lane_std as s;\nuse ::lane_std as std;\nextern crate lane_std as x;\nextern crate lane_std as core;\n\
             use ::lane_std::sync::atomic::AtomicU64;\nmacro_rules! m { () => { ::lane_std::sync::Mutex::new(0) } }\n"
        );
    }

    #[test]
    fn crate_paths_point_at_the_module() {
        let source = "use crate::inner::Thing;\npub(crate) fn f() -> crate::X { $crate::y() }\n";
        assert_eq!(
            rewrite(source).unwrap(),
            "use crate::student::inner::Thing;\npub(crate) fn f() -> crate::student::X { $crate::student::y() }\n"
        );
    }

    #[test]
    fn strings_comments_and_other_paths_are_left_alone() {
        let source = "// std::sync::Mutex\nconst S: &str = \"std::sync\";\nuse my::std::x;\nlet std_x = 1;\n";
        assert_eq!(rewrite(source).unwrap(), source);
    }

    #[test]
    fn lint_attributes_are_blanked_and_lines_kept() {
        let source = "//! Docs stay.\n#![deny(\n  warnings)]\n#![allow(dead_code)]\nuse std::thread;\n";
        let out = rewrite(source).unwrap();
        assert_eq!(out.lines().count(), source.lines().count());
        assert!(out.starts_with("//! Docs stay.\n"), "{out}");
        assert!(
            !out.contains("deny") && out.contains("#![allow(dead_code)]") && out.contains("::lane_std::thread"),
            "{out}"
        );
    }

    #[test]
    fn cfg_test_is_off_in_the_copy_as_in_the_original_library() {
        let source = "#[cfg(test)]\nmod tests;\n#[cfg(all(test, not(feature = \"test\")))] fn a() {}\n\
                      #[cfg_attr(test, derive(Debug))] struct S;\nconst T: bool = cfg!(not(test));\n\
                      #[cfg_attr(unix, test)] fn b() {}\n";
        assert_eq!(
            rewrite(source).unwrap(),
            "#[cfg(any())]\nmod tests;\n#[cfg(all(any(), not(feature = \"test\")))] fn a() {}\n\
             #[cfg_attr(any(), derive(Debug))] struct S;\nconst T: bool = cfg!(not(any()));\n\
             #[cfg_attr(unix, test)] fn b() {}\n"
        );
    }

    #[test]
    fn thread_locals_are_the_model_checkers_one_value_per_modelled_thread() {
        let source =
            "thread_local! { static A: u8 = 0; }\nstd::thread_local!(static B: u8 = 0);\nmy::thread_local!();\n";
        assert_eq!(
            rewrite(source).unwrap(),
            "::lane_std::thread_local! { static A: u8 = 0; }\n::lane_std::thread_local!(static B: u8 = 0);\nmy::thread_local!();\n"
        );
    }

    #[test]
    fn unreadable_tokens_are_an_error_not_a_panic() {
        assert!(rewrite("fn f() { (").is_err());
    }

    #[test]
    fn multibyte_text_before_a_path_keeps_columns_right() {
        let source = "let s = \"é\"; let m = std::sync::Mutex::new(s);\n";
        assert_eq!(rewrite(source).unwrap(), "let s = \"é\"; let m = ::lane_std::sync::Mutex::new(s);\n");
    }
}
