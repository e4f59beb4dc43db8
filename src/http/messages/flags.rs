//! `PATCH …/messages/{uid}` (keywords and `\Deleted` by JSON merge patch, `If-Match` →
//! UNCHANGEDSINCE) and `POST …/messages/flags` (many UIDs at once).

use axum::{
    Json,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::http::rights;
use crate::{
    convert,
    http::error::ApiError,
    http::{
        account::Account,
        extract::{ApiJson, MailboxPath, MessagePath},
        found::found,
        headers::header_value,
        limits,
    },
    imap::{
        ImapError,
        encode::{Flag, MailboxName, StoreMode},
        flags::{self, FlagState, Stored},
        read::Read,
    },
    views::{
        message::{BulkFlags, BulkFlagsResult, FlagsPatch, MessageFlags, MessageImap},
        problem::Problem,
    },
};

/// A keyword from the API (`$deleted` included) as a flag to store.
pub fn flag(k: &str, field: &str) -> Result<Flag, ApiError> {
    if k.eq_ignore_ascii_case("$deleted") {
        return Ok(Flag::deleted());
    }
    Flag::keyword(k).map_err(|_| ApiError::invalid_property(field, &format!("`{k}` is not a valid keyword")))
}

fn view(s: &FlagState, uid_validity: u32) -> MessageFlags {
    let (keywords, deleted) = convert::flags::keywords(&s.flags);
    let imap = MessageImap { uid_validity, mod_seq: s.mod_seq.map(|m| m.to_string()), flags: s.flags.clone() };
    MessageFlags { uid: s.uid, keywords, deleted, imap }
}

fn precondition_failed(detail: &str) -> ApiError {
    ApiError::new(StatusCode::PRECONDITION_FAILED, "precondition-failed", "The message changed meanwhile")
        .detail(detail.to_string())
}

fn stored(read: Read<Stored>, expect: Option<u32>) -> Result<Stored, ApiError> {
    let s = found(read, StatusCode::PRECONDITION_FAILED, expect, || ApiError::bad_request("no UIDs given"))?;
    match &s.not_permanent {
        Some(f) => {
            Err(ApiError::invalid_property("keywords", &format!("{f} cannot be stored permanently in this mailbox")))
        }
        None => Ok(s),
    }
}

/// Flags the server will not keep in the mailbox (outside PERMANENTFLAGS) because the account
/// lacks the right to change them: 403 `missing-right` rather than 422.
async fn refused_flags(
    acct: &Account,
    mailbox: &MailboxName,
    needed: &str,
    found: &Read<Stored>,
) -> Result<(), ApiError> {
    if let Read::Found(s) = found
        && s.not_permanent.is_some()
        && let Some(problem) = rights::lacking(acct, mailbox, needed, None).await
    {
        return Err(problem);
    }
    Ok(())
}

fn map_store_error(e: ImapError) -> ApiError {
    match e {
        ImapError::Unsupported("CONDSTORE") => ApiError::invalid_property(
            "If-Match",
            "the IMAP server has no CONDSTORE, so conditional changes are not possible",
        ),
        other => other.into(),
    }
}

/// Parses `If-Match: "uidValidity.modSeq"` (or a `-b<limit>`/`-sanitized` variant of `GET`).
/// `*` matches any existing message (no condition). Any other value names no state of this
/// message, so the condition is false (RFC 9110 §13.1.1): 412, like a stale ETag.
fn if_match(headers: &HeaderMap) -> Result<Option<(u32, u64)>, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let v = v.to_str().unwrap_or("").trim();
    if v == "*" {
        return Ok(None);
    }
    let v = v.trim_start_matches("W/").trim_matches('"');
    // Every variant's ETag names the same message state.
    let v = v.split_once('-').map_or(v, |(state, _)| state);
    let parsed = v.split_once('.').and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
    parsed.map(Some).ok_or_else(|| {
        precondition_failed("If-Match names no state of this message (its ETags are \"uidValidity.modSeq\")")
    })
}

/// Change keywords and `\Deleted` of one message.
///
/// `If-Match` makes it conditional (412 if the message changed since).
///
/// A JSON merge patch of `keywords` and `deleted`, sent as UID STORE (with UNCHANGEDSINCE under
/// `If-Match`). The answer gives the flags after the change and the new ETag.
#[utoipa::path(patch, path = "/v1/mailboxes/{mailbox}/messages/{uid}", tag = "messages", security(("bearer" = [])),
    params(
        ("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"),
        ("uid" = u32, Path, description = "Message UID"),
        ("If-Match" = Option<String>, Header, description = "ETag `\"uidValidity.modSeq\"` (needs CONDSTORE); `*` for no condition"),
    ),
    request_body(content = FlagsPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, body = MessageFlags, headers(("ETag" = String, description = "the new ETag"))),
        (status = 412, body = Problem, content_type = "application/problem+json", description = "the message changed since the ETag in If-Match, the mailbox's UIDVALIDITY is not the one in it, or If-Match is no ETag of this API"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "invalid or non-permanent keyword"),
    ))]
pub async fn patch_message(
    acct: Account,
    MessagePath { mailbox, uid }: MessagePath,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<FlagsPatch>,
) -> Result<Response, ApiError> {
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    for (k, v) in patch.keywords.iter().flatten() {
        let f = flag(k, &format!("keywords.{k}"))?;
        if *v == Some(true) { add.push(f) } else { remove.push(f) }
    }
    match patch.deleted {
        Some(true) => add.push(Flag::deleted()),
        Some(false) => remove.push(Flag::deleted()),
        None => {}
    }
    let condition = if_match(&headers)?;
    let (expect, since) = (condition.map(|c| c.0), condition.map(|c| c.1));
    let mut touched: Vec<&str> = patch.keywords.iter().flatten().map(|(k, _)| k.as_str()).collect();
    touched.extend(patch.deleted.map(|_| "$deleted"));
    let needed = rights::for_flags(touched);
    let changes = vec![(StoreMode::Add, add), (StoreMode::Remove, remove)];
    let m = &mailbox;
    let result =
        acct.write(|mut c| async move { flags::store(&mut c, m, &[uid], &changes, since, expect).await }).await;
    let found = rights::explained(&acct, &[(&mailbox, &needed)], result, map_store_error).await?;
    refused_flags(&acct, &mailbox, &needed, &found).await?;
    let s = stored(found, expect)?;
    if s.modified.contains(&uid) {
        return Err(precondition_failed("the message was modified since the ETag in If-Match"));
    }
    let item = s.items.iter().find(|i| i.uid == uid).ok_or_else(|| ApiError::message_not_found(uid))?;
    let body = view(item, s.uid_validity);
    let mut out = HeaderMap::new();
    if let Some(m) = &body.imap.mod_seq {
        out.insert(header::ETAG, header_value(&format!("\"{}.{m}\"", s.uid_validity)));
    }
    Ok((out, Json(body)).into_response())
}

/// Add, remove or set keywords on up to 1,000 messages.
///
/// UID STORE of keywords on up to 1,000 UIDs: `add` and `remove`, or `set` to replace them all.
/// With `ifUnchangedSince` (CONDSTORE) a message changed since that MODSEQ is left alone and listed
/// as `modified`.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/messages/flags", tag = "messages", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    request_body = BulkFlags,
    responses(
        (status = 200, body = BulkFlagsResult),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "invalid or non-permanent keyword, or ifUnchangedSince is not a MODSEQ, or no CONDSTORE for it"),
    ))]
pub async fn bulk_flags(
    acct: Account,
    MailboxPath(mailbox): MailboxPath,
    ApiJson(req): ApiJson<BulkFlags>,
) -> Result<Json<BulkFlagsResult>, ApiError> {
    limits::check_uids(&req.uids)?;
    if req.set.is_some() && (!req.add.is_empty() || !req.remove.is_empty()) {
        return Err(ApiError::bad_request("use either set, or add/remove"));
    }
    let parse = |list: &[String], field: &str| list.iter().map(|k| flag(k, field)).collect::<Result<Vec<_>, _>>();
    let changes = match &req.set {
        Some(set) => vec![(StoreMode::Replace, parse(set, "set")?)],
        None => vec![(StoreMode::Add, parse(&req.add, "add")?), (StoreMode::Remove, parse(&req.remove, "remove")?)],
    };
    let since = match req.if_unchanged_since.as_deref() {
        None => None,
        Some(m) => {
            Some(m.parse::<u64>().map_err(|_| ApiError::invalid_property("ifUnchangedSince", "must be a MODSEQ"))?)
        }
    };
    let uids = &req.uids;
    let listed = req.set.iter().flatten().chain(&req.add).chain(&req.remove).map(String::as_str);
    // Replacing every flag may clear any of them.
    let needed = if req.set.is_some() { "wst".to_string() } else { rights::for_flags(listed) };
    let m = &mailbox;
    let result = acct.write(|mut c| async move { flags::store(&mut c, m, uids, &changes, since, None).await }).await;
    let found = rights::explained(&acct, &[(&mailbox, &needed)], result, map_store_error).await?;
    refused_flags(&acct, &mailbox, &needed, &found).await?;
    let s = stored(found, None)?;
    let present: std::collections::HashSet<u32> = s.items.iter().map(|i| i.uid).collect();
    let mut not_found: Vec<u32> = req.uids.iter().copied().filter(|u| !present.contains(u)).collect();
    not_found.sort_unstable();
    not_found.dedup();
    let updated = s.items.iter().filter(|i| !s.modified.contains(&i.uid)).map(|i| view(i, s.uid_validity)).collect();
    Ok(Json(BulkFlagsResult { updated, modified: s.modified, not_found }))
}
