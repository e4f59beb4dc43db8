//! The account's namespaces (RFC 2342): NAMESPACE, its answer made readable by the
//! connection (`namespace_lines`), its prefixes decoded from modified UTF-7.

use async_imap::imap_proto::{Response, Status};

use super::{encode, error::ImapError, mutf7, session::ImapConn};
use crate::{
    convert,
    views::namespace::{Namespace, Namespaces},
};

/// The namespaces, or [`ImapError::Unsupported`] where the server has no NAMESPACE (or an
/// answer that does not parse). Asked once per connection: a session's namespaces stay.
pub async fn namespaces(conn: &mut ImapConn) -> Result<Namespaces, ImapError> {
    if !conn.has("NAMESPACE") {
        return Err(ImapError::Unsupported("NAMESPACE"));
    }
    if let Some(known) = conn.namespaces() {
        return Ok(known.clone());
    }
    let mut text: Option<String> = None;
    conn.read_namespace(true);
    let done = conn
        .execute(&encode::namespace(), |r| {
            if let Response::Data { status: Status::Ok, outcome } = r
                && outcome.code.is_none()
                && let Some(rest) = outcome.information.as_deref().and_then(|i| i.strip_prefix("NAMESPACE "))
            {
                text = Some(rest.to_string());
            }
        })
        .await;
    conn.read_namespace(false);
    done?;
    let groups = text
        .as_deref()
        .and_then(convert::namespace::parse)
        // An answer this parser cannot read is one the gateway cannot use.
        .ok_or(ImapError::Unsupported("NAMESPACE"))?;
    let view = |list: &[convert::namespace::Namespace]| -> Vec<Namespace> {
        list.iter().map(|(p, d)| Namespace { prefix: mutf7::decode(p), delimiter: d.clone() }).collect()
    };
    let found = Namespaces { personal: view(&groups[0]), other_users: view(&groups[1]), shared: view(&groups[2]) };
    conn.remember_namespaces(found.clone());
    Ok(found)
}
