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

/// How many hashes run at once, each on a thread of its own. Not tokio's blocking pool: there,
/// every hash landed on another thread and left its memory in that thread's malloc arena (32
/// concurrent bad logins took the frontend to 1 GB, and kept it).
const HASH_THREADS: usize = 2;
/// A hashing thread idle this long ends, and the next hash starts a new one: the allocator hands
/// a thread's 7 MiB back to the system when the thread ends, where an idle thread would keep it.
const HASH_THREAD_IDLE: std::time::Duration = std::time::Duration::from_secs(2);

type Job = Box<dyn FnOnce() + Send>;

struct HashPool {
    tx: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
    rx: std::sync::Arc<std::sync::Mutex<std::sync::mpsc::Receiver<Job>>>,
    alive: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// The hashing threads (shared by every frontend in the process, like the CPU and memory they
/// bound), started on demand.
fn hash_pool() -> &'static HashPool {
    static POOL: std::sync::OnceLock<HashPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        HashPool {
            tx: std::sync::Mutex::new(tx),
            rx: std::sync::Arc::new(std::sync::Mutex::new(rx)),
            alive: std::sync::Arc::default(),
        }
    })
}

impl HashPool {
    fn submit(&self, job: Job) -> Option<()> {
        use std::sync::atomic::Ordering::SeqCst;
        self.tx.lock().ok()?.send(job).ok()?;
        // A thread that is ending looks at the queue once more after it stops counting itself,
        // so a job sent meanwhile is either taken by it or sees the lower count here.
        if self
            .alive
            .fetch_update(SeqCst, SeqCst, |n| (n < HASH_THREADS).then_some(n + 1))
            .is_ok()
        {
            let (rx, alive) = (self.rx.clone(), self.alive.clone());
            let spawned = std::thread::Builder::new()
                .name("argon2".into())
                .spawn(move || hash_thread(&rx, &alive));
            if spawned.is_err() {
                self.alive.fetch_sub(1, SeqCst);
            }
        }
        Some(())
    }
}

fn hash_thread(
    rx: &std::sync::Mutex<std::sync::mpsc::Receiver<Job>>,
    alive: &std::sync::atomic::AtomicUsize,
) {
    use std::sync::atomic::Ordering::SeqCst;
    use std::sync::mpsc::RecvTimeoutError;
    loop {
        let next = match rx.lock() {
            Ok(rx) => rx.recv_timeout(HASH_THREAD_IDLE),
            Err(_) => return,
        };
        match next {
            Ok(job) => job(),
            Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {
                alive.fetch_sub(1, SeqCst);
                let late = rx.lock().ok().and_then(|rx| rx.try_recv().ok());
                match late {
                    Some(job) => {
                        alive.fetch_add(1, SeqCst);
                        job();
                    }
                    None => return,
                }
            }
        }
    }
}

/// Runs `work` on a hashing thread; None if the threads are gone.
async fn on_hash_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    hash_pool().submit(job)?;
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
        assert!(name.is_some_and(|n| n == "argon2"));
    }

    #[tokio::test]
    async fn idle_hashing_threads_end_and_the_next_hash_starts_one() {
        use std::sync::atomic::Ordering::SeqCst;
        assert_eq!(on_hash_thread(|| 1).await, Some(1));
        let pool = hash_pool();
        let deadline = std::time::Instant::now() + HASH_THREAD_IDLE * 4;
        while pool.alive.load(SeqCst) > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "hashing threads never ended"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(on_hash_thread(|| 2).await, Some(2));
        assert!(pool.alive.load(SeqCst) >= 1);
    }

    #[test]
    fn generated_passwords_differ_and_have_the_length() {
        let a = generate(20);
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate(20));
    }
}
