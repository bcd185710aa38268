//! The rack manager's audit log in SQLite: one row per write the frontend answered, the oldest
//! dropped beyond the bound, ids never reused (AUTOINCREMENT, as the event log).

use super::Store;
use crate::error::AggError;
use rusqlite::{OptionalExtension, params};

/// One stored audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub created: String,
    pub request_id: String,
    pub user: String,
    pub client: String,
    pub method: String,
    pub uri: String,
    pub bmc: String,
    pub status: u16,
}

/// A record to append (the row without its id).
pub type NewAudit = AuditRow;

const COLUMNS: &str = "id, created, request_id, user, client, method, uri, bmc, status";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    let status: i64 = r.get(8)?;
    Ok(AuditRow {
        id: r.get(0)?,
        created: r.get(1)?,
        request_id: r.get(2)?,
        user: r.get(3)?,
        client: r.get(4)?,
        method: r.get(5)?,
        uri: r.get(6)?,
        bmc: r.get(7)?,
        status: u16::try_from(status).unwrap_or(0),
    })
}

impl Store {
    /// Appends records in one transaction and drops the oldest beyond `keep`.
    pub async fn append_audit(&self, records: Vec<NewAudit>, keep: u32) -> Result<(), AggError> {
        self.with(move |c| {
            let tx = c.transaction()?;
            {
                let mut insert = tx.prepare(
                    "INSERT INTO audit_entries (created, request_id, user, client, method, uri, bmc, status)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                for r in &records {
                    insert.execute(params![
                        r.created,
                        r.request_id,
                        r.user,
                        r.client,
                        r.method,
                        r.uri,
                        r.bmc,
                        i64::from(r.status)
                    ])?;
                }
            }
            let last = tx.last_insert_rowid();
            tx.execute(
                "DELETE FROM audit_entries WHERE id <= ?1",
                params![last - i64::from(keep)],
            )?;
            tx.commit()
        })
        .await
    }

    /// Every kept record, oldest first.
    pub async fn audit_entries(&self) -> Result<Vec<AuditRow>, AggError> {
        self.with(|c| {
            let mut stmt =
                c.prepare(&format!("SELECT {COLUMNS} FROM audit_entries ORDER BY id"))?;
            let rows = stmt.query_map([], row)?;
            rows.collect()
        })
        .await
    }

    pub async fn audit_entry(&self, id: i64) -> Result<Option<AuditRow>, AggError> {
        self.with(move |c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM audit_entries WHERE id = ?1"),
                params![id],
                row,
            )
            .optional()
        })
        .await
    }

    /// Deletes every record (ids keep counting up).
    pub async fn clear_audit(&self) -> Result<(), AggError> {
        self.with(|c| c.execute("DELETE FROM audit_entries", []).map(|_| ()))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u16) -> NewAudit {
        AuditRow {
            id: 0,
            created: "2026-01-01T00:00:00Z".into(),
            request_id: format!("r{n}"),
            user: "alice".into(),
            client: "192.0.2.7".into(),
            method: "PATCH".into(),
            uri: "/redfish/v1/Systems/s1-1".into(),
            bmc: "s1".into(),
            status: 200 + n,
        }
    }

    #[tokio::test]
    async fn the_bound_drops_the_oldest_and_records_survive_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        store
            .append_audit((0..3).map(record).collect(), 4)
            .await
            .expect("append");
        store
            .append_audit((3..6).map(record).collect(), 4)
            .await
            .expect("append");
        drop(store);
        let store = Store::open(dir.path()).expect("reopen");
        let rows = store.audit_entries().await.expect("read");
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [3, 4, 5, 6]);
        assert_eq!(rows[0].status, 202);
        assert_eq!(
            store.audit_entry(6).await.expect("one"),
            Some(AuditRow { id: 6, ..record(5) })
        );
        assert_eq!(store.audit_entry(1).await.expect("gone"), None);
        store.clear_audit().await.expect("clear");
        assert!(store.audit_entries().await.expect("read").is_empty());
    }
}
