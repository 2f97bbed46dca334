//! `zhsearch serve`: the engine over HTTP, for programs (a JSON API) and
//! people (a search page at `/`).
//!
//! axum on tokio: the most used and best kept Rust HTTP stack, hyper
//! underneath; its router and extractors keep each endpoint a plain
//! function. Searches are blocking CPU work and run on a bounded [`pool`];
//! everything async here is I/O. All requests share one [`live::Live`]
//! index (one engine, its caches), kept on the newest commit.
//!
//! The library prints nothing: what a person should hear of (where the
//! server listens, reloads, updates, failures) reaches the caller as an
//! [`Event`].

pub(crate) mod api;
pub(crate) mod auth;
pub(crate) mod error;
pub(crate) mod live;
mod page;
pub(crate) mod pool;
pub(crate) mod watch;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use api::{MAX_QUERIES, MAX_QUERY_CHARS, MAX_WINDOW};
pub use auth::Keys;
pub use error::ApiError;
pub use live::{Live, Refreshed, Updated};

/// The largest request body: a search or a hundred of them fit many times.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How often the server looks for a commit made by another process: one
/// stat of `meta.json` (tantivy's own reload watcher polls at this rate).
pub const RELOAD_POLL: Duration = Duration::from_millis(500);
/// Requests that may wait for a search thread, per thread, by default. A
/// search takes about a millisecond on InsuranceQA, so a full queue clears
/// in well under the time limit; past it, 503 tells a client to come back.
pub const QUEUE_PER_THREAD: usize = 32;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub keys: Keys,
    /// The one origin whose pages may call the API (`*` for any); none
    /// without `--cors`.
    pub cors: Option<String>,
    /// Follow the corpus folder and update the index when it changes.
    pub watch: bool,
    /// How long a search may take.
    pub timeout: Duration,
    /// Searches run at once (the core count by default).
    pub threads: usize,
    /// Requests that may wait for one of the threads.
    pub queue: usize,
}

/// What happened, for the person who started the server.
#[derive(Debug)]
pub enum Event<'a> {
    /// The server accepts connections on `addr`.
    Listening {
        addr: SocketAddr,
        keys: &'a Keys,
    },
    /// `--watch` follows the corpus folder.
    Watching(&'a std::path::Path),
    /// A new commit is served: `passages` in it.
    Refreshed {
        how: Refreshed,
        passages: u64,
    },
    /// The index could not be moved to its newest commit; the server goes
    /// on with the one it has.
    RefreshFailed(&'a anyhow::Error),
    /// An update (`POST /index` or `--watch`) ran.
    Updated(&'a Updated),
    UpdateFailed(&'a anyhow::Error),
    WatchFailed(&'a anyhow::Error),
    /// SIGINT or SIGTERM: finishing the requests in flight.
    Stopping,
}

/// Where [`Event`]s go.
pub type Events = Arc<dyn Fn(Event) + Send + Sync>;

/// Serves `live` until SIGINT or SIGTERM, then lets the requests in flight
/// finish and returns.
pub fn run(options: ServeOptions, live: Live, events: Events) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("zhsearch-serve")
        .build()
        .context("cannot start the server's threads")?;
    let served = runtime.block_on(serve(options, Arc::new(live), events));
    // Blocking work still running (an update) gets a moment to finish.
    runtime.shutdown_timeout(Duration::from_secs(10));
    served
}

async fn serve(options: ServeOptions, live: Arc<Live>, events: Events) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}: is another server using it? Pick another with --addr",
                options.addr
            )
        })?;
    let addr = listener.local_addr().context("cannot tell the address")?;
    let state = Arc::new(api::AppState {
        live: live.clone(),
        pool: pool::Pool::new(options.threads, options.queue),
        keys: options.keys.clone(),
        timeout: options.timeout,
        started: Instant::now(),
        counts: api::Counts::default(),
        events: events.clone(),
    });
    let app = router(state, &options, addr)?;
    let _watcher = if options.watch {
        let corpus = live.current().corpus.clone();
        let watcher = watch::start(live.clone(), &corpus, events.clone())?;
        events(Event::Watching(&corpus));
        Some(watcher)
    } else {
        None
    };
    tokio::spawn(follow_commits(live, events.clone()));
    events(Event::Listening {
        addr,
        keys: &options.keys,
    });
    let stopping = events.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            stop_signal().await;
            stopping(Event::Stopping);
        })
        .await
        .context("the server stopped")
}

/// The routes, with the limits, the request counts, CORS (when asked for)
/// and, on a loopback address, the `Host` check.
fn router(state: Arc<api::AppState>, options: &ServeOptions, addr: SocketAddr) -> Result<Router> {
    let mut app = Router::new()
        .route("/", get(api::page))
        .route("/search", get(api::search_get).post(api::search_post))
        .route("/multi-search", post(api::multi_search))
        .route("/health", get(api::health))
        .route("/stats", get(api::stats))
        .route("/index", post(api::update))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    if let Some(origin) = &options.cors {
        let allowed = if origin == "*" {
            AllowOrigin::any()
        } else {
            let value = HeaderValue::from_str(origin.trim_end_matches('/')).with_context(|| {
                format!("--cors {origin:?} is not an origin: give one like https://example.com")
            })?;
            AllowOrigin::list([value])
        };
        app = app.layer(
            CorsLayer::new()
                .allow_origin(allowed)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
        );
    }
    if addr.ip().is_loopback() {
        app = app.layer(middleware::from_fn_with_state((), auth::loopback_host_only));
    }
    let app = app.layer(middleware::from_fn_with_state(state.clone(), count));
    Ok(app.with_state(state))
}

/// Counts every answer by its status, for `/stats`.
async fn count(State(state): State<Arc<api::AppState>>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let code = response.extensions().get::<error::ErrorCode>().map(|c| c.0);
    state.counts.answered(response.status(), code);
    response
}

/// Moves the index to each new commit, however it was made, and says so;
/// a failure is said once, not every poll.
async fn follow_commits(live: Arc<Live>, events: Events) {
    let mut last_failure: Option<String> = None;
    loop {
        tokio::time::sleep(RELOAD_POLL).await;
        let refreshing = live.clone();
        let Ok(refreshed) = tokio::task::spawn_blocking(move || refreshing.refresh()).await else {
            continue;
        };
        match refreshed {
            Ok(Refreshed::Unchanged) => {}
            Ok(how) => {
                last_failure = None;
                let passages = live.current().engine.passages();
                events(Event::Refreshed { how, passages });
            }
            Err(err) => {
                let message = format!("{err:#}");
                if last_failure.as_ref() != Some(&message) {
                    events(Event::RefreshFailed(&err));
                    last_failure = Some(message);
                }
            }
        }
    }
}

/// Waits for SIGINT (Ctrl-C) or SIGTERM.
async fn stop_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
