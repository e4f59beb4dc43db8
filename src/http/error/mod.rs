//! `ApiError`: the one error type at the HTTP edge, rendered as RFC 9457
//! `application/problem+json` with a stable `type` per failure class. `from.rs` maps the
//! errors of the layers below to it.

mod from;
mod send;
pub(crate) mod types;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    imap::error::ServerReply,
    views::problem::{InvalidParam, Problem, ProblemImap},
};

/// Base of every problem `type` URI.
pub const PROBLEM_BASE: &str = "https://imap-gateway.dev/problems/";

/// The problem type of an error response, for metrics.
#[derive(Clone, Copy, Debug)]
pub struct ProblemSlug(pub &'static str);

/// An error on its way to becoming a problem response.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable slug appended to [`PROBLEM_BASE`].
    pub slug: &'static str,
    /// Short, fixed summary.
    pub title: &'static str,
    /// Occurrence-specific explanation (never secrets or message content).
    pub detail: Option<String>,
    /// Seconds for `Retry-After` (at most a 32-bit count: the error stays small).
    pub retry_after: Option<u32>,
    /// What the IMAP server said, if anything.
    pub imap: Option<Box<ServerReply>>,
    /// Fields of the request that are invalid, with reasons.
    pub invalid_params: Vec<(String, String)>,
    /// What the SMTP server answered, and the recipients it refused.
    pub smtp: Option<Box<SmtpAnswer>>,
    /// The send may have happened (its answer never came): with an `Idempotency-Key`, this
    /// answer is kept and replayed, so a retry cannot send twice.
    pub settles_key: bool,
    /// ACL rights (RFC 4314) a refused write lacked, and those the account has.
    pub rights: Option<Box<(String, String)>>,
}

/// The SMTP part of a problem.
#[derive(Debug, Default)]
pub struct SmtpAnswer {
    /// Reply code and text.
    pub reply: Option<(u16, String)>,
    /// Refused recipients.
    pub rejected: Vec<crate::views::compose::RejectedRecipient>,
}

impl ApiError {
    /// A problem with the given status, slug and title.
    pub fn new(status: StatusCode, slug: &'static str, title: &'static str) -> Self {
        debug_assert!(types::PROBLEM_TYPES.contains(&slug), "unlisted problem type {slug}");
        Self {
            status,
            slug,
            title,
            detail: None,
            retry_after: None,
            imap: None,
            invalid_params: Vec::new(),
            smtp: None,
            settles_key: false,
            rights: None,
        }
    }
    /// Adds a detail text.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    /// Adds `Retry-After`.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(u32::try_from(secs).unwrap_or(u32::MAX));
        self
    }
    fn with_imap(mut self, reply: ServerReply) -> Self {
        self.imap = Some(Box::new(reply));
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid-request", "The request is not valid").detail(detail)
    }
    /// 401: no valid bearer token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "A valid bearer token is required").detail(detail)
    }
    /// 401: the IMAP server refused the credentials.
    pub fn auth_failed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "authentication-failed", "The IMAP server refused the credentials")
            .detail(detail)
    }
    /// 401: the account's OAuth2 token expired or was revoked and cannot be renewed; the user
    /// must log in again.
    pub fn reauth_required(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "reauth-required", "The user must sign in again").detail(detail)
    }
    /// 503: the OAuth2 provider's token endpoint failed while the access token needed renewing.
    pub fn token_endpoint_unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "token-endpoint-unavailable",
            "The OAuth2 token endpoint is unavailable",
        )
        .detail(detail)
        .retry_after(30)
    }
    /// 401: a spent refresh token came back; its family is revoked.
    pub fn refresh_reused() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "refresh-token-reused", "Refresh token was already used")
            .detail("the token family has been revoked; log in again")
    }
    /// 400 for a body that is not valid JSON of the expected shape (status from the parser).
    pub fn invalid_body(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::new(status, "invalid-body", "The request body is not valid").detail(detail)
    }
    /// 422: a filter field the gateway or the server cannot use.
    pub fn invalid_filter(field: String, reason: String) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-filter", "The filter cannot be used")
            .detail(format!("{field}: {reason}"));
        e.invalid_params.push((field, reason));
        e
    }
    /// 422: a request field that cannot be used.
    pub fn invalid_property(field: &str, reason: &str) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-properties", "A field cannot be used")
            .detail(format!("{field}: {reason}"));
        e.invalid_params.push((field.to_string(), reason.to_string()));
        e
    }
    /// 422: the server cannot sort.
    pub fn unsupported_sort(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "unsupported-sort", "The sort cannot be used").detail(detail)
    }
    /// 404: no message with that UID.
    pub fn message_not_found(uid: u32) -> Self {
        Self::new(StatusCode::NOT_FOUND, "message-not-found", "The message does not exist")
            .detail(format!("no message with UID {uid} (it may have been expunged)"))
    }
    /// 410 for a cursor, 409 for a message URL: UIDs of another UIDVALIDITY.
    pub fn uid_validity_changed(status: StatusCode, known: u32, current: u32) -> Self {
        Self::new(status, "uidvalidity-changed", "The mailbox was recreated; UIDs are no longer valid")
            .detail(format!("UIDVALIDITY changed from {known} to {current}; resynchronise from scratch"))
    }
    /// 400: a cursor this gateway did not issue for this mailbox.
    pub fn invalid_cursor(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid-cursor", "The cursor is not valid here").detail(detail)
    }
    /// 416: a Range header that cannot be served.
    pub fn range_not_satisfiable(size: u64) -> Self {
        Self::new(StatusCode::RANGE_NOT_SATISFIABLE, "range-not-satisfiable", "The requested range cannot be served")
            .detail(format!("the resource has {size} bytes"))
    }
    /// 404: unknown route or resource.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found").detail(detail)
    }
    /// 500 with an opaque body; the cause is logged, not returned.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error")
    }
    /// 503: the gateway is shutting down or not ready.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable").detail(detail).retry_after(5)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = self.status.as_u16(), problem = self.slug, "request failed");
        }
        let body = Problem {
            r#type: format!("{PROBLEM_BASE}{}", self.slug),
            title: self.title.to_string(),
            status: self.status.as_u16(),
            detail: self.detail,
            invalid_params: self
                .invalid_params
                .into_iter()
                .map(|(name, reason)| InvalidParam { name, reason })
                .collect(),
            imap: self.imap.map(|r| ProblemImap {
                command: r.command.to_string(),
                status: r.status.to_string(),
                code: r.code,
                text: r.text,
                oauth: r.oauth.map(|c| crate::views::problem::ProblemOAuth {
                    status: c.status,
                    scope: c.scope,
                    schemes: c.schemes,
                }),
            }),
            smtp: self
                .smtp
                .as_ref()
                .and_then(|a| a.reply.clone())
                .map(|(code, text)| crate::views::problem::ProblemSmtp { code, text }),
            rejected: self.smtp.map(|a| a.rejected).unwrap_or_default(),
            missing_rights: self.rights.as_ref().map(|r| r.0.clone()),
            my_rights: self.rights.map(|r| r.1),
            request_id: crate::http::request_id::current(),
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        resp.extensions_mut().insert(ProblemSlug(self.slug));
        let headers = resp.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::error::server_reply;
    use crate::imap::{ImapError, error::GREETING};

    #[test]
    fn every_imap_response_code_maps_to_its_status_and_type() {
        let cases: [(&str, u16, &str); 25] = [
            ("NONEXISTENT", 404, "mailbox-not-found"),
            ("TRYCREATE", 404, "destination-not-found"),
            ("ALREADYEXISTS", 409, "already-exists"),
            ("HASCHILDREN", 409, "mailbox-has-child"),
            ("NOPERM", 403, "forbidden"),
            ("READ-ONLY", 403, "forbidden"),
            ("AUTHORIZATIONFAILED", 403, "authorization-failed"),
            ("CONTACTADMIN", 403, "authorization-failed"),
            ("PRIVACYREQUIRED", 403, "tls-required"),
            ("EXPIRED", 401, "credentials-expired"),
            ("OVERQUOTA", 507, "over-quota"),
            ("INUSE", 503, "upstream-unavailable"),
            ("UNAVAILABLE", 503, "upstream-unavailable"),
            ("LIMIT", 429, "limit-exceeded"),
            ("TOOBIG", 413, "too-large"),
            ("CANNOT", 422, "cannot"),
            ("BADCHARSET", 422, "bad-charset"),
            ("UNKNOWN-CTE", 422, "unknown-transfer-encoding"),
            ("PARSE", 422, "invalid-message"),
            ("USEATTR", 422, "invalid-special-use"),
            ("EXPUNGEISSUED", 404, "message-not-found"),
            ("SERVERBUG", 502, "upstream-error"),
            ("CORRUPTION", 502, "upstream-error"),
            ("CLIENTBUG", 502, "upstream-protocol-error"),
            ("SOMETHINGNEW", 422, "imap-refused"),
        ];
        for (code, status, slug) in cases {
            let reply = server_reply("X", "NO", None, &format!("[{code}] server says <b>\r\nno</b>"));
            let e = ApiError::from(ImapError::No(reply));
            assert_eq!((e.status.as_u16(), e.slug), (status, slug), "{code}");
            let imap = e.imap.as_ref().expect("server reply kept");
            assert_eq!(imap.code.as_deref(), Some(code));
            assert!(!imap.text.contains('\r') && !imap.text.contains('\n'), "sanitized: {:?}", imap.text);
        }
        let retry = ApiError::from(ImapError::No(server_reply("X", "NO", None, "[INUSE] busy")));
        assert_eq!(retry.retry_after, Some(5));
        assert_eq!(ApiError::from(ImapError::PoolBusy).status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            ApiError::from(ImapError::Timeout(crate::imap::error::Phase::Command)).status,
            StatusCode::GATEWAY_TIMEOUT
        );
        assert_eq!(ApiError::from(ImapError::ConnectionLost("x".into())).status, StatusCode::BAD_GATEWAY);
        for (e, slug) in [
            (ImapError::Tls("invalid peer certificate: UnknownIssuer at tls.internal.example".into()), "upstream-tls"),
            (
                ImapError::Protocol("unexpected greeting: PreAuth Dovecot 2.3.21 on mx1.internal".into()),
                "upstream-protocol-error",
            ),
            (ImapError::ConnectionLost("BYE mx1.internal shutting down".into()), "upstream-disconnected"),
            (
                ImapError::Limit(server_reply(
                    GREETING,
                    "BYE",
                    None,
                    "Too many connections from 10.1.2.3 on mx1.internal",
                )),
                "connection-limit",
            ),
        ] {
            let e = ApiError::from(e);
            assert_eq!(e.slug, slug);
            let detail = e.detail.as_deref().unwrap_or("");
            assert!(!detail.contains("internal") && !detail.contains("Unknown"), "{slug}: {detail}");
            assert!(e.imap.is_none(), "{slug}: no server text in the problem");
        }
        let bad = ApiError::from(ImapError::Bad(server_reply("X", "BAD", None, "oops")));
        assert_eq!((bad.status, bad.slug), (StatusCode::BAD_GATEWAY, "upstream-protocol-error"));
    }
}
