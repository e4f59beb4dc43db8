//! Settings of mail submission (`[smtp]`): the submission server, the identities an account
//! may send as, and the send rate limit.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::TlsMode;

/// `[smtp]`: where and how messages are submitted. Without `host`, sending is off (drafts
/// still work).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    /// Host name or address of the submission server; none turns sending off.
    pub host: Option<String>,
    /// Port; defaults to 465 for implicit TLS and 587 otherwise.
    pub port: Option<u16>,
    /// `implicit`, `starttls` (required: a server without it is refused) or `plain`.
    pub tls: TlsMode,
    /// PEM file with the CA certificates to trust; the public web roots when absent.
    pub ca_file: Option<PathBuf>,
    /// Name checked against the server certificate; defaults to `host`.
    pub tls_server_name: Option<String>,
    /// The name the gateway gives in EHLO (default `localhost`).
    pub hello_name: String,
    /// Deadline for one whole submission (connect, AUTH, envelope, data), in milliseconds.
    pub timeout_ms: u64,
    /// Addresses an account may send as, besides its login name when that is an address.
    /// `{user}` stands for the login name (`{user}@example.org`); `alice:sales@example.org`
    /// is an identity of one login only. The first `{user}` entry is the default `from` of a
    /// login that is not an address.
    pub identities: Vec<String>,
    /// Messages one account may send per hour (default 100; 0: no limit). Counted in the
    /// database, so the limit holds across instances.
    pub per_hour: u32,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: None,
            port: None,
            tls: TlsMode::Starttls,
            ca_file: None,
            tls_server_name: None,
            hello_name: "localhost".into(),
            timeout_ms: 30_000,
            identities: Vec::new(),
            per_hour: 100,
        }
    }
}

impl SmtpSettings {
    /// The port actually used.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            TlsMode::Implicit => 465,
            _ => 587,
        })
    }

    /// The addresses `login` may send as, lower-cased, the default first.
    pub fn identities_of(&self, login: &str) -> Vec<String> {
        let mut out = Vec::new();
        if login.contains('@') {
            out.push(login.to_ascii_lowercase());
        }
        for entry in &self.identities {
            let address = match entry.split_once(':') {
                Some((user, address)) if !user.contains('@') => {
                    if user != login {
                        continue;
                    }
                    address.to_string()
                }
                // a login that is already an address is not put into a template
                _ if entry.contains("{user}") && login.contains('@') => continue,
                _ => entry.replace("{user}", login),
            };
            let address = address.trim().to_ascii_lowercase();
            if !address.is_empty() && !out.contains(&address) {
                out.push(address);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_expand_the_login_and_keep_other_logins_entries_out() {
        let s = SmtpSettings {
            identities: vec!["{user}@example.org".into(), "alice:Sales@example.org".into(), "bob:x@example.org".into()],
            ..Default::default()
        };
        assert_eq!(s.identities_of("alice"), ["alice@example.org", "sales@example.org"]);
        assert_eq!(s.identities_of("bob"), ["bob@example.org", "x@example.org"]);
        assert_eq!(s.identities_of("Carol@Corp.example"), ["carol@corp.example"]);
        assert_eq!(SmtpSettings::default().identities_of("dave"), Vec::<String>::new());
        assert_eq!(SmtpSettings::default().effective_port(), 587);
    }
}
