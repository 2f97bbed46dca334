//! The search page at `GET /`: one HTML file with its style and script
//! inline, built into the binary, so it needs no CDN, no build step and no
//! network beyond this server.

use std::sync::LazyLock;

use crate::search::ranking;

/// The page, with the one ranking constant its explain line needs filled in
/// from `ranking.rs` (so the page cannot show another formula than the
/// engine's).
pub static HTML: LazyLock<String> = LazyLock::new(|| {
    include_str!("page.html").replace(
        "{{coverage_exponent}}",
        &ranking::COVERAGE_EXPONENT.to_string(),
    )
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled_and_no_resource_is_fetched_from_elsewhere() {
        assert!(!HTML.contains("{{"), "a placeholder is left");
        assert!(HTML.contains(&format!(
            "var COVERAGE_EXPONENT = {};",
            ranking::COVERAGE_EXPONENT
        )));
        for outside in ["http://", "https://", "//cdn", "@import", "src=\"http"] {
            assert!(!HTML.contains(outside), "the page names {outside}");
        }
    }
}
