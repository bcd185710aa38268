//! Long-running operations: a Task plus a task monitor; the task completes a few seconds later.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use http::header::{LOCATION, RETRY_AFTER};
use serde_json::{Value, json};

use super::base_messages::BaseMessage;
use super::error::{ApiError, message_entry};
use super::events::{self, EventSpec};
use super::reply::Reply;
use super::router::{HResult, Req};
use crate::Profile;
use crate::bmc::{Bmc, BmcState};
use crate::store::Caps;
use crate::tree::services::{TASK_MONITORS, TASKS};
use crate::tree::types as t;

/// How long a simulated task runs.
pub(crate) const TASK_DURATION: Duration = Duration::from_secs(3);

/// Starts a task for an accepted request and answers 202 with the monitor in `Location`.
pub(crate) fn start(bmc: &Arc<Bmc>, st: &mut BmcState, req: &Req, name: &str) -> Reply {
    let n = st.next();
    let id = match st.store.layout().profile {
        Profile::Idrac => format!("JID_{:012}", 700_000_000_000u64 + n),
        Profile::Dmtf | Profile::Ilo | Profile::OpenBmc | Profile::Supermicro => n.to_string(),
    };
    let path = format!("{TASKS}/{id}");
    let monitor = format!("{TASK_MONITORS}/{id}");
    let body = json!({
        "@odata.id": path,
        "@odata.type": t::TASK,
        "Id": id,
        "Name": name,
        "TaskState": "Running",
        "TaskStatus": "OK",
        "StartTime": crate::time::now(),
        "PercentComplete": 0,
        "TaskMonitor": monitor,
        "Payload": {
            "TargetUri": req.raw_path,
            "HttpOperation": req.method.as_str(),
            "JsonBody": String::from_utf8_lossy(&req.body),
            "HttpHeaders": [],
        },
        "Messages": [],
    });
    st.store.put(&path, body, Caps::READ);
    st.store.add_member(TASKS, &path);
    let task_body = st
        .store
        .get(&path)
        .map(|e| e.body.clone())
        .unwrap_or(Value::Null);
    let location = st.store.layout().header_path(&monitor);
    let weak = Arc::downgrade(bmc);
    let cancel = bmc.cancel.clone();
    bmc.tracker.spawn(async move {
        tokio::select! {
            _ = tokio::time::sleep(TASK_DURATION) => {}
            _ = cancel.cancelled() => return,
        }
        if let Some(bmc) = weak.upgrade() {
            complete(&bmc, &path, &id);
        }
    });
    Reply::json(StatusCode::ACCEPTED, &task_body)
        .with_header(LOCATION, &location)
        .with_header(RETRY_AFTER, "1")
}

fn complete(bmc: &Bmc, path: &str, id: &str) {
    let mut st = bmc.state();
    let done = st.store.modify(path, |task| {
        task["TaskState"] = json!("Completed");
        task["PercentComplete"] = json!(100);
        task["EndTime"] = json!(crate::time::now());
        task["Messages"] = json!([{
            "MessageId": "TaskEvent.1.0.TaskCompletedOK",
            "Message": format!("The task with Id '{id}' has completed."),
            "MessageArgs": [id],
            "MessageSeverity": "OK",
        }]);
    });
    if done {
        let spec = EventSpec::ok(
            "TaskEvent.1.0.TaskCompletedOK",
            "The task with Id '%1' has completed.",
            &[id],
            path,
        );
        events::emit(bmc, &mut st, spec);
    }
}

/// GET on a task monitor: 202 while running, then the operation's final response.
pub(crate) fn monitor(st: &BmcState, req: &Req) -> HResult {
    let id = req.path.rsplit('/').next().unwrap_or_default();
    let task_path = format!("{TASKS}/{id}");
    let Some(task) = st.store.get(&task_path) else {
        return Err(vec![ApiError::NotFound {
            path: req.path.clone(),
        }]);
    };
    if !matches!(req.method, http::Method::GET | http::Method::HEAD) {
        return Err(vec![ApiError::MethodNotAllowed {
            allow: "GET, HEAD".into(),
        }]);
    }
    if task.body.get("TaskState").and_then(Value::as_str) == Some("Running") {
        let location = st.store.layout().header_path(&req.path);
        return Ok(Reply::json(StatusCode::ACCEPTED, &task.body)
            .with_header(LOCATION, &location)
            .with_header(RETRY_AFTER, "1"));
    }
    Ok(Reply::json(
        StatusCode::OK,
        &json!({ "@Message.ExtendedInfo": [message_entry(BaseMessage::Success, &[])] }),
    ))
}
