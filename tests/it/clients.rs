//! The example clients in `clients/`, generated from `openapi/openapi.json` as a user would
//! generate them, type-checked strictly, and run against a live gateway and Dovecot.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::helpers::{Admin, TestApp, dovecot, message, unique};

const USER: &str = "ned";

/// A path in the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs `cmd` (without blocking the runtime the gateway runs on); its stdout, or a panic with
/// everything it printed.
pub async fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().await.unwrap_or_else(|e| panic!("{what}: {e}"));
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{what} failed ({}):\n{stdout}\n{stderr}", out.status);
    stdout.into_owned()
}

/// A mailbox of the test user with three messages, and a gateway in front of Dovecot.
async fn setup() -> (TestApp, String) {
    let mailbox = unique("client");
    let mut admin = Admin::connect(dovecot(), USER).await;
    admin.create(&mailbox).await;
    for i in 1..=3 {
        admin.append(&mailbox, None, &message(&format!("seeded {i}"))).await;
    }
    admin.logout().await;
    (TestApp::spawn().await, mailbox)
}

/// What an example program reads to find the gateway, the account and the mailbox.
fn gateway_env(app: &TestApp, mailbox: &str) -> [(&'static str, String); 4] {
    [
        ("GATEWAY_URL", app.url("")),
        ("GATEWAY_USER", USER.to_string()),
        ("GATEWAY_PASSWORD", format!("{USER}-pass")),
        ("GATEWAY_MAILBOX", mailbox.to_string()),
    ]
}

/// The line of `out` that starts with `prefix`.
fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no `{prefix}` line in:\n{out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_client_type_checks_strictly_and_works() {
    let deps = std::env::var("IGW_TS_CLIENT_DEPS")
        .expect("IGW_TS_CLIENT_DEPS (scripts/test installs clients/typescript's packages and sets it)");
    let bin = Path::new(&deps).join("node_modules/.bin");
    let (app, mailbox) = setup().await;
    // A copy of the client beside the installed packages: generated types, strict check, build.
    let work = std::env::temp_dir().join(format!("ts-client-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(work.join("src")).expect("work dir");
    for file in ["package.json", "tsconfig.json", "src/example.ts"] {
        std::fs::copy(repo(&format!("clients/typescript/{file}")), work.join(file)).expect("copy");
    }
    std::os::unix::fs::symlink(Path::new(&deps).join("node_modules"), work.join("node_modules")).expect("link");
    run(
        Command::new(bin.join("openapi-typescript"))
            .arg(repo("openapi/openapi.json"))
            .arg("-o")
            .arg(work.join("src/schema.d.ts")),
        "openapi-typescript",
    )
    .await;
    let tsc = || {
        let mut c = Command::new(bin.join("tsc"));
        c.arg("-p").arg(work.join("tsconfig.json")).arg("--strict");
        c
    };
    run(tsc().arg("--noEmit"), "tsc --strict --noEmit").await;
    run(&mut tsc(), "tsc").await;
    let out = run(
        Command::new("node").arg(work.join("dist/example.js")).envs(gateway_env(&app, &mailbox)),
        "the TypeScript example",
    )
    .await;
    std::fs::remove_dir_all(&work).ok();
    check(&app, &out, "typed client example", "Sent by clients/typescript.");
}

/// What every example prints: the values of a run against a mailbox of three messages.
fn check(app: &TestApp, out: &str, subject: &str, preview: &str) {
    eprintln!("{out}");
    let ttl = app.settings.auth.access_ttl_secs;
    assert_eq!(line(out, "login:"), format!("login: Bearer token, expires in {ttl} s"));
    let mailboxes = line(out, "mailboxes:");
    assert!(mailboxes.contains("INBOX (inbox)") && mailboxes.contains("Sent (sent)"), "{mailboxes}");
    assert_eq!(line(out, "pages:"), "pages: 2 + 1 messages");
    assert_eq!(line(out, "append:"), "append: uid 4, retry answered uid 4, replayed true");
    assert_eq!(
        line(out, "read:"),
        format!("read: \"{subject}\", preview \"{preview}\", again with If-None-Match: 304")
    );
    assert_eq!(line(out, "search:"), "search: 1 match, uids [4]");
    assert_eq!(line(out, "flags:"), "flags: $flagged true, the old ETag again: 412");
    let events: Vec<&str> = out.lines().filter(|l| l.starts_with("event:")).collect();
    assert_eq!(
        events,
        ["event: ready {\"watching\":true}", "event: message.created uids [4]", "event: message.updated uids [4]"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_client_type_checks_strictly_and_works() {
    let venv = std::env::var("IGW_PY_CLIENT_VENV")
        .expect("IGW_PY_CLIENT_VENV (scripts/test installs clients/python/requirements.txt and sets it)");
    let bin = Path::new(&venv).join("bin");
    let (app, mailbox) = setup().await;
    let work = std::env::temp_dir().join(format!("py-client-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&work).expect("work dir");
    std::fs::copy(repo("clients/python/example.py"), work.join("example.py")).expect("copy");
    run(
        Command::new(bin.join("openapi-python-client"))
            .args(["generate", "--meta", "none", "--path"])
            .arg(repo("openapi/openapi.json"))
            .arg("--output-path")
            .arg(work.join("imap_gateway_client"))
            .arg("--config")
            .arg(repo("clients/python/generator.yaml")),
        "openapi-python-client",
    )
    .await;
    run(Command::new(bin.join("mypy")).arg("--strict").arg("example.py").current_dir(&work), "mypy --strict").await;
    let out = run(
        Command::new(bin.join("python")).arg("example.py").current_dir(&work).envs(gateway_env(&app, &mailbox)),
        "the Python example",
    )
    .await;
    std::fs::remove_dir_all(&work).ok();
    check(&app, &out, "generated python client", "Sent by clients/python.");
}
