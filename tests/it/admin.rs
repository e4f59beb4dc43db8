//! A plain IMAP client independent of the gateway, for arranging and checking server state
//! behind the gateway's back.

use std::time::Duration;

use tokio::net::TcpStream;

use crate::servers::ImapServer;

/// A plain IMAP client independent of the gateway, for arranging and checking server state.
pub struct Admin {
    session: async_imap::Session<TcpStream>,
}

impl Admin {
    pub async fn connect(d: &ImapServer, user: &str) -> Self {
        let tcp = TcpStream::connect((d.host.as_str(), d.port)).await.expect("connect");
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.expect("greeting").expect("greeting");
        let session = client.login(user, format!("{user}-pass")).await.map_err(|(e, _)| e).expect("admin login");
        Self { session }
    }

    /// CREATE with a name already in modified UTF-7 (as the server stores it).
    pub async fn create(&mut self, wire_name: &str) {
        match bounded("CREATE", self.session.create(wire_name)).await {
            Ok(()) => {}
            // Dovecot has (rarely) answered a first CREATE of a fresh unique name with
            // ALREADYEXISTS while other sessions of the user were busy: the mailbox is there,
            // which is all a fixture needs.
            Err(e) if e.to_string().contains("ALREADYEXISTS") => {}
            Err(e) => panic!("CREATE {wire_name}: {e}"),
        }
    }

    pub async fn subscribe(&mut self, wire_name: &str) {
        bounded("SUBSCRIBE", self.session.subscribe(wire_name)).await.expect("SUBSCRIBE");
    }

    pub async fn delete(&mut self, wire_name: &str) {
        let _ = bounded("DELETE", self.session.delete(wire_name)).await;
    }

    /// Wire names of all mailboxes.
    pub async fn list(&mut self) -> Vec<String> {
        use futures_util::TryStreamExt;
        let names: Vec<_> =
            self.session.list(Some(""), Some("*")).await.expect("LIST").try_collect().await.expect("LIST");
        names.iter().map(|n| n.name().to_string()).collect()
    }

    pub async fn append(&mut self, wire_name: &str, flags: Option<&str>, message: &str) {
        bounded("APPEND", self.session.append(wire_name, flags, None, message.as_bytes())).await.expect("APPEND");
    }

    /// APPEND with an INTERNALDATE such as `"02-Nov-2026 10:00:00 +0000"`.
    pub async fn append_at(&mut self, wire_name: &str, flags: Option<&str>, date: &str, message: &str) {
        let quoted = format!("\"{date}\"");
        let append = self.session.append(wire_name, flags, Some(&quoted), message.as_bytes());
        bounded("APPEND", append).await.expect("APPEND");
    }

    /// `UID STORE uid +FLAGS (flag)` from this separate client (a concurrent change).
    pub async fn add_flag(&mut self, wire_name: &str, uid: u32, flag: &str) {
        use futures_util::TryStreamExt;
        bounded("SELECT", self.session.select(wire_name)).await.expect("SELECT");
        let _: Vec<_> = bounded("STORE", async {
            self.session
                .uid_store(uid.to_string(), format!("+FLAGS ({flag})"))
                .await
                .expect("STORE")
                .try_collect()
                .await
                .expect("STORE")
        })
        .await;
    }

    /// APPEND raw bytes (any content) with an INTERNALDATE.
    pub async fn append_bytes_at(&mut self, wire_name: &str, message: &[u8], date: &str) {
        let quoted = format!("\"{date}\"");
        bounded("APPEND", self.session.append(wire_name, None, Some(&quoted), message)).await.expect("APPEND");
    }

    pub async fn logout(mut self) {
        let _ = bounded("LOGOUT", self.session.logout()).await;
    }
}

impl Admin {
    /// Flags of `uid` in `wire_name`, examined read-only.
    pub async fn flags(&mut self, wire_name: &str, uid: u32) -> Vec<String> {
        use futures_util::TryStreamExt;
        bounded("EXAMINE", self.session.examine(wire_name)).await.expect("EXAMINE");
        let fetches: Vec<_> = bounded("FETCH", async {
            self.session.uid_fetch(uid.to_string(), "FLAGS").await.expect("FETCH").try_collect().await.expect("FETCH")
        })
        .await;
        fetches.iter().flat_map(|f| f.flags().map(|fl| format!("{fl:?}"))).collect()
    }
}

/// The admin client has no deadlines of its own: a test must fail, not hang, if the server
/// stops answering.
async fn bounded<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), fut).await.unwrap_or_else(|_| panic!("{what} took over 60 s"))
}

impl Admin {
    /// `\Deleted` then `UID EXPUNGE uid`, from this separate client.
    pub async fn expunge_uid(&mut self, wire_name: &str, uid: u32) {
        self.add_flag(wire_name, uid, "\\Deleted").await;
        bounded("UID EXPUNGE", self.session.run_command_and_check_ok(format!("UID EXPUNGE {uid}")))
            .await
            .expect("UID EXPUNGE");
    }

    /// A command this client has no method for (`SETACL …`), checked for OK.
    pub async fn command(&mut self, command: &str) {
        bounded(command, self.session.run_command_and_check_ok(command))
            .await
            .unwrap_or_else(|e| panic!("{command}: {e}"));
    }
}

impl Admin {
    /// `STATUS (MESSAGES UNSEEN)` of a mailbox: (messages, unseen).
    pub async fn status(&mut self, wire_name: &str) -> (u32, u32) {
        let m = bounded("STATUS", self.session.status(wire_name, "(MESSAGES UNSEEN)")).await.expect("STATUS");
        (m.exists, m.unseen.unwrap_or(0))
    }

    /// `UID SEARCH <criteria>` in `wire_name`, examined read-only: the UIDs, ascending.
    pub async fn uid_search(&mut self, wire_name: &str, criteria: &str) -> Vec<u32> {
        bounded("EXAMINE", self.session.examine(wire_name)).await.expect("EXAMINE");
        let mut uids: Vec<u32> =
            bounded("UID SEARCH", self.session.uid_search(criteria)).await.expect("UID SEARCH").into_iter().collect();
        uids.sort_unstable();
        uids
    }
}
