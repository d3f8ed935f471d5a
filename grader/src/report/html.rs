//! What the dashboard and the feedback pages share: HTML escaping, link
//! targets, and the page shell (inline CSS, a Content-Security-Policy that
//! forbids every request, so a page never reaches the network even if a
//! string slipped through unescaped).
//!
//! Every string that comes from a scorecard may hold text printed by student
//! code; it goes through [`escape`] before it reaches a page.

/// `text` safe inside an HTML element or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters (a test may print any bytes) are shown, not
            // passed to the browser.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A relative link to the file `name` in the same folder: every byte
/// outside a small safe set is percent-encoded, so a submission called
/// `javascript:alert(1)` or `a"b` is still just a file name. A leading
/// `./` keeps a name with a colon from reading as a URL scheme.
pub fn href(name: &str) -> String {
    let mut out = String::from("./");
    for byte in name.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A whole HTML document: `title` (plain text, escaped here) and `body`
/// (HTML, already escaped by the caller).
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        escape(title)
    )
}

/// No script, no fetch, no image, no font, no frame: only the inline style.
/// The pages are plain documents (they can be emailed and opened from
/// `file://`), and a message that escaped escaping still could not run or
/// load anything.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE: &str = "\
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#1b1f24;background:#fff}\
h1{font-size:1.6rem;margin:.2rem 0 .6rem}h2{font-size:1.25rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}\
h3{font-size:1.05rem;margin:1rem 0 .3rem}\
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.92rem}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f6f8fa}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:.5rem;overflow-x:auto;white-space:pre-wrap;word-break:break-word;font-size:.85rem}\
.total{font-size:1.3rem;margin:.4rem 0 1rem}code{font-size:.88rem}.summary{display:flex;gap:1rem;flex-wrap:wrap;margin:.5rem 0 1rem}\
.summary div{border:1px solid #d0d7de;border-radius:6px;padding:.4rem .8rem;background:#f6f8fa}.summary b{display:block;font-size:1.4rem}\
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;border:1px solid #d0d7de;border-radius:6px;padding:.5rem}\
figcaption{font-weight:600;margin-bottom:.3rem}.alt{font-size:.85rem;color:#57606a;max-width:460px}\
.passed{color:#1a7f37}.failed,.timed_out,.build_failed,.infrastructure_error{color:#cf222e}.flaky,.not_run,.missing{color:#9a6700}\
.warn{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.5rem .8rem;margin:.5rem 0}\
.alarm{background:#ffebe9;border:1px solid #cf222e;border-radius:6px;padding:.5rem .8rem;margin:.5rem 0}\
.diagnosis{border-left:3px solid #8c959f;padding-left:.6rem;margin:.4rem 0}.muted{color:#57606a}\
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        let hostile = "<script>alert('x')</script><img src=x onerror=\"alert(1)\">&amp;\u{7}";
        let escaped = escape(hostile);
        for forbidden in ['<', '>', '"', '\'', '\u{7}'] {
            assert!(!escaped.contains(forbidden), "{escaped}");
        }
        assert!(escaped.starts_with("&lt;script&gt;alert(&#39;x&#39;)"), "{escaped}");
        assert!(escaped.contains("&amp;amp;"), "an entity in the text stays text: {escaped}");
    }

    #[test]
    fn links_are_relative_file_names() {
        assert_eq!(href("ada"), "./ada");
        assert_eq!(href("javascript:alert(1).html"), "./javascript%3Aalert%281%29.html");
        assert_eq!(href("a\"b c/../d"), "./a%22b%20c%2F..%2Fd");
    }
}
