//! The problem each lower layer's error becomes: encoder refusals, stream limits, credential
//! and login failures, the store, and IMAP (with the server's reply, never its free text where
//! that could carry upstream details).

use axum::http::StatusCode;

use super::ApiError;
use crate::{
    imap::{
        ImapError,
        encode::EncodeError,
        error::{GREETING, ServerReply},
    },
    store::StoreError,
};

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
            E::UnknownProvider => Self::new(
                StatusCode::UNAUTHORIZED,
                "unknown-oauth-provider",
                "No OAuth2 provider of this name is configured",
            )
            .detail("a refresh token needs a provider the gateway is configured with"),
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
