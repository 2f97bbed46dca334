//! Who may ask what: the API keys, and the `Host` check that keeps web pages
//! from reaching a server on a loopback address through DNS rebinding.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The keys the server was started with.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Keys {
    /// Needed to search (`--search-key`); the admin key serves too.
    pub search: Option<String>,
    /// Needed for `POST /index` (`--admin-key`); without one it is off.
    pub admin: Option<String>,
}

/// Says which keys are set, never what they are (options get logged).
impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("search", &self.search.as_ref().map(|_| "…"))
            .field("admin", &self.admin.as_ref().map(|_| "…"))
            .finish()
    }
}

impl Keys {
    /// Searching is open unless a search key is set.
    pub fn allow_search(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(search) = &self.search else {
            return Ok(());
        };
        let given = bearer(headers)?;
        let admin = self.admin.as_deref().is_some_and(|a| same_key(a, given));
        if same_key(search, given) || admin {
            Ok(())
        } else {
            Err(wrong_key())
        }
    }

    /// `POST /index` needs the admin key, and is off without one.
    pub fn allow_admin(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(admin) = &self.admin else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "indexing_disabled",
                "indexing over HTTP is off: start the server with --admin-key or \
                 ZHSEARCH_ADMIN_KEY to turn it on",
            ));
        };
        if same_key(admin, bearer(headers)?) {
            Ok(())
        } else {
            Err(wrong_key())
        }
    }
}

/// The key of an `Authorization: Bearer <key>` header.
fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let missing = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_key",
            "this server needs a key: send `Authorization: Bearer <key>`",
        )
    };
    let value = headers.get(header::AUTHORIZATION).ok_or_else(missing)?;
    let value = value.to_str().map_err(|_| wrong_key())?;
    let (scheme, key) = value.split_once(' ').ok_or_else(wrong_key)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(missing());
    }
    Ok(key.trim())
}

fn wrong_key() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "wrong_key",
        "the key sent is not this server's key",
    )
}

/// Compares keys in time that depends on their lengths only, so a client
/// cannot find a key byte by byte by timing the answers.
fn same_key(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Whether a `Host` header names this machine: `localhost` (or a name
/// under `.localhost`, which resolves to loopback by RFC 6761), or a
/// loopback address, with or without a port.
pub fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        // `[::1]:7700`
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                name
            } else {
                host
            }
        }),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Refuses requests whose `Host` is not a loopback name (layered only when
/// the server listens on a loopback address). A page on `evil.example`
/// whose name is rebound to 127.0.0.1 still sends `Host: evil.example`.
pub async fn loopback_host_only(State(()): State<()>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    match host {
        Some(host) if !is_loopback_host(host) => ApiError::new(
            StatusCode::FORBIDDEN,
            "host_not_allowed",
            "this server listens on a loopback address and answers only requests for \
             localhost or 127.0.0.1 (start it with --addr to serve other names)",
        )
        .into_response(),
        _ => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_key(key: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {key}")).unwrap(),
        );
        headers
    }

    #[test]
    fn loopback_names_pass_and_others_do_not() {
        for host in [
            "localhost",
            "localhost:7700",
            "127.0.0.1:7700",
            "127.1.2.3",
            "[::1]:7700",
            "app.localhost:80",
            "LOCALHOST.",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:7700",
            "localhost.evil.example",
            "10.0.0.1:7700",
            "[::2]:7700",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn keys_are_checked_when_set() {
        let open = Keys::default();
        assert!(open.allow_search(&HeaderMap::new()).is_ok());
        assert_eq!(
            open.allow_admin(&with_key("x")).unwrap_err().code,
            "indexing_disabled"
        );
        let keys = Keys {
            search: Some("s3".into()),
            admin: Some("a7".into()),
        };
        assert_eq!(
            keys.allow_search(&HeaderMap::new()).unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            keys.allow_search(&with_key("s4")).unwrap_err().code,
            "wrong_key"
        );
        assert!(keys.allow_search(&with_key("s3")).is_ok());
        assert!(keys.allow_search(&with_key("a7")).is_ok());
        assert!(keys.allow_admin(&with_key("s3")).is_err());
        assert!(keys.allow_admin(&with_key("a7")).is_ok());
    }
}
