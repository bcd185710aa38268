//! The rack's persisted state: PATCHed properties of the local resources, the aggregator's event
//! log (capped) and its local tasks (capped).

use super::Store;
use crate::error::AggError;
use rusqlite::{OptionalExtension, params};
use serde_json::Value;

/// An entry to append to the aggregator's log.
#[derive(Debug, Clone)]
pub struct NewLogEntry {
    pub created: String,
    pub severity: String,
    pub message_id: String,
    pub message: String,
    pub args: Vec<String>,
    /// The resource the event is about (`Links.OriginOfCondition`).
    pub origin: Option<String>,
}

/// A stored log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    pub id: i64,
    pub created: String,
    pub severity: String,
    pub message_id: String,
    pub message: String,
    pub args: Vec<String>,
    pub origin: Option<String>,
}

fn log_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LogRow> {
    let args: String = r.get(5)?;
    Ok(LogRow {
        id: r.get(0)?,
        created: r.get(1)?,
        severity: r.get(2)?,
        message_id: r.get(3)?,
        message: r.get(4)?,
        args: serde_json::from_str(&args).unwrap_or_default(),
        origin: r.get(6)?,
    })
}

const LOG_COLUMNS: &str = "id, created, severity, message_id, message, args, origin";

impl Store {
    /// Every PATCHed property: (resource, property, JSON value).
    pub async fn load_properties(&self) -> Result<Vec<(String, String, Value)>, AggError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT resource, property, value FROM rack_properties")?;
            let rows = stmt.query_map([], |r| {
                let text: String = r.get(2)?;
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    serde_json::from_str(&text).unwrap_or(Value::Null),
                ))
            })?;
            rows.collect()
        })
        .await
    }

    /// Writes several properties of one resource in one transaction.
    pub async fn save_properties(
        &self,
        resource: &str,
        values: Vec<(String, Value)>,
    ) -> Result<(), AggError> {
        let resource = resource.to_owned();
        self.with(move |c| {
            let tx = c.transaction()?;
            for (property, value) in &values {
                tx.execute(
                    "INSERT INTO rack_properties (resource, property, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(resource, property) DO UPDATE SET value = excluded.value",
                    params![resource, property, value.to_string()],
                )?;
            }
            tx.commit()
        })
        .await
    }

    /// Appends an entry and drops the oldest beyond `keep`; returns the stored entry.
    pub async fn append_log(&self, entry: NewLogEntry, keep: u32) -> Result<LogRow, AggError> {
        self.with(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO log_entries (created, severity, message_id, message, args, origin)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    entry.created,
                    entry.severity,
                    entry.message_id,
                    entry.message,
                    serde_json::to_string(&entry.args).unwrap_or_else(|_| "[]".into()),
                    entry.origin,
                ],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute(
                "DELETE FROM log_entries WHERE id <= ?1",
                params![id - i64::from(keep)],
            )?;
            tx.commit()?;
            Ok(LogRow {
                id,
                created: entry.created,
                severity: entry.severity,
                message_id: entry.message_id,
                message: entry.message,
                args: entry.args,
                origin: entry.origin,
            })
        })
        .await
    }

    /// Every kept entry, oldest first.
    pub async fn log_entries(&self) -> Result<Vec<LogRow>, AggError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {LOG_COLUMNS} FROM log_entries ORDER BY id"
            ))?;
            let rows = stmt.query_map([], log_row)?;
            rows.collect()
        })
        .await
    }

    pub async fn log_entry(&self, id: i64) -> Result<Option<LogRow>, AggError> {
        self.with(move |c| {
            c.query_row(
                &format!("SELECT {LOG_COLUMNS} FROM log_entries WHERE id = ?1"),
                params![id],
                log_row,
            )
            .optional()
        })
        .await
    }

    /// Deletes every entry (ids keep counting up, so an old id never names a new entry).
    pub async fn clear_log(&self) -> Result<(), AggError> {
        self.with(|c| c.execute("DELETE FROM log_entries", []).map(|_| ()))
            .await
    }

    /// Inserts or replaces a local task and drops the oldest beyond `keep`.
    pub async fn save_task(
        &self,
        id: &str,
        seq: u64,
        body: Value,
        keep: u32,
    ) -> Result<(), AggError> {
        let id = id.to_owned();
        self.with(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO local_tasks (id, seq, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET body = excluded.body",
                params![id, seq as i64, body.to_string()],
            )?;
            tx.execute(
                "DELETE FROM local_tasks WHERE seq <= (SELECT MAX(seq) FROM local_tasks) - ?1",
                params![i64::from(keep)],
            )?;
            tx.commit()
        })
        .await
    }

    /// Every kept task: (sequence number, body), oldest first.
    pub async fn load_tasks(&self) -> Result<Vec<(u64, Value)>, AggError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT seq, body FROM local_tasks ORDER BY seq")?;
            let rows = stmt.query_map([], |r| {
                let seq: i64 = r.get(0)?;
                let text: String = r.get(1)?;
                Ok((
                    u64::try_from(seq).unwrap_or(0),
                    serde_json::from_str(&text).unwrap_or(Value::Null),
                ))
            })?;
            rows.collect()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> NewLogEntry {
        NewLogEntry {
            created: "2024-01-01T00:00:00+00:00".into(),
            severity: "OK".into(),
            message_id: "ResourceEvent.1.4.ResourceChanged".into(),
            message: format!("entry {n}"),
            args: vec![n.to_string()],
            origin: None,
        }
    }

    #[tokio::test]
    async fn the_log_is_capped_cleared_and_ids_never_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        for n in 0..5 {
            store.append_log(entry(n), 3).await.expect("append");
        }
        let rows = store.log_entries().await.expect("read");
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(rows[0].args, ["2"]);
        store.clear_log().await.expect("clear");
        assert!(store.log_entries().await.expect("read").is_empty());
        let next = store.append_log(entry(9), 3).await.expect("append");
        assert_eq!(next.id, 6);
        assert_eq!(
            store.log_entry(6).await.expect("one").map(|r| r.id),
            Some(6)
        );
        assert_eq!(store.log_entry(2).await.expect("gone"), None);
    }

    #[tokio::test]
    async fn properties_and_tasks_survive_reopen_and_tasks_are_capped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        store
            .save_properties("Rack1", vec![("AssetTag".into(), Value::from("A-1"))])
            .await
            .expect("save");
        for seq in 1..=4u64 {
            store
                .save_task(&format!("T{seq}"), seq, serde_json::json!({"Id": seq}), 2)
                .await
                .expect("task");
        }
        let again = Store::open(dir.path()).expect("reopen");
        assert_eq!(
            again.load_properties().await.expect("props"),
            [(
                "Rack1".to_owned(),
                "AssetTag".to_owned(),
                Value::from("A-1")
            )]
        );
        let tasks = again.load_tasks().await.expect("tasks");
        assert_eq!(tasks.iter().map(|t| t.0).collect::<Vec<_>>(), [3, 4]);
        assert_ne!(
            again.manager_uuid().await.expect("uuid"),
            again.service_uuid().await.expect("uuid")
        );
    }
}
