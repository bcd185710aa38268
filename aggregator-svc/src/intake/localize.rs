//! A BMC's event record in the aggregate's terms: every URI localized by the BMC's localizer
//! context (as its replies are), `OriginOfCondition` pointing into the aggregate, the EventId
//! made unique across BMCs, and no trace of the BMC's address.
//!
//! Choices: an `OriginOfCondition` that is no Redfish URI of the BMC (it cannot be localized)
//! is removed rather than the whole event dropped (the event still says what happened); the
//! BMC's address left in free text (a Message naming the BMC's own IP) is replaced by
//! `BMC <id>`, since subscribers outside the management network must never learn it.

use redfish::rewrite::{BmcContext, localize_body, localize_uri};
use serde_json::{Value, json};

/// The localized record, or None when it is not an event record (not a JSON object).
pub fn localize_record(mut record: Value, ctx: &BmcContext) -> Option<Value> {
    let map = record.as_object_mut()?;
    // Old BMCs send the origin as a bare string; it is a link all the same.
    if let Some(Value::String(uri)) = map.get("OriginOfCondition").cloned() {
        map.insert("OriginOfCondition".into(), json!({ "@odata.id": uri }));
    }
    localize_body(&mut record, ctx);
    let map = record.as_object_mut()?;
    let origin_ok = match map.get("OriginOfCondition") {
        None => true,
        Some(o) => o
            .get("@odata.id")
            .and_then(Value::as_str)
            .is_some_and(|u| u.starts_with("/redfish/v1/")),
    };
    if !origin_ok {
        // Localizing an object leaves a relative BMC path localized; what is left here is a
        // link elsewhere or garbage.
        map.remove("OriginOfCondition");
    }
    if let Some(id) = map.get("EventId").and_then(Value::as_str) {
        let unique = format!("{}-{id}", ctx.bmc());
        map.insert("EventId".into(), Value::String(unique));
    }
    redact(&mut record, ctx);
    Some(record)
}

/// `host[:port]` of each origin the BMC is known by.
fn hosts(ctx: &BmcContext) -> Vec<String> {
    let mut out: Vec<String> = ctx
        .origins()
        .iter()
        .filter_map(|o| o.split_once("://").map(|(_, h)| h.to_owned()))
        .collect();
    // Longest first, so `10.0.0.11:8443` goes before `10.0.0.11`.
    out.sort_by_key(|h| std::cmp::Reverse(h.len()));
    out.dedup();
    out
}

/// Replaces the BMC's address in every string (absolute URLs of it are localized already).
fn redact(value: &mut Value, ctx: &BmcContext) {
    let hosts = hosts(ctx);
    let name = format!("BMC {}", ctx.bmc());
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                for h in &hosts {
                    if let Some(bare) = h.strip_prefix('[').and_then(|h| h.split(']').next())
                        && s.contains(bare)
                    {
                        *s = s.replace(bare, &name);
                    }
                    if contains_host(s, h) {
                        *s = replace_host(s, h, &name);
                    }
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
}

/// `host` occurs in `s` not as part of a longer name or number (`10.0.0.1` in `10.0.0.11`).
fn contains_host(s: &str, host: &str) -> bool {
    find_host(s, host, 0).is_some()
}

fn find_host(s: &str, host: &str, from: usize) -> Option<usize> {
    let mut start = from;
    while let Some(i) = s.get(start..)?.find(host) {
        let at = start + i;
        let end = at + host.len();
        let before = s[..at].chars().next_back();
        let after = s[end..].chars().next();
        let part_of_name =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !part_of_name(before) && !part_of_name(after) {
            return Some(at);
        }
        start = end;
    }
    None
}

fn replace_host(s: &str, host: &str, name: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut from = 0;
    while let Some(at) = find_host(s, host, from) {
        out.push_str(&s[from..at]);
        out.push_str(name);
        from = at + host.len();
    }
    out.push_str(&s[from..]);
    out
}

/// A URI of the BMC as the aggregate names it (for sampled events' origins).
pub fn aggregate_uri(uri: &str, ctx: &BmcContext) -> Option<String> {
    localize_uri(uri, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use redfish::ids::BmcId;

    fn ctx() -> BmcContext {
        BmcContext::new(
            &BmcId::parse("s1").expect("id"),
            &["https://10.0.0.11:8443".to_owned()],
        )
    }

    #[test]
    fn origins_and_uris_are_localized_and_the_address_never_shows() {
        let record = json!({
            "EventId": "7",
            "MessageId": "ResourceEvent.1.4.ResourcePoweredOff",
            "Message": "The resource at https://10.0.0.11:8443 (10.0.0.11:8443) powered off; 10.0.0.110 is another host.",
            "MessageArgs": ["/redfish/v1/Systems/1"],
            "OriginOfCondition": {"@odata.id": "https://10.0.0.11:8443/redfish/v1/Systems/1"},
        });
        let out = localize_record(record, &ctx()).expect("record");
        assert_eq!(
            out["OriginOfCondition"]["@odata.id"],
            "/redfish/v1/Systems/s1-1"
        );
        assert_eq!(out["MessageArgs"][0], "/redfish/v1/Systems/s1-1");
        assert_eq!(out["EventId"], "s1-7");
        let text = out.to_string();
        assert!(!text.contains("10.0.0.11:8443"), "{text}");
        assert!(
            text.contains("10.0.0.110"),
            "another host is left alone: {text}"
        );
    }

    #[test]
    fn a_bare_string_origin_is_a_link_and_a_foreign_one_is_removed() {
        let out = localize_record(
            json!({"OriginOfCondition": "/redfish/v1/Managers/bmc"}),
            &ctx(),
        )
        .expect("record");
        assert_eq!(
            out["OriginOfCondition"]["@odata.id"],
            "/redfish/v1/Managers/s1-bmc"
        );
        let out = localize_record(
            json!({"OriginOfCondition": {"@odata.id": "https://elsewhere.example/x"}}),
            &ctx(),
        )
        .expect("record");
        assert!(out.get("OriginOfCondition").is_none(), "{out}");
        assert!(localize_record(json!("not a record"), &ctx()).is_none());
    }
}
