//! PATCH (RFC 7644 3.5.2) applied to a resource's document: `add`, `replace` and
//! `remove`, with the paths identity providers send: `active`, `name.givenName`,
//! `emails[type eq "work"].value`, `members[value eq "<id>"]`, with or without the
//! core schema's URN in front, and no path at all (a value object of attributes).
//! The result is parsed again as the resource, so a PATCH can never store what a PUT
//! could not.

use serde_json::{Map, Value};

use super::path::{Attr, Comparison, Path, parse_path};
use super::{PATCH_SCHEMA, Refusal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Replace,
    Remove,
}
/// One operation of a PATCH request, its path already parsed.
#[derive(Debug)]
pub struct Operation {
    pub op: Op,
    pub path: Option<String>,
    pub value: Option<Value>,
}

/// The most operations one PATCH may carry.
pub const MAX_OPERATIONS: usize = 100;

/// Reads a PatchOp body: its schema, then each operation's `op` (any case), `path` and
/// `value`.
pub fn parse_request(body: &Value) -> Result<Vec<Operation>, Refusal> {
    let object = body
        .as_object()
        .ok_or_else(|| Refusal::invalid_syntax("A PATCH body is a JSON object."))?;
    let has_schema = object
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(PATCH_SCHEMA)));
    if !has_schema {
        return Err(Refusal::invalid_syntax(format!(
            "A PATCH body names the schema {PATCH_SCHEMA}."
        )));
    }
    let operations = object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .and_then(|(_, v)| v.as_array())
        .filter(|ops| !ops.is_empty())
        .ok_or_else(|| Refusal::invalid_syntax("Operations: a non-empty list is needed."))?;
    if operations.len() > MAX_OPERATIONS {
        return Err(Refusal::invalid_syntax(format!(
            "At most {MAX_OPERATIONS} operations in one PATCH."
        )));
    }
    operations
        .iter()
        .map(|operation| {
            let fields = operation
                .as_object()
                .ok_or_else(|| Refusal::invalid_syntax("Each operation is an object."))?;
            let field = |name: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            };
            let op = match field("op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
            {
                Some(op) if op == "add" => Op::Add,
                Some(op) if op == "replace" => Op::Replace,
                Some(op) if op == "remove" => Op::Remove,
                _ => {
                    return Err(Refusal::invalid_syntax("op: one of add, replace, remove."));
                }
            };
            let path = match field("path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if !p.trim().is_empty() => Some(p.clone()),
                Some(_) => return Err(Refusal::invalid_path("path: a non-empty string.")),
            };
            let value = field("value").cloned();
            if op != Op::Remove && value.is_none() {
                return Err(Refusal::invalid_syntax(format!(
                    "{} needs a value.",
                    if op == Op::Add { "add" } else { "replace" }
                )));
            }
            if op == Op::Remove && path.is_none() {
                return Err(Refusal::no_target("remove needs a path."));
            }
            Ok(Operation { op, path, value })
        })
        .collect()
}

/// Applies `operations` in order to `doc`, the resource's writable attributes.
pub fn apply(
    doc: &mut Map<String, Value>,
    attrs: &[Attr],
    operations: &[Operation],
) -> Result<(), Refusal> {
    for operation in operations {
        match (&operation.path, operation.op) {
            (Some(path), op) => {
                let path = parse_path(attrs, path)?;
                if path.attr.read_only {
                    return Err(Refusal::mutability(format!(
                        "{} is read-only.",
                        path.attr.name
                    )));
                }
                match op {
                    Op::Remove => remove(doc, &path, operation.value.as_ref()),
                    _ => set(
                        doc,
                        &path,
                        operation.value.clone().unwrap_or(Value::Null),
                        op,
                    )?,
                }
            }
            (None, op) => {
                let Some(Value::Object(values)) = &operation.value else {
                    return Err(Refusal::invalid_value(
                        "Without a path, the value is an object of attributes.",
                    ));
                };
                for (key, value) in values {
                    // Extension schemas and attributes this console does not keep (an
                    // enterprise extension, `id`, `meta`) are left alone.
                    let Ok(path) = parse_path(attrs, key) else {
                        continue;
                    };
                    if path.attr.read_only {
                        continue;
                    }
                    set(doc, &path, value.clone(), op)?;
                }
            }
        }
    }
    Ok(())
}

fn matches(item: &Value, filter: &Comparison) -> bool {
    match (item.get(&filter.path), &filter.value) {
        (Some(Value::String(a)), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (Some(a), b) => a == b,
        (None, Value::Null) => true,
        (None, _) => false,
    }
}

/// An object's keys in their canonical spelling where `attr` knows them.
fn canonical_object(attr: &Attr, value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(
                    |(k, v)| match attr.subs.iter().find(|s| s.eq_ignore_ascii_case(&k)) {
                        Some(sub) => ((*sub).to_owned(), v),
                        None => (k, v),
                    },
                )
                .collect(),
        ),
        other => other,
    }
}

fn items(value: Value, attr: &Attr) -> Vec<Value> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .map(|v| canonical_object(attr, v))
            .collect(),
        Value::Null => Vec::new(),
        one => vec![canonical_object(attr, one)],
    }
}

fn merge(target: &mut Value, value: Value) {
    match (target.as_object_mut(), value) {
        (Some(object), Value::Object(values)) => object.extend(values),
        (_, value) => *target = value,
    }
}

fn set(doc: &mut Map<String, Value>, path: &Path<'_>, value: Value, op: Op) -> Result<(), Refusal> {
    let attr = path.attr;
    let name = attr.name.to_owned();
    match (&path.filter, path.sub) {
        (None, None) if attr.multi => {
            let new = items(value, attr);
            let list = doc.entry(name).or_insert_with(|| Value::Array(Vec::new()));
            match (op, list.as_array_mut()) {
                (Op::Add, Some(existing)) => {
                    for item in new {
                        if !existing.contains(&item) {
                            existing.push(item);
                        }
                    }
                }
                _ => *list = Value::Array(new),
            }
        }
        (None, None) if !attr.subs.is_empty() => {
            let value = canonical_object(attr, value);
            if !value.is_object() {
                return Err(Refusal::invalid_value(format!(
                    "{} takes an object.",
                    attr.name
                )));
            }
            let target = doc.entry(name).or_insert_with(|| Value::Object(Map::new()));
            merge(target, value);
        }
        (None, None) => {
            doc.insert(name, value);
        }
        (None, Some(sub)) if attr.multi => {
            let list = doc.entry(name).or_insert_with(|| Value::Array(Vec::new()));
            let Some(existing) = list.as_array_mut() else {
                return Err(Refusal::invalid_value(format!("{} is a list.", attr.name)));
            };
            if existing.is_empty() {
                existing.push(Value::Object(Map::new()));
            }
            for item in existing.iter_mut() {
                if let Some(object) = item.as_object_mut() {
                    object.insert(sub.to_owned(), value.clone());
                }
            }
        }
        (None, Some(sub)) => {
            let target = doc.entry(name).or_insert_with(|| Value::Object(Map::new()));
            match target.as_object_mut() {
                Some(object) => {
                    object.insert(sub.to_owned(), value);
                }
                None => *target = serde_json::json!({ sub: value }),
            }
        }
        (Some(filter), sub) => {
            let list = doc.entry(name).or_insert_with(|| Value::Array(Vec::new()));
            let Some(existing) = list.as_array_mut() else {
                return Err(Refusal::invalid_value(format!("{} is a list.", attr.name)));
            };
            let mut found = false;
            for item in existing.iter_mut().filter(|item| matches(item, filter)) {
                found = true;
                match sub {
                    Some(sub) => {
                        if let Some(object) = item.as_object_mut() {
                            object.insert(sub.to_owned(), value.clone());
                        }
                    }
                    None => merge(item, canonical_object(attr, value.clone())),
                }
            }
            if !found {
                // `emails[type eq "work"].value` on a user without a work address adds
                // one, which is what providers mean by it.
                let mut item = Map::new();
                item.insert(filter.path.clone(), filter.value.clone());
                match sub {
                    Some(sub) => {
                        item.insert(sub.to_owned(), value);
                    }
                    None if op == Op::Add => {
                        if let Value::Object(values) = canonical_object(attr, value) {
                            item.extend(values);
                        }
                    }
                    None => {
                        return Err(Refusal::no_target(format!(
                            "No item of {} matches the filter.",
                            attr.name
                        )));
                    }
                }
                existing.push(Value::Object(item));
            }
        }
    }
    Ok(())
}

fn remove(doc: &mut Map<String, Value>, path: &Path<'_>, value: Option<&Value>) {
    let attr = path.attr;
    match (&path.filter, path.sub) {
        (None, None) => match (attr.multi, value) {
            // `{"op": "remove", "path": "members", "value": [{"value": "<id>"}]}`: those.
            (true, Some(value)) if !value.is_null() => {
                let gone: Vec<Value> = items(value.clone(), attr)
                    .into_iter()
                    .filter_map(|v| v.get("value").cloned())
                    .collect();
                if let Some(list) = doc.get_mut(attr.name).and_then(Value::as_array_mut) {
                    list.retain(|item| {
                        !gone.iter().any(|g| {
                            matches(
                                item,
                                &Comparison {
                                    path: "value".into(),
                                    value: g.clone(),
                                },
                            )
                        })
                    });
                }
            }
            _ => {
                doc.remove(attr.name);
            }
        },
        (None, Some(sub)) => match doc.get_mut(attr.name) {
            Some(Value::Object(object)) => {
                object.remove(sub);
            }
            Some(Value::Array(list)) => {
                for item in list.iter_mut().filter_map(Value::as_object_mut) {
                    item.remove(sub);
                }
            }
            _ => {}
        },
        (Some(filter), sub) => {
            if let Some(list) = doc.get_mut(attr.name).and_then(Value::as_array_mut) {
                match sub {
                    None => list.retain(|item| !matches(item, filter)),
                    Some(sub) => {
                        for item in list.iter_mut().filter(|item| matches(item, filter)) {
                            if let Some(object) = item.as_object_mut() {
                                object.remove(sub);
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::resource::{GROUP_ATTRS, USER_ATTRS};
    use super::*;

    fn patch(doc: Value, attrs: &[Attr], body: Value) -> Result<Value, Refusal> {
        let ops = parse_request(&body)?;
        let Value::Object(mut doc) = doc else {
            panic!()
        };
        apply(&mut doc, attrs, &ops)?;
        Ok(Value::Object(doc))
    }

    fn body(ops: Value) -> Value {
        json!({ "schemas": [PATCH_SCHEMA], "Operations": ops })
    }

    #[test]
    fn entra_deactivation_and_okta_deactivation_both_work() {
        let doc = json!({ "userName": "ada", "active": true });
        let entra = patch(
            doc.clone(),
            USER_ATTRS,
            body(json!([{ "op": "Replace", "path": "active", "value": "False" }])),
        )
        .unwrap();
        assert_eq!(entra["active"], "False");
        let okta = patch(
            doc,
            USER_ATTRS,
            body(json!([{ "op": "replace", "value": { "active": false } }])),
        )
        .unwrap();
        assert_eq!(okta["active"], false);
    }

    #[test]
    fn paths_reach_sub_attributes_and_filtered_items() {
        let doc = json!({
            "userName": "ada",
            "name": { "givenName": "Ada", "familyName": "Byron" },
            "emails": [{ "value": "a@x.test", "type": "work", "primary": true }]
        });
        let out = patch(
            doc,
            USER_ATTRS,
            body(json!([
                { "op": "replace", "path": "name.familyName", "value": "Lovelace" },
                { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "ada@x.test" },
                { "op": "add", "path": "emails[type eq \"home\"].value", "value": "home@x.test" },
                { "op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "value": "Ada L." }
            ])),
        )
        .unwrap();
        assert_eq!(
            out["name"],
            json!({ "givenName": "Ada", "familyName": "Lovelace" })
        );
        assert_eq!(out["emails"][0]["value"], "ada@x.test");
        assert_eq!(
            out["emails"][1],
            json!({ "type": "home", "value": "home@x.test" })
        );
        assert_eq!(out["displayName"], "Ada L.");
    }

    #[test]
    fn group_members_are_added_and_removed_both_ways() {
        let doc = json!({ "displayName": "eng", "members": [{ "value": "a" }] });
        let out = patch(
            doc,
            GROUP_ATTRS,
            body(json!([
                { "op": "add", "path": "members", "value": [{ "value": "b" }, { "value": "a" }] },
                { "op": "add", "path": "members", "value": [{ "value": "c" }] },
                { "op": "remove", "path": "members[value eq \"a\"]" },
                { "op": "Remove", "path": "members", "value": [{ "value": "C" }] }
            ])),
        )
        .unwrap();
        assert_eq!(out["members"], json!([{ "value": "b" }]));
        let cleared = patch(
            out,
            GROUP_ATTRS,
            body(json!([{ "op": "remove", "path": "members" }])),
        )
        .unwrap();
        assert!(cleared.get("members").is_none());
    }

    #[test]
    fn bad_requests_are_refused_with_their_scim_type() {
        let doc = json!({ "userName": "ada" });
        let cases = [
            (json!({ "Operations": [] }), "invalidSyntax"),
            (body(json!([])), "invalidSyntax"),
            (
                body(json!([{ "op": "move", "path": "a" }])),
                "invalidSyntax",
            ),
            (
                body(json!([{ "op": "add", "path": "nickName", "value": "x" }])),
                "invalidPath",
            ),
            (
                body(json!([{ "op": "add", "path": "name.nick", "value": "x" }])),
                "invalidPath",
            ),
            (body(json!([{ "op": "remove" }])), "noTarget"),
            (
                body(json!([{ "op": "replace", "path": "groups", "value": [] }])),
                "mutability",
            ),
            (
                body(
                    json!([{ "op": "replace", "path": "userName[value eq \"x\"]", "value": "y" }]),
                ),
                "invalidPath",
            ),
            (
                body(json!([{ "op": "replace", "path": "emails[type eq \"x\"]", "value": {} }])),
                "noTarget",
            ),
        ];
        for (request, scim_type) in cases {
            let refusal = patch(doc.clone(), USER_ATTRS, request.clone()).unwrap_err();
            assert_eq!(refusal.scim_type, Some(scim_type), "{request}");
            assert_eq!(refusal.status, 400);
        }
    }
}
