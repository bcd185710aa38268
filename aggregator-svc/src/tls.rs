//! Per-BMC TLS policy. Verification stays on unless an operator turns it off for one BMC
//! (`verify_tls = false`, for self-signed BMC certificates); then the certificate is accepted but
//! handshake signatures are still checked, so the session is at least bound to the key presented.
//! A BMC with `trust_on_first_use` gets a configuration of its own that pins its certificate
//! (`crate::tofu`).

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::Path;
use std::sync::Arc;

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The client configurations BMCs share: one for `verify_tls = false`, one with the system's
/// roots (a root store is some hundred kilobytes: one per BMC made a 1,000-BMC aggregator weigh
/// a hundred megabytes). A BMC with its own `ca_file` gets its own, read when its client is made.
#[derive(Default)]
pub struct TlsConfigs {
    shared: std::sync::Mutex<[Option<Arc<ClientConfig>>; 2]>,
    /// The pins of the BMCs in trust-on-first-use mode.
    pins: crate::tofu::Pins,
}

impl std::fmt::Debug for TlsConfigs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfigs")
    }
}

impl TlsConfigs {
    /// With the pins remembered for trust-on-first-use BMCs.
    pub fn with_pins(pins: crate::tofu::Pins) -> Self {
        TlsConfigs {
            shared: Default::default(),
            pins,
        }
    }

    pub fn pins(&self) -> &crate::tofu::Pins {
        &self.pins
    }

    /// The configuration for `bmc` as its settings say, ALPN set (h2, http/1.1).
    pub fn for_bmc(&self, bmc: &crate::config::ValidBmc) -> Result<Arc<ClientConfig>, String> {
        if bmc.trust_on_first_use {
            let origin = bmc.base_url.as_str().trim_end_matches('/');
            let cell = self.pins.cell(&bmc.id, origin);
            return with_alpn(crate::tofu::verifier::client_config(cell)?);
        }
        self.get(bmc.verify_tls, bmc.ca_file.as_deref())
    }

    /// The configuration for a BMC, ALPN set (h2, http/1.1).
    pub fn get(&self, verify: bool, ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
        if ca_file.is_some() {
            return with_alpn(client_config(verify, ca_file)?);
        }
        let slot = usize::from(verify);
        let mut shared = self.shared.lock().map_err(|_| "TLS cache poisoned")?;
        if let Some(config) = &shared[slot] {
            return Ok(config.clone());
        }
        let config = with_alpn(client_config(verify, None)?)?;
        shared[slot] = Some(config.clone());
        Ok(config)
    }
}

fn with_alpn(mut config: ClientConfig) -> Result<Arc<ClientConfig>, String> {
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The rustls client configuration for one BMC.
pub fn client_config(verify: bool, ca_file: Option<&Path>) -> Result<ClientConfig, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    // ALPN (h2, http/1.1) is set by TlsConfigs::get.
    let config = if !verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        match ca_file {
            Some(path) => {
                for cert in CertificateDer::pem_file_iter(path).map_err(|e| e.to_string())? {
                    roots
                        .add(cert.map_err(|e| e.to_string())?)
                        .map_err(|e| e.to_string())?;
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                for cert in native.certs {
                    // Skip the odd malformed system certificate rather than fail the BMC.
                    let _ = roots.add(cert);
                }
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(config)
}

#[derive(Debug)]
struct AcceptAnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
