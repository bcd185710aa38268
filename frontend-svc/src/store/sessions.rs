//! The `sessions` table: token hashes only, never tokens. `last_used_ms` is written lazily by the
//! session table (at most every few seconds per session), so it may lag the in-memory value.

use super::Store;
use crate::error::FrontendError;
use rusqlite::params;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub token_hash: [u8; 32],
    pub account_id: i64,
    pub created_ms: i64,
    pub last_used_ms: i64,
    pub client_ip: Option<String>,
    pub context: Option<String>,
}

impl Store {
    pub async fn sessions(&self) -> Result<Vec<SessionRow>, FrontendError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, token_hash, account_id, created_ms, last_used_ms, client_ip, context \
                 FROM sessions",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    let hash: Vec<u8> = r.get(1)?;
                    Ok(SessionRow {
                        id: r.get(0)?,
                        // A malformed hash can match no token.
                        token_hash: <[u8; 32]>::try_from(hash.as_slice()).unwrap_or([0; 32]),
                        account_id: r.get(2)?,
                        created_ms: r.get(3)?,
                        last_used_ms: r.get(4)?,
                        client_ip: r.get(5)?,
                        context: r.get(6)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    pub async fn insert_session(&self, s: SessionRow) -> Result<(), FrontendError> {
        self.with(move |c| {
            c.execute(
                "INSERT INTO sessions (id, token_hash, account_id, created_ms, last_used_ms, \
                 client_ip, context) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    s.id,
                    s.token_hash.as_slice(),
                    s.account_id,
                    s.created_ms,
                    s.last_used_ms,
                    s.client_ip,
                    s.context
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// Deletes these sessions in one transaction.
    pub async fn delete_sessions(&self, ids: Vec<String>) -> Result<(), FrontendError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.with(move |c| {
            let tx = c.transaction()?;
            for id in &ids {
                tx.execute("DELETE FROM sessions WHERE id = ?1", params![id])?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn touch_sessions(&self, used: Vec<(String, i64)>) -> Result<(), FrontendError> {
        if used.is_empty() {
            return Ok(());
        }
        self.with(move |c| {
            let tx = c.transaction()?;
            for (id, ms) in &used {
                tx.execute(
                    "UPDATE sessions SET last_used_ms = MAX(last_used_ms, ?2) WHERE id = ?1",
                    params![id, ms],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }
}
