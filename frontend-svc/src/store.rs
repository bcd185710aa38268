//! The frontend's SQLite state (accounts; roles and sessions join it). One connection used from
//! `spawn_blocking`; WAL with synchronous=FULL; each change is one transaction, so an acknowledged
//! write survives a crash and a failed one leaves nothing behind.

use crate::error::FrontendError;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Ordered migrations; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &["CREATE TABLE accounts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role_id TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        locked INTEGER NOT NULL DEFAULT 0,
        password_change_required INTEGER NOT NULL DEFAULT 0
     );
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role_id: String,
    pub enabled: bool,
    pub locked: bool,
    pub password_change_required: bool,
}

#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    pub fn open(dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let conn = Connection::open(dir.join("frontend.sqlite3")).map_err(|e| e.to_string())?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| e.to_string())?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| e.to_string())?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| e.to_string())?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        migrate(&conn)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection off the async runtime.
    pub async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, FrontendError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| FrontendError::Internal("store lock poisoned".into()))?;
            f(&mut guard).map_err(|e| FrontendError::Internal(format!("store: {e}")))
        })
        .await
        .map_err(|e| FrontendError::Internal(format!("store task: {e}")))?
    }

    pub async fn account_count(&self) -> Result<i64, FrontendError> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0)))
            .await
    }

    pub async fn account_by_username(
        &self,
        username: &str,
    ) -> Result<Option<AccountRow>, FrontendError> {
        let username = username.to_owned();
        self.with(move |c| {
            c.query_row(
                "SELECT id, username, password_hash, role_id, enabled, locked, password_change_required
                 FROM accounts WHERE username = ?1",
                params![username],
                account_row,
            )
            .optional()
        })
        .await
    }

    pub async fn insert_account(
        &self,
        username: &str,
        password_hash: &str,
        role_id: &str,
        password_change_required: bool,
    ) -> Result<i64, FrontendError> {
        let (u, h, r) = (
            username.to_owned(),
            password_hash.to_owned(),
            role_id.to_owned(),
        );
        self.with(move |c| {
            c.execute(
                "INSERT INTO accounts (username, password_hash, role_id, password_change_required)
                 VALUES (?1, ?2, ?3, ?4)",
                params![u, h, r, password_change_required],
            )?;
            Ok(c.last_insert_rowid())
        })
        .await
    }
}

pub fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        id: r.get(0)?,
        username: r.get(1)?,
        password_hash: r.get(2)?,
        role_id: r.get(3)?,
        enabled: r.get(4)?,
        locked: r.get(5)?,
        password_change_required: r.get(6)?,
    })
}

fn migrate(conn: &Connection) -> Result<(), String> {
    let done: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| e.to_string())?;
    let done = usize::try_from(done).unwrap_or(0);
    if done > MIGRATIONS.len() {
        return Err(format!(
            "database schema version {done} is newer than this build understands ({})",
            MIGRATIONS.len()
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        conn.execute_batch(&format!(
            "BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;",
            i + 1
        ))
        .map_err(|e| format!("migration {}: {e}", i + 1))?;
    }
    Ok(())
}
