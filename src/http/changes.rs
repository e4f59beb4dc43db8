//! `GET /v1/mailboxes/{mailbox}/changes`: what changed since a state token.

use axum::{Json, extract::State, http::StatusCode};

use super::{
    account::Account,
    extract::{ApiQuery, MailboxPath},
    limits::{CHANGES_DEFAULT, CHANGES_MAX},
};
use crate::{
    http::error::ApiError,
    imap::changes::{self, SCAN_LIMIT},
    state::AppState,
    sync::{
        changes::{ChangesError, answer, plan},
        token,
    },
    views::{
        changes::{Changes, ChangesQuery},
        problem::Problem,
    },
};

/// Created, updated and destroyed UIDs since `since`, by QRESYNC, CONDSTORE or a scan.
///
/// What changed since a `state` token from this API: created and updated UIDs (with their flags)
/// and destroyed UIDs, paged by `maxChanges`. QRESYNC and CONDSTORE servers answer from MODSEQ;
/// others by comparing a scan with a snapshot. 410 when the mailbox was recreated (new
/// UIDVALIDITY): start over.
#[utoipa::path(get, path = "/v1/mailboxes/{mailbox}/changes", tag = "sync", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"), ChangesQuery),
    responses(
        (status = 200, body = Changes),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "bad token, maxChanges or UID set"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "deletions cannot be listed without knownUids"),
        (status = 410, body = Problem, content_type = "application/problem+json", description = "UIDVALIDITY changed or the scan snapshot is gone: resync"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "`too-many-changes`: a scan of a mailbox over 100,000 messages, or over 1,000,000 expunged UIDs; resync"),
    ))]
pub async fn get_changes(
    State(st): State<AppState>,
    acct: Account,
    ApiQuery(q): ApiQuery<ChangesQuery>,
    MailboxPath(mailbox): MailboxPath,
) -> Result<Json<Changes>, ApiError> {
    let since = token::parse(&q.since)
        .ok_or_else(|| ApiError::bad_request("since: not a state token issued by this gateway (ms1. or sc1.)"))?;
    let max = q.max_changes.unwrap_or(CHANGES_DEFAULT);
    if !(1..=CHANGES_MAX).contains(&max) {
        return Err(ApiError::bad_request(format!("maxChanges: must be between 1 and {CHANGES_MAX}")));
    }
    let (account, name) = (acct.id(), mailbox.as_str());
    let collect_max = st.settings.imap.changes_collect_max;
    let plan = plan(&st.snapshots, account, name, since, q.known_uids.as_deref(), collect_max).map_err(problem)?;
    let (m, uid_validity, req) = (&mailbox, plan.uid_validity(), &plan.request);
    let outcome = acct.read(|mut c| async move { changes::since(&mut c, m, uid_validity, req).await }).await?;
    let view = answer(plan, outcome, max as usize, &st.snapshots, account, name, q.since).map_err(problem)?;
    Ok(Json(view))
}

/// The problem of each reason `/changes` gives no answer.
fn problem(e: ChangesError) -> ApiError {
    match e {
        ChangesError::SnapshotGone => {
            ApiError::new(StatusCode::GONE, "cannot-calculate-changes", "The state is no longer known")
                .detail("this scan state expired or was issued by another instance; resync from a mailbox state")
        }
        ChangesError::Stale { known, current } => ApiError::uid_validity_changed(StatusCode::GONE, known, current),
        ChangesError::TooMany { exists, vanished } => {
            let detail = if vanished {
                format!("over {} messages were expunged since this state; resync instead", changes::MAX_GONE)
            } else {
                format!(
                    "{exists} messages: the server offers no CONDSTORE and a scan reads at most {SCAN_LIMIT}; resync instead"
                )
            };
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "too-many-changes", "Too many changes to compute")
                .detail(detail)
        }
        ChangesError::KnownUids { too_many: false } => {
            ApiError::bad_request("knownUids: must be a UID set such as 1:40,52")
        }
        ChangesError::KnownUids { too_many: true } => ApiError::bad_request("knownUids: too many UIDs"),
        ChangesError::NeedKnownUids { missing } => {
            ApiError::new(StatusCode::CONFLICT, "known-uids-required", "Deletions cannot be listed").detail(format!(
                "{missing} message(s) were expunged and the server offers no QRESYNC; send knownUids, or resync"
            ))
        }
    }
}
