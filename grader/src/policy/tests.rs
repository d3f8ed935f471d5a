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
    let allowed = Allowed { modules: vec!["std::fs".into()], lane_copy: false };
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

/// The constructs found in an exercise with a controlled lane, sorted.
fn found_in_lane_exercise(source: &str) -> Vec<String> {
    let allowed = Allowed { modules: Vec::new(), lane_copy: true };
    let mut found: Vec<String> =
        check_source(source, "src/lib.rs", &allowed).into_iter().map(|v| v.construct).collect();
    found.sort();
    found
}

#[test]
fn ordinary_concurrent_code_passes_in_a_lane_exercise() {
    // What the solutions and correct fixtures of exercises 1, 2 and 5 do,
    // including names that merely resemble refused ones.
    let source = r#"
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::{Arc, Condvar, Mutex};
        use std::thread;
        use std::time::Duration;
        pub(crate) struct Bank { accounts: Vec<Mutex<u64>>, current_epoch: AtomicU64 }
        pub(in crate) fn f(bank: &Bank, n: u64) -> u64 {
            let current = bank.current_epoch.load(Ordering::Acquire);
            let handle = thread::spawn(move || current * n);
            let thread_count = handle.join().unwrap();
            let patience = Duration::from_millis(5);
            thread::sleep(patience);
            let _ = (patience, crate::helper(), &*bank.accounts[0].lock().unwrap());
            println!("{} {:?} {{:p}} {:>8}", current, thread_count, "x");
            thread_count
        }
        #[cfg(test)]
        mod tests { use super::*; #[test] fn t() { assert_eq!(2 * 3, 6); } }
        extern crate alloc;
    "#;
    assert_eq!(found_in_lane_exercise(source), Vec::<String>::new());
    // The same rules stay off where no lane copies src/.
    assert_eq!(found("fn f() { let _ = file!(); let _ = std::mem::size_of::<u8>(); }"), Vec::<String>::new());
}

#[test]
fn what_tells_the_lane_copy_apart_is_refused() {
    let refused = |source: &str| found_in_lane_exercise(source);
    // Where the code was compiled, and how its tokens are spelt.
    assert_eq!(refused("fn f() -> bool { file!().contains(\"lane\") }"), ["file!"]);
    assert_eq!(refused("const M: &str = module_path!(); const C: u32 = column!();"), ["column!", "module_path!"]);
    assert_eq!(refused("const S: &str = stringify!(std::sync::Mutex);"), ["stringify!"]);
    assert_eq!(refused("const S: &str = include_str!(\"lib.rs\");"), ["include_str!"]);
    assert_eq!(refused("fn f() { println!(concat!(\"{:\", \"p}\"), &0); }"), ["concat!"]);
    // Type names, ids and sizes, on every route to them.
    assert_eq!(refused("fn f() { std::any::type_name::<std::sync::Mutex<u8>>(); }"), ["type_name"]);
    assert_eq!(refused("use std::any::type_name as t;"), ["type_name"]);
    assert_eq!(refused("use core::any::{type_name_of_val as n};"), ["type_name_of_val"]);
    assert_eq!(refused("fn f() -> bool { size_of::<std::sync::Mutex<u8>>() > 16 }"), ["size_of"]);
    assert_eq!(
        refused("fn f(m: &M) -> usize { std::mem::size_of_val(m) + align_of::<M>() }"),
        ["align_of", "size_of_val"]
    );
    assert_eq!(refused("fn f() { std::alloc::Layout::new::<u8>(); }"), ["Layout"]);
    assert_eq!(refused("fn f(x: &dyn std::any::Any) { x.type_id(); }"), ["type_id"]);
    assert_eq!(refused("use std::any::TypeId;"), ["TypeId"]);
    // Source locations, backtraces, panic hooks.
    assert_eq!(refused("#[track_caller] fn f() { std::panic::Location::caller(); }"), ["Location", "track_caller"]);
    assert_eq!(refused("fn f() { std::panic::set_hook(Box::new(|i| { i.location(); })); }"), ["location", "set_hook"]);
    assert_eq!(refused("fn f() { let _ = std::panic::take_hook(); }"), ["take_hook"]);
    assert_eq!(refused("use std::backtrace::Backtrace;"), ["Backtrace", "backtrace"]);
    // Addresses, from which sizes follow.
    assert_eq!(refused("fn f(a: &[u8; 2]) -> usize { &a[1] as *const u8 as usize }"), ["*const"]);
    assert_eq!(refused("fn f(a: &mut u8) { let _ = a as *mut u8; }"), ["*mut"]);
    assert_eq!(refused("fn f(a: u8) { let _ = &raw const a; }"), ["&raw const"]);
    assert_eq!(refused("fn f(a: &Arc<u8>) { Arc::as_ptr(a).addr(); }"), [".addr()", "as_ptr"]);
    assert_eq!(refused("fn f(a: &u8) { std::ptr::from_ref(a); std::ptr::addr_of!(*a); }"), ["addr_of", "from_ref"]);
    assert_eq!(refused("fn f(v: Box<u8>) { Box::into_raw(v); }"), ["into_raw"]);
    assert_eq!(
        refused("use std::{ptr::NonNull, sync::atomic::AtomicPtr, cell::UnsafeCell};"),
        ["AtomicPtr", "NonNull", "UnsafeCell"]
    );
    assert_eq!(refused("fn f(a: &u8) -> String { format!(\"{:p}\", a) }"), ["{:p}"]);
    assert_eq!(refused("fn f(a: &u8) -> String { format!(\"{a:#018p}\") }"), ["{:p}"]);
    assert_eq!(refused("fn f(a: &u8) -> String { format!(r#\"{0:p}\"#, a) }"), ["{:p}"]);
    assert_eq!(refused("impl std::fmt::Pointer for X {}"), ["Pointer"]);
    // Threads, whose identity is the model checker's.
    assert_eq!(refused("fn f() { std::thread::current().name(); }"), ["thread::current"]);
    assert_eq!(refused("use std::thread::{self, current as me}; fn f() { me(); }"), ["thread::current"]);
    assert_eq!(refused("fn f() { let get = thread::current; get(); }"), ["thread::current"]);
    assert_eq!(refused("fn f(h: &JoinHandle<()>) { h.thread().id(); }"), [".thread()"]);
    assert_eq!(refused("fn f(t: std::thread::ThreadId) {}"), ["ThreadId"]);
    // Clocks, which would time the model checker.
    assert_eq!(refused("use std::time::{Duration, Instant as Now};"), ["Instant"]);
    assert_eq!(
        refused("fn f() { std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH); }"),
        ["SystemTime", "UNIX_EPOCH"]
    );
    // The crate's root, which in the lane is the lane test's.
    assert_eq!(refused("use crate as me;"), ["crate"]);
    assert_eq!(refused("extern crate self as me;"), ["extern crate self"]);
    assert_eq!(refused("macro_rules! m { () => { use $crate as me; } }"), ["crate"]);
    // Macro bodies count like any other tokens.
    assert_eq!(refused("macro_rules! m { ($t:ty) => { std::mem::size_of::<$t>() } }"), ["size_of"]);
}
