//! Small JSON helpers shared by the builders.

use serde_json::{Value, json};

/// `{"State": "Enabled", "Health": "OK"}`.
pub(crate) fn ok_status() -> Value {
    json!({ "State": "Enabled", "Health": "OK" })
}

/// `{"State": "Enabled", "Health": "OK", "HealthRollup": "OK"}`.
pub(crate) fn ok_rollup() -> Value {
    json!({ "State": "Enabled", "Health": "OK", "HealthRollup": "OK" })
}

/// A reference object.
pub(crate) fn link(path: &str) -> Value {
    json!({ "@odata.id": path })
}

/// A list of reference objects.
pub(crate) fn links(paths: &[String]) -> Value {
    Value::Array(paths.iter().map(|p| link(p)).collect())
}

/// `PartLocation` with a service label.
pub(crate) fn part_location(label: &str, kind: &str, ordinal: usize) -> Value {
    json!({
        "PartLocation": {
            "ServiceLabel": label,
            "LocationType": kind,
            "LocationOrdinalValue": ordinal,
        }
    })
}

/// An `ActionInfo` resource with one parameter list.
pub(crate) fn action_info(path: &str, id: &str, parameters: Value) -> Value {
    json!({
        "@odata.id": path,
        "@odata.type": super::types::ACTION_INFO,
        "Id": id,
        "Name": format!("{id}"),
        "Parameters": parameters,
    })
}

/// An ISO 8601 timestamp `minutes` after a fixed base date (for static fixtures).
pub(crate) fn fixed_time(minutes: u64) -> String {
    crate::time::format_unix(1_735_689_600 + minutes * 60)
}
