//! What the aggregator adds to a BMC's chassis reply: `Links.ContainedBy` the rack (when the BMC
//! did not say what contains it) and, when the BMC has a PDU socket and a reseat command is
//! configured, the `#RedDrum.PduReseat` OEM action. Pure: JSON in, JSON out.

use crate::rack::pdu;
use serde_json::{Value, json};

/// Decorates the GET body of the top-level chassis `chassis_uri` (aggregate URI).
pub fn chassis(body: &mut Value, chassis_uri: &str, rack_uri: Option<&str>, reseat: bool) {
    let Some(obj) = body.as_object_mut() else {
        return;
    };
    if let Some(rack) = rack_uri {
        let links = obj.entry("Links").or_insert_with(|| json!({}));
        if let Some(links) = links.as_object_mut()
            && !links.contains_key("ContainedBy")
        {
            links.insert("ContainedBy".into(), json!({"@odata.id": rack}));
        }
    }
    if reseat {
        let actions = obj.entry("Actions").or_insert_with(|| json!({}));
        if let Some(actions) = actions.as_object_mut() {
            let oem = actions.entry("Oem").or_insert_with(|| json!({}));
            if let Some(oem) = oem.as_object_mut() {
                oem.insert(
                    pdu::ACTION.into(),
                    json!({
                        "target": format!("{}{}", chassis_uri.trim_end_matches('/'), pdu::ACTION_PATH),
                        "title": "Power-cycle this server's PDU socket (reseat)",
                    }),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_contained_by_only_when_absent_and_the_reseat_action() {
        let mut body =
            json!({"Id": "s1-1", "Links": {"ManagedBy": []}, "Actions": {"#Chassis.Reset": {}}});
        chassis(
            &mut body,
            "/redfish/v1/Chassis/s1-1",
            Some("/redfish/v1/Chassis/Rack1"),
            true,
        );
        assert_eq!(
            body["Links"]["ContainedBy"]["@odata.id"],
            "/redfish/v1/Chassis/Rack1"
        );
        assert_eq!(
            body["Actions"]["Oem"]["#RedDrum.PduReseat"]["target"],
            "/redfish/v1/Chassis/s1-1/Actions/Oem/RedDrum.PduReseat"
        );
        assert!(body["Actions"]["#Chassis.Reset"].is_object());

        let mut own =
            json!({"Links": {"ContainedBy": {"@odata.id": "/redfish/v1/Chassis/s1-Encl"}}});
        chassis(
            &mut own,
            "/redfish/v1/Chassis/s1-1/",
            Some("/redfish/v1/Chassis/Rack1"),
            false,
        );
        assert_eq!(
            own["Links"]["ContainedBy"]["@odata.id"],
            "/redfish/v1/Chassis/s1-Encl"
        );
        assert!(own.get("Actions").is_none());

        let mut bare = json!({});
        chassis(&mut bare, "/redfish/v1/Chassis/s1-1", None, false);
        assert_eq!(bare, json!({}));
    }
}
