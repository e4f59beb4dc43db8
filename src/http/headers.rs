//! Response and request header helpers shared by the routes: header values, `If-None-Match`,
//! and what every download carries.

use axum::http::{HeaderMap, HeaderValue, header};

/// Header value from a string that is known to be visible ASCII.
pub fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// True if `If-None-Match` names `etag` (or `*`).
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == etag || t == "*"))
}

/// `Content-Security-Policy` of every download (raw, parts, raw headers): a browser that opens
/// one loads nothing and runs nothing.
pub const DOWNLOAD_CSP: &str = "default-src 'none'; sandbox";

/// Adds what every download carries: `nosniff` and [`DOWNLOAD_CSP`].
pub fn download_headers(out: &mut HeaderMap) {
    out.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    out.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOWNLOAD_CSP));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags() {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"1.2\", W/\"7.9\""));
        assert!(not_modified(&h, "\"7.9\""));
        assert!(!not_modified(&h, "\"7.8\""));
    }
}
