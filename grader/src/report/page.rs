//! One submission's feedback page, what an instructor hands back to the
//! student: `OUT/<name>.html`, and the same content as `OUT/<name>.md`.
//! Per exercise and test: status, points, pass rate; the full failure
//! message, its seed and replay command; then ignored changes, review flags
//! and tampering.
//!
//! Every string from the scorecard is escaped ([`html::escape`] for HTML;
//! for Markdown, a fence longer than any run of backticks in the text, and
//! HTML escaping outside fences, since Markdown renderers pass raw HTML
//! through).

use std::fmt::Write as _;

use crate::report::html::{self, escape};
use crate::report::human::points;
use crate::roster::Student;
use crate::scorecard::{Scorecard, TestCard, TestStatus};

/// The page's title: the submission, and the student when the roster
/// names one.
fn title(name: &str, student: Option<&Student>) -> String {
    match student {
        Some(student) if !student.name.is_empty() => format!("{} ({name})", student.name),
        _ => name.to_string(),
    }
}

fn pass_rate(test: &TestCard) -> String {
    if test.runs == 0 {
        "not run".into()
    } else {
        format!("{}/{} runs ({:.0}%)", test.passed_runs, test.runs, 100.0 * test.passed_runs as f64 / test.runs as f64)
    }
}

/// The feedback page as an HTML document.
pub fn html(card: &Scorecard, name: &str, student: Option<&Student>) -> String {
    let mut body = String::new();
    let title = title(name, student);
    let _ = writeln!(body, "<p class=\"muted\"><a href=\"./index.html\">class dashboard</a></p>");
    let _ = writeln!(body, "<h1>Feedback: {}</h1>", escape(&title));
    if let Some(student) = student {
        let _ = writeln!(
            body,
            "<p>Student id <span data-student-id>{}</span>, section {}, GitHub user {}</p>",
            escape(&student.id),
            escape(&student.section),
            escape(&student.github)
        );
    }
    match &card.infrastructure_error {
        Some(reason) => {
            let _ = writeln!(
                body,
                "<div class=\"alarm\"><b>This grading is not a grade</b> (infrastructure error, through no fault of \
                 the submission): {}. It will be graded again.</div>",
                escape(reason)
            );
        }
        None => {
            let _ = writeln!(
                body,
                "<p class=\"total\"><b data-total>{}</b> of <span data-max>{}</span> points</p>",
                points(card.score),
                points(card.max_score)
            );
        }
    }
    if let Some(files) = card.tampered_files.as_ref().filter(|f| !f.is_empty()) {
        let _ = writeln!(
            body,
            "<div class=\"alarm\" data-tampered><b>Tampered grading files</b>: these files differ from the course's \
             grading manifest: {}</div>",
            escape(&files.join(", "))
        );
    }
    for exercise in &card.exercises {
        let _ = writeln!(
            body,
            "<h2 id=\"{}\">{}: {} <span class=\"{}\">{}</span> <span data-exercise-score>{}</span>/{}</h2>",
            escape(&exercise.id),
            escape(&exercise.id),
            escape(&exercise.title),
            exercise.status.as_str(),
            exercise.status.as_str(),
            points(exercise.score),
            points(exercise.max_score)
        );
        if let Some(message) = &exercise.message {
            let _ = writeln!(body, "<pre>{}</pre>", escape(message));
        }
        if exercise.tests.is_empty() {
            continue;
        }
        let _ = writeln!(
            body,
            "<table><thead><tr><th>test</th><th>status</th><th class=\"num\">points</th><th>pass rate</th>\
             <th class=\"num\">longest run</th></tr></thead><tbody>"
        );
        for test in &exercise.tests {
            let _ = writeln!(
                body,
                "<tr><td><code>{}</code></td><td class=\"{}\">{}</td><td class=\"num\">{}/{}</td><td>{}</td>\
                 <td class=\"num\">{:.2} s</td></tr>",
                escape(&test.name),
                test.status.as_str(),
                test.status.as_str(),
                points(test.points),
                points(test.max_points),
                pass_rate(test),
                test.max_run_secs
            );
        }
        let _ = writeln!(body, "</tbody></table>");
        for test in exercise.tests.iter().filter(|t| t.status != TestStatus::Passed) {
            let _ = writeln!(
                body,
                "<h3><code>{}</code> <span class=\"{}\">{}</span></h3>",
                escape(&test.name),
                test.status.as_str(),
                test.status.as_str()
            );
            if let Some(message) = &test.message {
                let _ = writeln!(body, "<pre data-message>{}</pre>", escape(message));
            }
            if let Some(seed) = test.failing_seed {
                let _ = writeln!(body, "<p>Seed of the first failing run: <code>{seed}</code></p>");
            }
            if let Some(replay) = &test.replay {
                let _ = writeln!(body, "<p>Replay it:</p><pre>{}</pre>", escape(replay));
            }
            let _ = writeln!(body, "{}", diagnosis_html(test));
        }
    }
    if !card.ignored_changes.is_empty() {
        let _ = writeln!(
            body,
            "<h2>Ignored changes</h2><p>Only the exercises' <code>src/</code> folders are graded; these changes had \
             no effect on the grade.</p><ul>"
        );
        for change in &card.ignored_changes {
            let kind = serde_json::to_value(change.change).ok().and_then(|v| v.as_str().map(str::to_owned));
            let _ = writeln!(
                body,
                "<li><code>{}</code> ({})</li>",
                escape(&change.path),
                escape(&kind.unwrap_or_default())
            );
        }
        let _ = writeln!(body, "</ul>");
    }
    if !card.review_flags.is_empty() {
        let _ = writeln!(
            body,
            "<h2>Flagged for review</h2><div class=\"warn\" data-review-flags>{} construct(s) an instructor may \
             want to look at. They cost no points.</div><table><thead><tr><th>exercise</th><th>where</th>\
             <th>construct</th><th>why</th></tr></thead><tbody>",
            card.review_flags.len()
        );
        for flag in &card.review_flags {
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td><code>{}:{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                escape(&flag.exercise),
                escape(&flag.path),
                flag.line,
                escape(&flag.construct),
                escape(&flag.reason)
            );
        }
        let _ = writeln!(body, "</tbody></table>");
    }
    let _ = writeln!(
        body,
        "<p class=\"muted\">Graded by grader {} in {:.1} s.</p>",
        escape(&card.grader_version),
        card.duration_secs
    );
    html::document(&format!("Feedback: {title}"), &body)
}

/// Where a test's counterexample interleaving and hang diagnosis render:
/// whatever of the two the scorecard holds, HTML-escaped; nothing at all
/// when it holds neither, so a page never claims a diagnosis it lacks.
fn diagnosis_html(test: &TestCard) -> String {
    let mut parts = Vec::new();
    if let Some(counterexample) = &test.counterexample {
        parts.push(format!(
            "<h4>Counterexample (controlled scheduling)</h4><pre>{}</pre>",
            escape(&super::counterexample::text(counterexample))
        ));
    }
    if let Some(hang) = &test.hang {
        parts.push(format!("<h4>Where each thread waited</h4><pre>{}</pre>", escape(&super::hang::text(hang))));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!("<section class=\"diagnosis\" data-diagnosis>{}</section>", parts.join(""))
}

/// The Markdown twin of [`diagnosis_html`]; see there.
fn diagnosis_markdown(test: &TestCard) -> String {
    let mut out = String::new();
    if let Some(counterexample) = &test.counterexample {
        out.push_str("Counterexample (controlled scheduling):\n\n");
        out.push_str(&super::counterexample::markdown(counterexample));
        out.push('\n');
    }
    if let Some(hang) = &test.hang {
        out.push_str("Where each thread waited:\n\n");
        out.push_str(&super::hang::markdown(hang));
        out.push('\n');
    }
    out
}

/// `text` as a fenced Markdown code block whose fence no line of `text`
/// can close.
fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}text\n{}\n{fence}\n", text.replace('\r', ""))
}

/// Text for Markdown outside a code block: HTML-escaped (renderers pass
/// raw HTML through), with Markdown's own markup characters escaped, and on
/// one line.
fn md(text: &str) -> String {
    let mut out = String::new();
    for c in escape(text).chars() {
        match c {
            // Without `[` and `]` there is no link; `(` stays readable.
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The feedback page as Markdown: the same content as [`html`].
pub fn markdown(card: &Scorecard, name: &str, student: Option<&Student>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Feedback: {}\n", md(&title(name, student)));
    if let Some(student) = student {
        let _ = writeln!(
            out,
            "Student id {}, section {}, GitHub user {}\n",
            md(&student.id),
            md(&student.section),
            md(&student.github)
        );
    }
    match &card.infrastructure_error {
        Some(reason) => {
            let _ = writeln!(
                out,
                "**This grading is not a grade** (infrastructure error, through no fault of the submission): {}. It \
                 will be graded again.\n",
                md(reason)
            );
        }
        None => {
            let _ = writeln!(out, "**{} of {} points**\n", points(card.score), points(card.max_score));
        }
    }
    if let Some(files) = card.tampered_files.as_ref().filter(|f| !f.is_empty()) {
        let _ = writeln!(
            out,
            "**Tampered grading files**: these files differ from the course's grading manifest: {}\n",
            md(&files.join(", "))
        );
    }
    for exercise in &card.exercises {
        let _ = writeln!(
            out,
            "## {}: {}: {} {}/{}\n",
            md(&exercise.id),
            md(&exercise.title),
            exercise.status.as_str(),
            points(exercise.score),
            points(exercise.max_score)
        );
        if let Some(message) = &exercise.message {
            out.push_str(&fenced(message));
            out.push('\n');
        }
        if exercise.tests.is_empty() {
            continue;
        }
        let _ = writeln!(out, "| test | status | points | pass rate | longest run |\n|---|---|---:|---|---:|");
        for test in &exercise.tests {
            let _ = writeln!(
                out,
                "| `{}` | {} | {}/{} | {} | {:.2} s |",
                test.name.replace(['`', '|', '\n'], " "),
                test.status.as_str(),
                points(test.points),
                points(test.max_points),
                pass_rate(test),
                test.max_run_secs
            );
        }
        out.push('\n');
        for test in exercise.tests.iter().filter(|t| t.status != TestStatus::Passed) {
            let _ = writeln!(out, "### {}: {}\n", md(&test.name), test.status.as_str());
            if let Some(message) = &test.message {
                out.push_str(&fenced(message));
                out.push('\n');
            }
            if let Some(seed) = test.failing_seed {
                let _ = writeln!(out, "Seed of the first failing run: {seed}\n");
            }
            if let Some(replay) = &test.replay {
                let _ = writeln!(out, "Replay it:\n");
                out.push_str(&fenced(replay));
                out.push('\n');
            }
            out.push_str(&diagnosis_markdown(test));
            out.push('\n');
        }
    }
    if !card.ignored_changes.is_empty() {
        let _ = writeln!(
            out,
            "## Ignored changes\n\nOnly the exercises' `src/` folders are graded; these changes had no effect on the \
             grade.\n"
        );
        for change in &card.ignored_changes {
            let kind = serde_json::to_value(change.change).ok().and_then(|v| v.as_str().map(str::to_owned));
            let _ = writeln!(out, "- {} ({})", md(&change.path), kind.unwrap_or_default());
        }
        out.push('\n');
    }
    if !card.review_flags.is_empty() {
        let _ = writeln!(
            out,
            "## Flagged for review\n\n{} construct(s) an instructor may want to look at. They cost no points.\n",
            card.review_flags.len()
        );
        for flag in &card.review_flags {
            let _ = writeln!(
                out,
                "- {} {}:{}: {}: {}",
                md(&flag.exercise),
                md(&flag.path),
                flag.line,
                md(&flag.construct),
                md(&flag.reason)
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "Graded by grader {} in {:.1} s.", md(&card.grader_version), card.duration_secs);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fence_outlasts_the_backticks_inside() {
        let text = "before\n```\n</pre><script>alert(1)</script>\n````";
        let block = fenced(text);
        assert!(block.starts_with("`````text\n"), "{block}");
        assert!(block.ends_with("\n`````\n"), "{block}");
    }

    #[test]
    fn markdown_text_carries_no_html() {
        let text = md("<img src=x onerror=alert(1)> [link](javascript:x)\n# heading");
        assert!(!text.contains('<') && !text.contains('\n'), "{text}");
        assert!(text.contains("\\[link\\](javascript:x)"), "{text}");
    }
}
