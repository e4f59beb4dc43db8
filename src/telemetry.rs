//! Tracing setup: `RUST_LOG` filter (default `info`), human or JSON lines
//! (`IMAP_GATEWAY_LOG_FORMAT=json`). Secrets and message content are never logged.

use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber once; later calls are ignored.
pub fn init() {
    // async-imap traces every command and response it handles, AUTHENTICATE payloads and
    // message bodies included: it is silenced whatever RUST_LOG says.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive("async_imap=off".parse().expect("static directive"))
        .add_directive("imap_proto=off".parse().expect("static directive"));
    let json = std::env::var("IMAP_GATEWAY_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
