//! Typed settings: a TOML file (`--config`) overlaid with `IMAP_GATEWAY__*` environment variables.

use std::{fmt, path::PathBuf, time::Duration};

use base64::Engine as _;
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

mod oauth;
mod protect;
mod smtp;
mod sync;
mod trusted;
pub use oauth::{OAuthProvider, OAuthSettings};
pub use protect::ProtectionSettings;
pub use smtp::SmtpSettings;
pub use sync::{EventsSettings, WebhookSettings};
pub use trusted::TrustedSettings;

/// Prefix of every environment override; `__` separates nesting levels.
pub const ENV_PREFIX: &str = "IMAP_GATEWAY__";

/// All settings of one gateway process.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// HTTP listener and request limits.
    pub http: HttpSettings,
    /// The database holding accounts, refresh tokens and revocations.
    pub database: DatabaseSettings,
    /// The upstream IMAP server.
    pub imap: ImapSettings,
    /// Token signing and credential encryption.
    pub auth: AuthSettings,
    /// Connection pool sizes and lifetimes.
    pub pool: PoolSettings,
    /// Live events.
    pub events: EventsSettings,
    /// Webhooks.
    pub webhooks: WebhookSettings,
    /// Rate limits, CORS, client IP.
    pub protection: ProtectionSettings,
    /// Auth mode B: a trusted token issuer and the IMAP master login.
    pub trusted: TrustedSettings,
    /// OAuth2 providers for refreshing the access tokens of XOAUTH2/OAUTHBEARER accounts.
    pub oauth: OAuthSettings,
    /// Where `/metrics` is served and who may read it.
    pub metrics: MetricsSettings,
    /// Mail submission: the SMTP server, identities and the send rate limit.
    pub smtp: SmtpSettings,
}

/// HTTP listener settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Address to listen on, `host:port`; port 0 picks a free port.
    pub listen: String,
    /// Deadline for a whole request, in milliseconds.
    pub request_timeout_ms: u64,
    /// Largest accepted JSON request body, in bytes.
    pub max_json_body: usize,
    /// Deadline for in-flight requests once shutdown starts, in milliseconds.
    pub shutdown_grace_ms: u64,
    /// Deadline for a request head (request line and headers), in milliseconds (default
    /// 10,000): from the connection's start for its first request, from the first byte of the
    /// head for later ones. A slower client is disconnected.
    pub header_read_timeout_ms: u64,
    /// A keep-alive connection waiting this long for its next complete request head is closed,
    /// in milliseconds (default 60,000).
    pub idle_timeout_ms: u64,
    /// Open client connections at most (default 10,000). Past it, new connections are not
    /// accepted until one closes: they wait in the kernel's listen queue.
    pub max_connections: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            request_timeout_ms: 45_000,
            max_json_body: 64 * 1024,
            shutdown_grace_ms: 10_000,
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            max_connections: 10_000,
        }
    }
}

/// `[metrics]`: where `/metrics` is served and who may read it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// A separate `host:port` for `/metrics` (e.g. `127.0.0.1:9100`); then the main listener
    /// answers 404 for it. Default: none, served on the main listener.
    pub listen: Option<String>,
    /// When set, `/metrics` requires `Authorization: Bearer <token>` (401 without it).
    /// Default: none, open.
    pub bearer_token: Option<Secret>,
}

/// Database settings.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path.db` (created if missing) or `postgres://user@host/db`.
    pub url: String,
    /// Largest number of database connections.
    pub max_connections: u32,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { url: "sqlite://imap-gateway.db".into(), max_connections: 10 }
    }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// `url` with the password of its user info and of any `password=` parameter replaced by
/// `[redacted]`.
pub fn redact_url(url: &str) -> String {
    const R: &str = "[redacted]";
    let (mut head, query) = match url.split_once('?') {
        Some((h, q)) => (h.to_string(), Some(q)),
        None => (url.to_string(), None),
    };
    if let Some(start) = head.find("://").map(|i| i + 3) {
        let end = head[start..].find('/').map_or(head.len(), |i| start + i);
        if let Some(at) = head[start..end].rfind('@').map(|i| start + i)
            && let Some(colon) = head[start..at].find(':').map(|i| start + i)
        {
            head.replace_range(colon + 1..at, R);
        }
    }
    let Some(query) = query else { return head };
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}={R}"),
            _ => p.to_string(),
        })
        .collect();
    format!("{head}?{}", params.join("&"))
}

/// How the gateway secures its IMAP connections.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS from the first byte (port 993).
    Implicit,
    /// Plain TCP upgraded with STARTTLS before login (port 143).
    Starttls,
    /// No TLS at all; only sensible on loopback.
    Plain,
}

/// Upstream IMAP server and per-phase deadlines.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapSettings {
    /// Host name or address of the IMAP server.
    pub host: String,
    /// Port; defaults to 993 for implicit TLS and 143 otherwise.
    pub port: Option<u16>,
    /// `implicit`, `starttls` or `plain`.
    pub tls: TlsMode,
    /// PEM file with the CA certificates to trust; the public web roots when absent.
    pub ca_file: Option<PathBuf>,
    /// Name checked against the server certificate; defaults to `host`.
    pub tls_server_name: Option<String>,
    /// TCP connect deadline, in milliseconds.
    pub connect_timeout_ms: u64,
    /// TLS handshake deadline, in milliseconds.
    pub tls_timeout_ms: u64,
    /// Deadline for the server greeting, in milliseconds.
    pub greeting_timeout_ms: u64,
    /// Deadline for LOGIN/AUTHENTICATE, in milliseconds.
    pub login_timeout_ms: u64,
    /// Deadline for every other command, in milliseconds.
    pub command_timeout_ms: u64,
    /// A pooled connection that still has a mailbox selected serves reads from it without a
    /// NOOP for this long after its view last caught up (in milliseconds; 0: always NOOP).
    /// Changes made through the gateway are seen at once; other clients' within this time.
    pub resync_after_ms: u64,
    /// Largest message header `…/headers` serves, in bytes (default 1 MiB): it fetches at most
    /// one byte more, and a longer header is a 422 `header-too-large`.
    pub header_max_bytes: u32,
    /// Capabilities to ignore even if the server offers them (upper case), to work around a
    /// broken extension or to exercise the fallbacks: e.g. `["LIST-STATUS"]`.
    pub ignore_capabilities: Vec<String>,
    /// Longest mailbox name a caller may send, in UTF-8 bytes (default 1000); longer is 422.
    pub mailbox_name_max_bytes: usize,
    /// Longest component of a mailbox name (between `/` or `.`), in bytes of its modified
    /// UTF-7 wire form (default 255, a file-name limit on most servers' disks); longer is 422.
    pub mailbox_component_max_bytes: usize,
    /// Most changed messages one `/changes` answer holds in memory (default 10 000): of the
    /// messages changed since a MODSEQ, only the lowest by (MODSEQ, UID) are kept while the
    /// server streams them, and a page ends at this many (`hasMoreChanges`) even when
    /// `maxChanges` is higher.
    pub changes_collect_max: usize,
}

/// Default of `imap.mailbox_name_max_bytes`: the longest mailbox name accepted, in UTF-8 bytes
/// (also the hard cap on a name's modified UTF-7 wire form, whatever the setting).
pub const MAILBOX_NAME_MAX_BYTES: usize = 1000;
/// Default of `imap.mailbox_component_max_bytes`: the longest hierarchy component accepted, in
/// bytes of its modified UTF-7 wire form (a file-name limit on most servers' disks).
pub const MAILBOX_COMPONENT_MAX_BYTES: usize = 255;
/// Default of `imap.changes_collect_max`: changed messages held for one `/changes` answer.
pub const CHANGES_COLLECT_MAX: usize = 10_000;

impl Default for ImapSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: None,
            tls: TlsMode::Starttls,
            ca_file: None,
            tls_server_name: None,
            connect_timeout_ms: 10_000,
            tls_timeout_ms: 10_000,
            greeting_timeout_ms: 10_000,
            login_timeout_ms: 15_000,
            command_timeout_ms: 30_000,
            resync_after_ms: 1_000,
            header_max_bytes: 1024 * 1024,
            ignore_capabilities: Vec::new(),
            mailbox_name_max_bytes: MAILBOX_NAME_MAX_BYTES,
            mailbox_component_max_bytes: MAILBOX_COMPONENT_MAX_BYTES,
            changes_collect_max: CHANGES_COLLECT_MAX,
        }
    }
}

impl ImapSettings {
    /// The port actually used.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            TlsMode::Implicit => 993,
            _ => 143,
        })
    }
}

/// Token and credential-encryption settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// HS256 secret for gateway-issued access tokens (at least 32 bytes).
    pub jwt_secret: Option<Secret>,
    /// `iss` of issued tokens, and the only issuer accepted.
    pub issuer: String,
    /// `aud` of issued tokens, and the only audience accepted.
    pub audience: String,
    /// Access-token lifetime in seconds (60–900).
    pub access_ttl_secs: u64,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl_secs: u64,
    /// Absolute lifetime of a token family (a login's chain of refresh tokens), in seconds from
    /// the login (default 30 days): refreshing never extends it.
    pub refresh_family_lifetime_secs: u64,
    /// Clock leeway when checking `exp`/`nbf`, in seconds (at most 30).
    pub leeway_secs: u64,
    /// A refresh token presented again within this many seconds of its use is a race (refused,
    /// nothing revoked); later, reuse revokes its whole family.
    pub refresh_reuse_grace_secs: u64,
    /// Base64 of the 32-byte key that encrypts stored IMAP passwords.
    pub encryption_key: Option<Secret>,
    /// Id stored beside each ciphertext so that keys can rotate.
    pub encryption_key_id: String,
    /// Older keys, `id = base64 key`, still accepted for decryption during a rotation.
    pub previous_encryption_keys: std::collections::BTreeMap<String, Secret>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            issuer: "imap-gateway".into(),
            audience: "imap-gateway".into(),
            access_ttl_secs: 600,
            refresh_ttl_secs: 30 * 24 * 3600,
            refresh_family_lifetime_secs: 30 * 24 * 3600,
            leeway_secs: 30,
            refresh_reuse_grace_secs: 10,
            encryption_key: None,
            encryption_key_id: "k1".into(),
            previous_encryption_keys: Default::default(),
        }
    }
}

/// Connection pool settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolSettings {
    /// Most IMAP connections one account may hold.
    pub per_account_max: usize,
    /// Most IMAP connections the whole process may hold.
    pub global_max: usize,
    /// How long a request waits for a free connection, in milliseconds (then 503).
    pub wait_timeout_ms: u64,
    /// Connections idle longer than this are closed with LOGOUT, in seconds.
    pub idle_timeout_secs: u64,
    /// A connection idle longer than this is checked with NOOP before reuse, in seconds.
    pub health_check_after_secs: u64,
    /// How often the reaper runs, in seconds.
    pub reap_interval_secs: u64,
    /// Message summaries (envelope, size, dates) kept in memory across all accounts, so that a
    /// repeated page fetches only FLAGS and MODSEQ; 0 turns the cache off.
    pub summary_cache_entries: usize,
    /// Upper bound of the summary cache's estimated size, in bytes (default 32 MiB); one
    /// summary may take at most a sixteenth of it (a heavier one is served, not kept).
    pub summary_cache_bytes: usize,
    /// Full messages (envelope, body structure and decoded body values) kept in memory across
    /// all accounts, so that reading a message again with the same `maxBodyValueBytes` is one
    /// FETCH of its flags and MODSEQ (a message too big to keep whole keeps its structure only);
    /// 0 turns the cache off.
    pub message_cache_entries: usize,
    /// Upper bound of the message cache's estimated size, in bytes; one message may take at
    /// most a sixteenth of it (a bigger one keeps only its structure).
    pub message_cache_bytes: usize,
    /// A pooled connection older than this is not reused but closed (seconds; default 1 hour),
    /// so a password changed or revoked at the server is noticed within that time.
    pub max_connection_lifetime_secs: u64,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            per_account_max: 3,
            global_max: 2000,
            wait_timeout_ms: 5_000,
            idle_timeout_secs: 600,
            health_check_after_secs: 30,
            reap_interval_secs: 30,
            summary_cache_entries: 20_000,
            summary_cache_bytes: 32 * 1024 * 1024,
            message_cache_entries: 20_000,
            message_cache_bytes: 64 * 1024 * 1024,
            max_connection_lifetime_secs: 3600,
        }
    }
}

/// A string that never shows up in `Debug` output or logs.
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself; call sites are easy to audit.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A setting that makes `serve` refuse to start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or environment could not be parsed.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// A required secret is missing or malformed.
    #[error("{0}")]
    Secret(String),
}

impl Settings {
    /// Loads defaults, then the TOML file (if any), then `IMAP_GATEWAY__*` variables.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Invalid(format!("config file {} not found", path.display())));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__"));
        figment.extract().map_err(|e| ConfigError::Invalid(e.to_string()))
    }

    /// Checks what `serve` needs: secrets present and well-formed, sane lifetimes.
    pub fn validate_for_serve(&self) -> Result<(), ConfigError> {
        let secret = self.auth.jwt_secret.as_ref().ok_or_else(|| {
            ConfigError::Secret(
                "IMAP_GATEWAY__AUTH__JWT_SECRET is not set: give at least 32 random bytes, e.g. `openssl rand -base64 48`".into(),
            )
        })?;
        if secret.expose().len() < 32 {
            return Err(ConfigError::Secret("IMAP_GATEWAY__AUTH__JWT_SECRET must be at least 32 bytes long".into()));
        }
        let key = self.auth.encryption_key.as_ref().ok_or_else(|| {
            ConfigError::Secret(
                "IMAP_GATEWAY__AUTH__ENCRYPTION_KEY is not set: give base64 of 32 random bytes, e.g. `openssl rand -base64 32`".into(),
            )
        })?;
        decode_key(key).map_err(ConfigError::Secret)?;
        for (id, key) in &self.auth.previous_encryption_keys {
            decode_key(key).map_err(|e| ConfigError::Secret(format!("previous key {id}: {e}")))?;
        }
        if !(60..=900).contains(&self.auth.access_ttl_secs) {
            return Err(ConfigError::Invalid("auth.access_ttl_secs must be between 60 and 900".into()));
        }
        if self.auth.leeway_secs > 30 {
            return Err(ConfigError::Invalid("auth.leeway_secs must be at most 30".into()));
        }
        if self.http.max_connections == 0 || self.http.header_read_timeout_ms == 0 || self.http.idle_timeout_ms == 0 {
            return Err(ConfigError::Invalid(
                "http.max_connections, header_read_timeout_ms and idle_timeout_ms must be at least 1".into(),
            ));
        }
        if self.pool.per_account_max == 0 || self.pool.global_max == 0 {
            return Err(ConfigError::Invalid("pool sizes must be at least 1".into()));
        }
        self.oauth.validate().map_err(ConfigError::Invalid)?;
        Ok(())
    }
}

/// Decodes a base64 AEAD key and checks that it is 32 bytes.
pub fn decode_key(key: &Secret) -> Result<[u8; 32], String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key.expose().trim())
        .map_err(|_| "IMAP_GATEWAY__AUTH__ENCRYPTION_KEY is not valid base64".to_string())?;
    bytes.try_into().map_err(|_| "IMAP_GATEWAY__AUTH__ENCRYPTION_KEY must decode to exactly 32 bytes".to_string())
}

/// Milliseconds to a [`Duration`].
pub fn ms(value: u64) -> Duration {
    Duration::from_millis(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_database_password() {
        let mut s = Settings::default();
        s.database.url = "postgres://gw:s3cr3t-pw@db.internal:5432/gw?sslmode=require&password=other-pw".into();
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cr3t-pw") && !shown.contains("other-pw"), "{shown}");
        assert!(shown.contains("postgres://gw:[redacted]@db.internal:5432/gw?sslmode=require&password=[redacted]"));
        assert_eq!(redact_url("sqlite://imap-gateway.db"), "sqlite://imap-gateway.db");
        assert_eq!(redact_url("postgres://gw@db/x"), "postgres://gw@db/x");
        assert_eq!(redact_url("postgres://u:p@ss@h/d"), "postgres://u:[redacted]@h/d");
    }
}
