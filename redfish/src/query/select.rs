//! `$select` (DSP0266): keep only the named properties (`Name`, `Status/Health`) plus the ones a
//! response always carries (`@odata.id`, `@odata.type`, `@odata.context`, `@odata.etag`). On a
//! collection the selection applies to each expanded member as well, and `Members` stays.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The selected property paths as a tree: an empty child set means the whole property.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection(BTreeMap<String, Selection>);

/// Kept by `$select` whatever was asked.
const REQUIRED: [&str; 4] = ["@odata.id", "@odata.type", "@odata.context", "@odata.etag"];
/// Also kept on a collection: the member list the selection applies to, and its paging.
const COLLECTION: [&str; 3] = ["Members", "Members@odata.count", "Members@odata.nextLink"];
/// The most segments of one selected path (`Status/Health` has two). The selection is a tree as
/// deep as its longest path, walked and dropped recursively: a path as long as a request line
/// allows would otherwise overflow the stack.
pub const MAX_PATH_SEGMENTS: usize = 32;

/// `Name,Status/Health`; None when a path is empty or has characters no property name has.
pub fn parse(text: &str) -> Option<Selection> {
    let mut root = Selection::default();
    for path in text.split(',') {
        let path = path.trim();
        let segments: Vec<&str> = path.split('/').collect();
        let valid = |s: &&str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '.' | '#'))
        };
        if segments.len() > MAX_PATH_SEGMENTS || !segments.iter().all(valid) {
            return None;
        }
        let mut node = &mut root;
        let mut whole = false;
        for seg in segments {
            // A property selected whole already covers any sub-path of it.
            if whole {
                break;
            }
            let existed = node.0.contains_key(seg);
            node = node.0.entry(seg.to_owned()).or_default();
            whole = existed && node.0.is_empty();
        }
        if !whole {
            // The last segment is selected whole.
            node.0.clear();
        }
    }
    Some(root)
}

/// Applies the selection to a resource (or collection) body.
pub fn apply(body: &mut Value, selection: &Selection) {
    let Value::Object(obj) = body else {
        return;
    };
    let is_collection = obj.get("Members").is_some_and(Value::is_array);
    let mut kept = pick(obj, selection, &REQUIRED);
    if is_collection {
        for key in COLLECTION {
            if let Some(v) = obj.remove(key) {
                kept.insert(key.to_owned(), v);
            }
        }
        if let Some(Value::Array(members)) = kept.get_mut("Members") {
            for m in members.iter_mut() {
                // A member left as a reference has nothing to select from.
                if m.as_object().is_some_and(|o| o.len() > 1) {
                    apply(m, selection);
                }
            }
        }
    }
    *obj = kept;
}

fn pick(
    obj: &mut Map<String, Value>,
    selection: &Selection,
    always: &[&str],
) -> Map<String, Value> {
    let mut kept = Map::new();
    // Iterate the body's keys to keep its property order.
    let keys: Vec<String> = obj.keys().cloned().collect();
    for key in keys {
        let Some(value) = obj.remove(&key) else {
            continue;
        };
        if always.contains(&key.as_str()) {
            kept.insert(key, value);
        } else if let Some(sub) = selection.0.get(&key) {
            kept.insert(key, narrow(value, sub));
        } else {
            obj.insert(key, value);
        }
    }
    kept
}

/// A selected property: whole, or only its selected sub-properties (in each element of an array).
fn narrow(value: Value, sub: &Selection) -> Value {
    if sub.0.is_empty() {
        return value;
    }
    match value {
        Value::Object(mut o) => Value::Object(pick(&mut o, sub, &[])),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| narrow(v, sub)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn selected(text: &str, mut body: Value) -> Value {
        let s = parse(text).expect("selection");
        apply(&mut body, &s);
        body
    }

    #[test]
    fn keeps_selected_and_required_properties() {
        let body = json!({
            "@odata.id": "/r", "@odata.type": "#T.v1_0_0.T", "@odata.etag": "\"1\"",
            "Id": "1", "Name": "n", "PowerState": "On",
            "Status": {"Health": "OK", "State": "Enabled"},
            "Boot": {"BootSourceOverrideTarget": "Pxe"},
            "Items": [{"A": 1, "B": 2}, {"A": 3}],
        });
        let rows = [
            (
                "Name,PowerState",
                json!({"@odata.id": "/r", "@odata.type": "#T.v1_0_0.T", "@odata.etag": "\"1\"",
                       "Name": "n", "PowerState": "On"}),
            ),
            (
                "Status/Health",
                json!({"@odata.id": "/r", "@odata.type": "#T.v1_0_0.T", "@odata.etag": "\"1\"",
                       "Status": {"Health": "OK"}}),
            ),
            (
                "Status,Status/Health",
                json!({"@odata.id": "/r", "@odata.type": "#T.v1_0_0.T", "@odata.etag": "\"1\"",
                       "Status": {"Health": "OK", "State": "Enabled"}}),
            ),
            (
                "Status/Health,Status",
                json!({"@odata.id": "/r", "@odata.type": "#T.v1_0_0.T", "@odata.etag": "\"1\"",
                       "Status": {"Health": "OK", "State": "Enabled"}}),
            ),
            (
                "Items/A, Missing",
                json!({"@odata.id": "/r", "@odata.type": "#T.v1_0_0.T", "@odata.etag": "\"1\"",
                       "Items": [{"A": 1}, {"A": 3}]}),
            ),
        ];
        for (text, want) in rows {
            assert_eq!(selected(text, body.clone()), want, "{text}");
        }
    }

    #[test]
    fn applies_to_expanded_collection_members() {
        let body = json!({
            "@odata.id": "/c", "@odata.type": "#C.C", "Name": "Systems",
            "Members": [
                {"@odata.id": "/c/1", "@odata.type": "#S.S", "Name": "one", "PowerState": "On"},
                {"@odata.id": "/c/2"},
            ],
            "Members@odata.count": 2,
        });
        assert_eq!(
            selected("PowerState", body),
            json!({
                "@odata.id": "/c", "@odata.type": "#C.C",
                "Members": [
                    {"@odata.id": "/c/1", "@odata.type": "#S.S", "PowerState": "On"},
                    {"@odata.id": "/c/2"},
                ],
                "Members@odata.count": 2,
            })
        );
    }

    #[test]
    fn refuses_malformed_selections() {
        for text in ["", ",", "Name,", "Status/", "/Health", "Na me", "Name;x"] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
