//! Extractors: the bearer-token account, mailbox and message paths checked before the handler
//! runs, and JSON/query bodies whose rejections are problems.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request},
    http::{HeaderMap, StatusCode, header, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::{
    auth::jwt::Claims,
    http::error::ApiError,
    imap::encode::{MailboxName, Section},
    state::AppState,
};

/// The account a valid, unrevoked access token names.
#[derive(Debug)]
pub struct AuthUser {
    /// Verified claims; `sub` is the account id.
    pub claims: Claims,
    /// One of the account's concurrent-request slots, held while the request runs.
    _slot: crate::state::slots::Slot,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let claims = bearer_claims(&parts.headers, state).await?;
        Self::admit(claims, state).await
    }
}

impl AuthUser {
    /// Admits the holder of `claims` (verified from a token, or kept with an event ticket): the
    /// token must not have been revoked, and the account gets one of its request slots.
    pub async fn admit(claims: Claims, state: &AppState) -> Result<Self, ApiError> {
        if (!claims.jti.is_empty() || !claims.fid.is_empty())
            && state.store.access_revoked(&claims.jti, &claims.fid).await?
        {
            return Err(ApiError::unauthorized("the token has been revoked"));
        }
        let slot = state.slots.acquire(&claims.sub).await.ok_or_else(|| {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too-many-concurrent-requests", "Too many requests at once")
                .detail(format!("at most {} requests of one account may run at once", state.slots.limit()))
                .retry_after(1)
        })?;
        Ok(Self { claims, _slot: slot })
    }
}

/// The verified claims of the `Authorization: Bearer` token in `headers`: a gateway token, or
/// (mode B) one of the trusted issuer's.
pub async fn bearer_claims(headers: &HeaderMap, state: &AppState) -> Result<Claims, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization header"))?
        .to_str()
        .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
    let (scheme, token) = value.split_once(' ').ok_or_else(|| ApiError::unauthorized("expected `Bearer <token>`"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized("expected `Bearer <token>`"));
    }
    match state.auth.jwt.verify(token.trim()) {
        Ok(claims) => Ok(claims),
        // Mode B: a token from the trusted issuer names the IMAP user directly.
        Err(own) => match &state.trusted {
            Some(trusted) => {
                let v = trusted
                    .verify(token.trim())
                    .map_err(|e| ApiError::unauthorized(format!("{own}; as a trusted-issuer token: {e}")))?;
                let sub = state.vault.trusted_account(&v.username).await?;
                let t = &state.settings.trusted;
                Ok(Claims {
                    iss: t.issuer.clone(),
                    aud: t.audience.clone(),
                    sub,
                    exp: v.exp,
                    nbf: 0,
                    iat: 0,
                    jti: v.jti.unwrap_or_default(),
                    fid: String::new(),
                })
            }
            None => Err(ApiError::unauthorized(own.to_string())),
        },
    }
}

/// The client's IP: the TCP peer, or the configured proxy header when it holds an address.
#[derive(Debug)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(name) = &state.settings.protection.client_ip_header
            && let Some(ip) = parts
                .headers
                .get(name.as_str())
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next_back())
                .and_then(|v| v.trim().parse().ok())
        {
            return Ok(Self(ip));
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(Self(peer.unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))))
    }
}

/// `Json<T>` of a JSON object (`application/json` or `application/*+json`), whose rejection is
/// a problem: 415 for another media type, 413 past the body limit, 422 for anything but an
/// object of the expected shape (serde would also read a struct from an array).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let media = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let essence = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let json = essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"));
        if !json {
            return Err(ApiError::invalid_body(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Expected request with `Content-Type: application/json`",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| ApiError::invalid_body(r.status(), r.body_text()))?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::invalid_body(StatusCode::UNPROCESSABLE_ENTITY, "the body must be a JSON object"));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(ApiError::invalid_body(rejection.status(), rejection.body_text())),
        }
    }
}

/// `Query<T>` whose rejection is a 400 problem.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(Self(v)),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

/// `Path<T>` whose rejection (bad percent-encoding, not UTF-8) is a 400 problem.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(Self(v)),
            // A segment that is not UTF-8 names nothing: no mailbox, thread or webhook has such
            // a name (mailbox names are Unicode), so it is not found, like any other name.
            Err(axum::extract::rejection::PathRejection::FailedToDeserializePathParams(e))
                if matches!(e.kind(), axum::extract::path::ErrorKind::InvalidUtf8InPathParam { .. }) =>
            {
                Err(ApiError::not_found("nothing has a name that is not UTF-8"))
            }
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

/// The `{mailbox}` of a route with one path parameter, checked by `MailboxName::parse` (422
/// `mailbox-name-too-long`, or 400 for a name that is not one).
#[derive(Debug)]
pub struct MailboxPath(pub MailboxName);

impl<S: Send + Sync> FromRequestParts<S> for MailboxPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ApiPath(name) = ApiPath::<String>::from_request_parts(parts, state).await?;
        Ok(Self(MailboxName::parse(&name)?))
    }
}

/// `{mailbox}` and `{uid}` of a message route: the name checked as by [`MailboxPath`], then the
/// UID (400 for 0: UIDs start at 1).
#[derive(Debug)]
pub struct MessagePath {
    /// The mailbox.
    pub mailbox: MailboxName,
    /// The message's UID, at least 1.
    pub uid: u32,
}

impl MessagePath {
    fn checked(name: &str, uid: u32) -> Result<Self, ApiError> {
        let mailbox = MailboxName::parse(name)?;
        if uid == 0 {
            return Err(ApiError::bad_request("UIDs start at 1"));
        }
        Ok(Self { mailbox, uid })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MessagePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ApiPath((name, uid)) = ApiPath::<(String, u32)>::from_request_parts(parts, state).await?;
        Self::checked(&name, uid)
    }
}

/// `{mailbox}`, `{uid}` and `{section}` of a part route: the message as by [`MessagePath`],
/// then the section by `Section::parse`.
#[derive(Debug)]
pub struct PartPath {
    /// The message.
    pub message: MessagePath,
    /// The section (the part id).
    pub section: Section,
    /// The section as the path gave it.
    pub part_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for PartPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ApiPath((name, uid, part_id)) = ApiPath::<(String, u32, String)>::from_request_parts(parts, state).await?;
        let message = MessagePath::checked(&name, uid)?;
        let section = Section::parse(&part_id)?;
        Ok(Self { message, section, part_id })
    }
}
