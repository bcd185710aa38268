//! Event delivery: an Event JSON POSTed to every subscription's Destination (HTTP only, owned
//! tasks with a timeout so shutdown never waits long), and sent on the open SSE streams.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::bmc::{Bmc, BmcState};
use crate::store::member_paths;
use crate::tree::services::SUBSCRIPTIONS;
use crate::tree::types as t;

/// How long one delivery may take.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// One event record to send.
#[derive(Debug, Clone)]
pub(crate) struct EventSpec {
    pub(crate) message_id: String,
    pub(crate) message: String,
    pub(crate) args: Vec<String>,
    pub(crate) severity: String,
    pub(crate) origin: Option<String>,
}

impl EventSpec {
    /// An OK-severity event from a registry message with `%1`-style arguments.
    pub(crate) fn ok(message_id: &str, template: &str, args: &[&str], origin: &str) -> EventSpec {
        let mut message = template.to_string();
        for (i, a) in args.iter().enumerate() {
            message = message.replace(&format!("%{}", i + 1), a);
        }
        EventSpec {
            message_id: message_id.to_string(),
            message,
            args: args.iter().map(|s| s.to_string()).collect(),
            severity: "OK".to_string(),
            origin: Some(origin.to_string()),
        }
    }
}

/// Sends an event to every matching subscription and to the open event streams.
pub(crate) fn emit(bmc: &Bmc, st: &mut BmcState, spec: EventSpec) {
    if bmc.quirks.no_event_service {
        return;
    }
    let n = st.next();
    let mut record = json!({
        "EventType": "Alert",
        "EventId": n.to_string(),
        "EventTimestamp": crate::time::now(),
        "MessageSeverity": spec.severity,
        "Message": spec.message,
        "MessageId": spec.message_id,
        "MessageArgs": spec.args,
        "MemberId": "0",
    });
    if let Some(origin) = &spec.origin {
        // Origins are store paths; subscribers get the resource's link as it writes it.
        record["OriginOfCondition"] = json!({ "@odata.id": st.store.link_of(origin) });
    }
    let event = |context: Value| {
        json!({
            "@odata.type": t::EVENT,
            "Id": n.to_string(),
            "Name": "Event Array",
            "Context": context,
            "Events": [record.clone()],
        })
    };
    if bmc.serves_sse() {
        bmc.sse.send(n, &event(Value::String(String::new())));
    }
    let Some(coll) = st.store.get(SUBSCRIPTIONS) else {
        return;
    };
    let prefix = spec
        .message_id
        .split('.')
        .next()
        .unwrap_or_default()
        .to_string();
    for path in member_paths(&coll.body) {
        let Some(sub) = st.store.get(&path) else {
            continue;
        };
        let dest = sub
            .body
            .get("Destination")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let prefixes: Vec<&str> = sub
            .body
            .get("RegistryPrefixes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !prefixes.is_empty() && !prefixes.contains(&prefix.as_str()) {
            continue;
        }
        let context = sub
            .body
            .get("Context")
            .cloned()
            .unwrap_or(Value::String(String::new()));
        let id = path.rsplit('/').next().unwrap_or_default().to_string();
        let headers = st.sub_headers.get(&id).cloned().unwrap_or_default();
        let body = Bytes::from(event(context).to_string());
        let cancel = bmc.cancel.clone();
        let bmc_id = bmc.id.clone();
        bmc.tracker.spawn(async move {
            tokio::select! {
                res = tokio::time::timeout(DELIVERY_TIMEOUT, deliver(&dest, body, &headers)) => match res {
                    Ok(Ok(status)) => tracing::debug!(bmc = %bmc_id, %dest, %status, "event delivered"),
                    Ok(Err(e)) => tracing::warn!(bmc = %bmc_id, %dest, error = %e, "event delivery failed"),
                    Err(_) => tracing::warn!(bmc = %bmc_id, %dest, "event delivery timed out"),
                },
                _ = cancel.cancelled() => {}
            }
        });
    }
}

async fn deliver(dest: &str, body: Bytes, headers: &[(String, String)]) -> Result<u16, String> {
    if !dest.starts_with("http://") {
        return Err("only http:// destinations are delivered by the simulator".into());
    }
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut builder = Request::post(dest).header("content-type", "application/json");
    for (k, v) in headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let req = builder.body(Full::new(body)).map_err(|e| e.to_string())?;
    let resp = client.request(req).await.map_err(|e| e.to_string())?;
    Ok(resp.status().as_u16())
}
