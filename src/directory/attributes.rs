//! Reading SCIM documents: attribute names are case-insensitive (RFC 7643 §2.1), and
//! Entra ID sends booleans as the strings "True" and "False".
use serde_json::{Map, Value};

use super::{ScimError, urn};

/// The value of `name` in `object`, whatever the case of its key.
pub fn get<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// The key `name` already has in `object` (its own spelling), if it is there.
pub fn key_of(object: &Map<String, Value>, name: &str) -> Option<String> {
    object
        .keys()
        .find(|key| key.eq_ignore_ascii_case(name))
        .cloned()
}

/// Sets `name` in `object`, replacing a key spelt in another case.
pub fn set(object: &mut Map<String, Value>, name: &str, value: Value) {
    let key = key_of(object, name).unwrap_or_else(|| name.to_owned());
    object.insert(key, value);
}

pub fn remove(object: &mut Map<String, Value>, name: &str) -> Option<Value> {
    key_of(object, name).and_then(|key| object.remove(&key))
}

/// A string attribute: absent, null and "" are none; anything else but a string is
/// refused.
pub fn text(object: &Map<String, Value>, name: &str) -> Result<Option<String>, ScimError> {
    match get(object, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            Ok((!s.is_empty()).then(|| s.to_owned()))
        }
        Some(_) => Err(ScimError::invalid_value(format!("{name} must be a string"))),
    }
}

/// A boolean attribute, also as "True"/"False" (any case).
pub fn boolean(object: &Map<String, Value>, name: &str) -> Result<Option<bool>, ScimError> {
    match get(object, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(ScimError::invalid_value(format!(
            "{name} must be true or false"
        ))),
    }
}

/// An object attribute (absent or null: none).
pub fn object<'a>(
    object: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a Map<String, Value>>, ScimError> {
    match get(object, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(ScimError::invalid_value(format!(
            "{name} must be an object"
        ))),
    }
}

/// Keeps only `attributes` (and `id`, `schemas`, `meta`), or drops `excluded`, in a
/// resource (RFC 7644 §3.4.2.5); names may carry the schema URN.
pub fn project(resource: &mut Value, attributes: Option<&str>, excluded: Option<&str>) {
    let Value::Object(doc) = resource else { return };
    let names = |list: &str| -> Vec<String> {
        list.split(',')
            .map(|a| {
                let a = a.trim();
                let a = [urn::USER, urn::GROUP]
                    .iter()
                    .find_map(|u| a.strip_prefix(&format!("{u}:")))
                    .unwrap_or(a);
                a.split('.').next().unwrap_or(a).to_ascii_lowercase()
            })
            .collect()
    };
    if let Some(list) = attributes.filter(|l| !l.trim().is_empty()) {
        let keep = names(list);
        doc.retain(|k, _| {
            let k = k.to_ascii_lowercase();
            ["id", "schemas", "meta"].contains(&k.as_str())
                || keep.contains(&k)
                || (k == urn::ENTERPRISE.to_ascii_lowercase()
                    && keep.iter().any(|n| n.starts_with(&k)))
        });
    }
    if let Some(list) = excluded.filter(|l| !l.trim().is_empty()) {
        let drop = names(list);
        doc.retain(|k, _| {
            let k = k.to_ascii_lowercase();
            ["id", "schemas"].contains(&k.as_str()) || !drop.contains(&k)
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_ignore_case_and_entra_booleans_are_read() {
        let doc = json!({"UserName": "a@b.se", "active": "False", "Title": " ", "x": 1});
        let doc = doc.as_object().unwrap();
        assert_eq!(text(doc, "userName").unwrap().as_deref(), Some("a@b.se"));
        assert_eq!(boolean(doc, "ACTIVE").unwrap(), Some(false));
        assert_eq!(text(doc, "title").unwrap(), None);
        assert!(text(doc, "x").is_err());
        assert_eq!(boolean(doc, "missing").unwrap(), None);
    }
}
