//! The web client in a real browser: Debian's chromium, driven by puppeteer-core through
//! tests/web/browser.mjs, against the gateway and Dovecot with the demo's mail; every step the
//! script reports is checked here against IMAP.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::admin::Admin;
use crate::clients::repo;
use crate::helpers::{TestApp, dovecot, message};

const USER: &str = "web";
/// A 1×1 PNG.
const PNG_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// The attachment's bytes: every byte value once.
fn attachment() -> Vec<u8> {
    (0..=255u8).collect()
}

fn inline_message(subject: &str) -> String {
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(attachment());
    format!(
        "From: Carol <carol@example.org>\r\nTo: web@example.org\r\nSubject: {subject}\r\n\
         Date: Thu, 3 Dec 2026 09:00:00 +0000\r\nMessage-ID: <{}@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"out\"\r\n\r\n--out\r\n\
         Content-Type: multipart/related; boundary=\"rel\"\r\n\r\n--rel\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n<p>Our logo:</p><p><img src=\"cid:logo@example.org\" alt=\"logo\"></p>\r\n\
         --rel\r\nContent-Type: image/png\r\nContent-ID: <logo@example.org>\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {PNG_B64}\r\n--rel--\r\n--out\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n\
         Content-Disposition: attachment; filename=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{data}\r\n--out--\r\n",
        uuid::Uuid::new_v4()
    )
}

fn hostile_message(subject: &str) -> String {
    let html = "<html><head><style>body{background:url(https://evil.example/css-bg)}</style>\
        <script>console.log('PWNED script');window.pwned=1</script>\
        <link rel=\"stylesheet\" href=\"https://evil.example/sheet.css\"></head>\
        <body onload=\"console.log('PWNED onload')\"><p>Hostile body text</p>\
        <img src=\"https://evil.example/track.png\"><img src=\"x\" onerror=\"console.log('PWNED onerror');window.pwned=1\">\
        <a href=\"javascript:console.log('PWNED link')\">a link</a>\
        <div style=\"background-image:url('https://evil.example/inline-style')\">styled</div>\
        <iframe src=\"https://evil.example/frame\"></iframe><svg onload=\"console.log('PWNED svg')\"></svg>\
        <form action=\"https://evil.example/post\"><input name=\"q\"></form></body></html>";
    format!(
        "From: Mallory <mallory@evil.example>\r\nTo: web@example.org\r\nSubject: {subject}\r\n\
         Date: Thu, 3 Dec 2026 09:05:00 +0000\r\nMessage-ID: <{}@evil.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n",
        uuid::Uuid::new_v4()
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_client_works_in_a_real_browser() {
    let deps = std::env::var("IGW_WEB_DEPS").expect("IGW_WEB_DEPS (scripts/test installs web/'s packages)");
    let chromium = std::env::var("CHROMIUM").expect("CHROMIUM (scripts/test installs Debian's chromium)");
    let d = dovecot();
    // The demo's mail (idempotent), then this run's own messages, newest.
    let seed = Command::new("python3")
        .arg(repo("scripts/seed-demo.py"))
        .args(["--host", &d.host, "--port", &d.port.to_string(), "--user", USER, "--password", "web-pass"])
        .output()
        .await
        .expect("seed-demo.py");
    assert!(seed.status.success(), "seed-demo.py: {}", String::from_utf8_lossy(&seed.stderr));
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let subject = |what: &str| format!("{what} {tag}");
    let mut admin = Admin::connect(d, USER).await;
    // More than two pages, for the scroll: the demo's INBOX holds fewer than 50.
    let (held, _) = admin.status("INBOX").await;
    for i in held..60 {
        admin
            .append_at("INBOX", Some("(\\Seen)"), "01-Jun-2026 08:00:00 +0000", &message(&format!("Older note {i}")))
            .await;
    }
    admin.append("INBOX", None, &message(&subject("Delete me"))).await;
    admin.append("INBOX", None, &message(&subject("Move me"))).await;
    admin.append("INBOX", None, &message(&subject("Flag me"))).await;
    admin.append("INBOX", None, &hostile_message(&subject("Hostile HTML"))).await;
    admin.append("INBOX", None, &inline_message(&subject("Inline image and attachment"))).await;

    // Sending through scripts/test's Postfix; access tokens of the shortest lifetime allowed, so
    // the page must refresh them during the run (at 80%, 48 s).
    let app = TestApp::spawn_with(|s| {
        crate::send::smtp_settings(s);
        s.auth.access_ttl_secs = 60;
    })
    .await;
    let shots = repo("target/web-screenshots");
    let downloads = std::env::temp_dir().join(format!("web-downloads-{tag}"));
    let subjects = serde_json::json!({
        "inline": subject("Inline image and attachment"), "hostile": subject("Hostile HTML"),
        "live": subject("Live arrival"), "flag": subject("Flag me"), "move": subject("Move me"),
        "remove": subject("Delete me"),
        "moveTo": "Projects", "sender": "bob.chen@example.com", "self": "web@example.org",
        "sent": subject("Sent from the browser"),
    });
    let mut child = Command::new("node")
        .arg(repo("tests/web/browser.mjs"))
        .envs([
            ("IGW_WEB_DEPS", deps.clone()),
            ("CHROMIUM", chromium),
            ("GATEWAY_URL", app.url("")),
            ("GATEWAY_USER", USER.into()),
            ("GATEWAY_PASSWORD", "web-pass".into()),
            ("WEB_SUBJECTS", subjects.to_string()),
            ("WEB_SCREENSHOTS", shots.display().to_string()),
            ("WEB_DOWNLOADS", downloads.display().to_string()),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node tests/web/browser.mjs");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut inbox_then = None;
    let read = async {
        while let Some(line) = lines.next_line().await.expect("read") {
            eprintln!("browser: {line}");
            let (name, value) = line.split_once(": ").unwrap_or((&line, ""));
            if name == "inbox" {
                inbox_then = Some(admin.status("INBOX").await);
            }
            if name == "wait" && value == "append" {
                admin.append("INBOX", None, &message(&subject("Live arrival"))).await;
                stdin.write_all(b"appended\n").await.expect("stdin");
                stdin.flush().await.expect("stdin");
            }
            seen.insert(name.to_string(), value.to_string());
        }
    };
    tokio::time::timeout(Duration::from_secs(240), read).await.expect("the browser run took over 240 s");
    let out = child.wait_with_output().await.expect("node");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && seen.get("done").is_some_and(|v| v == "ok"), "browser.mjs failed:\n{stderr}");
    std::fs::remove_dir_all(&downloads).ok();
    let got = |k: &str| seen.get(k).unwrap_or_else(|| panic!("no `{k}` line")).as_str();

    // 7. A wrong password shows the problem's own text.
    let problem: serde_json::Value = app.login_raw(USER, "not-the-password").await.json().await.expect("problem");
    let text = format!("{}: {}", problem["title"].as_str().unwrap_or(""), problem["detail"].as_str().unwrap_or(""));
    assert_eq!(got("wrong-password"), text.trim_end_matches(": "));
    // 1. INBOX as IMAP counts it.
    let (messages, unseen) = inbox_then.expect("STATUS at the `inbox` step");
    assert_eq!(got("inbox"), format!("{messages} messages"));
    assert_eq!(got("inbox-unread"), unseen.to_string());
    assert_eq!(got("rows"), "50");
    assert_eq!(got("rows-after-scroll"), messages.min(100).to_string());
    // 2. The inline image shows (fetched into a blob), the download is the stored bytes.
    assert!(got("image").starts_with("1x1 blob"), "{}", got("image"));
    let sha = hex(ring::digest::digest(&ring::digest::SHA256, &attachment()).as_ref());
    assert_eq!(got("download"), format!("data.bin 256 {sha}"));
    assert!(got("parts").parse::<u32>().expect("parts") >= 5, "{}", got("parts"));
    for page in ["axe-login", "axe-app"] {
        assert!(got(page).starts_with("serious 0, critical 0,"), "{page}: {}", got(page));
    }
    // 3. The live message (the script waited at most 2 s for it), on top.
    assert_eq!(got("live-position"), subject("Live arrival"));
    // 4. Search by sender: exactly IMAP's SEARCH FROM.
    let imap: Vec<String> =
        admin.uid_search("INBOX", "FROM \"bob.chen@example.com\"").await.iter().map(u32::to_string).collect();
    assert!(!imap.is_empty());
    assert_eq!(got("search"), imap.join(","));
    assert_eq!(got("slash-focus"), "search-from");
    assert_eq!(got("keys"), "second opened");
    // 5. The flag and the move, as IMAP sees them.
    let flagged: u32 = got("flagged").parse().expect("uid");
    assert!(admin.flags("INBOX", flagged).await.iter().any(|f| f.contains("Flagged")));
    let (moved, to) = got("moved").split_once(" to ").expect("moved");
    assert!(admin.uid_search("INBOX", &format!("UID {moved}")).await.is_empty());
    assert_eq!(admin.uid_search(to, &format!("SUBJECT \"{}\"", subject("Move me"))).await.len(), 1);
    // Delete: out of INBOX, into Trash.
    let deleted = got("deleted");
    assert!(admin.uid_search("INBOX", &format!("UID {deleted}")).await.is_empty());
    assert_eq!(admin.uid_search("Trash", &format!("SUBJECT \"{}\"", subject("Delete me"))).await.len(), 1);
    // 6. Hostile HTML: nothing ran, nothing remote was asked for; the text is there.
    assert_eq!(got("hostile"), "outside requests 0 [], executed 0");
    assert!(got("hostile-text").starts_with("Hostile body text"), "{}", got("hostile-text"));
    // Compose: the reply saved as a draft, in IMAP's Drafts.
    assert_eq!(got("draft"), "Draft saved in Drafts");
    assert_eq!(admin.uid_search("Drafts", &format!("SUBJECT \"{}\"", got("draft-subject"))).await.len(), 1);
    // Send: accepted by Postfix, and a copy in IMAP's Sent.
    assert_eq!(got("sent"), "Sent to web@example.org");
    let sent = format!("SUBJECT \"{}\"", subject("Sent from the browser"));
    assert_eq!(admin.uid_search("Sent", &sent).await.len(), 1);
    // Tokens in memory only, refreshed before they expired, never in a URL.
    assert_eq!(got("storage"), "0 0 0");
    assert!(got("refreshes").parse::<u32>().expect("count") >= 1);
    assert_eq!(got("after-refresh"), subject("Flag me"));
    assert_eq!(got("token-in-url"), "0");
    assert_eq!(got("console-errors"), "0");
    for shot in ["list.png", "reading.png", "compose.png"] {
        assert!(shots.join(shot).metadata().is_ok_and(|m| m.len() > 1000), "{shot}");
    }
    eprintln!("web timings: {}", got("timings"));
    admin.logout().await;
}
