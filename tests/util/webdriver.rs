//! A W3C WebDriver client, just big enough for the browser test: it starts
//! `chromedriver`, opens one headless Chromium session and sends the
//! protocol's commands as plain HTTP JSON calls (ureq), so the tests need no
//! browser-automation crate.
//!
//! The protocol: <https://www.w3.org/TR/webdriver2/>. Every answer is
//! `{"value": …}`; an error answers a 4xx/5xx status with
//! `{"value": {"error": "no such element", "message": "…"}}`.

use std::fmt;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// Where Debian's `chromium` and `chromium-driver` packages put the browser
/// and its driver.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The key of a web element reference in the protocol's JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Key codes of the protocol's "send keys" command.
pub const ENTER: &str = "\u{E007}";

/// Whether the browser and its driver are installed.
pub fn browser_installed() -> bool {
    Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists()
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// What a command answered when it failed: the protocol's error code (e.g.
/// `no such element`) and message, or a transport error.
#[derive(Debug)]
pub struct WebDriverError {
    pub error: String,
    pub message: String,
}

impl fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first_line = self.message.lines().next().unwrap_or("");
        write!(f, "{}: {}", self.error, first_line)
    }
}

type Answer = Result<Value, WebDriverError>;

/// An HTTP client for one WebDriver endpoint.
struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    fn new(base: String) -> Client {
        let config = ureq::Agent::config_builder()
            // WebDriver errors are answers with a JSON body, not transport errors.
            .http_status_as_error(false)
            // chromedriver is on this machine: never ask an HTTP proxy for it.
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(60)))
            .build();
        Client {
            agent: ureq::Agent::new_with_config(config),
            base,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let url = format!("{}{path}", self.base);
        let sent = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .send_json(body.unwrap_or_else(|| json!({}))),
        };
        let response = sent.map_err(|e| WebDriverError {
            error: "transport".into(),
            message: format!("{method} {url}: {e}"),
        })?;
        let status = response.status();
        let mut body = response.into_body();
        let answer: Value = body
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_json()
            .map_err(|e| WebDriverError {
                error: "bad answer".into(),
                message: format!("{method} {url}: HTTP {status}, body not JSON: {e}"),
            })?;
        let value = answer.get("value").cloned().unwrap_or(Value::Null);
        if status.is_success() {
            Ok(value)
        } else {
            let text = |key: &str| {
                value
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            Err(WebDriverError {
                error: text("error"),
                message: format!("{method} {path}: HTTP {status}: {}", text("message")),
            })
        }
    }
}

/// A running `chromedriver`, stopped when dropped.
pub struct ChromeDriver {
    child: Child,
    client: Client,
}

impl ChromeDriver {
    /// Starts chromedriver on a free port and waits (up to 30 s) until it
    /// says it is ready.
    pub fn start() -> ChromeDriver {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let driver = ChromeDriver {
            child,
            client: Client::new(format!("http://127.0.0.1:{port}")),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = driver.client.call("GET", "/status", None);
            if let Ok(status) = &ready
                && status["ready"] == json!(true)
            {
                return driver;
            }
            if Instant::now() > deadline {
                panic!("chromedriver on port {port} was not ready after 30 s: {ready:?}");
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// A new headless Chromium session, `width`×`height` pixels.
    pub fn session(&self, width: u32, height: u32) -> Session<'_> {
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            format!("--window-size={width},{height}"),
                        ],
                    },
                },
            },
        });
        let answer = self
            .client
            .call("POST", "/session", Some(capabilities))
            .unwrap_or_else(|e| panic!("chromedriver cannot start chromium: {e}"));
        let id = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no sessionId in {answer}"))
            .to_string();
        Session {
            client: &self.client,
            path: format!("/session/{id}"),
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A reference to an element of the page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Element {
    fn json(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }

    fn from_json(value: &Value) -> Element {
        Element(
            value[ELEMENT_KEY]
                .as_str()
                .unwrap_or_else(|| panic!("not an element reference: {value}"))
                .to_string(),
        )
    }
}

/// One browser session (a window); closed when dropped.
pub struct Session<'a> {
    client: &'a Client,
    path: String,
}

impl Session<'_> {
    fn call(&self, method: &str, command: &str, body: Option<Value>) -> Answer {
        self.client
            .call(method, &format!("{}{command}", self.path), body)
    }

    fn expect(&self, method: &str, command: &str, body: Option<Value>) -> Value {
        self.call(method, command, body)
            .unwrap_or_else(|e| panic!("WebDriver {e}"))
    }

    /// Loads `url` and waits for the page to load.
    pub fn goto(&self, url: &str) {
        self.expect("POST", "/url", Some(json!({ "url": url })));
    }

    /// The first element matching the CSS selector, if any.
    pub fn find(&self, css: &str) -> Option<Element> {
        let query = json!({ "using": "css selector", "value": css });
        match self.call("POST", "/element", Some(query)) {
            Ok(value) => Some(Element::from_json(&value)),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("WebDriver {e}"),
        }
    }

    /// The first element matching the CSS selector; panics if there is none.
    pub fn get(&self, css: &str) -> Element {
        self.find(css)
            .unwrap_or_else(|| panic!("no element matches {css:?}"))
    }

    /// Every element matching the CSS selector, in document order.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let query = json!({ "using": "css selector", "value": css });
        let value = self.expect("POST", "/elements", Some(query));
        value
            .as_array()
            .map(|list| list.iter().map(Element::from_json).collect())
            .unwrap_or_default()
    }

    /// The element's rendered text, as a user sees it (whitespace collapsed).
    pub fn text(&self, element: &Element) -> String {
        let value = self.expect("GET", &format!("/element/{}/text", element.0), None);
        value.as_str().unwrap_or("").to_string()
    }

    /// The element's `textContent`: its text nodes exactly as the DOM holds them.
    pub fn text_content(&self, element: &Element) -> String {
        let value = self.execute("return arguments[0].textContent;", &[element]);
        value.as_str().unwrap_or("").to_string()
    }

    /// Types `text` into the element as key presses (see [`ENTER`]).
    pub fn send_keys(&self, element: &Element, text: &str) {
        self.expect(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        );
    }

    /// Empties an input.
    pub fn clear(&self, element: &Element) {
        self.expect("POST", &format!("/element/{}/clear", element.0), None);
    }

    /// Clicks the element (scrolled into view first).
    pub fn click(&self, element: &Element) {
        self.expect("POST", &format!("/element/{}/click", element.0), None);
    }

    /// Runs `script` (a function body; `arguments[i]` are the elements) in
    /// the page and returns what it returns.
    pub fn execute(&self, script: &str, elements: &[&Element]) -> Value {
        let args: Vec<Value> = elements.iter().map(|e| e.json()).collect();
        self.expect(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Vec<u8> {
        let value = self.expect("GET", "/screenshot", None);
        base64::engine::general_purpose::STANDARD
            .decode(value.as_str().unwrap_or(""))
            .expect("screenshot is base64")
    }

    /// Polls `probe` every 100 ms until it gives something, for up to
    /// `timeout`.
    pub fn wait_for<T>(
        &self,
        timeout: Duration,
        mut probe: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = probe() {
                return Some(found);
            }
            if Instant::now() > deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = self.client.call("DELETE", &self.path, None);
    }
}
