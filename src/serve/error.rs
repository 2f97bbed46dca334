//! The server's errors: every failure a client can see answers with a status
//! and `{"error": {"code": "…", "message": "…"}}`, the message one sentence.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::index::OpenError;
use crate::search::{QueryError, TimedOut};

/// Seconds a client is told to wait before retrying a 503.
const RETRY_AFTER_SECS: &str = "1";

/// The code of an error answer, kept on the response for the request counts.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

/// An error answer: its status, a stable machine-readable code, one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// More requests wait for a search thread than the queue holds.
    pub fn busy() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the server is busy: retry in a second",
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such endpoint: see the README for the API (GET /search, POST /search, \
             POST /multi-search, GET /stats, GET /health, POST /index)",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this endpoint does not take that method: see the README for the API",
        )
    }

    /// The answer for an error of the engine or an update: a query with
    /// nothing to search is the client's (400, as exit code 2 is the
    /// user's), a damaged index or a timeout is the server's (503, with the
    /// rebuild hint for damage), anything else an internal error.
    pub fn from_engine(err: &anyhow::Error) -> Self {
        if let Some(query) = err.downcast_ref::<QueryError>() {
            return Self::bad_request("no_searchable_words", query.to_string());
        }
        if err.is::<TimedOut>() {
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timed_out",
                "the search took longer than the server's time limit: retry, or make the \
                 query shorter",
            );
        }
        if let Some(open) = err.chain().find_map(|e| e.downcast_ref::<OpenError>()) {
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "index_unavailable",
                open.to_string(),
            );
        }
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("{err:#}"),
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        response.extensions_mut().insert(ErrorCode(self.code));
        let headers = response.headers_mut();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_map_to_the_client_or_the_server() {
        let query = anyhow::Error::new(QueryError::NoSearchableWords);
        assert_eq!(
            ApiError::from_engine(&query).status,
            StatusCode::BAD_REQUEST
        );
        let late = anyhow::Error::new(TimedOut);
        assert_eq!(ApiError::from_engine(&late).code, "timed_out");
        let damaged = anyhow::Error::new(OpenError::damaged(
            std::path::Path::new("idx"),
            "file 'x' is corrupt",
        ))
        .context("searching");
        let answer = ApiError::from_engine(&damaged);
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(answer.message.contains("--rebuild"), "{}", answer.message);
    }
}
