//! A headless Chromium driven over the DevTools protocol, for the tests
//! that render the dashboard and the feedback pages as a browser does.
//!
//! `--remote-debugging-pipe` speaks the protocol over file descriptors 3
//! (commands in) and 4 (replies out), NUL-separated JSON: no port, no
//! websocket. A shell maps our pipes onto those descriptors, so no unsafe
//! `pre_exec` is needed.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The Chromium to use: `$CHROMIUM`, or the first of the usual names on
/// PATH. Missing: in CI (`CI` set) the test fails; elsewhere it says how to
/// install it and the caller skips.
pub fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let found = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"].iter().find_map(|name| {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    });
    if found.is_none() {
        let how = "headless Chromium is not installed: `apt-get install -y chromium` (Debian/Ubuntu), or set \
                   CHROMIUM=/path/to/chrome; .ci/run installs it";
        if std::env::var_os("CI").is_some() {
            panic!("{how}");
        }
        eprintln!("SKIPPED: {how}");
    }
    found
}

/// What one page load showed.
pub struct Visit {
    /// Every URL the page requested (the page itself included).
    pub requests: Vec<String>,
    /// Console errors, uncaught exceptions and browser log errors (a
    /// Content-Security-Policy violation is one).
    pub errors: Vec<String>,
    /// The value of the probe expression (a JSON string, parsed).
    pub probe: Value,
    /// A PNG screenshot of the viewport.
    pub screenshot: Vec<u8>,
}

pub struct Browser {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<Value>,
    next_id: u64,
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub fn start(chromium: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2"#)
            .arg(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--window-size=1200,900",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, replies) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut message = Vec::new();
            while reader.read_until(0, &mut message).is_ok_and(|n| n > 0) {
                if message.last() == Some(&0) {
                    message.pop();
                }
                if let Ok(value) = serde_json::from_slice::<Value>(&message)
                    && sender.send(value).is_err()
                {
                    return;
                }
                message.clear();
            }
        });
        Browser { child, stdin, replies, next_id: 0, events: Vec::new(), _profile: profile }
    }

    /// Sends a command and waits for its reply, keeping the events that
    /// arrive meanwhile.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.stdin.write_all(&bytes).expect("chromium reads commands");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match self.replies.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(reply) if reply["id"] == id => {
                    assert!(reply.get("error").is_none(), "{method} failed: {reply}");
                    return reply["result"].clone();
                }
                Ok(event) => self.events.push(event),
                Err(RecvTimeoutError::Timeout) => panic!("chromium did not answer {method} within 60 s"),
                Err(RecvTimeoutError::Disconnected) => panic!("chromium exited while answering {method}"),
            }
        }
    }

    fn wait_for_event(&mut self, method: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.events.iter().any(|e| e["method"] == method) {
            match self.replies.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(event) => self.events.push(event),
                Err(_) => panic!("no {method} within 60 s"),
            }
        }
    }

    /// Opens `page` in a fresh tab, waits for it to load, evaluates
    /// `probe` (an expression that returns a JSON string) and takes a
    /// screenshot.
    pub fn visit(&mut self, page: &Path, probe: &str) -> Visit {
        let target = self.call(None, "Target.createTarget", json!({ "url": "about:blank" }));
        let attached =
            self.call(None, "Target.attachToTarget", json!({ "targetId": target["targetId"], "flatten": true }));
        let session = attached["sessionId"].as_str().unwrap().to_string();
        let session = Some(session.as_str());
        for domain in ["Page.enable", "Network.enable", "Runtime.enable", "Log.enable"] {
            self.call(session, domain, json!({}));
        }
        self.events.clear();
        let url = format!("file://{}", page.display());
        self.call(session, "Page.navigate", json!({ "url": url }));
        self.wait_for_event("Page.loadEventFired");
        let probe = self.call(session, "Runtime.evaluate", json!({ "expression": probe, "returnByValue": true }));
        let probe: Value = match probe["result"]["value"].as_str() {
            Some(text) => serde_json::from_str(text).unwrap(),
            None => panic!("the probe returned no string: {probe}"),
        };
        let shot = self.call(session, "Page.captureScreenshot", json!({ "format": "png" }));
        use base64::Engine as _;
        let screenshot =
            base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().unwrap()).expect("base64 PNG");
        // Whatever arrived with the replies above is in self.events.
        let mut requests = Vec::new();
        let mut errors = Vec::new();
        for event in &self.events {
            let params = &event["params"];
            match event["method"].as_str().unwrap_or("") {
                "Network.requestWillBeSent" => requests.push(params["request"]["url"].as_str().unwrap().to_string()),
                "Runtime.consoleAPICalled" if params["type"] == "error" || params["type"] == "assert" => {
                    errors.push(params.to_string())
                }
                "Runtime.exceptionThrown" => errors.push(params.to_string()),
                "Log.entryAdded" if params["entry"]["level"] == "error" => errors.push(params["entry"].to_string()),
                _ => {}
            }
        }
        self.call(None, "Target.closeTarget", json!({ "targetId": target["targetId"] }));
        Visit { requests, errors, probe, screenshot }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Browser.close lets Chromium end its helper processes too; a kill
        // is the fallback.
        let _ = self.stdin.write_all(b"{\"id\":999999,\"method\":\"Browser.close\"}\0");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How many distinct colours a PNG has (a blank page has one).
pub fn distinct_colours(png_bytes: &[u8]) -> usize {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    let channels = info.color_type.samples();
    let colours: std::collections::HashSet<&[u8]> = pixels[..info.buffer_size()].chunks(channels).collect();
    colours.len()
}
