//! The aggregate's EventService: subscriptions (EventDestination, persisted in SQLite) with their
//! filters ([`filter`]), delivery by one worker per subscription with retries and suspension
//! ([`delivery`]), and Server-Sent Event streams served from a ring of recent events ([`ring`]).
//! Every event, SubmitTestEvent's included, goes through [`EventService::publish`], which never
//! waits. Events of the BMCs themselves can also be subscribed to on each BMC, under its
//! passthrough namespace.

pub mod delivery;
pub mod filter;
pub mod ring;
pub mod stream;
pub mod subscription;

use crate::error::AggError;
use crate::exchange::{Exchange, Reply};
use crate::local::reply;
use crate::store::Store;
use bytes::Bytes;
use delivery::Outbox;
use http::{HeaderValue, Method};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use redfish::events::EventMessage;
use redfish::messages::Message;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use subscription::{Subscription, validate_subscription};

pub const ROOT: &str = "/redfish/v1/EventService";
pub const SSE_URI: &str = "/redfish/v1/EventService/SSE";
const SUBSCRIPTIONS: &str = "/redfish/v1/EventService/Subscriptions";
const SUBMIT_TEST_EVENT: &str = "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent";
const RESUME: &str = "/Actions/EventDestination.ResumeSubscription";
const SUSPEND: &str = "/Actions/EventDestination.SuspendSubscription";
const STORE_KEY: &str = "event_subscriptions";
const SETTINGS_KEY: &str = "event_service_settings";
const MAX_SUBSCRIPTIONS: usize = 64;
/// Recent events kept for SSE resumption.
pub const RING_CAPACITY: usize = 1000;
/// Events an SSE stream may fall behind before it is cut (its client resumes by Last-Event-ID).
pub const SSE_LAG: usize = 256;
const MAX_RETRY_ATTEMPTS: u64 = 10;
const MAX_RETRY_INTERVAL: u64 = 3600;
/// Registries of the events this aggregate publishes itself (BMC events may carry others).
const REGISTRY_PREFIXES: &[&str] = &[
    "Base",
    "ResourceEvent",
    "TaskEvent",
    "ManagerEvent",
    "LogService",
];

/// The EventService's writable settings, persisted.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Settings {
    /// Retries of a failed POST before the subscription's policy applies.
    pub attempts: u32,
    pub interval_secs: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            attempts: 3,
            interval_secs: 30,
        }
    }
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// What the workers share with the service.
pub struct Shared {
    store: Store,
    subscriptions: Mutex<Vec<Subscription>>,
    outboxes: Mutex<HashMap<u64, Arc<Outbox>>>,
    settings: Mutex<Settings>,
    /// Held across each write, from reading the list to storing it: two at once would each
    /// store a list missing the other's change.
    writes: tokio::sync::Mutex<()>,
    client: HttpsClient,
    tracker: TaskTracker,
    metrics: crate::metrics::EventMetrics,
    /// Cancelled when the aggregator stops: workers and SSE streams end.
    stop: CancellationToken,
    ring: ring::Ring,
}

impl Shared {
    fn list(&self) -> Vec<Subscription> {
        self.subscriptions
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    pub fn subscription(&self, id: u64) -> Option<Subscription> {
        self.list().into_iter().find(|s| s.id == id)
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().map(|s| *s).unwrap_or_default()
    }

    /// Stores `next` (under `writes`, held by the caller), then makes it current.
    async fn save(&self, next: Vec<Subscription>) -> Result<(), AggError> {
        let saved = serde_json::to_string(&next).map_err(|e| AggError::Internal(e.to_string()))?;
        self.store.set_meta(STORE_KEY, &saved).await?;
        if let Ok(mut subs) = self.subscriptions.lock() {
            *subs = next;
        }
        Ok(())
    }

    /// Suspends or resumes; a store failure is logged (the worker has no client to tell).
    pub async fn set_suspended(&self, id: u64, suspended: bool) -> Option<Subscription> {
        let _writing = self.writes.lock().await;
        let mut next = self.list();
        let sub = next.iter_mut().find(|s| s.id == id)?;
        sub.suspended = suspended;
        let changed = sub.clone();
        if let Err(e) = self.save(next).await {
            tracing::error!(subscription = id, error = %e, "could not store the subscription's state");
        }
        if suspended && let Some(outbox) = self.outbox(id) {
            outbox.clear();
        }
        tracing::info!(
            subscription = id,
            suspended,
            "event subscription state changed"
        );
        Some(changed)
    }

    pub async fn remove(&self, id: u64) {
        let _writing = self.writes.lock().await;
        let next = self.list().into_iter().filter(|s| s.id != id).collect();
        if let Err(e) = self.save(next).await {
            tracing::error!(subscription = id, error = %e, "could not store the subscription's removal");
        }
        if let Some(outbox) = self.outboxes.lock().ok().and_then(|mut o| o.remove(&id)) {
            outbox.cancel.cancel();
        }
        tracing::info!(subscription = id, "event subscription removed");
    }

    fn outbox(&self, id: u64) -> Option<Arc<Outbox>> {
        self.outboxes.lock().ok()?.get(&id).cloned()
    }
}

fn start_worker(shared: &Arc<Shared>, id: u64) {
    let outbox = Outbox::new(shared.stop.child_token());
    if let Ok(mut o) = shared.outboxes.lock() {
        o.insert(id, outbox.clone());
    }
    shared
        .tracker
        .spawn(delivery::run(shared.clone(), id, outbox));
}

pub struct EventService {
    shared: Arc<Shared>,
}

impl EventService {
    /// Loads the subscriptions (older stored ones included) and starts one worker each.
    /// `stop` ends the workers and SSE streams; cancel it when the aggregator stops serving.
    pub async fn load(
        store: Store,
        tracker: TaskTracker,
        metrics: crate::metrics::EventMetrics,
        stop: CancellationToken,
    ) -> Result<Self, AggError> {
        let subscriptions: Vec<Subscription> = match store.meta(STORE_KEY).await? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| AggError::Store(format!("event subscriptions: {e}")))?,
            None => Vec::new(),
        };
        let settings = match store.meta(SETTINGS_KEY).await? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| AggError::Store(format!("event service settings: {e}")))?,
            None => Settings::default(),
        };
        let tls = crate::tls::client_config(true, None).map_err(AggError::Internal)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(3)));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let ids: Vec<u64> = subscriptions.iter().map(|s| s.id).collect();
        let shared = Arc::new(Shared {
            store,
            subscriptions: Mutex::new(subscriptions),
            outboxes: Mutex::new(HashMap::new()),
            settings: Mutex::new(settings),
            writes: tokio::sync::Mutex::new(()),
            client: Client::builder(TokioExecutor::new()).build(connector),
            tracker,
            metrics,
            stop,
            ring: ring::Ring::new(RING_CAPACITY, SSE_LAG),
        });
        for id in ids {
            start_worker(&shared, id);
        }
        Ok(EventService { shared })
    }

    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.shared.list()
    }

    /// Serves the EventService subtree; None when `exchange` is elsewhere.
    pub async fn serve(&self, exchange: &Exchange) -> Option<Result<Reply, AggError>> {
        let path = exchange.path.trim_end_matches('/');
        let m = &exchange.method;
        let result = match path {
            ROOT if *m == Method::PATCH => self.patch_service(exchange).await,
            ROOT => read(exchange, self.service_body(), "GET, HEAD, PATCH"),
            // GET is streamed by the frontend (StreamEvents); nothing else is offered.
            SSE_URI => Err(not_allowed(exchange, "GET")),
            SUBSCRIPTIONS if *m == Method::POST => self.create(exchange).await,
            SUBSCRIPTIONS => read(exchange, self.collection_body(), "GET, HEAD, POST"),
            SUBMIT_TEST_EVENT if *m == Method::POST => self.submit_test_event(exchange),
            SUBMIT_TEST_EVENT => Err(not_allowed(exchange, "POST")),
            p => {
                return self
                    .serve_member(exchange, p.strip_prefix(SUBSCRIPTIONS)?)
                    .await;
            }
        };
        Some(result)
    }

    async fn serve_member(
        &self,
        exchange: &Exchange,
        rest: &str,
    ) -> Option<Result<Reply, AggError>> {
        let rest = rest.strip_prefix('/')?;
        let (id, action) = match rest.split_once('/') {
            Some((id, action)) => (id, Some(format!("/{action}"))),
            None => (rest, None),
        };
        let Some(sub) = self
            .shared
            .list()
            .into_iter()
            .find(|s| s.id.to_string() == id)
        else {
            return Some(Err(AggError::NotFound {
                path: exchange.path.clone(),
            }));
        };
        let m = &exchange.method;
        let result = match action.as_deref() {
            None if *m == Method::DELETE => self.delete(sub.id).await,
            None if *m == Method::PATCH => self.patch_subscription(exchange, &sub).await,
            None => read(
                exchange,
                subscription::body(&sub, &member_uri(sub.id)),
                "GET, HEAD, PATCH, DELETE",
            ),
            Some(a @ (RESUME | SUSPEND)) if *m == Method::POST => {
                self.suspend_or_resume(exchange, &sub, a == SUSPEND).await
            }
            Some(RESUME | SUSPEND) => Err(not_allowed(exchange, "POST")),
            Some(_) => Err(AggError::NotFound {
                path: exchange.path.clone(),
            }),
        };
        Some(result)
    }

    fn service_body(&self) -> Value {
        let settings = self.shared.settings();
        json!({
            "@odata.id": ROOT,
            "@odata.type": "#EventService.v1_8_0.EventService",
            "Id": "EventService",
            "Name": "Event Service",
            "Description": "Events of the rack aggregator. Each server's own events can also be subscribed to on its BMC, under /redfish/v1/Oem/RedDrum/Bmcs/<bmc>/EventService.",
            "ServiceEnabled": true,
            "DeliveryRetryAttempts": settings.attempts,
            "DeliveryRetryIntervalSeconds": settings.interval_secs,
            "EventFormatTypes": ["Event"],
            "RegistryPrefixes": REGISTRY_PREFIXES,
            "ResourceTypes": *filter::RESOURCE_TYPES,
            "SubordinateResourcesSupported": true,
            "IncludeOriginOfConditionSupported": false,
            "ExcludeMessageId": false,
            "ExcludeRegistryPrefix": false,
            "ServerSentEventUri": SSE_URI,
            // EventType is accepted in $filter too, but deprecated: not advertised.
            "SSEFilterPropertiesSupported": {
                "EventFormatType": true,
                "MessageId": true,
                "MetricReportDefinition": false,
                "OriginResource": true,
                "RegistryPrefix": true,
                "ResourceType": true,
                "SubordinateResources": true,
            },
            "Status": {"State": "Enabled", "Health": "OK"},
            "Subscriptions": {"@odata.id": SUBSCRIPTIONS},
            "Actions": {
                "#EventService.SubmitTestEvent": {"target": SUBMIT_TEST_EVENT}
            },
        })
    }

    fn collection_body(&self) -> Value {
        let members: Vec<Value> = self
            .shared
            .list()
            .iter()
            .map(|s| json!({"@odata.id": member_uri(s.id)}))
            .collect();
        json!({
            "@odata.id": SUBSCRIPTIONS,
            "@odata.type": "#EventDestinationCollection.EventDestinationCollection",
            "Name": "Event Subscriptions",
            "Members@odata.count": members.len(),
            "Members": members,
        })
    }

    async fn patch_service(&self, exchange: &Exchange) -> Result<Reply, AggError> {
        let body = reply_body(&exchange.body)?;
        let _writing = self.shared.writes.lock().await;
        reply::check_if_match(exchange, &self.service_body())?;
        let mut next = self.shared.settings();
        for (key, value) in body.iter().filter(|(k, _)| !k.starts_with('@')) {
            let (slot, max) = match key.as_str() {
                "DeliveryRetryAttempts" => (&mut next.attempts, MAX_RETRY_ATTEMPTS),
                "DeliveryRetryIntervalSeconds" => (&mut next.interval_secs, MAX_RETRY_INTERVAL),
                other if self.service_body().get(other).is_some() => {
                    return Err(bad(Message::property_not_writable(other)));
                }
                other => return Err(bad(Message::property_unknown(other))),
            };
            let Some(n) = value.as_u64() else {
                return Err(bad(Message::property_value_type_error(
                    &value.to_string(),
                    key,
                )));
            };
            // An interval of 0 would hammer a dead subscriber.
            if n > max || (key == "DeliveryRetryIntervalSeconds" && n == 0) {
                return Err(bad(Message::property_value_out_of_range(
                    &n.to_string(),
                    key,
                )));
            }
            *slot = u32::try_from(n).unwrap_or(u32::MAX);
        }
        let saved = serde_json::to_string(&next).map_err(|e| AggError::Internal(e.to_string()))?;
        self.shared.store.set_meta(SETTINGS_KEY, &saved).await?;
        if let Ok(mut s) = self.shared.settings.lock() {
            *s = next;
        }
        tracing::info!(user = %exchange.user, attempts = next.attempts, interval_secs = next.interval_secs, "event service settings changed");
        reply::json(exchange, &self.service_body(), "GET, HEAD, PATCH")
    }

    async fn create(&self, exchange: &Exchange) -> Result<Reply, AggError> {
        let mut body = reply_body(&exchange.body)?;
        body.retain(|k, _| !k.starts_with('@'));
        let sub = validate_subscription(&body)?;
        let _writing = self.shared.writes.lock().await;
        let mut next = self.shared.list();
        if next.len() >= MAX_SUBSCRIPTIONS {
            return Err(bad(Message::new("CreateLimitReachedForResource", vec![])));
        }
        let id = next.iter().map(|s| s.id).max().unwrap_or(0) + 1;
        let stored = Subscription { id, ..sub };
        next.push(stored.clone());
        // Stored before it is shown or acknowledged.
        self.shared.save(next).await?;
        start_worker(&self.shared, id);
        tracing::info!(id, user = %exchange.user, destination = %stored.destination, "event subscription created");
        let uri = member_uri(id);
        let mut reply = json_reply(201, &subscription::body(&stored, &uri))?;
        if let Ok(v) = HeaderValue::from_str(&uri) {
            reply.headers.push((http::header::LOCATION, v));
        }
        Ok(reply)
    }

    async fn patch_subscription(
        &self,
        exchange: &Exchange,
        sub: &Subscription,
    ) -> Result<Reply, AggError> {
        let mut body = reply_body(&exchange.body)?;
        body.retain(|k, _| !k.starts_with('@'));
        let uri = member_uri(sub.id);
        let _writing = self.shared.writes.lock().await;
        let current = self
            .shared
            .subscription(sub.id)
            .ok_or_else(|| AggError::NotFound {
                path: exchange.path.clone(),
            })?;
        reply::check_if_match(exchange, &subscription::body(&current, &uri))?;
        let changed = subscription::apply_patch(&current, &body)?;
        let next = self
            .shared
            .list()
            .into_iter()
            .map(|s| if s.id == sub.id { changed.clone() } else { s })
            .collect();
        self.shared.save(next).await?;
        tracing::info!(id = sub.id, user = %exchange.user, "event subscription changed");
        reply::json(
            exchange,
            &subscription::body(&changed, &uri),
            "GET, HEAD, PATCH, DELETE",
        )
    }

    async fn suspend_or_resume(
        &self,
        exchange: &Exchange,
        sub: &Subscription,
        suspend: bool,
    ) -> Result<Reply, AggError> {
        let action = if suspend {
            "SuspendSubscription"
        } else {
            "ResumeSubscription"
        };
        let known: &[&str] = if suspend {
            &[]
        } else {
            // Events are not buffered while suspended: there is nothing older to deliver.
            &["DeliverBufferedEventDuration"]
        };
        crate::local::action::ActionBody::parse(&exchange.body, action, known)?;
        self.shared
            .set_suspended(sub.id, suspend)
            .await
            .ok_or_else(|| AggError::NotFound {
                path: exchange.path.clone(),
            })?;
        tracing::info!(id = sub.id, user = %exchange.user, action, "event subscription");
        Ok(reply::no_content())
    }

    async fn delete(&self, id: u64) -> Result<Reply, AggError> {
        let _writing = self.shared.writes.lock().await;
        let remaining = self
            .shared
            .list()
            .into_iter()
            .filter(|s| s.id != id)
            .collect();
        self.shared.save(remaining).await?;
        if let Some(outbox) = self
            .shared
            .outboxes
            .lock()
            .ok()
            .and_then(|mut o| o.remove(&id))
        {
            outbox.cancel.cancel();
        }
        Ok(reply::no_content())
    }

    fn submit_test_event(&self, exchange: &Exchange) -> Result<Reply, AggError> {
        let params = if exchange.body.is_empty() {
            Map::new()
        } else {
            reply_body(&exchange.body)?
        };
        let text = |k: &str, default: &str| {
            params
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_owned()
        };
        let record = json!({
            "EventType": text("EventType", "Other"),
            "EventId": text("EventId", "TestEvent"),
            "EventTimestamp": text("EventTimestamp", &crate::local::now_rfc3339()),
            "MessageSeverity": text("Severity", "OK"),
            "Message": text("Message", "Test event submitted to the rack aggregator."),
            "MessageId": text("MessageId", "Base.1.22.Success"),
            "MessageArgs": params.get("MessageArgs").cloned().unwrap_or_else(|| json!([])),
            "OriginOfCondition": {"@odata.id": text("OriginOfCondition", ROOT)},
        });
        self.publish(record);
        Ok(reply::no_content())
    }

    /// Publishes one message of the aggregate's own (as its log records it).
    pub fn publish_message(&self, message: &EventMessage, origin: &str) {
        self.publish(json!({
            "EventType": "Alert",
            "EventId": uuid::Uuid::new_v4().to_string(),
            "EventTimestamp": crate::local::now_rfc3339(),
            "MessageSeverity": message.severity(),
            "Message": message.text(),
            "MessageId": message.message_id(),
            "MessageArgs": message.args(),
            "OriginOfCondition": {"@odata.id": origin},
        }));
    }

    /// Publishes one event record: kept in the ring for SSE streams, and queued for every
    /// subscription that wants it. Never waits: delivery happens in each subscription's worker.
    pub fn publish(&self, record: Value) {
        let stored = self.shared.ring.push(record);
        let facts = filter::Facts::of(&stored.record);
        let outboxes = self
            .shared
            .outboxes
            .lock()
            .map(|o| o.clone())
            .unwrap_or_default();
        for sub in self.shared.list() {
            if sub.suspended || !filter::wants(&sub, &facts) {
                continue;
            }
            if let Some(outbox) = outboxes.get(&sub.id)
                && outbox.push(stored.clone())
            {
                self.shared.metrics.dropped("queue_full");
            }
        }
    }

    /// Opens an SSE stream: `$filter` checked (400 QueryParameterValueFormatError), then the
    /// ring's events after `last_event_id` and the live ones, each once, in order.
    pub fn open_stream(
        &self,
        filter_text: &str,
        last_event_id: Option<u64>,
    ) -> Result<stream::EventStream, AggError> {
        let filter = if filter_text.trim().is_empty() {
            filter::StreamFilter::all()
        } else {
            filter::parse(filter_text).map_err(|text| AggError::BadRequest {
                message: Message::query_parameter_value_format_error(&text, "$filter"),
            })?
        };
        let opened = self
            .shared
            .ring
            .open(last_event_id)
            .ok_or_else(|| AggError::Internal("event ring poisoned".into()))?;
        Ok(stream::EventStream::new(
            opened,
            filter,
            self.shared.stop.clone(),
            self.shared.metrics.clone(),
        ))
    }
}

fn member_uri(id: u64) -> String {
    format!("{SUBSCRIPTIONS}/{id}")
}

fn bad(message: Message) -> AggError {
    AggError::BadRequest { message }
}

fn reply_body(body: &[u8]) -> Result<Map<String, Value>, AggError> {
    crate::local::patch::object_body(body)
}

fn json_reply(status: u16, body: &Value) -> Result<Reply, AggError> {
    let mut reply = Reply::json(
        status,
        Bytes::from(serde_json::to_vec(body).map_err(|e| AggError::Internal(e.to_string()))?),
    );
    reply.headers.extend(crate::exchange::describedby(body));
    Ok(reply)
}

fn not_allowed(exchange: &Exchange, allow: &'static str) -> AggError {
    AggError::MethodNotAllowed {
        path: exchange.path.clone(),
        allow,
    }
}

/// GET/HEAD of an EventService resource (ETag, Allow naming what it takes); other methods 405.
fn read(exchange: &Exchange, body: Value, allow: &'static str) -> Result<Reply, AggError> {
    reply::only(exchange, &[Method::GET, Method::HEAD], allow)?;
    reply::json(exchange, &body, allow)
}

#[cfg(test)]
mod tests;
