//! Extractors: the bearer-token account, and JSON/query bodies whose rejections are problems.

use axum::{
    extract::{FromRequest, FromRequestParts, Path, Query, Request},
    http::{header, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::{auth::jwt::Claims, error::ApiError, state::AppState};

/// The account a valid, unrevoked access token names.
#[derive(Debug)]
pub struct AuthUser {
    /// Verified claims; `sub` is the account id.
    pub claims: Claims,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("missing Authorization header"))?
            .to_str()
            .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
        let (scheme, token) =
            value.split_once(' ').ok_or_else(|| ApiError::unauthorized("expected `Bearer <token>`"))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::unauthorized("expected `Bearer <token>`"));
        }
        let claims = state.auth.jwt.verify(token.trim()).map_err(|e| ApiError::unauthorized(e.to_string()))?;
        if state.store.access_revoked(&claims.jti, &claims.fid).await? {
            return Err(ApiError::unauthorized("the token has been revoked"));
        }
        Ok(Self { claims })
    }
}

/// `Json<T>` whose rejection is a 400 problem.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
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
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}
