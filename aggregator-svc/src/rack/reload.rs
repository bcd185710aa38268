//! `#Manager.Reset` of the rack manager. GracefulRestart reads the config file again (keeping the
//! running config, and logging why, when the new one is invalid), applies what can change while
//! running (BMCs, their PDU sockets, the rack resources) and starts a discovery pass. PowerCycle
//! does the same and also drops every BMC session, so each BMC is logged into afresh.

use crate::AppState;
use crate::bmc_client::BmcClient;
use crate::config::AggregatorConfig;
use crate::error::AggError;
use crate::inventory::BmcEntry;
use redfish::events::EventMessage;
use std::collections::HashMap;
use std::sync::Arc;

pub const MANAGER_RESET_TYPES: &[&str] = &["GracefulRestart", "PowerCycle"];

/// Builds the BMC entries of `config`, reusing the client (and its session) of every BMC whose
/// connection settings did not change.
fn rebuild_bmcs(state: &AppState, config: &AggregatorConfig) -> Result<Vec<Arc<BmcEntry>>, String> {
    let valid = config.validate().map_err(|e| e.to_string())?;
    let current: HashMap<String, Arc<BmcEntry>> = state
        .inventory
        .bmcs()
        .into_iter()
        .map(|b| (b.id.to_string(), b))
        .collect();
    let running = state.config();
    let old_valid: HashMap<String, crate::config::ValidBmc> = running
        .validate()
        .unwrap_or_default()
        .into_iter()
        .map(|b| (b.id.to_string(), b))
        .collect();
    let mut out = Vec::with_capacity(valid.len());
    for bmc in &valid {
        let key = bmc.id.to_string();
        let reusable = match (current.get(&key), old_valid.get(&key)) {
            (Some(entry), Some(old)) if old.same_connection(bmc) => Some(entry.clone()),
            _ => None,
        };
        let client = match &reusable {
            Some(entry) => entry.client.clone(),
            None => BmcClient::new(bmc, state.limits)
                .map_err(|e| format!("aggregator.bmcs.{key}: {e}"))?,
        };
        let entry = BmcEntry::with_options(
            client,
            bmc.pdu_socket.clone(),
            Some(state.health_events.clone()),
        );
        if let Some(old) = &reusable {
            entry.inherit_health(old);
        }
        out.push(Arc::new(entry));
    }
    Ok(out)
}

/// What a running service cannot change without a process restart.
fn fixed_keys_changed(old: &AggregatorConfig, new: &AggregatorConfig) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if old.grpc_listen != new.grpc_listen {
        changed.push("grpc_listen");
    }
    if old.state_dir != new.state_dir {
        changed.push("state_dir");
    }
    if old.discovery_interval_secs != new.discovery_interval_secs {
        changed.push("discovery_interval_secs");
    }
    if old.discovery_concurrency != new.discovery_concurrency {
        changed.push("discovery_concurrency");
    }
    changed
}

/// A refused reload, in the rack manager's log.
async fn log_refusal(state: &AppState, origin: &str, reason: &str) {
    state
        .rack
        .log
        .record(
            EventMessage::resource_errors_detected(
                "configuration",
                &format!("reload refused, running config kept: {reason}"),
            ),
            Some(origin.to_owned()),
        )
        .await;
}

/// Reloads the config; Ok(false) when the new one was refused (and logged).
async fn reload(state: &AppState, origin: &str) -> bool {
    let running = state.config();
    let new = match running.reload() {
        Ok(c) => c,
        Err(e) => {
            log_refusal(state, origin, &e.to_string()).await;
            return false;
        }
    };
    let bmcs = match rebuild_bmcs(state, &new) {
        Ok(b) => b,
        Err(e) => {
            log_refusal(state, origin, &e.to_string()).await;
            return false;
        }
    };
    let fixed = fixed_keys_changed(&running, &new);
    if !fixed.is_empty() {
        tracing::warn!(keys = ?fixed, "these keys take effect only when the process restarts");
    }
    state.inventory.replace_bmcs(bmcs);
    state.rack.set_settings(new.rack_settings());
    state.rack.register_members(&state.inventory);
    state.set_config(new);
    state
        .rack
        .log
        .record(EventMessage::resource_changed(), Some(origin.to_owned()))
        .await;
    true
}

/// Performs a Manager.Reset of the rack manager.
pub async fn reset_manager(state: &AppState, reset_type: &str, user: &str) -> Result<(), AggError> {
    let settings = state.rack.settings();
    let origin = super::manager_uri(&settings.manager.id);
    state
        .rack
        .log
        .record(
            EventMessage::manager_reset(&settings.manager.id, reset_type),
            Some(origin.clone()),
        )
        .await;
    tracing::info!(reset_type, user, "rack manager reset");
    reload(state, &origin).await;
    if reset_type == "PowerCycle" {
        for bmc in state.inventory.bmcs() {
            bmc.client.logout().await;
        }
    }
    state.discovery_wake.notify_one();
    state.rack.readings_wake.notify_one();
    Ok(())
}
