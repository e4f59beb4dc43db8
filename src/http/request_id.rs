//! `X-Request-Id`: accepted from the client when well-formed, generated otherwise, echoed on
//! the response, carried by the `request` span of every log line, and put in problem bodies.

use axum::{extract::Request, http::HeaderValue, middleware::Next, response::Response};
use tracing::Instrument as _;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// A client's id is kept if it is 1–128 characters of `A-Z a-z 0-9 . _ : -`.
fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// The outermost middleware.
pub async fn middleware(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let header = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    req.headers_mut().insert("x-request-id", header.clone());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut resp = REQUEST_ID.scope(id, next.run(req).instrument(span)).await;
    resp.headers_mut().insert("x-request-id", header);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tidy_ids_are_kept() {
        assert!(acceptable("3f2a-77:b.c_d"));
        for bad in ["", "a b", "x\r\ny", "é", &"a".repeat(129)] {
            assert!(!acceptable(bad), "{bad:?}");
        }
    }
}
