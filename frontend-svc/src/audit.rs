//! The audit trail: every write (any method but GET, HEAD and OPTIONS: logins and logouts,
//! account and role changes, forwarded BMC writes and actions, refused ones too) is recorded
//! with who (the authenticated user, else `anonymous`), from where (the client address as
//! [`crate::forwarded`] resolved it), the method, the path, the BMC it addressed and the status
//! the client got. Nothing else: never a body, a query, a password or a token.
//!
//! Each record is (a) one `tracing` line with target `audit`, written at once, and (b) queued
//! for the aggregator, which keeps it in the rack manager's audit log (SQLite). A background task
//! sends the queue in batches and retries while the aggregator is away; a full queue drops the
//! newest (counted in `reddrum_audit_records_dropped_total`; the log line was still written).

use crate::agg_client::AggClient;
use http::{Method, StatusCode};
use proto::v1::AuditRecord;
use std::net::IpAddr;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Records waiting for the aggregator.
const QUEUE: usize = 10_000;
/// Records sent in one call.
const BATCH: usize = 256;
const RETRY_MAX: Duration = Duration::from_secs(10);
/// How long shutdown waits to hand over what is still queued.
const FLUSH_GRACE: Duration = Duration::from_secs(5);
/// The user of a record nobody authenticated for.
pub const ANONYMOUS: &str = "anonymous";

/// Whether requests with this method are audited: every one that may change something.
pub fn is_audited(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The BMC a path addresses (a member of a BMC, or its passthrough namespace), if any.
pub fn bmc_of(path: &str) -> Option<String> {
    let target = redfish::path::classify(path);
    redfish::path::bmc_path(&target)
        .map(|(bmc, _)| bmc)
        .filter(|bmc| redfish::ids::BmcId::is_valid(bmc))
        .map(str::to_owned)
}

/// A write in flight: what is known before it is answered.
pub struct Pending {
    request_id: String,
    method: Method,
    path: String,
    client: Option<IpAddr>,
}

impl Pending {
    /// `None` for requests that are not audited (reads cost nothing here).
    pub fn start(
        method: &Method,
        path: &str,
        request_id: &str,
        client: Option<IpAddr>,
    ) -> Option<Pending> {
        is_audited(method).then(|| Pending {
            request_id: request_id.to_owned(),
            method: method.clone(),
            path: path.to_owned(),
            client,
        })
    }

    /// The record, once the status is known and who it was (if anyone authenticated).
    pub fn finish(self, status: StatusCode, user: Option<&str>, now_ms: i64) -> AuditRecord {
        AuditRecord {
            time: crate::clock::rfc3339(now_ms),
            request_id: self.request_id,
            user: user.unwrap_or(ANONYMOUS).to_owned(),
            client: self.client.map(|a| a.to_string()).unwrap_or_default(),
            method: self.method.as_str().to_owned(),
            bmc: bmc_of(&self.path).unwrap_or_default(),
            uri: self.path,
            status: u32::from(status.as_u16()),
        }
    }
}

/// Where records go: the log line now, the aggregator's audit log soon.
pub struct AuditSink {
    tx: mpsc::Sender<AuditRecord>,
    dropped: prometheus_client::metrics::counter::Counter,
}

impl AuditSink {
    /// The sink and the receiving end for [`run_sender`].
    pub fn new(
        dropped: prometheus_client::metrics::counter::Counter,
    ) -> (AuditSink, mpsc::Receiver<AuditRecord>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (AuditSink { tx, dropped }, rx)
    }

    pub fn record(&self, r: AuditRecord) {
        tracing::info!(
            target: "audit",
            user = %r.user,
            client = %r.client,
            method = %r.method,
            uri = %r.uri,
            bmc = %r.bmc,
            status = r.status,
            request_id = %r.request_id,
            "write"
        );
        if self.tx.try_send(r).is_err() {
            let n = self.dropped.inc() + 1;
            // Once, then at 2, 4, 8...: the log stays readable while the aggregator is away.
            if n.is_power_of_two() {
                tracing::warn!(
                    dropped = n,
                    "audit queue to the aggregator is full: records kept in this log only"
                );
            }
        }
    }
}

/// Hands queued records to the aggregator in batches until `stop`, retrying while it is away;
/// then sends what is left within [`FLUSH_GRACE`].
pub async fn run_sender(
    mut rx: mpsc::Receiver<AuditRecord>,
    agg: AggClient,
    stop: CancellationToken,
) {
    let mut carried: Vec<AuditRecord> = Vec::new();
    loop {
        let first = tokio::select! {
            r = rx.recv() => r,
            () = stop.cancelled() => None,
        };
        let Some(first) = first else { break };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        if let Some(unsent) = deliver(&agg, batch, &stop).await {
            carried = unsent;
            break;
        }
    }
    while let Ok(r) = rx.try_recv() {
        carried.push(r);
    }
    if carried.is_empty() {
        return;
    }
    let n = carried.len();
    match tokio::time::timeout(FLUSH_GRACE, agg.record_audit(carried)).await {
        Ok(Ok(())) => {}
        _ => tracing::warn!(
            records = n,
            "audit records not handed to the aggregator before shutdown (they are in this log)"
        ),
    }
}

/// Sends one batch, retrying with a growing pause; gives the batch back if `stop` comes first.
async fn deliver(
    agg: &AggClient,
    batch: Vec<AuditRecord>,
    stop: &CancellationToken,
) -> Option<Vec<AuditRecord>> {
    let mut pause = Duration::from_millis(250);
    let mut warned = false;
    loop {
        match agg.record_audit(batch.clone()).await {
            Ok(()) => {
                if warned {
                    tracing::info!("audit records reach the aggregator again");
                }
                return None;
            }
            Err(crate::agg_client::AuditError::Unsupported) => {
                tracing::warn!(
                    records = batch.len(),
                    "the aggregator keeps no audit log (an older version): records kept in this log only"
                );
                return None;
            }
            Err(crate::agg_client::AuditError::Failed(e)) => {
                if !warned {
                    tracing::warn!(error = %e, records = batch.len(), "audit records cannot reach the aggregator; retrying");
                    warned = true;
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = stop.cancelled() => return Some(batch),
        }
        pause = (pause * 2).min(RETRY_MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_writes_are_audited() {
        for m in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert!(!is_audited(&m), "{m}");
        }
        for m in [Method::POST, Method::PATCH, Method::PUT, Method::DELETE] {
            assert!(is_audited(&m), "{m}");
        }
        assert!(is_audited(
            &Method::from_bytes(b"PROPPATCH").expect("method")
        ));
        assert!(Pending::start(&Method::GET, "/redfish/v1", "r", None).is_none());
    }

    #[test]
    fn the_bmc_is_named_only_for_its_own_resources() {
        assert_eq!(bmc_of("/redfish/v1/Systems/s1-1").as_deref(), Some("s1"));
        assert_eq!(
            bmc_of("/redfish/v1/Systems/s2-1/Actions/ComputerSystem.Reset").as_deref(),
            Some("s2")
        );
        assert_eq!(
            bmc_of("/redfish/v1/Oem/RedDrum/Bmcs/s3/UpdateService").as_deref(),
            Some("s3")
        );
        assert_eq!(bmc_of("/redfish/v1/Chassis/Rack1"), None);
        assert_eq!(bmc_of("/redfish/v1/AccountService/Accounts/2"), None);
        assert_eq!(bmc_of("/redfish/v1/SessionService/Sessions"), None);
    }

    #[test]
    fn a_record_names_who_what_and_the_outcome() {
        let p = Pending::start(
            &Method::PATCH,
            "/redfish/v1/Systems/s1-1",
            "req1",
            Some("192.0.2.7".parse().expect("ip")),
        )
        .expect("a write");
        let r = p.finish(StatusCode::FORBIDDEN, Some("alice"), 0);
        assert_eq!(
            (
                r.user.as_str(),
                r.client.as_str(),
                r.method.as_str(),
                r.uri.as_str(),
                r.bmc.as_str(),
                r.status,
                r.time.as_str()
            ),
            (
                "alice",
                "192.0.2.7",
                "PATCH",
                "/redfish/v1/Systems/s1-1",
                "s1",
                403,
                "1970-01-01T00:00:00Z"
            )
        );
        let p = Pending::start(
            &Method::POST,
            "/redfish/v1/SessionService/Sessions",
            "r",
            None,
        )
        .expect("a write");
        let r = p.finish(StatusCode::UNAUTHORIZED, None, 0);
        assert_eq!((r.user.as_str(), r.client.as_str()), (ANONYMOUS, ""));
    }
}
