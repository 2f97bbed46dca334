//! A running `zhsearch serve`, and HTTP calls to it, for tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::TestDir;

/// `zhsearch serve` started in a test folder on a free loopback port; killed
/// when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    pub port: u16,
    log: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

/// An answer: its status, headers and body.
pub struct Reply {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `code` of a JSON error answer, after checking its shape.
    pub fn error_code(&self) -> String {
        let json = self.json();
        let error = &json["error"];
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "no message: {}",
            self.body
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/json"),
            "{}",
            self.body
        );
        error["code"].as_str().expect("a code").to_string()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

impl Server {
    /// Starts `zhsearch serve --addr 127.0.0.1:0 ARGS…` in `dir` (without
    /// that `--addr` when ARGS have one) and waits until it listens.
    pub fn start(dir: &TestDir, args: &[&str]) -> Server {
        Self::start_with_env(dir, args, &[])
    }

    pub fn start_with_env(dir: &TestDir, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zhsearch"));
        command
            .current_dir(dir.path())
            .arg("serve")
            .args(args)
            .env_remove("ZHSEARCH_ADMIN_KEY")
            .env_remove("ZHSEARCH_SEARCH_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if !args.contains(&"--addr") {
            command.args(["--addr", "127.0.0.1:0"]);
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start zhsearch serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (found, listening) = std::sync::mpsc::channel();
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("zhsearch: listening on http://") {
                    let addr = rest.split('/').next().unwrap_or_default().to_string();
                    let _ = found.send(addr);
                }
                let mut log = kept.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = match listening.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "zhsearch serve did not say where it listens: {}",
                    log.lock().unwrap()
                );
            }
        };
        let port = addr.rsplit(':').next().unwrap().parse().expect("a port");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Server {
            child,
            url: format!("http://{addr}"),
            port,
            log,
            agent,
        }
    }

    /// What the server said on stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log has `needle` `times` times; false after `limit`.
    pub fn wait_for_log(&self, needle: &str, times: usize, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.log().matches(needle).count() >= times {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    pub fn get(&self, path: &str) -> Reply {
        self.get_with(path, &[])
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.agent.get(format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.call())
    }

    pub fn post(&self, path: &str, body: &str) -> Reply {
        self.post_with(path, body, &[])
    }

    pub fn post_with(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.agent.post(format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send(body.as_bytes()))
    }

    /// Any method, for the 405 answers.
    pub fn request(&self, method: &str, path: &str) -> Reply {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.url))
            .body(())
            .unwrap();
        reply(self.agent.run(request))
    }

    /// `GET /search` for `query` (URL-encoded here) with `more` parameters.
    pub fn search(&self, query: &str, more: &str) -> Reply {
        let q: String = url_encode(query);
        self.get(&format!("/search?q={q}{more}"))
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`TERM`, `INT`) and waits for the server to exit: how
    /// it exited, and all it said.
    pub fn stop(mut self, signal: &str) -> (ExitStatus, String) {
        let pid = self.pid().to_string();
        Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("kill -TERM");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                // The reader thread ends with the pipe.
                std::thread::sleep(Duration::from_millis(100));
                return (status, self.log());
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the server did not stop on SIG{signal}: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn reply(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = result.expect("an HTTP answer");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .expect("a UTF-8 body");
    Reply {
        status,
        headers,
        body,
    }
}

/// Percent-encodes `text` for a query string.
pub fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
