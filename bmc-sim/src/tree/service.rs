//! Service root and the top-level collections.

use serde_json::json;

use super::TreeBuilder;
use super::common::link;
use super::types as t;
use crate::store::Caps;

pub(super) fn build(b: &mut TreeBuilder) {
    let l = b.layout().clone();
    b.add(
        json!({
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
            "Systems": link("/redfish/v1/Systems"),
            "Chassis": link("/redfish/v1/Chassis"),
            "Managers": link("/redfish/v1/Managers"),
            "AccountService": link("/redfish/v1/AccountService"),
            "SessionService": link("/redfish/v1/SessionService"),
            "EventService": link("/redfish/v1/EventService"),
            "Tasks": link("/redfish/v1/TaskService"),
            "UpdateService": link("/redfish/v1/UpdateService"),
            "Registries": link("/redfish/v1/Registries"),
            "JsonSchemas": link("/redfish/v1/JsonSchemas"),
            "Links": { "Sessions": link("/redfish/v1/SessionService/Sessions") },
        }),
        Caps::READ,
    );
    b.collection(
        "/redfish/v1/Systems",
        "ComputerSystem",
        "Computer System Collection",
        &[l.sys()],
        Caps::READ,
    );
    b.collection(
        "/redfish/v1/Chassis",
        "Chassis",
        "Chassis Collection",
        &[l.chas()],
        Caps::READ,
    );
    b.collection(
        "/redfish/v1/Managers",
        "Manager",
        "Manager Collection",
        &[l.mgr()],
        Caps::READ,
    );
}
