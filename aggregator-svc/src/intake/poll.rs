//! Events of BMCs whose events are not taken (no EventService, or push only and no inbound
//! listener): each of their systems' `PowerState` and `Status.Health` is read every
//! `readings.interval_secs` (the background sampler's interval, each read within
//! `readings.timeout_ms`) and a change is published as a ResourceEvent
//! (`ResourcePoweredOn`/`Off`, `ResourcePoweringOn`/`Off`, `ResourceStatusChangedOK`/`Warning`/
//! `Critical`) with the system's aggregate URI as its origin. The first reading of a system is
//! no change. BMCs whose events are taken are not polled: what they send is not published twice.

use super::bmc::{Ctx, Ended};
use redfish::events::EventMessage;
use redfish::path::{bmc_path, classify};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// What was last read of one system.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Seen {
    power: Option<String>,
    health: Option<String>,
}

/// Per BMC, what was last read of each system (kept across [`watch`] calls).
#[derive(Default)]
pub struct LastSeen(Mutex<HashMap<String, Seen>>);

/// The messages a change from `before` to `now` of `resource` makes.
pub fn changes(resource: &str, before: &Seen, now: &Seen) -> Vec<EventMessage> {
    let mut out = Vec::new();
    if let (Some(b), Some(n)) = (&before.power, &now.power)
        && b != n
        && let Some(m) = EventMessage::resource_power(resource, n)
    {
        out.push(m);
    }
    if let (Some(b), Some(n)) = (&before.health, &now.health)
        && b != n
    {
        match n.as_str() {
            "OK" => out.push(EventMessage::resource_status_changed_ok(resource)),
            "Warning" => out.push(EventMessage::resource_status_changed_warning(resource)),
            "Critical" => out.push(EventMessage::resource_status_changed_critical(resource)),
            _ => {}
        }
    }
    out
}

/// Polls for `span`, then answers Gone (the caller reads the EventService again).
pub async fn watch(ctx: &Ctx, span: Duration) -> Ended {
    let until = tokio::time::Instant::now() + span;
    loop {
        sample(ctx).await;
        let every = Duration::from_secs(ctx.state.rack.settings().readings.interval_secs.max(1));
        let now = tokio::time::Instant::now();
        if now >= until {
            return Ended::Gone;
        }
        tokio::select! {
            () = ctx.cancel.cancelled() => return Ended::Cancelled,
            () = tokio::time::sleep(every.min(until - now)) => {}
        }
    }
}

async fn sample(ctx: &Ctx) {
    let timeout = Duration::from_millis(ctx.state.rack.settings().readings.timeout_ms);
    for system in ctx
        .state
        .inventory
        .members_of(ctx.entry.id.as_str(), "Systems")
    {
        let target = classify(&system);
        let Some((_, path)) = bmc_path(&target) else {
            continue;
        };
        let Ok(Ok(Some(body))) = tokio::time::timeout(timeout, ctx.get_json(&path)).await else {
            continue;
        };
        let now = Seen {
            power: body["PowerState"].as_str().map(str::to_owned),
            health: body["Status"]["Health"].as_str().map(str::to_owned),
        };
        let before = ctx
            .seen
            .0
            .lock()
            .ok()
            .and_then(|mut m| m.insert(system.clone(), now.clone()));
        let Some(before) = before else {
            continue;
        };
        for message in changes(&system, &before, &now) {
            ctx.state.metrics.intake.taken("polled", 1);
            ctx.state.events.publish_message(&message, &system);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(power: &str, health: &str) -> Seen {
        Seen {
            power: Some(power.into()),
            health: Some(health.into()),
        }
    }

    #[test]
    fn a_change_of_power_or_health_is_a_resource_event() {
        let sys = "/redfish/v1/Systems/s1-1";
        let ids = |before, now| -> Vec<String> {
            changes(sys, &before, &now)
                .iter()
                .map(|m| m.message_id())
                .collect()
        };
        assert!(ids(seen("On", "OK"), seen("On", "OK")).is_empty());
        assert_eq!(
            ids(seen("On", "OK"), seen("Off", "OK")),
            ["ResourceEvent.1.4.ResourcePoweredOff"]
        );
        assert_eq!(
            ids(seen("Off", "OK"), seen("On", "Critical")),
            [
                "ResourceEvent.1.4.ResourcePoweredOn",
                "ResourceEvent.1.4.ResourceStatusChangedCritical"
            ]
        );
        // Nothing known before: no change.
        assert!(ids(Seen::default(), seen("Off", "OK")).is_empty());
    }
}
