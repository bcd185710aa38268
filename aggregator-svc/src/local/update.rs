//! The aggregate's `#UpdateService.SimpleUpdate`: what firmware-update clients (Tacklebox, sushy,
//! Ansible) POST through the ServiceRoot, `Targets` naming aggregated resources (FirmwareInventory
//! members, systems). Every target is checked first, so nothing reaches a BMC when one is bad; the
//! targets are grouped by BMC, and each BMC gets the client's request at its own SimpleUpdate with
//! its own URIs as `Targets`.
//!
//! - One BMC: its reply, localized like any forwarded reply (202 + its task monitor, which the
//!   client follows through the aggregate).
//! - Several: one local Task ([`reset::start_job`]) with a message per BMC: accepted (naming the
//!   BMC's own task) or its error. The Task ends when every BMC has answered, not when their
//!   updates end: each BMC's task is followed at the URI its message names.

use super::action::ActionBody;
use super::{Ctx, reply};
use crate::bmc_client::BmcReply;
use crate::error::AggError;
use crate::exchange::Reply;
use crate::forward;
use crate::inventory::{BmcEntry, Inventory};
use crate::rack::reset::{self, Element, Job, Pace};
use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use http::{HeaderName, HeaderValue, Method};
use redfish::events::EventMessage;
use redfish::messages::Message;
use redfish::path::{bmc_path, classify};
use redfish::rewrite::delocalize_uri;
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub const SERVICE_URI: &str = "/redfish/v1/UpdateService";
const ACTION: &str = "UpdateService.SimpleUpdate";
const ACTION_URI: &str = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate";
const ACTION_INFO: &str = "SimpleUpdateActionInfo";
const ACTION_INFO_URI: &str = "/redfish/v1/UpdateService/SimpleUpdateActionInfo";
const ACTION_INFO_TYPE: &str = "#ActionInfo.v1_4_0.ActionInfo";
/// What the aggregate accepts and passes on; newer parameters (ForceUpdate, Stage, ...) are
/// refused rather than passed to BMCs that may not know them.
const PARAMETERS: &[&str] = &[
    "ImageURI",
    "TransferProtocol",
    "Targets",
    "Username",
    "Password",
];

const READ_ALLOW: &str = "GET, HEAD";
const POST_ALLOW: &str = "POST";

/// The UpdateService's `Actions`.
pub fn actions() -> Value {
    json!({
        format!("#{ACTION}"): {
            "target": ACTION_URI,
            "@Redfish.ActionInfo": ACTION_INFO_URI,
        }
    })
}

fn action_info() -> Value {
    let parameter = |name: &str, required: bool, data_type: &str| json!({"Name": name, "Required": required, "DataType": data_type});
    // No AllowableValues for TransferProtocol: each BMC judges what it can fetch.
    json!({
        "@odata.id": ACTION_INFO_URI,
        "@odata.type": ACTION_INFO_TYPE,
        "Id": ACTION_INFO,
        "Name": "SimpleUpdate Action Info",
        "Parameters": [
            parameter("ImageURI", true, "String"),
            parameter("TransferProtocol", false, "String"),
            // Required here: the aggregate must know which servers to update.
            parameter("Targets", true, "StringArray"),
            parameter("Username", false, "String"),
            parameter("Password", false, "String"),
        ],
    })
}

/// `rest`: the path after `/redfish/v1/UpdateService`, split on '/'.
pub async fn serve(ctx: &Ctx<'_>, rest: &[&str]) -> Result<Reply, AggError> {
    match rest {
        [ACTION_INFO] => {
            reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ_ALLOW)?;
            reply::json(ctx.ex, &action_info(), READ_ALLOW)
        }
        // Reached through Forward (a frontend that does not stream): the body is whole already.
        ["upload"] => {
            let body = ctx.ex.body.clone();
            let once = futures_util::stream::once(async move { Ok(body) }).boxed();
            super::push::serve(ctx.state, ctx.ex, once).await
        }
        ["Actions", ACTION] => {
            reply::only(ctx.ex, &[Method::POST], POST_ALLOW)?;
            simple_update(ctx).await
        }
        _ => Err(ctx.not_found()),
    }
}

/// One BMC's share of the request: the BMC and the body it is sent.
struct Share {
    bmc: Arc<BmcEntry>,
    body: Bytes,
}

async fn simple_update(ctx: &Ctx<'_>) -> Result<Reply, AggError> {
    let mut shares = shares(&ctx.state.inventory, &ctx.ex.body)?;
    let bmcs: Vec<&str> = shares.iter().map(|s| s.bmc.id.as_str()).collect();
    tracing::info!(user = %ctx.ex.user, ?bmcs, "SimpleUpdate requested");
    if shares.len() == 1
        && let Some(share) = shares.pop()
    {
        let answer = send(&share.bmc, share.body).await?;
        let reply = forward::localized(&share.bmc, answer, &ctx.ex.path)?;
        ctx.state
            .inventory
            .note_write(share.bmc.id.as_str(), &Method::POST, &ctx.ex.path, &reply);
        return Ok(reply);
    }
    let job = Job {
        name: format!("SimpleUpdate on {} servers", shares.len()),
        origin: SERVICE_URI.to_owned(),
        user: ctx.ex.user.clone(),
        what: "SimpleUpdate".to_owned(),
        // Bounded, so a whole rack does not fetch its image at once.
        pace: Pace::default(),
        elements: shares.into_iter().map(on_bmc).collect(),
    };
    super::tasks::start(ctx.state, job).await
}

fn bad(message: Message) -> AggError {
    AggError::BadRequest { message }
}

/// Checks the body and splits it by BMC, in the order the targets name them; any bad target
/// refuses the whole request.
fn shares(inventory: &Inventory, body: &[u8]) -> Result<Vec<Share>, AggError> {
    let params = ActionBody::parse(body, ACTION, PARAMETERS)?;
    params.required_string("ImageURI")?;
    for name in ["TransferProtocol", "Username", "Password"] {
        params.string(name)?;
    }
    let targets = params.required_strings("Targets")?;
    let mut groups: Vec<(Arc<BmcEntry>, Vec<String>)> = Vec::new();
    for target in targets {
        let (bmc, own) = own_uri(inventory, &target).ok_or_else(|| {
            bad(Message::action_parameter_value_not_in_list(
                &target, "Targets", ACTION,
            ))
        })?;
        match groups.iter_mut().find(|(b, _)| b.id == bmc.id) {
            Some((_, uris)) => uris.push(own),
            None => groups.push((bmc, vec![own])),
        }
    }
    let client_body = params.into_map();
    groups
        .into_iter()
        .map(|(bmc, uris)| {
            let body = body_for(&client_body, uris)?;
            Ok(Share { bmc, body })
        })
        .collect()
}

/// The BMC a target belongs to and the target as that BMC's own URI; `None` for anything that is
/// not an aggregated resource of a BMC in the inventory (the rack's own resources, an unknown BMC).
pub(super) fn own_uri(inventory: &Inventory, target: &str) -> Option<(Arc<BmcEntry>, String)> {
    let classified = classify(target);
    let (id, _) = bmc_path(&classified)?;
    let bmc = inventory.bmc(id)?;
    let own = delocalize_uri(target, &bmc.ctx()).ok()??;
    Some((bmc, own))
}

/// The client's body (annotations such as `@Redfish.OperationApplyTime` included) with the BMC's
/// own `Targets`.
fn body_for(client: &Map<String, Value>, targets: Vec<String>) -> Result<Bytes, AggError> {
    let mut body = client.clone();
    body.insert("Targets".into(), json!(targets));
    serde_json::to_vec(&body)
        .map(Bytes::from)
        .map_err(|e| AggError::Internal(format!("serializing SimpleUpdate body: {e}")))
}

/// POSTs `body` to the BMC's own SimpleUpdate, at the target its UpdateService advertises
/// (vendors differ: OEM paths, absolute URLs), else at the standard one. The BMC's answer,
/// whatever its status; an error status of its UpdateService is that answer too.
async fn send(bmc: &BmcEntry, body: Bytes) -> Result<BmcReply, AggError> {
    let service = bmc
        .client
        .send(Method::GET, SERVICE_URI, &[], Bytes::new())
        .await?;
    if !service.status.is_success() {
        return Ok(service);
    }
    let advertised = serde_json::from_slice::<Value>(&service.body)
        .ok()
        .and_then(|v| {
            v["Actions"][format!("#{ACTION}")]["target"]
                .as_str()
                .map(str::to_owned)
        });
    let target = match advertised {
        Some(t) => bmc.ctx().relative(&t).unwrap_or(&t).to_owned(),
        None => format!("{SERVICE_URI}/Actions/{ACTION}"),
    };
    let headers = [(
        HeaderName::from_static("content-type"),
        HeaderValue::from_static("application/json"),
    )];
    bmc.client.send(Method::POST, &target, &headers, body).await
}

/// One BMC's element of the Task: its message names the BMC and its UpdateService, and, when the
/// BMC accepted, the BMC's own task (localized) in `Oem.RedDrum.Task`/`TaskMonitor`.
fn on_bmc(share: Share) -> Element {
    async move {
        let answer = send(&share.bmc, share.body).await;
        bmc_outcome(&share.bmc, answer)
    }
    .boxed()
}

/// A BMC's answer to an update (SimpleUpdate, or a multipart push) as its Task element's result.
pub(super) fn bmc_outcome(bmc: &BmcEntry, answer: Result<BmcReply, AggError>) -> (bool, Value) {
    let origin = format!("{}/UpdateService", bmc.ctx().passthrough_root());
    // What went wrong, beside the Base message ("OperationFailed" alone would not say whether
    // the connection was reset or the BMC timed out).
    let mut error = None;
    let (ok, message, task) = match answer {
        Ok(r) if r.status.is_success() => match forward::localized(bmc, r, &origin) {
            Ok(answer) => {
                let task = BmcTask::of(&answer);
                (true, task.message(), Some(task))
            }
            Err(e) => (false, e.presentation().message.extended_info(), None),
        },
        Ok(r) => (
            false,
            reset::bmc_error(bmc, r.status.as_u16(), &r.body, &origin),
            None,
        ),
        Err(e) => {
            error = Some(e.to_string());
            (false, e.presentation().message.extended_info(), None)
        }
    };
    let mut message = reset::about(message, Some(bmc.id.as_str()), &origin);
    if let Some(task) = task {
        task.annotate(&mut message);
    }
    if let Some(error) = error {
        message["Oem"]["RedDrum"]["Error"] = error.into();
    }
    (ok, message)
}

/// What a BMC's accepting reply says of its task (aggregate URIs).
#[derive(Debug, Default, PartialEq, Eq)]
struct BmcTask {
    id: Option<String>,
    uri: Option<String>,
    monitor: Option<String>,
}

impl BmcTask {
    fn of(answer: &Reply) -> Self {
        let body = serde_json::from_slice::<Value>(&answer.body).unwrap_or(Value::Null);
        let is_task = body["@odata.type"]
            .as_str()
            .is_some_and(|t| t.starts_with("#Task."));
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let location = answer
            .headers
            .iter()
            .find(|(n, _)| n == http::header::LOCATION)
            .and_then(|(_, v)| v.to_str().ok())
            .map(str::to_owned);
        BmcTask {
            id: is_task.then(|| text(&body["Id"])).flatten(),
            uri: is_task.then(|| text(&body["@odata.id"])).flatten(),
            monitor: location.or_else(|| text(&body["TaskMonitor"])),
        }
    }

    /// TaskStarted naming the task, or Success when the BMC named none (it updated at once).
    fn message(&self) -> Value {
        match &self.id {
            Some(id) => EventMessage::task_started(id).to_message_json(),
            None => Message::success().extended_info(),
        }
    }

    fn annotate(&self, message: &mut Value) {
        let ours = &mut message["Oem"]["RedDrum"];
        if let Some(uri) = &self.uri {
            ours["Task"] = json!({"@odata.id": uri});
        }
        if let Some(monitor) = &self.monitor {
            ours["TaskMonitor"] = monitor.as_str().into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(r: Result<Vec<Share>, AggError>) -> String {
        match r {
            Err(AggError::BadRequest { message }) => message.key().to_owned(),
            Err(e) => format!("{e}"),
            Ok(s) => format!("{} shares", s.len()),
        }
    }

    #[test]
    fn bodies_are_checked_before_any_target() {
        let inventory = Inventory::new(Vec::new());
        let check = |body: &str| key(shares(&inventory, body.as_bytes()));
        assert_eq!(check("{"), "MalformedJSON");
        assert_eq!(
            check(r#"{"Targets":["/redfish/v1/Systems/s1-1"]}"#),
            "ActionParameterMissing"
        );
        assert_eq!(
            check(r#"{"ImageURI":"http://i/fw"}"#),
            "ActionParameterMissing"
        );
        assert_eq!(
            check(r#"{"ImageURI":"http://i/fw","Targets":[]}"#),
            "ActionParameterValueError"
        );
        assert_eq!(
            check(r#"{"ImageURI":1,"Targets":["/redfish/v1/Systems/s1-1"]}"#),
            "ActionParameterValueTypeError"
        );
        assert_eq!(
            check(r#"{"ImageURI":"x","Targets":"/redfish/v1/Systems/s1-1"}"#),
            "ActionParameterValueTypeError"
        );
        assert_eq!(
            check(r#"{"ImageURI":"x","Targets":["/a"],"ForceUpdate":true}"#),
            "ActionParameterUnknown"
        );
        // No BMC s1 in this inventory; the rack's own chassis is never a target.
        for target in ["/redfish/v1/Systems/s1-1", "/redfish/v1/Chassis/Rack1"] {
            let body = json!({"ImageURI": "x", "Targets": [target]}).to_string();
            assert_eq!(check(&body), "ActionParameterValueNotInList", "{target}");
        }
    }

    #[test]
    fn the_bmc_body_keeps_the_clients_parameters_with_its_own_targets() {
        let client = json!({"ImageURI": "http://i/fw", "@Redfish.OperationApplyTime": "OnReset",
            "Targets": ["/redfish/v1/UpdateService/FirmwareInventory/s1-BIOS"]});
        let Value::Object(map) = client else {
            panic!("object")
        };
        let body = body_for(
            &map,
            vec!["/redfish/v1/UpdateService/FirmwareInventory/BIOS".into()],
        )
        .expect("body");
        let sent: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            sent,
            json!({"ImageURI": "http://i/fw", "@Redfish.OperationApplyTime": "OnReset",
                "Targets": ["/redfish/v1/UpdateService/FirmwareInventory/BIOS"]})
        );
    }

    #[test]
    fn an_accepting_reply_names_the_bmcs_task() {
        let mut answer = Reply::json(
            202,
            Bytes::from(
                json!({"@odata.type": "#Task.v1_7_4.Task", "Id": "s1-7",
                    "@odata.id": "/redfish/v1/TaskService/Tasks/s1-7"})
                .to_string(),
            ),
        );
        answer.headers.push((
            http::header::LOCATION,
            HeaderValue::from_static("/redfish/v1/TaskService/TaskMonitors/s1-7"),
        ));
        let task = BmcTask::of(&answer);
        let mut message = reset::about(task.message(), Some("s1"), "/x");
        task.annotate(&mut message);
        assert_eq!(message["MessageId"], "TaskEvent.1.0.TaskStarted");
        assert_eq!(message["MessageArgs"], json!(["s1-7"]));
        assert_eq!(
            message["Oem"]["RedDrum"]["Task"]["@odata.id"],
            "/redfish/v1/TaskService/Tasks/s1-7"
        );
        assert_eq!(
            message["Oem"]["RedDrum"]["TaskMonitor"],
            "/redfish/v1/TaskService/TaskMonitors/s1-7"
        );
        assert_eq!(message["Oem"]["RedDrum"]["Bmc"], "s1");
        let bare = BmcTask::of(&Reply::json(204, Bytes::new()));
        assert_eq!(bare, BmcTask::default());
        assert_eq!(bare.message()["MessageId"], "Base.1.22.Success");
    }
}
