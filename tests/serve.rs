//! `zhsearch serve`: the real binary on a free port, called as a program
//! would call it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::util::TestDir;
use crate::util::server::{Server, url_encode};

/// Seed queries a person types, as in the relevance tests.
const SEED_QUERIES: [&str; 5] = [
    "eSIM 在线销户",
    "注销 -营业厅",
    "\"在线注销\"",
    "怎么注销日本流量卡？",
    "docomo",
];

/// The answer without what differs from run to run (`took_ms`) and the
/// server's addition (`offset`).
fn comparable(mut answer: Value) -> Value {
    let object = answer.as_object_mut().expect("an object");
    object.remove("took_ms");
    object.remove("offset");
    answer
}

fn cli_json(dir: &TestDir, args: &[&str]) -> Value {
    let out = dir
        .zhsearch()
        .args(["search", "--json"])
        .args(args)
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).expect("JSON")
}

fn seed_server(args: &[&str]) -> (TestDir, Server) {
    let dir = TestDir::with_seed_corpus();
    dir.index();
    let server = Server::start(&dir, args);
    (dir, server)
}

#[test]
fn search_answers_with_the_object_search_json_prints() {
    let (dir, server) = seed_server(&[]);
    for query in SEED_QUERIES {
        let cli = cli_json(&dir, &[query]);
        let got = server.search(query, "");
        assert_eq!(got.status, 200, "{query}: {}", got.body);
        let answer = got.json();
        assert_eq!(answer["offset"], 0, "{query}");
        assert!(answer["took_ms"].as_f64().is_some(), "{query}");
        assert_eq!(comparable(answer), cli, "GET {query}");
        let posted = server.post("/search", &json!({ "q": query }).to_string());
        assert_eq!(comparable(posted.json()), cli, "POST {query}");
    }
    // The options of `search` by the same names.
    let cli = cli_json(
        &dir,
        &[
            "--explain",
            "-n",
            "3",
            "--snippet-chars",
            "40",
            "eSIM 在线销户",
        ],
    );
    let got = server.search("eSIM 在线销户", "&explain=true&limit=3&snippet_chars=40");
    assert_eq!(comparable(got.json()), cli);
    assert!(cli["hits"][0]["explain"]["parts"].is_array());
    // Strictly the documented fields, and the same type the tests read.
    let _: crate::util::Results = serde_json::from_str(&got.body).expect("the wire type");
}

#[test]
fn offset_pages_through_the_same_ranking() {
    let (_dir, server) = seed_server(&[]);
    let whole = server.search("注销", "&limit=9").json();
    let page = server.search("注销", "&limit=3&offset=3").json();
    assert_eq!(page["offset"], 3);
    assert_eq!(page["total"], whole["total"]);
    let ranks: Vec<&Value> = page["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| &h["rank"])
        .collect();
    assert_eq!(ranks, [4, 5, 6]);
    assert_eq!(
        page["hits"].as_array().unwrap()[..],
        whole["hits"].as_array().unwrap()[3..6]
    );
}

#[test]
fn multi_search_answers_in_order_as_batch_does() {
    let (dir, server) = seed_server(&[]);
    let queries = ["eSIM 在线销户", "？！。", "docomo"];
    dir.create("queries.txt", queries.join("\n") + "\n");
    let out = dir
        .zhsearch()
        .args(["search", "--batch", "queries.txt"])
        .assert()
        .success();
    let batch: Vec<Value> = String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let body = json!({ "queries": queries.iter().map(|q| json!({ "q": q })).collect::<Vec<_>>() });
    let got = server.post("/multi-search", &body.to_string());
    assert_eq!(got.status, 200, "{}", got.body);
    let results = got.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 3);
    for (answer, expected) in results.into_iter().zip(batch) {
        assert_eq!(comparable(answer), expected);
    }
}

#[test]
fn bad_requests_get_a_json_error_with_a_code_and_one_sentence() {
    let (_dir, server) = seed_server(&[]);
    let long = url_encode(&"注销".repeat(600));
    let too_many = json!({ "queries": vec![json!({ "q": "注销" }); 101] }).to_string();
    let huge = format!("{{\"q\": \"{}\"}}", "a".repeat(1_100_000));
    let cases: Vec<(&str, crate::util::server::Reply, u16, &str)> = vec![
        (
            "empty",
            server.get("/search?q="),
            400,
            "no_searchable_words",
        ),
        (
            "punctuation",
            server.search("，。？！", ""),
            400,
            "no_searchable_words",
        ),
        (
            "no q",
            server.get("/search?limit=3"),
            400,
            "invalid_request",
        ),
        (
            "limit word",
            server.get("/search?q=a&limit=ten"),
            400,
            "invalid_request",
        ),
        (
            "unknown param",
            server.get("/search?q=a&top=3"),
            400,
            "invalid_request",
        ),
        (
            "limit 0",
            server.get("/search?q=a&limit=0"),
            400,
            "limit_out_of_range",
        ),
        (
            "limit 1001",
            server.get("/search?q=a&limit=1001"),
            400,
            "limit_out_of_range",
        ),
        (
            "deep page",
            server.get("/search?q=a&limit=10&offset=991"),
            400,
            "window_too_large",
        ),
        (
            "snippet",
            server.get("/search?q=a&snippet_chars=3"),
            400,
            "snippet_chars_out_of_range",
        ),
        (
            "long query",
            server.get(&format!("/search?q={long}")),
            400,
            "query_too_long",
        ),
        (
            "malformed",
            server.post("/search", "{\"q\": "),
            400,
            "malformed_json",
        ),
        (
            "not an object",
            server.post("/search", "[1, 2]"),
            400,
            "invalid_request",
        ),
        (
            "unknown field",
            server.post("/search", r#"{"q":"a","top":3}"#),
            400,
            "unknown_field",
        ),
        (
            "wrong type",
            server.post("/search", r#"{"q":"a","limit":"3"}"#),
            400,
            "invalid_request",
        ),
        (
            "too large",
            server.post("/search", &huge),
            413,
            "body_too_large",
        ),
        (
            "too many",
            server.post("/multi-search", &too_many),
            400,
            "too_many_queries",
        ),
        (
            "one bad of many",
            server.post(
                "/multi-search",
                r#"{"queries":[{"q":"a"},{"q":"b","limit":5000}]}"#,
            ),
            400,
            "limit_out_of_range",
        ),
        ("no route", server.get("/nope"), 404, "not_found"),
        (
            "no file access",
            server.get("/../corpus/000_faa1a318271c8744.txt"),
            404,
            "not_found",
        ),
        (
            "wrong method",
            server.request("DELETE", "/search"),
            405,
            "method_not_allowed",
        ),
        ("get index", server.get("/index"), 405, "method_not_allowed"),
        (
            "indexing off",
            server.post("/index", ""),
            403,
            "indexing_disabled",
        ),
    ];
    for (what, reply, status, code) in cases {
        assert_eq!(reply.status, status, "{what}: {}", reply.body);
        assert_eq!(reply.error_code(), code, "{what}");
    }
    // One bad query of a batch names which one.
    let reply = server.post(
        "/multi-search",
        r#"{"queries":[{"q":"a"},{"q":"b","limit":5000}]}"#,
    );
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("query 2: ")
    );
    // Still serving, and counting what it refused.
    assert_eq!(server.get("/health").status, 200);
    let stats = server.get("/stats").json();
    assert!(
        stats["requests"]["client_errors"].as_u64().unwrap() >= 20,
        "{stats}"
    );
    assert_eq!(stats["requests"]["server_errors"], 0, "{stats}");
}

#[test]
fn keys_guard_searching_and_indexing() {
    let dir = TestDir::with_seed_corpus();
    dir.index();
    let server = Server::start_with_env(
        &dir,
        &["--search-key", "s3cret"],
        &[("ZHSEARCH_ADMIN_KEY", "adm1n")],
    );
    let missing = server.get("/search?q=eSIM");
    assert_eq!(missing.status, 401);
    assert_eq!(missing.error_code(), "missing_key");
    assert_eq!(
        missing.header("www-authenticate").as_deref(),
        Some("Bearer")
    );
    let bearer = |key: &str| format!("Bearer {key}");
    let wrong = server.get_with("/search?q=eSIM", &[("Authorization", &bearer("s3cres"))]);
    assert_eq!(
        (wrong.status, wrong.error_code().as_str()),
        (403, "wrong_key")
    );
    for key in ["s3cret", "adm1n"] {
        let right = server.get_with("/search?q=eSIM", &[("Authorization", &bearer(key))]);
        assert_eq!(right.status, 200, "{key}: {}", right.body);
    }
    assert_eq!(server.get("/stats").status, 401);
    assert_eq!(server.get("/health").status, 200);
    assert_eq!(server.get("/").status, 200);
    let as_searcher = server.post_with("/index", "", &[("Authorization", &bearer("s3cret"))]);
    assert_eq!(
        (as_searcher.status, as_searcher.error_code().as_str()),
        (403, "wrong_key")
    );
    let as_admin = server.post_with("/index", "", &[("Authorization", &bearer("adm1n"))]);
    assert_eq!(as_admin.status, 200, "{}", as_admin.body);
    // The keys are never printed.
    assert!(!server.log().contains("s3cret") && !server.log().contains("adm1n"));
}

#[test]
fn a_loopback_server_answers_loopback_host_names_only() {
    let (_dir, server) = seed_server(&[]);
    let port = server.port;
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let reply = server.get_with("/health", &[("Host", &host)]);
        assert_eq!(reply.status, 200, "{host}");
    }
    for host in [
        format!("evil.example:{port}"),
        "localhost.evil.example".to_string(),
    ] {
        let reply = server.get_with("/search?q=eSIM", &[("Host", &host)]);
        assert_eq!(reply.status, 403, "{host}");
        assert_eq!(reply.error_code(), "host_not_allowed");
    }
}

#[test]
fn cors_is_off_unless_an_origin_is_given() {
    let origin = [("Origin", "https://app.example")];
    let (_dir, closed) = seed_server(&[]);
    let reply = closed.get_with("/search?q=eSIM", &origin);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    drop(closed);
    let (_dir, open) = seed_server(&["--cors", "https://app.example"]);
    let reply = open.get_with("/search?q=eSIM", &origin);
    assert_eq!(
        reply.header("access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    let other = open.get_with("/search?q=eSIM", &[("Origin", "https://other.example")]);
    assert_eq!(other.header("access-control-allow-origin"), None);
}

#[test]
fn a_commit_from_another_process_is_served_without_a_restart() {
    let (dir, server) = seed_server(&[]);
    assert_eq!(server.search("量子纠缠", "").json()["total"], 0);
    dir.create("corpus/new.md", "# 新文章\n\n量子纠缠卡的注销办法。\n");
    dir.index();
    assert!(
        server.wait_for_log(
            "now serving the index's newest commit",
            1,
            Duration::from_secs(20)
        ),
        "{}",
        server.log()
    );
    let found = server.search("量子纠缠", "").json();
    assert_eq!(found["hits"][0]["path"], "new.md", "{found}");
    let stats = server.get("/stats").json();
    assert_eq!(stats["articles"], 6);
    assert_eq!(stats["reloads"], 1);
    assert_eq!(stats["stale"], false);
}

#[test]
fn post_index_updates_now_and_answers_with_the_summary() {
    let (dir, server) = seed_server(&["--admin-key", "k"]);
    dir.create("corpus/new.md", "# 新文章\n\n量子纠缠卡的注销办法。\n");
    assert_eq!(server.get("/stats").json()["stale"], true);
    let reply = server.post_with("/index", "", &[("Authorization", "Bearer k")]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let update = reply.json();
    assert_eq!(update["added"], 1);
    assert_eq!(update["unchanged"], 5);
    assert_eq!(update["reload"], "reloaded");
    let summary = update["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Updated 'index' from 'corpus': 1 added"),
        "{summary}"
    );
    // Served at once: the update moved the server to its commit.
    let found = server.search("量子纠缠", "").json();
    assert_eq!(found["hits"][0]["path"], "new.md", "{found}");
    // The server writes the line as it answers; the harness reads it a moment later.
    assert!(
        server.wait_for_log("zhsearch: Updated 'index'", 1, Duration::from_secs(10)),
        "{}",
        server.log()
    );
}

#[test]
fn watch_follows_the_corpus_with_one_update_per_burst() {
    let (dir, server) = seed_server(&["--watch"]);
    assert!(
        server.log().contains("watching 'corpus'"),
        "{}",
        server.log()
    );
    for i in 0..200 {
        dir.create(
            &format!("corpus/burst/{i:03}.md"),
            format!("# 第{i}篇\n\n爆发测试词汇{i:03}号：量子纠缠卡。\n"),
        );
    }
    let long = Duration::from_secs(30);
    assert!(
        server.wait_for_log("200 added", 1, long),
        "{}",
        server.log()
    );
    let found = server.search("量子纠缠", "&limit=1000").json();
    assert_eq!(found["total"], 200, "{found}");
    // The burst was one update (waiting past the quiet time for a second).
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        server.log().matches("zhsearch: Updated").count(),
        1,
        "{}",
        server.log()
    );
    // Edited, renamed, deleted.
    dir.create("corpus/burst/000.md", "# 改过\n\n编辑之后的独角兽词汇。\n");
    assert!(
        server.wait_for_log("1 updated", 1, long),
        "{}",
        server.log()
    );
    assert_eq!(
        server.search("独角兽", "").json()["hits"][0]["path"],
        "burst/000.md"
    );
    std::fs::rename(
        dir.path().join("corpus/burst/000.md"),
        dir.path().join("corpus/moved.md"),
    )
    .unwrap();
    assert!(
        server.wait_for_log("1 added, 0 updated, 1 removed", 1, long),
        "{}",
        server.log()
    );
    assert_eq!(
        server.search("独角兽", "").json()["hits"][0]["path"],
        "moved.md"
    );
    std::fs::remove_file(dir.path().join("corpus/moved.md")).unwrap();
    assert!(
        server.wait_for_log("0 added, 0 updated, 1 removed", 1, long),
        "{}",
        server.log()
    );
    assert_eq!(server.search("独角兽", "").json()["total"], 0);
}

#[test]
fn a_rebuild_with_another_dictionary_swaps_the_engine() {
    let (dir, server) = seed_server(&[]);
    let before = server.get("/stats").json();
    // A user dictionary in the corpus: the next `zhsearch index` rebuilds
    // with it, and the server must analyze queries with it too.
    dir.create("corpus/.zhsearch/dict.txt", "流量卡销户 100000\n");
    dir.index();
    assert!(
        server.wait_for_log("with a new engine", 1, Duration::from_secs(20)),
        "{}",
        server.log()
    );
    let after = server.get("/stats").json();
    assert_ne!(after["dictionary"], before["dictionary"]);
    assert_eq!(after["engine_swaps"], 1);
    let cli = cli_json(&dir, &["--explain", "流量卡销户"]);
    let served = server.search("流量卡销户", "&explain=true").json();
    assert_eq!(comparable(served), cli);
}

#[test]
fn a_damaged_index_answers_503_with_the_rebuild_hint() {
    let (dir, server) = seed_server(&[]);
    // Garbage over the stored passages, in place (the server has them mapped).
    for entry in std::fs::read_dir(dir.path().join("index")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "passages") {
            let len = std::fs::metadata(&path).unwrap().len() as usize;
            std::fs::write(&path, vec![0x5a; len]).unwrap();
        }
    }
    let reply = server.search("eSIM 在线销户", "");
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.error_code(), "index_unavailable");
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("zhsearch index --rebuild"), "{message}");
    assert_eq!(reply.header("retry-after").as_deref(), Some("1"));
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

#[test]
fn a_search_past_its_time_limit_answers_503_and_frees_its_thread() {
    let (_dir, server) = seed_server(&["--timeout-ms", "1"]);
    // A hundred long questions cannot be answered in a millisecond.
    let question = "日本的eSIM卡和流量卡怎么在线注销销户，需要去营业厅吗？".repeat(5);
    let body = json!({ "queries": vec![json!({ "q": question, "limit": 50 }); 100] });
    let reply = server.post("/multi-search", &body.to_string());
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.error_code(), "timed_out");
    let stats = server.get("/stats").json();
    assert_eq!(stats["requests"]["timed_out"], 1, "{stats}");
    assert_eq!(stats["requests"]["waiting"], 0, "{stats}");
}

#[test]
fn sigterm_and_sigint_finish_requests_in_flight_then_exit_zero() {
    for signal in ["TERM", "INT"] {
        stops_on(signal);
    }
}

fn stops_on(signal: &str) {
    let (_dir, server) = seed_server(&[]);
    let question = "日本的eSIM卡和流量卡怎么在线注销销户，需要去营业厅吗？";
    let body = json!({ "queries": vec![json!({ "q": question, "limit": 100 }); 100] }).to_string();
    let url = format!("{}/multi-search", server.url);
    let in_flight = std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut reply = agent.post(&url).send(body.as_bytes()).expect("an answer");
        (
            reply.status().as_u16(),
            reply.body_mut().read_to_string().unwrap(),
        )
    });
    std::thread::sleep(Duration::from_millis(30));
    let (status, log) = server.stop(signal);
    assert!(status.success(), "{status:?}: {log}");
    let (code, body) = in_flight.join().unwrap();
    assert_eq!(code, 200, "{body}");
    assert!(
        log.contains("stopping: answering the requests in flight first"),
        "{log}"
    );
}

#[test]
fn garbage_and_hung_up_connections_leave_the_server_serving() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    let (_dir, server) = seed_server(&[]);
    let addr = format!("127.0.0.1:{}", server.port);
    // Not HTTP at all.
    let mut raw = TcpStream::connect(&addr).unwrap();
    raw.write_all(b"\x00\x01\x02 hello \xff\xfe\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = raw.read_to_end(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 400"),
        "{answer:?}"
    );
    // A search whose client hangs up before the answer, many times.
    let question = "日本的eSIM卡和流量卡怎么在线注销销户，需要去营业厅吗？";
    let body = json!({ "queries": vec![json!({ "q": question, "limit": 100 }); 50] }).to_string();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(&addr).unwrap();
        write!(
            stream,
            "POST /multi-search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        drop(stream);
    }
    // A body shorter than it said, then a hang-up.
    let mut short = TcpStream::connect(&addr).unwrap();
    short
        .write_all(
            b"POST /search HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{\"q\":",
        )
        .unwrap();
    drop(short);
    let reply = server.search("eSIM 在线销户", "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let start = std::time::Instant::now();
    loop {
        let stats = server.get("/stats").json();
        if stats["requests"]["waiting"] == 0 || start.elapsed() > Duration::from_secs(30) {
            assert_eq!(stats["requests"]["waiting"], 0, "{stats}");
            assert_eq!(stats["requests"]["server_errors"], 0, "{stats}");
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

#[test]
fn concurrent_requests_get_the_answers_one_at_a_time_gets() {
    let (_dir, server) = seed_server(&[]);
    let expected: Vec<Value> = SEED_QUERIES
        .iter()
        .map(|q| comparable(server.search(q, "").json()))
        .collect();
    let server = std::sync::Arc::new(server);
    let workers: Vec<_> = (0..16)
        .map(|worker| {
            let server = server.clone();
            let expected = expected.clone();
            std::thread::spawn(move || {
                for i in 0..20 {
                    let which = (worker + i) % SEED_QUERIES.len();
                    let reply = server.search(SEED_QUERIES[which], "");
                    assert_eq!(reply.status, 200, "{}", reply.body);
                    assert_eq!(comparable(reply.json()), expected[which]);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
}

#[test]
fn past_the_queue_requests_are_refused_with_503_and_retry_after() {
    let (_dir, server) = seed_server(&["--threads", "1", "--queue", "0", "--timeout-ms", "600000"]);
    // One search thread, kept busy by a slow request: a hundred long
    // questions, a thousand hits each, explained.
    let question = "日本的eSIM卡和流量卡怎么在线注销销户，需要去营业厅吗？".repeat(3);
    let query = json!({ "q": question, "limit": 1000, "explain": true });
    let body = json!({ "queries": vec![query; 100] }).to_string();
    let url = format!("{}/multi-search", server.url);
    let slow = std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        agent
            .post(&url)
            .send(body.as_bytes())
            .expect("an answer")
            .status()
            .as_u16()
    });
    std::thread::sleep(Duration::from_millis(300));
    let refused = server.search("eSIM", "");
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.error_code(), "busy");
    assert_eq!(refused.header("retry-after").as_deref(), Some("1"));
    assert_eq!(slow.join().unwrap(), 200);
    assert_eq!(server.search("eSIM", "").status, 200);
    let stats = server.get("/stats").json();
    assert!(stats["requests"]["busy"].as_u64().unwrap() >= 1, "{stats}");
}

#[test]
fn searches_during_commits_see_one_whole_commit_or_the_next() {
    let (dir, server) = seed_server(&[]);
    let server = std::sync::Arc::new(server);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let searchers: Vec<_> = (0..3)
        .map(|_| {
            let (server, done) = (server.clone(), done.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    // The articles are copies: each passage counted, none folded.
                    let reply = server.search("量子纠缠", "&limit=50&collapse=false");
                    assert_eq!(reply.status, 200, "{}", reply.body);
                    let answer = reply.json();
                    let total = answer["total"].as_u64().unwrap();
                    // Every passage of a commit or none: each article has two.
                    assert_eq!(total % 2, 0, "half an article: {answer}");
                    assert_eq!(answer["hits"].as_array().unwrap().len() as u64, total);
                    seen.push(total);
                }
                seen
            })
        })
        .collect();
    let base = server.get("/stats").json()["passages"].as_u64().unwrap();
    for i in 1..=3 {
        dir.create(
            &format!("corpus/new{i}.md"),
            format!(
                "# 新文章{i}\n\n量子纠缠卡的注销办法{i}。\n\n## 又一段\n\n量子纠缠卡的销户{i}。\n"
            ),
        );
        dir.index();
        let want = base + 2 * i;
        let start = std::time::Instant::now();
        while server.get("/stats").json()["passages"] != want {
            assert!(start.elapsed() < Duration::from_secs(20), "no commit {i}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for searcher in searchers {
        let seen = searcher.join().unwrap();
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "went back: {seen:?}");
    }
    assert_eq!(server.search("量子纠缠", "").json()["total"], 6);
}

#[test]
fn every_network_without_a_search_key_is_warned_about() {
    let dir = TestDir::with_seed_corpus();
    dir.index();
    let open = Server::start(&dir, &["--addr", "0.0.0.0:0"]);
    // The warning may come after the line the start waits for.
    let warned = open.wait_for_log("Give a --search-key", 1, Duration::from_secs(10));
    let log = open.log();
    assert!(warned && log.contains("warning: 0.0.0.0:"), "{log}");
    assert!(
        log.contains("Give a --search-key, or listen on 127.0.0.1."),
        "{log}"
    );
    // Not on loopback: other host names are this server's to answer.
    let reply = open.get_with("/health", &[("Host", "search.example")]);
    assert_eq!(reply.status, 200);
    drop(open);
    let keyed = Server::start(&dir, &["--addr", "0.0.0.0:0", "--search-key", "k"]);
    assert!(!keyed.log().contains("warning"), "{}", keyed.log());
    let named = Server::start(&dir, &["--addr", "localhost:0"]);
    assert!(named.url.starts_with("http://127.0.0.1:"), "{}", named.url);
    let err = dir
        .zhsearch()
        .args(["serve", "--addr", "7700"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&err.get_output().stderr).into_owned();
    assert!(
        stderr.contains("give HOST:PORT, like 127.0.0.1:7700"),
        "{stderr}"
    );
}

#[test]
fn watch_ignores_an_index_kept_inside_the_corpus() {
    let dir = TestDir::with_seed_corpus();
    let server = Server::start(
        &dir,
        &["--watch", "--corpus", "corpus", "--index", "corpus/.index"],
    );
    dir.create("corpus/new.md", "# 新文章\n\n量子纠缠卡的注销办法。\n");
    assert!(
        server.wait_for_log("zhsearch: Updated", 1, Duration::from_secs(30)),
        "{}",
        server.log()
    );
    // Its own commit is not a change of the corpus: no update follows.
    std::thread::sleep(Duration::from_secs(2));
    let log = server.log();
    assert_eq!(log.matches("zhsearch: Updated").count(), 1, "{log}");
    assert_eq!(log.matches("zhsearch: Checked").count(), 0, "{log}");
}

#[test]
fn search_corrects_a_variant_spelling_as_the_cli_does() {
    let (dir, server) = seed_server(&[]);
    let answer = server.search("身分证", "").json();
    assert_eq!(answer["corrected"], "身份证", "{answer}");
    let cli = dir.search_json(&["身分证"]);
    assert_eq!(answer["total"], cli.total);
    assert_eq!(answer["hits"][0]["path"], cli.hits[0].path);
    assert!(
        server
            .search("身份证", "")
            .json()
            .get("corrected")
            .is_none()
    );
}

#[test]
fn search_reads_pinyin_and_homophone_typos_as_the_cli_does() {
    let (dir, server) = seed_server(&[]);
    for (typed, corrected) in [
        ("zhuxiao", "注销"),
        ("营业听", "营业厅"),
        ("esim zhuxiao", "esim 注销"),
    ] {
        let answer = server.search(typed, "&explain=true").json();
        assert_eq!(answer["corrected"], corrected, "{answer}");
        let cli = dir.search_json(&[typed]);
        assert_eq!(answer["total"], cli.total, "{typed}");
        assert_eq!(answer["hits"][0]["path"], cli.hits[0].path, "{typed}");
        assert_eq!(answer["hits"][0]["line"], cli.hits[0].line, "{typed}");
    }
    let initials = server.search("zx", "&pinyin_initials=true").json();
    assert_eq!(initials["corrected"], "注销", "{initials}");
    assert_eq!(server.search("zx", "").json()["total"], 0);
}

/// The kernel would zero a whole 2 MB page on each first touch of memory
/// mimalloc asked huge pages for; zhsearch turns them off for itself
/// (`THP_enabled` in its `/proc` status, Linux 5.0 and later).
#[cfg(target_os = "linux")]
#[test]
fn the_server_runs_without_transparent_huge_pages() {
    let (_dir, server) = seed_server(&[]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
        .expect("the server's /proc status");
    let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:")) else {
        eprintln!("this kernel does not say whether huge pages are on");
        return;
    };
    assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
}
