//! PURE: the typed search tree (all RFC 3501 search keys) and its encoding as `UID SEARCH` /
//! `UID SORT` text. Strings go out as atoms, quoted strings or LITERAL+ literals; dates from
//! parsed dates; sets from validated set syntax.

use chrono::NaiveDate;

use super::{
    atoms::{EncodeError, astring, atom},
    command::Command,
};

/// One search key (RFC 3501 §6.4.4); `And` is a parenthesized list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchKey {
    /// ALL
    All,
    /// ANSWERED / UNANSWERED
    Answered(bool),
    /// DELETED / UNDELETED
    Deleted(bool),
    /// DRAFT / UNDRAFT
    Draft(bool),
    /// FLAGGED / UNFLAGGED
    Flagged(bool),
    /// SEEN / UNSEEN
    Seen(bool),
    /// NEW
    New,
    /// OLD
    Old,
    /// RECENT
    Recent,
    /// KEYWORD / UNKEYWORD
    Keyword(String, bool),
    /// BCC
    Bcc(String),
    /// BODY
    Body(String),
    /// CC
    Cc(String),
    /// FROM
    From(String),
    /// SUBJECT
    Subject(String),
    /// TEXT
    Text(String),
    /// TO
    To(String),
    /// HEADER name value
    Header(String, String),
    /// BEFORE (internal date)
    Before(NaiveDate),
    /// ON (internal date)
    On(NaiveDate),
    /// SINCE (internal date)
    Since(NaiveDate),
    /// SENTBEFORE (Date header)
    SentBefore(NaiveDate),
    /// SENTON (Date header)
    SentOn(NaiveDate),
    /// SENTSINCE (Date header)
    SentSince(NaiveDate),
    /// LARGER n
    Larger(u32),
    /// SMALLER n
    Smaller(u32),
    /// UID set
    Uid(SetSpec),
    /// a message sequence set (diagnostic only)
    Seq(SetSpec),
    /// NOT key
    Not(Box<SearchKey>),
    /// OR a b
    Or(Box<SearchKey>, Box<SearchKey>),
    /// ( a b … ): all must match
    And(Vec<SearchKey>),
}

/// A validated sequence or UID set such as `1:100,200,300:*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetSpec(String);

impl SetSpec {
    /// Parses set syntax: numbers (non-zero), `*`, ranges with `:`, joined by `,`.
    pub fn parse(s: &str) -> Result<Self, EncodeError> {
        let valid_number = |n: &str| n == "*" || (n.parse::<u32>().is_ok_and(|v| v > 0) && !n.starts_with('+'));
        let ok = !s.is_empty()
            && s.len() <= 4096
            && s.split(',').all(|item| {
                let mut ends = item.split(':');
                let (a, b, rest) = (ends.next(), ends.next(), ends.next());
                rest.is_none() && a.is_some_and(valid_number) && b.is_none_or(valid_number)
            });
        if !ok {
            return Err(EncodeError::NotAtom("set"));
        }
        Ok(Self(s.to_string()))
    }
}

/// What a search needs from the server while encoding.
#[derive(Clone, Copy, Debug, Default)]
pub struct Dialect {
    /// LITERAL+ offered: non-ASCII strings can travel as `{n+}` literals.
    pub literal_plus: bool,
}

fn date(d: &NaiveDate) -> String {
    d.format("%-d-%b-%Y").to_string()
}

impl SearchKey {
    /// True if any string in the tree needs `CHARSET UTF-8`.
    fn non_ascii(&self) -> bool {
        match self {
            Self::Bcc(s)
            | Self::Body(s)
            | Self::Cc(s)
            | Self::From(s)
            | Self::Subject(s)
            | Self::Text(s)
            | Self::To(s) => !s.is_ascii(),
            Self::Header(n, v) => !n.is_ascii() || !v.is_ascii(),
            Self::Not(k) => k.non_ascii(),
            Self::Or(a, b) => a.non_ascii() || b.non_ascii(),
            Self::And(keys) => keys.iter().any(Self::non_ascii),
            _ => false,
        }
    }

    /// True if the tree constrains `\Deleted` anywhere.
    pub fn mentions_deleted(&self) -> bool {
        match self {
            Self::Deleted(_) => true,
            Self::Not(k) => k.mentions_deleted(),
            Self::Or(a, b) => a.mentions_deleted() || b.mentions_deleted(),
            Self::And(keys) => keys.iter().any(Self::mentions_deleted),
            _ => false,
        }
    }

    /// True if the tree uses NEW, OLD or RECENT (gone in IMAP4rev2).
    pub fn uses_recent(&self) -> bool {
        match self {
            Self::New | Self::Old | Self::Recent => true,
            Self::Not(k) => k.uses_recent(),
            Self::Or(a, b) => a.uses_recent() || b.uses_recent(),
            Self::And(keys) => keys.iter().any(Self::uses_recent),
            _ => false,
        }
    }

    fn encode(&self, d: Dialect, out: &mut Vec<String>) -> Result<(), EncodeError> {
        let s = |v: &str| astring(v, d.literal_plus, "search string");
        let flag = |on: bool, yes: &str, no: &str| if on { yes.to_string() } else { no.to_string() };
        let text = match self {
            Self::All => "ALL".into(),
            Self::Answered(b) => flag(*b, "ANSWERED", "UNANSWERED"),
            Self::Deleted(b) => flag(*b, "DELETED", "UNDELETED"),
            Self::Draft(b) => flag(*b, "DRAFT", "UNDRAFT"),
            Self::Flagged(b) => flag(*b, "FLAGGED", "UNFLAGGED"),
            Self::Seen(b) => flag(*b, "SEEN", "UNSEEN"),
            Self::New => "NEW".into(),
            Self::Old => "OLD".into(),
            Self::Recent => "RECENT".into(),
            Self::Keyword(k, on) => format!("{} {}", flag(*on, "KEYWORD", "UNKEYWORD"), atom(k, "keyword")?),
            Self::Bcc(v) => format!("BCC {}", s(v)?),
            Self::Body(v) => format!("BODY {}", s(v)?),
            Self::Cc(v) => format!("CC {}", s(v)?),
            Self::From(v) => format!("FROM {}", s(v)?),
            Self::Subject(v) => format!("SUBJECT {}", s(v)?),
            Self::Text(v) => format!("TEXT {}", s(v)?),
            Self::To(v) => format!("TO {}", s(v)?),
            Self::Header(n, v) => format!("HEADER {} {}", astring(n, d.literal_plus, "header name")?, s(v)?),
            Self::Before(x) => format!("BEFORE {}", date(x)),
            Self::On(x) => format!("ON {}", date(x)),
            Self::Since(x) => format!("SINCE {}", date(x)),
            Self::SentBefore(x) => format!("SENTBEFORE {}", date(x)),
            Self::SentOn(x) => format!("SENTON {}", date(x)),
            Self::SentSince(x) => format!("SENTSINCE {}", date(x)),
            Self::Larger(n) => format!("LARGER {n}"),
            Self::Smaller(n) => format!("SMALLER {n}"),
            Self::Uid(set) => format!("UID {}", set.0),
            Self::Seq(set) => set.0.clone(),
            Self::Not(k) => {
                let mut inner = Vec::new();
                k.encode(d, &mut inner)?;
                format!("NOT {}", inner.join(" "))
            }
            Self::Or(a, b) => {
                let (mut x, mut y) = (Vec::new(), Vec::new());
                a.encode(d, &mut x)?;
                b.encode(d, &mut y)?;
                format!("OR {} {}", x.join(" "), y.join(" "))
            }
            Self::And(keys) if keys.is_empty() => "ALL".into(),
            Self::And(keys) => {
                let mut inner = Vec::new();
                for k in keys {
                    k.encode(d, &mut inner)?;
                }
                format!("({})", inner.join(" "))
            }
        };
        out.push(text);
        Ok(())
    }
}

fn criteria(key: &SearchKey, d: Dialect) -> Result<(bool, String), EncodeError> {
    let mut parts = Vec::new();
    key.encode(d, &mut parts)?;
    Ok((key.non_ascii(), parts.join(" ")))
}

/// `UID SEARCH [CHARSET UTF-8] key`
pub fn uid_search(key: &SearchKey, d: Dialect) -> Result<Command, EncodeError> {
    let (utf8, text) = criteria(key, d)?;
    let cmd = Command::new("UID SEARCH");
    Ok(if utf8 { cmd.arg("CHARSET UTF-8").arg(&text) } else { cmd.arg(&text) })
}

/// A SORT criterion (RFC 5256).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// ARRIVAL
    Arrival,
    /// DATE (the Date header)
    Date,
    /// FROM
    From,
    /// TO
    To,
    /// CC
    Cc,
    /// SUBJECT (base subject)
    Subject,
    /// SIZE
    Size,
}

/// `UID SORT (criteria) UTF-8 key`; `(key, ascending)` pairs.
pub fn uid_sort(sort: &[(SortKey, bool)], key: &SearchKey, d: Dialect) -> Result<Command, EncodeError> {
    let names: Vec<String> = sort
        .iter()
        .map(|(k, asc)| {
            let name = match k {
                SortKey::Arrival => "ARRIVAL",
                SortKey::Date => "DATE",
                SortKey::From => "FROM",
                SortKey::To => "TO",
                SortKey::Cc => "CC",
                SortKey::Subject => "SUBJECT",
                SortKey::Size => "SIZE",
            };
            if *asc { name.to_string() } else { format!("REVERSE {name}") }
        })
        .collect();
    let (_, text) = criteria(key, d)?;
    Ok(Command::new("UID SORT").arg(&format!("({})", names.join(" "))).arg("UTF-8").arg(&text))
}
