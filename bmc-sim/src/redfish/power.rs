//! State-changing actions: system reset (power state, pending BIOS), the default boot order,
//! virtual media, test events.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::actions::{done, one_of, params, required_str};
use super::error::ApiError;
use super::events::{self, EventSpec};
use super::router::{HResult, Req};
use crate::bmc::{Bmc, BmcState};
use crate::tree::system::{DEFAULT_BOOT_ORDER, SYSTEM_RESET_TYPES};

const RESET: &str = "ComputerSystem.Reset";

/// `#ComputerSystem.Reset`: changes PowerState, applies pending BIOS settings, emits events. With
/// the `async_power_secs` quirk it succeeds at once and all of that happens later (PowerState
/// keeps its old value meanwhile), as on BMCs whose reset only queues a request to the host.
pub(crate) fn system_reset(bmc: &Arc<Bmc>, st: &mut BmcState, req: &Req, sys: &str) -> HResult {
    let p = params(req, RESET, &["ResetType"])?;
    let kind = one_of(&p, RESET, "ResetType", &SYSTEM_RESET_TYPES)?;
    let delay = bmc.quirks.async_power_secs;
    // Every reset takes a ticket; a delayed one applies only if no later reset came meanwhile.
    st.power_ticket += 1;
    if delay == 0 {
        apply_reset(bmc, st, sys, &kind);
    } else {
        let ticket = st.power_ticket;
        let weak = Arc::downgrade(bmc);
        let cancel = bmc.cancel.clone();
        let sys = sys.to_string();
        tracing::info!(bmc = %bmc.id, %kind, delay_secs = delay, "system reset queued");
        bmc.tracker.spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(delay)) => {}
                _ = cancel.cancelled() => return,
            }
            if let Some(bmc) = weak.upgrade() {
                let mut st = bmc.state();
                if st.power_ticket == ticket {
                    apply_reset(&bmc, &mut st, &sys, &kind);
                }
            }
        });
    }
    Ok(done(st.store.layout().profile))
}

/// What a reset of `kind` does to the system at `sys`, from its power state at this moment.
fn apply_reset(bmc: &Bmc, st: &mut BmcState, sys: &str, kind: &str) {
    let before = st
        .store
        .get(sys)
        .and_then(|e| {
            e.body
                .get("PowerState")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default();
    let after = match kind {
        "ForceOff" | "GracefulShutdown" => "Off",
        "Nmi" => before.as_str(),
        _ => "On",
    }
    .to_string();
    let cycles = matches!(kind, "ForceRestart" | "GracefulRestart" | "PowerCycle");
    set_power(st, sys, &after);
    if after == "On" && (cycles || before != "On") {
        apply_pending_bios(st, sys);
        consume_one_time_boot(st, sys);
    }
    tracing::info!(bmc = %bmc.id, %kind, %before, %after, "system reset");
    if cycles && before == "On" {
        emit_power(bmc, st, sys, "Off");
        emit_power(bmc, st, sys, "On");
    } else if before != after {
        emit_power(bmc, st, sys, &after);
    }
}

/// `#ComputerSystem.SetDefaultBootOrder`: `Boot.BootOrder` back to the firmware's order, with a
/// ResourceChanged event (the change is visible in the system and in the request log).
pub(crate) fn set_default_boot_order(
    bmc: &Arc<Bmc>,
    st: &mut BmcState,
    req: &Req,
    sys: &str,
) -> HResult {
    params(req, "ComputerSystem.SetDefaultBootOrder", &[])?;
    st.store
        .modify(sys, |s| s["Boot"]["BootOrder"] = json!(DEFAULT_BOOT_ORDER));
    tracing::info!(bmc = %bmc.id, system = sys, "default boot order restored");
    let spec = EventSpec::ok(
        "ResourceEvent.1.4.ResourceChanged",
        "One or more resource properties have changed.",
        &[],
        sys,
    );
    events::emit(bmc, st, spec);
    Ok(done(st.store.layout().profile))
}

fn set_power(st: &mut BmcState, sys: &str, state: &str) {
    st.store.modify(sys, |s| s["PowerState"] = json!(state));
    let chassis = st.store.layout().chas();
    st.store
        .modify(&chassis, |c| c["PowerState"] = json!(state));
}

fn emit_power(bmc: &Bmc, st: &mut BmcState, sys: &str, state: &str) {
    let (id, text) = if state == "On" {
        (
            "ResourceEvent.1.4.ResourcePoweredOn",
            "The resource '%1' has powered on.",
        )
    } else {
        (
            "ResourceEvent.1.4.ResourcePoweredOff",
            "The resource '%1' has powered off.",
        )
    };
    let link = st.store.link_of(sys);
    events::emit(bmc, st, EventSpec::ok(id, text, &[&link], sys));
}

/// A host that boots uses a one-time boot override and the firmware clears it (`Once` becomes
/// `Disabled`), as clients such as the DMTF use-case checkers expect.
fn consume_one_time_boot(st: &mut BmcState, sys: &str) {
    st.store.modify(sys, |s| {
        if s["Boot"]["BootSourceOverrideEnabled"] == json!("Once") {
            s["Boot"]["BootSourceOverrideEnabled"] = json!("Disabled");
        }
    });
}

/// Moves `Bios/Settings` attributes into `Bios` (what a reboot does on real hardware).
fn apply_pending_bios(st: &mut BmcState, sys: &str) {
    let settings_path = format!("{sys}/Bios/Settings");
    let pending = st
        .store
        .get(&settings_path)
        .and_then(|e| e.body.get("Attributes").and_then(Value::as_object).cloned())
        .unwrap_or_default();
    if pending.is_empty() {
        return;
    }
    st.store.modify(&format!("{sys}/Bios"), |b| {
        if let Some(attrs) = b.get_mut("Attributes").and_then(Value::as_object_mut) {
            for (k, v) in &pending {
                attrs.insert(k.clone(), v.clone());
            }
        }
    });
    st.store
        .modify(&settings_path, |s| s["Attributes"] = json!({}));
}

/// `#VirtualMedia.InsertMedia`.
pub(crate) fn insert_media(st: &mut BmcState, req: &Req, vm: &str) -> HResult {
    const NAME: &str = "VirtualMedia.InsertMedia";
    let p = params(
        req,
        NAME,
        &[
            "Image",
            "Inserted",
            "WriteProtected",
            "TransferProtocolType",
            "TransferMethod",
            "UserName",
            "Password",
        ],
    )?;
    let image = required_str(&p, NAME, "Image")?;
    let scheme = image
        .split("://")
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let protocol = match p.get("TransferProtocolType").and_then(Value::as_str) {
        Some(t) => t.to_string(),
        None => match scheme.as_str() {
            "HTTP" | "HTTPS" | "NFS" | "CIFS" | "FTP" | "SFTP" => scheme.clone(),
            _ => {
                return Err(vec![ApiError::PropertyValueFormat {
                    value: image,
                    prop: "Image".into(),
                }]);
            }
        },
    };
    let already = st
        .store
        .get(vm)
        .is_some_and(|e| e.body.get("Inserted") == Some(&Value::Bool(true)));
    if already {
        return Err(vec![ApiError::ResourceInUse]);
    }
    let inserted = p.get("Inserted").and_then(Value::as_bool).unwrap_or(true);
    let wp = p
        .get("WriteProtected")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let image_name = image.rsplit('/').next().unwrap_or_default().to_string();
    st.store.modify(vm, |v| {
        v["Image"] = json!(image);
        v["ImageName"] = json!(image_name);
        v["Inserted"] = json!(inserted);
        v["WriteProtected"] = json!(wp);
        v["ConnectedVia"] = json!("URI");
        v["TransferProtocolType"] = json!(protocol);
    });
    Ok(done(st.store.layout().profile))
}

/// `#VirtualMedia.EjectMedia`.
pub(crate) fn eject_media(st: &mut BmcState, req: &Req, vm: &str) -> HResult {
    params(req, "VirtualMedia.EjectMedia", &[])?;
    st.store.modify(vm, |v| {
        v["Image"] = Value::Null;
        v["ImageName"] = Value::Null;
        v["Inserted"] = json!(false);
        v["ConnectedVia"] = json!("NotConnected");
        v["TransferProtocolType"] = Value::Null;
    });
    Ok(done(st.store.layout().profile))
}

/// `#EventService.SubmitTestEvent`: sends the described event to every subscriber.
pub(crate) fn submit_test_event(bmc: &Arc<Bmc>, st: &mut BmcState, req: &Req) -> HResult {
    const NAME: &str = "EventService.SubmitTestEvent";
    let p = params(
        req,
        NAME,
        &[
            "MessageId",
            "MessageArgs",
            "Message",
            "Severity",
            "MessageSeverity",
            "OriginOfCondition",
            "EventId",
            "EventTimestamp",
            "EventType",
            "EventGroupId",
            "Context",
        ],
    )?;
    let message_id = p
        .get("MessageId")
        .and_then(Value::as_str)
        .unwrap_or("ResourceEvent.1.4.ResourceChanged")
        .to_string();
    let spec = EventSpec {
        message_id,
        message: p
            .get("Message")
            .and_then(Value::as_str)
            .unwrap_or("Test event submitted by a client.")
            .to_string(),
        args: p
            .get("MessageArgs")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        severity: p
            .get("MessageSeverity")
            .or_else(|| p.get("Severity"))
            .and_then(Value::as_str)
            .unwrap_or("OK")
            .to_string(),
        origin: p
            .get("OriginOfCondition")
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    events::emit(bmc, st, spec);
    Ok(done(st.store.layout().profile))
}
