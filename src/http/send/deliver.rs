//! Sending a built message: the rate limit, one submission with the account's credentials,
//! then (only once the server accepted it) the Sent copy with `\Seen` and the marks on the
//! original. Failures after the submission are logged and leave the send counted: a send is
//! never undone or repeated.

use axum::http::StatusCode;

use super::letter::Built;
use crate::{
    compose::strip,
    http::{account::Account, error::ApiError},
    imap::{
        encode::{Flag, MailboxName, StoreMode},
        flags, roles, transfer,
    },
    smtp::SmtpError,
    state::AppState,
    store::sends::Reservation,
    views::compose::{SendResult, StoredCopy},
};

/// Appends `bytes` with `flags` to `known`, or else to the mailbox with `role` (one LIST);
/// `None` when there is no such mailbox.
pub async fn store_copy(
    acct: &Account,
    (role, known): (&'static str, Option<&MailboxName>),
    bytes: &[u8],
    flags: &[Flag],
) -> Result<Option<StoredCopy>, ApiError> {
    let data = bytes::Bytes::copy_from_slice(bytes);
    let done = acct
        .write(|mut c| async move {
            let target = match known {
                Some(m) => m.clone(),
                None => match roles::find(&mut c, role).await? {
                    Some(m) => m,
                    None => return Ok(None),
                },
            };
            let len = data.len();
            let stream = futures_util::stream::iter([Ok(data)]);
            let a = transfer::append(&mut c, &target, flags, None, len, stream).await?;
            Ok(Some(StoredCopy { mailbox: target.as_str().to_string(), uid: a.uid, uid_validity: a.uid_validity }))
        })
        .await?;
    Ok(done)
}

async fn mark(acct: &Account, target: &Option<(MailboxName, u32)>, keyword: Flag) {
    let Some((mailbox, uid)) = target else { return };
    let changes = [(StoreMode::Add, vec![keyword])];
    let changes = &changes;
    let done =
        acct.write(|mut c| async move { flags::store(&mut c, mailbox, &[*uid], changes, None, None).await }).await;
    if let Err(e) = done {
        tracing::warn!(error = ?ApiError::from(e).slug, "the original could not be marked after a send");
    }
}

/// Submits `built` as the account and saves the Sent copy (unless `save`is false).
pub async fn send(state: &AppState, acct: &Account, built: &Built, save: bool) -> Result<SendResult, ApiError> {
    let submitter = state.mailer.as_ref().ok_or(SmtpError::NotConfigured)?;
    // the credentials first: nothing is reserved for a send that cannot log in
    let (credentials, _) = state.vault.credentials_for(acct.id()).await?;
    let per_hour = state.settings.smtp.per_hour;
    let reservation = if per_hour > 0 {
        let id = format!("{:016x}", crate::random::random_id());
        match state.store.reserve_send(acct.id(), &id, per_hour).await? {
            Reservation::Granted(id) => Some(id),
            Reservation::Refused { retry_after } => {
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "send-rate-limited",
                    "Too many messages sent",
                )
                .detail(format!("at most {per_hour} messages an hour (smtp.per_hour)"))
                .retry_after(retry_after));
            }
        }
    } else {
        None
    };
    let wire = strip::without_field(&built.bytes, "Bcc");
    let submitted = match submitter.submit(&credentials, &built.envelope, &wire).await {
        Ok(s) => s,
        Err(e) => {
            // nothing was sent unless the answer never came: then the send stays counted
            if let (Some(id), false) = (&reservation, matches!(e, SmtpError::Unconfirmed(_)))
                && let Err(release) = state.store.release_send(acct.id(), id).await
            {
                tracing::warn!(error = %release, "a send that sent nothing stays counted");
            }
            return Err(e.into());
        }
    };
    let sent = if save {
        let mut flags = vec![Flag::seen()];
        flags.extend(built.keywords.iter().cloned());
        match store_copy(acct, ("sent", None), &built.bytes, &flags).await {
            Ok(copy) => copy,
            Err(e) => {
                tracing::warn!(problem = e.slug, "the message was sent; its copy could not be saved to Sent");
                None
            }
        }
    } else {
        None
    };
    mark(acct, &built.replied, Flag::answered()).await;
    mark(acct, &built.forwarded, Flag::forwarded()).await;
    Ok(SendResult {
        message_id: built.message_id.clone(),
        accepted: submitted.accepted,
        rejected: submitted.rejected,
        sent,
    })
}
