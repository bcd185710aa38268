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

#[derive(Debug, Clone)]
pub struct Metrics {
    requests: Family<Labels, Counter>,
    duration: Family<Label, Histogram, fn() -> Histogram>,
    login_failures: Family<Label, Counter>,
    /// Audit records dropped because the queue to the aggregator was full.
    pub audit_dropped: Counter,
}

fn latency_histogram() -> Histogram {
    Histogram::new(svc_common::ops::latency_buckets())
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Family::default(),
            duration: Family::new_with_constructor(latency_histogram),
            login_failures: Family::default(),
            audit_dropped: Counter::default(),
        }
    }
}

/// The method as a label: the standard ones by name, anything else `other`.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn class_label(s: StatusCode) -> &'static str {
    match s.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

impl Metrics {
    /// One request answered.
    pub fn answered(&self, method: &Method, status: StatusCode, elapsed: Duration) {
        let method = method_label(method);
        self.requests
            .get_or_create(&[("method", method), ("class", class_label(status))])
            .inc();
        self.duration
            .get_or_create(&[("method", method)])
            .observe(elapsed.as_secs_f64());
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
        assert_eq!(method_label(&odd), "other");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(class_label(StatusCode::NO_CONTENT), "2xx");
        assert_eq!(class_label(StatusCode::FORBIDDEN), "4xx");
        assert_eq!(class_label(StatusCode::GATEWAY_TIMEOUT), "5xx");
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
