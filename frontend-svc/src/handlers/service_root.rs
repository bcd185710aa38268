//! `/redfish` (version document) and `/redfish/v1` (ServiceRoot, readable without auth).

use crate::AppState;
use crate::response::Response;
use http::{HeaderValue, StatusCode};
use redfish::odata::{PRODUCT, REDFISH_VERSION};
use serde_json::{Map, Value, json};

pub fn versions() -> Response {
    let mut r = Response::json_value(StatusCode::OK, &json!({"v1": "/redfish/v1/"}));
    r.header("allow", HeaderValue::from_static("GET, HEAD"));
    r
}

const ODATA_TYPE: &str = "#ServiceRoot.v1_17_0.ServiceRoot";

/// What the aggregate supports of DSP0266's query parameters and protocol options. The query
/// parameters are applied by the frontend to every resource ([`crate::query`]), so they hold
/// service-wide; `excerpt` is not implemented.
fn protocol_features() -> Value {
    json!({
        "ExcerptQuery": false,
        "ExpandQuery": crate::query::expand_features(),
        "FilterQuery": true,
        "FilterQueryComparisonOperations": true,
        "FilterQueryCompoundOperations": true,
        "MultipleHTTPRequests": true,
        "OnlyMemberQuery": true,
        "SelectQuery": true,
        "TopSkipQuery": true,
        "DeepOperations": {"DeepPATCH": false, "DeepPOST": false},
    })
}

/// The ServiceRoot: the frontend's own services plus what the aggregator serves. If the aggregator
/// is down the root is still served (it must be, unauthenticated), with the frontend's links only.
pub async fn service_root(state: &AppState) -> Response {
    let root = root_document(state).await;
    let mut r = Response::json_value(StatusCode::OK, &root);
    r.header("allow", HeaderValue::from_static("GET, HEAD"));
    if let Some(link) =
        redfish::schemas::describedby_link(ODATA_TYPE).and_then(|l| HeaderValue::from_str(&l).ok())
    {
        r.header("link", link);
    }
    r
}

/// The ServiceRoot document (also the source of the OData service document).
pub async fn root_document(state: &AppState) -> Value {
    let described = state.agg.describe().await.ok();
    let mut root = json!({
        "@odata.id": "/redfish/v1",
        "@odata.type": ODATA_TYPE,
        "Id": "RootService",
        "Name": "RedDrum Rack Aggregator",
        "RedfishVersion": REDFISH_VERSION,
        "Product": PRODUCT,
        "Vendor": "RedDrum",
        "ProtocolFeaturesSupported": protocol_features(),
        "Links": {},
    });
    let Some(obj) = root.as_object_mut() else {
        return root;
    };
    if let Some(d) = &described {
        if !d.service_uuid.is_empty() {
            obj.insert("UUID".into(), Value::String(d.service_uuid.clone()));
        }
        for link in &d.links {
            obj.insert(link.name.clone(), json!({"@odata.id": link.odata_id}));
        }
    }
    add_local_links(obj, state);
    root
}

/// Links to services the frontend itself owns.
fn add_local_links(obj: &mut Map<String, Value>, _state: &AppState) {
    obj.insert(
        "AccountService".into(),
        json!({"@odata.id": super::account_service::URI}),
    );
    obj.insert(
        "SessionService".into(),
        json!({"@odata.id": super::session_service::URI}),
    );
    let sessions = json!({"@odata.id": crate::sessions::SESSIONS_URI});
    match obj.get_mut("Links").and_then(Value::as_object_mut) {
        Some(links) => {
            links.insert("Sessions".into(), sessions);
        }
        None => {
            obj.insert("Links".into(), json!({ "Sessions": sessions }));
        }
    }
}
