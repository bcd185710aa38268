//! EventService, TaskService, UpdateService (+FirmwareInventory), Registries.

use serde_json::{Value, json};

use super::common::{action_info, link, ok_status};
use super::types as t;
use super::{SELF_BASE, TreeBuilder};
use crate::store::Caps;

pub(crate) const SUBSCRIPTIONS: &str = "/redfish/v1/EventService/Subscriptions";
/// The Server-Sent Events stream (bmcweb's path; iDRAC's is the same).
pub(crate) const SSE: &str = "/redfish/v1/EventService/SSE";
pub(crate) const TASKS: &str = "/redfish/v1/TaskService/Tasks";
pub(crate) const TASK_MONITORS: &str = "/redfish/v1/TaskService/TaskMonitors";
/// Where firmware images are POSTed (multipart); answers 202 with a task like SimpleUpdate.
pub(crate) const MULTIPART_PUSH: &str = "/redfish/v1/UpdateService/upload";
pub(crate) const FIRMWARE: &str = "/redfish/v1/UpdateService/FirmwareInventory";

/// Capabilities of an event subscription.
pub(crate) const SUBSCRIPTION_CAPS: Caps =
    Caps::patch(&["/Context", "/DeliveryRetryPolicy"]).deletable();

pub(super) fn build(b: &mut TreeBuilder) {
    if !b.shape().no_event_service {
        event_service(b);
    }
    task_service(b);
    update_service(b);
    registries(b);
}

fn event_service(b: &mut TreeBuilder) {
    let mut service = json!({
            "@odata.id": "/redfish/v1/EventService",
            "@odata.type": t::EVENT_SERVICE,
            "Id": "EventService",
            "Name": "Event Service",
            "ServiceEnabled": true,
            "DeliveryRetryAttempts": 3,
            "DeliveryRetryIntervalSeconds": 30,
            "EventFormatTypes": ["Event"],
            "RegistryPrefixes": ["Base", "ResourceEvent", "TaskEvent"],
            "ResourceTypes": ["ComputerSystem", "Manager", "Task"],
            "Subscriptions": link(SUBSCRIPTIONS),
            "Actions": {
                "#EventService.SubmitTestEvent": {
                    "target": "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent",
                    "@Redfish.ActionInfo": "/redfish/v1/EventService/SubmitTestEventActionInfo",
                }
            },
            "Status": ok_status(),
    });
    if b.layout().profile.has_sse() && !b.shape().no_sse {
        service["ServerSentEventUri"] = json!(SSE);
    }
    b.add(
        service,
        Caps::patch(&[
            "/ServiceEnabled",
            "/DeliveryRetryAttempts",
            "/DeliveryRetryIntervalSeconds",
        ]),
    );
    b.add(
        action_info(
            "/redfish/v1/EventService/SubmitTestEventActionInfo",
            "SubmitTestEventActionInfo",
            json!([
                { "Name": "MessageId", "Required": true, "DataType": "String" },
                { "Name": "MessageArgs", "Required": false, "DataType": "StringArray" },
                { "Name": "Message", "Required": false, "DataType": "String" },
                { "Name": "Severity", "Required": false, "DataType": "String" },
                { "Name": "OriginOfCondition", "Required": false, "DataType": "String" },
                { "Name": "EventId", "Required": false, "DataType": "String" },
                { "Name": "EventTimestamp", "Required": false, "DataType": "String" },
            ]),
        ),
        Caps::READ,
    );
    b.collection(
        SUBSCRIPTIONS,
        "EventDestination",
        "Event Subscriptions Collection",
        &[],
        Caps::CREATE,
    );
}

fn task_service(b: &mut TreeBuilder) {
    b.add(
        json!({
            "@odata.id": "/redfish/v1/TaskService",
            "@odata.type": t::TASK_SERVICE,
            "Id": "TaskService",
            "Name": "Task Service",
            "ServiceEnabled": true,
            "CompletedTaskOverWritePolicy": "Oldest",
            "LifeCycleEventOnTaskStateChange": true,
            "Tasks": link(TASKS),
            "Status": ok_status(),
        }),
        Caps::READ,
    );
    b.collection(TASKS, "Task", "Task Collection", &[], Caps::READ);
}

fn update_service(b: &mut TreeBuilder) {
    let l = b.layout().clone();
    let push = if l.absolute_urls {
        format!("{SELF_BASE}{MULTIPART_PUSH}")
    } else {
        MULTIPART_PUSH.to_string()
    };
    b.add(
        json!({
            "@odata.id": "/redfish/v1/UpdateService",
            "@odata.type": t::UPDATE_SERVICE,
            "Id": "UpdateService",
            "Name": "Update Service",
            "ServiceEnabled": true,
            "MultipartHttpPushUri": push,
            "FirmwareInventory": link(FIRMWARE),
            "Actions": {
                "#UpdateService.SimpleUpdate": {
                    "target": "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
                    "TransferProtocol@Redfish.AllowableValues": ["HTTP", "HTTPS"],
                    "@Redfish.ActionInfo": "/redfish/v1/UpdateService/SimpleUpdateActionInfo",
                }
            },
            "Status": ok_status(),
        }),
        Caps::patch(&["/ServiceEnabled"]),
    );
    b.add(
        action_info(
            "/redfish/v1/UpdateService/SimpleUpdateActionInfo",
            "SimpleUpdateActionInfo",
            json!([
                { "Name": "ImageURI", "Required": true, "DataType": "String" },
                {
                    "Name": "TransferProtocol",
                    "Required": false,
                    "DataType": "String",
                    "AllowableValues": ["HTTP", "HTTPS"],
                },
                { "Name": "Targets", "Required": false, "DataType": "StringArray" },
            ]),
        ),
        Caps::READ,
    );
    if b.shape().missing_member {
        // The link above stays and leads nowhere, as on BMCs whose inventory service is absent.
        return;
    }
    let items = [
        (l.ids.bmc_firmware, "BMC Firmware", l.bmc_firmware),
        (l.ids.bios_firmware, "BIOS", l.bios_version),
    ];
    let members: Vec<String> = items
        .iter()
        .map(|(id, _, _)| format!("{FIRMWARE}/{id}"))
        .collect();
    b.collection(
        FIRMWARE,
        "SoftwareInventory",
        "Firmware Inventory Collection",
        &members,
        Caps::READ,
    );
    for ((id, name, version), path) in items.iter().zip(&members) {
        b.add(firmware(path, id, name, version), Caps::READ);
    }
}

/// A SoftwareInventory body.
pub(crate) fn firmware(path: &str, id: &str, name: &str, version: &str) -> Value {
    json!({
        "@odata.id": path,
        "@odata.type": t::SOFTWARE_INVENTORY,
        "Id": id,
        "Name": name,
        "Version": version,
        "Updateable": true,
        "Status": ok_status(),
    })
}

fn registries(b: &mut TreeBuilder) {
    let coll = "/redfish/v1/Registries";
    let regs = [
        ("Base", "Base.1.22", "Base.1.22.1"),
        ("ResourceEvent", "ResourceEvent.1.4", "ResourceEvent.1.4.3"),
        ("TaskEvent", "TaskEvent.1.0", "TaskEvent.1.0.5"),
    ];
    let members: Vec<String> = regs
        .iter()
        .map(|(id, _, _)| format!("{coll}/{id}"))
        .collect();
    b.collection(
        coll,
        "MessageRegistryFile",
        "Registry File Collection",
        &members,
        Caps::READ,
    );
    for ((id, registry, file), path) in regs.iter().zip(&members) {
        b.add(
            json!({
                "@odata.id": path,
                "@odata.type": t::MESSAGE_REGISTRY_FILE,
                "Id": id,
                "Name": format!("{id} Message Registry File"),
                "Description": format!("{id} Message Registry File locations"),
                "Languages": ["en"],
                "Registry": registry,
                "Location": [{
                    "Language": "en",
                    "PublicationUri": format!("https://redfish.dmtf.org/registries/{file}.json"),
                }],
            }),
            Caps::READ,
        );
    }
}
