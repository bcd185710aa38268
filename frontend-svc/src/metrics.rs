//! What frontend-svc reports on its operations listener (`/metrics`, Prometheus): requests by
//! method and status class with their latency, failed logins by reason, active sessions (read
//! when scraped), and audit records that could not be handed to the aggregator.
//!
//! Labels are bounded: the method (the standard ones, else `other`), the status class, a fixed
//! set of reasons. Never a path or a user name.

use crate::auth::session_timeout_ms;
use crate::policy::Policies;
use crate::sessions::Sessions;
use http::{Method, StatusCode};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;

type Labels = [(&'static str, &'static str); 2];
type Label = [(&'static str, &'static str); 1];

/// Why a login (session or Basic) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFailure {
    UnknownUser,
    WrongPassword,
    Locked,
    Disabled,
}

impl LoginFailure {
    fn as_str(self) -> &'static str {
        match self {
            LoginFailure::UnknownUser => "unknown_user",
            LoginFailure::WrongPassword => "wrong_password",
            LoginFailure::Locked => "locked",
            LoginFailure::Disabled => "disabled",
        }
    }
}

/// The method labels, in the order of the handle tables.
const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "other",
];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

#[derive(Debug, Clone)]
pub struct Metrics {
    requests: Family<Labels, Counter>,
    duration: Family<Label, Histogram, fn() -> Histogram>,
    /// Every (method, class) series made at start, so a request only bumps atomics (no label
    /// hashing, no lock): `[method][class]`, and the histogram per method.
    request_handles: Arc<[[Counter; 5]; 8]>,
    duration_handles: Arc<[Histogram; 8]>,
    login_failures: Family<Label, Counter>,
    /// Audit records dropped because the queue to the aggregator was full.
    pub audit_dropped: Counter,
}

fn latency_histogram() -> Histogram {
    Histogram::new(svc_common::ops::latency_buckets())
}

impl Default for Metrics {
    fn default() -> Self {
        let requests: Family<Labels, Counter> = Family::default();
        let duration: Family<Label, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let request_handles = Arc::new(METHODS.map(|m| {
            CLASSES.map(|c| requests.get_or_create_owned(&[("method", m), ("class", c)]))
        }));
        let duration_handles =
            Arc::new(METHODS.map(|m| duration.get_or_create_owned(&[("method", m)])));
        Metrics {
            requests,
            duration,
            request_handles,
            duration_handles,
            login_failures: Family::default(),
            audit_dropped: Counter::default(),
        }
    }
}

/// The method's index in [`METHODS`]: the standard ones by name, anything else `other`.
fn method_index(m: &Method) -> usize {
    match *m {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PATCH => 3,
        Method::PUT => 4,
        Method::DELETE => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

/// The status class's index in [`CLASSES`].
fn class_index(s: StatusCode) -> usize {
    match s.as_u16() {
        100..=199 => 0,
        200..=299 => 1,
        300..=399 => 2,
        400..=499 => 3,
        _ => 4,
    }
}

impl Metrics {
    /// One request answered.
    pub fn answered(&self, method: &Method, status: StatusCode, elapsed: Duration) {
        let m = method_index(method);
        if let Some(c) = self
            .request_handles
            .get(m)
            .and_then(|row| row.get(class_index(status)))
        {
            c.inc();
        }
        if let Some(h) = self.duration_handles.get(m) {
            h.observe(elapsed.as_secs_f64());
        }
    }

    pub fn login_failed(&self, why: LoginFailure) {
        self.login_failures
            .get_or_create(&[("reason", why.as_str())])
            .inc();
    }

    /// The registry `/metrics` encodes.
    pub fn registry(&self, sessions: Arc<Sessions>, policies: Arc<Policies>) -> Registry {
        let mut r = Registry::with_prefix("reddrum");
        r.register(
            "http_requests",
            "Requests answered, by method and status class",
            self.requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer, by method",
            self.duration.clone(),
        );
        r.register(
            "login_failures",
            "Failed logins (session and Basic), by reason",
            self.login_failures.clone(),
        );
        r.register(
            "audit_records_dropped",
            "Audit records not handed to the aggregator because its queue was full (the audit log line was still written)",
            self.audit_dropped.clone(),
        );
        r.register_collector(Box::new(SessionsCollector { sessions, policies }));
        r
    }
}

struct SessionsCollector {
    sessions: Arc<Sessions>,
    policies: Arc<Policies>,
}

impl std::fmt::Debug for SessionsCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionsCollector").finish_non_exhaustive()
    }
}

impl Collector for SessionsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let active = self.sessions.list(session_timeout_ms(&self.policies)).len();
        let gauge = encoder.encode_descriptor(
            "sessions_active",
            "Redfish sessions open now (expired ones excluded)",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(i64::try_from(active).unwrap_or(i64::MAX)).encode(gauge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stay_bounded() {
        let odd = Method::from_bytes(b"PROPFIND").expect("method");
        assert_eq!(METHODS[method_index(&odd)], "other");
        assert_eq!(METHODS[method_index(&Method::PATCH)], "PATCH");
        assert_eq!(CLASSES[class_index(StatusCode::NO_CONTENT)], "2xx");
        assert_eq!(CLASSES[class_index(StatusCode::FORBIDDEN)], "4xx");
        assert_eq!(CLASSES[class_index(StatusCode::GATEWAY_TIMEOUT)], "5xx");
        let m = Metrics::default();
        m.answered(&odd, StatusCode::OK, Duration::from_millis(1));
        m.answered(&Method::GET, StatusCode::OK, Duration::from_millis(1));
        m.answered(
            &Method::GET,
            StatusCode::NOT_FOUND,
            Duration::from_millis(1),
        );
        let get = |method, class| {
            m.requests
                .get_or_create(&[("method", method), ("class", class)])
                .get()
        };
        assert_eq!(
            (get("other", "2xx"), get("GET", "2xx"), get("GET", "4xx")),
            (1, 1, 1)
        );
    }
}
