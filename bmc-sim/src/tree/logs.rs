//! Log services (system and manager) with entries; the system log is long enough to be paged.

use serde_json::json;

use super::TreeBuilder;
use super::common::{fixed_time, link, ok_status};
use super::types as t;
use crate::store::Caps;

/// Entries in the system log (paged by 50).
pub(crate) const SYSTEM_LOG_ENTRIES: usize = 120;
/// Entries in the manager log.
pub(crate) const MANAGER_LOG_ENTRIES: usize = 12;

pub(super) fn build(b: &mut TreeBuilder) {
    let l = b.layout().clone();
    log_service(
        b,
        &l.sys(),
        l.ids.sys_log,
        "System Event Log",
        SYSTEM_LOG_ENTRIES,
        true,
    );
    log_service(
        b,
        &l.mgr(),
        l.ids.mgr_log,
        "Manager Log",
        MANAGER_LOG_ENTRIES,
        false,
    );
}

fn log_service(b: &mut TreeBuilder, owner: &str, id: &str, name: &str, count: usize, sel: bool) {
    let coll = format!("{owner}/LogServices");
    let svc = format!("{coll}/{id}");
    let entries = format!("{svc}/Entries");
    b.collection(
        &coll,
        "LogService",
        "Log Service Collection",
        std::slice::from_ref(&svc),
        Caps::READ,
    );
    b.add(
        json!({
            "@odata.id": svc,
            "@odata.type": t::LOG_SERVICE,
            "Id": id,
            "Name": name,
            "MaxNumberOfRecords": 1024,
            "OverWritePolicy": "WrapsWhenFull",
            "ServiceEnabled": true,
            "LogEntryType": if sel { "SEL" } else { "Event" },
            "Entries": link(&entries),
            "Actions": {
                "#LogService.ClearLog": { "target": format!("{svc}/Actions/LogService.ClearLog") }
            },
            "Status": ok_status(),
        }),
        Caps::patch(&["/ServiceEnabled"]),
    );
    let members: Vec<String> = (1..=count).map(|n| format!("{entries}/{n}")).collect();
    b.collection(
        &entries,
        "LogEntry",
        "Log Entry Collection",
        &members,
        Caps::READ,
    );
    for (n, path) in (1..=count).zip(&members) {
        b.add(entry(path, n, sel, owner), Caps::READ);
    }
}

/// One log entry; `sel` entries look like IPMI SEL records, the others like Redfish events.
pub(crate) fn entry(path: &str, n: usize, sel: bool, origin: &str) -> serde_json::Value {
    let severity = if n % 10 == 0 { "Warning" } else { "OK" };
    if sel {
        json!({
            "@odata.id": path,
            "@odata.type": t::LOG_ENTRY,
            "Id": n.to_string(),
            "Name": format!("Log Entry {n}"),
            "EntryType": "SEL",
            "Created": fixed_time(n as u64 * 7),
            "Severity": severity,
            "Message": if severity == "OK" {
                "The system inlet temperature is within range."
            } else {
                "The system inlet temperature is greater than the upper warning threshold."
            },
            "SensorType": "Temperature",
            "SensorNumber": 4,
            "EntryCode": if severity == "OK" { "Deassert" } else { "Assert" },
            "Links": { "OriginOfCondition": link(origin) },
        })
    } else {
        json!({
            "@odata.id": path,
            "@odata.type": t::LOG_ENTRY,
            "Id": n.to_string(),
            "Name": format!("Log Entry {n}"),
            "EntryType": "Event",
            "Created": fixed_time(n as u64 * 11),
            "Severity": severity,
            "Message": "One or more resource properties have changed.",
            "MessageId": "ResourceEvent.1.4.ResourceChanged",
            "MessageArgs": [],
            "Links": { "OriginOfCondition": link(origin) },
        })
    }
}
