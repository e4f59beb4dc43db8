//! The search filter's vocabulary, one table that both the parser (`filter.rs`) and the OpenAPI
//! document read: each condition property and the kind of value it takes, and the JSON Schemas
//! of `Filter`, `FilterOperator` and `FilterCondition` built from it.

use serde_json::{Map, Value, json};

use crate::http::limits::FILTER_TEXT_MAX;

/// Deepest nesting of operators accepted.
pub const MAX_DEPTH: usize = 32;
/// Most conditions in one filter.
pub const MAX_NODES: usize = 256;

/// The value a condition property takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `true` or `false` (a flag set or not).
    Flag,
    /// Only `true` (`false` has no IMAP meaning).
    OnlyTrue,
    /// A substring, at most [`FILTER_TEXT_MAX`] characters, no NUL.
    Text,
    /// An IMAP keyword (`$Junk`); the system flags' `$seen` forms map to the flags.
    Keyword,
    /// `{"name": field name, "value": substring}`.
    Header,
    /// A day, `YYYY-MM-DD`, 1900 to 9999.
    Date,
    /// A size in bytes, 0 to 4294967295.
    Size,
    /// A UID or sequence set such as `1:10,15,20:*`, at most [`FILTER_TEXT_MAX`] characters.
    Set,
}

/// Every condition property, with its kind and what it matches.
pub const CONDITIONS: &[(&str, Kind, &str)] = &[
    ("all", Kind::OnlyTrue, "every message (ALL)"),
    ("answered", Kind::Flag, "\\Answered set (true) or not (false)"),
    ("deleted", Kind::Flag, "\\Deleted set or not; messages with \\Deleted are left out unless a filter names this"),
    ("draft", Kind::Flag, "\\Draft set or not"),
    ("flagged", Kind::Flag, "\\Flagged set or not"),
    ("seen", Kind::Flag, "\\Seen set or not"),
    ("new", Kind::OnlyTrue, "recent and not seen (NEW)"),
    ("old", Kind::OnlyTrue, "not recent (OLD)"),
    ("recent", Kind::Flag, "\\Recent (true: RECENT, false: OLD)"),
    ("keyword", Kind::Keyword, "the keyword is set"),
    ("hasKeyword", Kind::Keyword, "the keyword is set (JMAP's name for `keyword`)"),
    ("unkeyword", Kind::Keyword, "the keyword is not set"),
    ("notKeyword", Kind::Keyword, "the keyword is not set (JMAP's name for `unkeyword`)"),
    ("bcc", Kind::Text, "Bcc contains the text"),
    ("body", Kind::Text, "the body contains the text"),
    ("cc", Kind::Text, "Cc contains the text"),
    ("from", Kind::Text, "From contains the text"),
    ("subject", Kind::Text, "Subject contains the text"),
    ("text", Kind::Text, "the header or body contains the text"),
    ("to", Kind::Text, "To contains the text"),
    ("header", Kind::Header, "the named header field contains the value (an empty value: the field is present)"),
    ("before", Kind::Date, "received before the day (INTERNALDATE)"),
    ("on", Kind::Date, "received on the day"),
    ("since", Kind::Date, "received on or after the day"),
    ("sentBefore", Kind::Date, "Date header before the day"),
    ("sentOn", Kind::Date, "Date header on the day"),
    ("sentSince", Kind::Date, "Date header on or after the day"),
    ("larger", Kind::Size, "larger than this many bytes"),
    ("smaller", Kind::Size, "smaller than this many bytes"),
    ("uid", Kind::Set, "UID in the set"),
    ("seq", Kind::Set, "message sequence number in the set"),
];

/// The kind of condition property `name`, if it is one.
pub fn kind_of(name: &str) -> Option<Kind> {
    CONDITIONS.iter().find(|(n, _, _)| *n == name).map(|(_, k, _)| *k)
}

/// A number 1 to 4294967295 (leading zeros allowed, as `SetSpec::parse` reads them).
const NONZERO_U32: &str = "0*(?:[1-9][0-9]{0,8}|[1-3][0-9]{9}|4[01][0-9]{8}|42[0-8][0-9]{7}|429[0-3][0-9]{6}\
    |4294[0-8][0-9]{5}|42949[0-5][0-9]{4}|429496[0-6][0-9]{3}|4294967[01][0-9]{2}|42949672[0-8][0-9]\
    |429496729[0-5])";

/// A real day `YYYY-MM-DD`, 1900 to 9999 (what `filter::date` accepts).
pub const DATE: &str = "^(?:(?:19|[2-9][0-9])[0-9]{2}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])\
    |(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)\
    |(?:(?:19|[2-9][0-9])(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[3579][26])00)-02-29)$";

/// Printable ASCII without `( ) { ] % * " \` (an IMAP atom), 1 to 255 characters.
pub const KEYWORD: &str = "^[!#$&'+-\\[^-z|}~]{1,255}$";

fn text() -> Value {
    json!({"type": "string", "maxLength": FILTER_TEXT_MAX, "pattern": "^[^\\u0000]*$"})
}

pub(super) fn value_schema(kind: Kind) -> Value {
    match kind {
        Kind::Flag => json!({"type": "boolean"}),
        Kind::OnlyTrue => json!({"type": "boolean", "const": true}),
        Kind::Text => text(),
        Kind::Keyword => json!({"type": "string", "pattern": KEYWORD}),
        Kind::Header => json!({
            "type": "object", "required": ["name"], "additionalProperties": false,
            "properties": {
                "name": {"type": "string", "pattern": "^[!-9;-~]+$", "maxLength": FILTER_TEXT_MAX,
                         "description": "a header field name"},
                "value": text(),
            },
        }),
        Kind::Date => json!({"type": "string", "format": "date", "pattern": DATE}),
        Kind::Size => json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": u32::MAX}),
        Kind::Set => json!({
            "type": "string", "maxLength": FILTER_TEXT_MAX,
            "pattern": format!("^(?:{n}|\\*)(?::(?:{n}|\\*))?(?:,(?:{n}|\\*)(?::(?:{n}|\\*))?)*$", n = NONZERO_U32),
        }),
    }
}

/// `Filter`, `FilterOperator` and `FilterCondition`, for `components/schemas`.
pub fn schemas() -> Map<String, Value> {
    let mut properties = Map::new();
    for (name, kind, what) in CONDITIONS {
        let mut s = value_schema(*kind);
        s["description"] = json!(what);
        properties.insert((*name).into(), s);
    }
    let mut out = Map::new();
    out.insert(
        "Filter".into(),
        json!({
            "description": format!("A search filter: a condition, or an operator over nested filters \
                (operators nested at most {MAX_DEPTH} deep below the top one, and at most {MAX_NODES} \
                operators and conditions in all)."),
            "oneOf": [{"$ref": "#/components/schemas/FilterOperator"}, {"$ref": "#/components/schemas/FilterCondition"}],
        }),
    );
    out.insert(
        "FilterOperator".into(),
        json!({
            "type": "object", "required": ["operator", "conditions"], "additionalProperties": false,
            "description": "AND: all of the conditions; OR: any of them; NOT: none of them.",
            "properties": {
                "operator": {"type": "string", "enum": ["AND", "OR", "NOT"]},
                "conditions": {"type": "array", "minItems": 1, "maxItems": MAX_NODES - 1,
                               "items": {"$ref": "#/components/schemas/Filter"}},
            },
        }),
    );
    out.insert(
        "FilterCondition".into(),
        json!({
            "type": "object", "additionalProperties": false, "properties": properties,
            "description": "Every property given must hold (AND); no property: every message.",
        }),
    );
    out
}
