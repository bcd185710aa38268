//! Pure: the rack's Power and Thermal resources computed from the servers' last readings.
//! Totals are sums over the servers that answered; each server's sensors, supplies and fans are
//! listed under their own names, with `RelatedItem` naming their server's chassis (`MemberId` is
//! the position in the rack's array, as the schema requires).

use super::readings::ChassisReadings;
use serde_json::{Map, Value, json};

pub const POWER_TYPE: &str = "#Power.v1_7_3.Power";
pub const THERMAL_TYPE: &str = "#Thermal.v1_7_3.Thermal";
pub const INTAKE_NAME: &str = "Chassis Intake Temp";

/// Properties dropped from copied members: their identity is the rack's now, and vendor OEM
/// blocks would describe types the rack does not serve.
const DROPPED: &[&str] = &[
    "@odata.id",
    "@odata.context",
    "@odata.etag",
    "MemberId",
    "Oem",
];

fn health_rank(h: &str) -> u8 {
    match h {
        "Critical" => 2,
        "Warning" => 1,
        _ => 0,
    }
}

/// The worst `Status.Health` among `items` ("OK" when none says otherwise).
pub fn worst_health<'a>(items: impl IntoIterator<Item = &'a Value>) -> &'static str {
    let worst = items
        .into_iter()
        .filter_map(|v| v["Status"]["Health"].as_str())
        .map(health_rank)
        .max()
        .unwrap_or(0);
    ["OK", "Warning", "Critical"][worst as usize]
}

/// Copies one server array member into the rack's array at `uri#/<array>/<index>`.
fn copy_member(item: &Value, r: &ChassisReadings, uri: &str, array: &str, index: usize) -> Value {
    let mut out = Map::new();
    out.insert("@odata.id".into(), format!("{uri}#/{array}/{index}").into());
    out.insert("MemberId".into(), index.to_string().into());
    if let Some(obj) = item.as_object() {
        for (k, v) in obj {
            if !DROPPED.contains(&k.as_str()) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    // A Redundancy entry has no RelatedItem in its schema (its RedundancySet names the parts).
    if array != "Redundancy" {
        let mut related = out
            .get("RelatedItem")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if !related.iter().any(|l| l["@odata.id"] == r.chassis.as_str()) {
            related.push(json!({"@odata.id": r.chassis}));
        }
        out.insert("RelatedItem".into(), Value::Array(related));
    }
    Value::Object(out)
}

/// Every member of `array` in `section` (Power or Thermal) of every server, copied.
fn gather(
    readings: &[ChassisReadings],
    section: fn(&ChassisReadings) -> Option<&Value>,
    array: &str,
    uri: &str,
    start: usize,
) -> Vec<Value> {
    let mut out = Vec::new();
    for r in readings {
        let Some(items) = section(r).and_then(|v| v[array].as_array()) else {
            continue;
        };
        for item in items {
            out.push(copy_member(item, r, uri, array, start + out.len()));
        }
    }
    out
}

fn power_of(r: &ChassisReadings) -> Option<&Value> {
    r.power.as_ref()
}

fn thermal_of(r: &ChassisReadings) -> Option<&Value> {
    r.thermal.as_ref()
}

fn sum(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

fn number(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |n| {
        serde_json::Number::from_f64((n * 10.0).round() / 10.0).map_or(Value::Null, Value::Number)
    })
}

/// The rack's `Power` resource.
pub fn rack_power(rack: &str, readings: &[ChassisReadings], limit_watts: &Value) -> Value {
    let uri = format!("{rack}/Power");
    let controls: Vec<&Value> = readings
        .iter()
        .filter_map(|r| r.power.as_ref()?["PowerControl"].as_array())
        .flatten()
        .collect();
    let metric = |name: &str| sum(controls.iter().map(|c| c["PowerMetrics"][name].as_f64()));
    let mut related = vec![json!({"@odata.id": rack})];
    related.extend(readings.iter().map(|r| json!({"@odata.id": r.chassis})));
    let supplies = gather(readings, power_of, "PowerSupplies", &uri, 0);
    let mut redundancy = gather(readings, power_of, "Redundancy", &uri, 0);
    if redundancy.is_empty() {
        redundancy = derived_redundancy(readings, &uri);
    }
    let mut voltages = gather(readings, power_of, "Voltages", &uri, 0);
    number_sensors(&mut voltages);
    json!({
        "@odata.id": uri,
        "@odata.type": POWER_TYPE,
        "Id": "Power",
        "Name": "Rack Power",
        "Description": "Power of every server in the rack, from their latest readings",
        "PowerControl": [{
            "@odata.id": format!("{uri}#/PowerControl/0"),
            "MemberId": "0",
            "Name": "Rack Power Control",
            "PhysicalContext": "Chassis",
            "PowerConsumedWatts": number(sum(controls.iter().map(|c| c["PowerConsumedWatts"].as_f64()))),
            "PowerCapacityWatts": number(sum(controls.iter().map(|c| c["PowerCapacityWatts"].as_f64()))),
            "PowerMetrics": {
                "IntervalInMin": controls.iter().filter_map(|c| c["PowerMetrics"]["IntervalInMin"].as_u64()).max().unwrap_or(0),
                "MinConsumedWatts": number(metric("MinConsumedWatts")),
                "MaxConsumedWatts": number(metric("MaxConsumedWatts")),
                "AverageConsumedWatts": number(metric("AverageConsumedWatts")),
            },
            "PowerLimit": {
                "LimitInWatts": limit_watts,
                "LimitException": "LogEventOnly",
            },
            "RelatedItem": related,
            "Status": {"State": "Enabled", "Health": worst_health(controls.iter().copied())},
        }],
        "Voltages": voltages,
        "PowerSupplies": supplies,
        "Redundancy": redundancy,
    })
}

/// The rack's total consumption in the last sample (for the power-limit check).
pub fn consumed_watts(readings: &[ChassisReadings]) -> Option<f64> {
    sum(readings
        .iter()
        .filter_map(|r| r.power.as_ref()?["PowerControl"].as_array())
        .flatten()
        .map(|c| c["PowerConsumedWatts"].as_f64()))
}

/// Sensors without a `SensorNumber` get their position in the rack's list.
fn number_sensors(items: &mut [Value]) {
    for (i, item) in items.iter_mut().enumerate() {
        if item.get("SensorNumber").is_none() {
            item["SensorNumber"] = (i + 1).into();
        }
    }
}

/// A server that reports two or more supplies but no `Redundancy` gets a group of its supplies:
/// `N+m`, with N the supplies its consumption needs (at least one).
fn derived_redundancy(readings: &[ChassisReadings], uri: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut supply_index = 0;
    for r in readings {
        let Some(power) = &r.power else { continue };
        let supplies = power["PowerSupplies"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let first = supply_index;
        supply_index += supplies.len();
        if supplies.len() < 2 {
            continue;
        }
        let capacity = supplies[0]["PowerCapacityWatts"].as_f64().unwrap_or(0.0);
        let consumed = consumed_watts(std::slice::from_ref(r)).unwrap_or(0.0);
        let needed = if capacity > 0.0 {
            ((consumed / capacity).ceil() as usize).clamp(1, supplies.len())
        } else {
            1
        };
        let set: Vec<Value> = (first..supply_index)
            .map(|i| json!({"@odata.id": format!("{uri}#/PowerSupplies/{i}")}))
            .collect();
        let index = out.len();
        out.push(json!({
            "@odata.id": format!("{uri}#/Redundancy/{index}"),
            "MemberId": index.to_string(),
            "Name": format!("{} power supplies", r.bmc),
            "Mode": "N+m",
            "MaxNumSupported": supplies.len(),
            "MinNumNeeded": needed,
            "RedundancySet": set,
            "Status": {"State": "Enabled", "Health": worst_health(supplies)},
        }));
    }
    out
}

/// The rack's `Thermal` resource: its intake temperature (mean of the servers' intake sensors)
/// first, then every server's temperatures and fans.
pub fn rack_thermal(rack: &str, readings: &[ChassisReadings]) -> Value {
    let uri = format!("{rack}/Thermal");
    let mut temperatures = gather(readings, thermal_of, "Temperatures", &uri, 1);
    let intakes: Vec<f64> = temperatures
        .iter()
        .filter(|t| t["PhysicalContext"] == "Intake")
        .filter_map(|t| t["ReadingCelsius"].as_f64())
        .collect();
    let mean = (!intakes.is_empty()).then(|| intakes.iter().sum::<f64>() / intakes.len() as f64);
    let state = if mean.is_some() {
        "Enabled"
    } else {
        "UnavailableOffline"
    };
    let mut related = vec![json!({"@odata.id": rack})];
    related.extend(readings.iter().map(|r| json!({"@odata.id": r.chassis})));
    temperatures.insert(
        0,
        json!({
            "@odata.id": format!("{uri}#/Temperatures/0"),
            "MemberId": "0",
            "Name": INTAKE_NAME,
            "SensorNumber": 1,
            "ReadingCelsius": number(mean),
            "PhysicalContext": "Intake",
            "RelatedItem": related,
            "Status": {"State": state, "Health": "OK"},
        }),
    );
    number_sensors(&mut temperatures);
    let fans = gather(readings, thermal_of, "Fans", &uri, 0);
    let health = worst_health(temperatures.iter().chain(&fans));
    json!({
        "@odata.id": uri,
        "@odata.type": THERMAL_TYPE,
        "Id": "Thermal",
        "Name": "Rack Thermal",
        "Description": "Temperatures and fans of every server in the rack, from their latest readings",
        "Status": {"State": "Enabled", "Health": health, "HealthRollup": health},
        "Temperatures": temperatures,
        "Fans": fans,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(bmc: &str, watts: f64, intake: f64) -> ChassisReadings {
        ChassisReadings {
            bmc: bmc.into(),
            chassis: format!("/redfish/v1/Chassis/{bmc}-1"),
            power: Some(json!({
                "PowerControl": [{"PowerConsumedWatts": watts, "PowerCapacityWatts": 1600,
                    "PowerMetrics": {"IntervalInMin": 30, "MinConsumedWatts": 100, "MaxConsumedWatts": 500, "AverageConsumedWatts": 300},
                    "Status": {"Health": "OK"}}],
                "Voltages": [{"@odata.id": "/x#/Voltages/0", "MemberId": "0", "Name": "VRM1 Voltage", "ReadingVolts": 12}],
                "PowerSupplies": [
                    {"MemberId": "0", "PowerCapacityWatts": 800, "Status": {"Health": "OK"}},
                    {"MemberId": "1", "PowerCapacityWatts": 800, "Status": {"Health": "Warning"}, "Oem": {"V": 1}}
                ],
            })),
            thermal: Some(json!({
                "Temperatures": [
                    {"MemberId": "0", "Name": "Inlet", "ReadingCelsius": intake, "PhysicalContext": "Intake"},
                    {"MemberId": "1", "Name": "CPU1 Temp", "ReadingCelsius": 50, "PhysicalContext": "CPU"}
                ],
                "Fans": [{"MemberId": "0", "Name": "Fan 1", "Status": {"Health": "OK"}}],
            })),
        }
    }

    #[test]
    fn power_sums_the_servers_and_lists_their_parts() {
        let p = rack_power(
            "/redfish/v1/Chassis/Rack1",
            &[server("s1", 300.0, 20.0), server("s2", 450.0, 24.0)],
            &json!(5000),
        );
        let pc = &p["PowerControl"][0];
        assert_eq!(pc["PowerConsumedWatts"], 750.0);
        assert_eq!(pc["PowerCapacityWatts"], 3200.0);
        assert_eq!(pc["PowerMetrics"]["MaxConsumedWatts"], 1000.0);
        assert_eq!(pc["PowerLimit"]["LimitInWatts"], 5000);
        assert_eq!(pc["RelatedItem"].as_array().map(Vec::len), Some(3));
        let supplies = p["PowerSupplies"].as_array().expect("supplies");
        assert_eq!(supplies.len(), 4);
        assert_eq!(supplies[3]["MemberId"], "3");
        assert_eq!(
            supplies[3]["@odata.id"],
            "/redfish/v1/Chassis/Rack1/Power#/PowerSupplies/3"
        );
        assert!(supplies[1].get("Oem").is_none());
        assert_eq!(
            supplies[2]["RelatedItem"][0]["@odata.id"],
            "/redfish/v1/Chassis/s2-1"
        );
        assert_eq!(p["Voltages"][1]["SensorNumber"], 2);
        let red = p["Redundancy"].as_array().expect("redundancy");
        assert_eq!(red.len(), 2);
        assert_eq!(
            red[1]["RedundancySet"][0]["@odata.id"],
            "/redfish/v1/Chassis/Rack1/Power#/PowerSupplies/2"
        );
        assert_eq!(red[0]["MinNumNeeded"], 1);
        assert_eq!(red[0]["Status"]["Health"], "Warning");
    }

    #[test]
    fn a_servers_redundancy_is_copied_without_a_related_item() {
        // A rack's own Power (read by a row) or a BMC's lists Redundancy entries: the schema
        // gives them no RelatedItem, so none is added where the parts' entries get one.
        let mut rack = server("r1", 700.0, 22.0);
        rack.power.as_mut().expect("power")["Redundancy"] = json!([
            {"MemberId": "0", "Name": "PSU redundancy", "Mode": "N+m", "MinNumNeeded": 1,
             "RedundancySet": [{"@odata.id": "/redfish/v1/Chassis/r1-Rack1/Power#/PowerSupplies/0"}]}
        ]);
        let p = rack_power("/redfish/v1/Chassis/Row1", &[rack], &Value::Null);
        let red = p["Redundancy"].as_array().expect("redundancy");
        assert_eq!(red.len(), 1);
        assert!(red[0].get("RelatedItem").is_none(), "{}", red[0]);
        assert_eq!(
            red[0]["@odata.id"],
            "/redfish/v1/Chassis/Row1/Power#/Redundancy/0"
        );
        assert_eq!(
            p["PowerSupplies"][0]["RelatedItem"][0]["@odata.id"],
            "/redfish/v1/Chassis/r1-1"
        );
    }

    #[test]
    fn no_readings_give_an_empty_but_valid_rack() {
        let p = rack_power("/r", &[], &Value::Null);
        assert_eq!(p["PowerControl"][0]["PowerConsumedWatts"], Value::Null);
        assert_eq!(p["PowerSupplies"], json!([]));
        let t = rack_thermal("/r", &[]);
        assert_eq!(t["Temperatures"][0]["Name"], INTAKE_NAME);
        assert_eq!(
            t["Temperatures"][0]["Status"]["State"],
            "UnavailableOffline"
        );
    }

    #[test]
    fn thermal_has_the_mean_intake_first_then_every_sensor_and_fan() {
        let t = rack_thermal(
            "/redfish/v1/Chassis/Rack1",
            &[server("s1", 1.0, 20.0), server("s2", 1.0, 25.0)],
        );
        let temps = t["Temperatures"].as_array().expect("temps");
        assert_eq!(temps.len(), 5);
        assert_eq!(temps[0]["ReadingCelsius"], 22.5);
        assert_eq!(temps[3]["MemberId"], "3");
        assert_eq!(
            temps[3]["RelatedItem"][0]["@odata.id"],
            "/redfish/v1/Chassis/s2-1"
        );
        assert_eq!(
            temps[3]["@odata.id"],
            "/redfish/v1/Chassis/Rack1/Thermal#/Temperatures/3"
        );
        assert_eq!(t["Fans"][1]["MemberId"], "1");
        assert_eq!(t["Status"]["Health"], "OK");
        let mut sick = server("s3", 1.0, 30.0);
        if let Some(th) = sick.thermal.as_mut() {
            th["Fans"][0]["Status"]["Health"] = "Critical".into();
        }
        let t = rack_thermal("/r", &[server("s1", 1.0, 20.0), sick]);
        assert_eq!(
            t["Status"],
            json!({"State": "Enabled", "Health": "Critical", "HealthRollup": "Critical"})
        );
        assert_eq!(
            consumed_watts(&[server("s1", 2.0, 1.0), server("s2", 3.0, 1.0)]),
            Some(5.0)
        );
    }
}
