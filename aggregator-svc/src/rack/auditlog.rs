//! The rack manager's audit log (`LogServices/Audit`): the writes frontend-svc answered, as it
//! reports them over gRPC (RecordAudit). Persisted in SQLite, bounded by
//! `[aggregator.manager] audit_max_entries` (the oldest dropped). Each field is bounded in length
//! too, so a client cannot grow the store with one absurd URI.

use crate::error::AggError;
use crate::store::{AuditRow, NewAudit, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Longest URI kept (the frontend refuses longer paths anyway); longer ones are cut.
const URI_MAX: usize = 2048;
/// Longest user name, client address, method, request id or BMC id kept.
const FIELD_MAX: usize = 256;

#[derive(Clone)]
pub struct AuditLog {
    store: Store,
    keep: Arc<AtomicU32>,
    stored: prometheus_client::metrics::counter::Counter,
}

impl AuditLog {
    pub fn new(
        store: Store,
        keep: u32,
        stored: prometheus_client::metrics::counter::Counter,
    ) -> Self {
        AuditLog {
            store,
            keep: Arc::new(AtomicU32::new(keep.max(1))),
            stored,
        }
    }

    /// How many records are kept (config reload).
    pub fn set_keep(&self, keep: u32) {
        self.keep.store(keep.max(1), Ordering::Relaxed);
    }

    pub fn keep(&self) -> u32 {
        self.keep.load(Ordering::Relaxed)
    }

    /// Stores records as received (their time normalized, fields bounded); returns how many.
    pub async fn append(&self, records: Vec<NewAudit>) -> Result<u32, AggError> {
        let records: Vec<NewAudit> = records.into_iter().map(bounded).collect();
        let n = u32::try_from(records.len()).unwrap_or(u32::MAX);
        if n == 0 {
            return Ok(0);
        }
        self.store.append_audit(records, self.keep()).await?;
        self.stored.inc_by(u64::from(n));
        Ok(n)
    }

    pub async fn entries(&self) -> Result<Vec<AuditRow>, AggError> {
        self.store.audit_entries().await
    }

    pub async fn entry(&self, id: i64) -> Result<Option<AuditRow>, AggError> {
        self.store.audit_entry(id).await
    }

    pub async fn clear(&self) -> Result<(), AggError> {
        self.store.clear_audit().await
    }
}

fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

fn bounded(r: NewAudit) -> NewAudit {
    let created = OffsetDateTime::parse(&r.created, &Rfc3339)
        .map(super::clock::format)
        .unwrap_or_else(|_| super::clock::now());
    AuditRow {
        id: 0,
        created,
        request_id: cut(r.request_id, FIELD_MAX),
        user: cut(r.user, FIELD_MAX),
        client: cut(r.client, FIELD_MAX),
        method: cut(r.method, FIELD_MAX),
        uri: cut(r.uri, URI_MAX),
        bmc: cut(r.bmc, FIELD_MAX),
        status: r.status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_bounded_and_times_normalized() {
        let r = bounded(AuditRow {
            id: 9,
            created: "2026-03-01T10:00:00Z".into(),
            request_id: "r".into(),
            user: "é".repeat(200),
            client: String::new(),
            method: "PATCH".into(),
            uri: format!("/redfish/v1/{}", "x".repeat(5000)),
            bmc: String::new(),
            status: 200,
        });
        assert_eq!(r.created, "2026-03-01T10:00:00+00:00");
        assert!(r.user.len() <= FIELD_MAX && r.user.chars().all(|c| c == 'é'));
        assert_eq!(r.uri.len(), URI_MAX);
        let r = bounded(AuditRow {
            created: "yesterday".into(),
            ..r
        });
        assert!(
            OffsetDateTime::parse(&r.created, &Rfc3339).is_ok(),
            "{}",
            r.created
        );
    }
}
