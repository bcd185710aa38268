//! The frontend's SQLite state: accounts, custom roles, sessions and the account/session
//! policies. One connection used from `spawn_blocking`; WAL with synchronous=FULL; each change is
//! one transaction, so an acknowledged write survives a crash and a refused or failed one leaves
//! nothing behind.
//!
//! - [`accounts`], [`roles`], [`sessions`], [`settings`]: the queries, one file per table.

pub mod accounts;
pub mod roles;
pub mod sessions;
pub mod settings;

use crate::error::FrontendError;
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};

pub use accounts::{AccountChange, AccountRow, EndSessions, NewAccount};
pub use roles::RoleRow;
pub use sessions::SessionRow;

/// Ordered migrations; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE accounts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role_id TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        locked INTEGER NOT NULL DEFAULT 0,
        password_change_required INTEGER NOT NULL DEFAULT 0
     );
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // Lockout expiry (NULL while locked = until an administrator unlocks), custom roles (the
    // predefined ones live in code), and sessions by token hash.
    "ALTER TABLE accounts ADD COLUMN locked_until INTEGER;
     CREATE TABLE roles (
        id TEXT PRIMARY KEY,
        privileges TEXT NOT NULL,
        oem_privileges TEXT NOT NULL
     );
     CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        token_hash BLOB NOT NULL UNIQUE,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        created_ms INTEGER NOT NULL,
        last_used_ms INTEGER NOT NULL,
        client_ip TEXT,
        context TEXT
     );
     CREATE INDEX sessions_by_account ON sessions(account_id);",
];

#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl From<rusqlite::Error> for FrontendError {
    fn from(e: rusqlite::Error) -> Self {
        FrontendError::Internal(format!("store: {e}"))
    }
}

impl Store {
    pub fn open(dir: &Path) -> Result<Self, String> {
        let conn = svc_common::sqlite::open(
            dir,
            "frontend.sqlite3",
            &[("foreign_keys", "ON")],
            MIGRATIONS,
        )?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection off the async runtime. A closure that opens a transaction and
    /// returns an error before committing rolls it back (the transaction is dropped).
    pub async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, FrontendError> + Send + 'static,
    ) -> Result<T, FrontendError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| FrontendError::Internal("store lock poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| FrontendError::Internal(format!("store task: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrations_apply_once_and_reopen_cleanly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let version: i64 = store
            .with(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
            .await
            .expect("version");
        assert_eq!(version, MIGRATIONS.len() as i64);
        drop(store);
        let again = Store::open(dir.path()).expect("reopen");
        assert_eq!(again.account_count().await.expect("count"), 0);
    }
}
