//! Mailbox views from what the IMAP operations return (LIST entries, STATUS counts, the state
//! SELECT or EXAMINE reports), with roles and the opaque state tokens of `sync::token`.

use crate::{
    convert::mailbox::{has, role},
    imap::{
        mailbox::{CountsSource, ListEntry, StatusData},
        select_state::SelectState,
    },
    sync::token,
    views::mailbox::{Mailbox, MailboxCounts, MailboxList, MailboxState, MailboxStatus},
};

/// The opaque mailbox state token: it changes whenever anything in the mailbox changes
/// (UIDVALIDITY, HIGHESTMODSEQ, UIDNEXT or the message count).
pub fn state_token(
    uid_validity: Option<u32>,
    highest_mod_seq: Option<u64>,
    uid_next: Option<u32>,
    exists: Option<u32>,
) -> String {
    token::mod_token(token::ModState {
        uid_validity: uid_validity.unwrap_or(0),
        mod_seq: highest_mod_seq.unwrap_or(0),
        uid_next: uid_next.unwrap_or(0),
        exists: exists.unwrap_or(0),
        after_uid: 0,
    })
}

/// STATUS data to counts.
pub fn counts(s: &StatusData) -> MailboxCounts {
    MailboxCounts {
        messages: s.messages,
        unseen: s.unseen,
        uid_next: s.uid_next,
        uid_validity: s.uid_validity,
        highest_mod_seq: s.highest_mod_seq.map(|m| m.to_string()),
    }
}

/// One LIST entry to a view.
pub fn mailbox(e: &ListEntry) -> Mailbox {
    let a = &e.attributes;
    Mailbox {
        name: e.name.clone(),
        delimiter: e.delimiter.clone(),
        role: role(&e.name, a),
        is_subscribed: has(a, "\\Subscribed"),
        is_selectable: !has(a, "\\Noselect") && !has(a, "\\NonExistent"),
        has_children: if has(a, "\\HasChildren") {
            Some(true)
        } else if has(a, "\\HasNoChildren") || has(a, "\\Noinferiors") {
            Some(false)
        } else {
            None
        },
        attributes: a.clone(),
        counts: e.status.as_ref().map(counts),
        state: e.status.as_ref().map(|s| state_token(s.uid_validity, s.highest_mod_seq, s.uid_next, s.messages)),
        namespace: None,
    }
}

/// A LIST result to the list view: INBOX first, then by name, so that the order is stable
/// whatever order the server uses.
pub fn mailbox_list(entries: &[ListEntry], source: CountsSource) -> MailboxList {
    let mut items: Vec<Mailbox> = entries.iter().map(mailbox).collect();
    items.sort_by(|a, b| {
        let inbox = |m: &Mailbox| !m.name.eq_ignore_ascii_case("INBOX");
        (inbox(a), &a.name).cmp(&(inbox(b), &b.name))
    });
    MailboxList {
        items,
        counts_source: match source {
            CountsSource::ListStatus => "listStatus",
            CountsSource::Status => "status",
            CountsSource::None => "none",
        }
        .into(),
    }
}

/// EXAMINE state to a view.
pub fn mailbox_state(name: &str, s: &SelectState) -> MailboxState {
    MailboxState {
        state: state_token(s.uid_validity, s.highest_mod_seq, s.uid_next, Some(s.exists)),
        name: name.to_string(),
        exists: s.exists,
        recent: s.recent,
        unseen: s.unseen,
        uid_validity: s.uid_validity,
        uid_next: s.uid_next,
        highest_mod_seq: s.highest_mod_seq.map(|m| m.to_string()),
        flags: s.flags.clone(),
        permanent_flags: s.permanent_flags.clone(),
        read_only: s.read_only,
        my_rights: None,
    }
}

/// STATUS to a view.
pub fn mailbox_status(name: &str, s: &StatusData) -> MailboxStatus {
    MailboxStatus { name: name.to_string(), counts: counts(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, attrs: &[&str]) -> ListEntry {
        ListEntry {
            name: name.into(),
            delimiter: Some("/".into()),
            attributes: attrs.iter().map(|s| s.to_string()).collect(),
            status: None,
        }
    }

    #[test]
    fn lists_are_sorted_inbox_first_then_by_name() {
        let entries = [entry("b", &[]), entry("INBOX", &[]), entry("a/x", &[]), entry("a", &[])];
        let names: Vec<String> = mailbox_list(&entries, CountsSource::None).items.into_iter().map(|m| m.name).collect();
        assert_eq!(names, ["INBOX", "a", "a/x", "b"]);
    }

    #[test]
    fn attributes_become_booleans() {
        let m = mailbox(&entry("A", &["\\Noselect", "\\HasChildren", "\\Subscribed"]));
        assert!(!m.is_selectable && m.is_subscribed);
        assert_eq!(m.has_children, Some(true));
        let m = mailbox(&entry("B", &[]));
        assert!(m.is_selectable && !m.is_subscribed);
        assert_eq!(m.has_children, None);
    }
}
