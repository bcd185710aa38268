//! `$expand` planning (DSP0266): which references of a body get replaced by the resources they
//! name. A reference is an object whose only property is `@odata.id`; `Links` holds the
//! non-subordinate ones. Fetching is the caller's job: this module only finds and fills.

use super::ExpandKind;
use serde_json::Value;

/// A reference to expand: where it sits in the body (a JSON pointer) and the URI it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub pointer: String,
    pub uri: String,
}

/// The references of `body` that `kind` expands, in document order. The body's own `@odata.id`
/// and references into a resource (`#` fragments) are never expanded.
pub fn references(body: &Value, kind: ExpandKind) -> Vec<Reference> {
    let mut found = Vec::new();
    if let Value::Object(obj) = body {
        for (key, value) in obj {
            let in_links = key == "Links";
            if in_links && kind == ExpandKind::Subordinate {
                continue;
            }
            walk(value, &pointer_of("", key), kind, in_links, &mut found);
        }
    }
    found
}

fn walk(value: &Value, at: &str, kind: ExpandKind, in_links: bool, found: &mut Vec<Reference>) {
    match value {
        Value::Object(obj) => {
            if let Some(uri) = reference_uri(value) {
                let wanted = match kind {
                    ExpandKind::All => true,
                    ExpandKind::Subordinate => !in_links,
                    ExpandKind::Links => in_links,
                };
                if wanted && !uri.contains('#') {
                    found.push(Reference {
                        pointer: at.to_owned(),
                        uri: uri.to_owned(),
                    });
                }
                return;
            }
            for (key, v) in obj {
                let links = in_links || key == "Links";
                if links && !in_links && kind == ExpandKind::Subordinate {
                    continue;
                }
                walk(v, &pointer_of(at, key), kind, links, found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{at}/{i}"), kind, in_links, found);
            }
        }
        _ => {}
    }
}

/// The URI of a reference object (`{"@odata.id": "..."}` and nothing else).
pub fn reference_uri(value: &Value) -> Option<&str> {
    let obj = value.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    obj.get("@odata.id")?.as_str()
}

/// RFC 6901: `~` and `/` in a key are escaped.
fn pointer_of(at: &str, key: &str) -> String {
    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Replaces the reference at `pointer` by the resource fetched for it.
pub fn fill(body: &mut Value, pointer: &str, resource: Value) {
    if let Some(slot) = body.pointer_mut(pointer) {
        *slot = resource;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn root() -> Value {
        json!({
            "@odata.id": "/redfish/v1",
            "Systems": {"@odata.id": "/redfish/v1/Systems"},
            "ProtocolFeaturesSupported": {"ExpandQuery": {"Levels": true}},
            "Oem": {"X": {"Thing": {"@odata.id": "/redfish/v1/Oem/Thing"}}},
            "Links": {
                "Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"},
                "Chassis": [{"@odata.id": "/redfish/v1/Chassis/1"}],
            },
            "Power": {"@odata.id": "/redfish/v1/Chassis/1/Power#/PowerControl/0"},
            "Members": [{"@odata.id": "/m/1"}, {"@odata.id": "/m/2", "Name": "inline"}],
            "Odd~/Key": {"@odata.id": "/odd"},
        })
    }

    fn uris(kind: ExpandKind) -> Vec<(String, String)> {
        references(&root(), kind)
            .into_iter()
            .map(|r| (r.pointer, r.uri))
            .collect()
    }

    #[test]
    fn plans_by_kind() {
        let sub = vec![
            ("/Systems".to_owned(), "/redfish/v1/Systems".to_owned()),
            ("/Oem/X/Thing".into(), "/redfish/v1/Oem/Thing".into()),
            ("/Members/0".into(), "/m/1".into()),
            ("/Odd~0~1Key".into(), "/odd".into()),
        ];
        let links = vec![
            (
                "/Links/Sessions".to_owned(),
                "/redfish/v1/SessionService/Sessions".to_owned(),
            ),
            ("/Links/Chassis/0".into(), "/redfish/v1/Chassis/1".into()),
        ];
        assert_eq!(uris(ExpandKind::Subordinate), sub);
        assert_eq!(uris(ExpandKind::Links), links);
        let all = uris(ExpandKind::All);
        assert_eq!(all.len(), sub.len() + links.len());
        assert!(sub.iter().chain(links.iter()).all(|r| all.contains(r)));
    }

    #[test]
    fn fills_references_by_pointer() {
        let mut body = root();
        for r in references(&root(), ExpandKind::All) {
            fill(
                &mut body,
                &r.pointer,
                json!({"@odata.id": r.uri, "Name": "x"}),
            );
        }
        assert_eq!(body["Odd~/Key"]["Name"], "x");
        assert_eq!(body["Links"]["Chassis"][0]["Name"], "x");
        assert!(references(&body, ExpandKind::All).is_empty());
    }
}
