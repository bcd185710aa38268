//! One EventDestination as stored and shown, and the checks a POST or PATCH passes before anything
//! is stored. Fields added after the first release carry serde defaults, so subscriptions stored by
//! an older aggregator still load.

use crate::error::AggError;
use redfish::messages::Message;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// What happens once an event has failed `DeliveryRetryAttempts` retries (EventDestination v1_6_0).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub enum RetryPolicy {
    /// The subscription is deleted.
    TerminateAfterRetries,
    /// The subscription is suspended (`Status.State` `Disabled`) until resumed.
    #[default]
    SuspendRetries,
    /// The failed event is given up and delivery goes on with the next one.
    RetryForever,
}

impl RetryPolicy {
    fn parse(v: &str) -> Option<Self> {
        match v {
            "TerminateAfterRetries" => Some(RetryPolicy::TerminateAfterRetries),
            "SuspendRetries" => Some(RetryPolicy::SuspendRetries),
            "RetryForever" => Some(RetryPolicy::RetryForever),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RetryPolicy::TerminateAfterRetries => "TerminateAfterRetries",
            RetryPolicy::SuspendRetries => "SuspendRetries",
            RetryPolicy::RetryForever => "RetryForever",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Subscription {
    pub id: u64,
    pub destination: String,
    pub context: String,
    /// Empty: every registry.
    #[serde(default)]
    pub registry_prefixes: Vec<String>,
    /// Empty: every resource type.
    #[serde(default)]
    pub resource_types: Vec<String>,
    /// Empty: every origin.
    #[serde(default)]
    pub origin_resources: Vec<String>,
    #[serde(default)]
    pub subordinate_resources: bool,
    /// Sent with every delivery; write-only (never shown, never logged).
    #[serde(default)]
    pub http_headers: Vec<(String, String)>,
    #[serde(default)]
    pub retry_policy: RetryPolicy,
    /// Suspended after failed retries or by SuspendSubscription: nothing is queued for it.
    #[serde(default)]
    pub suspended: bool,
}

const MAX_CONTEXT: usize = 256;
const MAX_LIST: usize = 32;
const MAX_HEADERS: usize = 16;
const MAX_HEADER_BYTES: usize = 4096;
/// Headers the delivery itself sets; a subscriber's value would corrupt the request.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-connection",
];

fn bad<T>(message: Message) -> Result<T, AggError> {
    Err(AggError::BadRequest { message })
}

/// Checks a new subscription fully before anything is stored.
pub fn validate_subscription(body: &Map<String, Value>) -> Result<Subscription, AggError> {
    let mut sub = Subscription {
        id: 0,
        destination: String::new(),
        context: String::new(),
        registry_prefixes: Vec::new(),
        resource_types: Vec::new(),
        origin_resources: Vec::new(),
        subordinate_resources: false,
        http_headers: Vec::new(),
        retry_policy: RetryPolicy::default(),
        suspended: false,
    };
    for (key, value) in body {
        match key.as_str() {
            "Destination" => sub.destination = destination(value)?,
            "Protocol" => match text(value, key)? {
                "Redfish" => {}
                other => return bad(Message::property_value_not_in_list(other, key)),
            },
            "EventFormatType" => one_of(value, key, &["Event"])?,
            "SubscriptionType" => one_of(value, key, &["RedfishEvent"])?,
            "Context" | "DeliveryRetryPolicy" | "HttpHeaders" => {
                apply_writable(&mut sub, key, value)?
            }
            "RegistryPrefixes" => sub.registry_prefixes = registry_prefixes(value)?,
            "ResourceTypes" => sub.resource_types = resource_types(value)?,
            "OriginResources" => sub.origin_resources = origin_resources(value)?,
            "SubordinateResources" => {
                sub.subordinate_resources = value.as_bool().map_or_else(
                    || bad(Message::property_value_type_error(&value.to_string(), key)),
                    Ok,
                )?;
            }
            other => return bad(Message::property_unknown(other)),
        }
    }
    if !body.contains_key("Destination") {
        return bad(Message::create_failed_missing_req_properties("Destination"));
    }
    if !body.contains_key("Protocol") {
        return bad(Message::create_failed_missing_req_properties("Protocol"));
    }
    Ok(sub)
}

/// A PATCH applied to a copy; the caller stores the copy only if every property passed.
pub fn apply_patch(
    sub: &Subscription,
    body: &Map<String, Value>,
) -> Result<Subscription, AggError> {
    let mut next = sub.clone();
    for (key, value) in body {
        match key.as_str() {
            "Context" | "DeliveryRetryPolicy" | "HttpHeaders" => {
                apply_writable(&mut next, key, value)?
            }
            "Destination"
            | "Protocol"
            | "EventFormatType"
            | "SubscriptionType"
            | "RegistryPrefixes"
            | "ResourceTypes"
            | "OriginResources"
            | "SubordinateResources"
            | "Status"
            | "Id"
            | "Name"
            | "@odata.id"
            | "@odata.type" => {
                return bad(Message::property_not_writable(key));
            }
            other => return bad(Message::property_unknown(other)),
        }
    }
    Ok(next)
}

fn apply_writable(sub: &mut Subscription, key: &str, value: &Value) -> Result<(), AggError> {
    match key {
        "Context" => {
            let v = text(value, key)?;
            if v.len() > MAX_CONTEXT {
                return bad(Message::property_value_format_error(v, key));
            }
            sub.context = v.to_owned();
        }
        "DeliveryRetryPolicy" => {
            let v = text(value, key)?;
            sub.retry_policy = RetryPolicy::parse(v)
                .map_or_else(|| bad(Message::property_value_not_in_list(v, key)), Ok)?;
        }
        "HttpHeaders" => sub.http_headers = http_headers(value)?,
        _ => return bad(Message::property_unknown(key)),
    }
    Ok(())
}

fn text<'a>(value: &'a Value, key: &str) -> Result<&'a str, AggError> {
    value.as_str().map_or_else(
        || bad(Message::property_value_type_error(&value.to_string(), key)),
        Ok,
    )
}

fn one_of(value: &Value, key: &str, allowed: &[&str]) -> Result<(), AggError> {
    let v = text(value, key)?;
    if allowed.contains(&v) {
        Ok(())
    } else {
        bad(Message::property_value_not_in_list(v, key))
    }
}

fn destination(value: &Value) -> Result<String, AggError> {
    let v = text(value, "Destination")?;
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(v.to_owned())
        }
        _ => bad(Message::property_value_format_error(v, "Destination")),
    }
}

/// A JSON array of at most [`MAX_LIST`] items.
fn list<'a>(value: &'a Value, key: &str) -> Result<&'a [Value], AggError> {
    let Some(items) = value.as_array() else {
        return bad(Message::property_value_type_error(&value.to_string(), key));
    };
    if items.len() > MAX_LIST {
        return bad(Message::property_value_format_error(
            &value.to_string(),
            key,
        ));
    }
    Ok(items)
}

fn strings<'a>(value: &'a Value, key: &str) -> Result<Vec<&'a str>, AggError> {
    list(value, key)?
        .iter()
        .map(|i| {
            i.as_str().map_or_else(
                || bad(Message::property_value_type_error(&i.to_string(), key)),
                Ok,
            )
        })
        .collect()
}

fn registry_prefixes(value: &Value) -> Result<Vec<String>, AggError> {
    let key = "RegistryPrefixes";
    strings(value, key)?
        .into_iter()
        .map(|p| {
            let word = !p.is_empty()
                && p.len() <= 64
                && p.starts_with(|c: char| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if word {
                Ok(p.to_owned())
            } else {
                bad(Message::property_value_format_error(p, key))
            }
        })
        .collect()
}

fn resource_types(value: &Value) -> Result<Vec<String>, AggError> {
    let key = "ResourceTypes";
    strings(value, key)?
        .into_iter()
        .map(|t| {
            if super::filter::RESOURCE_TYPES.contains(&t) {
                Ok(t.to_owned())
            } else {
                bad(Message::property_value_not_in_list(t, key))
            }
        })
        .collect()
}

fn origin_resources(value: &Value) -> Result<Vec<String>, AggError> {
    let key = "OriginResources";
    list(value, key)?
        .iter()
        .map(|i| {
            let uri = i.get("@odata.id").and_then(Value::as_str).unwrap_or("");
            let uri = uri.trim_end_matches('/');
            if uri.starts_with("/redfish/v1") && redfish::safe_path::check(uri).is_ok() {
                Ok(uri.to_owned())
            } else {
                bad(Message::property_value_format_error(&i.to_string(), key))
            }
        })
        .collect()
}

/// `[{"Name": "Value"}, ...]`, each header name and value valid on the wire.
fn http_headers(value: &Value) -> Result<Vec<(String, String)>, AggError> {
    let key = "HttpHeaders";
    let Some(items) = value.as_array() else {
        return bad(Message::property_value_type_error("(hidden)", key));
    };
    let mut headers = Vec::new();
    let mut bytes = 0;
    for item in items {
        let Some(object) = item.as_object() else {
            return bad(Message::property_value_type_error("(hidden)", key));
        };
        for (name, v) in object {
            // The value is never echoed: it is often a credential.
            let Some(v) = v.as_str() else {
                return bad(Message::property_value_type_error("(hidden)", key));
            };
            let name_ok = http::HeaderName::from_bytes(name.as_bytes()).is_ok();
            if !name_ok || http::HeaderValue::from_str(v).is_err() {
                return bad(Message::property_value_format_error(name, key));
            }
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return bad(Message::property_value_not_in_list(name, key));
            }
            bytes += name.len() + v.len();
            headers.push((name.clone(), v.to_owned()));
        }
    }
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return bad(Message::property_value_format_error("(hidden)", key));
    }
    Ok(headers)
}

/// The EventDestination resource as shown (HttpHeaders write-only: always empty).
pub fn body(s: &Subscription, uri: &str) -> Value {
    let origins: Vec<Value> = s
        .origin_resources
        .iter()
        .map(|o| json!({"@odata.id": o}))
        .collect();
    json!({
        "@odata.id": uri,
        "@odata.type": "#EventDestination.v1_12_0.EventDestination",
        "Id": s.id.to_string(),
        "Name": format!("Event Subscription {}", s.id),
        "Destination": s.destination,
        "Context": s.context,
        "Protocol": "Redfish",
        "EventFormatType": "Event",
        "SubscriptionType": "RedfishEvent",
        "RegistryPrefixes": s.registry_prefixes,
        "ResourceTypes": s.resource_types,
        "OriginResources": origins,
        "OriginResources@odata.count": origins.len(),
        "SubordinateResources": s.subordinate_resources,
        "HttpHeaders": [],
        "DeliveryRetryPolicy": s.retry_policy.name(),
        "Status": {
            "State": if s.suspended { "Disabled" } else { "Enabled" },
            "Health": if s.suspended { "Warning" } else { "OK" },
        },
        "Actions": {
            "#EventDestination.ResumeSubscription": {
                "target": format!("{uri}/Actions/EventDestination.ResumeSubscription"),
            },
            "#EventDestination.SuspendSubscription": {
                "target": format!("{uri}/Actions/EventDestination.SuspendSubscription"),
            },
        },
    })
}
