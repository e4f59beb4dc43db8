//! `GET /v1/events`: Server-Sent Events for the caller's account, fed by its watcher.

use std::{convert::Infallible, sync::Arc, time::Duration};

use axum::{
    extract::State,
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use futures_util::{Stream, StreamExt as _, stream};
use tokio::sync::broadcast::error::RecvError;

use super::{
    event_tickets::{self, Watch},
    extract::ApiQuery,
};
use crate::{
    http::error::ApiError,
    state::AppState,
    sync::events::{Feed, Stamped, StreamWants, SubscriberGuard},
    views::{
        events::{EventsQuery, StreamEventData},
        problem::Problem,
    },
};

/// How long a new stream waits for the watcher's baseline before it starts anyway.
const READY_WAIT: Duration = Duration::from_secs(10);

/// Live changes of the watched mailboxes as Server-Sent Events.
///
/// Events: `message.created`, `message.updated`, `message.deleted`, `mailbox.changed` (data:
/// `EventData`), `ready` once the watcher follows the mailboxes, and `resync` when
/// `Last-Event-ID` is older than the replay buffer (or events were dropped for a slow reader).
/// Comments keep the stream alive. The stream ends when the access token expires or its
/// session is revoked (logout, or a login with a changed password, on any instance); reconnect
/// with a fresh token and `Last-Event-ID`. An account may hold `events.max_streams_per_account`
/// streams, which follow at most `events.max_mailboxes` mailboxes together. A browser's
/// `EventSource`, which cannot send `Authorization`, opens the stream with a single-use
/// `ticket` from `POST /v1/events/ticket` instead.
#[utoipa::path(get, path = "/v1/events", tag = "sync", security(("bearer" = []), ("eventTicket" = [])),
    params(EventsQuery, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event")),
    responses(
        (status = 200, content_type = "text/event-stream", body = StreamEventData, description = "the event stream: one `ServerSentEvent` after another"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "a mailbox does not exist"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "a mailbox name is too long (`mailbox-name-too-long`) or refused by the IMAP server, or the account's open streams would follow more than `events.max_mailboxes` mailboxes together (`too-many-watched-mailboxes`)"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "the account has `events.max_streams_per_account` streams open (`too-many-streams`)"),
    ))]
pub async fn events(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<EventsQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Watch { account: acct, mailboxes, last_event_id: last } = event_tickets::caller(&st, &q, &headers).await?;
    let account = acct.id().to_string();
    let wanted: Vec<String> = mailboxes.iter().map(|m| m.as_str().to_string()).collect();
    let (feed, wants) = st.follower.follow_stream(&account, &wanted).await?;
    let sub = feed.subscribe(last.as_deref());
    let ready = feed.wait_watching(&wanted, READY_WAIT).await;
    let mut opening = vec![Event::default().event("ready").data(format!("{{\"watching\":{ready}}}"))];
    match sub.replay {
        Some(replay) => opening.extend(replay.iter().filter(|e| wanted.contains(&e.event.mailbox)).map(|e| to_sse(e))),
        None if last.is_some() => opening.push(resync("Last-Event-ID is older than the replay buffer")),
        None => {}
    }
    let remaining = u64::try_from(acct.claims().exp - chrono::Utc::now().timestamp()).unwrap_or(0);
    let live = Live {
        feed,
        rx: sub.live,
        _guard: sub.guard,
        _wants: wants,
        wanted,
        until: tokio::time::Instant::now() + Duration::from_secs(remaining),
        revocation: Revocation {
            store: st.store.clone(),
            jti: acct.claims().jti.clone(),
            fid: acct.claims().fid.clone(),
            every: Duration::from_secs(st.settings.events.heartbeat_secs.max(1)),
            next: tokio::time::Instant::now() + Duration::from_secs(st.settings.events.heartbeat_secs.max(1)),
        },
    };
    let live = stream::unfold(live, |mut l| async move { l.next().await.map(|e| (Ok(e), l)) });
    let stream = stream::iter(opening.into_iter().map(Ok)).chain(live);
    let beat = Duration::from_secs(st.settings.events.heartbeat_secs.max(1));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(beat).text("heartbeat")))
}

/// The live part of one stream; dropping it (client gone) releases the subscriber.
struct Live {
    feed: Arc<Feed>,
    rx: tokio::sync::broadcast::Receiver<Arc<Stamped>>,
    _guard: SubscriberGuard,
    _wants: StreamWants,
    wanted: Vec<String>,
    until: tokio::time::Instant,
    revocation: Revocation,
}

/// What a stream checks every heartbeat: its token revoked (a logout or a password change on
/// any instance) ends it.
struct Revocation {
    store: crate::store::Store,
    jti: String,
    fid: String,
    every: Duration,
    next: tokio::time::Instant,
}

impl Revocation {
    /// Resolves when the token is found revoked at one of the checks, `every` apart.
    async fn revoked(&mut self) {
        if self.jti.is_empty() && self.fid.is_empty() {
            return std::future::pending().await;
        }
        loop {
            // cancelled while asleep (an event came first), the next call sleeps to the same time
            tokio::time::sleep_until(self.next).await;
            self.next = tokio::time::Instant::now() + self.every;
            if self.store.access_revoked(&self.jti, &self.fid).await.unwrap_or(false) {
                return;
            }
        }
    }
}

impl Live {
    async fn next(&mut self) -> Option<Event> {
        loop {
            tokio::select! {
                r = self.rx.recv() => match r {
                    Ok(e) if self.wanted.contains(&e.event.mailbox) => return Some(to_sse(&e)),
                    Ok(_) => {}
                    Err(RecvError::Lagged(n)) => return Some(resync(&format!("{n} events were dropped for this slow reader"))),
                    Err(RecvError::Closed) => return None,
                },
                _ = self.feed.until_stopped() => return None,
                _ = tokio::time::sleep_until(self.until) => return None,
                _ = self.revocation.revoked() => return None,
            }
        }
    }
}

fn to_sse(e: &Stamped) -> Event {
    let data = serde_json::to_string(&e.event).unwrap_or_else(|_| "{}".into());
    Event::default().id(e.id.clone()).event(e.event.kind.clone()).data(data)
}

fn resync(reason: &str) -> Event {
    Event::default().event("resync").data(serde_json::json!({ "reason": reason }).to_string())
}
