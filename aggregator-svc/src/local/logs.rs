//! The rack manager's LogServices: one `Log` with the aggregator's own events, and ClearLog.

use super::{Ctx, link, reply};
use crate::error::AggError;
use crate::exchange::Reply;
use crate::rack::{clock, manager_uri};
use crate::store::LogRow;
use http::Method;
use serde_json::{Value, json};

const LOG_ID: &str = "Log";
const READ_ALLOW: &str = "GET, HEAD";

fn entry_body(base: &str, row: &LogRow) -> Value {
    let mut body = json!({
        "@odata.id": format!("{base}/Entries/{}", row.id),
        "@odata.type": "#LogEntry.v1_16_0.LogEntry",
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

pub async fn serve(ctx: &Ctx<'_>, rest: &[&str]) -> Result<Reply, AggError> {
    let services = format!("{}/LogServices", manager_uri(&ctx.s.manager.id));
    let base = format!("{services}/{LOG_ID}");
    let log = &ctx.state.rack.log;
    if rest == [LOG_ID, "Actions", "LogService.ClearLog"] {
        reply::only(ctx.ex, &[Method::POST], "POST")?;
        log.clear(LOG_ID).await?;
        return Ok(reply::no_content());
    }
    reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ_ALLOW)?;
    let body = match rest {
        [] => super::collection(
            &services,
            "#LogServiceCollection.LogServiceCollection",
            "Log Service Collection",
            std::slice::from_ref(&base),
        ),
        [LOG_ID] => json!({
            "@odata.id": base,
            "@odata.type": "#LogService.v1_7_0.LogService",
            "Id": LOG_ID,
            "Name": "Rack Manager Log",
            "Description": "The aggregator's own events: BMCs going down and coming back, discovery results, resets, reseats, configuration reloads",
            "MaxNumberOfRecords": ctx.s.manager.log_max_entries,
            "OverWritePolicy": "WrapsWhenFull",
            "LogEntryType": "Event",
            "DateTime": clock::now(),
            "DateTimeLocalOffset": clock::LOCAL_OFFSET,
            "ServiceEnabled": true,
            "Status": {"State": "Enabled", "Health": "OK"},
            "Entries": link(&format!("{base}/Entries")),
            "Actions": {
                "#LogService.ClearLog": {"target": format!("{base}/Actions/LogService.ClearLog")}
            },
        }),
        [LOG_ID, "Entries"] => {
            let rows = log.entries().await?;
            let members: Vec<Value> = rows.iter().map(|r| entry_body(&base, r)).collect();
            json!({
                "@odata.id": format!("{base}/Entries"),
                "@odata.type": "#LogEntryCollection.LogEntryCollection",
                "Name": "Log Entry Collection",
                "Members@odata.count": members.len(),
                "Members": members,
            })
        }
        [LOG_ID, "Entries", id] => {
            let id: i64 = id.parse().map_err(|_| ctx.not_found())?;
            let row = log.entry(id).await?.ok_or_else(|| ctx.not_found())?;
            entry_body(&base, &row)
        }
        _ => return Err(ctx.not_found()),
    };
    reply::json(ctx.ex, &body, READ_ALLOW)
}
