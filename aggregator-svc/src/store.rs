//! The aggregator's SQLite state: discovered members (so collections are served at once after a
//! restart, and ids stay stable) and the aggregate's identity. rusqlite runs only inside
//! `spawn_blocking`; every write is one transaction.

use crate::error::AggError;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::{Arc, Mutex};

mod aggregates;
mod audit;
mod pins;
mod rack;
mod sources;
pub use aggregates::{Removal, StoredAggregate};
pub use audit::{AuditRow, NewAudit};
pub use rack::{LogRow, NewLogEntry};
pub use sources::StoredSource;

/// Ordered migrations; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: identity and discovered members.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE members (
        bmc_id TEXT NOT NULL,
        collection TEXT NOT NULL,
        odata_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (bmc_id, collection, odata_id)
     );
     CREATE TABLE collection_types (
        collection TEXT PRIMARY KEY,
        odata_type TEXT NOT NULL,
        name TEXT NOT NULL
     );",
    // 2: the rack's own resources: PATCHed properties, the aggregator's event log, local tasks.
    "CREATE TABLE rack_properties (
        resource TEXT NOT NULL,
        property TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (resource, property)
     );
     CREATE TABLE log_entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created TEXT NOT NULL,
        severity TEXT NOT NULL,
        message_id TEXT NOT NULL,
        message TEXT NOT NULL,
        args TEXT NOT NULL,
        origin TEXT
     );
     CREATE TABLE local_tasks (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        body TEXT NOT NULL
     );",
    // 3: BMCs added through the AggregationService (the config file's are not stored); the
    // password sealed (see secrets.rs).
    "CREATE TABLE aggregation_sources (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        url TEXT NOT NULL,
        username TEXT NOT NULL,
        sealed_password BLOB NOT NULL,
        verify_tls INTEGER NOT NULL,
        pdu_socket TEXT
     );",
    // 4: custom Aggregates of the AggregationService (the built-in Rack aggregate is computed).
    // AUTOINCREMENT: an Id is never reused after a DELETE, so an old URI never names a new group.
    "CREATE TABLE aggregates (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT
     );
     CREATE TABLE aggregate_elements (
        aggregate INTEGER NOT NULL,
        odata_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (aggregate, odata_id)
     );",
    // 5: trust on first use: which BMCs added through the API use it, and every pinned
    // certificate (config file BMCs' too), with the address it was taken from.
    "ALTER TABLE aggregation_sources ADD COLUMN trust_on_first_use INTEGER NOT NULL DEFAULT 0;
     CREATE TABLE tls_pins (
        bmc_id TEXT PRIMARY KEY,
        origin TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        pinned_at TEXT NOT NULL
     );",
    // 6: the rack manager's audit log (writes the frontend answered; bounded, see store/audit.rs).
    "CREATE TABLE audit_entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created TEXT NOT NULL,
        request_id TEXT NOT NULL,
        user TEXT NOT NULL,
        client TEXT NOT NULL,
        method TEXT NOT NULL,
        uri TEXT NOT NULL,
        bmc TEXT NOT NULL,
        status INTEGER NOT NULL
     );",
];

/// One discovered member, already in the aggregate's URI space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMember {
    pub bmc_id: String,
    pub collection: String,
    pub odata_id: String,
}

#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    pub fn open(dir: &Path) -> Result<Self, AggError> {
        let conn = svc_common::sqlite::open(dir, "aggregator.sqlite3", &[], MIGRATIONS)
            .map_err(AggError::Store)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, AggError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| AggError::Store("store lock poisoned".into()))?;
            f(&mut guard).map_err(store_err)
        })
        .await
        .map_err(|e| AggError::Store(format!("store task: {e}")))?
    }

    /// The aggregate's UUID, created once and kept forever.
    pub async fn service_uuid(&self) -> Result<String, AggError> {
        self.stable_uuid("service_uuid").await
    }

    /// The rack manager's UUID, created once and kept forever.
    pub async fn manager_uuid(&self) -> Result<String, AggError> {
        self.stable_uuid("manager_uuid").await
    }

    async fn stable_uuid(&self, key: &'static str) -> Result<String, AggError> {
        self.with(move |c| {
            let tx = c.transaction()?;
            let existing: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                    r.get(0)
                })
                .optional()?;
            let uuid = match existing {
                Some(u) => u,
                None => {
                    let u = uuid::Uuid::new_v4().to_string();
                    tx.execute(
                        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                        params![key, u],
                    )?;
                    u
                }
            };
            tx.commit()?;
            Ok(uuid)
        })
        .await
    }

    /// A small document kept under `key` (e.g. the event subscriptions), if set.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, AggError> {
        let key = key.to_owned();
        self.with(move |c| {
            c.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()
        })
        .await
    }

    /// Replaces the document under `key` in one transaction.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), AggError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.with(move |c| {
            c.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
        })
        .await
    }

    /// Removes the document under `key` (absent is fine).
    pub async fn delete_meta(&self, key: &str) -> Result<(), AggError> {
        let key = key.to_owned();
        self.with(move |c| {
            c.execute("DELETE FROM meta WHERE key = ?1", params![key])
                .map(|_| ())
        })
        .await
    }

    pub async fn load_members(&self) -> Result<Vec<StoredMember>, AggError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT bmc_id, collection, odata_id FROM members ORDER BY bmc_id, collection, position",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(StoredMember {
                    bmc_id: r.get(0)?,
                    collection: r.get(1)?,
                    odata_id: r.get(2)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    /// Replaces everything known about one BMC's members in one transaction.
    /// The members of several BMCs, in one transaction (one sync to disk for all of them).
    pub async fn replace_members_of(
        &self,
        bmcs: Vec<(String, Vec<(String, String)>)>,
    ) -> Result<(), AggError> {
        self.with(move |c| {
            let tx = c.transaction()?;
            {
                let mut delete = tx.prepare("DELETE FROM members WHERE bmc_id = ?1")?;
                let mut insert = tx.prepare(
                    "INSERT OR IGNORE INTO members (bmc_id, collection, odata_id, position) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for (bmc_id, members) in &bmcs {
                    delete.execute(params![bmc_id])?;
                    for (position, (collection, odata_id)) in members.iter().enumerate() {
                        insert.execute(params![bmc_id, collection, odata_id, position as i64])?;
                    }
                }
            }
            tx.commit()
        })
        .await
    }

    pub async fn load_collection_types(&self) -> Result<Vec<(String, String, String)>, AggError> {
        self.with(|c| {
            let mut stmt =
                c.prepare("SELECT collection, odata_type, name FROM collection_types")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })
        .await
    }

    pub async fn save_collection_type(
        &self,
        collection: &str,
        odata_type: &str,
        name: &str,
    ) -> Result<(), AggError> {
        let (collection, odata_type, name) = (
            collection.to_owned(),
            odata_type.to_owned(),
            name.to_owned(),
        );
        self.with(move |c| {
            c.execute(
                "INSERT INTO collection_types (collection, odata_type, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT(collection) DO UPDATE SET odata_type = excluded.odata_type, name = excluded.name",
                params![collection, odata_type, name],
            )
            .map(|_| ())
        })
        .await
    }
}

fn store_err(e: rusqlite::Error) -> AggError {
    AggError::Store(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn uuid_is_stable_across_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Store::open(dir.path())
            .expect("open")
            .service_uuid()
            .await
            .expect("uuid");
        let again = Store::open(dir.path())
            .expect("reopen")
            .service_uuid()
            .await
            .expect("uuid");
        assert_eq!(first, again);
    }

    #[tokio::test]
    async fn members_are_replaced_per_bmc_and_survive_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let m = |c: &str, id: &str| (c.to_owned(), id.to_owned());
        store
            .replace_members_of(vec![(
                "s1".to_owned(),
                vec![
                    m("Systems", "/redfish/v1/Systems/s1-1"),
                    m("Chassis", "/redfish/v1/Chassis/s1-1"),
                ],
            )])
            .await
            .expect("write");
        store
            .replace_members_of(vec![(
                "s2".to_owned(),
                vec![m("Systems", "/redfish/v1/Systems/s2-1")],
            )])
            .await
            .expect("write");
        store
            .replace_members_of(vec![(
                "s1".to_owned(),
                vec![m("Systems", "/redfish/v1/Systems/s1-2")],
            )])
            .await
            .expect("write");
        let loaded = Store::open(dir.path())
            .expect("reopen")
            .load_members()
            .await
            .expect("load");
        let ids: Vec<&str> = loaded.iter().map(|m| m.odata_id.as_str()).collect();
        assert_eq!(
            ids,
            ["/redfish/v1/Systems/s1-2", "/redfish/v1/Systems/s2-1"]
        );
    }

    #[tokio::test]
    async fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(Store::open(dir.path()).expect("open"));
        let conn = Connection::open(dir.path().join("aggregator.sqlite3")).expect("raw");
        conn.pragma_update(None, "user_version", 99).expect("bump");
        drop(conn);
        assert!(Store::open(dir.path()).is_err());
    }
}
