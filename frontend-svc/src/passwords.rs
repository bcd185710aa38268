//! Password hashing (argon2id, PHC strings) and generation. Hashing is deliberately slow: it runs
//! on login and on Basic-auth cache misses only, on two threads of its own.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

/// argon2id with 7 MiB and 5 passes: one of OWASP's equally strong settings, with a third of the
/// default's memory (a switch has little). Hashes made with other parameters (the PHC string
/// names them) still verify.
fn hasher() -> Result<Argon2<'static>, String> {
    let params = Params::new(7 * 1024, 5, 1, None).map_err(|e| e.to_string())?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash(password: &str) -> Result<String, String> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
    hasher()?
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

/// How many hashes run at once, each on a thread of its own. The threads are always the same
/// two: run on tokio's blocking pool, every hash landed on another thread and left its memory in
/// that thread's malloc arena (32 concurrent bad logins took the frontend to 1 GB, and kept it).
const HASH_THREADS: usize = 2;

type Job = Box<dyn FnOnce() + Send>;

/// The two hashing threads, started on first use (shared by every frontend in the process, like
/// the CPU and memory they bound).
fn hash_threads() -> &'static std::sync::Mutex<std::sync::mpsc::Sender<Job>> {
    static POOL: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for n in 0..HASH_THREADS {
            let rx = rx.clone();
            let _ = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
        }
        std::sync::Mutex::new(tx)
    })
}

/// Runs `work` on a hashing thread; None if the threads are gone.
async fn on_hash_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    hash_threads().lock().ok()?.send(job).ok()?;
    rx.await.ok()
}

/// Runs [`hash`] on a hashing thread.
pub async fn hash_async(password: String) -> Result<String, String> {
    on_hash_thread(move || hash(&password))
        .await
        .unwrap_or_else(|| Err("password hashing unavailable".into()))
}

/// Runs [`verify`] on a hashing thread.
pub async fn verify_async(password: String, phc: String) -> bool {
    on_hash_thread(move || verify(&password, &phc))
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
        assert!(h.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{h}");
        // A hash made with the crate's default parameters (older stores) still verifies.
        let salt = SaltString::encode_b64(&[7u8; 16]).expect("salt");
        let old = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .expect("hash")
            .to_string();
        assert!(old.contains("m=19456"));
        assert!(verify("correct horse", &old));
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong horse", &h));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[tokio::test]
    async fn hashing_runs_on_its_own_threads() {
        let h = hash_async("pw".into()).await.expect("hash");
        assert!(verify_async("pw".into(), h.clone()).await);
        assert!(!verify_async("other".into(), h).await);
        let name = on_hash_thread(|| std::thread::current().name().map(str::to_owned))
            .await
            .flatten();
        assert!(name.is_some_and(|n| n.starts_with("argon2-")));
    }

    #[test]
    fn generated_passwords_differ_and_have_the_length() {
        let a = generate(20);
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate(20));
    }
}
