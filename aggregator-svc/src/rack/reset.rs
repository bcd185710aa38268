//! `#Chassis.Reset` on the rack: ComputerSystem.Reset with the same ResetType on every aggregated
//! server in parallel, as one local Task with a message per server.

use crate::error::AggError;
use crate::inventory::{BmcEntry, Inventory};
use crate::rack::Rack;
use crate::rack::tasks::{Outcome, finish_body, push_message};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use redfish::events::EventMessage;
use redfish::path::{bmc_path, classify};
use serde_json::{Value, json};
use std::sync::Arc;

/// ResetTypes the rack accepts (what the OCP Rack Manager profile asks for).
pub const RACK_RESET_TYPES: &[&str] = &["ForceRestart"];

/// One server's result: a Task message.
async fn reset_system(bmc: &BmcEntry, system: &str, reset_type: &str) -> (bool, Value) {
    let target = classify(system);
    let Some((_, path)) = bmc_path(&target) else {
        return (
            false,
            redfish::messages::Message::internal_error().extended_info(),
        );
    };
    // The BMC's own action target (vendors differ: trailing slashes, OEM paths).
    let action = match bmc.client.send(Method::GET, &path, &[], Bytes::new()).await {
        Ok(r) if r.status.is_success() => serde_json::from_slice::<Value>(&r.body)
            .ok()
            .and_then(|v| {
                v["Actions"]["#ComputerSystem.Reset"]["target"]
                    .as_str()
                    .map(|t| bmc.ctx().relative(t).unwrap_or(t).to_owned())
            })
            .unwrap_or_else(|| {
                format!(
                    "{}/Actions/ComputerSystem.Reset",
                    path.trim_end_matches('/')
                )
            }),
        Ok(r) => return (false, http_failure(bmc, r.status.as_u16(), system)),
        Err(e) => return (false, e.presentation().message.extended_info()),
    };
    let body = Bytes::from(json!({"ResetType": reset_type}).to_string());
    let headers = [(
        HeaderName::from_static("content-type"),
        HeaderValue::from_static("application/json"),
    )];
    match bmc.client.send(Method::POST, &action, &headers, body).await {
        Ok(r) if r.status.is_success() => (
            true,
            EventMessage::resource_state_changed(system, &format!("{reset_type} requested"))
                .to_message_json(),
        ),
        Ok(r) => (false, http_failure(bmc, r.status.as_u16(), system)),
        Err(e) => (false, e.presentation().message.extended_info()),
    }
}

fn http_failure(bmc: &BmcEntry, status: u16, system: &str) -> Value {
    EventMessage::resource_errors_detected(
        system,
        &format!("the BMC {} answered HTTP {status}", bmc.id),
    )
    .to_message_json()
}

/// Every aggregated server: (BMC, system URI).
fn servers(inventory: &Inventory) -> Vec<(Arc<BmcEntry>, String)> {
    inventory
        .bmcs()
        .into_iter()
        .flat_map(|bmc| {
            inventory
                .members_of(bmc.id.as_str(), "Systems")
                .into_iter()
                .map(move |s| (bmc.clone(), s))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Creates the task and returns its id; the fan-out runs on `tracker`.
pub async fn start(
    inventory: Arc<Inventory>,
    rack: Arc<Rack>,
    tracker: &tokio_util::task::TaskTracker,
    reset_type: &str,
    user: &str,
) -> Result<String, AggError> {
    let settings = rack.settings();
    let keep = settings.manager.max_tasks;
    let rack_uri = super::chassis_uri(&settings.rack.id);
    let id = rack
        .tasks
        .create(&format!("Rack {reset_type}"), keep)
        .await?;
    rack.register_members(&inventory);
    rack.log
        .record(
            EventMessage::resource_state_changed(
                &rack_uri,
                &format!("{reset_type} requested by {user} (task {id})"),
            ),
            Some(rack_uri.clone()),
        )
        .await;
    let reset_type = reset_type.to_owned();
    let task_id = id.clone();
    tracker.spawn(async move {
        let targets = servers(&inventory);
        let total = targets.len();
        let mut set = tokio::task::JoinSet::new();
        for (bmc, system) in targets {
            let reset_type = reset_type.clone();
            set.spawn(async move { reset_system(&bmc, &system, &reset_type).await });
        }
        let (mut done, mut failed) = (0usize, 0usize);
        while let Some(joined) = set.join_next().await {
            let (ok, message) = match joined {
                Ok(result) => result,
                Err(e) => {
                    tracing::warn!(error = %e, "a server reset did not finish");
                    (
                        false,
                        redfish::messages::Message::internal_error().extended_info(),
                    )
                }
            };
            done += 1;
            failed += usize::from(!ok);
            let percent = done * 100 / total.max(1);
            rack.tasks
                .update(&task_id, keep, |body| {
                    push_message(body, message);
                    body["PercentComplete"] = percent.into();
                })
                .await;
        }
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
        rack.log.record(summary, Some(rack_uri)).await;
    });
    Ok(id)
}
