//! Liveness and readiness bodies.

use serde::Serialize;
use utoipa::ToSchema;

/// `GET /healthz` and `GET /readyz`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok`, or what is not ready.
    #[schema(example = "ok")]
    pub status: String,
}
