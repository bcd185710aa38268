//! A BMC's push subscription to the aggregator's inbound listener: made once, remembered in
//! SQLite (the BMC's URI for it and its secret, under the meta key `event_intake.<bmcId>`), so
//! a restarted aggregator reuses it rather than adding another; checked every
//! `events_verify_secs` and whenever the BMC comes back (a BMC restart may lose it) and made
//! again when lost. Before one is made, every other subscription of ours at the BMC (same
//! Destination: left by a crash between making and storing) is deleted, so they never pile
//! up. When the BMC is removed from the aggregator its subscription is deleted at the BMC.

use super::InboundUrl;
use super::bmc::{Backoff, Ctx, Ended};
use crate::error::AggError;
use bytes::Bytes;
use http::{HeaderValue, Method};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// The header that carries the secret where the BMC supports `HttpHeaders`.
pub const SECRET_HEADER: &str = "x-reddrum-event-secret";
/// How long removing a subscription of a removed BMC may take.
const FORGET_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Stored {
    /// The BMC's address when it was made (a moved BMC gets a new one).
    origin: String,
    destination: String,
    /// The subscription's path on the BMC.
    uri: String,
    secret: String,
}

fn key(bmc: &str) -> String {
    format!("event_intake.{bmc}")
}

async fn load(ctx: &Ctx) -> Option<Stored> {
    let text = ctx
        .state
        .store
        .meta(&key(ctx.entry.id.as_str()))
        .await
        .ok()??;
    serde_json::from_str(&text).ok()
}

async fn save(ctx: &Ctx, stored: &Stored) -> Result<(), AggError> {
    let text = serde_json::to_string(stored).map_err(|e| AggError::Internal(e.to_string()))?;
    ctx.state
        .store
        .set_meta(&key(ctx.entry.id.as_str()), &text)
        .await
}

/// 32 random bytes, hex.
fn new_secret() -> Result<String, AggError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AggError::Internal("no randomness for an event secret".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

enum Failure {
    /// The BMC no longer takes subscriptions.
    Gone,
    Retry(AggError),
}

impl From<AggError> for Failure {
    fn from(e: AggError) -> Self {
        Failure::Retry(e)
    }
}

/// Keeps the BMC's subscription until the BMC stops taking them or the task is cancelled.
pub async fn keep(ctx: &Ctx, inbound: &InboundUrl, subscriptions: &str) -> Ended {
    let id = ctx.entry.id.as_str();
    let destination = inbound.destination(id);
    let mut stored = load(ctx)
        .await
        .filter(|s| s.origin == ctx.entry.client.origin() && s.destination == destination);
    let secret = match stored.as_ref().map(|s| s.secret.clone()) {
        Some(secret) => secret,
        None => match new_secret() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(bmc = %id, error = %e, "cannot make an event secret");
                return Ended::Cancelled;
            }
        },
    };
    // Known before the subscription is made, so its first events are taken.
    ctx.shared.set_secret(id, Some(secret.clone()));
    let mut backoff = Backoff::new(ctx.retry_max);
    // Stale subscriptions of ours are looked for at the first check after a start.
    let mut sweep = true;
    loop {
        match ensure(
            ctx,
            subscriptions,
            &destination,
            &secret,
            &mut stored,
            sweep,
        )
        .await
        {
            Ok(()) => {
                sweep = false;
                backoff.reset();
                if !wait_for_check(ctx).await {
                    return Ended::Cancelled;
                }
            }
            Err(Failure::Gone) => return Ended::Gone,
            Err(Failure::Retry(e)) => {
                tracing::debug!(bmc = %id, error = %e, "cannot check the BMC's event subscription yet");
                if !backoff.sleep(&ctx.cancel).await {
                    return Ended::Cancelled;
                }
            }
        }
    }
}

/// Waits `events_verify_secs`, or less when the BMC comes back up; false when cancelled.
async fn wait_for_check(ctx: &Ctx) -> bool {
    let every = Duration::from_secs(ctx.state.config().events_verify_secs.max(1));
    let deadline = tokio::time::Instant::now() + every;
    let seen = ctx.entry.health().since;
    while tokio::time::Instant::now() < deadline {
        tokio::select! {
            () = ctx.cancel.cancelled() => return false,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let health = ctx.entry.health();
        if health.since != seen
            && matches!(
                health.state,
                crate::inventory::HealthState::Up | crate::inventory::HealthState::Degraded
            )
        {
            break;
        }
    }
    true
}

/// Makes sure the BMC holds our subscription (and, with `sweep`, no other of ours).
async fn ensure(
    ctx: &Ctx,
    subscriptions: &str,
    destination: &str,
    secret: &str,
    stored: &mut Option<Stored>,
    sweep: bool,
) -> Result<(), Failure> {
    if let Some(s) = stored.as_ref() {
        match ctx.get_json(&s.uri).await? {
            Some(sub) if sub["Destination"].as_str() == Some(destination) => {
                if sweep {
                    delete_ours(ctx, subscriptions, destination, Some(&s.uri)).await?;
                }
                return Ok(());
            }
            _ => {
                tracing::warn!(bmc = %ctx.entry.id, "the BMC lost the aggregator's event subscription (restarted?); subscribing again");
                *stored = None;
            }
        }
    }
    delete_ours(ctx, subscriptions, destination, None).await?;
    let uri = create(ctx, subscriptions, destination, secret).await?;
    let fresh = Stored {
        origin: ctx.entry.client.origin().to_owned(),
        destination: destination.to_owned(),
        uri,
        secret: secret.to_owned(),
    };
    save(ctx, &fresh).await?;
    tracing::info!(bmc = %ctx.entry.id, uri = %fresh.uri, "subscribed to the BMC's events");
    *stored = Some(fresh);
    Ok(())
}

/// Deletes every subscription at the BMC whose Destination is ours, but `keep`.
async fn delete_ours(
    ctx: &Ctx,
    subscriptions: &str,
    destination: &str,
    keep: Option<&str>,
) -> Result<(), Failure> {
    let Some(list) = ctx.get_json(subscriptions).await? else {
        return Err(Failure::Gone);
    };
    let members: Vec<String> = list["Members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|v| v["@odata.id"].as_str())
                .filter_map(|u| ctx.bmc_path(u))
                .collect()
        })
        .unwrap_or_default();
    for uri in members {
        if keep.is_some_and(|k| same_path(k, &uri)) {
            continue;
        }
        let Some(sub) = ctx.get_json(&uri).await? else {
            continue;
        };
        if sub["Destination"].as_str() == Some(destination) {
            let reply = ctx
                .entry
                .client
                .send(Method::DELETE, &uri, &[], Bytes::new())
                .await?;
            tracing::info!(bmc = %ctx.entry.id, %uri, status = reply.status.as_u16(), "deleted a stale event subscription of ours at the BMC");
        }
    }
    Ok(())
}

fn same_path(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

async fn create(
    ctx: &Ctx,
    subscriptions: &str,
    destination: &str,
    secret: &str,
) -> Result<String, Failure> {
    let mut body = json!({
        "Destination": destination,
        "Protocol": "Redfish",
        "Context": secret,
        "EventFormatType": "Event",
        "SubscriptionType": "RedfishEvent",
        "HttpHeaders": [{ "X-RedDrum-Event-Secret": secret }],
    });
    let ct = [(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    for attempt in 0..2 {
        let bytes = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
        let reply = ctx
            .entry
            .client
            .send(Method::POST, subscriptions, &ct, bytes)
            .await?;
        let status = reply.status.as_u16();
        if reply.status.is_success() {
            let location = reply
                .headers
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| ctx.bmc_path(l));
            let from_body = serde_json::from_slice::<Value>(&reply.body)
                .ok()
                .and_then(|b| b["@odata.id"].as_str().and_then(|u| ctx.bmc_path(u)));
            return location.or(from_body).ok_or_else(|| {
                Failure::Retry(AggError::BmcBadReply {
                    bmc: ctx.entry.id.to_string(),
                    reason: "a subscription made without Location or @odata.id".into(),
                })
            });
        }
        if matches!(status, 404 | 405) {
            return Err(Failure::Gone);
        }
        // Some BMCs refuse HttpHeaders: the secret then travels in Context alone.
        if status == 400 && attempt == 0 {
            if let Some(map) = body.as_object_mut() {
                map.remove("HttpHeaders");
            }
            continue;
        }
        return Err(Failure::Retry(AggError::BmcBadReply {
            bmc: ctx.entry.id.to_string(),
            reason: format!("subscribing: status {status}"),
        }));
    }
    Err(Failure::Retry(AggError::BmcBadReply {
        bmc: ctx.entry.id.to_string(),
        reason: "subscribing refused".into(),
    }))
}

/// The BMC was removed from the aggregator, or its entry replaced: a subscription at the old
/// address is deleted there (best effort, bounded); a removed BMC's is forgotten too. A
/// replaced entry with the same address leaves it to the new task, which reuses it.
pub async fn forget(ctx: &Ctx) {
    let id = ctx.entry.id.as_str();
    let replacement = ctx.state.inventory.bmc(id);
    if replacement.is_none() {
        ctx.shared.set_secret(id, None);
    }
    let Some(stored) = load(ctx).await else {
        return;
    };
    let moved = replacement
        .as_ref()
        .is_some_and(|r| r.client.origin() != stored.origin);
    if stored.origin == ctx.entry.client.origin() && (replacement.is_none() || moved) {
        let deleted = tokio::time::timeout(
            FORGET_TIMEOUT,
            ctx.entry
                .client
                .send(Method::DELETE, &stored.uri, &[], Bytes::new()),
        )
        .await;
        if !matches!(deleted, Ok(Ok(ref r)) if r.status.is_success() || r.status.as_u16() == 404) {
            tracing::info!(bmc = %id, "could not delete the event subscription at the BMC's old address; it stays there until that BMC drops it");
        }
    }
    if replacement.is_none()
        && let Err(e) = ctx.state.store.delete_meta(&key(id)).await
    {
        tracing::warn!(bmc = %id, error = %e, "could not forget the event subscription");
    }
}
