//! SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON document: `add`,
//! `replace` and `remove`, with or without a path, including what Entra ID sends —
//! capitalised op names, paths with a value filter (`emails[type eq "work"].value`),
//! attributes of the enterprise extension named by their full URN, dotted names inside
//! a path-less value (`{"name.givenName": "Anna"}`), and member removal by value list.
//! The caller then reads the patched document as it reads a PUT, so one set of rules
//! checks every write.
use scim_filter::parser::Filter;
use serde_json::{Map, Value};

use super::{
    ScimError,
    attributes::{get, key_of, remove, set},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// A parsed path: an attribute (in the core schema, or in the extension `urn`), an
/// optional value filter on it, and an optional sub-attribute.
#[derive(Debug)]
struct PatchPath {
    urn: Option<String>,
    attribute: String,
    filter: Option<String>,
    sub: Option<String>,
}

/// Applies a `PatchOp` request body to `doc`. `extensions` are the schema URNs whose
/// attributes live in an object of their own (the enterprise extension).
pub fn apply(
    doc: &mut Map<String, Value>,
    body: &Value,
    extensions: &[&str],
) -> Result<(), ScimError> {
    let operations = body
        .as_object()
        .and_then(|b| get(b, "Operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("a PatchOp needs an Operations list"))?;
    for operation in operations {
        let operation = operation
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("each operation is an object"))?;
        let op = match get(operation, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
        {
            Some(op) if op == "add" => Op::Add,
            Some(op) if op == "replace" => Op::Replace,
            Some(op) if op == "remove" => Op::Remove,
            _ => {
                return Err(ScimError::invalid_syntax(
                    "op must be add, replace or remove",
                ));
            }
        };
        let value = get(operation, "value").cloned();
        let path = get(operation, "path")
            .and_then(Value::as_str)
            .map(str::trim);
        // A path naming an extension itself: its whole object.
        if let Some(extension) =
            path.and_then(|p| extensions.iter().find(|e| e.eq_ignore_ascii_case(p)))
        {
            match (op, value) {
                (Op::Remove, _) => {
                    remove(doc, extension);
                }
                (_, Some(Value::Object(inner))) => {
                    let target = object_at(doc, extension);
                    if op == Op::Replace {
                        target.clear();
                    }
                    for (k, v) in inner {
                        set(target, &k, v);
                    }
                }
                _ => {
                    return Err(ScimError::invalid_value(format!(
                        "{extension} takes an object"
                    )));
                }
            }
            continue;
        }
        match path {
            Some(path) => {
                let path = parse_path(path, extensions)?;
                apply_at(doc, op, &path, value)?;
            }
            None if op == Op::Remove => {
                return Err(ScimError::new(400, Some("noTarget"), "remove needs a path"));
            }
            None => {
                let Some(Value::Object(values)) = value else {
                    return Err(ScimError::invalid_value(
                        "an operation without a path takes an object of attributes",
                    ));
                };
                for (name, value) in values {
                    // An extension's whole object merges into the one there.
                    if extensions.iter().any(|e| e.eq_ignore_ascii_case(&name))
                        && let Value::Object(inner) = value
                    {
                        let target = object_at(doc, &name);
                        for (k, v) in inner {
                            set(target, &k, v);
                        }
                        continue;
                    }
                    let path = parse_path(&name, extensions)?;
                    apply_at(doc, op, &path, Some(value))?;
                }
            }
        }
    }
    Ok(())
}

/// `urn:…:User:manager`, `emails[type eq "work"].value`, `name.givenName`, `members`.
fn parse_path(path: &str, extensions: &[&str]) -> Result<PatchPath, ScimError> {
    let path = path.trim();
    let invalid = || {
        ScimError::new(
            400,
            Some("invalidPath"),
            format!("cannot read the path {path}"),
        )
    };
    let (urn, rest) = match extensions
        .iter()
        .chain([super::urn::USER, super::urn::GROUP].iter())
        .find(|urn| path.len() > urn.len() && path[..urn.len()].eq_ignore_ascii_case(urn))
    {
        Some(urn) => {
            let rest = path[urn.len()..].strip_prefix(':').ok_or_else(invalid)?;
            let core = *urn == super::urn::USER || *urn == super::urn::GROUP;
            ((!core).then(|| (*urn).to_owned()), rest)
        }
        None => (None, path),
    };
    let (attribute, filter, after) = match rest.find('[') {
        Some(open) => {
            let close = rest.rfind(']').filter(|c| *c > open).ok_or_else(invalid)?;
            (
                &rest[..open],
                Some(rest[open + 1..close].to_owned()),
                &rest[close + 1..],
            )
        }
        None => match rest.split_once('.') {
            Some((attribute, _)) => (attribute, None, &rest[attribute.len()..]),
            None => (rest, None, ""),
        },
    };
    let sub = match after {
        "" => None,
        s => Some(s.strip_prefix('.').ok_or_else(invalid)?.to_owned()),
    };
    if attribute.is_empty()
        || !attribute
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    {
        return Err(invalid());
    }
    Ok(PatchPath {
        urn,
        attribute: attribute.to_owned(),
        filter,
        sub,
    })
}

/// The object `name` holds in `doc`, made if absent.
fn object_at<'a>(doc: &'a mut Map<String, Value>, name: &str) -> &'a mut Map<String, Value> {
    let key = key_of(doc, name).unwrap_or_else(|| name.to_owned());
    let slot = doc.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("made an object above")
}

fn parse_filter(filter: &str) -> Result<Filter<'_>, ScimError> {
    match scim_filter::parser::filter(filter) {
        Ok(("", parsed)) => Ok(parsed),
        _ => Err(ScimError::new(
            400,
            Some("invalidFilter"),
            format!("cannot read the filter {filter}"),
        )),
    }
}

fn apply_at(
    doc: &mut Map<String, Value>,
    op: Op,
    path: &PatchPath,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let container = match &path.urn {
        Some(urn) => object_at(doc, urn),
        None => doc,
    };
    let name = path.attribute.as_str();
    if op != Op::Remove && value.is_none() {
        return Err(ScimError::invalid_value(format!(
            "{op:?} of {name} needs a value"
        )));
    }
    match (&path.filter, &path.sub) {
        // name, or name.sub
        (None, None) => match op {
            Op::Remove => match value {
                // Entra ID removes members by listing them as the value.
                Some(Value::Array(listed)) => {
                    if let Some(Value::Array(items)) =
                        key_of(container, name).and_then(|k| container.get_mut(&k))
                    {
                        items.retain(|item| !listed.iter().any(|l| same_member(item, l)));
                    }
                }
                _ => {
                    remove(container, name);
                }
            },
            Op::Add => {
                let value = value.expect("checked above");
                match (get(container, name).cloned(), value) {
                    // Adding to a multi-valued attribute appends what is not there yet.
                    (Some(Value::Array(mut items)), Value::Array(new)) => {
                        for item in new {
                            if !items.iter().any(|i| same_member(i, &item)) {
                                items.push(item);
                            }
                        }
                        set(container, name, Value::Array(items));
                    }
                    (Some(Value::Object(mut current)), Value::Object(new)) => {
                        for (k, v) in new {
                            set(&mut current, &k, v);
                        }
                        set(container, name, Value::Object(current));
                    }
                    (_, value) => set(container, name, value),
                }
            }
            Op::Replace => {
                let value = value.expect("checked above");
                match (get(container, name).cloned(), value) {
                    (Some(Value::Object(mut current)), Value::Object(new)) => {
                        for (k, v) in new {
                            set(&mut current, &k, v);
                        }
                        set(container, name, Value::Object(current));
                    }
                    (_, value) => set(container, name, value),
                }
            }
        },
        (None, Some(sub)) => {
            let target = object_at(container, name);
            match op {
                Op::Remove => {
                    remove(target, sub);
                }
                _ => set(target, sub, value.expect("checked above")),
            }
        }
        (Some(filter), sub) => {
            let parsed = parse_filter(filter)?;
            let key = key_of(container, name).unwrap_or_else(|| name.to_owned());
            let items = container
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(items) = items else {
                return Err(ScimError::new(
                    400,
                    Some("invalidPath"),
                    format!("{name} is not multi-valued"),
                ));
            };
            let matches: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(_, item)| element_matches(&parsed, item))
                .map(|(i, _)| i)
                .collect();
            match (op, sub) {
                (Op::Remove, None) => {
                    let mut i = 0;
                    items.retain(|_| {
                        let keep = !matches.contains(&i);
                        i += 1;
                        keep
                    });
                }
                (Op::Remove, Some(sub)) => {
                    for i in matches {
                        if let Value::Object(item) = &mut items[i] {
                            remove(item, sub);
                        }
                    }
                }
                (_, Some(sub)) if matches.is_empty() => {
                    // Entra ID sets `emails[type eq "work"].value` on a user with no work
                    // e-mail yet: the element the filter describes is made.
                    let mut item = element_for(filter).ok_or_else(|| {
                        ScimError::new(
                            400,
                            Some("noTarget"),
                            format!("nothing in {name} matches {filter}"),
                        )
                    })?;
                    set(&mut item, sub, value.expect("checked above"));
                    if items.is_empty() {
                        set(&mut item, "primary", Value::Bool(true));
                    }
                    items.push(Value::Object(item));
                }
                (_, Some(sub)) => {
                    for i in matches {
                        if let Value::Object(item) = &mut items[i] {
                            set(item, sub, value.clone().expect("checked above"));
                        }
                    }
                }
                (_, None) => {
                    let Some(Value::Object(new)) = value else {
                        return Err(ScimError::invalid_value(format!(
                            "{name}[…] takes an object"
                        )));
                    };
                    if matches.is_empty() {
                        return Err(ScimError::new(
                            400,
                            Some("noTarget"),
                            format!("nothing in {name} matches {filter}"),
                        ));
                    }
                    for i in matches {
                        if let Value::Object(item) = &mut items[i] {
                            for (k, v) in &new {
                                set(item, k, v.clone());
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Whether an element of a multi-valued attribute matches a value filter. An equality
/// on a string (what provisioning clients send: `type eq "work"`, `value eq "<id>"`)
/// is compared here, as text; `scim-filter`'s own matcher would read a string of digits
/// as a date. Anything else is left to that matcher.
fn element_matches(filter: &Filter<'_>, item: &Value) -> bool {
    use scim_filter::parser::{AttrExpData, CompValue, CompareOp};
    if let Filter::AttrExp(AttrExpData::Compare(path, CompareOp::Equal, CompValue::String(wanted))) =
        filter
        && path.sub_attr().is_none()
    {
        let name: &str = path.attr_name();
        return item
            .as_object()
            .and_then(|item| get(item, name))
            .and_then(Value::as_str)
            .is_some_and(|have| {
                // `type` and the like are compared without regard to case; ids exactly.
                if name.eq_ignore_ascii_case("value") {
                    have == *wanted
                } else {
                    have.eq_ignore_ascii_case(wanted)
                }
            });
    }
    filter.r#match(item).unwrap_or(false)
}

/// The element an equality filter (`type eq "work"`) describes.
fn element_for(filter: &str) -> Option<Map<String, Value>> {
    let (attribute, rest) = filter.trim().split_once(' ')?;
    let (op, literal) = rest.trim().split_once(' ')?;
    if !op.eq_ignore_ascii_case("eq") {
        return None;
    }
    let value: Value = serde_json::from_str(literal.trim()).ok()?;
    let mut item = Map::new();
    item.insert(attribute.to_owned(), value);
    Some(item)
}

/// Two elements of a multi-valued attribute are the same member when their `value`s are.
fn same_member(a: &Value, b: &Value) -> bool {
    match (
        a.as_object().and_then(|a| get(a, "value")),
        b.as_object().and_then(|b| get(b, "value")),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::directory::urn::ENTERPRISE;

    fn patched(doc: Value, operations: Value) -> Value {
        let mut doc = doc.as_object().unwrap().clone();
        apply(&mut doc, &json!({"Operations": operations}), &[ENTERPRISE]).unwrap();
        Value::Object(doc)
    }

    #[test]
    fn entra_ids_dialect_is_understood() {
        let user = json!({"userName": "a@r.se", "emails": [{"type": "work", "value": "a@r.se", "primary": true}], "active": true});
        let out = patched(
            user.clone(),
            json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@r.se"},
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Medicin"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m-1"},
                {"op": "Add", "value": {"name.givenName": "Anna", "title": "Sjuksköterska"}},
            ]),
        );
        assert_eq!(out["emails"][0]["value"], "b@r.se");
        assert_eq!(out["active"], "False");
        assert_eq!(out[ENTERPRISE]["department"], "Medicin");
        assert_eq!(out[ENTERPRISE]["manager"], "m-1");
        assert_eq!(out["name"]["givenName"], "Anna");
        assert_eq!(out["title"], "Sjuksköterska");
        // A filter that matches nothing makes the element it names.
        let out = patched(
            json!({"userName": "x"}),
            json!([
                {"op": "add", "path": "emails[type eq \"work\"].value", "value": "x@r.se"}
            ]),
        );
        assert_eq!(
            out["emails"],
            json!([{"type": "work", "value": "x@r.se", "primary": true}])
        );
    }

    #[test]
    fn members_are_added_once_and_removed_by_filter_or_list() {
        let group = json!({"displayName": "G", "members": [{"value": "1"}]});
        let out = patched(
            group,
            json!([
                {"op": "add", "path": "members", "value": [{"value": "1"}, {"value": "2"}, {"value": "3"}]},
                {"op": "remove", "path": "members[value eq \"2\"]"},
                {"op": "Remove", "path": "members", "value": [{"value": "3"}]},
            ]),
        );
        assert_eq!(out["members"], json!([{"value": "1"}]));
        let out = patched(out, json!([{"op": "remove", "path": "members"}]));
        assert!(out.get("members").is_none());
    }

    #[test]
    fn bad_operations_are_refused_with_their_scim_type() {
        let mut doc = Map::new();
        for (body, kind) in [
            (json!({}), "invalidSyntax"),
            (
                json!({"Operations": [{"op": "move", "path": "a"}]}),
                "invalidSyntax",
            ),
            (json!({"Operations": [{"op": "remove"}]}), "noTarget"),
            (
                json!({"Operations": [{"op": "add", "path": "emails[type eq]", "value": 1}]}),
                "invalidFilter",
            ),
            (
                json!({"Operations": [{"op": "add", "path": "a b", "value": 1}]}),
                "invalidPath",
            ),
        ] {
            let err = apply(&mut doc, &body, &[ENTERPRISE]).unwrap_err();
            assert_eq!(err.scim_type, Some(kind), "{body}");
        }
    }
}
