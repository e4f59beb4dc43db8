//! `GET /v1/capabilities`

use axum::{Json, extract::State};

use super::{account::Account, limits};
use crate::{
    http::error::ApiError,
    state::AppState,
    views::capabilities::{Capabilities, GatewayFeatures},
};

/// What the IMAP server advertises, and which extensions the gateway uses on it.
///
/// The CAPABILITY list as the server gave it after login, and for each extension the gateway can
/// use (CONDSTORE, QRESYNC, UIDPLUS, MOVE, SORT, LITERAL+, SPECIAL-USE, …) whether it does, so that
/// a client knows which routes answer 501 on this server.
#[utoipa::path(get, path = "/v1/capabilities", tag = "server", security(("bearer" = [])), responses(
    (status = 200, body = Capabilities),
))]
pub async fn get_capabilities(State(state): State<AppState>, acct: Account) -> Result<Json<Capabilities>, ApiError> {
    let caps = acct.read(|c| async move { Ok(c.capabilities().clone()) }).await?;
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
            max_page_size: limits::PAGE_MAX,
            max_connections_per_account: state.settings.pool.per_account_max,
        },
        imap: caps.iter().cloned().collect(),
    }))
}
