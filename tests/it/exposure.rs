//! What the gateway shows and to whom: download headers, per-variant ETags, where `/metrics`
//! is served, and upstream TLS errors and greetings kept out of problems.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

use crate::{
    fake_imap::plain,
    helpers::{Admin, TestApp, dovecot, expect_problem, seg, settings_for, unique},
};

const CSP: &str = "default-src 'none'; sandbox";

const HTML_MAIL: &str = "From: a@example.com\r\nTo: b@example.org\r\nSubject: html\r\n\
    Message-ID: <exposure-html@example.com>\r\nMIME-Version: 1.0\r\n\
    Content-Type: text/html; charset=utf-8\r\n\r\n<p onclick=\"x()\">Hi<script>alert(1)</script></p>\r\n";

#[tokio::test]
async fn every_download_carries_the_csp_and_raw_is_an_attachment() {
    let mailbox = unique("dl");
    let mut admin = Admin::connect(dovecot(), "dave").await;
    admin.create(&mailbox).await;
    admin.append(&mailbox, None, HTML_MAIL).await;
    let app = TestApp::spawn().await;
    let token = app.login("dave").await.access;
    let base = format!("/v1/mailboxes/{}/messages/1", seg(&mailbox));
    for (path, disposition) in [
        (format!("{base}/raw"), Some("attachment; filename=\"message-1.eml\"")),
        (format!("{base}/parts/1"), Some("attachment;")),
        (format!("{base}/parts/1?disposition=inline"), Some("inline;")),
        (format!("{base}/headers?form=raw"), None),
    ] {
        let resp = app.get(&path, &token).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let h = resp.headers();
        assert_eq!(h["content-security-policy"], CSP, "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        if let Some(d) = disposition {
            let got = h["content-disposition"].to_str().expect("ascii");
            assert!(got.starts_with(d), "{path}: {got}");
        }
    }
    // A range of the raw message is a download too.
    let ranged = app
        .http
        .get(app.url(&format!("{base}/raw")))
        .bearer_auth(&token)
        .header("range", "bytes=0-9")
        .send()
        .await
        .expect("range");
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(ranged.headers()["content-security-policy"], CSP);
    assert!(ranged.headers()["content-disposition"].to_str().expect("ascii").starts_with("attachment"));
    admin.delete(&mailbox).await;
    admin.logout().await;
}

#[tokio::test]
async fn sanitized_and_unsanitized_html_have_different_etags() {
    let mailbox = unique("etag");
    let mut admin = Admin::connect(dovecot(), "dave").await;
    admin.create(&mailbox).await;
    admin.append(&mailbox, None, HTML_MAIL).await;
    let app = TestApp::spawn().await;
    let token = app.login("dave").await.access;
    let url = format!("/v1/mailboxes/{}/messages/1", seg(&mailbox));
    let plain = app.get(&url, &token).await;
    let plain_tag = plain.headers()["etag"].to_str().expect("etag").to_string();
    let plain: serde_json::Value = plain.json().await.expect("json");
    let clean_url = format!("{url}?sanitize=true");
    let clean = app.get(&clean_url, &token).await;
    let clean_tag = clean.headers()["etag"].to_str().expect("etag").to_string();
    let clean: serde_json::Value = clean.json().await.expect("json");
    assert_ne!(plain["bodyValues"], clean["bodyValues"], "the variants differ");
    assert_ne!(plain_tag, clean_tag, "so do their ETags");
    let revalidate = |path: String, tag: String| {
        app.http.get(app.url(&path)).bearer_auth(&token).header("if-none-match", tag).send()
    };
    // A cached unsanitized copy never validates the sanitized body, and the reverse.
    assert_eq!(revalidate(clean_url.clone(), plain_tag.clone()).await.expect("get").status(), StatusCode::OK);
    assert_eq!(revalidate(url.clone(), clean_tag.clone()).await.expect("get").status(), StatusCode::OK);
    assert_eq!(revalidate(clean_url, clean_tag.clone()).await.expect("get").status(), StatusCode::NOT_MODIFIED);
    assert_eq!(revalidate(url.clone(), plain_tag.clone()).await.expect("get").status(), StatusCode::NOT_MODIFIED);
    // A body cut at another maxBodyValueBytes is another variant too.
    let short_url = format!("{url}?maxBodyValueBytes=5");
    let short = app.get(&short_url, &token).await;
    let short_tag = short.headers()["etag"].to_str().expect("etag").to_string();
    assert!(![&plain_tag, &clean_tag].contains(&&short_tag), "{short_tag}");
    assert_eq!(revalidate(short_url.clone(), plain_tag).await.expect("get").status(), StatusCode::OK);
    assert_eq!(revalidate(short_url, short_tag).await.expect("get").status(), StatusCode::NOT_MODIFIED);
    // The sanitized ETag still works as a precondition for a flag change.
    let patch = app
        .patch_message(&token, &mailbox, 1, &serde_json::json!({"keywords": {"$seen": true}}), Some(&clean_tag))
        .await;
    assert_eq!(patch.status(), StatusCode::OK);
    admin.delete(&mailbox).await;
    admin.logout().await;
}

/// A gateway with `adjust`ed settings, and the port of its metrics listener, if any.
async fn gateway(adjust: impl FnOnce(&mut imap_gateway::Settings)) -> (String, Option<String>) {
    crate::helpers::init_logs();
    let mut s = settings_for(dovecot());
    adjust(&mut s);
    let app = imap_gateway::Application::build(s).await.expect("builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let metrics = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    (base, metrics)
}

#[tokio::test]
async fn metrics_move_to_their_own_listener_or_need_the_bearer_token() {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    let get = |url: String, token: Option<&'static str>| {
        let req = http.get(url);
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        req.send()
    };
    // Default, as before: open, on the main listener.
    let (base, none) = gateway(|_| {}).await;
    assert!(none.is_none());
    let open = get(format!("{base}/metrics"), None).await.expect("metrics");
    assert_eq!(open.status(), StatusCode::OK);
    assert!(open.text().await.expect("text").contains("imap_connections_open"));

    let (base, metrics) = gateway(|s| s.metrics.listen = Some("127.0.0.1:0".into())).await;
    let metrics = metrics.expect("a metrics listener");
    assert_eq!(get(format!("{base}/metrics"), None).await.expect("main").status(), StatusCode::NOT_FOUND);
    let served = get(format!("{metrics}/metrics"), None).await.expect("metrics listener");
    assert_eq!(served.status(), StatusCode::OK);
    assert!(served.text().await.expect("text").contains("imap_connections_open"));
    assert_eq!(get(format!("{metrics}/v1/mailboxes"), None).await.expect("other").status(), StatusCode::NOT_FOUND);

    let token = "metrics-scrape-token-0123456789";
    let (base, _) = gateway(|s| s.metrics.bearer_token = Some(imap_gateway::Secret::new(token))).await;
    let refused = get(format!("{base}/metrics"), None).await.expect("metrics");
    expect_problem(refused, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let wrong = get(format!("{base}/metrics"), Some("metrics-scrape-token-012345678")).await.expect("metrics");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = get(format!("{base}/metrics"), Some(token)).await.expect("metrics");
    assert_eq!(right.status(), StatusCode::OK);
}

/// A one-connection-at-a-time fake IMAP server: `greeting`, then LOGIN and CAPABILITY answered,
/// and `on_list` (with the tag) in answer to LIST or LSUB.
async fn fake(greeting: &'static str, on_list: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = sock.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(greeting.as_bytes()).await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let (tag, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
                    let reply = match rest.split(' ').next().unwrap_or("").to_ascii_uppercase().as_str() {
                        "CAPABILITY" => format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"),
                        "LIST" | "LSUB" => on_list.replace("TAG", tag),
                        "LOGOUT" => format!("* BYE bye\r\n{tag} OK done\r\n"),
                        _ => format!("{tag} OK done\r\n"),
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

#[tokio::test]
async fn upstream_tls_errors_greetings_and_bye_texts_are_not_echoed() {
    // TLS spoken to a plain-text port: rustls's complaint stays in the log.
    let d = dovecot();
    let mut s = settings_for(d);
    s.imap.tls = imap_gateway::TlsMode::Implicit;
    s.imap.port = Some(d.port);
    let app = TestApp::start(s).await;
    let body = expect_problem(app.login_raw("dave", "dave-pass").await, StatusCode::BAD_GATEWAY, "upstream-tls").await;
    assert_eq!(body["detail"], "the TLS handshake with the IMAP server failed", "{body}");

    // A greeting that refuses the connection, with the server's words about itself.
    let port = fake("* BYE Too many connections from 10.9.8.7 to imap7.corp.internal\r\n", "").await;
    let app = TestApp::start(plain(port)).await;
    let resp = app.login_raw("dave", "dave-pass").await;
    let body = expect_problem(resp, StatusCode::SERVICE_UNAVAILABLE, "connection-limit").await;
    assert!(!body.to_string().contains("corp.internal") && !body.to_string().contains("10.9.8.7"), "{body}");

    // A greeting the gateway cannot use.
    let port = fake("* PREAUTH imap7.corp.internal Dovecot ready for root\r\n", "").await;
    let app = TestApp::start(plain(port)).await;
    let body = app.login_raw("dave", "dave-pass").await.text().await.expect("body");
    assert!(body.contains("upstream-protocol-error"), "{body}");
    assert!(!body.contains("corp.internal"), "{body}");

    // A BYE in the middle of a command.
    let port = fake("* OK [CAPABILITY IMAP4rev1] ready\r\n", "* BYE imap7.corp.internal is going down\r\n").await;
    let app = TestApp::start(plain(port)).await;
    let token = app.login("dave").await.access;
    let resp = app.get("/v1/mailboxes?counts=false", &token).await;
    let body = expect_problem(resp, StatusCode::BAD_GATEWAY, "upstream-disconnected").await;
    assert!(!body.to_string().contains("corp.internal"), "{body}");
}
