//! A scripted IMAP server for faults no real server shows: it greets, answers CAPABILITY and
//! LOGOUT like a tiny IMAP4rev1 server, and every other command as its script says; and the
//! settings of a gateway that talks to it.

use std::sync::Arc;

use imap_gateway::Settings;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

use crate::helpers::{dovecot, settings_for};

/// What the server answers to a command other than CAPABILITY and LOGOUT: given its tag and the
/// rest of its line, the whole reply (untagged lines and the tagged status).
pub(crate) type Script = Arc<dyn Fn(&str, &str) -> String + Send + Sync>;

/// Starts the server on a free loopback port and returns the port.
pub(crate) async fn scripted(script: Script) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let script = script.clone();
            tokio::spawn(async move {
                let (read, mut write) = sock.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"* OK [CAPABILITY IMAP4rev1] fake ready\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let (tag, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
                    let upper = rest.to_ascii_uppercase();
                    let reply = if upper.starts_with("CAPABILITY") {
                        format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n")
                    } else if upper.starts_with("LOGOUT") {
                        format!("* BYE bye\r\n{tag} OK done\r\n")
                    } else {
                        script(tag, rest)
                    };
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// Settings of a gateway whose IMAP server is a fake on `port` (plain, no TLS).
pub(crate) fn plain(port: u16) -> Settings {
    let mut s = settings_for(dovecot());
    s.imap.port = Some(port);
    s.imap.tls = imap_gateway::TlsMode::Plain;
    s.imap.ca_file = None;
    s
}
