//! The binary and the service around the API: CLI, refusal without secrets, health, docs.

use std::process::Command;

use reqwest::StatusCode;

use crate::helpers::{TestApp, vm_rss_kb};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_imap-gateway"))
}

/// Runs `imap-gateway serve` in front of `d`, configured only through the environment, on a
/// free port with its own SQLite file.
fn spawn_gateway(d: &crate::helpers::ImapServer) -> (std::process::Child, u16, std::path::PathBuf) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let db = std::env::temp_dir().join(format!("igw-test-bin-{}.db", uuid::Uuid::new_v4()));
    let mut cmd = bin();
    cmd.arg("serve")
        .env("IMAP_GATEWAY__HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env("IMAP_GATEWAY__DATABASE__URL", format!("sqlite://{}", db.display()))
        .env("IMAP_GATEWAY__IMAP__HOST", &d.host)
        .env("IMAP_GATEWAY__IMAP__PORT", d.port.to_string())
        .env("IMAP_GATEWAY__IMAP__TLS", "starttls")
        .env("IMAP_GATEWAY__IMAP__CA_FILE", &d.ca)
        .env("IMAP_GATEWAY__AUTH__JWT_SECRET", crate::helpers::random_b64(48))
        .env("IMAP_GATEWAY__AUTH__ENCRYPTION_KEY", crate::helpers::random_b64(32))
        .stdout(std::process::Stdio::null());
    crate::helpers::child_logging(&mut cmd);
    let child = cmd.spawn().expect("spawn");
    (child, port, db)
}

#[test]
fn help_lists_the_subcommands() {
    let out = bin().arg("--help").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in ["serve", "migrate", "openapi"] {
        assert!(text.contains(sub), "{sub} in --help:\n{text}");
    }
}

#[test]
fn serve_refuses_to_start_without_secrets() {
    let out = bin()
        .arg("serve")
        .env_remove("IMAP_GATEWAY__AUTH__JWT_SECRET")
        .env_remove("IMAP_GATEWAY__AUTH__ENCRYPTION_KEY")
        .env("IMAP_GATEWAY__DATABASE__URL", "sqlite::memory:")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("IMAP_GATEWAY__AUTH__JWT_SECRET is not set"), "{err}");

    let out = bin()
        .arg("serve")
        .env("IMAP_GATEWAY__AUTH__JWT_SECRET", "x".repeat(40))
        .env("IMAP_GATEWAY__AUTH__ENCRYPTION_KEY", "dG9vLXNob3J0")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exactly 32 bytes"));
}

#[test]
fn openapi_subcommand_prints_the_spec() {
    let out = bin().arg("openapi").output().expect("run");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), imap_gateway::spec_json());
}

#[tokio::test]
async fn health_readiness_and_docs_are_served() {
    let app = TestApp::spawn().await;
    let ok = app.http.get(app.url("/healthz")).send().await.expect("healthz");
    assert_eq!(ok.status(), StatusCode::OK);
    let ready = app.http.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(ready.status(), StatusCode::OK);
    let spec = app.http.get(app.url("/openapi.json")).send().await.expect("spec");
    assert_eq!(spec.status(), StatusCode::OK);
    let spec: serde_json::Value = spec.json().await.expect("json");
    assert!(spec["paths"]["/v1/mailboxes"].is_object());
    let docs = app.http.get(app.url("/docs/")).send().await.expect("docs");
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.expect("html").contains("swagger"), "Swagger UI page");
    // The page is also at /docs itself (no redirect for curl to stop at), its files named from
    // the root, and they are served.
    let bare = app.http.get(app.url("/docs")).send().await.expect("docs");
    assert_eq!(bare.status(), StatusCode::OK);
    let page = bare.text().await.expect("html");
    for file in ["/docs/swagger-ui-bundle.js", "/docs/swagger-initializer.js", "/docs/swagger-ui.css"] {
        assert!(page.contains(file), "{file} in {page}");
        assert_eq!(app.http.get(app.url(file)).send().await.expect("file").status(), StatusCode::OK, "{file}");
    }
    app.state.ready.store(false, std::sync::atomic::Ordering::SeqCst);
    let draining = app.http.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(draining.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[test]
fn the_binary_reads_its_environment_serves_and_exits_0_on_sigterm() {
    let d = crate::helpers::dovecot();
    let (mut child, port, db) = spawn_gateway(d);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let served = rt.block_on(async {
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(resp) = http.get(format!("http://127.0.0.1:{port}/readyz")).send().await {
                let login = http
                    .post(format!("http://127.0.0.1:{port}/v1/auth/login"))
                    .json(&serde_json::json!({"username": "heidi", "password": "heidi-pass"}))
                    .send()
                    .await
                    .expect("login");
                return Some((resp.status(), login.status()));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        None
    });
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    let _ = std::fs::remove_file(&db);
    assert_eq!(served, Some((StatusCode::OK, StatusCode::OK)), "ready, and logged in through the configured Dovecot");
    assert!(exit.success(), "exit status after SIGTERM: {exit:?}");
}

/// Waits until the spawned gateway at `base` answers, then logs in as `user` (password
/// `<user>-pass`) and returns the access token.
async fn ready_and_login(http: &reqwest::Client, base: &str, user: &str) -> String {
    for _ in 0..100 {
        if http.get(format!("{base}/readyz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    login_at(http, base, user).await
}

/// Logs in as `user` (password `<user>-pass`) at the gateway at `base`: the access token.
pub(crate) async fn login_at(http: &reqwest::Client, base: &str, user: &str) -> String {
    let login: serde_json::Value = http
        .post(format!("{base}/v1/auth/login"))
        .json(&serde_json::json!({"username": user, "password": format!("{user}-pass")}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    login["accessToken"].as_str().expect("token").to_string()
}

/// Deterministic pseudo-random bytes (xorshift), so the attachment does not compress.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn a_50_mb_attachment_downloads_byte_identical_in_bounded_memory() {
    let _memory = crate::helpers::MEMORY.blocking_lock();
    let d = crate::helpers::dovecot();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mailbox = crate::helpers::unique("big");
    let payload = noise(50 * 1024 * 1024);
    let want = ring::digest::digest(&ring::digest::SHA256, &payload);
    rt.block_on(async {
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &payload);
        let mut msg = String::with_capacity(b64.len() + b64.len() / 38 + 1024);
        msg.push_str("From: a@example.com\r\nTo: b@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\n");
        msg.push_str("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n");
        msg.push_str("--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n");
        msg.push_str("Content-Disposition: attachment; filename=\"big.bin\"\r\n\r\n");
        for line in b64.as_bytes().chunks(76) {
            msg.push_str(std::str::from_utf8(line).expect("ascii"));
            msg.push_str("\r\n");
        }
        msg.push_str("--b--\r\n");
        let mut admin = crate::helpers::Admin::connect(d, "heidi").await;
        admin.create(&mailbox).await;
        admin.append(&mailbox, None, &msg).await;
        admin.logout().await;
    });
    drop(payload);

    let (mut child, port, db) = spawn_gateway(d);
    let pid = child.id();
    let result = rt.block_on(async {
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let token = ready_and_login(&http, &base, "heidi").await;
        let url = format!("{base}/v1/mailboxes/{}/messages/1/parts/2", crate::helpers::seg(&mailbox));
        // Warm up: one small request so that pools and buffers exist before the baseline.
        let _ =
            http.get(format!("{base}/v1/mailboxes/{}", crate::helpers::seg(&mailbox))).bearer_auth(&token).send().await;
        let baseline = vm_rss_kb(&pid.to_string());
        let mut resp = http.get(url).bearer_auth(&token).send().await.expect("download");
        assert_eq!(resp.status(), StatusCode::OK);
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        let (mut total, mut peak) = (0usize, baseline);
        while let Some(chunk) = resp.chunk().await.expect("chunk") {
            total += chunk.len();
            ctx.update(&chunk);
            peak = peak.max(vm_rss_kb(&pid.to_string()));
        }
        (baseline, peak, total, ctx.finish())
    });
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = child.wait();
    let _ = std::fs::remove_file(&db);
    let (baseline, peak, total, got) = result;
    assert_eq!(total, 50 * 1024 * 1024);
    assert_eq!(got.as_ref(), want.as_ref(), "byte-identical");
    let growth_mb = (peak.saturating_sub(baseline)) as f64 / 1024.0;
    eprintln!("50 MB part: gateway RSS {baseline} kB before, {peak} kB peak, growth {growth_mb:.1} MB");
    assert!(growth_mb < 32.0, "RSS grew by {growth_mb:.1} MB");
}

/// SIGTERM during a slow download: the download completes, new connections are refused, every
/// IMAP connection the gateway opened is logged out, and the process exits 0.
#[test]
fn sigterm_lets_a_slow_download_finish_and_logs_out_of_imap() {
    let d = crate::helpers::dovecot();
    let user = "olivia";
    let lines = |what: &str| {
        let log = std::fs::read_to_string(&d.log).unwrap_or_default();
        let who = if what == "Login:" { format!("user=<{user}>") } else { format!("imap({user})") };
        log.lines().filter(|l| l.contains(&who) && l.contains(what)).count()
    };
    let (logins_before, logouts_before) = (lines("Login:"), lines("Logged out"));
    let (mut child, port, db) = spawn_gateway(d);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (received, expected, refused) = rt.block_on(async {
        let mailbox = crate::helpers::unique("sigterm");
        let mut admin = crate::helpers::Admin::connect(d, user).await;
        admin.create(&mailbox).await;
        let body = format!("Subject: big\r\n\r\n{}\r\n", "0123456789abcdef\r\n".repeat(450_000));
        admin.append(&mailbox, None, &body).await;
        admin.logout().await;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let token = ready_and_login(&http, &base, user).await;
        let url = format!("{base}/v1/mailboxes/{}/messages/1/raw", crate::helpers::seg(&mailbox));
        let mut resp = http.get(url).bearer_auth(&token).send().await.expect("download");
        assert_eq!(resp.status(), StatusCode::OK);
        let mut received = 0usize;
        let mut chunks = 0;
        let mut refused = false;
        while let Some(chunk) = resp.chunk().await.expect("chunk") {
            received += chunk.len();
            chunks += 1;
            if chunks == 3 {
                Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                // Still downloading, and the listener is closed already.
                refused = reqwest::Client::new().get(format!("{base}/healthz")).send().await.is_err();
                assert!(received < body.len(), "the download is still running at SIGTERM");
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        (received, body.len(), refused)
    });
    let exit = child.wait().expect("wait");
    let _ = std::fs::remove_file(&db);
    assert_eq!(received, expected, "the download completed after SIGTERM");
    assert!(refused, "new connections are refused while draining");
    assert!(exit.success(), "{exit:?}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let logins = lines("Login:") - logins_before;
    let logouts = lines("Logged out") - logouts_before;
    assert!(logins >= 2, "the admin client and the gateway logged in ({logins})");
    assert_eq!(logouts, logins, "every connection, the gateway's pool included, logged out");
}

#[tokio::test]
async fn the_healthcheck_subcommand_follows_readiness() {
    let app = TestApp::spawn().await;
    let url = app.url("/readyz");
    let probe = |url: String| tokio::task::spawn_blocking(move || bin().args(["healthcheck", "--url", &url]).status());
    assert!(probe(url.clone()).await.expect("task").expect("run").success(), "ready");
    app.state.ready.store(false, std::sync::atomic::Ordering::SeqCst);
    assert!(!probe(url).await.expect("task").expect("run").success(), "draining");
    assert!(
        !probe("http://127.0.0.1:1/readyz".into()).await.expect("task").expect("run").success(),
        "nothing listening"
    );
}

/// A 30 MB raw APPEND streams into the IMAP literal: the gateway's memory grows far less than
/// the message (it would hold all 30 MB if it buffered).
#[test]
fn a_30_mb_upload_streams_in_bounded_memory() {
    let _memory = crate::helpers::MEMORY.blocking_lock();
    let d = crate::helpers::dovecot();
    let mailbox = crate::helpers::unique("big-up");
    let line = "Streaming uploads keep the gateway's memory flat, line after line.\r\n";
    let body = format!("Subject: big upload\r\n\r\n{}", line.repeat(30 * 1024 * 1024 / line.len())).into_bytes();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut admin = crate::helpers::Admin::connect(d, "heidi").await;
        admin.create(&mailbox).await;
        admin.logout().await;
    });
    let (mut child, port, db) = spawn_gateway(d);
    let pid = child.id();
    let (baseline, peak, status) = rt.block_on(async {
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let token = ready_and_login(&http, &base, "heidi").await;
        let url = format!("{base}/v1/mailboxes/{}/messages", crate::helpers::seg(&mailbox));
        let _ =
            http.get(format!("{base}/v1/mailboxes/{}", crate::helpers::seg(&mailbox))).bearer_auth(&token).send().await;
        let baseline = vm_rss_kb(&pid.to_string());
        let resp = http
            .post(url)
            .bearer_auth(&token)
            .header("content-type", "message/rfc822")
            .body(body.clone())
            .send()
            .await
            .expect("append");
        let status = resp.status();
        let peak = vm_rss_kb(&pid.to_string()).max(baseline);
        // VmHWM is the process's peak resident size, however short the peak was.
        let hwm = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:").and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()))
            .unwrap_or(peak);
        (baseline, hwm.max(peak), status)
    });
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = child.wait();
    let _ = std::fs::remove_file(&db);
    assert_eq!(status, StatusCode::CREATED);
    let growth_mb = peak.saturating_sub(baseline) as f64 / 1024.0;
    eprintln!("30 MB upload: gateway RSS {baseline} kB before, {peak} kB peak, growth {growth_mb:.1} MB");
    assert!(growth_mb < 12.0, "RSS grew by {growth_mb:.1} MB");
}

#[test]
fn a_log_written_to_a_pipe_has_no_colour_codes() {
    use std::io::{BufRead, BufReader};
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let mut child = bin()
        .arg("serve")
        .env("IMAP_GATEWAY__HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env("IMAP_GATEWAY__DATABASE__URL", "sqlite::memory:")
        .env("IMAP_GATEWAY__AUTH__JWT_SECRET", crate::helpers::random_b64(48))
        .env("IMAP_GATEWAY__AUTH__ENCRYPTION_KEY", crate::helpers::random_b64(32))
        .env("RUST_LOG", "info")
        .env_remove("IMAP_GATEWAY_LOG_FORMAT")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let line = loop {
        match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(l) if l.contains("listening") => break l,
            Ok(_) => continue,
            Err(e) => panic!("no `listening` line: {e}"),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(!line.contains('\u{1b}'), "colour codes in a piped log: {line:?}");
    assert!(line.contains("INFO"), "{line}");
}
