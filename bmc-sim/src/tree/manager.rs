//! Manager with NetworkProtocol, EthernetInterfaces, VirtualMedia, ResetActionInfo.

use serde_json::json;

use super::common::{action_info, link, links, ok_status};
use super::types as t;
use super::{MemberIds, TreeBuilder, oem};
use crate::store::Caps;

/// Reset types the manager accepts.
pub(crate) const MANAGER_RESET_TYPES: [&str; 2] = ["GracefulRestart", "ForceRestart"];

pub(super) fn build(b: &mut TreeBuilder) {
    let l = b.layout().clone();
    let mgr = l.mgr();
    let manager_uuid = match &b.shape().ids {
        MemberIds::Uuids([_, _, manager]) => manager.clone(),
        MemberIds::Profile | MemberIds::Encoded => "3e8a4e7c-2a1d-4e3b-9f55-6b7c8d9e0f10".into(),
    };
    let mut body = json!({
        "@odata.id": mgr,
        "@odata.type": t::MANAGER,
        "Id": l.manager,
        "Name": "Manager",
        "Description": "Simulated baseboard management controller",
        "ManagerType": "BMC",
        "Manufacturer": l.vendor,
        "Model": l.bmc_model,
        "FirmwareVersion": l.bmc_firmware,
        "UUID": manager_uuid,
        "ServiceEntryPointUUID": "92384634-2938-2342-8820-489239905423",
        "PowerState": "On",
        "DateTime": super::common::fixed_time(0),
        "DateTimeLocalOffset": "+00:00",
        "Status": ok_status(),
        "GraphicalConsole": {
            "ServiceEnabled": true,
            "MaxConcurrentSessions": 6,
            "ConnectTypesSupported": ["KVMIP"],
        },
        "NetworkProtocol": link(&format!("{mgr}/NetworkProtocol")),
        "EthernetInterfaces": link(&format!("{mgr}/EthernetInterfaces")),
        "LogServices": link(&format!("{mgr}/LogServices")),
        "Links": {
            "ManagerForServers": links(&[l.sys()]),
            "ManagerForChassis": links(&[l.chas()]),
            "ManagerInChassis": link(&l.chas()),
        },
        "Actions": {
            "#Manager.Reset": {
                "target": format!("{mgr}/Actions/Manager.Reset"),
                "ResetType@Redfish.AllowableValues": MANAGER_RESET_TYPES,
                "@Redfish.ActionInfo": format!("{mgr}/ResetActionInfo"),
            }
        },
    });
    if !l.vmedia_under_system {
        body["VirtualMedia"] = link(&format!("{mgr}/VirtualMedia"));
    }
    if let Some(actions) = oem::manager_actions(&l) {
        body["Actions"]["Oem"] = actions;
    }
    if let Some(o) = oem::manager(&l) {
        body["Oem"] = o;
    }
    b.add(body, Caps::patch(&["/DateTime", "/DateTimeLocalOffset"]));
    b.add(
        action_info(
            &format!("{mgr}/ResetActionInfo"),
            "ResetActionInfo",
            json!([{
                "Name": "ResetType",
                "Required": true,
                "DataType": "String",
                "AllowableValues": MANAGER_RESET_TYPES,
            }]),
        ),
        Caps::READ,
    );
    network_protocol(b, &mgr);
    nic(b, &mgr);
    let owner = if l.vmedia_under_system { l.sys() } else { mgr };
    virtual_media(b, &owner);
}

fn network_protocol(b: &mut TreeBuilder, mgr: &str) {
    b.add(
        json!({
            "@odata.id": format!("{mgr}/NetworkProtocol"),
            "@odata.type": t::NETWORK_PROTOCOL,
            "Id": "NetworkProtocol",
            "Name": "Manager Network Protocol",
            "HostName": "sim-bmc",
            "FQDN": "sim-bmc.example.com",
            "HTTP": { "ProtocolEnabled": true, "Port": 80 },
            "HTTPS": { "ProtocolEnabled": true, "Port": 443 },
            "SSH": { "ProtocolEnabled": true, "Port": 22 },
            "IPMI": { "ProtocolEnabled": false, "Port": 623 },
            "SNMP": { "ProtocolEnabled": false, "Port": 161 },
            "NTP": { "ProtocolEnabled": true, "NTPServers": ["pool.ntp.org"] },
            "Status": ok_status(),
        }),
        Caps::patch(&[
            "/HostName",
            "/HTTP/ProtocolEnabled",
            "/SSH/ProtocolEnabled",
            "/IPMI/ProtocolEnabled",
            "/SNMP/ProtocolEnabled",
            "/NTP/ProtocolEnabled",
            "/NTP/NTPServers",
        ]),
    );
}

fn nic(b: &mut TreeBuilder, mgr: &str) {
    let id = b.layout().ids.mgr_nic;
    let coll = format!("{mgr}/EthernetInterfaces");
    let path = format!("{coll}/{id}");
    b.collection(
        &coll,
        "EthernetInterface",
        "Manager Ethernet Interfaces",
        std::slice::from_ref(&path),
        Caps::READ,
    );
    b.add(
        json!({
            "@odata.id": path,
            "@odata.type": t::ETHERNET_INTERFACE,
            "Id": id,
            "Name": "Manager Ethernet Interface",
            "HostName": "sim-bmc",
            "FQDN": "sim-bmc.example.com",
            "MACAddress": "B4:96:91:3C:5A:01",
            "PermanentMACAddress": "B4:96:91:3C:5A:01",
            "SpeedMbps": 1000,
            "FullDuplex": true,
            "AutoNeg": true,
            "InterfaceEnabled": true,
            "LinkStatus": "LinkUp",
            "DHCPv4": { "DHCPEnabled": true, "UseDNSServers": true, "UseGateway": true },
            "IPv4Addresses": [{
                "Address": "198.51.100.20",
                "SubnetMask": "255.255.255.0",
                "AddressOrigin": "DHCP",
                "Gateway": "198.51.100.1",
            }],
            "NameServers": ["198.51.100.53"],
            "Status": ok_status(),
        }),
        Caps::patch(&["/HostName", "/DHCPv4/DHCPEnabled", "/InterfaceEnabled"]),
    );
}

fn virtual_media(b: &mut TreeBuilder, owner: &str) {
    let ids = b.layout().ids.vmedia;
    let coll = format!("{owner}/VirtualMedia");
    let members: Vec<String> = ids.iter().map(|id| format!("{coll}/{id}")).collect();
    b.collection(
        &coll,
        "VirtualMedia",
        "Virtual Media Services",
        &members,
        Caps::READ,
    );
    for (i, (id, path)) in ids.iter().zip(&members).enumerate() {
        let (name, types) = if i == 0 {
            ("Virtual CD", json!(["CD", "DVD"]))
        } else {
            ("Virtual Removable Media", json!(["USBStick"]))
        };
        b.add(
            json!({
                "@odata.id": path,
                "@odata.type": t::VIRTUAL_MEDIA,
                "Id": id,
                "Name": name,
                "MediaTypes": types,
                "Image": null,
                "ImageName": null,
                "Inserted": false,
                "WriteProtected": true,
                "ConnectedVia": "NotConnected",
                "TransferProtocolType": null,
                "Actions": {
                    "#VirtualMedia.InsertMedia": {
                        "target": format!("{path}/Actions/VirtualMedia.InsertMedia"),
                        "@Redfish.ActionInfo": format!("{path}/InsertMediaActionInfo"),
                    },
                    "#VirtualMedia.EjectMedia": {
                        "target": format!("{path}/Actions/VirtualMedia.EjectMedia"),
                    },
                },
            }),
            Caps::patch(&["/Image", "/Inserted", "/WriteProtected"]),
        );
        b.add(
            action_info(
                &format!("{path}/InsertMediaActionInfo"),
                "InsertMediaActionInfo",
                json!([
                    { "Name": "Image", "Required": true, "DataType": "String" },
                    { "Name": "Inserted", "Required": false, "DataType": "Boolean" },
                    { "Name": "WriteProtected", "Required": false, "DataType": "Boolean" },
                    {
                        "Name": "TransferProtocolType",
                        "Required": false,
                        "DataType": "String",
                        "AllowableValues": ["HTTP", "HTTPS", "NFS", "CIFS"],
                    },
                ]),
            ),
            Caps::READ,
        );
    }
}
