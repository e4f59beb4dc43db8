//! Everything the gateway refuses before IMAP, in process: each request goes through the
//! application's router with `oneshot` (no TCP), and the configured IMAP server refuses every
//! connection, so a request that got as far as IMAP would answer 502 `upstream-unreachable`.
//! Every answer here is decided before that. Bearer tokens come from a trusted issuer (auth
//! mode B, HS256) that the test signs for, so no IMAP login is needed. The Dovecot-backed
//! files check what valid requests do on a real server.

use axum::{
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::helpers::{assert_problem, init_logs, random_b64, seg};

const ISSUER: &str = "https://issuer.validation.test";
const ISSUER_SECRET: &str = "validation-trusted-issuer-secret-of-48-bytes!!!!";

/// A gateway's router with no reachable IMAP server, and a trusted-issuer token for alice.
struct Offline {
    router: axum::Router,
    token: String,
}

/// One answer: status, headers and the body as JSON (`Null` when it is not JSON).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    /// Checks a problem answer (status, content type, `type` slug) and returns its body.
    fn problem(&self, status: StatusCode, slug: &str) -> &Value {
        let ct = self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_problem(self.status, ct, &self.body, status, slug);
        &self.body
    }
}

fn trusted_token(secret: &str, claims: Value) -> String {
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).expect("sign")
}

fn claims(user: &str, exp_in: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": ISSUER, "aud": "imap-gateway", "sub": user, "exp": now + exp_in, "iat": now})
}

impl Offline {
    async fn start() -> Self {
        init_logs();
        let mut s = imap_gateway::Settings::default();
        s.http.listen = "127.0.0.1:0".into();
        let db = std::env::temp_dir().join(format!("igw-validation-{}.db", uuid::Uuid::new_v4()));
        s.database.url = format!("sqlite://{}", db.display());
        // Port 1: nothing listens, every connection is refused at once.
        s.imap.host = "127.0.0.1".into();
        s.imap.port = Some(1);
        s.imap.tls = imap_gateway::TlsMode::Plain;
        s.imap.connect_timeout_ms = 500;
        s.auth.jwt_secret = Some(imap_gateway::Secret::new(random_b64(48)));
        s.auth.encryption_key = Some(imap_gateway::Secret::new(random_b64(32)));
        s.trusted.enabled = true;
        s.trusted.issuer = ISSUER.into();
        s.trusted.algorithm = "HS256".into();
        s.trusted.hs256_secret = Some(imap_gateway::Secret::new(ISSUER_SECRET));
        s.trusted.master_user = "gwmaster".into();
        s.trusted.master_password = Some(imap_gateway::Secret::new("gwmaster-pass"));
        let app = imap_gateway::Application::build(s).await.expect("application builds");
        Self { router: app.router(), token: trusted_token(ISSUER_SECRET, claims("alice", 300)) }
    }

    /// Sends one request: `body` is sent as JSON unless it is a string (sent as it is, as JSON).
    async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            None => Body::empty(),
            Some(Value::String(raw)) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(raw)
            }
            Some(json) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
        };
        self.call(req.body(body).expect("request")).await
    }

    async fn call(&self, req: Request<Body>) -> Answer {
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// GET with alice's token.
    async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, Some(&self.token), None).await
    }

    /// POST of JSON with alice's token.
    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(&self.token), Some(body)).await
    }

    /// A valid request with alice's token gets past every check: it fails only at IMAP.
    async fn reaches_imap(&self, path: &str) {
        self.get(path).await.problem(StatusCode::BAD_GATEWAY, "upstream-unreachable");
    }
}

#[tokio::test]
async fn malformed_login_bodies_are_400_problems() {
    let app = Offline::start().await;
    let login = |body: Value| app.send(Method::POST, "/v1/auth/login", None, Some(body));
    login(json!("{")).await.problem(StatusCode::BAD_REQUEST, "invalid-body");
    login(json!({"username": "alice"})).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-properties");
    login(json!({"password": "alice-pass"})).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body");
    login(json!({"username": "al\r\nice", "password": "x"})).await.problem(StatusCode::BAD_REQUEST, "invalid-request");
    let big = login(Value::String("x".repeat(200_000))).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn requests_without_a_valid_bearer_token_are_401() {
    let app = Offline::start().await;
    let no_header = app.send(Method::GET, "/v1/mailboxes", None, None).await;
    no_header.problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let basic = Request::get("/v1/mailboxes").header(header::AUTHORIZATION, "Basic YWxpY2U6YWxpY2UtcGFzcw==");
    app.call(basic.body(Body::empty()).expect("request")).await.problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let now = chrono::Utc::now().timestamp();
    let mut other_issuer = claims("alice", 300);
    other_issuer["iss"] = json!("https://evil.test");
    let mut other_audience = claims("alice", 300);
    other_audience["aud"] = json!("someone-else");
    let mut not_yet = claims("alice", 300);
    not_yet["nbf"] = json!(now + 3600);
    let control = claims("al\rice", 300);
    for (what, token) in [
        ("garbage", "not.a.token".to_string()),
        ("signed with another secret", trusted_token("another-secret-that-is-32-bytes-long!!!", claims("alice", 300))),
        ("expired", trusted_token(ISSUER_SECRET, claims("alice", -120))),
        ("another issuer", trusted_token(ISSUER_SECRET, other_issuer)),
        ("another audience", trusted_token(ISSUER_SECRET, other_audience)),
        ("not yet valid", trusted_token(ISSUER_SECRET, not_yet)),
        ("a control character in the user", trusted_token(ISSUER_SECRET, control)),
    ] {
        let answer = app.send(Method::GET, "/v1/mailboxes", Some(&token), None).await;
        answer.problem(StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(answer.headers[header::WWW_AUTHENTICATE], "Bearer", "{what}");
    }
    app.reaches_imap("/v1/mailboxes").await;
}

/// (A long `parent` of a new mailbox is refused only after a LIST for the hierarchy
/// delimiter: names.rs.)
#[tokio::test]
async fn over_long_names_are_refused_before_any_imap_on_every_route() {
    let app = Offline::start().await;
    let long = "n".repeat(600);
    let component = format!("Fine/{}", "c".repeat(256));
    let total = ["p"; 501].join("/"); // 1001 bytes, every component short
    for (name, limit) in [(long.as_str(), 255), (component.as_str(), 255), (total.as_str(), 1000)] {
        let path = seg(name);
        let requests = [
            (Method::PATCH, format!("/v1/mailboxes/{path}"), Some(json!({"name": "x"}))),
            (Method::PATCH, "/v1/mailboxes/Nowhere".to_string(), Some(json!({ "name": name }))),
            (Method::GET, format!("/v1/mailboxes/{path}"), None),
            (Method::DELETE, format!("/v1/mailboxes/{path}?recursive=true"), None),
            (Method::GET, format!("/v1/mailboxes/{path}/messages"), None),
            (Method::POST, "/v1/mailboxes".to_string(), Some(json!({"name": name}))),
            (Method::POST, "/v1/search".to_string(), Some(json!({"mailboxes": [name], "filter": {"from": "a"}}))),
            (Method::GET, format!("/v1/events?mailboxes={path}"), None),
            (
                Method::POST,
                "/v1/webhooks".to_string(),
                Some(json!({"url": "https://example.com/h", "mailboxes": [name]})),
            ),
        ];
        for (method, url, body) in requests {
            let answer = app.send(method, &url, Some(&app.token), body).await;
            let problem = answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "mailbox-name-too-long");
            let detail = problem["detail"].as_str().unwrap_or_default();
            let url: String = url.chars().take(60).collect();
            assert!(detail.contains(&format!("{limit} bytes")), "{url}: {detail}");
        }
    }
    // the account still gets as far as IMAP after the refusals
    app.reaches_imap("/v1/mailboxes/INBOX").await;
}

#[tokio::test]
async fn uids_and_part_paths_are_checked_before_imap() {
    let app = Offline::start().await;
    for path in
        ["/v1/mailboxes/INBOX/messages/0", "/v1/mailboxes/INBOX/messages/abc", "/v1/mailboxes/INBOX/messages/0/raw"]
    {
        app.get(path).await.problem(StatusCode::BAD_REQUEST, "invalid-request");
    }
    app.get("/v1/mailboxes/INBOX/messages/1/parts/1.x").await.problem(StatusCode::BAD_REQUEST, "invalid-argument");
    for body in [json!({"uids": [], "add": ["$seen"]}), json!({"uids": [1], "add": ["$seen"], "set": []})] {
        let answer = app.post("/v1/mailboxes/INBOX/messages/flags", body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        answer.problem(StatusCode::BAD_REQUEST, "invalid-request");
    }
    let copy = app.post("/v1/mailboxes/INBOX/messages/copy", json!({"uids": [], "destination": "Archive"})).await;
    copy.problem(StatusCode::BAD_REQUEST, "invalid-request");
    app.post("/v1/mailboxes/INBOX/expunge", json!({})).await.problem(StatusCode::BAD_REQUEST, "invalid-request");
    app.reaches_imap("/v1/mailboxes/INBOX/messages/1").await;
}

#[tokio::test]
async fn page_sizes_and_body_limits_out_of_range_are_400() {
    let app = Offline::start().await;
    for bad in ["limit=0", "limit=501", "limit=x"] {
        let answer = app.get(&format!("/v1/mailboxes/INBOX/messages?{bad}")).await;
        answer.problem(StatusCode::BAD_REQUEST, "invalid-request");
    }
    for bad in ["maxBodyValueBytes=0", "maxBodyValueBytes=4194305"] {
        let answer = app.get(&format!("/v1/mailboxes/INBOX/messages/1?{bad}")).await;
        answer.problem(StatusCode::BAD_REQUEST, "invalid-request");
    }
    for limit in [0, 501] {
        let answer = app.post("/v1/mailboxes/INBOX/search", json!({"limit": limit})).await;
        answer.problem(StatusCode::BAD_REQUEST, "invalid-request");
    }
    let all = app.post("/v1/search", json!({"filter": {"from": "a"}, "limit": 201})).await;
    all.problem(StatusCode::BAD_REQUEST, "invalid-request");
    for bad in ["since=nope", "since=ms1.AAAA"] {
        let answer = app.get(&format!("/v1/mailboxes/INBOX/changes?{bad}")).await;
        answer.problem(StatusCode::BAD_REQUEST, "invalid-request");
    }
    app.reaches_imap("/v1/mailboxes/INBOX/messages?limit=500").await;
    app.reaches_imap("/v1/mailboxes/INBOX/messages/1?maxBodyValueBytes=4194304").await;
}

#[tokio::test]
async fn malformed_json_bodies_are_problems() {
    let app = Offline::start().await;
    app.post("/v1/mailboxes", json!("{")).await.problem(StatusCode::BAD_REQUEST, "invalid-body");
    app.post("/v1/mailboxes", json!({"nom": "x"})).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body");
    let search = app.post("/v1/mailboxes/INBOX/search", json!(r#"{"limit": 5,"#)).await;
    search.problem(StatusCode::BAD_REQUEST, "invalid-body");
    let webhook = app.post("/v1/webhooks", json!({"url": "https://93.184.216.34/", "events": ["mail.exploded"]})).await;
    webhook.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-properties");
}

#[tokio::test]
async fn bad_search_filters_and_sorts_are_422() {
    let app = Offline::start().await;
    let filter = json!({"filter": {"operator": "AND", "conditions": [{"seen": true}, {"recnt": 1}]}});
    let answer = app.post("/v1/mailboxes/INBOX/search", filter).await;
    let problem = answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-filter");
    assert_eq!(problem["invalidParams"][0]["name"], "filter.conditions[1].recnt");
    let sort = app.post("/v1/mailboxes/INBOX/search", json!({"sort": [{"property": "color"}]})).await;
    sort.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-filter");
}

/// A path segment that is not UTF-8 names nothing: 404, before any IMAP, on every kind of route.
#[tokio::test]
async fn a_path_that_is_not_utf8_is_not_found() {
    let app = Offline::start().await;
    for url in ["/v1/mailboxes/%FF", "/v1/mailboxes/Fine%E2%8B/messages", "/v1/mailboxes/a%F4/messages/1"] {
        let answer = app.send(Method::GET, url, Some(&app.token), None).await;
        answer.problem(StatusCode::NOT_FOUND, "not-found");
    }
    app.reaches_imap("/v1/mailboxes/INBOX").await;
}
