//! UpdateService and TaskService of the aggregate: the standard parents of the merged
//! FirmwareInventory, SoftwareInventory and Tasks collections. The UpdateService's SimpleUpdate
//! passes updates on to the targets' BMCs ([`super::update`]); a BMC's own UpdateService stays
//! reachable at /redfish/v1/Oem/RedDrum/Bmcs/<bmc>/UpdateService.

use crate::inventory::Inventory;
use serde_json::{Value, json};

pub const ROOT_LINKS: &[(&str, &str)] = &[
    ("AggregationService", super::aggregation::ROOT),
    ("CertificateService", super::certificates::ROOT),
    // ServiceRoot names the TaskService link "Tasks".
    ("Tasks", "/redfish/v1/TaskService"),
    ("UpdateService", "/redfish/v1/UpdateService"),
];

pub fn singleton(_inventory: &Inventory, path: &str) -> Option<Value> {
    match path {
        super::update::SERVICE_URI => Some(json!({
            "@odata.id": super::update::SERVICE_URI,
            "@odata.type": "#UpdateService.v1_11_0.UpdateService",
            "Id": "UpdateService",
            "Name": "Update Service",
            "Description": "The rack's firmware and software inventory, merged from every server. SimpleUpdate and the MultipartHttpPushUri pass an update on to the servers its Targets name.",
            "ServiceEnabled": true,
            "Status": {"State": "Enabled", "Health": "OK"},
            "FirmwareInventory": {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory"},
            "SoftwareInventory": {"@odata.id": "/redfish/v1/UpdateService/SoftwareInventory"},
            "Actions": super::update::actions(),
            // Streamed to the BMCs the UpdateParameters' Targets name ([`super::push`]).
            "MultipartHttpPushUri": super::push::PUSH_URI,
        })),
        "/redfish/v1/TaskService" => Some(json!({
            "@odata.id": "/redfish/v1/TaskService",
            "@odata.type": "#TaskService.v1_2_0.TaskService",
            "Id": "TaskService",
            "Name": "Task Service",
            "Description": "Tasks of every server in the rack, merged.",
            "ServiceEnabled": true,
            "CompletedTaskOverWritePolicy": "Oldest",
            "DateTime": crate::local::now_rfc3339(),
            "LifeCycleEventOnTaskStateChange": false,
            "Status": {"State": "Enabled", "Health": "OK"},
            "Tasks": {"@odata.id": "/redfish/v1/TaskService/Tasks"},
        })),
        _ => None,
    }
}
