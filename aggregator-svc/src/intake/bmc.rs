//! One BMC's intake task: reads its EventService, then follows its event stream, keeps its push
//! subscription, or polls its systems, reading the EventService again when the BMC stops
//! offering what was used. A BMC that is down is retried with backoff (1 s doubling up to
//! `retry_max_secs`); no BMC waits on another's task.

use super::{InboundUrl, Mode, Shared, localize, poll, push, sse};
use crate::AppState;
use crate::error::AggError;
use crate::inventory::BmcEntry;
use bytes::Bytes;
use http::Method;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What one BMC's task works with.
pub struct Ctx {
    pub state: Arc<AppState>,
    pub shared: Arc<Shared>,
    pub entry: Arc<BmcEntry>,
    /// Cancelled when the BMC is removed or replaced, and at shutdown.
    pub cancel: CancellationToken,
    shutdown: CancellationToken,
    pub retry_max: Duration,
    /// What polling last read of each system.
    pub seen: poll::LastSeen,
}

impl Ctx {
    /// True when the task ends because the BMC was removed or replaced (not at shutdown).
    pub fn removed(&self) -> bool {
        self.cancel.is_cancelled() && !self.shutdown.is_cancelled()
    }

    /// Publishes the records of one Event payload the BMC streamed, localized.
    pub fn publish_payload(&self, payload: Value) {
        Self::publish_records(&self.state, &self.entry, payload, "sse");
    }

    /// Publishes the records of one Event payload `entry` sent, localized; `how` for metrics.
    pub fn publish_records(state: &AppState, entry: &BmcEntry, payload: Value, how: &'static str) {
        let records = match payload {
            Value::Object(mut map) => match map.remove("Events") {
                Some(Value::Array(records)) => records,
                _ => return,
            },
            _ => return,
        };
        let ctx = entry.ctx();
        for record in records {
            if entry.downstream().is_some() && tells_health_change(&record) {
                // A rack under a row: one of its servers changed health. The row reads the
                // rack's sources now rather than at its next scheduled read.
                state.inventory.poke(&entry.id);
            }
            match localize::localize_record(record, &ctx) {
                Some(localized) => {
                    state.metrics.intake.taken(how, 1);
                    state.events.publish(localized);
                }
                None => {
                    tracing::debug!(bmc = %entry.id, "an event record that is no object; skipped")
                }
            }
        }
    }

    /// GET of a BMC path as JSON; Ok(None) when the BMC answers 404 (or 405).
    pub async fn get_json(&self, path: &str) -> Result<Option<Value>, AggError> {
        let reply = self
            .entry
            .client
            .send(Method::GET, path, &[], Bytes::new())
            .await?;
        if matches!(reply.status.as_u16(), 404 | 405) {
            return Ok(None);
        }
        if !reply.status.is_success() {
            return Err(AggError::BmcBadReply {
                bmc: self.entry.id.to_string(),
                reason: format!("GET {path}: status {}", reply.status.as_u16()),
            });
        }
        serde_json::from_slice(&reply.body)
            .map(Some)
            .map_err(|e| AggError::BmcBadReply {
                bmc: self.entry.id.to_string(),
                reason: format!("GET {path}: {e}"),
            })
    }

    /// A link the BMC gave, as a path on it (absolute URLs of its own origins made relative).
    pub fn bmc_path(&self, link: &str) -> Option<String> {
        if link.starts_with('/') {
            return Some(link.to_owned());
        }
        self.entry.ctx().relative(link).map(str::to_owned)
    }
}

/// Exponential backoff, cancellable.
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(max: Duration) -> Self {
        Backoff {
            next: Duration::from_secs(1),
            max: max.max(Duration::from_secs(1)),
        }
    }

    pub fn reset(&mut self) {
        self.next = Duration::from_secs(1);
    }

    /// Sleeps the current delay and doubles it; false when cancelled meanwhile.
    pub async fn sleep(&mut self, cancel: &CancellationToken) -> bool {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        tokio::select! {
            () = cancel.cancelled() => false,
            () = tokio::time::sleep(wait) => true,
        }
    }
}

/// Why following a BMC's events stopped.
pub enum Ended {
    /// The BMC no longer offers what was used: read its EventService again.
    Gone,
    /// Removed, replaced or shutting down.
    Cancelled,
}

/// What a BMC's EventService offers.
#[derive(Debug, PartialEq, Eq)]
enum Offer {
    /// The stream's path on the BMC.
    Sse(String),
    /// The subscription collection's path on the BMC.
    Push(String),
    Nothing,
}

async fn probe(ctx: &Ctx) -> Result<Offer, AggError> {
    let Some(root) = ctx.get_json("/redfish/v1").await? else {
        return Ok(Offer::Nothing);
    };
    let Some(link) = root["EventService"]["@odata.id"].as_str() else {
        return Ok(Offer::Nothing);
    };
    let Some(path) = ctx.bmc_path(link) else {
        return Ok(Offer::Nothing);
    };
    let Some(service) = ctx.get_json(&path).await? else {
        return Ok(Offer::Nothing);
    };
    if service["ServiceEnabled"] == Value::Bool(false) {
        return Ok(Offer::Nothing);
    }
    if let Some(uri) = service["ServerSentEventUri"]
        .as_str()
        .and_then(|u| ctx.bmc_path(u))
    {
        return Ok(Offer::Sse(uri));
    }
    match service["Subscriptions"]["@odata.id"]
        .as_str()
        .and_then(|u| ctx.bmc_path(u))
    {
        Some(subs) => Ok(Offer::Push(subs)),
        None => Ok(Offer::Nothing),
    }
}

/// Runs one BMC's intake until it is removed, replaced or the service shuts down.
pub async fn run(
    state: Arc<AppState>,
    shared: Arc<Shared>,
    entry: Arc<BmcEntry>,
    removed: CancellationToken,
    shutdown: CancellationToken,
) {
    let config = state.config();
    let inbound = config
        .events_inbound_listen
        .and(config.events_inbound_url.as_deref())
        .and_then(|u| InboundUrl::parse(u).ok());
    let ctx = Ctx {
        retry_max: Duration::from_secs(config.retry_max_secs),
        state,
        shared,
        entry,
        cancel: removed,
        shutdown,
        seen: Default::default(),
    };
    let id = ctx.entry.id.as_str().to_owned();
    let mut backoff = Backoff::new(ctx.retry_max);
    let mut told_no_inbound = false;
    while !ctx.cancel.is_cancelled() {
        let offer = match probe(&ctx).await {
            Ok(offer) => offer,
            Err(e) => {
                tracing::debug!(bmc = %id, error = %e, "cannot read the BMC's EventService yet");
                if !backoff.sleep(&ctx.cancel).await {
                    break;
                }
                continue;
            }
        };
        backoff.reset();
        let ended = match (offer, &inbound) {
            (Offer::Sse(uri), _) => {
                ctx.shared.set_mode(&id, Some(Mode::Sse));
                sse::follow(&ctx, &uri).await
            }
            (Offer::Push(subs), Some(inbound)) => {
                ctx.shared.set_mode(&id, Some(Mode::Push));
                push::keep(&ctx, inbound, &subs).await
            }
            (offer, _) => {
                if matches!(offer, Offer::Push(_)) && !told_no_inbound {
                    told_no_inbound = true;
                    tracing::warn!(bmc = %id, "the BMC offers push subscriptions only and no events_inbound_listen is configured: its power and health are polled instead");
                }
                ctx.shared.set_mode(&id, Some(Mode::Polled));
                // Its EventService is read again after a discovery interval.
                let recheck = Duration::from_secs(ctx.state.config().discovery_interval_secs);
                poll::watch(&ctx, recheck).await
            }
        };
        if matches!(ended, Ended::Cancelled) {
            break;
        }
    }
    if ctx.removed() {
        push::forget(&ctx).await;
    }
}

/// Whether an event record reports a change of a resource's health (Base or ResourceEvent
/// `ResourceStatusChanged*`).
fn tells_health_change(record: &Value) -> bool {
    record
        .get("MessageId")
        .and_then(Value::as_str)
        .and_then(|id| id.rsplit('.').next())
        .is_some_and(|key| key.starts_with("ResourceStatusChanged"))
}
