//! Streaming a message section to an HTTP body in 1 MiB partial fetches, decoded on the fly,
//! so that memory stays constant whatever the size.

use axum::body::Body;
use bytes::Bytes;

use crate::{
    convert::stream::StreamDecoder,
    imap::{ImapError, encode::Section, message, pool::Pooled},
};

/// Bytes per partial fetch.
pub const CHUNK: u32 = 1024 * 1024;

/// How long a client may leave a chunk unread before the download is abandoned.
pub const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Bytes to ask for at `offset` when the download ends at `end` (None: the section's end).
fn want_at(end: Option<u64>, offset: u64) -> u32 {
    end.map_or(u64::from(CHUNK), |e| e.saturating_sub(offset).min(u64::from(CHUNK))) as u32
}

/// Reads the first chunk of `section` from `start` before the response is committed, so that a
/// message expunged since its size was read answers 404 rather than a cut 200 (an empty chunk).
/// None when there is nothing to read (`limit` 0).
pub async fn first_chunk(
    conn: &mut Pooled,
    uid: u32,
    section: &Section,
    start: u64,
    limit: Option<u64>,
) -> Result<Option<Vec<u8>>, ImapError> {
    let want = want_at(limit.map(|l| start + l), start);
    if want == 0 {
        return Ok(None);
    }
    Ok(Some(message::chunk(conn, uid, section, start, want).await?))
}

/// Streams `section` of `uid` from `start`, at most `limit` encoded bytes (to the end when
/// None), through `decoder`, beginning with `first` (from [`first_chunk`]). The connection
/// (with the mailbox selected) is held until the end; a client that goes away stops the loop
/// between two complete commands, so the connection goes back to the pool clean. An IMAP error
/// ends the body with an error.
pub fn body(
    mut conn: Pooled,
    uid: u32,
    section: Section,
    start: u64,
    limit: Option<u64>,
    mut decoder: StreamDecoder,
    mut first: Option<Vec<u8>>,
) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, ImapError>>(2);
    tokio::spawn(async move {
        let end = limit.map(|l| start + l);
        let mut offset = start;
        loop {
            let want = want_at(end, offset);
            if want == 0 {
                let _ = tx.send(Ok(Bytes::from(decoder.finish()))).await;
                break;
            }
            let fetched = match first.take() {
                Some(bytes) => Ok(bytes),
                None => message::chunk(&mut conn, uid, &section, offset, want).await,
            };
            let (item, done) = match fetched {
                Ok(bytes) => {
                    offset += bytes.len() as u64;
                    let short = bytes.len() < want as usize;
                    if short && end.is_some_and(|e| offset < e) {
                        // Fewer bytes than promised (expunged meanwhile, or a wrong size): end the
                        // body with an error rather than pass a cut file off as complete.
                        (Err(ImapError::Protocol("the message ended before its announced size".into())), true)
                    } else {
                        let last = short || end.is_some_and(|e| offset >= e);
                        let mut out = decoder.push(&bytes);
                        if last {
                            out.extend(decoder.finish());
                        }
                        (Ok(Bytes::from(out)), last)
                    }
                }
                Err(e) => (Err(e), true),
            };
            if let Err(e) = &item {
                tracing::warn!(uid, offset, error = %e, "download cut short: the body ends with an error");
            }
            // A reader that stops reading must not hold the account's connection for ever.
            let sent = tokio::time::timeout(SEND_TIMEOUT, tx.send(item)).await;
            if !matches!(sent, Ok(Ok(()))) || done {
                break;
            }
        }
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }))
}
