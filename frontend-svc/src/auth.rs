//! Who is asking: HTTP Basic (or, with the session service, X-Auth-Token) resolved to a
//! `Principal`. A successful Basic check is remembered under a keyed hash of the credentials for a
//! short while, so argon2 runs on the first request of a client, not on every request.

use crate::error::FrontendError;
use crate::passwords;
use crate::store::Store;
use base64::Engine;
use http::HeaderMap;
use rand::Rng;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a verified Basic credential is trusted without re-hashing.
const BASIC_CACHE_TTL: Duration = Duration::from_secs(60);
/// Bound on remembered credentials, so a flood of distinct bad guesses cannot grow memory.
const BASIC_CACHE_MAX: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub username: String,
    pub role_id: String,
    pub password_change_required: bool,
    pub account_id: i64,
}

pub struct Authenticator {
    store: Store,
    /// Random per process: cache keys are useless outside it.
    key: [u8; 32],
    basic_cache: Mutex<HashMap<[u8; 32], (Principal, Instant)>>,
}

impl Authenticator {
    pub fn new(store: Store) -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill(&mut key);
        Authenticator {
            store,
            key,
            basic_cache: Mutex::new(HashMap::new()),
        }
    }

    /// Forget every remembered credential (after any account change).
    pub fn invalidate(&self) {
        if let Ok(mut c) = self.basic_cache.lock() {
            c.clear();
        }
    }

    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, FrontendError> {
        if let Some((user, password)) = basic_credentials(headers) {
            return self.basic(&user, &password).await;
        }
        Err(FrontendError::Unauthenticated)
    }

    async fn basic(&self, username: &str, password: &str) -> Result<Principal, FrontendError> {
        let cache_key = self.cache_key(username, password);
        if let Some(p) = self.cached(&cache_key) {
            return Ok(p);
        }
        let account = self
            .store
            .account_by_username(username)
            .await?
            .ok_or(FrontendError::Unauthenticated)?;
        let ok = passwords::verify_async(password.to_owned(), account.password_hash.clone()).await;
        if !ok || !account.enabled || account.locked {
            tracing::warn!(user = %username, "authentication failed");
            return Err(FrontendError::Unauthenticated);
        }
        let principal = Principal {
            username: account.username,
            role_id: account.role_id,
            password_change_required: account.password_change_required,
            account_id: account.id,
        };
        if let Ok(mut c) = self.basic_cache.lock() {
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
