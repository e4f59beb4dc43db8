//! The many-accounts phase: a fresh gateway, every extra account logged in with one request
//! served (each then holds one pooled connection), its memory, and list pages of random
//! accounts while all of them stay connected.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{
    http::Http,
    load::{self, Op, Worker},
    report, seed, servers,
};

/// Logins at once.
const LOGINS_AT_ONCE: usize = 32;

/// A worker reading the INBOX page of a random account.
struct RandomAccount {
    users: Arc<Vec<Http>>,
}

impl Worker for RandomAccount {
    async fn call(&mut self, _: Op, n: u64) -> Result<(), String> {
        let user = &self.users[(load::spread(n) % self.users.len() as u64) as usize];
        user.page_of("INBOX", seed::ACCOUNT_INBOX as usize).await
    }
}

/// Runs the phase against the running Dovecot: `accounts` users, then `workers` readers of
/// random accounts' pages for `measure`.
pub async fn measure(accounts: usize, workers: usize, measure: Duration) -> Result<report::Accounts, String> {
    let settings = [
        // every account keeps its connection for the whole phase
        ("IMAP_GATEWAY__POOL__GLOBAL_MAX", (accounts + 100).to_string()),
        ("IMAP_GATEWAY__POOL__IDLE_TIMEOUT_SECS", "3600".to_string()),
    ];
    let gw = servers::Gateway::start_with(3, servers::GATEWAY_ADDR, true, &settings).await?;
    let client =
        reqwest::Client::builder().pool_max_idle_per_host(LOGINS_AT_ONCE).build().map_err(|e| e.to_string())?;
    let idle_kb = servers::rss_kb(gw.pid());
    let names = servers::account_names(accounts);
    let t = Instant::now();
    let mut users = Vec::with_capacity(accounts);
    for chunk in names.chunks(LOGINS_AT_ONCE) {
        let logins = chunk.iter().map(|u| {
            let client = &client;
            async move {
                let user = Http::login(client, u).await?;
                user.get("/v1/mailboxes").await?;
                Ok::<_, String>(user)
            }
        });
        let before = users.len();
        for r in futures_util::future::join_all(logins).await {
            users.push(r?);
        }
        if users.len() / 1000 > before / 1000 {
            eprintln!("bench: {} accounts logged in ({:.0} s)", users.len(), t.elapsed().as_secs_f64());
        }
    }
    let elapsed = t.elapsed();
    let [open] = crate::gauges(&client, ["imap_connections_open"]).await?;
    let rss_kb = servers::rss_kb(gw.pid());
    let users = Arc::new(users);
    let readers = (0..workers).map(|_| RandomAccount { users: users.clone() }).collect();
    let (gw_before, machine_before) = (servers::cpu_ticks(gw.pid()), servers::machine_ticks());
    let (_, page) = load::run(readers, Op::ListPage("INBOX"), Duration::from_secs(1), measure).await;
    let (gw_after, machine_after) = (servers::cpu_ticks(gw.pid()), servers::machine_ticks());
    let busy = machine_after.0.saturating_sub(machine_before.0);
    let [open_after] = crate::gauges(&client, ["imap_connections_open"]).await?;
    Ok(report::Accounts {
        accounts,
        open,
        open_after,
        idle_kb,
        rss_kb,
        rss_after_kb: servers::rss_kb(gw.pid()),
        elapsed,
        page,
        // the gateway's share of the CPU time the machine used during the pages
        gateway_share: gw_after.saturating_sub(gw_before) as f64 / busy.max(1) as f64,
        busy: busy as f64 / machine_after.1.saturating_sub(machine_before.1).max(1) as f64,
    })
}
