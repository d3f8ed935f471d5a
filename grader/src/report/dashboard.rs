//! The class dashboard, `OUT/index.html`, and the site around it: one
//! feedback page per submission (`report::page`), as HTML and Markdown.
//!
//! The dashboard is one self-contained file: inline CSS, charts as inline
//! SVG drawn by `plotters` (its SVG backend, which writes text as `<text>`
//! elements and so needs no font on the machine that renders), no script
//! and a Content-Security-Policy that forbids every request. It opens from
//! `file://` and survives being attached to an email (the feedback-page
//! links then simply do not resolve).
//!
//! It shows the score histograms (total and per exercise); per test how
//! many gradings failed it, were flaky or timed out, the most common first,
//! with the most common failure messages grouped (`report::stats`); the
//! gradings with an infrastructure error, apart, with their reason; review
//! flags and tampering; and a table of every submission linking to its page.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

use crate::error::Result;
use crate::report::csv::Row;
use crate::report::html::{self, escape, href};
use crate::report::human::points;
use crate::report::output::write_atomic;
use crate::report::page;
use crate::report::stats::{ClassStats, histogram};

/// The dashboard's file name in an output folder.
pub const INDEX: &str = "index.html";

/// Bins of every score histogram.
const BINS: usize = 10;

/// Writes the dashboard and every submission's feedback page into `out`;
/// returns how many pages it wrote.
pub fn write_site(out: &Path, rows: &[Row]) -> Result<usize> {
    let mut rows: Vec<&Row> = rows.iter().collect();
    rows.sort_by(|a, b| a.submission.cmp(&b.submission));
    let stems = page_stems(&rows);
    let mut pages = 0;
    for (row, stem) in rows.iter().zip(&stems) {
        if let (Some(card), Some(stem)) = (&row.scorecard, stem) {
            write_atomic(
                &out.join(format!("{stem}.html")),
                page::html(card, &row.submission, row.student.as_ref()).as_bytes(),
            )?;
            write_atomic(
                &out.join(format!("{stem}.md")),
                page::markdown(card, &row.submission, row.student.as_ref()).as_bytes(),
            )?;
            pages += 1;
        }
    }
    write_atomic(&out.join(INDEX), dashboard(&rows, &stems).as_bytes())?;
    Ok(pages)
}

/// The file stem of each row's feedback page (`None` without a scorecard):
/// the submission's name, except that a submission called `index` must not
/// overwrite the dashboard, so it (and any later clash) gets a suffix.
fn page_stems(rows: &[&Row]) -> Vec<Option<String>> {
    let mut taken: BTreeSet<String> = rows.iter().map(|r| r.submission.to_lowercase()).collect();
    taken.insert("index".into());
    rows.iter()
        .map(|row| {
            row.scorecard.as_ref()?;
            if !row.submission.eq_ignore_ascii_case("index") {
                return Some(row.submission.clone());
            }
            let stem = (1..)
                .map(|n| format!("{}-submission{}", row.submission, if n == 1 { String::new() } else { n.to_string() }))
                .find(|stem| !taken.contains(&stem.to_lowercase()))
                .expect("some suffix is free");
            taken.insert(stem.to_lowercase());
            Some(stem)
        })
        .collect()
}

/// The dashboard page.
fn dashboard(rows: &[&Row], stems: &[Option<String>]) -> String {
    let cards: Vec<(&str, &crate::scorecard::Scorecard)> =
        rows.iter().filter_map(|r| r.scorecard.as_ref().map(|c| (r.submission.as_str(), c))).collect();
    let stats = ClassStats::new(&cards, rows.len());
    let missing = rows.iter().filter(|r| r.status == "missing").count();
    let failed: Vec<&&Row> = rows.iter().filter(|r| r.scorecard.is_none() && r.status != "missing").collect();
    let mut body = String::new();
    let _ = writeln!(body, "<h1>Class dashboard</h1>");
    let _ = writeln!(body, "<div class=\"summary\">");
    let _ = writeln!(body, "<div>submissions<b data-class-size>{}</b></div>", rows.len() - missing);
    let _ = writeln!(body, "<div>graded<b data-graded>{}</b></div>", stats.totals.len());
    if missing > 0 {
        let _ = writeln!(body, "<div>missing<b data-missing>{missing}</b></div>");
    }
    let untrusted = stats.untrusted.len() + failed.len();
    if untrusted > 0 {
        let _ = writeln!(body, "<div class=\"infrastructure_error\">not graded<b data-untrusted>{untrusted}</b></div>");
    }
    if let (Some(median), Some(mean)) = (stats.median(), stats.mean()) {
        let _ = writeln!(
            body,
            "<div>median<b>{}</b></div><div>mean<b>{:.1}</b></div><div>out of<b>{}</b></div>",
            points(median),
            mean,
            points(stats.max_score)
        );
    }
    let _ = writeln!(body, "</div>");

    // The ones an instructor must act on come first.
    if untrusted > 0 {
        let _ = writeln!(
            body,
            "<h2>Not graded: infrastructure errors</h2><div class=\"alarm\">These gradings cannot be trusted \
             (through no fault of the submission) and record no grade; the next run of the batch grades them \
             again.</div><table data-infrastructure><thead><tr><th>submission</th><th>reason</th></tr></thead><tbody>"
        );
        for (name, reason) in &stats.untrusted {
            let _ = writeln!(body, "<tr><td>{}</td><td>{}</td></tr>", escape(name), escape(reason));
        }
        for row in &failed {
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(&row.submission),
                escape(row.error.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(body, "</tbody></table>");
    }
    review_section(&mut body, rows, stems);

    let _ = writeln!(body, "<h2>Score distribution</h2><div class=\"charts\">");
    if !stats.totals.is_empty() {
        body.push_str(&histogram_figure("Total score", &stats.totals, stats.max_score));
        for exercise in &stats.exercises {
            body.push_str(&histogram_figure(
                &format!("{}: {}", exercise.id, exercise.title),
                &exercise.scores,
                exercise.max_score,
            ));
        }
    } else {
        let _ = writeln!(body, "<p>No trusted grading yet.</p>");
    }
    let _ = writeln!(body, "</div>");

    tests_section(&mut body, &stats);
    submissions_section(&mut body, rows, stems, &stats);
    let _ = writeln!(
        body,
        "<p class=\"muted\">Rebuild this page from the scorecards with <code>grader report OUT/</code>.</p>"
    );
    html::document("Class dashboard", &body)
}

fn review_section(body: &mut String, rows: &[&Row], stems: &[Option<String>]) {
    let flagged: Vec<(&Row, &Option<String>)> = rows
        .iter()
        .zip(stems)
        .filter_map(|(row, stem)| {
            let card = row.scorecard.as_ref()?;
            let tampered = card.tampered_files.as_ref().is_some_and(|f| !f.is_empty());
            // Ignored changes alone are not listed here: most students touch
            // a README; the submissions table counts them.
            (tampered || !card.review_flags.is_empty()).then_some((*row, stem))
        })
        .collect();
    if flagged.is_empty() {
        return;
    }
    let _ = writeln!(
        body,
        "<h2>Review flags and tampering</h2><table data-review><thead><tr><th>submission</th><th>tampered grading \
         files</th><th class=\"num\">review flags</th><th>constructs</th><th class=\"num\">ignored changes</th></tr>\
         </thead><tbody>"
    );
    for (row, stem) in flagged {
        let card = row.scorecard.as_ref().expect("filtered");
        let tampered = card.tampered_files.as_ref().filter(|f| !f.is_empty());
        let constructs: BTreeSet<&str> = card.review_flags.iter().map(|f| f.construct.as_str()).collect();
        let _ = writeln!(
            body,
            "<tr{}><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            if tampered.is_some() { " class=\"alarm\"" } else { "" },
            link(&row.submission, stem.as_deref()),
            tampered.map(|f| format!("<b class=\"failed\">{}</b>", escape(&f.join(", ")))).unwrap_or_default(),
            card.review_flags.len(),
            escape(&constructs.into_iter().collect::<Vec<_>>().join(", ")),
            card.ignored_changes.len()
        );
    }
    let _ = writeln!(body, "</tbody></table>");
}

fn tests_section(body: &mut String, stats: &ClassStats) {
    let _ = writeln!(
        body,
        "<h2>Tests, the most often not passed first</h2><table data-tests><thead><tr><th>exercise</th><th>test</th>\
         <th class=\"num\">not passed</th><th class=\"num\">failed</th><th class=\"num\">flaky</th>\
         <th class=\"num\">timed out</th><th class=\"num\">of</th></tr></thead><tbody>"
    );
    for test in &stats.tests {
        let _ = writeln!(
            body,
            "<tr data-test=\"{}\"><td>{}</td><td><code>{}</code></td><td class=\"num\" data-not-passed>{}</td>\
             <td class=\"num\" data-failed>{}</td><td class=\"num\" data-flaky>{}</td><td class=\"num\" \
             data-timed-out>{}</td><td class=\"num\">{}</td></tr>",
            escape(&format!("{} {}", test.exercise, test.name)),
            escape(&test.exercise),
            escape(&test.name),
            test.not_passed(),
            test.failed,
            test.flaky,
            test.timed_out,
            test.graded
        );
    }
    let _ = writeln!(body, "</tbody></table>");
    let with_messages: Vec<_> = stats.tests.iter().filter(|t| !t.messages.is_empty()).collect();
    if with_messages.is_empty() {
        return;
    }
    let _ = writeln!(
        body,
        "<h2>Most common failure messages</h2><p class=\"muted\">Messages that differ only in numbers (seeds, \
         balances, rounds) are one group; the example is one student's message in full.</p>"
    );
    for test in with_messages {
        let _ = writeln!(body, "<h3>{} <code>{}</code></h3>", escape(&test.exercise), escape(&test.name));
        let _ = writeln!(
            body,
            "<table><thead><tr><th class=\"num\">submissions</th><th>message</th><th>who</th></tr></thead><tbody>"
        );
        for group in &test.messages {
            let _ = writeln!(
                body,
                "<tr><td class=\"num\">{}</td><td><pre>{}</pre></td><td>{}</td></tr>",
                group.submissions.len(),
                escape(&group.example),
                escape(&who(&group.submissions))
            );
        }
        let _ = writeln!(body, "</tbody></table>");
    }
}

fn submissions_section(body: &mut String, rows: &[&Row], stems: &[Option<String>], stats: &ClassStats) {
    let roster = rows.iter().any(|r| r.student.is_some());
    let _ = write!(body, "<h2>Every submission</h2><table data-submissions><thead><tr><th>submission</th>");
    if roster {
        let _ = write!(body, "<th>student</th><th>id</th><th>section</th>");
    }
    let _ = write!(body, "<th>status</th><th class=\"num\">total</th>");
    for exercise in &stats.exercises {
        let _ = write!(body, "<th class=\"num\">{}</th>", escape(&exercise.id));
    }
    let _ = writeln!(body, "<th>flags</th><th class=\"num\">ignored changes</th></tr></thead><tbody>");
    for (row, stem) in rows.iter().zip(stems) {
        let _ = write!(
            body,
            "<tr data-submission=\"{}\"><td>{}</td>",
            escape(&row.submission),
            link(&row.submission, stem.as_deref())
        );
        if roster {
            let student = row.student.as_ref();
            let field = |get: fn(&crate::roster::Student) -> &String| escape(student.map(get).map_or("", |s| s));
            let _ = write!(
                body,
                "<td>{}</td><td>{}</td><td>{}</td>",
                field(|s| &s.name),
                field(|s| &s.id),
                field(|s| &s.section)
            );
        }
        let _ = write!(body, "<td class=\"{0}\">{0}</td>", escape(&row.status));
        let card = row.scorecard.as_ref().filter(|c| c.is_trusted());
        let _ = write!(body, "<td class=\"num\" data-total>{}</td>", card.map(|c| points(c.score)).unwrap_or_default());
        for exercise in &stats.exercises {
            let score = card.and_then(|c| c.exercises.iter().find(|e| e.id == exercise.id)).map(|e| points(e.score));
            let _ = write!(body, "<td class=\"num\">{}</td>", score.unwrap_or_default());
        }
        let mut flags = Vec::new();
        if let Some(card) = &row.scorecard {
            if card.tampered_files.as_ref().is_some_and(|f| !f.is_empty()) {
                flags.push("<b class=\"failed\">tampered</b>".to_string());
            }
            if !card.review_flags.is_empty() {
                flags.push(format!("<span class=\"flaky\">{} review</span>", card.review_flags.len()));
            }
        }
        let ignored = row.scorecard.as_ref().map(|c| c.ignored_changes.len().to_string()).unwrap_or_default();
        let _ = writeln!(body, "<td>{}</td><td class=\"num\">{ignored}</td></tr>", flags.join(" "));
    }
    let _ = writeln!(body, "</tbody></table>");
}

/// The first names of a message group, and how many more: a bug that half
/// of a class of 200 has must not fill the page with names.
fn who(submissions: &[String]) -> String {
    const NAMES: usize = 12;
    let mut text = submissions.iter().take(NAMES).cloned().collect::<Vec<_>>().join(", ");
    if submissions.len() > NAMES {
        text.push_str(&format!(" and {} more", submissions.len() - NAMES));
    }
    text
}

/// The submission's name, linking to its page when it has one.
fn link(name: &str, stem: Option<&str>) -> String {
    match stem {
        Some(stem) => format!("<a href=\"{}\">{}</a>", escape(&href(&format!("{stem}.html"))), escape(name)),
        None => escape(name),
    }
}

/// A histogram of `scores` over `0..=max` as a figure: a title, the SVG
/// chart (labelled for screen readers) and the same numbers in words.
fn histogram_figure(title: &str, scores: &[f64], max: f64) -> String {
    let counts = histogram(scores, max, BINS);
    let bins: Vec<(f64, f64, usize)> = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| (max * i as f64 / BINS as f64, max * (i + 1) as f64 / BINS as f64, count))
        .collect();
    let alt = format!(
        "{title}: {} gradings. {}",
        scores.len(),
        bins.iter()
            .filter(|(_, _, count)| *count > 0)
            .map(|(low, high, count)| format!("{count} scored {}–{}", points(*low), points(*high)))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let svg = histogram_svg(title, &bins, max)
        .unwrap_or_else(|e| format!("<p>(the chart could not be drawn: {})</p>", escape(&e)));
    // plotters writes `<svg width=...`; the role and label make it one image
    // with a text alternative for screen readers.
    let svg = svg.replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{}\" ", escape(&alt)), 1);
    format!(
        "<figure data-chart>\n<figcaption>{}</figcaption>\n{svg}\n<p class=\"alt\">{}</p>\n</figure>\n",
        escape(title),
        escape(&alt)
    )
}

fn histogram_svg(title: &str, bins: &[(f64, f64, usize)], max: f64) -> std::result::Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (440, 240)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let top = bins.iter().map(|b| b.2).max().unwrap_or(0).max(1);
        let x_max = if max > 0.0 { max } else { 1.0 };
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(34)
            .y_label_area_size(36)
            .build_cartesian_2d(0.0..x_max, 0usize..top + 1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("points")
            .y_desc("gradings")
            .x_labels(6)
            .y_labels((top + 2).min(8))
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(bins.iter().map(|&(low, high, count)| {
                Rectangle::new([(low, 0), (high, count)], RGBColor(9, 105, 218).mix(0.8).filled())
            }))
            .map_err(|e| e.to_string())?
            .label(title);
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorecard::Scorecard;

    fn card(score: f64, status: &str, message: Option<&str>, infrastructure: Option<&str>) -> Scorecard {
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "score": score, "max_score": 20.0, "grader_version": "t",
            "submission": "x", "duration_secs": 0.0, "grader_peak_rss_mib": 0.0, "ignored_changes": [],
            "infrastructure_error": infrastructure, "tampered_files": [], "review_flags": [],
            "exercises": [{ "id": "exercise-1", "title": "Race", "score": score, "max_score": 20.0,
                "status": "failed", "message": null, "tests": [{ "name": "races", "status": status, "runs": 2,
                "passed_runs": 0, "points": 0.0, "max_points": 10.0, "message": message, "target": "stress",
                "group": "stress", "stress": true, "failing_seed": 7, "replay": "STRESS_SEED=7 cargo test" }] }]
        }))
        .unwrap()
    }

    /// An untrusted grading is listed apart with its reason and counts in
    /// no score and no failure; a grading that never produced a scorecard
    /// too; a missing student is no submission.
    #[test]
    fn untrusted_gradings_are_listed_apart_and_counted_nowhere_else() {
        let rows = [
            Row::graded("ada".into(), card(10.0, "failed", Some("lost update of 17"), None)),
            Row::graded("bob".into(), card(0.0, "timed_out", Some("lost update of 99"), Some("starved machine"))),
            Row::failed("cy".into(), "could not stage: disk full".into()),
            Row::missing(crate::roster::Student {
                github: "dee".into(),
                id: "4".into(),
                name: "Dee".into(),
                section: "B".into(),
                canvas_id: String::new(),
                sis_login_id: String::new(),
            }),
        ];
        let refs: Vec<&Row> = rows.iter().collect();
        let page = dashboard(&refs, &page_stems(&refs));
        assert!(page.contains("<b data-class-size>3</b>"), "three folders");
        assert!(page.contains("<b data-graded>1</b>") && page.contains("<b data-missing>1</b>"));
        assert!(page.contains("<b data-untrusted>2</b>"));
        assert!(page.contains("<td>bob</td><td>starved machine</td>") && page.contains("disk full"));
        // Only ada's failure counts: one failed, no timeout from bob.
        assert!(page.contains("<td class=\"num\" data-failed>1</td>"), "{page}");
        assert!(page.contains("<td class=\"num\" data-timed-out>0</td>"), "{page}");
        // bob's row links to his page but shows no total; ada's has hers.
        assert!(page.contains("<tr data-submission=\"bob\"><td><a href=\"./bob.html\">bob</a></td>"));
        assert!(page.contains("<td class=\"num\" data-total>10</td>"));
        assert_eq!(page.matches("data-total></td>").count(), 3, "bob, cy and dee have no total");
    }

    #[test]
    fn a_submission_called_index_does_not_overwrite_the_dashboard() {
        let card = || Some(card(0.0, "passed", None, None));
        let rows: Vec<Row> = ["INDEX", "index-submission", "ada"]
            .iter()
            .map(|name| Row { scorecard: card(), ..Row::failed(name.to_string(), String::new()) })
            .collect();
        let refs: Vec<&Row> = rows.iter().collect();
        let stems = page_stems(&refs);
        assert_eq!(stems[0].as_deref(), Some("INDEX-submission2"));
        assert_eq!(stems[1].as_deref(), Some("index-submission"));
        assert_eq!(stems[2].as_deref(), Some("ada"));
    }
}
