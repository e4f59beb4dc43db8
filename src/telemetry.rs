//! Tracing setup: `RUST_LOG` filter (default `info`), human or JSON lines
//! (`IMAP_GATEWAY_LOG_FORMAT=json`). Secrets and message content are never logged.

use std::{fs::File, path::Path, sync::Mutex};

use tracing_subscriber::{EnvFilter, fmt};

/// The filter: `RUST_LOG` or `default`, with the crates that would log secrets silenced.
fn filter(default: &str) -> EnvFilter {
    // async-imap traces every command and response it handles, AUTHENTICATE payloads and
    // message bodies included: it is silenced whatever RUST_LOG says.
    EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default))
        .add_directive("async_imap=off".parse().expect("static directive"))
        .add_directive("imap_proto=off".parse().expect("static directive"))
}

/// Installs the global subscriber once; later calls are ignored.
pub fn init() {
    let json = std::env::var("IMAP_GATEWAY_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    // Colours only on a terminal: a log written to a file or a pipe stays plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = fmt().with_env_filter(filter("info")).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// Installs a JSON subscriber appending to `path` at debug level for this crate (tests scan
/// these logs for secrets); ignored if a subscriber exists.
pub fn init_to_file(path: &Path) -> std::io::Result<()> {
    let file = File::options().create(true).append(true).open(path)?;
    let _ = fmt()
        .with_env_filter(filter("info,imap_gateway=debug,tower_http=debug,sqlx=warn"))
        .with_writer(Mutex::new(file))
        .json()
        .try_init();
    Ok(())
}
