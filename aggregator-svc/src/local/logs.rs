//! The rack manager's LogServices: `Log` with the aggregator's own events, `Audit` with every
//! write the frontend answered (who, from where, what, the status), each with ClearLog.

use super::{Ctx, link, reply};
use crate::error::AggError;
use crate::exchange::Reply;
use crate::rack::{clock, manager_uri};
use crate::store::{AuditRow, LogRow};
use http::Method;
use serde_json::{Value, json};

const LOG_ID: &str = "Log";
const AUDIT_ID: &str = "Audit";
const READ_ALLOW: &str = "GET, HEAD";
const ENTRY_TYPE: &str = "#LogEntry.v1_17_0.LogEntry";
/// `OemRecordFormat` of an audit entry; its `MessageArgs` are, in order: user, client address
/// (`unknown` when none), method, URI, HTTP status, and the BMC id when there is one (no empty
/// strings: the DMTF validator warns about them).
pub const AUDIT_RECORD_FORMAT: &str = "RedDrumAudit";
/// `MessageId` of an audit entry (an OEM entry: not from a registry).
pub const AUDIT_MESSAGE_ID: &str = "RedDrumAudit.1.0.Write";

fn entry_body(base: &str, row: &LogRow) -> Value {
    let mut body = json!({
        "@odata.id": format!("{base}/Entries/{}", row.id),
        "@odata.type": ENTRY_TYPE,
        "Id": row.id.to_string(),
        "Name": format!("Log Entry {}", row.id),
        "EntryType": "Event",
        "Severity": row.severity,
        "Created": row.created,
        "Message": row.message,
        "MessageId": row.message_id,
        "MessageArgs": row.args,
    });
    if let Some(origin) = &row.origin {
        body["Links"] = json!({"OriginOfCondition": link(origin)});
    }
    body
}

/// One audit record as a LogEntry: the user in `Username` (LogEntry 1.17, "for audit logs that
/// result from a user action"), the client in `Originator` (`OriginatorType` Client), every field
/// in `MessageArgs`, and a sentence in `Message`.
pub fn audit_entry_body(base: &str, row: &AuditRow) -> Value {
    let status = row.status.to_string();
    let severity = match row.status {
        0..=399 => "OK",
        400..=499 => "Warning",
        _ => "Critical",
    };
    let on_bmc = if row.bmc.is_empty() {
        String::new()
    } else {
        format!(" (BMC {})", row.bmc)
    };
    let from = if row.client.is_empty() {
        String::new()
    } else {
        format!(" from {}", row.client)
    };
    let client = if row.client.is_empty() {
        "unknown"
    } else {
        row.client.as_str()
    };
    let mut args = vec![
        row.user.as_str(),
        client,
        row.method.as_str(),
        row.uri.as_str(),
        status.as_str(),
    ];
    if !row.bmc.is_empty() {
        args.push(row.bmc.as_str());
    }
    let mut body = json!({
        "@odata.id": format!("{base}/Entries/{}", row.id),
        "@odata.type": ENTRY_TYPE,
        "Id": row.id.to_string(),
        "Name": format!("Audit Entry {}", row.id),
        "EntryType": "Oem",
        "OemRecordFormat": AUDIT_RECORD_FORMAT,
        "Severity": severity,
        "Created": row.created,
        "Message": format!("{} {}{on_bmc} by {}{from}: {status}", row.method, row.uri, row.user),
        "MessageId": AUDIT_MESSAGE_ID,
        "MessageArgs": args,
        "Username": row.user,
        "OriginatorType": "Client",
    });
    if !row.client.is_empty() {
        body["Originator"] = json!(row.client);
    }
    if row.user != "anonymous" {
        body["UserAuthenticationSource"] = json!("/redfish/v1/AccountService");
    }
    body
}

fn service_body(ctx: &Ctx<'_>, base: &str, id: &str) -> Value {
    let (name, description, max, entry_type, purpose) = if id == AUDIT_ID {
        (
            "Rack Manager Audit Log",
            "Every write answered by the aggregate: who, from where, method, URI, BMC and status",
            ctx.state.rack.audit.keep(),
            "OEM",
            "Security",
        )
    } else {
        (
            "Rack Manager Log",
            "The aggregator's own events: BMCs going down and coming back, discovery results, resets, reseats, configuration reloads",
            ctx.s.manager.log_max_entries,
            "Event",
            "Operations",
        )
    };
    json!({
        "@odata.id": base,
        "@odata.type": "#LogService.v1_7_0.LogService",
        "Id": id,
        "Name": name,
        "Description": description,
        "MaxNumberOfRecords": max,
        "OverWritePolicy": "WrapsWhenFull",
        "LogEntryType": entry_type,
        "LogPurposes": [purpose],
        "DateTime": clock::now(),
        "DateTimeLocalOffset": clock::LOCAL_OFFSET,
        "ServiceEnabled": true,
        "Status": {"State": "Enabled", "Health": "OK"},
        "Entries": link(&format!("{base}/Entries")),
        "Actions": {
            "#LogService.ClearLog": {"target": format!("{base}/Actions/LogService.ClearLog")}
        },
    })
}

fn entries_body(base: &str, members: Vec<Value>) -> Value {
    json!({
        "@odata.id": format!("{base}/Entries"),
        "@odata.type": "#LogEntryCollection.LogEntryCollection",
        "Name": "Log Entry Collection",
        "Members@odata.count": members.len(),
        "Members": members,
    })
}

pub async fn serve(ctx: &Ctx<'_>, rest: &[&str]) -> Result<Reply, AggError> {
    let services = format!("{}/LogServices", manager_uri(&ctx.s.manager.id));
    let log_base = format!("{services}/{LOG_ID}");
    let audit_base = format!("{services}/{AUDIT_ID}");
    let rack = &ctx.state.rack;
    if let [id @ (LOG_ID | AUDIT_ID), "Actions", "LogService.ClearLog"] = rest {
        reply::only(ctx.ex, &[Method::POST], "POST")?;
        if *id == LOG_ID {
            rack.log.clear(LOG_ID).await?;
        } else {
            rack.audit.clear().await?;
        }
        return Ok(reply::no_content());
    }
    reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ_ALLOW)?;
    let body = match rest {
        [] => super::collection(
            &services,
            "#LogServiceCollection.LogServiceCollection",
            "Log Service Collection",
            &[log_base, audit_base],
        ),
        [LOG_ID] => service_body(ctx, &log_base, LOG_ID),
        [AUDIT_ID] => service_body(ctx, &audit_base, AUDIT_ID),
        [LOG_ID, "Entries"] => {
            let rows = rack.log.entries().await?;
            entries_body(
                &log_base,
                rows.iter().map(|r| entry_body(&log_base, r)).collect(),
            )
        }
        [AUDIT_ID, "Entries"] => {
            let rows = rack.audit.entries().await?;
            entries_body(
                &audit_base,
                rows.iter()
                    .map(|r| audit_entry_body(&audit_base, r))
                    .collect(),
            )
        }
        [LOG_ID, "Entries", id] => {
            let id: i64 = id.parse().map_err(|_| ctx.not_found())?;
            let row = rack.log.entry(id).await?.ok_or_else(|| ctx.not_found())?;
            entry_body(&log_base, &row)
        }
        [AUDIT_ID, "Entries", id] => {
            let id: i64 = id.parse().map_err(|_| ctx.not_found())?;
            let row = rack.audit.entry(id).await?.ok_or_else(|| ctx.not_found())?;
            audit_entry_body(&audit_base, &row)
        }
        _ => return Err(ctx.not_found()),
    };
    reply::json(ctx.ex, &body, READ_ALLOW)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_entry_carries_who_where_what_and_the_status() {
        let row = AuditRow {
            id: 7,
            created: "2026-03-01T10:00:00+00:00".into(),
            request_id: "r1".into(),
            user: "alice".into(),
            client: "192.0.2.7".into(),
            method: "PATCH".into(),
            uri: "/redfish/v1/Systems/s1-1".into(),
            bmc: "s1".into(),
            status: 403,
        };
        let e = audit_entry_body("/redfish/v1/Managers/Aggregator/LogServices/Audit", &row);
        assert_eq!(
            e["@odata.id"],
            "/redfish/v1/Managers/Aggregator/LogServices/Audit/Entries/7"
        );
        assert_eq!(e["Username"], "alice");
        assert_eq!(e["Originator"], "192.0.2.7");
        assert_eq!(e["Severity"], "Warning");
        assert_eq!(
            e["MessageArgs"],
            json!([
                "alice",
                "192.0.2.7",
                "PATCH",
                "/redfish/v1/Systems/s1-1",
                "403",
                "s1"
            ])
        );
        assert_eq!(
            e["Message"],
            "PATCH /redfish/v1/Systems/s1-1 (BMC s1) by alice from 192.0.2.7: 403"
        );
        let anon = audit_entry_body(
            "/x",
            &AuditRow {
                user: "anonymous".into(),
                client: String::new(),
                bmc: String::new(),
                status: 401,
                ..row
            },
        );
        assert!(anon.get("UserAuthenticationSource").is_none());
        assert!(anon.get("Originator").is_none());
        assert_eq!(
            anon["MessageArgs"],
            json!([
                "anonymous",
                "unknown",
                "PATCH",
                "/redfish/v1/Systems/s1-1",
                "401"
            ])
        );
        assert_eq!(
            anon["Message"],
            "PATCH /redfish/v1/Systems/s1-1 by anonymous: 401"
        );
    }
}
