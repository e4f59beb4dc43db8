//! Walks over the OpenAPI document as JSON, shared by the rules that rewrite it: every
//! operation, every object, and one property of a schema.

use serde_json::{Map, Value};

/// Calls `f` with the path and the operation object of every operation of the document `v`.
pub fn each_operation(v: &mut Value, mut f: impl FnMut(&str, &mut Value)) {
    let Some(paths) = v.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                f(path, op);
            }
        }
    }
}

/// Calls `f` on every object in `v`, outer ones first (after `f` changed an object, its new
/// members are visited).
pub fn each_object(v: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Object(o) => {
            f(o);
            o.values_mut().for_each(|x| each_object(x, f));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| each_object(x, f)),
        _ => {}
    }
}

/// Merges `extra` into the property `prop` of the schema `name`.
pub fn refine(schemas: &mut serde_json::Map<String, Value>, name: &str, prop: &str, extra: Value) {
    let Some(slot) = schemas.get_mut(name).and_then(|s| s.pointer_mut(&format!("/properties/{prop}"))) else { return };
    match (slot.as_object_mut(), extra) {
        (Some(o), Value::Object(e)) => o.extend(e),
        (_, e) => *slot = e,
    }
}
