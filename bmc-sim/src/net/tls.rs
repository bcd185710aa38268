//! HTTPS: a self-signed certificate generated at start, served with rustls (ring provider), and
//! regenerated on demand (`POST /sim/certificate`) the way a BMC replaces its certificate.

use std::io;
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

/// A server configuration and the SHA-256 of its certificate (DER).
#[derive(Debug, Clone)]
pub(crate) struct SimCert {
    pub(crate) config: Arc<ServerConfig>,
    /// Upper-case hex, colon-separated (what `openssl x509 -fingerprint -sha256` prints).
    pub(crate) sha256: String,
}

/// A fresh self-signed certificate for localhost / 127.0.0.1 / `extra_names`.
pub(crate) fn self_signed(extra_names: &[String]) -> io::Result<SimCert> {
    let certified =
        rcgen::generate_simple_self_signed(names(extra_names)).map_err(io::Error::other)?;
    let der = certified.cert.der().to_vec();
    let sha256 = fingerprint(&der);
    let cert = CertificateDer::from(der);
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(SimCert {
        config: Arc::new(config),
        sha256,
    })
}

fn names(extra_names: &[String]) -> Vec<String> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    names.extend(extra_names.iter().cloned());
    names
}

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The certificate one BMC serves now. Replacing it builds a whole new server configuration, so
/// no TLS session of the old certificate can be resumed under the new one.
#[derive(Debug)]
pub(crate) struct CertSlot {
    /// The names the certificate is made for (kept for the next one).
    names: Vec<String>,
    current: RwLock<SimCert>,
}

impl CertSlot {
    pub(crate) fn new(first: SimCert, extra_names: Vec<String>) -> Self {
        CertSlot {
            names: extra_names,
            current: RwLock::new(first),
        }
    }

    pub(crate) fn current(&self) -> SimCert {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Generates a new self-signed certificate (new key) and serves it from the next handshake.
    pub(crate) fn regenerate(&self) -> io::Result<SimCert> {
        let fresh = self_signed(&self.names)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh.clone();
        Ok(fresh)
    }
}
