//! Password hashing (argon2id, PHC strings) and generation. Hashing is deliberately slow: it runs
//! on login and on Basic-auth cache misses only, on the blocking pool.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;

pub fn hash(password: &str) -> Result<String, String> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Runs [`hash`] on the blocking pool.
/// argon2 needs ~19 MiB per running hash: at most this many run at once, so a burst of logins
/// (or of bad guesses) queues instead of exhausting a switch's memory.
const MAX_CONCURRENT_HASHES: usize = 2;
static HASH_SLOTS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(MAX_CONCURRENT_HASHES);

pub async fn hash_async(password: String) -> Result<String, String> {
    let _slot = HASH_SLOTS.acquire().await.map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| e.to_string())?
}

/// Runs [`verify`] on the blocking pool.
pub async fn verify_async(password: String, phc: String) -> bool {
    let Ok(_slot) = HASH_SLOTS.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify(&password, &phc))
        .await
        .unwrap_or(false)
}

/// A random password of `len` characters from an unambiguous alphabet.
pub fn generate(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_right_password() {
        let h = hash("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong horse", &h));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[test]
    fn generated_passwords_differ_and_have_the_length() {
        let a = generate(20);
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate(20));
    }
}
