//! `GET /v1/capabilities`

use axum::{Json, extract::State};

use super::extract::AuthUser;
use crate::{
    error::ApiError,
    imap::run,
    state::AppState,
    views::{
        capabilities::{Capabilities, GatewayFeatures},
        problem::Problem,
    },
};

/// What the IMAP server advertises, and which extensions the gateway uses on it.
#[utoipa::path(get, path = "/v1/capabilities", tag = "server", security(("bearer" = [])), responses(
    (status = 200, body = Capabilities),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 502, body = Problem, content_type = "application/problem+json"),
))]
pub async fn get_capabilities(State(state): State<AppState>, user: AuthUser) -> Result<Json<Capabilities>, ApiError> {
    let pool = state.pool_for(&user.claims.sub).await?;
    let caps = run::read(&pool, |c| Box::pin(async move { Ok(c.capabilities().clone()) })).await?;
    let has = |name: &str| caps.contains(name);
    Ok(Json(Capabilities {
        imap_version: if has("IMAP4REV2") { "IMAP4rev2" } else { "IMAP4rev1" }.into(),
        gateway: GatewayFeatures {
            list_status: has("LIST-STATUS") && has("LIST-EXTENDED"),
            special_use: has("SPECIAL-USE"),
            condstore: has("CONDSTORE"),
            literal_plus: has("LITERAL+"),
            uidplus: has("UIDPLUS"),
            r#move: has("MOVE"),
            unselect: has("UNSELECT"),
            max_page_size: 500,
            max_connections_per_account: state.settings.pool.per_account_max,
        },
        imap: caps.iter().cloned().collect(),
    }))
}
