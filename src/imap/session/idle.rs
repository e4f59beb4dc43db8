//! IDLE (RFC 2177) on the raw path: wait for server data, a deadline or a stop signal, then
//! DONE and the tagged completion. The in-flight flag covers the whole exchange.

use std::time::Duration;

use async_imap::imap_proto::{Response, Status};
use tokio::{sync::Notify, time::timeout};

use super::{
    super::{
        connect::{lost, lost_io},
        encode,
        error::{ImapError, Phase, server_reply},
    },
    ImapConn,
};

/// Why an IDLE ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdleEnd {
    /// The server sent data (EXISTS, EXPUNGE, VANISHED, FETCH …).
    Data,
    /// The wait elapsed.
    Timeout,
    /// `stop` was notified.
    Stopped,
}

impl ImapConn {
    /// IDLE until the server reports something, `wait` elapses or `stop` is notified. What the
    /// server reported is not returned: callers re-read the mailbox state afterwards.
    pub async fn idle(&mut self, wait: Duration, stop: &Notify) -> Result<IdleEnd, ImapError> {
        if !self.has("IDLE") {
            return Err(ImapError::Unsupported("IDLE"));
        }
        self.in_flight = true;
        let command_timeout = self.command_timeout;
        let session = &mut self.session;
        let cmd = encode::idle();
        let tag = timeout(command_timeout, session.run_command(cmd.as_str()))
            .await
            .map_err(|_| ImapError::Timeout(Phase::Command))?
            .map_err(|_| lost("write failed"))?;
        // The continuation, or a refusal.
        let mut early_data = false;
        loop {
            let resp = timeout(command_timeout, session.read_response())
                .await
                .map_err(|_| ImapError::Timeout(Phase::Command))?
                .map_err(|e| lost_io(&e))?
                .ok_or_else(|| lost("server closed the connection"))?;
            match resp.parsed() {
                Response::Continue(_) => break,
                Response::Done { tag: t, status, outcome } if *t == tag => {
                    let text = outcome.information.as_deref().unwrap_or("");
                    let st = if *status == Status::No { "NO" } else { "BAD" };
                    self.in_flight = false;
                    return Err(ImapError::No(server_reply("IDLE", st, None, text)));
                }
                Response::Data { status: Status::Bye, .. } => return Err(lost("BYE during IDLE")),
                _ => early_data = true,
            }
        }
        let end = if early_data {
            IdleEnd::Data
        } else {
            tokio::select! {
                resp = session.read_response() => {
                    let resp = resp.map_err(|e| lost_io(&e))?.ok_or_else(|| lost("server closed the connection"))?;
                    if let Response::Data { status: Status::Bye, .. } = resp.parsed() {
                        return Err(lost("BYE during IDLE"));
                    }
                    IdleEnd::Data
                }
                _ = tokio::time::sleep(wait) => IdleEnd::Timeout,
                _ = stop.notified() => IdleEnd::Stopped,
            }
        };
        let finish = async {
            use tokio::io::AsyncWriteExt as _;
            let stream = session.get_mut();
            stream.write_all(encode::IDLE_DONE).await.map_err(|e| lost_io(&e))?;
            stream.flush().await.map_err(|e| lost_io(&e))?;
            loop {
                let resp = session.read_response().await.map_err(|e| lost_io(&e))?.ok_or_else(|| lost("closed"))?;
                if let Response::Done { tag: t, status, outcome } = resp.parsed() {
                    if *t != tag {
                        return Err(ImapError::Protocol("tagged response for another command".into()));
                    }
                    if *status != Status::Ok {
                        let text = outcome.information.as_deref().unwrap_or("");
                        return Err(ImapError::No(server_reply("IDLE", "NO", None, text)));
                    }
                    return Ok(());
                }
            }
        };
        timeout(command_timeout, finish).await.map_err(|_| ImapError::Timeout(Phase::Command))??;
        self.in_flight = false;
        self.drain_unsolicited();
        Ok(end)
    }
}
