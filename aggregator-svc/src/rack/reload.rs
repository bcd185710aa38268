//! `#Manager.Reset` of the rack manager. GracefulRestart reads the config file again (keeping the
//! running config, and logging why, when the new one is invalid), applies what can change while
//! running (BMCs, their PDU sockets, the rack resources) and starts a discovery pass. PowerCycle
//! does the same and also drops every BMC session, so each BMC is logged into afresh.

use crate::AppState;
use crate::config::AggregatorConfig;
use crate::error::AggError;
use redfish::events::EventMessage;

pub const MANAGER_RESET_TYPES: &[&str] = &["GracefulRestart", "PowerCycle"];

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
    let valid = match new.validate() {
        Ok(v) => v,
        Err(e) => {
            log_refusal(state, origin, &e.to_string()).await;
            return false;
        }
    };
    {
        let _sources = state.sources.lock().await;
        let list = state.sources.effective(valid);
        if let Err(e) = crate::sources::apply(state, list).await {
            log_refusal(state, origin, &e).await;
            return false;
        }
    }
    let fixed = fixed_keys_changed(&running, &new);
    if !fixed.is_empty() {
        tracing::warn!(keys = ?fixed, "these keys take effect only when the process restarts");
    }
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
