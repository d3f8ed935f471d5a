//! The policy's resolver against the ways round a list of spellings.

use super::*;

/// The constructs found, sorted.
fn found(source: &str) -> Vec<String> {
    let mut found: Vec<String> =
        check_source(source, "src/lib.rs", &Allowed::default()).into_iter().map(|v| v.construct).collect();
    found.sort();
    found
}

fn found_with_fs(source: &str) -> Vec<String> {
    let allowed = Allowed { modules: vec!["std::fs".into()] };
    check_source(source, "src/lib.rs", &allowed).into_iter().map(|v| v.construct).collect()
}

#[test]
fn ordinary_concurrent_code_passes() {
    let source = r#"
        //! Uses std::process in a comment, and "std::env" in a string.
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::{Arc, Condvar, Mutex};
        use std::collections::HashMap;
        use std::io::{self, Write as _};
        use core::fmt;
        extern crate alloc;
        use alloc::vec::Vec as V;
        /// `std::fs::read` in a doc comment costs nothing.
        pub fn f(x: &AtomicU64) -> u64 {
            let _ = std::thread::available_parallelism();
            let v: ::std::vec::Vec<u8> = std::vec::Vec::<u8>::new();
            let _: V<u8> = v;
            println!("{}", std::mem::size_of::<u64>());
            x.load(Ordering::SeqCst)
        }
        #[derive(Debug, Clone)]
        #[allow(unused)]
        pub struct S;
        use std::os::raw::c_int;
    "#;
    assert_eq!(found(source), Vec::<String>::new());
}

#[test]
fn aliases_groups_and_reexports_count() {
    assert_eq!(found("use std::{fs as f, process as p};"), ["std::fs", "std::process"]);
    assert_eq!(found("use std::{io, env as e};"), ["std::env"]);
    assert_eq!(found("use ::std::process;\nfn f() { process::exit(0) }"), ["std::process"]);
    assert_eq!(found("pub use std::process as p;"), ["std::process"]);
    assert_eq!(found("use std::{self as s};"), ["std::{self as ...}"]);
    assert_eq!(found("use std as s;"), ["std as ..."]);
    assert_eq!(found("extern crate std as s;"), ["extern crate ... as"]);
    assert_eq!(found("use std::*;"), ["std::*"]);
    assert_eq!(found("use std::os::unix::*;"), ["std::os"]);
    assert_eq!(found("use std::{os::{unix::{process}}};"), ["std::os"]);
    assert_eq!(found("use ::{std::net::TcpStream};"), ["std::net"]);
    assert_eq!(found("fn f() { let _ = std::env::var(\"X\"); }"), ["std::env"]);
    assert_eq!(found("fn f() { r#std::r#process::exit(0) }"), ["std::process"]);
    assert_eq!(found("fn f() { core::arch::asm!(\"nop\") }"), ["asm!", "core::arch"]);
    assert_eq!(found("use std::os;"), ["std::os"]);
    assert_eq!(found("use std::os::{raw::c_int, fd::FromRawFd};"), ["std::os"]);
}

#[test]
fn macros_count_and_cannot_build_paths_around_the_check() {
    assert_eq!(found("macro_rules! m { () => { std::process::exit(0) } }"), ["std::process"]);
    assert_eq!(found("macro_rules! m { ($x:ident) => { std::$x::exit(0) } }"), ["std::$..."]);
    assert_eq!(found("fn f() { m!(std); }"), ["std"]);
    assert_eq!(found("fn f() { m!(std;) }"), ["std"]);
    assert_eq!(found("fn f() { println!(\"{:?}\", std::env::args()); }"), ["std::env"]);
    assert_eq!(found("fn f() { let _ = env!(\"HOME\"); let _ = option_env!(\"X\"); }"), ["env!", "option_env!"]);
}

#[test]
fn unsafe_foreign_code_and_symbol_attributes_are_refused() {
    assert_eq!(found("fn f() { unsafe { } }"), ["unsafe"]);
    assert_eq!(found("unsafe extern \"C\" { fn exit(c: i32); }"), ["extern block", "unsafe"]);
    assert_eq!(found("extern { fn exit(c: i32); }"), ["extern block"]);
    assert_eq!(found("#[unsafe(no_mangle)] pub fn main() {}"), ["#[no_mangle]", "unsafe"]);
    assert_eq!(
        found("#[used] #[unsafe(link_section = \".init_array\")] static X: u8 = 0;"),
        ["#[link_section]", "#[used]", "unsafe"]
    );
    assert_eq!(found("#[cfg_attr(all(), export_name = \"x\")] fn f() {}"), ["#[export_name]"]);
    assert_eq!(found("core::arch::global_asm!(\"\");"), ["core::arch", "global_asm!"]);
    assert_eq!(found("global_asm!(\"\");"), ["global_asm!"]);
}

#[test]
fn comparisons_the_tests_rely_on_are_derived_never_written() {
    assert_eq!(found("#[derive(Debug, Clone, PartialEq, Eq)]\npub struct User { id: u64 }"), Vec::<String>::new());
    assert_eq!(found("impl PartialEq for User { fn eq(&self, _: &Self) -> bool { true } }"), ["impl PartialEq"]);
    assert_eq!(found("impl<T> std::cmp::PartialOrd<T> for W<T> {}"), ["impl PartialOrd"]);
    assert_eq!(found("impl fmt::Display for User {}\nimpl<T: PartialEq> W<T> {}"), Vec::<String>::new());
    assert_eq!(found("#[macro_export] macro_rules! assert_eq { ($($t:tt)*) => {} }"), ["#[macro_export]"]);
}

#[test]
fn includes_and_module_paths_stay_inside_src() {
    assert_eq!(found("const A: &str = include_str!(\"table.txt\");"), Vec::<String>::new());
    assert_eq!(found("#[path = \"imp/queue.rs\"] mod queue;"), Vec::<String>::new());
    assert_eq!(found("const A: &str = include_str!(\"/etc/shadow\");"), ["include_str!"]);
    assert_eq!(found("const A: &[u8] = include_bytes!(\"../../../solutions/x.rs\");"), ["include_bytes!"]);
    assert_eq!(found("const A: &str = include_str!(concat!(\"/et\", \"c/passwd\"));"), ["include_str!"]);
    assert_eq!(found("include!(\"../tests/common/mod.rs\");"), ["include!"]);
    assert_eq!(found("#[path = \"/etc/passwd\"] mod p;"), ["#[path]"]);
}

#[test]
fn an_allowed_module_is_allowed_and_only_it() {
    assert_eq!(
        found_with_fs("use std::fs::{self, File};\nfn f() { let _ = std::fs::read(\"x\"); }"),
        Vec::<String>::new()
    );
    assert_eq!(found_with_fs("use std::{fs as f, process as p};"), ["std::process"]);
    assert_eq!(found("use std::fs;"), ["std::fs"]);
}

#[test]
fn violations_name_file_line_and_why() {
    let violations = check_source(
        "\n\nuse std::{\n    io,\n    process as p,\n};\n",
        "exercises/exercise-1/src/lib.rs",
        &Allowed::default(),
    );
    assert_eq!(violations.len(), 1);
    let text = violations[0].text();
    assert!(text.starts_with("exercises/exercise-1/src/lib.rs:5: `std::process` can end the test process"), "{text}");
}
