//! The web client at `/app/`: its checked-in bundle is what its sources build, it is served
//! under a strict CSP, and it works in Debian's chromium against the gateway and Dovecot, each
//! step checked against IMAP (tests/web/browser.mjs drives the browser).

use std::path::PathBuf;

use tokio::process::Command;

use crate::clients::{repo, run};
use crate::helpers::TestApp;

fn web_deps() -> PathBuf {
    std::env::var("IGW_WEB_DEPS").expect("IGW_WEB_DEPS (scripts/test installs web/'s packages and sets it)").into()
}

#[tokio::test]
async fn the_app_is_served_embedded_under_a_strict_csp() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let resp = http.get(app.url("/app")).send().await.expect("GET /app");
    assert_eq!(resp.status(), 308);
    assert_eq!(resp.headers()["location"], "/app/");
    for (path, file, kind) in [
        ("/app/", "web/dist/index.html", "text/html"),
        ("/app/app.js", "web/dist/app.js", "text/javascript"),
        ("/app/app.css", "web/dist/app.css", "text/css"),
    ] {
        let resp = http.get(app.url(path)).send().await.expect("GET");
        assert_eq!(resp.status(), 200, "{path}");
        let csp = resp.headers()["content-security-policy"].to_str().expect("csp").to_string();
        assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
        assert!(resp.headers()["content-type"].to_str().expect("type").starts_with(kind), "{path}");
        assert_eq!(resp.bytes().await.expect("body").as_ref(), std::fs::read(repo(file)).expect("dist file"), "{path}");
    }
    // The page loads its script and style from files, never inline.
    let page = std::fs::read_to_string(repo("web/dist/index.html")).expect("index.html");
    assert!(page.contains(r#"<script type="module" src="app.js"></script>"#) && !page.contains("style="));
}

/// `web/dist/` is checked in (the binary embeds it, and a build needs no Node): it must be
/// exactly what `web/`'s sources build, type-checked strictly against the generated client.
#[tokio::test]
async fn the_checked_in_bundle_is_what_the_sources_build() {
    let deps = web_deps();
    let bin = deps.join("node_modules/.bin");
    let work = std::env::temp_dir().join(format!("web-build-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(work.join("src")).expect("work dir");
    for file in ["package.json", "tsconfig.json", "build.mjs", "index.html", "app.css"] {
        std::fs::copy(repo(&format!("web/{file}")), work.join(file)).expect("copy");
    }
    for entry in std::fs::read_dir(repo("web/src")).expect("web/src") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "ts") && !path.ends_with("schema.d.ts") {
            std::fs::copy(&path, work.join("src").join(path.file_name().expect("name"))).expect("copy");
        }
    }
    std::os::unix::fs::symlink(deps.join("node_modules"), work.join("node_modules")).expect("link");
    run(
        Command::new(bin.join("openapi-typescript"))
            .arg(repo("openapi/openapi.json"))
            .arg("-o")
            .arg(work.join("src/schema.d.ts")),
        "openapi-typescript",
    )
    .await;
    run(Command::new(bin.join("tsc")).arg("-p").arg(work.join("tsconfig.json")), "tsc --strict --noEmit").await;
    run(Command::new("node").arg("build.mjs").arg("fresh").current_dir(&work), "node build.mjs").await;
    let mut gzipped = 0;
    for file in ["index.html", "app.js", "app.css"] {
        let fresh = std::fs::read(work.join("fresh").join(file)).expect("fresh build");
        let checked_in = std::fs::read(repo(&format!("web/dist/{file}"))).expect("web/dist");
        assert!(fresh == checked_in, "web/dist/{file} is not what web/ builds: run `npm run build` in web/");
        let gz = run(
            Command::new("bash")
                .arg("-c")
                .arg(format!("gzip -9 -c '{}' | wc -c", work.join("fresh").join(file).display())),
            "gzip",
        )
        .await;
        gzipped += gz.trim().parse::<usize>().expect("size");
    }
    std::fs::remove_dir_all(&work).ok();
    eprintln!("web bundle: {gzipped} bytes gzipped (index.html, app.js, app.css)");
    assert!(gzipped <= 250 * 1024, "the bundle is {gzipped} bytes gzipped, over 250 KB");
}
