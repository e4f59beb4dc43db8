//! `POST /v1/auth/login`, `/refresh` and `/logout`.

use axum::{
    Json,
    body::Bytes,
    extract::{State, rejection::BytesRejection},
    http::StatusCode,
};

use super::extract::{ApiJson, AuthUser, ClientIp};
use crate::{
    auth::{flows, oauth_flows},
    http::error::ApiError,
    imap::encode::sasl::OAuthMechanism,
    state::AppState,
    views::{
        auth::{LoginMechanism, LoginRequest, LogoutRequest, RefreshRequest, TokenResponse},
        problem::Problem,
    },
};

/// Log in with IMAP credentials or OAuth2 tokens.
///
/// Log in with IMAP credentials (a password, or an OAuth2 access token for XOAUTH2 or OAUTHBEARER,
/// optionally with a refresh token the gateway renews it with); answers an access token and a
/// refresh token.
///
/// With `password`, the gateway logs in to the IMAP server (AUTHENTICATE PLAIN, or LOGIN) to check
/// it, stores it encrypted, and issues a short-lived access token and a rotating refresh token.
/// With `accessToken` (and optionally `refreshToken` and `provider`), it authenticates with XOAUTH2
/// or OAUTHBEARER instead. Failed logins are limited per user and per client address (429 with
/// Retry-After).
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, body = Problem, content_type = "application/problem+json", description = "IMAP login refused (for a token: `imap.oauth` carries the server's status and scope), or `unknown-oauth-provider`: a refresh token of a provider the gateway is not configured with"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "fields that cannot be combined"),
    (status = 429, body = Problem, content_type = "application/problem+json", description = "too many failed logins (Retry-After)"),
    (status = 502, body = Problem, content_type = "application/problem+json", description = "IMAP server unreachable"),
    (status = 503, body = Problem, content_type = "application/problem+json", description = "IMAP connection limit, or the OAuth2 token endpoint failed"),
    (status = 504, body = Problem, content_type = "application/problem+json", description = "IMAP server timed out"),
))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let user_key = format!("user:{}", body.username.to_lowercase());
    let keys = [format!("ip:{ip}"), user_key.clone()];
    // The attempt counts from here, so parallel guesses cannot all slip past the limit.
    let mark = state.login_limiter.check(&keys).await.map_err(|secs| {
        state.metrics.inc("login_rate_limited_total", &[("limit", "failures")]);
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too-many-login-attempts", "Too many failed logins")
            .detail(format!("too many failed logins for this client or username; try again in {secs} s"))
            .retry_after(secs)
    })?;
    match login_with(&state, &body).await {
        Ok(tokens) => {
            state.login_limiter.succeed(mark, &keys[0], &user_key).await;
            Ok(Json(tokens))
        }
        Err(e) => {
            if e.status != StatusCode::UNAUTHORIZED {
                // Not a refused password (server down, bad input): it does not count.
                state.login_limiter.release(mark, &keys).await;
            }
            Err(e)
        }
    }
}

/// A password login, or an OAuth2 one when the body carries tokens instead.
async fn login_with(state: &AppState, body: &LoginRequest) -> Result<TokenResponse, ApiError> {
    let oauth = body.access_token.is_some() || body.refresh_token.is_some() || body.provider.is_some();
    match (&body.password, oauth) {
        (Some(password), false) if body.mechanism.is_none() && body.expires_in.is_none() => {
            Ok(flows::login(state.sessions(), &body.username, password).await?)
        }
        (Some(_), _) => Err(ApiError::invalid_property("password", "give a password or OAuth2 tokens, not both")),
        (None, _) => {
            let mechanism = match body.mechanism {
                Some(LoginMechanism::Oauthbearer) => OAuthMechanism::OAuthBearer,
                _ => OAuthMechanism::XOAuth2,
            };
            let req = oauth_flows::OAuthLogin {
                username: &body.username,
                access_token: body.access_token.as_deref(),
                mechanism,
                expires_in: body.expires_in,
                refresh_token: body.refresh_token.as_deref(),
                provider: body.provider.as_deref(),
            };
            Ok(oauth_flows::login(state.sessions(), req).await?)
        }
    }
}

/// Exchange a refresh token for a new pair; the old refresh token is spent.
///
/// Each refresh token works once: the answer holds a new access token and a new refresh token.
/// Presenting a spent refresh token again revokes its whole family (401 `refresh-token-reused`),
/// since it means the token was stolen or replayed.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, body = Problem, content_type = "application/problem+json", description = "invalid, expired or reused token"),
))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    Ok(Json(flows::refresh(state.sessions(), &body.refresh_token).await?))
}

/// Revoke the access token and its refresh family, and close the account's IMAP connections.
///
/// The access token stops working at once on every instance that shares the database, and so does
/// the refresh token family it was issued with (or the one of the refresh token in the body). The
/// account's pooled IMAP connections are logged out.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", request_body(content = Option<LogoutRequest>), security(("bearer" = [])), responses(
    (status = 204, description = "logged out"),
))]
pub async fn logout(
    State(state): State<AppState>,
    user: AuthUser,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let body = body.map_err(|r| ApiError::invalid_body(r.status(), r.body_text()))?;
    let body = parse_logout_body(&body)?;
    flows::logout(state.sessions(), &user.claims, body.refresh_token.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The optional logout body: nothing, JSON `null` or a [`LogoutRequest`].
fn parse_logout_body(body: &[u8]) -> Result<LogoutRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(LogoutRequest::default());
    }
    let parsed: Option<LogoutRequest> =
        serde_json::from_slice(body).map_err(|e| ApiError::invalid_body(StatusCode::BAD_REQUEST, e.to_string()))?;
    Ok(parsed.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::parse_logout_body;

    #[test]
    fn logout_body_may_be_empty_null_or_an_object() {
        for empty in [&b""[..], b"  ", b"null", b"{}"] {
            assert_eq!(parse_logout_body(empty).expect("accepted").refresh_token, None);
        }
        let body = parse_logout_body(br#"{"refreshToken":"rt"}"#).expect("accepted");
        assert_eq!(body.refresh_token.as_deref(), Some("rt"));
        for bad in [&b"[]"[..], b"{\"other\":1}", b"nul"] {
            assert_eq!(parse_logout_body(bad).err().expect("refused").status.as_u16(), 400);
        }
    }
}
