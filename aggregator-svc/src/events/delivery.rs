//! Delivery to one subscriber: a worker per subscription draining a bounded queue in order. A
//! failed POST is retried `DeliveryRetryAttempts` times, `DeliveryRetryIntervalSeconds` apart;
//! then the subscription's DeliveryRetryPolicy decides (suspend, terminate, or give the event up).
//! Each worker waits only on its own subscriber, so a slow or dead one delays nobody else, and
//! `publish` only pushes to queues.

use super::Shared;
use super::subscription::{RetryPolicy, Subscription};
use bytes::Bytes;
use http::Method;
use http_body_util::Full;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Events held for one subscriber; past it the oldest is dropped (and counted).
pub const QUEUE_CAPACITY: usize = 256;
/// Longest wait for one POST, connection included.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Outbox {
    queue: Mutex<VecDeque<Arc<super::ring::Stored>>>,
    wake: Notify,
    pub cancel: CancellationToken,
}

impl Outbox {
    pub fn new(cancel: CancellationToken) -> Arc<Self> {
        Arc::new(Outbox {
            queue: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            cancel,
        })
    }

    /// Queues one event; false when the oldest had to make room.
    pub fn push(&self, event: Arc<super::ring::Stored>) -> bool {
        let mut dropped = false;
        if let Ok(mut q) = self.queue.lock() {
            if q.len() >= QUEUE_CAPACITY {
                q.pop_front();
                dropped = true;
            }
            q.push_back(event);
        }
        self.wake.notify_one();
        dropped
    }

    pub fn clear(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.clear();
        }
    }

    async fn next(&self) -> Option<Arc<super::ring::Stored>> {
        loop {
            if let Some(e) = self.queue.lock().ok()?.pop_front() {
                return Some(e);
            }
            // notify_one keeps a permit when nobody waits: a push between the check and here
            // is not lost.
            tokio::select! {
                () = self.wake.notified() => {}
                () = self.cancel.cancelled() => return None,
            }
        }
    }
}

/// The worker of subscription `id`, until it is deleted, terminated or the service stops.
pub async fn run(shared: Arc<Shared>, id: u64, outbox: Arc<Outbox>) {
    while let Some(event) = outbox.next().await {
        let Some(sub) = shared.subscription(id) else {
            return;
        };
        if sub.suspended {
            continue;
        }
        match deliver_with_retries(&shared, &sub, &outbox, &event).await {
            Outcome::Delivered => {}
            Outcome::Cancelled => return,
            Outcome::Exhausted => {
                let policy = sub.retry_policy;
                tracing::warn!(
                    subscription = id,
                    policy = policy.name(),
                    "event delivery retries exhausted"
                );
                match policy {
                    RetryPolicy::SuspendRetries => {
                        shared.metrics.stopped(policy.name());
                        outbox.clear();
                        shared.set_suspended(id, true).await;
                    }
                    RetryPolicy::TerminateAfterRetries => {
                        shared.metrics.stopped(policy.name());
                        shared.remove(id).await;
                        return;
                    }
                    RetryPolicy::RetryForever => shared.metrics.dropped("retries_exhausted"),
                }
            }
        }
    }
}

enum Outcome {
    Delivered,
    Exhausted,
    Cancelled,
}

async fn deliver_with_retries(
    shared: &Shared,
    sub: &Subscription,
    outbox: &Outbox,
    event: &super::ring::Stored,
) -> Outcome {
    let body = Bytes::from(serde_json::to_vec(&event_body(sub, event)).unwrap_or_default());
    let mut retries = 0;
    loop {
        let attempt = tokio::select! {
            ok = deliver_once(shared, sub, body.clone()) => ok,
            () = outbox.cancel.cancelled() => return Outcome::Cancelled,
        };
        if attempt {
            shared.metrics.delivered.inc();
            return Outcome::Delivered;
        }
        // Read each time: a PATCH of the EventService applies to deliveries under way.
        let settings = shared.settings();
        if retries >= settings.attempts {
            return Outcome::Exhausted;
        }
        retries += 1;
        let pause = Duration::from_secs(u64::from(settings.interval_secs));
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = outbox.cancel.cancelled() => return Outcome::Cancelled,
        }
        shared.metrics.retries.inc();
    }
}

/// The Event as this subscriber receives it: its Context, the id SSE streams show too.
fn event_body(sub: &Subscription, event: &super::ring::Stored) -> Value {
    json!({
        "@odata.type": "#Event.v1_7_0.Event",
        "Id": event.id.to_string(),
        "Name": "Rack aggregator event",
        "Context": sub.context,
        "Events": [event.record],
    })
}

/// One POST; true when the subscriber answered 2xx.
async fn deliver_once(shared: &Shared, sub: &Subscription, body: Bytes) -> bool {
    let mut request = http::Request::builder()
        .method(Method::POST)
        .uri(&sub.destination)
        .header(http::header::CONTENT_TYPE, "application/json");
    for (name, value) in &sub.http_headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let Ok(request) = request.body(Full::new(body)) else {
        shared.metrics.failed("error");
        return false;
    };
    shared.metrics.attempts.inc();
    match tokio::time::timeout(DELIVERY_TIMEOUT, shared.client.request(request)).await {
        Ok(Ok(r)) if r.status().is_success() => true,
        Ok(Ok(r)) => {
            shared.metrics.failed("refused");
            tracing::warn!(
                subscription = sub.id,
                status = r.status().as_u16(),
                "event refused by subscriber"
            );
            false
        }
        Ok(Err(e)) => {
            shared.metrics.failed("error");
            tracing::warn!(subscription = sub.id, error = %e, "event delivery failed");
            false
        }
        Err(_) => {
            shared.metrics.failed("timeout");
            tracing::warn!(subscription = sub.id, "event delivery timed out");
            false
        }
    }
}
