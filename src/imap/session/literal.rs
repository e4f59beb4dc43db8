//! Literals on the raw path (APPEND): the head, the server's `+` for a synchronizing literal,
//! the body streamed chunk by chunk, and the tagged completion. The in-flight flag covers all.

use async_imap::imap_proto::{Response, Status};
use tokio::time::timeout;

use super::{
    super::{
        connect::{lost, lost_io},
        encode::Command,
        error::{ImapError, Phase, server_reply},
    },
    Completion, ImapConn, append_uid, code_name,
};

impl ImapConn {
    /// Runs a command whose last argument is a literal of `len` bytes taken from `data` as
    /// they arrive (APPEND): an upload streams to the server without being held in memory.
    /// With a synchronizing literal it waits for the server's `+` first. Each chunk, and each
    /// write, has the command deadline. The in-flight rule holds: only the tagged completion
    /// makes the connection reusable, so a body that fails half-way discards it.
    pub async fn execute_literal<S>(
        &mut self,
        head: &Command,
        synchronizing: bool,
        len: usize,
        mut data: S,
    ) -> Result<Completion, ImapError>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, ImapError>> + Unpin,
    {
        use futures_util::StreamExt as _;
        use tokio::io::AsyncWriteExt as _;
        self.in_flight = true;
        let name = head.name();
        let deadline = self.command_timeout;
        let started = std::time::Instant::now();
        let session = &mut self.session;
        let selected = &mut self.selected;
        let within = |what| move |_| ImapError::Timeout(what);
        timeout(deadline, session.run_command(head.as_str()))
            .await
            .map_err(within(Phase::Command))?
            .map_err(|_| lost("write failed"))
            .map(|_| ())?;
        if synchronizing {
            loop {
                let resp = timeout(deadline, session.read_response())
                    .await
                    .map_err(within(Phase::Command))?
                    .map_err(|e| lost_io(&e))?
                    .ok_or_else(|| lost("closed"))?;
                match resp.parsed() {
                    Response::Continue(_) => break,
                    Response::Done { status, outcome, .. } => {
                        let text = outcome.information.as_deref().unwrap_or("");
                        let code = outcome.code.as_ref().map(code_name);
                        let st = if *status == Status::No { "NO" } else { "BAD" };
                        let reply = server_reply(name, st, code, text);
                        // A refused synchronizing literal ends the command: the wire is clean.
                        self.in_flight = false;
                        return Err(if st == "NO" { ImapError::No(reply) } else { ImapError::Bad(reply) });
                    }
                    other => super::track(selected, other),
                }
            }
        }
        let mut sent = 0usize;
        while let Some(chunk) = timeout(deadline, data.next()).await.map_err(within(Phase::Command))? {
            let chunk = chunk?;
            if sent + chunk.len() > len {
                return Err(ImapError::Upload { nul: false, detail: "the body is longer than announced".into() });
            }
            let stream = session.get_mut();
            timeout(deadline, stream.write_all(&chunk))
                .await
                .map_err(within(Phase::Command))?
                .map_err(|e| lost_io(&e))?;
            sent += chunk.len();
        }
        if sent != len {
            return Err(ImapError::Upload {
                nul: false,
                detail: format!("the body ended after {sent} of {len} bytes"),
            });
        }
        let finish = async {
            let stream = session.get_mut();
            stream.write_all(b"\r\n").await.map_err(|e| lost_io(&e))?;
            stream.flush().await.map_err(|e| lost_io(&e))?;
            loop {
                let resp = session.read_response().await.map_err(|e| lost_io(&e))?.ok_or_else(|| lost("closed"))?;
                // EXISTS for the appended message, when the mailbox is the selected one.
                super::track(selected, resp.parsed());
                if let Response::Done { status, outcome, .. } = resp.parsed() {
                    let text = outcome.information.as_deref().unwrap_or("");
                    let code = outcome.code.as_ref().map(code_name);
                    return Ok(match status {
                        Status::Ok => Ok(Completion {
                            reply: server_reply(name, "OK", code, text),
                            copy_uid: None,
                            append_uid: outcome.code.as_ref().and_then(append_uid),
                        }),
                        Status::No => Err(ImapError::No(server_reply(name, "NO", code, text))),
                        _ => Err(ImapError::Bad(server_reply(name, "BAD", code, text))),
                    });
                }
            }
        };
        let result = timeout(deadline, finish).await;
        self.record(name, started, &result);
        let outcome = result.map_err(|_| ImapError::Timeout(Phase::Command))??;
        self.in_flight = false;
        self.drain_unsolicited();
        if outcome.is_ok() {
            self.note_sync(name);
        }
        outcome
    }
}
