//! The JSON filter tree (api-model §2.8) to a typed [`SearchKey`], with errors that name the
//! offending field (`filter.conditions[2].recent`).

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::filter_schema::{MAX_DEPTH, MAX_NODES, kind_of};
use crate::{
    http::limits::FILTER_TEXT_MAX,
    imap::encode::{SearchKey, search::SetSpec},
};

/// A filter field that cannot be used, and why.
pub type FieldError = (String, String);

fn err(path: &str, reason: impl Into<String>) -> FieldError {
    (path.to_string(), reason.into())
}

/// Parses a filter; `path` names it in errors (`filter`).
pub fn parse(v: &Value, path: &str) -> Result<SearchKey, FieldError> {
    let mut nodes = 0;
    node(v, path, 0, &mut nodes)
}

fn node(v: &Value, path: &str, depth: usize, nodes: &mut usize) -> Result<SearchKey, FieldError> {
    *nodes += 1;
    if depth > MAX_DEPTH || *nodes > MAX_NODES {
        return Err(err(path, format!("filters are limited to depth {MAX_DEPTH} and {MAX_NODES} conditions")));
    }
    let Value::Object(map) = v else { return Err(err(path, "must be an object")) };
    if map.contains_key("operator") { operator(map, path, depth, nodes) } else { condition(map, path) }
}

fn operator(map: &Map<String, Value>, path: &str, depth: usize, nodes: &mut usize) -> Result<SearchKey, FieldError> {
    if let Some(extra) = map.keys().find(|k| *k != "operator" && *k != "conditions") {
        return Err(err(&format!("{path}.{extra}"), "an operator has only `operator` and `conditions`"));
    }
    let op = map["operator"].as_str().unwrap_or("");
    let Some(Value::Array(list)) = map.get("conditions") else {
        return Err(err(&format!("{path}.conditions"), "must be an array"));
    };
    if list.is_empty() {
        return Err(err(&format!("{path}.conditions"), "must not be empty"));
    }
    let mut keys = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        keys.push(node(c, &format!("{path}.conditions[{i}]"), depth + 1, nodes)?);
    }
    Ok(match op {
        "AND" => SearchKey::And(keys),
        "OR" => or_chain(keys),
        "NOT" => SearchKey::Not(Box::new(or_chain(keys))),
        _ => return Err(err(&format!("{path}.operator"), "must be AND, OR or NOT")),
    })
}

/// `OR` of n keys as nested binary ORs.
fn or_chain(mut keys: Vec<SearchKey>) -> SearchKey {
    let last = keys.pop().unwrap_or(SearchKey::All);
    keys.into_iter().rev().fold(last, |acc, k| SearchKey::Or(Box::new(k), Box::new(acc)))
}

fn string(v: &Value, path: &str) -> Result<String, FieldError> {
    let s = v.as_str().ok_or_else(|| err(path, "must be a string"))?;
    if s.chars().count() > FILTER_TEXT_MAX || s.contains('\0') {
        return Err(err(path, format!("must be at most {FILTER_TEXT_MAX} characters, without NUL")));
    }
    Ok(s.to_string())
}

fn boolean(v: &Value, path: &str) -> Result<bool, FieldError> {
    v.as_bool().ok_or_else(|| err(path, "must be true or false"))
}

fn date(v: &Value, path: &str) -> Result<NaiveDate, FieldError> {
    let s = v.as_str().ok_or_else(|| err(path, "must be a date, YYYY-MM-DD"))?;
    use chrono::Datelike as _;
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=9999).contains(&d.year()) && s.len() == 10)
        .ok_or_else(|| err(path, "must be a date, YYYY-MM-DD, between 1900 and 9999"))
}

fn number(v: &Value, path: &str) -> Result<u32, FieldError> {
    v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| err(path, "must be an integer 0–4294967295"))
}

fn keyword(v: &Value, path: &str, on: bool) -> Result<SearchKey, FieldError> {
    let k = string(v, path)?;
    let valid =
        !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..0x7f).contains(&b) && !b"(){%*\"\\]".contains(&b));
    if !valid {
        return Err(err(path, "must be an IMAP keyword (printable ASCII without ( ) { ] % * \" \\)"));
    }
    Ok(match k.to_ascii_lowercase().as_str() {
        "$seen" => SearchKey::Seen(on),
        "$answered" => SearchKey::Answered(on),
        "$flagged" => SearchKey::Flagged(on),
        "$draft" => SearchKey::Draft(on),
        _ => SearchKey::Keyword(k, on),
    })
}

fn only_true(v: &Value, path: &str, key: SearchKey) -> Result<SearchKey, FieldError> {
    if boolean(v, path)? { Ok(key) } else { Err(err(path, "only `true` is meaningful here")) }
}

fn condition(map: &Map<String, Value>, path: &str) -> Result<SearchKey, FieldError> {
    let mut keys = Vec::new();
    for (name, v) in map {
        let p = format!("{path}.{name}");
        if kind_of(name).is_none() {
            return Err(err(&p, "unknown filter property"));
        }
        let key = match name.as_str() {
            "all" => only_true(v, &p, SearchKey::All)?,
            "answered" => SearchKey::Answered(boolean(v, &p)?),
            "deleted" => SearchKey::Deleted(boolean(v, &p)?),
            "draft" => SearchKey::Draft(boolean(v, &p)?),
            "flagged" => SearchKey::Flagged(boolean(v, &p)?),
            "seen" => SearchKey::Seen(boolean(v, &p)?),
            "new" => only_true(v, &p, SearchKey::New)?,
            "old" => only_true(v, &p, SearchKey::Old)?,
            "recent" => {
                if boolean(v, &p)? {
                    SearchKey::Recent
                } else {
                    SearchKey::Old
                }
            }
            "keyword" | "hasKeyword" => keyword(v, &p, true)?,
            "unkeyword" | "notKeyword" => keyword(v, &p, false)?,
            "bcc" => SearchKey::Bcc(string(v, &p)?),
            "body" => SearchKey::Body(string(v, &p)?),
            "cc" => SearchKey::Cc(string(v, &p)?),
            "from" => SearchKey::From(string(v, &p)?),
            "subject" => SearchKey::Subject(string(v, &p)?),
            "text" => SearchKey::Text(string(v, &p)?),
            "to" => SearchKey::To(string(v, &p)?),
            "header" => {
                let Value::Object(h) = v else { return Err(err(&p, "must be {\"name\", \"value\"}")) };
                if let Some(extra) = h.keys().find(|k| *k != "name" && *k != "value") {
                    return Err(err(&format!("{p}.{extra}"), "a header condition has only `name` and `value`"));
                }
                let field = h.get("name").map(|n| string(n, &format!("{p}.name"))).transpose()?.unwrap_or_default();
                if field.is_empty() || !field.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b':') {
                    return Err(err(&format!("{p}.name"), "must be a header field name"));
                }
                let value = h.get("value").map(|x| string(x, &format!("{p}.value"))).transpose()?.unwrap_or_default();
                SearchKey::Header(field, value)
            }
            "before" => SearchKey::Before(date(v, &p)?),
            "on" => SearchKey::On(date(v, &p)?),
            "since" => SearchKey::Since(date(v, &p)?),
            "sentBefore" => SearchKey::SentBefore(date(v, &p)?),
            "sentOn" => SearchKey::SentOn(date(v, &p)?),
            "sentSince" => SearchKey::SentSince(date(v, &p)?),
            "larger" => SearchKey::Larger(number(v, &p)?),
            "smaller" => SearchKey::Smaller(number(v, &p)?),
            "uid" => SearchKey::Uid(
                SetSpec::parse(&string(v, &p)?).map_err(|_| err(&p, "must be a UID set such as 1:100,200"))?,
            ),
            "seq" => SearchKey::Seq(
                SetSpec::parse(&string(v, &p)?).map_err(|_| err(&p, "must be a sequence set such as 1:*"))?,
            ),
            _ => return Err(err(&p, "a filter property without a parser")),
        };
        keys.push(key);
    }
    Ok(match keys.len() {
        0 => SearchKey::All,
        1 => keys.pop().unwrap_or(SearchKey::All),
        _ => SearchKey::And(keys),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::imap::encode::{search::Dialect, uid_search};

    fn encode(v: Value) -> String {
        uid_search(&parse(&v, "filter").expect("valid"), Dialect { literal_plus: true })
            .expect("encodes")
            .as_str()
            .to_string()
    }

    #[test]
    fn the_api_model_example_encodes() {
        let f = json!({"operator": "AND", "conditions": [
            {"from": "billing@example.com", "since": "2024-01-01", "before": "2024-04-01"},
            {"operator": "NOT", "conditions": [{"keyword": "$Junk"}]},
            {"operator": "OR", "conditions": [{"subject": "Rechnung"}, {"body": "Rechnung"}]},
            {"header": {"name": "List-Id", "value": ""}},
            {"larger": 10240, "seen": false}
        ]});
        assert_eq!(
            encode(f),
            "UID SEARCH ((BEFORE 1-Apr-2024 FROM billing@example.com SINCE 1-Jan-2024) NOT KEYWORD $Junk OR SUBJECT Rechnung BODY Rechnung HEADER List-Id \"\" (LARGER 10240 UNSEEN))"
        );
    }

    #[test]
    fn or_of_three_nests_and_not_of_two_negates_their_or() {
        let f = json!({"operator": "OR", "conditions": [{"seen": true}, {"flagged": true}, {"draft": true}]});
        assert_eq!(encode(f), "UID SEARCH OR SEEN OR FLAGGED DRAFT");
        let f = json!({"operator": "NOT", "conditions": [{"seen": true}, {"flagged": true}]});
        assert_eq!(encode(f), "UID SEARCH NOT OR SEEN FLAGGED");
    }

    #[test]
    fn non_ascii_text_uses_charset_utf8_and_a_literal() {
        assert_eq!(encode(json!({"subject": "März"})), "UID SEARCH CHARSET UTF-8 SUBJECT {5+}\r\nMärz");
        assert_eq!(encode(json!({"keyword": "$seen"})), "UID SEARCH SEEN");
        assert_eq!(encode(json!({"uid": "1:5,9"})), "UID SEARCH UID 1:5,9");
        assert_eq!(encode(json!({})), "UID SEARCH ALL");
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (json!({"operator": "AND", "conditions": [{"seen": true}, {"recnt": true}]}), "filter.conditions[1].recnt"),
            (json!({"since": "yesterday"}), "filter.since"),
            (json!({"before": "-0001-01-01"}), "filter.before"),
            (json!({"on": "+10000-01-01"}), "filter.on"),
            (json!({"keyword": "a b"}), "filter.keyword"),
            (json!({"uid": "1:x"}), "filter.uid"),
            (json!({"header": {"name": "X:Y"}}), "filter.header.name"),
            (json!({"operator": "XOR", "conditions": [{}]}), "filter.operator"),
            (json!({"operator": "OR", "conditions": []}), "filter.conditions"),
            (json!([1]), "filter"),
        ];
        for (f, field) in cases {
            assert_eq!(parse(&f, "filter").expect_err("invalid").0, field);
        }
        let mut deep = json!({"seen": true});
        for _ in 0..40 {
            deep = json!({"operator": "NOT", "conditions": [deep]});
        }
        assert!(parse(&deep, "filter").is_err());
    }
}

#[cfg(test)]
mod schema_tests {
    use serde_json::json;

    use super::{
        super::filter_schema::{CONDITIONS, KEYWORD, Kind, value_schema},
        *,
    };

    fn sample(kind: Kind) -> Value {
        match kind {
            Kind::Flag | Kind::OnlyTrue => json!(true),
            Kind::Text => json!("März".repeat(FILTER_TEXT_MAX / 4)),
            Kind::Keyword => json!("$Junk"),
            Kind::Header => json!({"name": "List-Id"}),
            Kind::Date => json!("2024-02-29"),
            Kind::Size => json!(u32::MAX),
            Kind::Set => json!("1:10,0015,4294967295:*"),
        }
    }

    /// Every property of the table has a parser, and takes what its schema allows (a text of
    /// the full length in characters, though longer in bytes).
    #[test]
    fn every_listed_property_parses_its_kind() {
        for (name, kind, _) in CONDITIONS {
            let r = parse(&json!({ *name: sample(*kind) }), "filter");
            assert!(r.is_ok(), "{name}: {r:?}");
        }
        assert!(parse(&json!({"colour": "red"}), "filter").is_err());
        assert!(parse(&json!({"header": {"name": "X", "colour": "red"}}), "filter").is_err());
    }

    /// The schema's bounds are the parser's: a top operator takes `maxItems` conditions, not
    /// one more; a set takes `maxLength` characters.
    #[test]
    fn bounds_match_the_parser() {
        let conditions = |n: usize| json!({"operator": "OR", "conditions": vec![json!({"seen": true}); n]});
        let max = super::super::filter_schema::schemas()["FilterOperator"]["properties"]["conditions"]["maxItems"]
            .as_u64()
            .unwrap_or_default() as usize;
        assert!(parse(&conditions(max), "filter").is_ok());
        assert!(parse(&conditions(max + 1), "filter").is_err());
        let set_max = value_schema(Kind::Set)["maxLength"].as_u64().unwrap_or_default() as usize;
        let set = |len: usize| format!("{}1", "1,".repeat((len - 1) / 2));
        assert!(parse(&json!({"uid": set(set_max - 1)}), "filter").is_ok());
        assert!(parse(&json!({"uid": set(set_max + 1)}), "filter").is_err());
    }

    /// The patterns accept and refuse what the parser does at their edges.
    #[test]
    fn patterns_match_the_parser() {
        let set = regex::Regex::new(value_schema(Kind::Set)["pattern"].as_str().unwrap_or_default()).expect("regex");
        for (s, ok) in
            [("1", true), ("1:*,5", true), ("4294967295", true), ("4294967296", false), ("0", false), ("1,", false)]
        {
            assert_eq!(set.is_match(s), ok, "{s}");
            assert_eq!(parse(&json!({"uid": s}), "filter").is_ok(), ok, "{s}");
        }
        let keyword = regex::Regex::new(KEYWORD).expect("regex");
        for (k, ok) in [("$Junk", true), ("a]b", false), ("a\\b", false), ("a b", false), ("[x", true), ("{", false)] {
            assert_eq!(keyword.is_match(k), ok, "{k}");
            assert_eq!(parse(&json!({"keyword": k}), "filter").is_ok(), ok, "{k}");
        }
    }
}
