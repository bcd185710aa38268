//! What aggregator-svc reports on its operations listener (`/metrics`, Prometheus).
//!
//! - Per BMC, counted where every request to a BMC passes ([`crate::bmc_client`]): requests,
//!   their latency, errors by cause, connections the BMC refused. Each client holds its own
//!   handles ([`BmcHandles`]), so the request path only bumps atomics: no lookup, no lock.
//! - Per BMC, read when scraped ([`BmcStateCollector`]): health, breaker, cache age.
//! - Discovery: how long reading one BMC takes, and whether the first pass is done (readiness).
//! - Event deliveries to subscribers, and audit records stored.
//!
//! Labels are bounded: the BMC id (never a URI or an address), a fixed set of causes and states.
//! A BMC that leaves the rack leaves the metrics at the next scrape.

mod scrape;

use crate::error::AggError;
use crate::inventory::{HealthState, Inventory};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type BmcLabel = [(&'static str, String); 1];
type BmcCauseLabel = [(&'static str, String); 2];
type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(svc_common::ops::latency_buckets())
}

fn bmc_label(bmc: &str) -> BmcLabel {
    [("bmc", bmc.to_owned())]
}

/// Why a request to a BMC did not get a usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// No full reply within the request timeout.
    Timeout,
    /// Nothing reached it: refused, DNS, TLS handshake, connect timeout.
    Unreachable,
    /// Bytes came back but are unusable (garbage, truncated, too large).
    BadReply,
    /// It refused the aggregator's credentials.
    Unauthorized,
    /// Its certificate is not the one pinned (trust on first use).
    CertificateChanged,
    /// Not sent: the BMC's circuit breaker is open.
    BreakerOpen,
    /// Not sent: every allowed request to the BMC stayed in flight for the whole timeout.
    Busy,
    /// It answered with a 5xx status of its own.
    Http5xx,
    /// Anything else (the aggregator's own failure).
    Other,
}

impl Cause {
    pub const ALL: [Cause; 9] = [
        Cause::Timeout,
        Cause::Unreachable,
        Cause::BadReply,
        Cause::Unauthorized,
        Cause::CertificateChanged,
        Cause::BreakerOpen,
        Cause::Busy,
        Cause::Http5xx,
        Cause::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Timeout => "timeout",
            Cause::Unreachable => "unreachable",
            Cause::BadReply => "bad_reply",
            Cause::Unauthorized => "unauthorized",
            Cause::CertificateChanged => "certificate_changed",
            Cause::BreakerOpen => "breaker_open",
            Cause::Busy => "busy",
            Cause::Http5xx => "http_5xx",
            Cause::Other => "other",
        }
    }

    fn index(self) -> usize {
        Cause::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }

    /// The cause an error of the BMC client stands for.
    pub fn of(e: &AggError) -> Cause {
        match e {
            AggError::BmcTimeout { .. } => Cause::Timeout,
            AggError::BmcBusy { .. } => Cause::Busy,
            AggError::BmcUnreachable { .. } => Cause::Unreachable,
            AggError::BmcBadReply { .. } => Cause::BadReply,
            AggError::BmcUnauthorized { .. } => Cause::Unauthorized,
            AggError::BmcCertificateChanged { .. } => Cause::CertificateChanged,
            AggError::NotFound { .. }
            | AggError::MethodNotAllowed { .. }
            | AggError::CannotDelete { .. }
            | AggError::BadRequest { .. }
            | AggError::Conflict { .. }
            | AggError::PreconditionFailed { .. }
            | AggError::QueryUnsupported { .. }
            | AggError::Store(_)
            | AggError::EventSenderUnauthenticated
            | AggError::EventSenderRefused
            | AggError::PayloadTooLarge { .. }
            | AggError::Internal(_) => Cause::Other,
        }
    }
}

/// The per-BMC request families, shared by every BMC client (cheap to clone: handles).
#[derive(Clone, Debug)]
pub struct BmcRequestMetrics {
    requests: Family<BmcLabel, Counter>,
    duration: HistogramFamily<BmcLabel>,
    errors: Family<BmcCauseLabel, Counter>,
    refused: Family<BmcLabel, Counter>,
    /// The BMC ids handles were made for (to drop their series when they leave).
    known: Arc<Mutex<HashSet<String>>>,
}

impl Default for BmcRequestMetrics {
    fn default() -> Self {
        BmcRequestMetrics {
            requests: Family::default(),
            duration: Family::new_with_constructor(latency_histogram),
            errors: Family::default(),
            refused: Family::default(),
            known: Arc::default(),
        }
    }
}

/// One BMC's request metrics, held by its client.
#[derive(Clone, Debug)]
pub struct BmcHandles {
    requests: Counter,
    duration: Histogram,
    errors: Vec<Counter>,
    refused: Counter,
}

impl BmcHandles {
    /// A request that was sent: its latency, and its cause when it failed or got a 5xx.
    pub fn sent(&self, outcome: Result<http::StatusCode, Cause>, elapsed: Duration) {
        self.requests.inc();
        self.duration.observe(elapsed.as_secs_f64());
        match outcome {
            Ok(status) if status.is_server_error() => self.failed(Cause::Http5xx),
            Ok(_) => {}
            Err(cause) => self.failed(cause),
        }
    }

    /// A request answered at once because the breaker is open (never sent, no latency).
    pub fn refused_by_breaker(&self) {
        self.requests.inc();
        self.failed(Cause::BreakerOpen);
    }

    /// The BMC's address actively refused a connection (nothing listens: a stopped service).
    pub fn connection_refused(&self) {
        self.refused.inc();
    }

    fn failed(&self, cause: Cause) {
        if let Some(c) = self.errors.get(cause.index()) {
            c.inc();
        }
    }
}

impl BmcRequestMetrics {
    pub fn for_bmc(&self, bmc: &str) -> BmcHandles {
        if let Ok(mut known) = self.known.lock() {
            known.insert(bmc.to_owned());
        }
        let label = bmc_label(bmc);
        BmcHandles {
            requests: self.requests.get_or_create_owned(&label),
            duration: self.duration.get_or_create_owned(&label),
            errors: Cause::ALL
                .iter()
                .map(|c| {
                    self.errors.get_or_create_owned(&[
                        ("bmc", bmc.to_owned()),
                        ("cause", c.as_str().into()),
                    ])
                })
                .collect(),
            refused: self.refused.get_or_create_owned(&label),
        }
    }

    /// Drops the series of BMCs no longer in `current`.
    pub(super) fn retain(&self, current: &HashSet<String>) {
        let Ok(mut known) = self.known.lock() else {
            return;
        };
        let gone: Vec<String> = known.difference(current).cloned().collect();
        for bmc in gone {
            let label = bmc_label(&bmc);
            self.requests.remove(&label);
            self.duration.remove(&label);
            self.refused.remove(&label);
            for c in Cause::ALL {
                self.errors
                    .remove(&[("bmc", bmc.clone()), ("cause", c.as_str().into())]);
            }
            known.remove(&bmc);
        }
    }
}

/// Discovery: duration of one BMC's read, when each BMC's collections were last read, and
/// whether every BMC configured at start has been tried once.
#[derive(Debug)]
pub struct DiscoveryMetrics {
    duration: HistogramFamily<[(&'static str, &'static str); 1]>,
    last_read: Mutex<HashMap<String, Instant>>,
    first_pass_done: AtomicBool,
}

impl Default for DiscoveryMetrics {
    fn default() -> Self {
        DiscoveryMetrics {
            duration: Family::new_with_constructor(latency_histogram),
            last_read: Mutex::default(),
            first_pass_done: AtomicBool::new(false),
        }
    }
}

impl DiscoveryMetrics {
    /// One BMC was read (`full`: every collection, else only the failing ones again).
    pub fn read_done(&self, bmc: &str, full: bool, state: HealthState, elapsed: Duration) {
        let scope = if full { "full" } else { "retry" };
        self.duration
            .get_or_create(&[("scope", scope)])
            .observe(elapsed.as_secs_f64());
        if matches!(state, HealthState::Up | HealthState::Degraded)
            && let Ok(mut m) = self.last_read.lock()
        {
            m.insert(bmc.to_owned(), Instant::now());
        }
    }

    pub fn first_pass_done(&self) {
        if !self.first_pass_done.swap(true, Ordering::SeqCst) {
            tracing::info!("first discovery pass done: ready");
        }
    }

    pub fn is_ready(&self) -> bool {
        self.first_pass_done.load(Ordering::SeqCst)
    }

    pub(super) fn cache_age(&self, bmc: &str, now: Instant) -> Option<f64> {
        self.last_read
            .lock()
            .ok()?
            .get(bmc)
            .map(|at| now.saturating_duration_since(*at).as_secs_f64())
    }

    pub(super) fn retain(&self, current: &HashSet<String>) {
        if let Ok(mut m) = self.last_read.lock() {
            m.retain(|bmc, _| current.contains(bmc));
        }
    }
}

/// Event deliveries to subscribers ([`crate::events`]).
#[derive(Debug, Clone, Default)]
pub struct EventMetrics {
    pub attempts: Counter,
    /// By reason: `refused` (a non-2xx answer), `error` (no answer), `timeout`.
    pub failures: Family<[(&'static str, &'static str); 1], Counter>,
    /// Events a subscriber accepted.
    pub delivered: Counter,
    /// Attempts that repeated a failed one (after `DeliveryRetryIntervalSeconds`).
    pub retries: Counter,
    /// Events dropped, by reason: `queue_full` (the oldest queued for a slow subscriber),
    /// `retries_exhausted` (given up under the RetryForever policy).
    pub dropped: Family<[(&'static str, &'static str); 1], Counter>,
    /// Subscriptions suspended or terminated after their retries, by policy.
    pub subscriptions_stopped: Family<[(&'static str, &'static str); 1], Counter>,
    /// Server-Sent Event streams open now.
    pub sse_streams: Gauge,
    /// SSE streams cut because their client fell too far behind (it resumes by Last-Event-ID).
    pub sse_lagged: Counter,
}

impl EventMetrics {
    pub fn failed(&self, reason: &'static str) {
        self.failures.get_or_create(&[("reason", reason)]).inc();
    }

    pub fn dropped(&self, reason: &'static str) {
        self.dropped.get_or_create(&[("reason", reason)]).inc();
    }

    pub fn stopped(&self, policy: &'static str) {
        self.subscriptions_stopped
            .get_or_create(&[("policy", policy)])
            .inc();
    }
}

/// The BMCs' own events taken in ([`crate::intake`]).
#[derive(Debug, Clone, Default)]
pub struct IntakeMetrics {
    /// Event records published, by how they were taken: `sse`, `push`, `polled`.
    pub records: Family<[(&'static str, &'static str); 1], Counter>,
    /// POSTs the inbound listener refused, by reason: `unauthenticated`, `forbidden`,
    /// `too_large`, `malformed`.
    pub refused: Family<[(&'static str, &'static str); 1], Counter>,
}

impl IntakeMetrics {
    pub fn taken(&self, how: &'static str, n: u64) {
        self.records.get_or_create(&[("how", how)]).inc_by(n);
    }
    pub fn refused(&self, reason: &'static str) {
        self.refused.get_or_create(&[("reason", reason)]).inc();
    }
}

/// Everything the aggregator measures, shared through `AppState`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub bmc: BmcRequestMetrics,
    pub discovery: Arc<DiscoveryMetrics>,
    pub events: EventMetrics,
    pub intake: IntakeMetrics,
    /// Audit records received from the frontend and stored.
    pub audit_records: Counter,
}

impl Metrics {
    /// The registry `/metrics` encodes: these metrics plus the BMCs' state read at scrape time.
    pub fn registry(&self, inventory: Arc<Inventory>) -> Registry {
        let mut r = Registry::with_prefix("reddrum");
        r.register(
            "bmc_requests",
            "Requests to the BMC (answered at once while its breaker is open included)",
            self.bmc.requests.clone(),
        );
        r.register(
            "bmc_request_duration_seconds",
            "Latency of requests sent to the BMC, login and retries included",
            self.bmc.duration.clone(),
        );
        r.register(
            "bmc_request_errors",
            "Requests to the BMC without a usable answer, by cause (http_5xx: the BMC's own 5xx)",
            self.bmc.errors.clone(),
        );
        r.register(
            "bmc_connections_refused",
            "Connections the BMC's address actively refused (nothing listening)",
            self.bmc.refused.clone(),
        );
        r.register(
            "discovery_duration_seconds",
            "Time to read one BMC (its ServiceRoot and collections), by scope: full, or retry of the failing collections",
            self.discovery.duration.clone(),
        );
        r.register(
            "event_delivery_attempts",
            "Events POSTed to subscribers",
            self.events.attempts.clone(),
        );
        r.register(
            "event_delivery_failures",
            "Event deliveries that failed, by reason (refused: a non-2xx answer)",
            self.events.failures.clone(),
        );
        r.register(
            "event_deliveries",
            "Events a subscriber accepted",
            self.events.delivered.clone(),
        );
        r.register(
            "event_delivery_retries",
            "Event deliveries repeated after a failure",
            self.events.retries.clone(),
        );
        r.register(
            "events_dropped",
            "Events not delivered to a subscriber, by reason (queue_full: the oldest of a slow subscriber's queue)",
            self.events.dropped.clone(),
        );
        r.register(
            "event_subscriptions_stopped",
            "Subscriptions suspended or terminated after their delivery retries, by policy",
            self.events.subscriptions_stopped.clone(),
        );
        r.register(
            "event_sse_streams",
            "Server-Sent Event streams open",
            self.events.sse_streams.clone(),
        );
        r.register(
            "event_sse_lagged",
            "SSE streams cut because the client fell behind (it resumes with Last-Event-ID)",
            self.events.sse_lagged.clone(),
        );
        r.register(
            "event_intake_records",
            "The BMCs' own event records published to subscribers, by how they were taken (sse, push, polled)",
            self.intake.records.clone(),
        );
        r.register(
            "event_intake_refused",
            "POSTs the inbound event listener refused, by reason",
            self.intake.refused.clone(),
        );
        r.register(
            "audit_records",
            "Audit records received from frontend-svc and stored",
            self.audit_records.clone(),
        );
        r.register_collector(Box::new(scrape::BmcStateCollector {
            inventory,
            bmc: self.bmc.clone(),
            discovery: self.discovery.clone(),
        }));
        r
    }
}

/// True when the error's source chain says the peer refused the connection.
pub fn is_connection_refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        current = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_error_has_one_cause() {
        let rows = [
            (
                AggError::BmcTimeout {
                    bmc: "s1".into(),
                    after: Duration::from_secs(1),
                },
                Cause::Timeout,
            ),
            (
                AggError::BmcUnreachable {
                    bmc: "s1".into(),
                    reason: "x".into(),
                },
                Cause::Unreachable,
            ),
            (
                AggError::BmcBadReply {
                    bmc: "s1".into(),
                    reason: "x".into(),
                },
                Cause::BadReply,
            ),
            (
                AggError::BmcUnauthorized {
                    bmc: "s1".into(),
                    uri: "/".into(),
                },
                Cause::Unauthorized,
            ),
            (AggError::Internal("x".into()), Cause::Other),
        ];
        for (e, cause) in rows {
            assert_eq!(Cause::of(&e), cause, "{e}");
        }
        let labels: HashSet<&str> = Cause::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(labels.len(), Cause::ALL.len());
    }

    #[test]
    fn handles_count_into_their_bmcs_series_and_leave_with_it() {
        let m = BmcRequestMetrics::default();
        let s1 = m.for_bmc("s1");
        let s2 = m.for_bmc("s2");
        s1.sent(Ok(http::StatusCode::OK), Duration::from_millis(3));
        s1.sent(Ok(http::StatusCode::BAD_GATEWAY), Duration::from_millis(3));
        s1.sent(Err(Cause::Timeout), Duration::from_secs(1));
        s2.refused_by_breaker();
        let count = |bmc: &str| m.requests.get_or_create(&bmc_label(bmc)).get();
        let errors = |bmc: &str, c: Cause| {
            m.errors
                .get_or_create(&[("bmc", bmc.to_owned()), ("cause", c.as_str().into())])
                .get()
        };
        assert_eq!((count("s1"), count("s2")), (3, 1));
        assert_eq!(errors("s1", Cause::Http5xx), 1);
        assert_eq!(errors("s1", Cause::Timeout), 1);
        assert_eq!(errors("s2", Cause::BreakerOpen), 1);
        assert_eq!(errors("s2", Cause::Timeout), 0);
        m.retain(&HashSet::from(["s2".to_owned()]));
        assert!(m.requests.get(&bmc_label("s1")).is_none());
        assert!(m.requests.get(&bmc_label("s2")).is_some());
    }

    #[test]
    fn refused_connections_are_found_in_the_source_chain() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("client error (Connect)")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let refused = Outer(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(is_connection_refused(&refused));
        let reset = Outer(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(!is_connection_refused(&reset));
    }
}
