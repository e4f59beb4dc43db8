//! The closed vocabularies of the OpenAPI document, from the constants the code uses: mailbox
//! roles, sort properties, sync methods, event types, delivery states and problem types; and one
//! number type for every unsigned 32-bit value (UIDs, UIDVALIDITY, sizes, counts).

use serde_json::{Map, Value, json};

use crate::{
    convert::mailbox::ROLES,
    imap::changes::Method,
    sync::watcher::{MAILBOX_GONE, UIDVALIDITY_CHANGED},
    webhooks::{EVENT_TYPES, deliver::DELIVERY_STATUSES},
};

use super::{
    error::{PROBLEM_BASE, types::PROBLEM_TYPES},
    search::SORT_PROPERTIES,
};

/// Sets `enum` (keeping the rest) on property `prop` of schema `name`, or on its `items`.
fn enumerate(schemas: &mut Map<String, Value>, name: &str, prop: &str, values: Vec<Value>) {
    let Some(slot) = schemas.get_mut(name).and_then(|s| s.pointer_mut(&format!("/properties/{prop}"))) else { return };
    let target = if slot.get("items").is_some() { &mut slot["items"] } else { slot };
    let nullable = target["type"].as_array().is_some_and(|t| t.contains(&json!("null")));
    let mut values = values;
    if nullable {
        values.push(Value::Null);
    }
    target["enum"] = Value::Array(values);
}

fn strings<'a>(v: impl IntoIterator<Item = &'a str>) -> Vec<Value> {
    v.into_iter().map(|s| json!(s)).collect()
}

/// Applies the vocabularies to `components/schemas`.
pub fn apply(schemas: &mut Map<String, Value>) {
    let roles = || strings(ROLES);
    enumerate(schemas, "Mailbox", "role", [vec![json!("inbox")], roles()].concat());
    enumerate(schemas, "CreateMailbox", "role", roles());
    enumerate(schemas, "SortSpec", "property", strings(SORT_PROPERTIES.iter().map(|(p, _)| *p)));
    enumerate(schemas, "Changes", "syncMethod", strings(Method::ALL.iter().map(|m| m.as_str())));
    enumerate(schemas, "EventData", "type", strings(EVENT_TYPES.iter().copied()));
    enumerate(schemas, "EventData", "reason", strings([MAILBOX_GONE, UIDVALIDITY_CHANGED]));
    enumerate(schemas, "Webhook", "events", strings(EVENT_TYPES.iter().copied()));
    enumerate(schemas, "DeliveryView", "eventType", strings(EVENT_TYPES.iter().copied()));
    enumerate(schemas, "DeliveryView", "status", strings(DELIVERY_STATUSES));
    let types = PROBLEM_TYPES.iter().map(|t| json!(format!("{PROBLEM_BASE}{t}"))).collect();
    enumerate(schemas, "Problem", "type", types);
}

/// The number and enum rules below, on every schema of the document `v` (components and
/// the parameters and bodies of the paths).
pub fn normalise(v: &mut Value) {
    super::openapi_walk::each_object(v, &mut |o| {
        one_u32_type(o);
        nullable_enum(o);
    });
}

/// `{"type": [T, "null"], "enum": [a, b, null]}` becomes `anyOf` an enum of `T` and `null`: the
/// same values, in the shape client generators turn into one enum type (not one per value).
fn nullable_enum(o: &mut Map<String, Value>) {
    let types = o.get("type").and_then(Value::as_array).cloned().unwrap_or_default();
    let values = o.get("enum").and_then(Value::as_array).cloned().unwrap_or_default();
    if types.len() == 2 && types.contains(&json!("null")) && values.contains(&Value::Null) {
        let inner = types.into_iter().find(|t| t != "null").unwrap_or_default();
        let values: Vec<Value> = values.into_iter().filter(|x| !x.is_null()).collect();
        o.remove("type");
        o.remove("enum");
        o.insert("anyOf".into(), json!([{"type": inner, "enum": values}, {"type": "null"}]));
    }
}

/// Every unsigned 32-bit integer (a Rust `u32`, which utoipa writes as `int32` from 0) becomes
/// `int64` from 0 to 4294967295: UIDs and UIDVALIDITY need the full range, which an `int32`
/// client type cannot hold. The bounds a schema already has are kept.
fn one_u32_type(o: &mut Map<String, Value>) {
    if o.get("format") == Some(&json!("int32")) && o.get("minimum") == Some(&json!(0)) {
        o.insert("format".into(), json!("int64"));
        o.entry("maximum").or_insert(json!(u32::MAX));
    }
}
