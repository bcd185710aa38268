//! localize_body / delocalize_body rules, one row per rule and vendor shape.

use redfish::ids::BmcId;
use redfish::rewrite::{BmcContext, ForeignLink, delocalize_body, localize_body};
use serde_json::{Value, json};

fn ctx() -> BmcContext {
    let s1 = BmcId::parse("s1").expect("valid");
    BmcContext::new(
        &s1,
        &[
            "https://10.0.0.11".to_owned(),
            "https://[fd00::11]:443".to_owned(),
        ],
    )
}

fn localized(mut body: Value) -> Value {
    localize_body(&mut body, &ctx());
    body
}

/// (BMC body, expected aggregate body, vendor shape / rule)
fn rows() -> Vec<(Value, Value, &'static str)> {
    vec![
        (
            json!({"@odata.id": "/redfish/v1/Systems/System.Embedded.1", "Id": "System.Embedded.1", "Name": "System"}),
            json!({"@odata.id": "/redfish/v1/Systems/s1-System.Embedded.1", "Id": "s1-System.Embedded.1", "Name": "System"}),
            "iDRAC member root: Id gets the prefix",
        ),
        (
            json!({"Id": "1", "@odata.id": "/redfish/v1/Systems/1/"}),
            json!({"Id": "s1-1", "@odata.id": "/redfish/v1/Systems/s1-1/"}),
            "iLO member root with trailing slash, Id before @odata.id",
        ),
        (
            json!({"@odata.id": "/redfish/v1/Managers/bmc", "Id": "BMC"}),
            json!({"@odata.id": "/redfish/v1/Managers/s1-bmc", "Id": "BMC"}),
            "Id that is not the member id stays",
        ),
        (
            json!({"@odata.id": "/redfish/v1/Systems/1/Bios", "Id": "Bios"}),
            json!({"@odata.id": "/redfish/v1/Systems/s1-1/Bios", "Id": "Bios"}),
            "sub-resource Id stays",
        ),
        (
            json!({"@odata.id": "/redfish/v1/Systems/1/Bios", "Id": "1"}),
            json!({"@odata.id": "/redfish/v1/Systems/s1-1/Bios", "Id": "1"}),
            "sub-resource whose Id equals the member id stays",
        ),
        (
            json!({"@odata.id": "/redfish/v1/Chassis/Rack%201", "Id": "Rack 1"}),
            json!({"@odata.id": "/redfish/v1/Chassis/s1-Rack%201", "Id": "s1-Rack 1"}),
            "percent-encoded member, decoded Id",
        ),
        (
            json!({"@odata.id": "https://10.0.0.11/redfish/v1/Systems/1", "Id": "1"}),
            json!({"@odata.id": "/redfish/v1/Systems/s1-1", "Id": "s1-1"}),
            "absolute @odata.id made relative, Id prefixed",
        ),
        (
            json!({"@odata.id": "/redfish/v1/Systems/1?$select=Id", "Id": "1"}),
            json!({"@odata.id": "/redfish/v1/Systems/s1-1?$select=Id", "Id": "1"}),
            "not exactly a member root: Id stays",
        ),
        (
            json!({"@odata.id": "/redfish/v1/Systems", "Id": "Systems", "Name": "Computer System Collection"}),
            json!({"@odata.id": "/redfish/v1/Systems", "Id": "Systems", "Name": "Computer System Collection"}),
            "collection keeps its path and Id",
        ),
        (
            json!({"@odata.id": "/redfish/v1/AccountService/Accounts/1", "Id": "1"}),
            json!({"@odata.id": "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/Accounts/1", "Id": "1"}),
            "passthrough resource Id stays",
        ),
        (
            json!({"@odata.id": "/redfish/v1/TaskService/Tasks/JID_1", "Id": 7}),
            json!({"@odata.id": "/redfish/v1/TaskService/Tasks/s1-JID_1", "Id": 7}),
            "non-string Id stays",
        ),
        (
            json!({"Name": "/redfish/v1/Systems/1", "@odata.type": "#ComputerSystem.v1_5_0.ComputerSystem", "Description": "see /redfish/v1/Systems/1", "SerialNumber": "https://10.0.0.11/redfish/v1"}),
            json!({"Name": "/redfish/v1/Systems/1", "@odata.type": "#ComputerSystem.v1_5_0.ComputerSystem", "Description": "see /redfish/v1/Systems/1", "SerialNumber": "https://10.0.0.11/redfish/v1"}),
            "Name, @odata.type and other strings never touched",
        ),
        (
            json!({"@odata.context": "/redfish/v1/$metadata#ComputerSystem.ComputerSystem"}),
            json!({"@odata.context": "/redfish/v1/$metadata#ComputerSystem.ComputerSystem"}),
            "iDRAC relative context stays",
        ),
        (
            json!({"@odata.context": "https://10.0.0.11/redfish/v1/$metadata#Systems/Members/$entity"}),
            json!({"@odata.context": "/redfish/v1/$metadata#Systems/Members/$entity"}),
            "absolute context: origin removed, fragment untouched",
        ),
        (
            json!({"@odata.context": "/redfish/v1/$metadata#Systems/Members/1/Bios"}),
            json!({"@odata.context": "/redfish/v1/$metadata#Systems/Members/1/Bios"}),
            "old-style relative context with ids stays",
        ),
        (
            json!({"@odata.context": "http://redfish.dmtf.org/schemas/v1/$metadata#X"}),
            json!({"@odata.context": "http://redfish.dmtf.org/schemas/v1/$metadata#X"}),
            "external context stays",
        ),
        (
            json!({"Members@odata.nextLink": "/redfish/v1/Systems/system/LogServices/EventLog/Entries?$skip=1000", "Members@odata.count": 2000}),
            json!({"Members@odata.nextLink": "/redfish/v1/Systems/s1-system/LogServices/EventLog/Entries?$skip=1000", "Members@odata.count": 2000}),
            "OpenBMC Members@odata.nextLink",
        ),
        (
            json!({"@odata.nextLink": "https://10.0.0.11/redfish/v1/Managers/iDRAC.Embedded.1/LogServices/Sel/Entries?$skip=50"}),
            json!({"@odata.nextLink": "/redfish/v1/Managers/s1-iDRAC.Embedded.1/LogServices/Sel/Entries?$skip=50"}),
            "bare @odata.nextLink, absolute",
        ),
        (
            json!({"Members@odata.navigationLink": "/redfish/v1/Chassis/1U/Sensors", "Thermal@odata.navigationLink": "/redfish/v1/Chassis/1U/Thermal"}),
            json!({"Members@odata.navigationLink": "/redfish/v1/Chassis/s1-1U/Sensors", "Thermal@odata.navigationLink": "/redfish/v1/Chassis/s1-1U/Thermal"}),
            "DMTF *@odata.navigationLink",
        ),
        (
            json!({"Actions": {"#ComputerSystem.Reset": {"target": "/redfish/v1/Systems/437XR1138R2/Actions/ComputerSystem.Reset", "@Redfish.ActionInfo": "/redfish/v1/Systems/437XR1138R2/ResetActionInfo", "ResetType@Redfish.AllowableValues": ["On", "ForceOff"]}}}),
            json!({"Actions": {"#ComputerSystem.Reset": {"target": "/redfish/v1/Systems/s1-437XR1138R2/Actions/ComputerSystem.Reset", "@Redfish.ActionInfo": "/redfish/v1/Systems/s1-437XR1138R2/ResetActionInfo", "ResetType@Redfish.AllowableValues": ["On", "ForceOff"]}}}),
            "mockup action target and ActionInfo; allowable values untouched",
        ),
        (
            json!({"Actions": {"Oem": {"#DellManager.ResetToDefaults": {"target": "/redfish/v1/Managers/iDRAC.Embedded.1/Actions/Oem/DellManager.ResetToDefaults"}}}}),
            json!({"Actions": {"Oem": {"#DellManager.ResetToDefaults": {"target": "/redfish/v1/Managers/s1-iDRAC.Embedded.1/Actions/Oem/DellManager.ResetToDefaults"}}}}),
            "iDRAC Oem Dell action",
        ),
        (
            json!({"@Redfish.Settings": {"@odata.type": "#Settings.v1_1_0.Settings", "SettingsObject": {"@odata.id": "/redfish/v1/Systems/System.Embedded.1/Bios/Settings"}, "SupportedApplyTimes": ["OnReset"]}}),
            json!({"@Redfish.Settings": {"@odata.type": "#Settings.v1_1_0.Settings", "SettingsObject": {"@odata.id": "/redfish/v1/Systems/s1-System.Embedded.1/Bios/Settings"}, "SupportedApplyTimes": ["OnReset"]}}),
            "iDRAC @Redfish.Settings SettingsObject",
        ),
        (
            json!({"TaskMonitor": "/redfish/v1/TaskService/TaskMonitors/JID_1", "TaskState": "Running"}),
            json!({"TaskMonitor": "/redfish/v1/TaskService/TaskMonitors/s1-JID_1", "TaskState": "Running"}),
            "Task TaskMonitor",
        ),
        (
            json!({"Image": "http://files.example/boot.iso", "ImageName": "boot.iso", "TransferProtocolType": "HTTP"}),
            json!({"Image": "http://files.example/boot.iso", "ImageName": "boot.iso", "TransferProtocolType": "HTTP"}),
            "VirtualMedia external Image stays",
        ),
        (
            json!({"Image": "nfs://10.0.0.9/exports/boot.iso"}),
            json!({"Image": "nfs://10.0.0.9/exports/boot.iso"}),
            "NFS image path stays",
        ),
        (
            json!({"ImageURI": "https://files.example/fw.bin", "TargetUri": "/redfish/v1/Systems/1/Bios", "AdditionalDataURI": "/redfish/v1/Systems/system/LogServices/Dump/Entries/1/attachment", "uri": "/redfish/v1/Managers/1"}),
            json!({"ImageURI": "https://files.example/fw.bin", "TargetUri": "/redfish/v1/Systems/s1-1/Bios", "AdditionalDataURI": "/redfish/v1/Systems/s1-system/LogServices/Dump/Entries/1/attachment", "uri": "/redfish/v1/Managers/s1-1"}),
            "*URI / *Uri / *uri properties",
        ),
        (
            json!({"RelatedURI": ["/redfish/v1/Chassis/1", 5, null, "https://www.dmtf.org/x", {"@odata.id": "/redfish/v1/Chassis/2"}]}),
            json!({"RelatedURI": ["/redfish/v1/Chassis/s1-1", 5, null, "https://www.dmtf.org/x", {"@odata.id": "/redfish/v1/Chassis/s1-2"}]}),
            "*URI array of strings (mixed junk)",
        ),
        (
            json!({"MetricProperties": ["/redfish/v1/Chassis/1U/Power#/PowerControl/0/PowerConsumedWatts", "/redfish/v1/Chassis/{ChassisID}/Thermal#/Fans/0/Reading"], "MetricProperty": "/redfish/v1/Chassis/1U/Sensors/AmbientTemp"}),
            json!({"MetricProperties": ["/redfish/v1/Chassis/s1-1U/Power#/PowerControl/0/PowerConsumedWatts", "/redfish/v1/Chassis/s1-{ChassisID}/Thermal#/Fans/0/Reading"], "MetricProperty": "/redfish/v1/Chassis/s1-1U/Sensors/AmbientTemp"}),
            "DMTF MetricProperties and MetricProperty with fragments",
        ),
        (
            json!({"Payload": {"HttpHeaders": ["Location: /redfish/v1/AccountService/Accounts/3", "Content-Type: application/json", "location:https://10.0.0.11/redfish/v1/Systems/1", "Link: </redfish/v1/JsonSchemas/Task.json>; rel=describedby", "junk", 5], "HttpOperation": "POST", "TargetUri": "/redfish/v1/AccountService/Accounts", "JsonBody": "{\"@odata.id\": \"/redfish/v1/Systems/1\"}"}}),
            json!({"Payload": {"HttpHeaders": ["Location: /redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/Accounts/3", "Content-Type: application/json", "location:/redfish/v1/Systems/s1-1", "Link: </redfish/v1/Oem/RedDrum/Bmcs/s1/JsonSchemas/Task.json>; rel=describedby", "junk", 5], "HttpOperation": "POST", "TargetUri": "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/Accounts", "JsonBody": "{\"@odata.id\": \"/redfish/v1/Systems/1\"}"}}),
            "Task Payload: HttpHeaders values, TargetUri; JsonBody is opaque",
        ),
        (
            json!({"Messages": [{"MessageId": "Base.1.8.PropertyValueModified", "Message": "The property /redfish/v1/Systems/1/Bios was changed; see /redfish/v1/Systems/10 and /redfish/v1/Systems/1.", "MessageArgs": ["/redfish/v1/Systems/1/Bios", "/redfish/v1/Systems/1", "On", 5]}]}),
            json!({"Messages": [{"MessageId": "Base.1.8.PropertyValueModified", "Message": "The property /redfish/v1/Systems/s1-1/Bios was changed; see /redfish/v1/Systems/10 and /redfish/v1/Systems/s1-1.", "MessageArgs": ["/redfish/v1/Systems/s1-1/Bios", "/redfish/v1/Systems/s1-1", "On", 5]}]}),
            "Task Messages: URI MessageArgs and their literals in Message (not /Systems/10)",
        ),
        (
            json!({"error": {"code": "Base.1.8.GeneralError", "@Message.ExtendedInfo": [{"MessageId": "Base.1.8.ResourceNotFound", "Message": "The requested resource of type Session named 'https://10.0.0.11/redfish/v1/SessionService/Sessions/9' was not found.", "MessageArgs": ["Session", "https://10.0.0.11/redfish/v1/SessionService/Sessions/9"]}]}}),
            json!({"error": {"code": "Base.1.8.GeneralError", "@Message.ExtendedInfo": [{"MessageId": "Base.1.8.ResourceNotFound", "Message": "The requested resource of type Session named '/redfish/v1/Oem/RedDrum/Bmcs/s1/SessionService/Sessions/9' was not found.", "MessageArgs": ["Session", "/redfish/v1/Oem/RedDrum/Bmcs/s1/SessionService/Sessions/9"]}]}}),
            "error body: absolute MessageArg in Message",
        ),
        (
            json!({"Message": "/redfish/v1/Systems/1", "MessageArgs": ["Systems", "1"]}),
            json!({"Message": "/redfish/v1/Systems/1", "MessageArgs": ["Systems", "1"]}),
            "Message untouched when no arg is a URI",
        ),
        (
            json!({"Message": 5, "MessageArgs": "/redfish/v1/Systems/1"}),
            json!({"Message": 5, "MessageArgs": "/redfish/v1/Systems/1"}),
            "malformed MessageArgs (not an array) and Message",
        ),
        (
            json!({"Links": {"ManagedBy": [{"@odata.id": "/redfish/v1/Managers/1/"}], "Chassis": [{"@odata.id": "/redfish/v1/Chassis/1/"}], "Chassis@odata.count": 1, "Oem": {"Hpe": {"@odata.type": "#HpeComputerSystemExt.v2_0_0.Links", "PCIDevices": {"@odata.id": "/redfish/v1/Systems/1/PCIDevices/"}, "EthernetInterfaces": {"@odata.id": "/redfish/v1/Systems/1/EthernetInterfaces/"}}}}}),
            json!({"Links": {"ManagedBy": [{"@odata.id": "/redfish/v1/Managers/s1-1/"}], "Chassis": [{"@odata.id": "/redfish/v1/Chassis/s1-1/"}], "Chassis@odata.count": 1, "Oem": {"Hpe": {"@odata.type": "#HpeComputerSystemExt.v2_0_0.Links", "PCIDevices": {"@odata.id": "/redfish/v1/Systems/s1-1/PCIDevices/"}, "EthernetInterfaces": {"@odata.id": "/redfish/v1/Systems/s1-1/EthernetInterfaces/"}}}}}),
            "iLO Links arrays and Oem Hpe links",
        ),
        (
            json!({"Oem": {"Supermicro": {"@odata.type": "#SmcSystemExtensions.v1_0_0.System", "FixedBootOrder": {"@odata.id": "/redfish/v1/Systems/1/Oem/Supermicro/FixedBootOrder"}, "NodeManager": {"@odata.id": "/redfish/v1/Managers/1/Oem/Supermicro/NodeManager"}}}}),
            json!({"Oem": {"Supermicro": {"@odata.type": "#SmcSystemExtensions.v1_0_0.System", "FixedBootOrder": {"@odata.id": "/redfish/v1/Systems/s1-1/Oem/Supermicro/FixedBootOrder"}, "NodeManager": {"@odata.id": "/redfish/v1/Managers/s1-1/Oem/Supermicro/NodeManager"}}}}),
            "Supermicro Oem links",
        ),
        (
            json!({"@odata.id": "/redfish/v1/Systems", "Members": [{"@odata.id": "/redfish/v1/Systems/1", "Id": "1", "Bios": {"@odata.id": "/redfish/v1/Systems/1/Bios"}, "Links": {"Chassis": [{"@odata.id": "/redfish/v1/Chassis/1"}]}}, {"@odata.id": "/redfish/v1/Systems/2", "Id": "2"}], "Members@odata.count": 2}),
            json!({"@odata.id": "/redfish/v1/Systems", "Members": [{"@odata.id": "/redfish/v1/Systems/s1-1", "Id": "s1-1", "Bios": {"@odata.id": "/redfish/v1/Systems/s1-1/Bios"}, "Links": {"Chassis": [{"@odata.id": "/redfish/v1/Chassis/s1-1"}]}}, {"@odata.id": "/redfish/v1/Systems/s1-2", "Id": "s1-2"}], "Members@odata.count": 2}),
            "$expand: nested members get their Id prefixed too",
        ),
        (
            json!({"@odata.id": "/redfish/v1/", "Id": "RootService", "Systems": {"@odata.id": "/redfish/v1/Systems/"}, "AccountService": {"@odata.id": "/redfish/v1/AccountService/"}, "Links": {"Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions/"}}}),
            json!({"@odata.id": "/redfish/v1/Oem/RedDrum/Bmcs/s1/", "Id": "RootService", "Systems": {"@odata.id": "/redfish/v1/Systems/"}, "AccountService": {"@odata.id": "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/"}, "Links": {"Sessions": {"@odata.id": "/redfish/v1/Oem/RedDrum/Bmcs/s1/SessionService/Sessions/"}}}),
            "BMC service root: singletons go to the passthrough namespace",
        ),
        (
            json!({"@odata.id": 5, "target": 1, "TaskMonitor": null, "Image": true, "ImageURI": {"x": 1}, "@odata.context": 3, "HttpHeaders": "Location: /redfish/v1/Systems/1", "Id": null}),
            json!({"@odata.id": 5, "target": 1, "TaskMonitor": null, "Image": true, "ImageURI": {"x": 1}, "@odata.context": 3, "HttpHeaders": "Location: /redfish/v1/Systems/1", "Id": null}),
            "numbers, null, booleans and objects where strings are expected",
        ),
        (
            json!({"@odata.id": "", "target": "//", "TaskMonitor": "/redfish/v1/Systems/", "Image": "/", "uri": "/redfish/v1/Systems//"}),
            json!({"@odata.id": "", "target": "//", "TaskMonitor": "/redfish/v1/Systems/", "Image": "/", "uri": "/redfish/v1/Oem/RedDrum/Bmcs/s1/Systems//"}),
            "empty strings, '//', empty member id",
        ),
        (
            json!(["/redfish/v1/Systems/1", {"@odata.id": "/redfish/v1/Systems/1"}, [{"target": "/redfish/v1/Managers/1"}]]),
            json!(["/redfish/v1/Systems/1", {"@odata.id": "/redfish/v1/Systems/s1-1"}, [{"target": "/redfish/v1/Managers/s1-1"}]]),
            "top-level array: bare strings are not properties",
        ),
        (
            json!("/redfish/v1/Systems/1"),
            json!("/redfish/v1/Systems/1"),
            "scalar body",
        ),
        (json!(null), json!(null), "null body"),
        (json!({}), json!({}), "empty object"),
        (
            json!({"@odata.id": "https://[fd00::11]:443/redfish/v1/Chassis/chassis", "Id": "chassis", "PoweredBy": [{"@odata.id": "https://10.0.0.50/redfish/v1/PowerEquipment/RackPDUs/1/Outlets/A1"}]}),
            json!({"@odata.id": "/redfish/v1/Chassis/s1-chassis", "Id": "s1-chassis", "PoweredBy": [{"@odata.id": "https://10.0.0.50/redfish/v1/PowerEquipment/RackPDUs/1/Outlets/A1"}]}),
            "IPv6 origin rewritten; a PDU's URL left alone",
        ),
    ]
}

#[test]
fn localize_body_table() {
    let mut failures = Vec::new();
    for (input, expected, shape) in rows() {
        let got = localized(input);
        if got != expected {
            failures.push(format!("{shape}:\n  got      {got}\n  expected {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn localize_keeps_property_order() {
    let got = localized(json!({"Id": "1", "Name": "x", "@odata.id": "/redfish/v1/Systems/1"}));
    let keys: Vec<&str> = got
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["Id", "Name", "@odata.id"]);
}

#[test]
fn delocalize_reverses_relative_rows() {
    let ctx = ctx();
    for (input, expected, shape) in rows() {
        if input.to_string().contains("https://10.0.0.11") || input.to_string().contains("fd00::11")
        {
            continue; // absolute BMC URLs come back relative, not absolute
        }
        let mut body = expected;
        delocalize_body(&mut body, &ctx).unwrap_or_else(|e| panic!("{shape}: {e}"));
        assert_eq!(body, input, "{shape}");
    }
}

fn delocalized(mut body: Value) -> Result<Value, ForeignLink> {
    delocalize_body(&mut body, &ctx()).map(|()| body)
}

#[test]
fn delocalize_request_bodies() {
    // (request body, expected body sent to the BMC, shape)
    let rows: Vec<(Value, Value, &str)> = vec![
        (
            json!({"Links": {"Chassis": [{"@odata.id": "/redfish/v1/Chassis/s1-1"}]}}),
            json!({"Links": {"Chassis": [{"@odata.id": "/redfish/v1/Chassis/1"}]}}),
            "PATCH Links to the same BMC",
        ),
        (
            json!({"@odata.id": "/redfish/v1/Systems/s1-1", "Id": "s1-1", "AssetTag": "rack-a"}),
            json!({"@odata.id": "/redfish/v1/Systems/1", "Id": "1", "AssetTag": "rack-a"}),
            "PUT with the aggregated Id",
        ),
        (
            json!({"Image": "http://files.example/boot.iso", "Inserted": true}),
            json!({"Image": "http://files.example/boot.iso", "Inserted": true}),
            "VirtualMedia.InsertMedia external image",
        ),
        (
            json!({"ImageURI": "https://files.example/fw.bin", "Targets": ["/redfish/v1/UpdateService/FirmwareInventory/s1-bmc_active"]}),
            json!({"ImageURI": "https://files.example/fw.bin", "Targets": ["/redfish/v1/UpdateService/FirmwareInventory/bmc_active"]}),
            "UpdateService.SimpleUpdate: Targets are links, ImageURI external",
        ),
        (
            json!({"Boot": {"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Once"}}),
            json!({"Boot": {"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Once"}}),
            "PATCH boot override: nothing to map",
        ),
        (
            json!({"@odata.context": "/redfish/v1/$metadata#ComputerSystem.ComputerSystem", "@odata.id": "/redfish/v1/Systems"}),
            json!({"@odata.context": "/redfish/v1/$metadata#ComputerSystem.ComputerSystem", "@odata.id": "/redfish/v1/Systems"}),
            "context and collection roots pass",
        ),
        (
            json!({"MessageArgs": ["/redfish/v1/Systems/s2-1", "/redfish/v1/Systems/s1-1"], "Message": "x /redfish/v1/Systems/s1-1"}),
            json!({"MessageArgs": ["/redfish/v1/Systems/s2-1", "/redfish/v1/Systems/1"], "Message": "x /redfish/v1/Systems/1"}),
            "MessageArgs are text: mapped when possible, never an error",
        ),
        (
            json!({"Payload": {"HttpHeaders": ["Location: /redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/Accounts/3", "Location: /redfish/v1/Chassis/Rack1"]}}),
            json!({"Payload": {"HttpHeaders": ["Location: /redfish/v1/AccountService/Accounts/3", "Location: /redfish/v1/Chassis/Rack1"]}}),
            "HttpHeaders are text too",
        ),
    ];
    for (input, expected, shape) in rows {
        assert_eq!(delocalized(input), Ok(expected), "{shape}");
    }
}

#[test]
fn delocalize_foreign_links_name_their_property() {
    // (request body, JSON pointer, uri, shape)
    let rows: Vec<(Value, &str, &str, &str)> = vec![
        (
            json!({"Links": {"Chassis": [{"@odata.id": "/redfish/v1/Chassis/s1-1"}, {"@odata.id": "/redfish/v1/Chassis/s2-1"}]}}),
            "/Links/Chassis/1/@odata.id",
            "/redfish/v1/Chassis/s2-1",
            "another BMC's chassis",
        ),
        (
            json!({"Links": {"ContainedBy": {"@odata.id": "/redfish/v1/Chassis/Rack1"}}}),
            "/Links/ContainedBy/@odata.id",
            "/redfish/v1/Chassis/Rack1",
            "the aggregate's own Rack chassis",
        ),
        (
            json!({"MetricProperties": ["/redfish/v1/Chassis/s1-1/Power", "/redfish/v1/Chassis/s3-1/Power"]}),
            "/MetricProperties/1",
            "/redfish/v1/Chassis/s3-1/Power",
            "array-valued link property",
        ),
        (
            json!({"a/b~c": {"target": "/redfish/v1/Managers/aggregator/Actions/Manager.Reset"}}),
            "/a~1b~0c/target",
            "/redfish/v1/Managers/aggregator/Actions/Manager.Reset",
            "JSON pointer escaping",
        ),
        (
            json!({"Destination": "https://listener.example/events", "Context": "x", "DeliveryRetryPolicyURI": "/redfish/v1/EventService"}),
            "/DeliveryRetryPolicyURI",
            "/redfish/v1/EventService",
            "an aggregate singleton",
        ),
        (
            json!([{"@odata.id": "/redfish/v1/Oem/RedDrum/Bmcs/s2/AccountService/Accounts/1"}]),
            "/0/@odata.id",
            "/redfish/v1/Oem/RedDrum/Bmcs/s2/AccountService/Accounts/1",
            "another BMC's passthrough, in a top-level array",
        ),
        (
            json!({"ImageURI": "https://files.example/fw.bin", "Targets": ["/redfish/v1/Managers/s2-bmc"]}),
            "/Targets/0",
            "/redfish/v1/Managers/s2-bmc",
            "SimpleUpdate aimed at another BMC's manager",
        ),
        (
            json!({"@odata.id": "/redfish/v1"}),
            "/@odata.id",
            "/redfish/v1",
            "the aggregate's service root",
        ),
    ];
    for (input, property_path, uri, shape) in rows {
        let err = delocalized(input).expect_err(shape);
        assert_eq!(
            err,
            ForeignLink {
                property_path: property_path.into(),
                uri: uri.into()
            },
            "{shape}"
        );
    }
}

#[test]
fn very_deep_nesting_is_walked_without_recursion() {
    const DEPTH: usize = 100_000;
    let mut body = json!({"@odata.id": "/redfish/v1/Systems/1", "Id": "1"});
    for i in 0..DEPTH {
        // Not json!(): it would serialize `body` again, recursively.
        body = if i % 2 == 0 {
            Value::Array(vec![body])
        } else {
            Value::Object(std::iter::once(("Oem".to_owned(), body)).collect())
        };
    }
    // A small stack: the walk must not recurse. The value is taken apart iteratively too, since
    // dropping it whole would recurse.
    let (depth, leaf) = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            localize_body(&mut body, &ctx());
            delocalize_body(&mut body, &ctx()).expect("no foreign link");
            let mut depth = 0;
            loop {
                body = match body {
                    Value::Array(mut items) => items.pop().expect("one item"),
                    Value::Object(mut map) if map.contains_key("Oem") => {
                        map.remove("Oem").expect("Oem")
                    }
                    leaf => break (depth, leaf),
                };
                depth += 1;
            }
        })
        .expect("spawn")
        .join()
        .expect("walk must not overflow");
    assert_eq!(depth, DEPTH);
    assert_eq!(
        leaf,
        json!({"@odata.id": "/redfish/v1/Systems/1", "Id": "1"})
    );
}
