//! A scripted SMTP server for the failures a real Postfix cannot be made to show on demand:
//! a 4xx to MAIL, chosen RCPT answers, a disconnect in the middle of DATA, a server that never
//! answers the message, a small SIZE. It records every command and counts the messages whose
//! data it received to the end.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

/// What the server does.
#[derive(Clone, Debug, Default)]
pub struct Script {
    /// Answer to MAIL FROM (default `250 OK`).
    pub mail: Option<String>,
    /// Answer to RCPT TO per address (default `250 OK`).
    pub rcpt: HashMap<String, String>,
    /// Close the connection after this many bytes of message data.
    pub drop_in_data: Option<usize>,
    /// Wait this long before answering the end of the data.
    pub stall_after_data: Option<Duration>,
    /// `SIZE` in EHLO.
    pub size: Option<u64>,
}

/// A running scripted server.
pub struct FakeSmtp {
    pub port: u16,
    pub commands: Arc<Mutex<Vec<String>>>,
    pub messages: Arc<Mutex<usize>>,
    pub connections: Arc<Mutex<usize>>,
    /// The data of each message received to its end, as sent (dot-stuffed).
    pub data: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl FakeSmtp {
    pub async fn start(script: Script) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let commands = Arc::new(Mutex::new(Vec::new()));
        let messages = Arc::new(Mutex::new(0));
        let connections = Arc::new(Mutex::new(0));
        let data = Arc::new(Mutex::new(Vec::new()));
        let (c, m, n, d) = (commands.clone(), messages.clone(), connections.clone(), data.clone());
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                *n.lock().expect("lock") += 1;
                let (script, c, m, d) = (script.clone(), c.clone(), m.clone(), d.clone());
                tokio::spawn(async move {
                    let _ = serve(sock, script, c, m, d).await;
                });
            }
        });
        Self { port, commands, messages, connections, data }
    }

    pub fn saw(&self, prefix: &str) -> usize {
        self.commands.lock().expect("lock").iter().filter(|c| c.starts_with(prefix)).count()
    }

    pub fn messages(&self) -> usize {
        *self.messages.lock().expect("lock")
    }

    /// The data of message `i`.
    pub fn data(&self, i: usize) -> Vec<u8> {
        self.data.lock().expect("lock").get(i).cloned().unwrap_or_default()
    }

    pub fn connections(&self) -> usize {
        *self.connections.lock().expect("lock")
    }
}

async fn serve(
    sock: tokio::net::TcpStream,
    script: Script,
    commands: Arc<Mutex<Vec<String>>>,
    messages: Arc<Mutex<usize>>,
    data: Arc<Mutex<Vec<Vec<u8>>>>,
) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 fake.test ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_string();
        commands.lock().expect("lock").push(cmd.clone());
        let upper = cmd.to_ascii_uppercase();
        let answer = if upper.starts_with("EHLO") {
            let size = script.size.map(|s| format!("250-SIZE {s}\r\n")).unwrap_or_default();
            format!("250-fake.test\r\n{size}250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n")
        } else if upper.starts_with("AUTH") {
            "235 2.7.0 ok\r\n".into()
        } else if upper.starts_with("MAIL") {
            script.mail.clone().unwrap_or_else(|| "250 OK".into()) + "\r\n"
        } else if upper.starts_with("RCPT") {
            let addr = cmd.split(['<', '>']).nth(1).unwrap_or("").to_string();
            script.rcpt.get(&addr).cloned().unwrap_or_else(|| "250 OK".into()) + "\r\n"
        } else if upper == "DATA" {
            w.write_all(b"354 go ahead\r\n").await?;
            let mut seen = 0usize;
            let mut body = Vec::new();
            loop {
                // byte lines, split at LF only: what a lenient server would see
                let mut raw = Vec::new();
                let n = r.read_until(b'\n', &mut raw).await?;
                if n == 0 {
                    return Ok(());
                }
                seen += n;
                if script.drop_in_data.is_some_and(|d| seen >= d) {
                    return Ok(());
                }
                if raw == b".\r\n" || raw == b".\n" {
                    break;
                }
                body.extend_from_slice(&raw);
            }
            data.lock().expect("lock").push(body);
            *messages.lock().expect("lock") += 1;
            if let Some(stall) = script.stall_after_data {
                tokio::time::sleep(stall).await;
            }
            "250 2.0.0 queued\r\n".into()
        } else if upper == "QUIT" {
            w.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            "250 OK\r\n".into()
        };
        w.write_all(answer.as_bytes()).await?;
    }
}
