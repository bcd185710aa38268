//! The local chassis: the rack enclosure (PATCHable AssetTag and Location, Reset fan-out), the
//! management switch and the host chassis. Links are computed from the inventory cache, so a BMC
//! that is down never breaks them (its last known members stay listed).

use super::parts;
use super::patch::{Kind, merge, object_body, validate};
use super::reply;
use super::{Ctx, link, links, locator};
use crate::downstream::MemberKind;
use crate::error::AggError;
use crate::exchange::Reply;
use crate::rack::{chassis_uri, manager_uri, props, reset};
use http::Method;
use redfish::events::EventMessage;
use serde_json::{Value, json};

pub const CHASSIS_TYPE: &str = "#Chassis.v1_25_0.Chassis";
const ACTION_INFO_TYPE: &str = "#ActionInfo.v1_4_0.ActionInfo";
const RACK_ALLOW: &str = "GET, HEAD, PATCH";
const READ_ALLOW: &str = "GET, HEAD";
const POST_ALLOW: &str = "POST";

const POSTAL_ADDRESS: &[(&str, Kind)] = &[
    ("Country", Kind::Str),
    ("Territory", Kind::Str),
    ("District", Kind::Str),
    ("City", Kind::Str),
    ("Division", Kind::Str),
    ("Neighborhood", Kind::Str),
    ("LeadingStreetDirection", Kind::Str),
    ("Street", Kind::Str),
    ("TrailingStreetSuffix", Kind::Str),
    ("StreetSuffix", Kind::Str),
    ("HouseNumber", Kind::Count),
    ("HouseNumberSuffix", Kind::Str),
    ("Landmark", Kind::Str),
    ("Location", Kind::Str),
    ("Floor", Kind::Str),
    ("Name", Kind::Str),
    ("PostalCode", Kind::Str),
    ("Building", Kind::Str),
    ("Unit", Kind::Str),
    ("Room", Kind::Str),
    ("Seat", Kind::Str),
    ("PlaceType", Kind::Str),
    ("Community", Kind::Str),
    ("POBox", Kind::Str),
    ("AdditionalCode", Kind::Str),
    ("Road", Kind::Str),
    ("RoadSection", Kind::Str),
    ("RoadBranch", Kind::Str),
    ("RoadSubBranch", Kind::Str),
    ("RoadPreModifier", Kind::Str),
    ("RoadPostModifier", Kind::Str),
    ("GPSCoords", Kind::Str),
    ("AdditionalInfo", Kind::Str),
];
const PLACEMENT: &[(&str, Kind)] = &[
    ("Row", Kind::Str),
    ("Rack", Kind::Str),
    ("RackOffset", Kind::Count),
    ("RackOffsetUnits", Kind::Enum(&["OpenU", "EIA_310"])),
    ("AdditionalInfo", Kind::Str),
];
const LOCATION: &[(&str, Kind)] = &[
    ("PostalAddress", Kind::Object(POSTAL_ADDRESS)),
    ("Placement", Kind::Object(PLACEMENT)),
];
/// What a client may change on the rack.
pub const RACK_WRITABLE: &[(&str, Kind)] = &[
    ("AssetTag", Kind::Str),
    ("Location", Kind::Object(LOCATION)),
];

fn managed_by(ctx: &Ctx<'_>) -> Vec<String> {
    if ctx.s.manager.enabled {
        vec![manager_uri(&ctx.s.manager.id)]
    } else {
        Vec::new()
    }
}

/// The rack enclosure as served.
pub fn rack_body(ctx: &Ctx<'_>) -> Value {
    let r = &ctx.s.rack;
    let uri = chassis_uri(&r.id);
    let mut contains = ctx.linked("Chassis", MemberKind::TopChassis);
    if ctx.s.switch.enabled {
        contains.push(chassis_uri(&ctx.s.switch.id));
    }
    if ctx.s.host_enabled() {
        contains.push(chassis_uri(&ctx.s.host.id));
    }
    let mut managers = managed_by(ctx);
    managers.extend(ctx.linked("Managers", MemberKind::AggregatorManager));
    let props = &ctx.state.rack.props;
    let asset_tag = props
        .get(props::RACK, "AssetTag")
        .unwrap_or_else(|| r.asset_tag.clone().into());
    let location = props
        .get(props::RACK, "Location")
        .unwrap_or_else(|| json!({}));
    let rollup = ctx.bmc_rollup();
    without_empty_inventory(json!({
        "@odata.id": uri,
        "@odata.type": CHASSIS_TYPE,
        "Id": r.id,
        "Name": r.name,
        "Description": r.description_shown(),
        "ChassisType": r.chassis_type,
        "Manufacturer": r.manufacturer,
        "Model": r.model,
        "SerialNumber": r.serial_number,
        "PartNumber": r.part_number,
        "AssetTag": asset_tag,
        "Location": location,
        "PowerState": "On",
        "Status": {"State": "Enabled", "Health": "OK", "HealthRollup": rollup},
        "Power": link(&format!("{uri}/Power")),
        "Thermal": link(&format!("{uri}/Thermal")),
        "Links": {
            "Contains": links(&contains),
            "Contains@odata.count": contains.len(),
            "ComputerSystems": links(&ctx.aggregated("Systems")),
            "ManagedBy": links(&managed_by(ctx)),
            "ManagersInChassis": links(&managers),
        },
        "Actions": {
            "#Chassis.Reset": {
                "target": format!("{uri}/Actions/Chassis.Reset"),
                "@Redfish.ActionInfo": format!("{uri}/ResetActionInfo"),
            }
        },
    }))
}

/// The management switch or host chassis: contained by the rack. They contain nothing the
/// aggregate serves (the lists are present and empty). Sensors and the switch's reset are in
/// [`parts`].
fn part_body(ctx: &Ctx<'_>, switch: bool) -> Value {
    let s = &ctx.s;
    let (id, name, chassis_type, description) = if switch {
        let c = &s.switch;
        (
            &c.id,
            &c.name,
            c.chassis_type.as_str(),
            "The rack's management switch",
        )
    } else {
        (
            &s.host.id,
            &s.host.name,
            "RackMount",
            "The server the rack manager runs on",
        )
    };
    let (manufacturer, model, serial, part, asset_tag) = if switch {
        let c = &s.switch;
        (
            &c.manufacturer,
            &c.model,
            &c.serial_number,
            &c.part_number,
            &c.asset_tag,
        )
    } else {
        let c = &s.host;
        (
            &c.manufacturer,
            &c.model,
            &c.serial_number,
            &c.part_number,
            &c.asset_tag,
        )
    };
    // The manager sits in the switch, or in the host chassis when it runs outside the switch.
    let holds_manager = s.manager.enabled && switch == s.inside_switch;
    let in_chassis = if holds_manager {
        managed_by(ctx)
    } else {
        Vec::new()
    };
    let mut body = json!({
        "@odata.id": chassis_uri(id),
        "@odata.type": CHASSIS_TYPE,
        "Id": id,
        "Name": name,
        "Description": description,
        "ChassisType": chassis_type,
        "Manufacturer": manufacturer,
        "Model": model,
        "SerialNumber": serial,
        "PartNumber": part,
        "AssetTag": asset_tag,
        "PowerState": "On",
        "Status": {"State": "Enabled", "Health": "OK"},
        "Links": {
            "Contains": [],
            "ComputerSystems": [],
            "ManagedBy": links(&managed_by(ctx)),
            "ManagersInChassis": links(&in_chassis),
        },
    });
    // The machine the aggregator runs on knows its own make where the operator said nothing.
    if parts::has_sensors(ctx, switch) {
        let dmi = crate::rack::dmi::read(&s.switch.dmi_dir);
        for (property, value) in [
            ("Manufacturer", dmi.manufacturer),
            ("Model", dmi.model),
            ("SerialNumber", dmi.serial_number),
            ("PartNumber", dmi.part_number),
        ] {
            if let Some(v) = value
                && body[property] == ""
            {
                body[property] = v.into();
            }
        }
    }
    body = without_empty_inventory(body);
    if s.rack.enabled {
        body["Links"]["ContainedBy"] = link(&chassis_uri(&s.rack.id));
    }
    // The OCP profiles want Thermal and Power (or the Subsystems, which would bring
    // EnvironmentMetrics, Sensors and Controls with them) on every chassis; without sensors
    // they list nothing.
    let uri = chassis_uri(id);
    for sub in ["Thermal", "Power"] {
        body[sub] = link(&format!("{uri}/{sub}"));
    }
    if locator::offered(ctx, switch) {
        locator::show(ctx, &mut body);
    }
    if parts::switch_resets(ctx, switch) {
        body["Actions"] = json!({
            "#Chassis.Reset": {
                "target": format!("{uri}/Actions/Chassis.Reset"),
                "@Redfish.ActionInfo": format!("{uri}/ResetActionInfo"),
            }
        });
    }
    body
}

/// Inventory strings the operator did not configure are left out rather than served empty
/// (clients and validators read "" as a value; the schema says omit what is not known).
fn without_empty_inventory(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        map.retain(|key, value| {
            !(matches!(
                key.as_str(),
                "Manufacturer" | "Model" | "SerialNumber" | "PartNumber"
            ) && value.as_str() == Some(""))
        });
    }
    body
}

/// `/redfish/v1/Chassis/<id>[/...]` of a local chassis.
pub async fn serve(ctx: &Ctx<'_>, id: &str, rest: &[&str]) -> Result<Reply, AggError> {
    let s = &ctx.s;
    if s.rack.enabled && id == s.rack.id {
        return serve_rack(ctx, rest).await;
    }
    let switch = s.switch.enabled && id == s.switch.id;
    let host = s.host_enabled() && id == s.host.id;
    if !(switch || host) {
        return Err(ctx.not_found());
    }
    if rest.is_empty() {
        if locator::offered(ctx, switch) {
            if ctx.ex.method == Method::PATCH {
                return locator::patch(ctx, || part_body(ctx, switch)).await;
            }
            reply::only(ctx.ex, &[Method::GET, Method::HEAD], locator::ALLOW)?;
            return reply::json(ctx.ex, &part_body(ctx, switch), locator::ALLOW);
        }
        reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ_ALLOW)?;
        return reply::json(ctx.ex, &part_body(ctx, switch), READ_ALLOW);
    }
    let name = if switch { &s.switch.name } else { &s.host.name };
    parts::serve(ctx, switch, id, name, rest).await
}

async fn serve_rack(ctx: &Ctx<'_>, rest: &[&str]) -> Result<Reply, AggError> {
    match rest {
        [] => match ctx.ex.method {
            Method::PATCH => patch_rack(ctx).await,
            _ => {
                reply::only(ctx.ex, &[Method::GET, Method::HEAD], RACK_ALLOW)?;
                reply::json(ctx.ex, &rack_body(ctx), RACK_ALLOW)
            }
        },
        ["Power"] => super::power::serve_power(ctx).await,
        ["Thermal"] => super::power::serve_thermal(ctx),
        ["ResetActionInfo"] => {
            reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ_ALLOW)?;
            let uri = chassis_uri(&ctx.s.rack.id);
            reply::json(
                ctx.ex,
                &reset_action_info(&format!("{uri}/ResetActionInfo"), reset::RACK_RESET_TYPES),
                READ_ALLOW,
            )
        }
        ["Actions", "Chassis.Reset"] => {
            reply::only(ctx.ex, &[Method::POST], POST_ALLOW)?;
            let reset_type =
                reply::reset_type(&ctx.ex.body, reset::RACK_RESET_TYPES, "Chassis.Reset")?;
            let id = reset::start(
                ctx.state.inventory.clone(),
                ctx.state.rack.clone(),
                &ctx.state.tracker,
                &reset_type,
                &ctx.ex.user,
            )
            .await?;
            super::tasks::accepted(ctx.state, &id)
        }
        _ => Err(ctx.not_found()),
    }
}

/// An ActionInfo listing the accepted ResetTypes.
pub fn reset_action_info(uri: &str, allowed: &[&str]) -> Value {
    json!({
        "@odata.id": uri,
        "@odata.type": ACTION_INFO_TYPE,
        "Id": "ResetActionInfo",
        "Name": "Reset Action Info",
        "Parameters": [{
            "Name": "ResetType",
            "Required": true,
            "DataType": "String",
            "AllowableValues": allowed,
        }],
    })
}

async fn patch_rack(ctx: &Ctx<'_>) -> Result<Reply, AggError> {
    let props = &ctx.state.rack.props;
    let _writer = props.writer().await;
    let current = rack_body(ctx);
    reply::check_if_match(ctx.ex, &current)?;
    let patch = object_body(&ctx.ex.body)?;
    validate(&patch, RACK_WRITABLE, &current, "")?;
    let mut changes = Vec::new();
    if let Some(tag) = patch.get("AssetTag") {
        // null restores the configured default.
        let value = if tag.is_null() {
            Value::from(ctx.s.rack.asset_tag.clone())
        } else {
            tag.clone()
        };
        changes.push(("AssetTag".to_owned(), value));
    }
    if let Some(location) = patch.get("Location") {
        let mut merged = current["Location"].clone();
        if location.is_null() {
            merged = json!({});
        } else {
            merge(&mut merged, location);
        }
        changes.push(("Location".to_owned(), merged));
    }
    if !changes.is_empty() {
        props.set(props::RACK, changes.clone()).await?;
        for (property, value) in changes {
            let shown = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            ctx.state
                .rack
                .log
                .record(
                    EventMessage::property_value_modified_by_client(&property, &shown),
                    Some(chassis_uri(&ctx.s.rack.id)),
                )
                .await;
        }
    }
    reply::json(ctx.ex, &rack_body(ctx), RACK_ALLOW)
}
