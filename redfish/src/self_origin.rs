//! How a BMC names itself. Many BMCs write absolute URLs with their own configured host name
//! (`https://bmc-r12-s3.example.net/redfish/v1/Systems/1`) while the aggregator reaches them by
//! address: such URLs are the BMC's own and must be localized like relative ones, or they would
//! leak the BMC's name and break every client following them. The ServiceRoot tells: its own
//! `@odata.id` and the links of its top-level services point at the BMC itself.

use serde_json::Value;

/// `scheme://host[:port]` of every absolute Redfish URL by which the ServiceRoot `root` names
/// its own resources (its `@odata.id`, each top-level link, `Links.Sessions`).
pub fn self_origins(root: &Value) -> Vec<String> {
    let mut links: Vec<&str> = Vec::new();
    let Some(map) = root.as_object() else {
        return Vec::new();
    };
    if let Some(id) = map.get("@odata.id").and_then(Value::as_str) {
        links.push(id);
    }
    for value in map.values() {
        if let Some(id) = value.get("@odata.id").and_then(Value::as_str) {
            links.push(id);
        }
    }
    if let Some(id) = root["Links"]["Sessions"]["@odata.id"].as_str() {
        links.push(id);
    }
    let mut out: Vec<String> = links.into_iter().filter_map(origin_of).collect();
    out.sort();
    out.dedup();
    out
}

/// The origin of an absolute http(s) URL whose path is a Redfish path.
fn origin_of(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    let end = rest.find('/')?;
    let (authority, path) = rest.split_at(end);
    if authority.is_empty() || authority.contains('@') || !path.starts_with("/redfish/v1") {
        return None;
    }
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_service_root_names_the_origins_it_lives_at() {
        let cases = [
            (
                json!({"@odata.id": "/redfish/v1", "Systems": {"@odata.id": "/redfish/v1/Systems"}}),
                vec![],
            ),
            (
                json!({"@odata.id": "https://BMC-s1.Example.net:8443/redfish/v1/",
                       "Systems": {"@odata.id": "https://bmc-s1.example.net:8443/redfish/v1/Systems"},
                       "Links": {"Sessions": {"@odata.id": "http://10.1.2.3/redfish/v1/SessionService/Sessions"}}}),
                vec!["http://10.1.2.3", "https://bmc-s1.example.net:8443"],
            ),
            // Not Redfish paths, not http(s), credentials in the URL, no path: not the BMC's.
            (
                json!({"Oem": {"@odata.id": "https://portal.example.net/ui"},
                       "A": {"@odata.id": "ftp://bmc/redfish/v1/A"},
                       "B": {"@odata.id": "https://user@bmc/redfish/v1/B"},
                       "C": {"@odata.id": "https://bmc"}}),
                vec![],
            ),
            (json!("not an object"), vec![]),
        ];
        for (root, want) in cases {
            assert_eq!(self_origins(&root), want, "{root}");
        }
    }
}
