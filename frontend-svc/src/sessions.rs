//! The session table: who holds which token. Tokens are 32 bytes from the thread CSPRNG (seeded
//! from the OS), given to the client once as hex and kept only as SHA-256 hashes, in memory (the
//! lookup on every request) and in SQLite (so sessions survive a restart). Use refreshes the idle
//! timer in memory; the store learns of it at most every [`PERSIST_EVERY_MS`] per session and on
//! shutdown.

use crate::clock::Clock;
use crate::error::FrontendError;
use crate::store::{SessionRow, Store};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most sessions held at once; expired ones are swept before a new one is refused.
pub const MAX_SESSIONS: usize = 1024;
/// How stale the stored `last_used` of a session in use may get.
pub const PERSIST_EVERY_MS: i64 = 15_000;

pub const SESSIONS_URI: &str = "/redfish/v1/SessionService/Sessions";

pub fn session_uri(id: &str) -> String {
    format!("/redfish/v1/SessionService/Sessions/{id}")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: String,
    pub account_id: i64,
    pub created_ms: i64,
    pub last_used_ms: i64,
    pub client_ip: Option<String>,
    pub context: Option<String>,
}

struct Entry {
    info: SessionInfo,
    persisted_ms: i64,
}

#[derive(Default)]
struct Table {
    by_hash: HashMap<[u8; 32], Entry>,
    by_id: HashMap<String, [u8; 32]>,
}

impl Table {
    fn insert(&mut self, hash: [u8; 32], entry: Entry) {
        self.by_id.insert(entry.info.id.clone(), hash);
        self.by_hash.insert(hash, entry);
    }

    fn remove(&mut self, id: &str) -> Option<SessionInfo> {
        let hash = self.by_id.remove(id)?;
        self.by_hash.remove(&hash).map(|e| e.info)
    }

    fn expired_ids(&self, now_ms: i64, timeout_ms: i64) -> Vec<String> {
        self.by_hash
            .values()
            .filter(|e| is_expired(&e.info, now_ms, timeout_ms))
            .map(|e| e.info.id.clone())
            .collect()
    }
}

fn is_expired(info: &SessionInfo, now_ms: i64, timeout_ms: i64) -> bool {
    now_ms.saturating_sub(info.last_used_ms) >= timeout_ms
}

pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub struct Sessions {
    store: Store,
    clock: Arc<dyn Clock>,
    table: Mutex<Table>,
}

impl Sessions {
    /// Reloads the stored sessions, dropping those idle for longer than `timeout_ms`.
    pub async fn load(
        store: &Store,
        clock: Arc<dyn Clock>,
        timeout_ms: i64,
    ) -> Result<Self, String> {
        let now = clock.now_ms();
        let mut table = Table::default();
        let mut stale = Vec::new();
        for row in store.sessions().await.map_err(|e| e.to_string())? {
            let info = SessionInfo {
                id: row.id,
                account_id: row.account_id,
                created_ms: row.created_ms,
                last_used_ms: row.last_used_ms,
                client_ip: row.client_ip,
                context: row.context,
            };
            if is_expired(&info, now, timeout_ms) {
                stale.push(info.id);
            } else {
                let persisted_ms = info.last_used_ms;
                table.insert(row.token_hash, Entry { info, persisted_ms });
            }
        }
        store
            .delete_sessions(stale)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Sessions {
            store: store.clone(),
            clock,
            table: Mutex::new(table),
        })
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a session for an authenticated account: the token (shown once) and the session.
    pub async fn create(
        &self,
        account_id: i64,
        client_ip: Option<String>,
        context: Option<String>,
        timeout_ms: i64,
    ) -> Result<(String, SessionInfo), FrontendError> {
        let now = self.clock.now_ms();
        let expired = self.table().expired_ids(now, timeout_ms);
        self.delete_many(expired).await?;
        if self.table().by_hash.len() >= MAX_SESSIONS {
            return Err(FrontendError::SessionLimit);
        }
        let token = new_token();
        let hash = hash_token(&token);
        let info = SessionInfo {
            id: uuid::Uuid::new_v4().simple().to_string(),
            account_id,
            created_ms: now,
            last_used_ms: now,
            client_ip,
            context,
        };
        self.store
            .insert_session(SessionRow {
                id: info.id.clone(),
                token_hash: hash,
                account_id,
                created_ms: now,
                last_used_ms: now,
                client_ip: info.client_ip.clone(),
                context: info.context.clone(),
            })
            .await?;
        self.table().insert(
            hash,
            Entry {
                info: info.clone(),
                persisted_ms: now,
            },
        );
        Ok((token, info))
    }

    /// The live session holding `token`, its idle timer restarted; None when there is none or
    /// it timed out (it is then removed).
    pub async fn resolve(
        &self,
        token: &str,
        timeout_ms: i64,
    ) -> Result<Option<SessionInfo>, FrontendError> {
        let hash = hash_token(token);
        let now = self.clock.now_ms();
        let (found, expired, persist) = {
            let mut table = self.table();
            match table.by_hash.get_mut(&hash) {
                None => (None, None, None),
                Some(e) if is_expired(&e.info, now, timeout_ms) => {
                    let id = e.info.id.clone();
                    table.remove(&id);
                    (None, Some(id), None)
                }
                Some(e) => {
                    e.info.last_used_ms = now.max(e.info.last_used_ms);
                    let persist = (now - e.persisted_ms >= PERSIST_EVERY_MS).then(|| {
                        e.persisted_ms = now;
                        (e.info.id.clone(), now)
                    });
                    (Some(e.info.clone()), None, persist)
                }
            }
        };
        if let Some(id) = expired {
            tracing::info!(session = %id, "session timed out");
            self.store.delete_sessions(vec![id]).await?;
        }
        if let Some(used) = persist {
            self.store.touch_sessions(vec![used]).await?;
        }
        Ok(found)
    }

    /// A live session by id (its timer untouched).
    pub fn get(&self, id: &str, timeout_ms: i64) -> Option<SessionInfo> {
        let now = self.clock.now_ms();
        let table = self.table();
        let hash = table.by_id.get(id)?;
        table
            .by_hash
            .get(hash)
            .map(|e| e.info.clone())
            .filter(|i| !is_expired(i, now, timeout_ms))
    }

    /// Every live session, oldest first.
    pub fn list(&self, timeout_ms: i64) -> Vec<SessionInfo> {
        let now = self.clock.now_ms();
        let mut all: Vec<SessionInfo> = self
            .table()
            .by_hash
            .values()
            .map(|e| e.info.clone())
            .filter(|i| !is_expired(i, now, timeout_ms))
            .collect();
        all.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        all
    }

    /// Ends one session; false when there was none.
    pub async fn delete(&self, id: &str) -> Result<bool, FrontendError> {
        if !self.table().by_id.contains_key(id) {
            return Ok(false);
        }
        self.delete_many(vec![id.to_owned()]).await?;
        Ok(true)
    }

    /// Drops from memory every session of an account except `keep`, after the store removed
    /// them in the same transaction as the account change that ended them. Returns how many.
    pub fn forget_account(&self, account_id: i64, keep: Option<&str>) -> usize {
        let mut table = self.table();
        let ids: Vec<String> = table
            .by_hash
            .values()
            .filter(|e| e.info.account_id == account_id && Some(e.info.id.as_str()) != keep)
            .map(|e| e.info.id.clone())
            .collect();
        for id in &ids {
            table.remove(id);
        }
        ids.len()
    }

    /// Store first: a session the store still holds must not vanish from memory only.
    async fn delete_many(&self, ids: Vec<String>) -> Result<(), FrontendError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.store.delete_sessions(ids.clone()).await?;
        let mut table = self.table();
        for id in &ids {
            table.remove(id);
        }
        Ok(())
    }

    /// Writes every session's latest use to the store (at shutdown).
    pub async fn flush(&self) -> Result<(), FrontendError> {
        let used: Vec<(String, i64)> = {
            let mut table = self.table();
            table
                .by_hash
                .values_mut()
                .filter(|e| e.info.last_used_ms > e.persisted_ms)
                .map(|e| {
                    e.persisted_ms = e.info.last_used_ms;
                    (e.info.id.clone(), e.info.last_used_ms)
                })
                .collect()
        };
        self.store.touch_sessions(used).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::store::NewAccount;
    use std::time::Duration;

    async fn setup() -> (tempfile::TempDir, Store, Arc<ManualClock>, i64) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let id = store
            .insert_account(NewAccount {
                username: "u".into(),
                password_hash: "h".into(),
                role_id: "ReadOnly".into(),
                enabled: true,
                password_change_required: false,
            })
            .await
            .expect("account");
        (dir, store, Arc::new(ManualClock::new()), id)
    }

    #[tokio::test]
    async fn tokens_are_random_hex_and_stored_only_hashed() {
        let (_dir, store, clock, account) = setup().await;
        let s = Sessions::load(&store, clock, 60_000).await.expect("load");
        let (t1, _) = s.create(account, None, None, 60_000).await.expect("create");
        let (t2, _) = s.create(account, None, None, 60_000).await.expect("create");
        assert_eq!(t1.len(), 64);
        assert!(t1.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(t1, t2);
        let rows = store.sessions().await.expect("rows");
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().any(|r| r.token_hash == hash_token(&t1)));
        let raw = std::fs::read(_dir.path().join("frontend.sqlite3")).unwrap_or_default();
        let wal = std::fs::read(_dir.path().join("frontend.sqlite3-wal")).unwrap_or_default();
        for bytes in [raw, wal] {
            assert!(!bytes.windows(64).any(|w| w == t1.as_bytes()));
        }
    }

    #[tokio::test]
    async fn idle_sessions_expire_and_use_refreshes_them() {
        let (_dir, store, clock, account) = setup().await;
        let s = Sessions::load(&store, clock.clone(), 30_000)
            .await
            .expect("load");
        let (token, info) = s.create(account, None, None, 30_000).await.expect("create");
        clock.advance(Duration::from_secs(20));
        assert!(s.resolve(&token, 30_000).await.expect("resolve").is_some());
        clock.advance(Duration::from_secs(20));
        assert!(s.resolve(&token, 30_000).await.expect("resolve").is_some());
        // The second use was persisted (more than PERSIST_EVERY_MS after creation).
        let stored = store.sessions().await.expect("rows");
        assert!(stored[0].last_used_ms > info.created_ms);
        clock.advance(Duration::from_secs(30));
        assert!(s.get(&info.id, 30_000).is_none());
        assert!(s.resolve(&token, 30_000).await.expect("resolve").is_none());
        assert!(store.sessions().await.expect("rows").is_empty());
    }

    #[tokio::test]
    async fn sessions_survive_a_reload_and_end_per_account() {
        let (_dir, store, clock, account) = setup().await;
        let s = Sessions::load(&store, clock.clone(), 60_000)
            .await
            .expect("load");
        let (token, a) = s
            .create(
                account,
                Some("127.0.0.1".into()),
                Some("ctx".into()),
                60_000,
            )
            .await
            .expect("create");
        let (_t, b) = s.create(account, None, None, 60_000).await.expect("create");
        s.flush().await.expect("flush");
        let again = Sessions::load(&store, clock.clone(), 60_000)
            .await
            .expect("reload");
        let found = again.resolve(&token, 60_000).await.expect("resolve");
        assert_eq!(
            found.map(|i| (i.id, i.context)),
            Some((a.id.clone(), Some("ctx".into())))
        );
        assert_eq!(again.forget_account(account, Some(&a.id)), 1);
        assert!(again.get(&b.id, 60_000).is_none());
        assert!(again.delete(&a.id).await.expect("delete"));
        assert!(!again.delete(&a.id).await.expect("delete"));
        // Forgetting is memory-only: the account change that ends sessions deletes their rows.
        let rows = store.sessions().await.expect("rows");
        assert_eq!(
            rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            [b.id.as_str()]
        );
    }
}
