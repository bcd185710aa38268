//! Service root and the top-level collections.

use serde_json::json;

use super::TreeBuilder;
use super::common::link;
use super::types as t;
use crate::quirks::GHOST_SYSTEM;
use crate::store::Caps;

pub(super) fn build(b: &mut TreeBuilder) {
    let l = b.layout().clone();
    let shape = b.shape().clone();
    // `href` makes a link absolute under the `advertised_host` quirk, else leaves it relative.
    let to = |path: &str| link(&l.href(path));
    let mut root = json!({
        "@odata.id": "/redfish/v1",
        "@odata.type": t::SERVICE_ROOT,
        "Id": "RootService",
        "Name": "Root Service",
        "RedfishVersion": "1.17.0",
        "UUID": "92384634-2938-2342-8820-489239905423",
        "Product": l.product,
        "Vendor": l.vendor,
        "ProtocolFeaturesSupported": {
            "ExcerptQuery": false,
            "ExpandQuery": { "ExpandAll": false, "Levels": false, "Links": false, "NoLinks": false },
            "FilterQuery": false,
            "OnlyMemberQuery": false,
            "SelectQuery": false,
        },
        "Systems": to("/redfish/v1/Systems"),
        "Chassis": to("/redfish/v1/Chassis"),
        "Managers": to("/redfish/v1/Managers"),
        "AccountService": to("/redfish/v1/AccountService"),
        "SessionService": to("/redfish/v1/SessionService"),
        "EventService": to("/redfish/v1/EventService"),
        "Tasks": to("/redfish/v1/TaskService"),
        "UpdateService": to("/redfish/v1/UpdateService"),
        "Registries": to("/redfish/v1/Registries"),
        "JsonSchemas": to("/redfish/v1/JsonSchemas"),
        "Links": { "Sessions": to("/redfish/v1/SessionService/Sessions") },
    });
    if shape.no_session_service {
        // Such BMCs advertise nothing of it; `Links` stays (the schema requires it), empty.
        if let Some(obj) = root.as_object_mut() {
            obj.remove("SessionService");
        }
        root["Links"] = json!({});
    }
    if shape.no_event_service
        && let Some(obj) = root.as_object_mut()
    {
        obj.remove("EventService");
    }
    b.add(root, Caps::READ);
    let mut systems = vec![l.href(&l.sys())];
    if shape.missing_member {
        systems.push(l.href(&format!("/redfish/v1/Systems/{GHOST_SYSTEM}")));
    }
    b.collection(
        "/redfish/v1/Systems",
        "ComputerSystem",
        "Computer System Collection",
        &systems,
        Caps::READ,
    );
    b.collection(
        "/redfish/v1/Chassis",
        "Chassis",
        "Chassis Collection",
        &[l.href(&l.chas())],
        Caps::READ,
    );
    b.collection(
        "/redfish/v1/Managers",
        "Manager",
        "Manager Collection",
        &[l.href(&l.mgr())],
        Caps::READ,
    );
}
