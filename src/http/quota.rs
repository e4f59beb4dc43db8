//! `GET /v1/quota`

use axum::Json;

use super::account::Account;
use crate::{
    http::error::ApiError,
    imap::quota,
    views::{problem::Problem, quota::Quota},
};

/// The account's quota: every quota root of INBOX (GETQUOTAROOT), with usage and limits.
///
/// GETQUOTAROOT INBOX: each quota root with its resources as the server names them (`STORAGE` in
/// KiB, `MESSAGE` in messages), usage and limit; 501 without QUOTA.
#[utoipa::path(get, path = "/v1/quota", tag = "server", security(("bearer" = [])), responses(
    (status = 200, body = Quota),
    (status = 501, body = Problem, content_type = "application/problem+json", description = "the server has no QUOTA"),
))]
pub async fn get_quota(acct: Account) -> Result<Json<Quota>, ApiError> {
    let roots = acct.read(|mut c| async move { quota::roots(&mut c).await }).await?;
    Ok(Json(Quota { roots }))
}
