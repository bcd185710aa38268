//! PATCH bodies for the aggregate's own resources, checked completely against a table of what is
//! writable before anything is written: a property that exists but is read-only is refused with
//! PropertyNotWritable, one the resource does not have with PropertyUnknown, a wrong JSON type
//! with PropertyValueTypeError, an enum value outside its list with PropertyValueNotInList.

use crate::error::AggError;
use redfish::messages::Message;
use serde_json::{Map, Value};

/// What a writable property accepts (null always clears it).
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Str,
    Bool,
    /// An array of strings (replaced whole).
    StrArray,
    /// A non-negative integer.
    Count,
    /// A non-negative number.
    Watts,
    Enum(&'static [&'static str]),
    Object(&'static [(&'static str, Kind)]),
    /// An array whose members are checked against the object fields (a PATCH of `PowerControl`).
    Array(&'static [(&'static str, Kind)]),
}

fn bad(message: Message) -> AggError {
    AggError::BadRequest { message }
}

/// The request body as a JSON object.
pub fn object_body(body: &[u8]) -> Result<Map<String, Value>, AggError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad(Message::unrecognized_request_body())),
        Err(_) => Err(bad(Message::malformed_json())),
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks `patch` against `writable`; `current` is the resource as served, so a property it has
/// but `writable` lacks is read-only rather than unknown. `prefix` names nested properties.
pub fn validate(
    patch: &Map<String, Value>,
    writable: &[(&str, Kind)],
    current: &Value,
    prefix: &str,
) -> Result<(), AggError> {
    for (key, value) in patch {
        if key.starts_with("@odata.") {
            continue;
        }
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}/{key}")
        };
        let Some((_, kind)) = writable.iter().find(|(k, _)| k == key) else {
            return Err(if current.get(key).is_some() {
                bad(Message::property_not_writable(&name))
            } else {
                bad(Message::property_unknown(&name))
            });
        };
        check_value(value, *kind, &current[key.as_str()], &name)?;
    }
    Ok(())
}

fn check_value(value: &Value, kind: Kind, current: &Value, name: &str) -> Result<(), AggError> {
    let type_error = || bad(Message::property_value_type_error(&show(value), name));
    if value.is_null() {
        return Ok(());
    }
    match kind {
        Kind::Str => value.as_str().map(|_| ()).ok_or_else(type_error),
        Kind::Bool => value.as_bool().map(|_| ()).ok_or_else(type_error),
        Kind::StrArray => match value.as_array() {
            Some(items) if items.iter().all(Value::is_string) => Ok(()),
            _ => Err(type_error()),
        },
        Kind::Count => match value.as_u64() {
            Some(_) => Ok(()),
            None if value.as_i64().is_some() => Err(bad(Message::property_value_out_of_range(
                &show(value),
                name,
            ))),
            None => Err(type_error()),
        },
        Kind::Watts => match value.as_f64() {
            Some(w) if w >= 0.0 => Ok(()),
            Some(_) => Err(bad(Message::property_value_out_of_range(
                &show(value),
                name,
            ))),
            None => Err(type_error()),
        },
        Kind::Enum(values) => match value.as_str() {
            Some(s) if values.contains(&s) => Ok(()),
            Some(s) => Err(bad(Message::property_value_not_in_list(s, name))),
            None => Err(type_error()),
        },
        Kind::Object(fields) => match value.as_object() {
            Some(map) => validate(map, fields, current, name),
            None => Err(type_error()),
        },
        Kind::Array(fields) => {
            let Some(items) = value.as_array() else {
                return Err(type_error());
            };
            for (i, item) in items.iter().enumerate() {
                let Some(map) = item.as_object() else {
                    return Err(type_error());
                };
                validate(map, fields, &current[i], &format!("{name}/{i}"))?;
            }
            Ok(())
        }
    }
}

/// JSON merge of `patch` into `target`: objects merge member by member, null removes.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else if v.is_object() && t.get(k).is_some_and(Value::is_object) {
                    if let Some(slot) = t.get_mut(k) {
                        merge(slot, v);
                    }
                } else {
                    t.insert(k.clone(), v.clone());
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PLACEMENT: &[(&str, Kind)] = &[
        ("Row", Kind::Str),
        ("RackOffset", Kind::Count),
        ("RackOffsetUnits", Kind::Enum(&["OpenU", "EIA_310"])),
    ];
    const LOCATION: &[(&str, Kind)] = &[("Placement", Kind::Object(PLACEMENT))];
    const WRITABLE: &[(&str, Kind)] = &[
        ("AssetTag", Kind::Str),
        ("Location", Kind::Object(LOCATION)),
    ];

    fn key_of(body: Value) -> Option<(String, Vec<String>)> {
        let current = json!({"Id": "Rack1", "AssetTag": "", "Model": "M"});
        let map = body.as_object().cloned().unwrap_or_default();
        match validate(&map, WRITABLE, &current, "") {
            Ok(()) => None,
            Err(AggError::BadRequest { message }) => {
                Some((message.key().to_owned(), message.args().to_vec()))
            }
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn each_kind_of_bad_patch_has_its_message_naming_the_property() {
        let rows = [
            (json!({"AssetTag": 5}), "PropertyValueTypeError", "AssetTag"),
            (json!({"Model": "x"}), "PropertyNotWritable", "Model"),
            (json!({"Colour": "red"}), "PropertyUnknown", "Colour"),
            (
                json!({"Location": {"Placement": {"RackOffset": "u3"}}}),
                "PropertyValueTypeError",
                "Location/Placement/RackOffset",
            ),
            (
                json!({"Location": {"Placement": {"RackOffset": -1}}}),
                "PropertyValueOutOfRange",
                "Location/Placement/RackOffset",
            ),
            (
                json!({"Location": {"Placement": {"RackOffsetUnits": "Inches"}}}),
                "PropertyValueNotInList",
                "Location/Placement/RackOffsetUnits",
            ),
            (
                json!({"Location": {"Placement": {"Shelf": "2"}}}),
                "PropertyUnknown",
                "Location/Placement/Shelf",
            ),
            (
                json!({"Location": "row 3"}),
                "PropertyValueTypeError",
                "Location",
            ),
            (
                json!({"AssetTag": "ok", "Model": "x"}),
                "PropertyNotWritable",
                "Model",
            ),
        ];
        for (body, key, property) in rows {
            let (k, args) = key_of(body.clone()).unwrap_or_else(|| panic!("accepted {body}"));
            assert_eq!(k, key, "{body}");
            assert!(args.iter().any(|a| a == property), "{body}: {args:?}");
        }
        assert_eq!(
            key_of(
                json!({"AssetTag": "A1", "Location": {"Placement": {"Row": "3", "RackOffset": 12}}})
            ),
            None
        );
        assert_eq!(key_of(json!({"@odata.etag": "x", "AssetTag": null})), None);
    }

    #[test]
    fn merge_is_member_wise_and_null_removes() {
        let mut t = json!({"Placement": {"Row": "1", "Rack": "A"}, "PostalAddress": {"City": "X"}});
        merge(
            &mut t,
            &json!({"Placement": {"Row": "2", "Rack": null}, "PostalAddress": {"Room": "5"}}),
        );
        assert_eq!(
            t,
            json!({"Placement": {"Row": "2"}, "PostalAddress": {"City": "X", "Room": "5"}})
        );
        assert!(matches!(
            object_body(b"[1]"),
            Err(AggError::BadRequest { .. })
        ));
        assert!(matches!(
            object_body(b"{"),
            Err(AggError::BadRequest { .. })
        ));
    }
}
