//! Command line: `serve`, `migrate`, `rotate-keys`, `openapi`, `healthcheck`.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

use crate::{config::Settings, startup, store::Store, telemetry};

/// HTTP/JSON gateway in front of an IMAP server.
#[derive(Debug, Parser)]
#[command(name = "imap-gateway", version, about)]
pub struct Cli {
    /// TOML configuration file; `IMAP_GATEWAY__SECTION__KEY` variables override it.
    #[arg(long, short, global = true, env = "IMAP_GATEWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations and serve the API.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Re-seal every stored secret (passwords, OAuth2 tokens, webhook secrets) with the current
    /// encryption key, so that the previous keys can be removed; prints counts, never values.
    /// Exits 1 if any value could not be opened (keep the key it needs).
    RotateKeys {
        /// Rows read and re-sealed per batch.
        #[arg(long, default_value_t = 500)]
        batch_size: i64,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Exit 0 if the gateway at `--url` answers `/readyz` with 200 (for container HEALTHCHECKs).
    Healthcheck {
        /// Readiness URL.
        #[arg(long, default_value = "http://127.0.0.1:8080/readyz")]
        url: String,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        print!("{}", crate::http::openapi::spec_json());
        return ExitCode::SUCCESS;
    }
    if let Command::Healthcheck { url } = &cli.command {
        return healthcheck(url);
    }
    telemetry::init();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("imap-gateway: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("imap-gateway: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => {
                let app = startup::Application::build(settings).await.map_err(|e| e.to_string())?;
                tracing::info!(port = app.port(), "listening");
                app.run_until_stopped(startup::shutdown_signal()).await.map_err(|e| e.to_string())
            }
            Command::Migrate => {
                let store = Store::connect(&settings.database.url, 2).await.map_err(|e| e.to_string())?;
                store.migrate().await.map_err(|e| e.to_string())?;
                println!("migrations applied");
                Ok(())
            }
            Command::RotateKeys { batch_size } => rotate_keys(&settings, batch_size).await,
            Command::Openapi | Command::Healthcheck { .. } => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_empty() => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("imap-gateway: {e}");
            ExitCode::from(2)
        }
    }
}

/// `rotate-keys`: migrates, re-seals, prints the counts; `Err("")` (exit 1) if some value
/// could not be opened.
async fn rotate_keys(settings: &Settings, batch_size: i64) -> Result<(), String> {
    let keyring = crate::auth::keyring(&settings.auth).map_err(|e| e.to_string())?;
    let store = Store::connect(&settings.database.url, 2).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let report = crate::auth::rotate::rotate_keys(&store, &keyring, batch_size).await.map_err(|e| e.to_string())?;
    print!("{report}");
    let unreadable = report.unreadable();
    if unreadable > 0 {
        eprintln!(
            "imap-gateway: {unreadable} values could not be opened with the configured keys; keep the keys they need"
        );
        return Err(String::new());
    }
    println!("every sealed value uses key {}", settings.auth.encryption_key_id);
    Ok(())
}

/// One GET with a 3 s deadline; no configuration or secrets needed.
fn healthcheck(url: &str) -> ExitCode {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return ExitCode::FAILURE;
    };
    let ok = runtime.block_on(async {
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(3)).no_proxy().build().ok()?;
        Some(client.get(url).send().await.ok()?.status().is_success())
    });
    if ok == Some(true) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
