//! Header names and values the Redfish specification asks every response to carry.

pub const ODATA_VERSION: &str = "OData-Version";
pub const ODATA_VERSION_VALUE: &str = "4.0";
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
pub const X_AUTH_TOKEN: &str = "X-Auth-Token";
/// Redfish version the aggregate's own resources implement.
pub const REDFISH_VERSION: &str = "1.20.0";
/// `Product` of the aggregate's ServiceRoot: how a row tells that a source is one of our racks.
pub const PRODUCT: &str = "RedDrum Aggregator";

/// Request headers that are end-to-end and safe to hand to a BMC. Everything else (credentials,
/// cookies, hop-by-hop headers, Host) is dropped: the aggregator rebuilds the request.
pub const FORWARDED_REQUEST_HEADERS: &[&str] = &[
    "accept",
    "content-type",
    "if-match",
    "if-none-match",
    "odata-version",
    "odata-maxversion",
    "prefer",
];

/// Response headers a BMC sends that the client must see (after localizing URIs in them).
pub const FORWARDED_RESPONSE_HEADERS: &[&str] = &[
    "allow",
    "cache-control",
    "content-type",
    "etag",
    "link",
    "location",
    "retry-after",
    "odata-version",
];

/// A Redfish resource collection listing `members` (their `@odata.id`s).
pub fn collection(
    odata_id: &str,
    odata_type: &str,
    name: &str,
    members: &[String],
) -> serde_json::Value {
    let list: Vec<serde_json::Value> = members
        .iter()
        .map(|m| serde_json::json!({"@odata.id": m}))
        .collect();
    serde_json::json!({
        "@odata.id": odata_id,
        "@odata.type": odata_type,
        "Name": name,
        "Members": list,
        "Members@odata.count": members.len(),
    })
}

/// The aggregate UpdateService's `MultipartHttpPushUri`: the one request whose body (a firmware
/// image) streams through frontend and aggregator instead of being read whole.
pub const MULTIPART_PUSH_URI: &str = "/redfish/v1/UpdateService/upload";
