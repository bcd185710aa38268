//! The AccountService and SessionService policies: defaults, persistence (as JSON in the store's
//! `meta` table) and the in-memory copy every login reads.

use crate::error::FrontendError;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::sync::RwLock;

/// Longest password any policy may allow: bounds the work argon2 does on attacker input.
pub const PASSWORD_LENGTH_LIMIT: u64 = 1024;
/// DSP0266 / SessionService schema bounds for `SessionTimeout`, seconds.
pub const SESSION_TIMEOUT_MIN: u64 = 30;
pub const SESSION_TIMEOUT_MAX: u64 = 86_400;

const ACCOUNT_KEY: &str = "account_policy";
const SESSION_KEY: &str = "session_policy";

/// AccountService properties. Defaults follow the original service (threshold 5, 30 s lockout
/// and counter reset, failure logging every 3rd attempt), with a minimum password length of 8
/// instead of 6.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountPolicy {
    pub min_password_length: u64,
    pub max_password_length: u64,
    /// Failed logins before the account locks; 0 = never lock.
    pub lockout_threshold: u64,
    /// Seconds a lockout lasts; 0 = no lockout (AccountService schema).
    pub lockout_duration_s: u64,
    /// Seconds after the last failure when the failure counter restarts.
    pub counter_reset_after_s: u64,
    /// False: the counter only resets on success, and a lockout lasts until an administrator
    /// sets `Locked` to false.
    pub counter_reset_enabled: bool,
    /// A warning is logged at every n-th consecutive failure of an account; 0 = never.
    pub auth_failure_logging_threshold: u64,
}

impl Default for AccountPolicy {
    fn default() -> Self {
        AccountPolicy {
            min_password_length: 8,
            max_password_length: 255,
            lockout_threshold: 5,
            lockout_duration_s: 30,
            counter_reset_after_s: 30,
            counter_reset_enabled: true,
            auth_failure_logging_threshold: 3,
        }
    }
}

/// SessionService properties. The default idle timeout is 30 minutes (the original used 30 s,
/// which logs interactive clients out between two commands).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionPolicy {
    pub timeout_s: u64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy { timeout_s: 1800 }
    }
}

pub struct Policies {
    store: Store,
    account: RwLock<AccountPolicy>,
    session: RwLock<SessionPolicy>,
}

impl Policies {
    pub async fn load(store: &Store) -> Result<Self, String> {
        async fn read<T: Default + for<'de> Deserialize<'de>>(
            store: &Store,
            key: &str,
        ) -> Result<T, String> {
            match store.setting(key).await.map_err(|e| e.to_string())? {
                Some(text) => serde_json::from_str(&text).map_err(|e| format!("{key}: {e}")),
                None => Ok(T::default()),
            }
        }
        Ok(Policies {
            store: store.clone(),
            account: RwLock::new(read(store, ACCOUNT_KEY).await?),
            session: RwLock::new(read(store, SESSION_KEY).await?),
        })
    }

    pub fn account(&self) -> AccountPolicy {
        self.account
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn session(&self) -> SessionPolicy {
        self.session
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stores, then publishes, a validated policy.
    pub async fn set_account(&self, policy: AccountPolicy) -> Result<(), FrontendError> {
        let text = serde_json::to_string(&policy)
            .map_err(|e| FrontendError::Internal(format!("policy: {e}")))?;
        self.store.put_setting(ACCOUNT_KEY, text).await?;
        *self.account.write().unwrap_or_else(|e| e.into_inner()) = policy;
        Ok(())
    }

    pub async fn set_session(&self, policy: SessionPolicy) -> Result<(), FrontendError> {
        let text = serde_json::to_string(&policy)
            .map_err(|e| FrontendError::Internal(format!("policy: {e}")))?;
        self.store.put_setting(SESSION_KEY, text).await?;
        *self.session.write().unwrap_or_else(|e| e.into_inner()) = policy;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn policies_default_then_persist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let p = Policies::load(&store).await.expect("load");
        assert_eq!(p.account(), AccountPolicy::default());
        assert_eq!(p.session().timeout_s, 1800);
        let mut a = p.account();
        a.lockout_threshold = 2;
        p.set_account(a.clone()).await.expect("set");
        p.set_session(SessionPolicy { timeout_s: 60 })
            .await
            .expect("set");
        let again = Policies::load(&store).await.expect("reload");
        assert_eq!(again.account(), a);
        assert_eq!(again.session().timeout_s, 60);
    }
}
