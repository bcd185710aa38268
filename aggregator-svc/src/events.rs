//! The aggregate's EventService: subscriptions (EventDestination, persisted in SQLite) and
//! delivery of the aggregate's events to them, starting with SubmitTestEvent. Events of the BMCs
//! themselves are subscribed to on each BMC, under its passthrough namespace.

use crate::error::AggError;
use crate::exchange::{Exchange, Reply};
use crate::store::Store;
use bytes::Bytes;
use http::{HeaderValue, Method};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use redfish::events::EventMessage;
use redfish::messages::Message;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::sync::Mutex;
use std::time::Duration;
use tokio_util::task::TaskTracker;

pub const ROOT: &str = "/redfish/v1/EventService";
const SUBSCRIPTIONS: &str = "/redfish/v1/EventService/Subscriptions";
const SUBMIT_TEST_EVENT: &str = "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent";
const STORE_KEY: &str = "event_subscriptions";
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_SUBSCRIPTIONS: usize = 64;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Subscription {
    pub id: u64,
    pub destination: String,
    pub context: String,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

pub struct EventService {
    store: Store,
    subscriptions: Mutex<Vec<Subscription>>,
    /// Held across each create or delete, from reading the list to storing it: two at once
    /// would each store a list missing the other's change (an acknowledged subscription lost
    /// at the next start, a deleted one back).
    writes: tokio::sync::Mutex<()>,
    client: HttpsClient,
    tracker: TaskTracker,
    metrics: crate::metrics::EventMetrics,
}

impl EventService {
    pub async fn load(
        store: Store,
        tracker: TaskTracker,
        metrics: crate::metrics::EventMetrics,
    ) -> Result<Self, AggError> {
        let subscriptions = match store.meta(STORE_KEY).await? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| AggError::Store(format!("event subscriptions: {e}")))?,
            None => Vec::new(),
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
        Ok(EventService {
            store,
            subscriptions: Mutex::new(subscriptions),
            writes: tokio::sync::Mutex::new(()),
            client: Client::builder(TokioExecutor::new()).build(connector),
            tracker,
            metrics,
        })
    }

    fn list(&self) -> Vec<Subscription> {
        self.subscriptions
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Serves the EventService subtree; None when `exchange` is elsewhere.
    pub async fn serve(&self, exchange: &Exchange) -> Option<Result<Reply, AggError>> {
        let path = exchange.path.trim_end_matches('/');
        let m = &exchange.method;
        let result = match path {
            ROOT => read(exchange, service_body(), "GET, HEAD"),
            SUBSCRIPTIONS if *m == Method::POST => self.create(exchange).await,
            SUBSCRIPTIONS => read(exchange, self.collection_body(), "GET, HEAD, POST"),
            SUBMIT_TEST_EVENT if *m == Method::POST => self.submit_test_event(exchange),
            SUBMIT_TEST_EVENT => Err(not_allowed(exchange, "POST")),
            p => {
                let id = p.strip_prefix(SUBSCRIPTIONS)?.strip_prefix('/')?;
                let sub = self.list().into_iter().find(|s| s.id.to_string() == id);
                match (sub, m) {
                    (None, _) => Err(AggError::NotFound {
                        path: exchange.path.clone(),
                    }),
                    (Some(s), &Method::DELETE) => self.delete(s.id).await,
                    (Some(s), _) => read(exchange, subscription_body(&s), "GET, HEAD, DELETE"),
                }
            }
        };
        Some(result)
    }

    fn collection_body(&self) -> Value {
        let members: Vec<Value> = self
            .list()
            .iter()
            .map(|s| json!({"@odata.id": format!("{SUBSCRIPTIONS}/{}", s.id)}))
            .collect();
        json!({
            "@odata.id": SUBSCRIPTIONS,
            "@odata.type": "#EventDestinationCollection.EventDestinationCollection",
            "Name": "Event Subscriptions",
            "Members@odata.count": members.len(),
            "Members": members,
        })
    }

    async fn create(&self, exchange: &Exchange) -> Result<Reply, AggError> {
        let body = parse_object(&exchange.body)?;
        let sub = validate_subscription(&body)?;
        let _writing = self.writes.lock().await;
        let mut next = self.list();
        if next.len() >= MAX_SUBSCRIPTIONS {
            return Err(AggError::BadRequest {
                message: Message::new("CreateLimitReachedForResource", vec![]),
            });
        }
        let id = next.iter().map(|s| s.id).max().unwrap_or(0) + 1;
        let stored = Subscription { id, ..sub };
        next.push(stored.clone());
        let saved = serde_json::to_string(&next).map_err(|e| AggError::Internal(e.to_string()))?;
        // Stored before it is shown or acknowledged.
        self.store.set_meta(STORE_KEY, &saved).await?;
        if let Ok(mut subs) = self.subscriptions.lock() {
            *subs = next;
        }
        tracing::info!(id = stored.id, user = %exchange.user, "event subscription created");
        let uri = format!("{SUBSCRIPTIONS}/{}", stored.id);
        let mut reply = json_reply(201, &subscription_body(&stored))?;
        if let Ok(v) = HeaderValue::from_str(&uri) {
            reply.headers.push((http::header::LOCATION, v));
        }
        Ok(reply)
    }

    async fn delete(&self, id: u64) -> Result<Reply, AggError> {
        let _writing = self.writes.lock().await;
        let remaining: Vec<Subscription> = self.list().into_iter().filter(|s| s.id != id).collect();
        let saved =
            serde_json::to_string(&remaining).map_err(|e| AggError::Internal(e.to_string()))?;
        self.store.set_meta(STORE_KEY, &saved).await?;
        if let Ok(mut subs) = self.subscriptions.lock() {
            *subs = remaining;
        }
        Ok(Reply {
            status: 204,
            headers: Vec::new(),
            body: Bytes::new(),
        })
    }

    fn submit_test_event(&self, exchange: &Exchange) -> Result<Reply, AggError> {
        let params = if exchange.body.is_empty() {
            Map::new()
        } else {
            parse_object(&exchange.body)?
        };
        let text = |k: &str, default: &str| {
            params
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_owned()
        };
        let record = json!({
            "EventType": "Other",
            "EventId": text("EventId", "TestEvent"),
            "EventTimestamp": text("EventTimestamp", &crate::local::now_rfc3339()),
            "MessageSeverity": text("Severity", "OK"),
            "Message": text("Message", "Test event submitted to the rack aggregator."),
            "MessageId": text("MessageId", "Base.1.22.Success"),
            "MessageArgs": params.get("MessageArgs").cloned().unwrap_or_else(|| json!([])),
            "OriginOfCondition": {"@odata.id": text("OriginOfCondition", ROOT)},
        });
        self.publish(record);
        Ok(Reply {
            status: 204,
            headers: Vec::new(),
            body: Bytes::new(),
        })
    }

    /// Delivers one message of the aggregate's own (as its log records it) to every subscriber.
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

    /// Delivers one event record to every subscriber, each in its own tracked task, so a slow
    /// or dead listener delays nobody.
    pub fn publish(&self, record: Value) {
        for sub in self.list() {
            let event = json!({
                "@odata.type": "#Event.v1_7_0.Event",
                "Id": format!("{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)),
                "Name": "Rack aggregator event",
                "Context": sub.context,
                "Events": [record.clone()],
            });
            let body = Bytes::from(serde_json::to_vec(&event).unwrap_or_default());
            let client = self.client.clone();
            let metrics = self.metrics.clone();
            self.tracker.spawn(async move {
                let request = http::Request::builder()
                    .method(Method::POST)
                    .uri(&sub.destination)
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(body));
                let Ok(request) = request else { return };
                metrics.attempts.inc();
                match tokio::time::timeout(DELIVERY_TIMEOUT, client.request(request)).await {
                    Ok(Ok(r)) if r.status().is_success() => {}
                    Ok(Ok(r)) => {
                        metrics.failed("refused");
                        tracing::warn!(
                            subscription = sub.id,
                            status = r.status().as_u16(),
                            "event refused by subscriber"
                        )
                    }
                    Ok(Err(e)) => {
                        metrics.failed("error");
                        tracing::warn!(subscription = sub.id, error = %e, "event delivery failed")
                    }
                    Err(_) => {
                        metrics.failed("timeout");
                        tracing::warn!(subscription = sub.id, "event delivery timed out")
                    }
                }
            });
        }
    }
}

fn service_body() -> Value {
    json!({
        "@odata.id": ROOT,
        "@odata.type": "#EventService.v1_8_0.EventService",
        "Id": "EventService",
        "Name": "Event Service",
        "Description": "Events of the rack aggregator itself. Each server's own events are subscribed to on its BMC, under /redfish/v1/Oem/RedDrum/Bmcs/<bmc>/EventService.",
        "ServiceEnabled": true,
        "DeliveryRetryAttempts": 1,
        "DeliveryRetryIntervalSeconds": 30,
        "EventFormatTypes": ["Event"],
        "RegistryPrefixes": ["Base"],
        // No filtering is offered: every subscriber receives every event of the aggregate.
        "ResourceTypes": [],
        "SubordinateResourcesSupported": false,
        "IncludeOriginOfConditionSupported": false,
        "ExcludeMessageId": false,
        "ExcludeRegistryPrefix": false,
        "Status": {"State": "Enabled", "Health": "OK"},
        "Subscriptions": {"@odata.id": SUBSCRIPTIONS},
        "Actions": {
            "#EventService.SubmitTestEvent": {"target": SUBMIT_TEST_EVENT}
        },
    })
}

fn subscription_body(s: &Subscription) -> Value {
    json!({
        "@odata.id": format!("{SUBSCRIPTIONS}/{}", s.id),
        "@odata.type": "#EventDestination.v1_10_0.EventDestination",
        "Id": s.id.to_string(),
        "Name": format!("Event Subscription {}", s.id),
        "Destination": s.destination,
        "Context": s.context,
        "Protocol": "Redfish",
        "EventFormatType": "Event",
        "SubscriptionType": "RedfishEvent",
    })
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, AggError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(AggError::BadRequest {
            message: Message::unrecognized_request_body(),
        }),
        Err(_) => Err(AggError::BadRequest {
            message: Message::malformed_json(),
        }),
    }
}

/// Checks a new subscription fully before anything is stored.
pub fn validate_subscription(body: &Map<String, Value>) -> Result<Subscription, AggError> {
    let bad = |message| Err(AggError::BadRequest { message });
    for (key, value) in body {
        match key.as_str() {
            "Destination" | "Context" | "Protocol" | "EventFormatType" | "SubscriptionType" => {
                if !value.is_string() {
                    return bad(Message::property_value_type_error(&value.to_string(), key));
                }
            }
            other => return bad(Message::property_unknown(other)),
        }
    }
    let Some(destination) = body.get("Destination").and_then(Value::as_str) else {
        return bad(Message::create_failed_missing_req_properties("Destination"));
    };
    match url::Url::parse(destination) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
        _ => {
            return bad(Message::property_value_format_error(
                destination,
                "Destination",
            ));
        }
    }
    match body.get("Protocol").and_then(Value::as_str) {
        Some("Redfish") => {}
        Some(other) => return bad(Message::property_value_not_in_list(other, "Protocol")),
        None => return bad(Message::create_failed_missing_req_properties("Protocol")),
    }
    for (key, allowed) in [
        ("EventFormatType", "Event"),
        ("SubscriptionType", "RedfishEvent"),
    ] {
        if let Some(v) = body.get(key).and_then(Value::as_str)
            && v != allowed
        {
            return bad(Message::property_value_not_in_list(v, key));
        }
    }
    Ok(Subscription {
        id: 0,
        destination: destination.to_owned(),
        context: body
            .get("Context")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    })
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
    crate::local::reply::only(exchange, &[Method::GET, Method::HEAD], allow)?;
    crate::local::reply::json(exchange, &body, allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn subscriptions_are_validated_before_anything_is_stored() {
        let ok = validate_subscription(&obj(
            json!({"Destination": "https://10.1.1.1/events", "Protocol": "Redfish", "Context": "ops"}),
        ));
        assert_eq!(
            ok.ok().map(|s| s.destination),
            Some("https://10.1.1.1/events".to_owned())
        );
        let rows = [
            (
                json!({"Protocol": "Redfish"}),
                "CreateFailedMissingReqProperties",
            ),
            (
                json!({"Destination": "https://h/e"}),
                "CreateFailedMissingReqProperties",
            ),
            (
                json!({"Destination": "ftp://h/e", "Protocol": "Redfish"}),
                "PropertyValueFormatError",
            ),
            (
                json!({"Destination": "not a url", "Protocol": "Redfish"}),
                "PropertyValueFormatError",
            ),
            (
                json!({"Destination": "https://h/e", "Protocol": "SNMPv2c"}),
                "PropertyValueNotInList",
            ),
            (
                json!({"Destination": 5, "Protocol": "Redfish"}),
                "PropertyValueTypeError",
            ),
            (
                json!({"Destination": "https://h/e", "Protocol": "Redfish", "Colour": "red"}),
                "PropertyUnknown",
            ),
            (
                json!({"Destination": "https://h/e", "Protocol": "Redfish", "EventFormatType": "MetricReport"}),
                "PropertyValueNotInList",
            ),
        ];
        for (body, key) in rows {
            match validate_subscription(&obj(body.clone())) {
                Err(AggError::BadRequest { message }) => assert_eq!(message.key(), key, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }
}
