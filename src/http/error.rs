//! `ApiError`: the one error type at the HTTP edge, rendered as RFC 9457
//! `application/problem+json` with a stable `type` per failure class.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    imap::{
        ImapError,
        encode::EncodeError,
        error::{GREETING, ServerReply},
    },
    store::StoreError,
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
    /// Seconds for `Retry-After`.
    pub retry_after: Option<u64>,
    /// What the IMAP server said, if anything.
    pub imap: Option<Box<ServerReply>>,
    /// Fields of the request that are invalid, with reasons.
    pub invalid_params: Vec<(String, String)>,
}

impl ApiError {
    /// A problem with the given status, slug and title.
    pub fn new(status: StatusCode, slug: &'static str, title: &'static str) -> Self {
        Self { status, slug, title, detail: None, retry_after: None, imap: None, invalid_params: Vec::new() }
    }
    /// Adds a detail text.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    /// Adds `Retry-After`.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
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

impl From<EncodeError> for ApiError {
    fn from(e: EncodeError) -> Self {
        if let EncodeError::NameTooLong { .. } | EncodeError::ComponentTooLong { .. } = e {
            return Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "mailbox-name-too-long",
                "The mailbox name is too long",
            )
            .detail(e.to_string());
        }
        Self::new(StatusCode::BAD_REQUEST, "invalid-argument", "An argument cannot be sent to IMAP")
            .detail(e.to_string())
    }
}

impl From<crate::sync::events::StreamRefused> for ApiError {
    fn from(e: crate::sync::events::StreamRefused) -> Self {
        use crate::sync::events::StreamRefused as R;
        match e {
            R::TooManyStreams(_) => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "too-many-streams", "The account has too many event streams")
                    .detail(format!("{e}; close one first"))
                    .retry_after(5)
            }
            R::TooManyMailboxes(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too-many-watched-mailboxes",
                "The account follows too many mailboxes",
            )
            .detail(format!("{e}; close a stream or delete a webhook first")),
        }
    }
}

impl From<crate::auth::credentials::CredentialError> for ApiError {
    fn from(e: crate::auth::credentials::CredentialError) -> Self {
        use crate::auth::credentials::CredentialError as E;
        match e {
            E::AccountGone | E::TrustedOff => Self::unauthorized(e.to_string()),
            E::Unreadable { .. } | E::NotOAuth => Self::internal(e),
            E::ReauthRequired(why) => Self::reauth_required(why),
            E::TokenEndpoint(detail) => Self::token_endpoint_unavailable(detail),
            E::Store(e) => e.into(),
        }
    }
}

impl From<crate::auth::flows::AuthError> for ApiError {
    fn from(e: crate::auth::flows::AuthError) -> Self {
        use crate::auth::flows::AuthError as E;
        match e {
            E::BadRequest(detail) => Self::bad_request(detail),
            E::InvalidProperty { field, reason } => Self::invalid_property(field, reason),
            E::AuthFailed(detail) => Self::auth_failed(detail),
            E::Unauthorized(detail) => Self::unauthorized(detail),
            E::RefreshReused => Self::refresh_reused(),
            E::TokenEndpoint(detail) => Self::token_endpoint_unavailable(detail),
            E::Imap(e) => e.into(),
            E::Store(e) => e.into(),
        }
    }
}

impl From<crate::follow::FollowError> for ApiError {
    fn from(e: crate::follow::FollowError) -> Self {
        match e {
            crate::follow::FollowError::Credentials(e) => e.into(),
            crate::follow::FollowError::Refused(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store error");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "store-unavailable", "The gateway database is unavailable")
            .retry_after(5)
    }
}

impl From<ImapError> for ApiError {
    fn from(e: ImapError) -> Self {
        use StatusCode as S;
        let detail = public_detail(&e);
        let err = match e {
            ImapError::Connect(_) => {
                Self::new(S::BAD_GATEWAY, "upstream-unreachable", "The IMAP server cannot be reached")
            }
            ImapError::Backoff(wait) => {
                Self::new(S::BAD_GATEWAY, "upstream-unreachable", "The IMAP server cannot be reached")
                    .retry_after(wait.as_secs().max(1))
            }
            ImapError::Tls(_) => Self::new(S::BAD_GATEWAY, "upstream-tls", "TLS with the IMAP server failed"),
            ImapError::Timeout(_) => {
                Self::new(S::GATEWAY_TIMEOUT, "upstream-timeout", "The IMAP server did not answer in time")
            }
            ImapError::AuthFailed(r) => {
                Self::new(S::UNAUTHORIZED, "authentication-failed", "The IMAP server refused the credentials")
                    .with_imap(r)
            }
            ImapError::Limit(r) => {
                let e =
                    Self::new(S::SERVICE_UNAVAILABLE, "connection-limit", "The IMAP server is at its connection limit")
                        .retry_after(30);
                // A greeting's BYE text is the server's own words about itself: not echoed.
                if r.command == GREETING { e } else { e.with_imap(r) }
            }
            ImapError::No(r) => return no_reply(r, detail),
            ImapError::Bad(r) => {
                Self::new(S::BAD_GATEWAY, "upstream-protocol-error", "The IMAP server rejected the gateway's command")
                    .with_imap(r)
            }
            ImapError::ConnectionLost(_) => {
                Self::new(S::BAD_GATEWAY, "upstream-disconnected", "The IMAP connection was lost").retry_after(1)
            }
            ImapError::Protocol(_) => {
                Self::new(S::BAD_GATEWAY, "upstream-protocol-error", "Unexpected response from the IMAP server")
            }
            ImapError::PoolBusy => {
                Self::new(S::SERVICE_UNAVAILABLE, "connection-limit", "All IMAP connections for this account are busy")
                    .retry_after(1)
            }
            ImapError::GlobalLimit => {
                Self::new(S::SERVICE_UNAVAILABLE, "connection-limit", "The gateway is at its IMAP connection limit")
                    .retry_after(5)
            }
            ImapError::Encode(e) => return e.into(),
            ImapError::Unsupported(_) => {
                Self::new(S::NOT_IMPLEMENTED, "unsupported", "The IMAP server lacks a needed extension")
            }
            ImapError::Upload { nul: true, .. } => {
                return Self::invalid_property("body", "NUL bytes cannot be stored over IMAP");
            }
            ImapError::Upload { nul: false, detail } => return Self::invalid_body(S::BAD_REQUEST, detail),
        };
        err.detail(detail)
    }
}

/// The `detail` of an IMAP failure. TLS errors, unusable responses (an unexpected greeting)
/// and lost connections (a BYE's text) would tell a caller about the upstream server and its
/// TLS set-up: they get a fixed text, and the specifics go to the debug log.
fn public_detail(e: &ImapError) -> String {
    let fixed = match e {
        ImapError::Tls(_) => "the TLS handshake with the IMAP server failed",
        ImapError::Protocol(_) => "the IMAP server sent a response the gateway cannot use",
        ImapError::ConnectionLost(_) => "the IMAP server closed the connection",
        ImapError::Limit(r) if r.command == GREETING => "the IMAP server refused the connection",
        _ => return e.to_string(),
    };
    tracing::debug!(error = %e, "upstream failure");
    fixed.to_string()
}

/// Tagged NO, mapped by response code (api-model §5).
fn no_reply(r: ServerReply, detail: String) -> ApiError {
    use StatusCode as S;
    let (status, slug, title) = match r.code.as_deref() {
        Some("NONEXISTENT") => (S::NOT_FOUND, "mailbox-not-found", "The mailbox does not exist"),
        Some("TRYCREATE") => (S::NOT_FOUND, "destination-not-found", "The destination mailbox does not exist"),
        Some("ALREADYEXISTS") => (S::CONFLICT, "already-exists", "The mailbox already exists"),
        Some("NOPERM" | "READ-ONLY") => (S::FORBIDDEN, "forbidden", "The IMAP server does not allow this"),
        Some("AUTHORIZATIONFAILED" | "CONTACTADMIN") => (S::FORBIDDEN, "authorization-failed", "Not authorized"),
        Some("OVERQUOTA") => (S::INSUFFICIENT_STORAGE, "over-quota", "Mailbox quota exceeded"),
        Some("INUSE" | "UNAVAILABLE") => (S::SERVICE_UNAVAILABLE, "upstream-unavailable", "The mailbox is busy"),
        Some("LIMIT") => (S::TOO_MANY_REQUESTS, "limit-exceeded", "An IMAP server limit was hit"),
        Some("TOOBIG") => (S::PAYLOAD_TOO_LARGE, "too-large", "The message is too large for the IMAP server"),
        Some("PARSE") => (S::UNPROCESSABLE_ENTITY, "invalid-message", "The IMAP server could not parse the message"),
        Some("USEATTR") => (S::UNPROCESSABLE_ENTITY, "invalid-special-use", "The role cannot be used"),
        Some("EXPUNGEISSUED") => (S::NOT_FOUND, "message-not-found", "The message was expunged"),
        Some("BADCHARSET") => (S::UNPROCESSABLE_ENTITY, "bad-charset", "The charset cannot be used"),
        Some("UNKNOWN-CTE") => {
            (S::UNPROCESSABLE_ENTITY, "unknown-transfer-encoding", "The server cannot decode this part")
        }
        Some("PRIVACYREQUIRED") => (S::FORBIDDEN, "tls-required", "The IMAP server requires TLS"),
        Some("EXPIRED") => (S::UNAUTHORIZED, "credentials-expired", "The IMAP credentials have expired"),
        Some("HASCHILDREN") => (S::CONFLICT, "mailbox-has-child", "The mailbox has children"),
        Some("CLIENTBUG") => {
            (S::BAD_GATEWAY, "upstream-protocol-error", "The IMAP server rejected the gateway's command")
        }
        Some("CANNOT") => (S::UNPROCESSABLE_ENTITY, "cannot", "The IMAP server cannot do this"),
        Some("SERVERBUG" | "CORRUPTION") => (S::BAD_GATEWAY, "upstream-error", "The IMAP server failed"),
        // Dovecot says "Mailbox doesn't exist" with [NONEXISTENT] only on some paths.
        _ if r.text.to_ascii_lowercase().contains("doesn't exist")
            || r.text.to_ascii_lowercase().contains("does not exist") =>
        {
            (S::NOT_FOUND, "mailbox-not-found", "The mailbox does not exist")
        }
        _ => (S::UNPROCESSABLE_ENTITY, "imap-refused", "The IMAP server refused the command"),
    };
    let mut e = ApiError::new(status, slug, title).detail(detail).with_imap(r);
    if status == S::SERVICE_UNAVAILABLE || status == S::TOO_MANY_REQUESTS {
        e = e.retry_after(5);
    }
    e
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
