//! The search page at `GET /`: one HTML file with its style and script
//! inline, built into the binary, so it needs no CDN, no build step and no
//! network beyond this server.

/// The page.
pub const HTML: &str = include_str!("page.html");
