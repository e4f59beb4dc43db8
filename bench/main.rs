//! The gateway benchmark (`cargo bench --bench gateway`): seeds its own Dovecot, starts its own
//! Postfix on it, drives a release gateway over HTTP and a direct client (async-imap, or lettre's
//! SMTP connection for sending) with the same number of connections, and writes
//! `bench/RESULTS.md`. Not a test: it asserts nothing but that the work was done.

mod accounts;
mod direct;
mod http;
mod load;
mod mixed;
mod report;
mod seed;
mod servers;
mod smtp;
mod targets;

use std::time::{Duration, Instant};

use load::{Op, Stats};

/// Workers (and connections) on each side.
const CONCURRENCY: usize = 16;
/// Accounts for the memory measurement, each holding one pooled connection.
const ACCOUNTS: usize = 10_000;
/// The seeded mailboxes.
const MAILBOXES: [&str; 5] = ["k1", "k10", "k100", "raw100k", "att50m"];
/// How long first reads are measured: each side has 50,000 unread messages of k100, and the
/// direct client reads about 7,000 a second.
const FIRST_READ: Duration = Duration::from_secs(4);
/// Decoded size of the streamed attachment.
const ATTACHMENT: usize = 50 * 1024 * 1024;

fn seconds(var: &str, default: u64) -> Duration {
    Duration::from_secs(std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default))
}

#[tokio::main]
async fn main() {
    if let Err(e) = bench().await {
        eprintln!("bench: {e}");
        stop_servers();
        std::process::exit(1);
    }
    stop_servers();
    // the servers' and the gateway's output, kept only when the run failed
    for log in [
        "/tmp/igw-bench-dovecot.out",
        "/tmp/igw-bench-postfix.out",
        "/tmp/igw-bench-gateway-18090.log",
        "/tmp/igw-bench-gateway-18091.log",
    ] {
        let _ = std::fs::remove_file(log);
    }
}

/// Postfix first: Dovecot's auth processes stay alive while an smtpd holds their socket.
fn stop_servers() {
    servers::stop_postfix();
    servers::stop_dovecot();
}

async fn bench() -> Result<(), String> {
    let warmup = seconds("BENCH_WARMUP_SECS", 2);
    let measure = seconds("BENCH_SECS", 10);
    let started = Instant::now();
    servers::start_dovecot(ACCOUNTS).map_err(|e| e.to_string())?;
    let root = servers::maildir("alice");
    // BENCH_OPS=list,listfirst,threads,get,first,raw,search,flag,mixed,send,accounts measures
    // only those (and nothing else), for profiling; `send` is the send row and the end-to-end
    // delivery time, `accounts` the many-accounts phase. BENCH_DUMP=1 prints the gateway's IMAP
    // command counts and latencies at the end.
    let only = std::env::var("BENCH_OPS").ok();
    let named = |name: &str| only.as_deref().is_none_or(|o| o.split(',').any(|n| n == name));
    seed::realistic(&root, "k1", 1_000).map_err(|e| e.to_string())?;
    seed::realistic(&root, "k10", direct::MESSAGES).map_err(|e| e.to_string())?;
    seed::realistic(&root, "k100", 100_000).map_err(|e| e.to_string())?;
    seed::large(&root, "raw100k", direct::LARGE).map_err(|e| e.to_string())?;
    seed::attachment(&root, "att50m", ATTACHMENT).map_err(|e| e.to_string())?;
    if named("mixed") {
        mixed::seed().map_err(|e| e.to_string())?;
    }
    if named("accounts") {
        seed::accounts(&servers::account_names(ACCOUNTS)).map_err(|e| e.to_string())?;
    }
    servers::chown_mail().map_err(|e| e.to_string())?;
    if named("accounts") {
        servers::index_inboxes().map_err(|e| e.to_string())?;
    }
    servers::start_postfix().map_err(|e| e.to_string())?;
    direct::Direct::warm("alice", &MAILBOXES).await?;
    if named("mixed") {
        mixed::warm().await?;
    }
    // The seeded files and Dovecot's new indexes (about 1 GB) go to disk now, not while
    // operations are measured: writeback under load stalled Dovecot on both sides for seconds.
    let _ = std::process::Command::new("sync").status();
    eprintln!("bench: seeded and indexed in {:.1} s", started.elapsed().as_secs_f64());

    let mut report = report::Report::default();
    {
        let gw = servers::Gateway::start(CONCURRENCY).await?;
        let _uncached = servers::Gateway::start_at(CONCURRENCY, servers::UNCACHED_GATEWAY_ADDR, false).await?;
        let client =
            reqwest::Client::builder().pool_max_idle_per_host(CONCURRENCY * 2).build().map_err(|e| e.to_string())?;
        let alice = http::Http::login(&client, "alice").await?;
        let alice_uncached = http::Http::login_at(&client, "alice", servers::UNCACHED_GATEWAY_ADDR).await?;
        let mut https = vec![alice.clone(); CONCURRENCY];
        let mut directs = Vec::new();
        for _ in 0..CONCURRENCY {
            directs.push(direct::Direct::connect("alice").await?);
        }
        let ops = [
            Op::ListPage("k10"),
            Op::ListFirstRead("k10"),
            Op::CollapsedPage("k10"),
            Op::GetMessage,
            Op::FirstRead,
            Op::GetRaw,
            Op::Search,
            Op::FlagUpdate,
        ];
        let picked = |op: &Op| named(op.short());
        for op in ops.into_iter().filter(picked) {
            // Connections are warm from the operations before; a first read must not warm up.
            let (warmup, measure) = if op == Op::FirstRead { (Duration::ZERO, FIRST_READ) } else { (warmup, measure) };
            if op == Op::GetMessage {
                // Every message of k10 read once on each side first: the row is of repeated
                // reads, whatever either side's speed in a warm-up of fixed length.
                https = load::pass(https, op, direct::MESSAGES).await;
                directs = load::pass(directs, op, direct::MESSAGES).await;
            }
            if op == Op::FirstRead {
                // Every connection opens k100 first: the row measures reading messages, not
                // opening a mailbox of 100,000 (both sides keep it open afterwards).
                let open = Op::Open("k100");
                https = load::pass(https, open, CONCURRENCY as u64).await;
                directs = load::pass(directs, open, CONCURRENCY as u64).await;
            }
            let lookups = ["imap_message_cache_hits_total", "imap_message_cache_misses_total"];
            let before = gauges(&client, lookups).await?;
            let (back, g) = match op {
                // the gateway without a summary cache, on workers of its own
                Op::ListFirstRead(_) => {
                    let (_, g) = load::run(vec![alice_uncached.clone(); CONCURRENCY], op, warmup, measure).await;
                    (https, g)
                }
                _ => load::run(https, op, warmup, measure).await,
            };
            https = back;
            if op == Op::GetMessage {
                // The cache's share of the row's reads (warm-up included).
                let after = gauges(&client, lookups).await?;
                report.get_lookups = (after[0] - before[0], after[1] - before[1]);
            }
            let (back, d) = load::run(directs, op, warmup, measure).await;
            directs = back;
            let tail = |s: &Stats| {
                format!(
                    "p90 {:.1} p99.9 {:.1} max {:.1} ms; {:.0}/s until the last call ended",
                    s.quantile_ms(0.9),
                    s.quantile_ms(0.999),
                    s.quantile_ms(1.0),
                    s.drained_rps()
                )
            };
            eprintln!(
                "bench: {}: gateway {:.0}/s ({}), direct {:.0}/s ({})",
                op.label(),
                g.rps(),
                tail(&g),
                d.rps(),
                tail(&d)
            );
            report.ops.push((op, g, d));
        }
        for d in directs {
            d.logout().await;
        }
        if picked(&Op::Mixed) {
            let (mixed_https, mixed_directs) = mixed::workers(&client, CONCURRENCY).await?;
            let (_, g) = load::run(mixed_https, Op::Mixed, warmup, measure).await;
            let (back, d) = load::run(mixed_directs, Op::Mixed, warmup, measure).await;
            mixed::logout(back).await;
            eprintln!("bench: {}: gateway {:.0}/s, direct {:.0}/s", Op::Mixed.label(), g.rps(), d.rps());
            report.mixed_made = mixed::made();
            report.mixed_ms = mixed::mean_ms();
            report.ops.push((Op::Mixed, g, d));
        }
        if picked(&Op::Send) {
            let sends = send_phase(https, warmup, measure).await?;
            report.ops.push((Op::Send, sends.gateway.clone(), sends.direct.clone()));
            report.sends = Some(sends);
            // the messages of the load are all delivered: the recipient's INBOX is quiet
            let (e2e, requests) = smtp::delivery_times(&client, &alice).await?;
            eprintln!(
                "bench: end-to-end delivery: p50 {:.1} ms, p90 {:.1} ms, min {:.1} ms, max {:.1} ms ({} sends; \
                 the send requests alone: p50 {:.1} ms)",
                e2e.quantile_ms(0.5),
                e2e.quantile_ms(0.9),
                e2e.quantile_ms(0.0),
                e2e.quantile_ms(1.0),
                e2e.latencies.len(),
                requests.quantile_ms(0.5)
            );
            report.e2e = Some((e2e, requests));
            servers::drain(Duration::from_secs(60)).await;
        }
        let [entries, bytes] = gauges(&client, ["imap_message_cache_entries", "imap_message_cache_bytes"]).await?;
        report.cache = (entries, bytes);
        eprintln!("bench: message cache: {} entries, {} bytes estimated", report.cache.0, report.cache.1);
        if only.is_none() {
            report.scale = page_scale(&alice).await?;
            report.stream = stream_attachment(&gw, &alice).await?;
        }
    }
    if named("accounts") {
        report.accounts = accounts::measure(ACCOUNTS, CONCURRENCY, measure).await?;
        eprintln!(
            "bench: {} accounts: RSS {} KiB, {} open; random pages {:.0}/s p99 {:.1} ms",
            ACCOUNTS,
            report.accounts.rss_kb,
            report.accounts.open,
            report.accounts.page.rps(),
            report.accounts.page.quantile_ms(0.99)
        );
    }
    if only.is_some() {
        println!("{}", report.render(warmup, measure));
        return Ok(());
    }
    report.total = started.elapsed();
    let text = report.render(warmup, measure);
    std::fs::write("bench/RESULTS.md", &text).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// The send row: the gateway's workers, then as many direct SMTP workers, each side followed by
/// waiting for Postfix to deliver everything it accepted (into Dovecot over LMTP, on the same
/// two cores), so that neither side's measurement carries the other's delivery backlog.
async fn send_phase(https: Vec<http::Http>, warmup: Duration, measure: Duration) -> Result<report::Sends, String> {
    const DRAIN: Duration = Duration::from_secs(300);
    servers::drain(DRAIN).await.ok_or("the Postfix queue was not empty before the send row")?;
    let (_, gateway) = load::run(https, Op::Send, warmup, measure).await;
    let gateway_queue = servers::queued();
    let gateway_drain = servers::drain(DRAIN).await;
    let smtps = vec![smtp::Smtp::new()?; CONCURRENCY];
    let (_, direct) = load::run(smtps, Op::Send, warmup, measure).await;
    let direct_queue = servers::queued();
    let direct_drain = servers::drain(DRAIN).await;
    let sends = report::Sends { gateway, direct, gateway_queue, gateway_drain, direct_queue, direct_drain };
    eprintln!(
        "bench: {}: gateway {:.0}/s (p50 {:.1} p99 {:.1} ms, {} errors; queue {} then drained in {:?}), \
         direct {:.0}/s (p50 {:.1} p99 {:.1} ms, {} errors; queue {} then drained in {:?})",
        Op::Send.label(),
        sends.gateway.rps(),
        sends.gateway.quantile_ms(0.5),
        sends.gateway.quantile_ms(0.99),
        sends.gateway.errors,
        sends.gateway_queue,
        sends.gateway_drain,
        sends.direct.rps(),
        sends.direct.quantile_ms(0.5),
        sends.direct.quantile_ms(0.99),
        sends.direct.errors,
        sends.direct_queue,
        sends.direct_drain,
    );
    Ok(sends)
}

/// The gateway's gauges named `names`, from `/metrics` (0 for one not found).
async fn gauges<const N: usize>(client: &reqwest::Client, names: [&str; N]) -> Result<[u64; N], String> {
    let text = client
        .get(format!("http://{}/metrics", servers::GATEWAY_ADDR))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    if std::env::var("BENCH_DUMP").is_ok() {
        for l in text.lines().filter(|l| (l.contains("imap_command") || l.contains("PATCH")) && !l.starts_with('#')) {
            eprintln!("metrics: {l}");
        }
    }
    Ok(names.map(|name| {
        text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse::<u64>().ok()).unwrap_or(0)
    }))
}

/// Sequential first pages of 1k, 10k and 100k mailboxes: the median of each.
async fn page_scale(alice: &http::Http) -> Result<Vec<(&'static str, Stats)>, String> {
    let mut out = Vec::new();
    for m in ["k1", "k10", "k100"] {
        let (_, stats) =
            load::run(vec![alice.clone()], Op::ListPage(m), Duration::from_secs(1), Duration::from_secs(5)).await;
        out.push((m, stats));
    }
    Ok(out)
}

/// Peak RSS growth while one client downloads the 50 MB attachment.
async fn stream_attachment(gw: &servers::Gateway, alice: &http::Http) -> Result<report::Stream, String> {
    let page: serde_json::Value = serde_json::from_slice(&alice.get("/v1/mailboxes/att50m/messages?limit=1").await?)
        .map_err(|e| e.to_string())?;
    let uid = page["items"][0]["uid"].as_u64().ok_or("no message in att50m")?;
    let path = format!("/v1/mailboxes/att50m/messages/{uid}/parts/2");
    let before = servers::rss_kb(gw.pid());
    servers::reset_peak(gw.pid());
    let t = Instant::now();
    let bytes = alice.download(&path).await?;
    let elapsed = t.elapsed();
    let peak = servers::peak_kb(gw.pid());
    if bytes != ATTACHMENT as u64 {
        return Err(format!("the attachment came as {bytes} bytes, not {ATTACHMENT}"));
    }
    Ok(report::Stream { bytes, before_kb: before, peak_kb: peak, elapsed })
}
