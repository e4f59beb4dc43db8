//! `GET /v1/mailboxes/{mailbox}/changes`: what changed since a state token.

use axum::{Json, extract::State, http::StatusCode};

use super::extract::{ApiPath, ApiQuery, AuthUser};
use crate::{
    convert,
    error::ApiError,
    imap::{
        changes::{self, Outcome, SCAN_LIMIT},
        encode::MailboxName,
        run,
    },
    state::AppState,
    sync::{
        delta::{self, DeltaError, Next},
        token::{self, ModState, ScanState, Since},
    },
    views::{
        changes::{Changes, ChangesQuery, UpdatedMessage},
        problem::Problem,
    },
};

/// Default and largest `maxChanges`.
const DEFAULT_MAX: u32 = 1000;
const LIMIT_MAX: u32 = 10_000;

/// Created, updated and destroyed UIDs since `since`, by QRESYNC, CONDSTORE or a scan.
#[utoipa::path(get, path = "/v1/mailboxes/{mailbox}/changes", tag = "sync", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"), ChangesQuery),
    responses(
        (status = 200, body = Changes),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "bad token or UID set"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "deletions cannot be listed without knownUids"),
        (status = 410, body = Problem, content_type = "application/problem+json", description = "UIDVALIDITY changed or the scan snapshot is gone: resync"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "`too-many-changes`: a scan of a mailbox over 100,000 messages, or over 1,000,000 expunged UIDs; resync"),
        (status = 502, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_changes(
    State(st): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<ChangesQuery>,
) -> Result<Json<Changes>, ApiError> {
    let mailbox = MailboxName::parse(&name)?;
    let since = token::parse(&q.since)
        .ok_or_else(|| ApiError::bad_request("since: not a state token issued by this gateway (ms1. or sc1.)"))?;
    let max = q.max_changes.unwrap_or(DEFAULT_MAX);
    if !(1..=LIMIT_MAX).contains(&max) {
        return Err(ApiError::bad_request("maxChanges: must be between 1 and 10000"));
    }
    let account = user.claims.sub.clone();
    let snapshot = match since {
        Since::Scan(s) => Some(st.snapshots.get(&account, mailbox.as_str(), s.id).ok_or_else(snapshot_gone)?),
        Since::Mod(_) => None,
    };
    // An sc1. token continues from its snapshot; an ms1. token from its own numbers.
    let old = match (since, &snapshot) {
        (Since::Mod(m), _) => m,
        (Since::Scan(s), Some(snap)) => {
            ModState { uid_validity: s.uid_validity, mod_seq: 0, uid_next: snap.uid_next, exists: 0, after_uid: 0 }
        }
        (Since::Scan(_), None) => return Err(snapshot_gone()),
    };
    // Known UIDs are not clipped at the old UIDNEXT: after a page cut the client may hold
    // messages created since, whose deletion must be reported.
    let known = q.known_uids.as_deref().map(|k| parse_uids(k, u32::MAX)).transpose()?;
    let req = changes::Request {
        mod_seq: old.mod_seq,
        after_uid: old.after_uid,
        uid_next: old.uid_next,
        known,
        scan_limit: SCAN_LIMIT,
        collect_max: st.settings.imap.changes_collect_max,
    };
    let pool = st.pool_for(&account).await?;
    let outcome = run::read(&pool, |c| {
        let (m, req) = (mailbox.clone(), req.clone());
        Box::pin(async move { changes::since(c, &m, old.uid_validity, &req).await })
    })
    .await?;
    let facts = match outcome {
        Outcome::Facts(f) => f,
        Outcome::Stale { current } => {
            return Err(ApiError::uid_validity_changed(StatusCode::GONE, old.uid_validity, current));
        }
        Outcome::TooLarge { exists, vanished } => {
            let detail = if vanished {
                format!("over {} messages were expunged since this state; resync instead", changes::MAX_GONE)
            } else {
                format!(
                    "{exists} messages: the server offers no CONDSTORE and a scan reads at most {SCAN_LIMIT}; resync instead"
                )
            };
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too-many-changes",
                "Too many changes to compute",
            )
            .detail(detail));
        }
    };
    let d = delta::compute(&old, snapshot.as_deref(), &facts, max as usize).map_err(|e| match e {
        DeltaError::NeedKnownUids { missing } => {
            ApiError::new(StatusCode::CONFLICT, "known-uids-required", "Deletions cannot be listed").detail(format!(
                "{missing} message(s) were expunged and the server offers no QRESYNC; send knownUids, or resync"
            ))
        }
    })?;
    let new_state = match d.next {
        Next::Mod(m) => token::mod_token(m),
        Next::Scan(snap) => {
            let uid_validity = snap.uid_validity;
            let id = st.snapshots.insert(&account, mailbox.as_str(), snap);
            token::scan_token(ScanState { uid_validity, id })
        }
    };
    let updated = d
        .updated
        .into_iter()
        .map(|c| {
            let (keywords, deleted) = convert::flags::keywords(&c.flags);
            UpdatedMessage { uid: c.uid, keywords, deleted, mod_seq: c.mod_seq.map(|m| m.to_string()) }
        })
        .collect();
    Ok(Json(Changes {
        mailbox: mailbox.as_str().to_string(),
        old_state: q.since,
        new_state,
        has_more_changes: d.has_more,
        created: d.created,
        updated,
        destroyed: d.destroyed,
        sync_method: facts.method.as_str().into(),
    }))
}

fn snapshot_gone() -> ApiError {
    ApiError::new(StatusCode::GONE, "cannot-calculate-changes", "The state is no longer known")
        .detail("this scan state expired or was issued by another instance; resync from a mailbox state")
}

/// A UID set (`1:40,52`) as sorted UIDs below `uid_next`; ranges are clipped before they
/// are expanded, and the total is capped.
fn parse_uids(set: &str, uid_next: u32) -> Result<Vec<u32>, ApiError> {
    let bad = || ApiError::bad_request("knownUids: must be a UID set such as 1:40,52");
    if set.len() > 65_536 {
        return Err(bad());
    }
    let top = uid_next.saturating_sub(1);
    let mut out = Vec::new();
    for item in set.split(',') {
        let (a, b) = item.split_once(':').unwrap_or((item, item));
        let number = |s: &str| s.parse::<u32>().ok().filter(|&n| n > 0 && !s.starts_with('+'));
        let (a, b) = (number(a).ok_or_else(bad)?, number(b).ok_or_else(bad)?);
        let (lo, hi) = (a.min(b), a.max(b).min(top));
        if lo <= hi {
            if out.len() + (hi - lo) as usize >= changes::MAX_GONE {
                return Err(ApiError::bad_request("knownUids: too many UIDs"));
            }
            out.extend(lo..=hi);
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_uids_are_clipped_to_the_old_uidnext() {
        assert_eq!(parse_uids("5,1:3,3,40:38", 40).expect("valid"), [1, 2, 3, 5, 38, 39]);
        assert_eq!(parse_uids("1:4294967295", 4).expect("valid"), [1, 2, 3]);
        assert!(parse_uids("1:4294967295", u32::MAX).is_err(), "too many to expand");
        for bad in ["", "0", "1:*", "a", "1,,2", "+1", "1:2:3"] {
            assert!(parse_uids(bad, 10).is_err(), "{bad}");
        }
    }
}
