//! Login, refresh and logout bodies.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/auth/login`: a password, or OAuth2 tokens (an access token, a refresh token with
/// its provider, or both).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    /// IMAP user name.
    #[schema(example = "alice")]
    pub username: String,
    /// IMAP password; checked with a real IMAP login, stored encrypted. Not with the OAuth2
    /// fields.
    #[schema(example = "alice-pass", format = Password)]
    pub password: Option<String>,
    /// OAuth2 access token, sent with XOAUTH2 or OAUTHBEARER; checked with a real AUTHENTICATE
    /// and stored encrypted only until it expires. No password is needed or stored.
    #[schema(format = Password)]
    pub access_token: Option<String>,
    /// SASL mechanism for the access token (default `XOAUTH2`).
    pub mechanism: Option<LoginMechanism>,
    /// Seconds until the access token expires, as the provider said (default: the token's
    /// JWT `exp`, else one hour).
    #[schema(minimum = 1)]
    pub expires_in: Option<u64>,
    /// OAuth2 refresh token of `provider`: the gateway renews the access token with it about
    /// five minutes before it expires. Stored encrypted; without `accessToken`, the first
    /// access token comes from it at once.
    #[schema(format = Password)]
    pub refresh_token: Option<String>,
    /// The OAuth2 provider of `refreshToken`, by its name in the gateway's configuration.
    pub provider: Option<String>,
}

/// The SASL mechanism that carries an OAuth2 access token.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema, PartialEq, Eq)]
pub enum LoginMechanism {
    /// Google's XOAUTH2 (also Microsoft 365 and most providers).
    #[serde(rename = "XOAUTH2")]
    Xoauth2,
    /// OAUTHBEARER (RFC 7628).
    #[serde(rename = "OAUTHBEARER")]
    Oauthbearer,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest").finish_non_exhaustive()
    }
}

/// `POST /v1/auth/refresh`
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh; it is spent by this call.
    pub refresh_token: String,
}

/// `POST /v1/auth/logout` (the body is optional)
#[derive(Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogoutRequest {
    /// A refresh token whose family should be revoked as well.
    pub refresh_token: Option<String>,
}

/// Tokens issued by login and refresh.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 600)]
    pub expires_in: i64,
    /// Opaque single-use token for `POST /v1/auth/refresh`.
    pub refresh_token: String,
}
