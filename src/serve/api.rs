//! The endpoints: requests in, the JSON of `search --json` (and of the
//! other answers) out.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::Event;
use super::auth::Keys;
use super::error::ApiError;
use super::live::{Live, Refreshed};
use super::pool::Pool;
use crate::index::{LockBusy, Wait};
use crate::output::json::{JsonResults, JsonUpdate};
use crate::search::{DEFAULT_SNIPPET_CHARS, Filters, QueryError, SearchOptions};

/// Most hits one request can ask for, and the deepest it can page: past a
/// thousand, a person has given up and a program should narrow the query
/// (Elasticsearch's `max_result_window` is 10,000 for the same reason).
pub const MAX_WINDOW: usize = 1_000;
/// Most characters of a query. The engine already ignores words past
/// [`crate::search::MAX_WORDS`]; this refuses a pasted page outright.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Most queries in one `POST /multi-search`.
pub const MAX_QUERIES: usize = 100;
/// Snippet lengths, as `search --snippet-chars` takes them.
const SNIPPET_CHARS: std::ops::RangeInclusive<usize> = 10..=5_000;

/// What every request shares.
pub struct AppState {
    pub live: Arc<Live>,
    pub pool: Pool,
    pub keys: Keys,
    /// How long a search may take, from when its request arrived.
    pub timeout: Duration,
    pub started: Instant,
    pub counts: Counts,
    pub events: super::Events,
}

/// Requests answered, for `/stats`.
#[derive(Default)]
pub struct Counts {
    pub requests: AtomicU64,
    pub searches: AtomicU64,
    pub multi_searches: AtomicU64,
    pub updates: AtomicU64,
    pub client_errors: AtomicU64,
    pub server_errors: AtomicU64,
    pub refused_busy: AtomicU64,
    pub timed_out: AtomicU64,
}

impl Counts {
    /// Counts one answered request by its status and error code.
    pub fn answered(&self, status: StatusCode, code: Option<&str>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if status.is_client_error() {
            self.client_errors.fetch_add(1, Ordering::Relaxed);
        } else if status.is_server_error() {
            self.server_errors.fetch_add(1, Ordering::Relaxed);
        }
        match code {
            Some("busy") => self.refused_busy.fetch_add(1, Ordering::Relaxed),
            Some("timed_out") => self.timed_out.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }
}

type Shared = State<Arc<AppState>>;

/// One search: the query string of `GET /search`, or the body of `POST /search`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    pub q: String,
    #[serde(default = "default_limit")]
    pub limit: usize,
    #[serde(default)]
    pub offset: usize,
    #[serde(default)]
    pub explain: bool,
    #[serde(default = "default_snippet_chars")]
    pub snippet_chars: usize,
    /// Fold near-duplicate passages into the best-ranked one (as the CLI
    /// does unless `--no-collapse`).
    #[serde(default = "default_collapse")]
    pub collapse: bool,
    /// Read consonant words as pinyin initials (as `--pinyin-initials`).
    #[serde(default)]
    pub pinyin_initials: bool,
    /// Where to search, as `search --in` (a repeated `in=` in a query string).
    #[serde(default, rename = "in")]
    pub within: Vec<String>,
}

fn default_collapse() -> bool {
    true
}

fn default_limit() -> usize {
    10
}

fn default_snippet_chars() -> usize {
    DEFAULT_SNIPPET_CHARS
}

impl SearchRequest {
    /// The request in a query string. `serde_urlencoded` reads no repeated
    /// key into a list, so the `in=` pairs are taken out first and the rest
    /// read as the body's fields are (unknown ones refused the same way).
    fn from_query_string(query: &str) -> Result<SearchRequest, ApiError> {
        let mut within = Vec::new();
        let mut rest = form_urlencoded::Serializer::new(String::new());
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if key == "in" {
                within.push(value.into_owned());
            } else {
                rest.append_pair(&key, &value);
            }
        }
        let mut request: SearchRequest =
            serde_urlencoded::from_str(&rest.finish()).map_err(|e| {
                ApiError::bad_request(
                    "invalid_request",
                    format!("the query string is not a search: {e}"),
                )
            })?;
        request.within = within;
        Ok(request)
    }

    /// Checks the limits and the filters, and gives the engine's options for
    /// the request (enough hits for the page and those before it) with them.
    fn options(&self, deadline: Instant) -> Result<(SearchOptions, Filters), ApiError> {
        let chars = self.q.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(ApiError::bad_request(
                "query_too_long",
                format!(
                    "the query has {chars} characters, more than the {MAX_QUERY_CHARS} allowed: shorten it"
                ),
            ));
        }
        if self.limit == 0 || self.limit > MAX_WINDOW {
            return Err(ApiError::bad_request(
                "limit_out_of_range",
                format!("limit must be 1 to {MAX_WINDOW}, not {}", self.limit),
            ));
        }
        if self.offset.saturating_add(self.limit) > MAX_WINDOW {
            return Err(ApiError::bad_request(
                "window_too_large",
                format!(
                    "offset + limit is {}, more than {MAX_WINDOW}: results that deep are not served; narrow the query",
                    self.offset.saturating_add(self.limit)
                ),
            ));
        }
        if !SNIPPET_CHARS.contains(&self.snippet_chars) {
            return Err(ApiError::bad_request(
                "snippet_chars_out_of_range",
                format!(
                    "snippet_chars must be {} to {}, not {}",
                    SNIPPET_CHARS.start(),
                    SNIPPET_CHARS.end(),
                    self.snippet_chars
                ),
            ));
        }
        let filters = Filters::parse(&self.within)
            .map_err(|e| ApiError::bad_request("bad_filter", e.to_string()))?;
        let options = SearchOptions {
            limit: self.offset + self.limit,
            snippet_chars: self.snippet_chars,
            explain: self.explain,
            collapse: self.collapse,
            pinyin_initials: self.pinyin_initials,
            deadline: Some(deadline),
        };
        Ok((options, filters))
    }
}

/// `POST /multi-search`: queries answered in order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiSearchRequest {
    pub queries: Vec<SearchRequest>,
}

/// `GET /search`.
pub async fn search_get(
    State(state): Shared,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    state.keys.allow_search(&headers)?;
    let request = SearchRequest::from_query_string(query.as_deref().unwrap_or(""))?;
    search(state, request).await
}

/// `POST /search`.
pub async fn search_post(
    State(state): Shared,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    state.keys.allow_search(&headers)?;
    let request: SearchRequest = json_body(body)?;
    search(state, request).await
}

async fn search(state: Arc<AppState>, request: SearchRequest) -> Result<Response, ApiError> {
    let arrived = Instant::now();
    let (options, filters) = request.options(arrived + state.timeout)?;
    state.counts.searches.fetch_add(1, Ordering::Relaxed);
    let loaded = state.live.current();
    let body = state
        .pool
        .run(move || -> Result<Vec<u8>, ApiError> {
            let results = loaded
                .engine
                .search_in(&request.q, &filters, options)
                .map_err(|e| ApiError::from_engine(&e))?;
            let json = JsonResults::page(&results, request.offset).with_time(arrived.elapsed());
            serde_json::to_vec(&json).map_err(|e| internal(&e))
        })
        .await??;
    Ok(json_response(body))
}

/// `POST /multi-search`.
pub async fn multi_search(
    State(state): Shared,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    state.keys.allow_search(&headers)?;
    let request: MultiSearchRequest = json_body(body)?;
    if request.queries.len() > MAX_QUERIES {
        return Err(ApiError::bad_request(
            "too_many_queries",
            format!(
                "{} queries in one request, more than the {MAX_QUERIES} allowed: send them in parts",
                request.queries.len()
            ),
        ));
    }
    let arrived = Instant::now();
    let deadline = arrived + state.timeout;
    let mut options = Vec::with_capacity(request.queries.len());
    for (i, query) in request.queries.iter().enumerate() {
        let checked = query.options(deadline).map_err(|e| ApiError {
            message: format!("query {}: {}", i + 1, e.message),
            ..e
        })?;
        options.push(checked);
    }
    state.counts.multi_searches.fetch_add(1, Ordering::Relaxed);
    let loaded = state.live.current();
    let body = state
        .pool
        .run(move || -> Result<Vec<u8>, ApiError> {
            let mut out = b"{\"results\":[".to_vec();
            for (i, (query, (options, filters))) in request.queries.iter().zip(options).enumerate()
            {
                if i > 0 {
                    out.push(b',');
                }
                let started = Instant::now();
                let result = loaded.engine.search_in(&query.q, &filters, options);
                let json = match &result {
                    Ok(results) => JsonResults::page(results, query.offset),
                    // As in `--batch`: a query that cannot run says why in
                    // its place, and the others are still answered.
                    Err(err) if err.is::<QueryError>() => {
                        JsonResults::from_error(&query.q, err.to_string())
                    }
                    Err(err) => return Err(ApiError::from_engine(err)),
                };
                serde_json::to_writer(&mut out, &json.with_time(started.elapsed()))
                    .map_err(|e| internal(&e))?;
            }
            out.extend_from_slice(b"]}");
            Ok(out)
        })
        .await??;
    Ok(json_response(body))
}

/// `GET /health`: the server answers.
pub async fn health() -> Response {
    json_response(br#"{"status":"ok"}"#.to_vec())
}

/// `GET /stats`.
#[derive(Serialize)]
struct Stats {
    articles: usize,
    passages: u64,
    index_bytes: u64,
    /// When the corpus was last scanned into the index (RFC 3339, UTC).
    built: String,
    corpus: String,
    index: String,
    /// Whether the corpus changed since; `null` when that cannot be told.
    stale: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changes: Option<ChangeCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stale_error: Option<String>,
    dictionary: String,
    schema_version: u32,
    uptime_s: f64,
    reloads: u64,
    engine_swaps: u64,
    requests: RequestCounts,
}

#[derive(Serialize)]
struct ChangeCounts {
    added: usize,
    changed: usize,
    removed: usize,
}

#[derive(Serialize)]
struct RequestCounts {
    total: u64,
    search: u64,
    multi_search: u64,
    index: u64,
    client_errors: u64,
    server_errors: u64,
    busy: u64,
    timed_out: u64,
    waiting: usize,
}

pub async fn stats(State(state): Shared, headers: HeaderMap) -> Result<Response, ApiError> {
    state.keys.allow_search(&headers)?;
    let loaded = state.live.current();
    let index_dir = state.live.index_dir().to_path_buf();
    let shared = state.clone();
    let body = state
        .pool
        .run(move || -> Result<Vec<u8>, ApiError> {
            let changes = loaded.manifest.changes(&loaded.corpus, &index_dir);
            let (reloads, engine_swaps) = shared.live.reloads();
            let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
            let counts = &shared.counts;
            let stats = Stats {
                articles: loaded.articles,
                passages: loaded.engine.passages(),
                index_bytes: folder_bytes(&index_dir),
                built: humantime::format_rfc3339_seconds(loaded.built).to_string(),
                corpus: loaded.corpus.display().to_string(),
                index: index_dir.display().to_string(),
                stale: changes.as_ref().ok().map(|c| !c.is_empty()),
                changes: changes.as_ref().ok().map(|c| ChangeCounts {
                    added: c.added.len(),
                    changed: c.changed.len(),
                    removed: c.removed.len(),
                }),
                stale_error: changes.as_ref().err().map(|e| format!("{e:#}")),
                dictionary: loaded.fingerprint.info.dictionary.clone(),
                schema_version: loaded.fingerprint.info.schema_version,
                uptime_s: shared.started.elapsed().as_secs_f64(),
                reloads,
                engine_swaps,
                requests: RequestCounts {
                    total: count(&counts.requests),
                    search: count(&counts.searches),
                    multi_search: count(&counts.multi_searches),
                    index: count(&counts.updates),
                    client_errors: count(&counts.client_errors),
                    server_errors: count(&counts.server_errors),
                    busy: count(&counts.refused_busy),
                    timed_out: count(&counts.timed_out),
                    waiting: shared.pool.waiting(),
                },
            };
            serde_json::to_vec(&stats).map_err(|e| internal(&e))
        })
        .await??;
    Ok(json_response(body))
}

/// `POST /index`: the incremental update, now.
pub async fn update(State(state): Shared, headers: HeaderMap) -> Result<Response, ApiError> {
    state.keys.allow_admin(&headers)?;
    state.counts.updates.fetch_add(1, Ordering::Relaxed);
    let live = state.live.clone();
    let events = state.events.clone();
    // Not on the search pool: an update may take minutes, and searches go
    // on meanwhile.
    let body = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ApiError> {
        match live.update(Wait::No) {
            Ok(updated) => {
                events(Event::Updated(&updated));
                #[derive(Serialize)]
                struct Answer<'a> {
                    #[serde(flatten)]
                    update: JsonUpdate<'a>,
                    /// How the server moved to the new commit.
                    reload: &'static str,
                }
                let answer = Answer {
                    update: JsonUpdate::new(&updated.report, &updated.corpus, &updated.index),
                    reload: match updated.refreshed {
                        Refreshed::Unchanged => "unchanged",
                        Refreshed::Reloaded => "reloaded",
                        Refreshed::Swapped => "swapped",
                    },
                };
                serde_json::to_vec(&answer).map_err(|e| internal(&e))
            }
            Err(err) => {
                events(Event::UpdateFailed(&err));
                if err.chain().any(|e| e.is::<LockBusy>()) {
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "index_busy",
                        "another update of this index is running: retry when it is done",
                    ));
                }
                Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "update_failed",
                    format!("{err:#}"),
                ))
            }
        }
    })
    .await
    .map_err(|e| internal(&e))??;
    Ok(json_response(body))
}

/// `GET /`: the search page, built into the binary.
pub async fn page() -> Response {
    let mut response = super::page::HTML.as_str().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The page runs only its own inline script and talks only to this server.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Unknown routes.
pub async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// Known routes asked with another method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// A JSON body read into `T`, every failure one 4xx sentence. The content
/// type is not checked: `curl -d` sends a form type with JSON in it.
fn json_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!(
                    "the request body is larger than {} bytes",
                    super::MAX_BODY_BYTES
                ),
            )
        } else {
            ApiError::bad_request(
                "unreadable_body",
                format!("the request body could not be read: {rejection}"),
            )
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => {
                let code = if e.to_string().starts_with("unknown field") {
                    "unknown_field"
                } else {
                    "invalid_request"
                };
                ApiError::bad_request(code, format!("the request body is not a search: {e}"))
            }
            _ => ApiError::bad_request(
                "malformed_json",
                format!("the request body is not valid JSON: {e}"),
            ),
        }
    })
}

fn json_response(body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn internal(err: &dyn std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        format!("the server failed to answer: {err}"),
    )
}

/// Bytes of the files in the index folder (tantivy keeps them flat).
fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(limit: usize, offset: usize) -> SearchRequest {
        SearchRequest {
            q: "注销".into(),
            limit,
            offset,
            explain: false,
            snippet_chars: 100,
            collapse: true,
            pinyin_initials: false,
            within: Vec::new(),
        }
    }

    #[test]
    fn a_page_asks_the_engine_for_the_hits_before_it_too() {
        let (options, _) = request(10, 20).options(Instant::now()).unwrap();
        assert_eq!(options.limit, 30);
    }

    #[test]
    fn limits_are_refused_with_their_own_codes() {
        let now = Instant::now();
        let code = |r: SearchRequest| r.options(now).unwrap_err().code;
        assert_eq!(code(request(0, 0)), "limit_out_of_range");
        assert_eq!(code(request(1001, 0)), "limit_out_of_range");
        assert_eq!(code(request(10, 991)), "window_too_large");
        assert_eq!(code(request(10, usize::MAX)), "window_too_large");
        let long = SearchRequest {
            q: "注".repeat(MAX_QUERY_CHARS + 1),
            ..request(10, 0)
        };
        assert_eq!(code(long), "query_too_long");
        assert!(request(1000, 0).options(now).is_ok());
        assert!(request(10, 990).options(now).is_ok());
    }

    #[test]
    fn query_strings_and_bodies_take_the_same_fields() {
        let get = SearchRequest::from_query_string(
            "q=eSIM&limit=5&in=guides%2Fesim&offset=5&explain=true&in=*.txt",
        )
        .unwrap();
        let post: SearchRequest = serde_json::from_str(
            r#"{"q":"eSIM","limit":5,"offset":5,"explain":true,"in":["guides/esim","*.txt"]}"#,
        )
        .unwrap();
        assert_eq!(format!("{get:?}"), format!("{post:?}"));
        assert!(SearchRequest::from_query_string("q=a&lmit=5").is_err());
        assert!(
            SearchRequest::from_query_string("q=a")
                .unwrap()
                .within
                .is_empty()
        );
    }

    #[test]
    fn bad_filters_are_refused_as_bad_filter() {
        let now = Instant::now();
        for bad in ["", "/etc", "a/../b", "a/[b"] {
            let request = SearchRequest {
                within: vec!["ok".into(), bad.into()],
                ..request(10, 0)
            };
            let err = request.options(now).unwrap_err();
            assert_eq!(err.code, "bad_filter", "{bad}");
            assert_eq!(err.status, StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn bad_bodies_are_told_apart() {
        let code = |body: &str| {
            json_body::<SearchRequest>(Ok(Bytes::from(body.to_string())))
                .unwrap_err()
                .code
        };
        assert_eq!(code("{\"q\": "), "malformed_json");
        assert_eq!(code("{\"q\": \"a\", \"top\": 3}"), "unknown_field");
        assert_eq!(code("{\"q\": 3}"), "invalid_request");
    }
}
