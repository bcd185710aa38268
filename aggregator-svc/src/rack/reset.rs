//! Actions fanned out to many servers as one local Task with a message per element: the rack's
//! `#Chassis.Reset` (ComputerSystem.Reset on every aggregated server) and the Aggregates' Reset and
//! SetDefaultBootOrder (on their element systems), in batches; the UpdateService's SimpleUpdate
//! over several BMCs brings its own elements (one per BMC, [`crate::local`]'s `update`).

use crate::error::AggError;
use crate::inventory::{BmcEntry, Inventory};
use crate::rack::Rack;
use crate::rack::tasks::{Outcome, finish_body, push_message};
use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use http::{HeaderName, HeaderValue, Method};
use redfish::events::EventMessage;
use redfish::messages::Message;
use redfish::path::{bmc_path, classify};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// ResetTypes the rack accepts (what the OCP Rack Manager profile asks for).
pub const RACK_RESET_TYPES: &[&str] = &["ForceRestart"];

/// Every `Resource.ResetType`: what an aggregate's Reset passes on. A BMC refuses what its system
/// cannot do, and that refusal is the server's message in the task.
pub const RESET_TYPES: &[&str] = &[
    "On",
    "ForceOff",
    "GracefulShutdown",
    "GracefulRestart",
    "ForceRestart",
    "Nmi",
    "ForceOn",
    "PushPowerButton",
    "PowerCycle",
    "Suspend",
    "Pause",
    "Resume",
    "FullPowerCycle",
];

/// Servers acted on at once when the client sets no batch size: enough to reset a rack in a few
/// rounds, few enough not to flood the management network (or a PDU) with power-on surges.
pub const DEFAULT_BATCH: usize = 16;

/// The ComputerSystem action sent to every server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemAction {
    Reset(String),
    SetDefaultBootOrder,
}

impl SystemAction {
    fn name(&self) -> &'static str {
        match self {
            SystemAction::Reset(_) => "ComputerSystem.Reset",
            SystemAction::SetDefaultBootOrder => "ComputerSystem.SetDefaultBootOrder",
        }
    }

    fn body(&self) -> Bytes {
        match self {
            SystemAction::Reset(t) => Bytes::from(json!({"ResetType": t}).to_string()),
            SystemAction::SetDefaultBootOrder => Bytes::from_static(b"{}"),
        }
    }

    /// What was asked, for task names and messages ("ForceRestart", "SetDefaultBootOrder").
    pub fn what(&self) -> &str {
        match self {
            SystemAction::Reset(t) => t,
            SystemAction::SetDefaultBootOrder => "SetDefaultBootOrder",
        }
    }
}

/// How many servers at once, and how long to wait between batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub batch: usize,
    /// Zero: a sliding window of `batch` (a slow BMC holds one slot, not a whole batch);
    /// otherwise each batch finishes, then the delay, then the next batch starts.
    pub delay: Duration,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            batch: DEFAULT_BATCH,
            delay: Duration::ZERO,
        }
    }
}

/// One element's work in a job: a future does nothing until polled, so it starts only when the
/// job's pace lets it; it ends with the element's success and its message for the Task.
pub type Element = BoxFuture<'static, (bool, Value)>;

/// One fan-out: the task's name, the resource its log entries are about, who asked, what (for the
/// log: "ForceRestart", "SimpleUpdate"), and the elements to run at `pace`.
pub struct Job {
    pub name: String,
    pub origin: String,
    pub user: String,
    pub what: String,
    pub pace: Pace,
    pub elements: Vec<Element>,
}

/// `action` on each of `systems` (aggregate URIs): one element per system.
pub fn on_systems(
    inventory: &Arc<Inventory>,
    action: &SystemAction,
    systems: Vec<String>,
) -> Vec<Element> {
    systems
        .into_iter()
        .map(|system| {
            let (inventory, action) = (inventory.clone(), action.clone());
            async move { run_on_system(&inventory, &system, &action).await }.boxed()
        })
        .collect()
}

/// Every per-server message names the BMC and the server in `Oem.RedDrum` (a BMC's error comes
/// from the Base registry, whose messages have no argument naming the resource), so a client maps
/// results to servers by one property whatever the message.
pub fn about(mut message: Value, bmc: Option<&str>, system: &str) -> Value {
    if let Some(obj) = message.as_object_mut() {
        let oem = obj.entry("Oem").or_insert_with(|| json!({}));
        if !oem.is_object() {
            *oem = json!({});
        }
        let mut ours = json!({"OriginOfCondition": {"@odata.id": system}});
        if let Some(bmc) = bmc {
            ours["Bmc"] = bmc.into();
        }
        oem["RedDrum"] = ours;
    }
    message
}

/// One server's result: success, and its Task message.
pub async fn run_on_system(
    inventory: &Inventory,
    system: &str,
    action: &SystemAction,
) -> (bool, Value) {
    let target = classify(system);
    let found = bmc_path(&target).and_then(|(id, path)| Some((inventory.bmc(id)?, path)));
    let Some((bmc, path)) = found else {
        // The BMC left the rack since the system was listed.
        let missing = Message::resource_missing_at_uri(system).extended_info();
        return (false, about(missing, None, system));
    };
    let (ok, message) = send_action(&bmc, system, &path, action).await;
    (ok, about(message, Some(bmc.id.as_str()), system))
}

async fn send_action(
    bmc: &BmcEntry,
    system: &str,
    path: &str,
    action: &SystemAction,
) -> (bool, Value) {
    // The BMC's own action target (vendors differ: trailing slashes, OEM paths).
    let target = match bmc.client.send(Method::GET, path, &[], Bytes::new()).await {
        Ok(r) if r.status.is_success() => serde_json::from_slice::<Value>(&r.body)
            .ok()
            .and_then(|v| {
                v["Actions"][format!("#{}", action.name())]["target"]
                    .as_str()
                    .map(|t| bmc.ctx().relative(t).unwrap_or(t).to_owned())
            })
            .unwrap_or_else(|| format!("{}/Actions/{}", path.trim_end_matches('/'), action.name())),
        Ok(r) => return (false, bmc_error(bmc, r.status.as_u16(), &r.body, system)),
        Err(e) => return (false, e.presentation().message.extended_info()),
    };
    let headers = [(
        HeaderName::from_static("content-type"),
        HeaderValue::from_static("application/json"),
    )];
    match bmc
        .client
        .send(Method::POST, &target, &headers, action.body())
        .await
    {
        Ok(r) if r.status.is_success() => (
            true,
            EventMessage::resource_state_changed(system, &format!("{} requested", action.what()))
                .to_message_json(),
        ),
        Ok(r) => (false, bmc_error(bmc, r.status.as_u16(), &r.body, system)),
        Err(e) => (false, e.presentation().message.extended_info()),
    }
}

/// The BMC's own error: its first `@Message.ExtendedInfo` entry (localized, as a forwarded reply
/// would be), or, when it sent none, which status it answered (about `system`, the resource acted
/// on).
pub fn bmc_error(bmc: &BmcEntry, status: u16, body: &[u8], system: &str) -> Value {
    let own = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["@Message.ExtendedInfo"].get(0).cloned())
        .filter(|m| m["MessageId"].is_string());
    match own {
        Some(mut message) => {
            redfish::rewrite::localize_body(&mut message, &bmc.ctx());
            message
        }
        None => EventMessage::resource_errors_detected(
            system,
            &format!("the BMC {} answered HTTP {status}", bmc.id),
        )
        .to_message_json(),
    }
}

/// Every aggregated server's system URI.
fn servers(inventory: &Inventory) -> Vec<String> {
    inventory
        .bmcs()
        .iter()
        .flat_map(|bmc| inventory.members_of(bmc.id.as_str(), "Systems"))
        .collect()
}

/// The rack's `#Chassis.Reset`: `reset_type` on every aggregated server. Returns the task id.
pub async fn start(
    inventory: Arc<Inventory>,
    rack: Arc<Rack>,
    tracker: &tokio_util::task::TaskTracker,
    reset_type: &str,
    user: &str,
) -> Result<String, AggError> {
    let action = SystemAction::Reset(reset_type.to_owned());
    let job = Job {
        name: format!("Rack {reset_type}"),
        origin: super::chassis_uri(&rack.settings().rack.id),
        user: user.to_owned(),
        what: action.what().to_owned(),
        pace: Pace::default(),
        elements: on_systems(&inventory, &action, servers(&inventory)),
    };
    start_job(inventory, rack, tracker, job).await
}

/// Creates the task and returns its id; the fan-out runs on `tracker`. The task ends `Completed`
/// when every element succeeded, `Exception` (Warning, or Critical when all failed) otherwise.
pub async fn start_job(
    inventory: Arc<Inventory>,
    rack: Arc<Rack>,
    tracker: &tokio_util::task::TaskTracker,
    job: Job,
) -> Result<String, AggError> {
    let Job {
        name,
        origin,
        user,
        what,
        pace,
        elements,
    } = job;
    let keep = rack.settings().manager.max_tasks;
    let id = rack.tasks.create(&name, keep).await?;
    rack.register_members(&inventory);
    rack.log
        .record(
            EventMessage::resource_state_changed(
                &origin,
                &format!("{what} requested by {user} (task {id})"),
            ),
            Some(origin.clone()),
        )
        .await;
    let task_id = id.clone();
    tracker.spawn(async move {
        let (total, failed) = fan_out(&rack, &task_id, keep, pace, elements).await;
        let outcome = match failed {
            0 => Outcome::Ok,
            f if f == total => Outcome::Failed,
            _ => Outcome::Warning,
        };
        let summary = match outcome {
            Outcome::Ok => EventMessage::task_completed_ok(&task_id),
            Outcome::Warning => EventMessage::task_completed_warning(&task_id),
            Outcome::Failed => EventMessage::task_aborted(&task_id),
        };
        rack.tasks
            .update(&task_id, keep, |body| {
                finish_body(body, outcome);
                push_message(body, summary.to_message_json());
            })
            .await;
        rack.log.record(summary, Some(origin)).await;
    });
    Ok(id)
}

/// Runs the elements at `pace`, adding each result to the task as it comes; returns (elements,
/// failures).
async fn fan_out(
    rack: &Rack,
    task_id: &str,
    keep: u32,
    pace: Pace,
    elements: Vec<Element>,
) -> (usize, usize) {
    let total = elements.len();
    let batch = pace.batch.max(1);
    let mut queue = elements.into_iter().peekable();
    let mut set = tokio::task::JoinSet::new();
    let (mut done, mut failed) = (0usize, 0usize);
    loop {
        if pace.delay.is_zero() {
            while set.len() < batch {
                let Some(element) = queue.next() else { break };
                set.spawn(element);
            }
        } else if set.is_empty() && queue.peek().is_some() {
            if done > 0 {
                tokio::time::sleep(pace.delay).await;
            }
            for element in queue.by_ref().take(batch) {
                set.spawn(element);
            }
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        let (ok, message) = joined.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "a task element did not finish");
            (false, Message::internal_error().extended_info())
        });
        done += 1;
        failed += usize::from(!ok);
        let percent = done * 100 / total.max(1);
        rack.tasks
            .update(task_id, keep, |body| {
                push_message(body, message);
                body["PercentComplete"] = percent.into();
            })
            .await;
    }
    (total, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_server_message_names_its_server_and_bmc_over_any_oem() {
        let m = about(
            json!({"MessageId": "Base.1.0.InternalError", "Oem": "odd"}),
            Some("s2"),
            "/redfish/v1/Systems/s2-1",
        );
        assert_eq!(m["Oem"]["RedDrum"]["Bmc"], "s2");
        assert_eq!(
            m["Oem"]["RedDrum"]["OriginOfCondition"]["@odata.id"],
            "/redfish/v1/Systems/s2-1"
        );
        let gone = about(json!({"MessageId": "x"}), None, "/redfish/v1/Systems/s9-1");
        assert!(gone["Oem"]["RedDrum"].get("Bmc").is_none());
    }

    #[tokio::test]
    async fn a_system_of_a_bmc_no_longer_configured_fails_without_a_request() {
        let inventory = Inventory::new(Vec::new());
        let (ok, m) = run_on_system(
            &inventory,
            "/redfish/v1/Systems/s9-1",
            &SystemAction::SetDefaultBootOrder,
        )
        .await;
        assert!(!ok);
        assert_eq!(m["MessageId"], "Base.1.22.ResourceMissingAtURI");
    }
}
