//! Passwords of AggregationSources at rest: sealed with ChaCha20-Poly1305 (ring's AEAD) under a
//! 32-byte key kept in a file of its own (created 0600 when absent), so the SQLite file alone
//! never gives a BMC password away. A sealed value is `nonce (12 bytes) || ciphertext+tag`, the
//! nonce random per sealing.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use std::io::Write;
use std::path::Path;

const KEY_LEN: usize = 32;

pub struct SecretBox {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// The key in `path`, made (0600, in a new file) when there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, String> {
        let rng = SystemRandom::new();
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; KEY_LEN];
                rng.fill(&mut key)
                    .map_err(|_| "no randomness for a new key".to_owned())?;
                write_new_key(path, &key)?;
                tracing::info!(path = %path.display(), "created the key that seals BMC passwords");
                key.to_vec()
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        if bytes.len() != KEY_LEN {
            return Err(format!(
                "{}: a key is {KEY_LEN} bytes, this file has {}",
                path.display(),
                bytes.len()
            ));
        }
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
            .map_err(|_| format!("{}: not a usable key", path.display()))?;
        Ok(SecretBox {
            key: LessSafeKey::new(key),
            rng,
        })
    }

    pub fn seal(&self, secret: &str) -> Result<Vec<u8>, String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| "no randomness for a nonce".to_owned())?;
        let mut data = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| "sealing failed".to_owned())?;
        let mut out = nonce.to_vec();
        out.extend(data);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8]) -> Result<String, String> {
        if sealed.len() < NONCE_LEN {
            return Err("sealed value too short".into());
        }
        let (nonce, data) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| "bad nonce".to_owned())?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| "cannot be opened with this key (another key, or tampered)".to_owned())?;
        String::from_utf8(plain.to_vec()).map_err(|_| "not text".to_owned())
    }
}

fn write_new_key(path: &Path, key: &[u8]) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(key)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_passwords_open_with_the_same_key_only() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("sources.key");
        let sealer = SecretBox::load_or_create(&path).expect("new key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let a = sealer.seal("calvin").expect("seal");
        let b = sealer.seal("calvin").expect("seal");
        assert_ne!(a, b, "a fresh nonce every time");
        assert!(!a.windows(6).any(|w| w == b"calvin"), "not in clear");
        // The key file is read back on the next start.
        let again = SecretBox::load_or_create(&path).expect("same key");
        assert_eq!(again.open(&a).expect("open"), "calvin");

        let mut tampered = a.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(again.open(&tampered).is_err());
        let other = SecretBox::load_or_create(&dir.path().join("other.key")).expect("key");
        assert!(other.open(&a).is_err());
        std::fs::write(dir.path().join("short.key"), b"short").expect("write");
        assert!(SecretBox::load_or_create(&dir.path().join("short.key")).is_err());
    }
}
