//! `Idempotency-Key` for writes that must not happen twice (APPEND, copy, move): the first
//! result is stored and replayed for the same key; a key reused for a different request is 422,
//! and a key whose first request is still running is 409. A send whose answer never came
//! (504) is kept like a result, so a retry with its key cannot send twice. A key whose request was dropped
//! before it finished (the request deadline, a client gone) is released, so a retry runs.

use std::future::Future;

use axum::{
    Json,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use ring::digest;
use utoipa::IntoParams;

use super::headers::header_value;
use crate::{http::error::ApiError, state::AppState};

/// A write's result, as it is sent and stored.
#[derive(Debug)]
pub struct Outcome {
    /// Status.
    pub status: StatusCode,
    /// `Location`, if any.
    pub location: Option<String>,
    /// JSON body.
    pub body: serde_json::Value,
}

impl Outcome {
    /// The response of a request that ran without an `Idempotency-Key`.
    pub fn into_response(self) -> Response {
        Self::respond(self.status, self.location.as_deref(), self.body, false)
    }

    fn respond(status: StatusCode, location: Option<&str>, body: serde_json::Value, replayed: bool) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(l) = location {
            headers.insert(header::LOCATION, header_value(l));
        }
        if replayed {
            headers.insert("idempotency-replayed", header_value("true"));
        }
        let mut resp = (status, headers, Json(body)).into_response();
        if status.is_client_error() || status.is_server_error() {
            // a kept problem (a send whose answer never came) replays as what it was
            resp.headers_mut().insert(header::CONTENT_TYPE, header_value("application/problem+json"));
        }
        resp
    }
}

/// A hash naming a request: route, target and body.
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for p in parts {
        ctx.update(&(p.len() as u64).to_be_bytes());
        ctx.update(p);
    }
    ctx.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Idempotency-Key` request header, as the OpenAPI document declares it on each route that
/// honours it.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// Runs the request at most once per key (per account, for 24 hours): a retry with the same
    /// key and the same request gets the first answer again (`Idempotency-Replayed: true`), one
    /// with another request 422, one while the first still runs 409.
    #[param(rename = "Idempotency-Key", pattern = "^[!-~]{1,255}$")]
    pub key: Option<String>,
}

impl IdempotencyKey {
    /// The key of a request, if it has one: 1 to 255 visible ASCII characters (else 400).
    pub fn read(headers: &HeaderMap) -> Result<Self, ApiError> {
        let Some(key) = headers.get("idempotency-key") else { return Ok(Self { key: None }) };
        let key = key
            .to_str()
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..0x7f).contains(&b)));
        let key = key.ok_or_else(|| ApiError::bad_request("Idempotency-Key must be 1-255 visible ASCII characters"))?;
        Ok(Self { key: Some(key.to_string()) })
    }
}

/// Runs `work` at most once per `Idempotency-Key` of this account.
pub async fn once<F, Fut>(
    state: &AppState,
    account: &str,
    headers: &HeaderMap,
    fingerprint: String,
    work: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Outcome, ApiError>>,
{
    let Some(key) = IdempotencyKey::read(headers)?.key else {
        let o = work().await?;
        return Ok(Outcome::respond(o.status, o.location.as_deref(), o.body, false));
    };
    let key = key.as_str();
    match state.store.claim_idempotency_key(account, key, &fingerprint).await? {
        None => {
            let mut claim = Claim {
                state: state.clone(),
                account: account.to_string(),
                key: key.to_string(),
                held: true,
                done: None,
            };
            let result = work().await;
            // From here on a drop (the deadline) finishes what this request was doing: it
            // records the result it got, or releases the key, never leaves it claimed.
            match result {
                Ok(o) => {
                    let (status, body) = (i64::from(o.status.as_u16()), o.body.to_string());
                    claim.done = Some((status, o.location.clone(), body.clone()));
                    state.store.complete_idempotency_key(account, key, status, o.location.as_deref(), &body).await?;
                    claim.held = false;
                    Ok(Outcome::respond(o.status, o.location.as_deref(), o.body, false))
                }
                Err(e) if e.settles_key => {
                    // The write may have happened: keep this answer, so a retry replays it
                    // instead of doing the write again.
                    let status = e.status;
                    let bytes = axum::body::to_bytes(e.into_response().into_body(), 64 * 1024)
                        .await
                        .map_err(ApiError::internal)?;
                    let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
                    let text = body.to_string();
                    claim.done = Some((i64::from(status.as_u16()), None, text.clone()));
                    state.store.complete_idempotency_key(account, key, i64::from(status.as_u16()), None, &text).await?;
                    claim.held = false;
                    Ok(Outcome::respond(status, None, body, false))
                }
                Err(e) => {
                    state.store.release_idempotency_key(account, key).await?;
                    claim.held = false;
                    Err(e)
                }
            }
        }
        Some(saved) if saved.fingerprint != fingerprint => {
            Err(ApiError::invalid_property("Idempotency-Key", "this key was used for a different request"))
        }
        Some(saved) if saved.status == 0 => Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency-key-in-use",
            "The first request with this key is still running",
        )
        .retry_after(1)),
        Some(saved) => {
            let status = StatusCode::from_u16(saved.status as u16).unwrap_or(StatusCode::OK);
            let body = serde_json::from_str(&saved.body).unwrap_or(serde_json::Value::Null);
            Ok(Outcome::respond(status, saved.location.as_deref(), body, true))
        }
    }
}

/// A claimed key whose request has not finished. Dropped while still held (the request
/// deadline or a disconnect dropped the handler), it releases the key in the background, or
/// records the result if the work had finished (a retry then replays it: nothing runs twice).
struct Claim {
    state: AppState,
    account: String,
    key: String,
    held: bool,
    /// The finished work's status, location and body.
    done: Option<(i64, Option<String>, String)>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        let (state, account, key) =
            (self.state.clone(), std::mem::take(&mut self.account), std::mem::take(&mut self.key));
        let done = self.done.take();
        tokio::spawn(async move {
            let finished = match &done {
                Some((status, location, body)) => {
                    state.store.complete_idempotency_key(&account, &key, *status, location.as_deref(), body).await
                }
                None => state.store.release_idempotency_key(&account, &key).await,
            };
            if let Err(e) = finished {
                tracing::warn!(error = %e, "cannot settle an abandoned idempotency key");
            }
        });
    }
}
