//! The TLS side of trust on first use: a rustls verifier that admits only the pinned certificate
//! (pinning the first one it sees), and how a refusal is recognised in a connect error.

use super::{Fingerprint, PinCell};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, OtherError, SignatureScheme};
use std::sync::Arc;

/// Why a handshake was refused: the BMC presented a certificate other than the pinned one.
#[derive(Debug, thiserror::Error)]
#[error(
    "the BMC presents a certificate (SHA-256 {presented}) other than the one pinned (SHA-256 {pinned})"
)]
pub struct CertificateChanged {
    pub pinned: Fingerprint,
    pub presented: Fingerprint,
}

/// The client configuration of one TOFU BMC (ALPN is set by the caller).
pub fn client_config(cell: Arc<PinCell>) -> Result<ClientConfig, String> {
    let provider = crate::tls::provider();
    let verifier = PinVerifier {
        cell,
        algorithms: provider.signature_verification_algorithms,
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

#[derive(Debug)]
struct PinVerifier {
    cell: Arc<PinCell>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = Fingerprint::of(end_entity.as_ref());
        if self.cell.admit(presented) {
            return Ok(ServerCertVerified::assertion());
        }
        let pinned = self.cell.state().pinned.unwrap_or(presented);
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(
            OtherError(Arc::new(CertificateChanged { pinned, presented })),
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The refusal in a connect error's chain, if that is why the connection failed. The rustls
/// error travels inside `io::Error`s (nested: hyper-rustls wraps tokio-rustls's), whose
/// `source()` skips what they wrap, so each of those is opened too.
pub fn certificate_changed<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a CertificateChanged> {
    if let Some(rustls::Error::InvalidCertificate(CertificateError::Other(other))) =
        e.downcast_ref::<rustls::Error>()
    {
        return other.0.downcast_ref::<CertificateChanged>();
    }
    let wrapped = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .map(|inner| inner as &(dyn std::error::Error + 'static));
    wrapped
        .and_then(certificate_changed)
        .or_else(|| e.source().and_then(certificate_changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_found_however_deeply_io_errors_wrap_it() {
        let changed = CertificateChanged {
            pinned: Fingerprint::of(b"a"),
            presented: Fingerprint::of(b"b"),
        };
        let rustls_error = rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
            Arc::new(changed),
        )));
        let wrapped = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls_error,
        ));
        let found = certificate_changed(&wrapped).expect("found");
        assert_eq!(found.presented, Fingerprint::of(b"b"));

        let other = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        ));
        assert!(certificate_changed(&other).is_none());
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(certificate_changed(&refused).is_none());
    }
}
