//! The two documents DSP0266 opens to everyone: `$metadata` (the schema references, built once
//! from the embedded DMTF catalog) and the OData service document (the ServiceRoot's top-level
//! resources, as served now).

use crate::AppState;
use crate::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde_json::{Value, json};

pub fn metadata() -> Response {
    let mut r = Response::new(
        StatusCode::OK,
        Bytes::from_static(redfish::schemas::metadata_xml().as_bytes()),
    );
    r.header(
        "content-type",
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    r.header("allow", HeaderValue::from_static("GET, HEAD"));
    r
}

pub async fn service_document(state: &AppState) -> Response {
    let root = super::service_root::root_document(state).await;
    let mut value = vec![json!({"name": "Service", "kind": "Singleton", "url": "/redfish/v1/"})];
    if let Some(obj) = root.as_object() {
        for (name, link) in obj {
            if let Some(url) = link.get("@odata.id").and_then(Value::as_str)
                && name != "Links"
            {
                value.push(json!({"name": name, "kind": "Singleton", "url": url}));
            }
        }
    }
    let mut r = Response::json_value(
        StatusCode::OK,
        &json!({"@odata.context": "/redfish/v1/$metadata", "value": value}),
    );
    r.header("allow", HeaderValue::from_static("GET, HEAD"));
    r
}
