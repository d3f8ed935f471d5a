//! A hang diagnosis (`TestCard.hang`) for people: each thread headed by its
//! name, the call it was making and its state, then its stack reduced to the
//! submission's lines, as Go prints a goroutine dump; the lock cycle after.
//! `text` is for a terminal (the human summary), `markdown` for the Markdown,
//! JUnit and Gradescope outputs (wired in by their owners).

use std::fmt::Write;

use crate::scorecard::Hang;

/// Plain text, indented by the caller.
pub fn text(hang: &Hang) -> String {
    let mut out = String::new();
    if hang.threads.is_empty() {
        if let Some(note) = &hang.note {
            let _ = writeln!(out, "where the threads waited is unknown: {note}");
        }
        return out;
    }
    let _ = writeln!(out, "where each thread waited ({}):", mechanism(&hang.mechanism));
    for thread in &hang.threads {
        let call = thread.call.as_deref().map(|c| format!(" in `{c}`")).unwrap_or_default();
        let _ = writeln!(out, "  thread '{}'{call} [{}]", thread.name, thread.state);
        for frame in &thread.frames {
            let _ = writeln!(out, "      {}:{}  {}", frame.file, frame.line, frame.source);
        }
    }
    if let Some(cycle) = &hang.deadlock {
        let _ = writeln!(out, "deadlock:");
        for step in cycle {
            let _ = writeln!(out, "  {step}");
        }
    }
    if let Some(note) = &hang.note {
        let _ = writeln!(out, "({note})");
    }
    out
}

/// Markdown: one list item per thread, its lines as code.
pub fn markdown(hang: &Hang) -> String {
    let mut out = String::new();
    if hang.threads.is_empty() {
        if let Some(note) = &hang.note {
            let _ = writeln!(out, "_Where the threads waited is unknown: {}_", escape(note));
        }
        return out;
    }
    let _ = writeln!(out, "**Where each thread waited** ({}):\n", mechanism(&hang.mechanism));
    for thread in &hang.threads {
        let call = thread.call.as_deref().map(|c| format!(" in {}", code(c))).unwrap_or_default();
        let _ = writeln!(out, "- thread {}{call}: {}", code(&thread.name), escape(&thread.state));
        for frame in &thread.frames {
            let _ = writeln!(out, "  - {} {}", code(&format!("{}:{}", frame.file, frame.line)), code(&frame.source));
        }
    }
    if let Some(cycle) = &hang.deadlock {
        let _ = writeln!(out, "\n**Deadlock:**\n");
        for step in cycle {
            let _ = writeln!(out, "- {}", escape(step));
        }
    }
    if let Some(note) = &hang.note {
        let _ = writeln!(out, "\n_{}_", escape(note));
    }
    out
}

fn mechanism(mechanism: &str) -> &'static str {
    match mechanism {
        "gdb" => "stacks by gdb",
        "proc" => "thread states from /proc; no debugger could attach",
        "labels" => "as the test recorded it",
        _ => "no stacks",
    }
}

/// Inline code that survives backticks in the text (the test's and the
/// student's text, not trusted).
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() { " " } else { "" };
    format!("{fence}{pad}{}{pad}{fence}", text.replace('\n', " "))
}

/// Markdown's active characters escaped (the text may come from a test).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.replace('\n', " ").chars() {
        if "\\`*_[]<>#|!".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorecard::{HangFrame, HangThread};

    fn sample() -> Hang {
        Hang {
            mechanism: "gdb".into(),
            threads: vec![HangThread {
                name: "crossfire 0 to 1".into(),
                call: Some("transfer(0, 1, 0)".into()),
                state: "blocked on a lock (Mutex::lock)".into(),
                frames: vec![HangFrame {
                    function: "transfer".into(),
                    file: "src/lib.rs".into(),
                    line: 74,
                    source: "let to = self.accounts[to].lock().unwrap();".into(),
                }],
            }],
            deadlock: Some(vec!["thread A holds x and waits for y".into()]),
            note: None,
        }
    }

    #[test]
    fn text_heads_each_stack_with_its_thread_call_and_state() {
        let text = text(&sample());
        assert!(text.contains("thread 'crossfire 0 to 1' in `transfer(0, 1, 0)` [blocked on a lock (Mutex::lock)]"));
        assert!(text.contains("      src/lib.rs:74  let to = self.accounts[to].lock().unwrap();"), "{text}");
        assert!(text.contains("deadlock:\n  thread A holds x"), "{text}");
    }

    #[test]
    fn markdown_quotes_untrusted_text() {
        let mut hang = sample();
        hang.threads[0].call = Some("a`b".into());
        hang.threads[0].state = "<script>".into();
        let markdown = markdown(&hang);
        assert!(markdown.contains("in ``a`b``"), "{markdown}");
        assert!(markdown.contains("\\<script\\>"), "{markdown}");
        assert!(markdown.contains("`src/lib.rs:74`"), "{markdown}");
    }

    #[test]
    fn a_report_without_threads_says_why() {
        let hang = Hang { mechanism: "none".into(), threads: vec![], deadlock: None, note: Some("no /proc".into()) };
        assert_eq!(text(&hang), "where the threads waited is unknown: no /proc\n");
    }
}
