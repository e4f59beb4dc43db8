//! STORE: changing flags and keywords of messages by UID, conditionally with UNCHANGEDSINCE
//! (CONDSTORE), reporting `[MODIFIED]` UIDs and the new state.

use std::collections::HashSet;

use async_imap::imap_proto::{AttributeValue, Response};

use super::{
    encode::{self, Flag, MailboxName, StoreMode, UidSet, search::SetSpec},
    error::ImapError,
    read::{self, Read},
    selection,
    session::ImapConn,
};

/// Flags of one message after a change.
#[derive(Clone, Debug)]
pub struct FlagState {
    /// UID.
    pub uid: u32,
    /// Flags as the server spells them.
    pub flags: Vec<String>,
    /// MODSEQ (CONDSTORE servers).
    pub mod_seq: Option<u64>,
}

/// What a STORE did.
#[derive(Debug)]
pub struct Stored {
    /// UIDVALIDITY of the UIDs.
    pub uid_validity: u32,
    /// The new state of every message that still exists.
    pub items: Vec<FlagState>,
    /// UIDs not changed because they were modified since `unchanged_since`.
    pub modified: Vec<u32>,
    /// A keyword the mailbox cannot store permanently (nothing was changed).
    pub not_permanent: Option<String>,
}

fn expand(set: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for item in set.split(',') {
        let mut ends = item.split(':').map(|n| n.parse::<u32>().unwrap_or(0));
        let a = ends.next().unwrap_or(0);
        let b = ends.next().unwrap_or(a);
        let (lo, hi) = (a.min(b), a.max(b));
        if hi - lo <= 100_000 {
            out.extend(lo..=hi);
        }
    }
    out
}

/// Applies `changes` (mode, flags) to `uids` in `mailbox`.
pub async fn store(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    uids: &[u32],
    changes: &[(StoreMode, Vec<Flag>)],
    unchanged_since: Option<u64>,
    expect_uid_validity: Option<u32>,
) -> Result<Read<Stored>, ImapError> {
    let state = selection::for_storing(conn, mailbox, uids).await?;
    let uid_validity = state.uid_validity.unwrap_or(0);
    if expect_uid_validity.is_some_and(|uv| uv != uid_validity) {
        return Ok(Read::Stale { current: uid_validity });
    }
    if unchanged_since.is_some() && !conn.has("CONDSTORE") {
        return Err(ImapError::Unsupported("CONDSTORE"));
    }
    let any = state.permanent_flags.iter().any(|f| f == "\\*");
    let permanent: HashSet<String> = state.permanent_flags.iter().map(|f| f.to_ascii_lowercase()).collect();
    let not_permanent = changes
        .iter()
        .flat_map(|(_, flags)| flags)
        .find(|f| {
            // `\*` in PERMANENTFLAGS allows any new keyword, not unknown system flags.
            let keyword_allowed = any && !f.as_str().starts_with('\\');
            !permanent.contains(&f.as_str().to_ascii_lowercase()) && !keyword_allowed
        })
        .map(|f| f.as_str().to_string());
    if not_permanent.is_some() {
        return Ok(Read::Found(Stored { uid_validity, items: Vec::new(), modified: Vec::new(), not_permanent }));
    }
    if UidSet::list(uids).is_none() {
        return Ok(Read::NotFound);
    }
    let mut modified: Vec<u32> = Vec::new();
    let mut condition = unchanged_since;
    let wanted: HashSet<u32> = uids.iter().copied().collect();
    let condstore = conn.has("CONDSTORE");
    // The untagged FETCHes a STORE answers with carry the new flags (and MODSEQ under
    // CONDSTORE); the last one per message is its state, so only the silent ones are fetched.
    let mut latest: std::collections::BTreeMap<u32, FlagState> = std::collections::BTreeMap::new();
    for (mode, flags) in changes {
        if flags.is_empty() && *mode != StoreMode::Replace {
            continue;
        }
        // Only the first STORE carries UNCHANGEDSINCE: it decides which messages may change, and
        // the later ones (which our own first change has already given a new MODSEQ) touch only
        // those.
        let remaining: Vec<u32> = uids.iter().copied().filter(|u| !modified.contains(u)).collect();
        let Some(target) = UidSet::list(&remaining) else { break };
        let done = conn
            .execute(&encode::uid_store_reporting(&target, *mode, flags, condition.take()), |r| {
                if let Some(st) = flag_state(r, condstore)
                    && wanted.contains(&st.uid)
                {
                    latest.insert(st.uid, st);
                }
            })
            .await?;
        if done.reply.code.as_deref() == Some("MODIFIED")
            && let Some(args) = done.reply.code_args.as_deref()
            && SetSpec::parse(args).is_ok()
        {
            modified.extend(expand(args));
        }
    }
    modified.sort_unstable();
    modified.dedup();
    let silent: Vec<u32> = uids.iter().copied().filter(|u| !latest.contains_key(u)).collect();
    if let Some(set) = UidSet::list(&silent) {
        conn.execute(&encode::uid_fetch(&set, &read::flag_items(conn)), |r| {
            if let Some(st) = flag_state(r, false)
                && wanted.contains(&st.uid)
            {
                latest.insert(st.uid, st);
            }
        })
        .await?;
    }
    let items: Vec<FlagState> = latest.into_values().collect();
    Ok(Read::Found(Stored { uid_validity, items, modified, not_permanent: None }))
}

/// The flags (and MODSEQ) a FETCH response carries; None without FLAGS, or without MODSEQ when
/// `need_mod_seq`.
fn flag_state(r: &Response<'_>, need_mod_seq: bool) -> Option<FlagState> {
    let Response::Fetch(_, attrs) = r else { return None };
    let mut st = FlagState { uid: 0, flags: Vec::new(), mod_seq: None };
    let mut has_flags = false;
    for a in attrs {
        match a {
            AttributeValue::Uid(u) => st.uid = *u,
            AttributeValue::Flags(f) => {
                has_flags = true;
                st.flags = f.iter().map(|x| x.to_string()).collect();
            }
            AttributeValue::ModSeq(m) => st.mod_seq = Some(*m),
            _ => {}
        }
    }
    (has_flags && st.uid > 0 && (!need_mod_seq || st.mod_seq.is_some())).then_some(st)
}
