//! Who is asking: `X-Auth-Token` (a session) or HTTP Basic, resolved to a [`Principal`].
//!
//! - Basic: a successful check is remembered under a keyed hash of the credentials for a short
//!   while, so argon2 runs on the first request of a client, not on every request.
//! - Sessions: the token's hash is looked up in memory; the account behind it is remembered by id.
//! - Every password check (Basic and session login) goes through [`Authenticator::verify_password`],
//!   which honours and applies the lockout policy and logs failures by user name (never the
//!   password).
//!
//! Any account or role change calls [`Authenticator::invalidate`]; a generation counter keeps a
//! check that raced with the change from caching its stale result.

use crate::clock::Clock;
use crate::error::FrontendError;
use crate::lockout::FailureCounter;
use crate::metrics::LoginFailure;
use crate::passwords;
use crate::policy::Policies;
use crate::privileges::PrivilegeSet;
use crate::roles::RoleBook;
use crate::sessions::Sessions;
use crate::store::{AccountRow, Store};
use base64::Engine;
use http::HeaderMap;
use rand::Rng;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a verified Basic credential is trusted without re-hashing.
const BASIC_CACHE_TTL: Duration = Duration::from_secs(60);
/// Bound on remembered credentials, so a flood of distinct bad guesses cannot grow memory.
const BASIC_CACHE_MAX: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub username: String,
    pub role_id: String,
    pub privileges: PrivilegeSet,
    pub password_change_required: bool,
    pub account_id: i64,
    /// The session the request came with, if it used a token.
    pub session_id: Option<String>,
}

/// What the authenticator shares with the rest of the service.
pub struct AuthParts {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub roles: Arc<RoleBook>,
    pub policies: Arc<Policies>,
    pub sessions: Arc<Sessions>,
    /// An argon2 hash of a random password: unknown user names are checked against it so they
    /// cost as much as known ones.
    pub decoy_hash: String,
    /// Failed logins are counted here.
    pub metrics: crate::metrics::Metrics,
}

pub struct Authenticator {
    parts: AuthParts,
    failures: FailureCounter,
    /// Random per process: cache keys are useless outside it.
    key: [u8; 32],
    generation: AtomicU64,
    basic_cache: Mutex<HashMap<[u8; 32], (Principal, Instant)>>,
    /// One check per credential at a time (see [`Authenticator::basic`]).
    basic_checks: Mutex<HashMap<[u8; 32], Arc<tokio::sync::Mutex<()>>>>,
    by_account: Mutex<HashMap<i64, Principal>>,
}

impl Authenticator {
    pub fn new(parts: AuthParts) -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill(&mut key);
        Authenticator {
            parts,
            failures: FailureCounter::new(),
            key,
            generation: AtomicU64::new(0),
            basic_cache: Mutex::new(HashMap::new()),
            basic_checks: Mutex::new(HashMap::new()),
            by_account: Mutex::new(HashMap::new()),
        }
    }

    /// Forget every remembered credential and principal (after any account or role change).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.basic_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.by_account
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// An administrator unlocked the account: its failure count starts over.
    pub fn forgive(&self, account_id: i64) {
        self.failures.clear(account_id);
    }

    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, FrontendError> {
        if let Some(token) = headers
            .get(redfish::odata::X_AUTH_TOKEN)
            .and_then(|v| v.to_str().ok())
        {
            return self.session(token.trim()).await;
        }
        if let Some((user, password)) = basic_credentials(headers) {
            return self.basic(&user, &password).await;
        }
        Err(FrontendError::Unauthenticated)
    }

    async fn session(&self, token: &str) -> Result<Principal, FrontendError> {
        let timeout_ms = session_timeout_ms(&self.parts.policies);
        let info = self
            .parts
            .sessions
            .resolve(token, timeout_ms)
            .await?
            .ok_or(FrontendError::Unauthenticated)?;
        let mut principal = self.principal_by_id(info.account_id).await?;
        principal.session_id = Some(info.id);
        Ok(principal)
    }

    async fn principal_by_id(&self, account_id: i64) -> Result<Principal, FrontendError> {
        let cached = self
            .by_account
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&account_id)
            .cloned();
        if let Some(p) = cached {
            return Ok(p);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let account = self
            .parts
            .store
            .account_by_id(account_id)
            .await?
            .filter(|a| a.enabled)
            .ok_or(FrontendError::Unauthenticated)?;
        let principal = self.principal_of(&account);
        let mut cache = self.by_account.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == generation {
            cache.insert(account_id, principal.clone());
        }
        Ok(principal)
    }

    /// When a busy client's remembered credential expires, all its requests in flight miss the
    /// cache at once: they wait for one check instead of each running its own (256 clients
    /// sharing one account stalled for seconds behind 256 argon2 runs and store reads, and the
    /// frontend's RSS grew by some 80 MB).
    async fn basic(&self, username: &str, password: &str) -> Result<Principal, FrontendError> {
        let cache_key = self.cache_key(username, password);
        if let Some(p) = self.cached(&cache_key) {
            return Ok(p);
        }
        let gate = self
            .basic_checks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(cache_key)
            .or_default()
            .clone();
        let turn = gate.lock().await;
        let result = match self.cached(&cache_key) {
            Some(p) => Ok(p),
            None => self.basic_uncached(username, password, cache_key).await,
        };
        let mut checks = self.basic_checks.lock().unwrap_or_else(|e| e.into_inner());
        // Nobody else holds or waits for this gate (the map and this call are its owners).
        if Arc::strong_count(&gate) <= 2 {
            checks.remove(&cache_key);
        }
        drop(turn);
        result
    }

    async fn basic_uncached(
        &self,
        username: &str,
        password: &str,
        cache_key: [u8; 32],
    ) -> Result<Principal, FrontendError> {
        let generation = self.generation.load(Ordering::SeqCst);
        let account = self
            .verify_password(username, password)
            .await
            .map_err(|e| match e {
                FrontendError::LoginFailed { .. } => FrontendError::Unauthenticated,
                other => other,
            })?;
        let principal = self.principal_of(&account);
        let mut c = self.basic_cache.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == generation {
            if c.len() >= BASIC_CACHE_MAX {
                c.clear();
            }
            c.insert(
                cache_key,
                (principal.clone(), Instant::now() + BASIC_CACHE_TTL),
            );
        }
        Ok(principal)
    }

    /// Checks a user name and password for a login: unknown users, wrong passwords, locked and
    /// disabled accounts all fail alike (`LoginFailed`); wrong passwords count toward lockout.
    pub async fn verify_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<AccountRow, FrontendError> {
        let failed = || FrontendError::LoginFailed {
            uri: crate::sessions::SESSIONS_URI.to_owned(),
        };
        // No stored password can be longer than the policy limit: skip argon2 for huge inputs.
        let too_long = password.len() > 4 * crate::policy::PASSWORD_LENGTH_LIMIT as usize;
        let Some(account) = self.parts.store.account_by_username(username).await? else {
            if !too_long {
                passwords::verify_async(password.to_owned(), self.parts.decoy_hash.clone()).await;
            }
            self.parts.metrics.login_failed(LoginFailure::UnknownUser);
            tracing::info!(user = %username, "authentication failed: no such account");
            return Err(failed());
        };
        let now = self.parts.clock.now_ms();
        if account.locked_at(now) {
            self.parts.metrics.login_failed(LoginFailure::Locked);
            tracing::info!(user = %username, "authentication refused: account locked");
            return Err(failed());
        }
        if too_long
            || !passwords::verify_async(password.to_owned(), account.password_hash.clone()).await
        {
            self.parts.metrics.login_failed(LoginFailure::WrongPassword);
            self.count_failure(&account, now).await?;
            return Err(failed());
        }
        if !account.enabled {
            self.parts.metrics.login_failed(LoginFailure::Disabled);
            tracing::info!(user = %username, "authentication refused: account disabled");
            return Err(failed());
        }
        self.failures.clear(account.id);
        Ok(account)
    }

    async fn count_failure(&self, account: &AccountRow, now: i64) -> Result<(), FrontendError> {
        let policy = self.parts.policies.account();
        let failure = self.failures.record_failure(account.id, now, &policy);
        if failure.log {
            tracing::warn!(user = %account.username, failures = failure.count, "repeated authentication failures");
        } else {
            tracing::info!(user = %account.username, failures = failure.count, "authentication failed: wrong password");
        }
        if let Some(until) = failure.lock {
            self.parts.store.lock_account(account.id, until).await?;
            self.invalidate();
            tracing::warn!(
                user = %account.username,
                until = until.map(crate::clock::rfc3339).as_deref().unwrap_or("unlocked by an administrator"),
                "account locked after repeated authentication failures"
            );
        }
        Ok(())
    }

    /// The principal for an account as it is now.
    pub fn principal_of(&self, account: &AccountRow) -> Principal {
        Principal {
            username: account.username.clone(),
            role_id: account.role_id.clone(),
            privileges: self
                .parts
                .roles
                .get(&account.role_id)
                .map(|r| r.privileges())
                .unwrap_or_default(),
            password_change_required: account.password_change_required,
            account_id: account.id,
            session_id: None,
        }
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Principal> {
        let mut c = self.basic_cache.lock().ok()?;
        match c.get(key) {
            Some((p, until)) if *until > Instant::now() => Some(p.clone()),
            Some(_) => {
                c.remove(key);
                None
            }
            None => None,
        }
    }

    fn cache_key(&self, username: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update((username.len() as u64).to_be_bytes());
        h.update(username.as_bytes());
        h.update(password.as_bytes());
        h.finalize().into()
    }
}

/// The idle timeout in milliseconds from the session policy.
pub fn session_timeout_ms(policies: &Policies) -> i64 {
    i64::try_from(policies.session().timeout_s.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// `Authorization: Basic base64(user:password)`, if present and well formed.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, v.parse().expect("header"));
        h
    }

    #[test]
    fn basic_credentials_are_parsed_strictly() {
        assert_eq!(
            basic_credentials(&with_auth("Basic YWRtaW46cHc6eA==")),
            Some(("admin".into(), "pw:x".into()))
        );
        assert_eq!(basic_credentials(&with_auth("Bearer abc")), None);
        assert_eq!(basic_credentials(&with_auth("Basic !!!")), None);
        assert_eq!(basic_credentials(&with_auth("Basic bm9jb2xvbg==")), None);
        assert_eq!(basic_credentials(&HeaderMap::new()), None);
    }
}
