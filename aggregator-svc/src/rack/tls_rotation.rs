//! Replacing the HTTPS certificate through Redfish (CertificateService.GenerateCSR and
//! ReplaceCertificate): a key pair and PKCS#10 request made here (rcgen), the pending key kept
//! 0600 in the state directory until the signed certificate comes back, and the pair written
//! over Apache's files with renames so Apache never reads half a file. Apache notices the new
//! files and restarts gracefully (docker/apache/entrypoint; on a Debian host the systemd path
//! unit in apache/debian/).

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair,
    KeyUsagePurpose, PublicKeyData, SignatureAlgorithm,
};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use x509_parser::pem::Pem;

/// The pending CSR's private key, under the aggregator's state directory.
pub const PENDING_KEY_FILE: &str = "tls-csr-key.pem";

/// Key curves GenerateCSR makes (Redfish `KeyCurveId` names). RSA is not offered: the crypto
/// backend (ring) cannot generate RSA keys, and P-256/P-384 are what TLS 1.3 clients prefer.
pub const KEY_CURVES: &[&str] = &["TPM_ECC_NIST_P256", "TPM_ECC_NIST_P384"];
pub const KEY_ALGORITHMS: &[&str] = &["TPM_ALG_ECDSA"];

/// What a GenerateCSR request asks for, already checked for type.
#[derive(Debug, Default, Clone)]
pub struct CsrRequest {
    pub common_name: String,
    pub alternative_names: Vec<String>,
    pub organization: Option<String>,
    pub organizational_unit: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub initials: Option<String>,
    pub key_curve: Option<String>,
    pub key_usage: Vec<String>,
}

/// Why a request cannot be carried out, naming the parameter at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotationError {
    /// The parameter's value has the wrong format (not PEM, not a host name...).
    Format {
        parameter: &'static str,
        why: String,
    },
    /// The value is well formed but cannot be used (expired, key does not match...).
    Invalid {
        parameter: &'static str,
        why: String,
    },
}

impl std::fmt::Display for RotationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RotationError::Format { parameter, why }
            | RotationError::Invalid { parameter, why } => {
                write!(f, "{parameter}: {why}")
            }
        }
    }
}

fn format_error(parameter: &'static str, why: impl Into<String>) -> RotationError {
    RotationError::Format {
        parameter,
        why: why.into(),
    }
}

fn invalid(parameter: &'static str, why: impl Into<String>) -> RotationError {
    RotationError::Invalid {
        parameter,
        why: why.into(),
    }
}

/// A new key pair and a CSR for it: (CSR PEM, private key PEM).
pub fn generate_csr(request: &CsrRequest) -> Result<(String, String), RotationError> {
    let algorithm: &'static SignatureAlgorithm = match request.key_curve.as_deref() {
        None | Some("TPM_ECC_NIST_P256") => &rcgen::PKCS_ECDSA_P256_SHA256,
        Some("TPM_ECC_NIST_P384") => &rcgen::PKCS_ECDSA_P384_SHA384,
        Some(other) => return Err(invalid("KeyCurveId", format!("{other} is not offered"))),
    };
    if let Some(country) = &request.country
        && (country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()))
    {
        return Err(format_error(
            "Country",
            "must be a two-letter ISO 3166 country code",
        ));
    }
    if request.common_name.trim().is_empty() {
        return Err(format_error("CommonName", "must not be empty"));
    }
    // Clients check the subject alternative names, not the common name: the common name is
    // always one of them.
    let mut names = request.alternative_names.clone();
    if !names.iter().any(|n| n == &request.common_name) {
        names.insert(0, request.common_name.clone());
    }
    let mut params = CertificateParams::new(names).map_err(|e| {
        format_error(
            "AlternativeNames",
            format!("not a host name or address: {e}"),
        )
    })?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, request.common_name.as_str());
    let optional = [
        (DnType::OrganizationName, &request.organization),
        (DnType::OrganizationalUnitName, &request.organizational_unit),
        (DnType::LocalityName, &request.city),
        (DnType::StateOrProvinceName, &request.state),
        (DnType::CountryName, &request.country),
        // emailAddress, givenName, surname, initials (PKCS#9 and X.520).
        (
            DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
            &request.email,
        ),
        (DnType::CustomDnType(vec![2, 5, 4, 42]), &request.given_name),
        (DnType::CustomDnType(vec![2, 5, 4, 4]), &request.surname),
        (DnType::CustomDnType(vec![2, 5, 4, 43]), &request.initials),
    ];
    for (kind, value) in optional {
        if let Some(v) = value {
            dn.push(kind, v.as_str());
        }
    }
    params.distinguished_name = dn;
    let (usages, extended) = key_usages(&request.key_usage)?;
    params.key_usages = usages;
    params.extended_key_usages = extended;
    let key = KeyPair::generate_for(algorithm)
        .map_err(|e| invalid("KeyCurveId", format!("key generation failed: {e}")))?;
    let csr = params
        .serialize_request(&key)
        .map_err(|e| format_error("CommonName", format!("cannot be put in a request: {e}")))?;
    let pem = csr
        .pem()
        .map_err(|e| format_error("CommonName", format!("cannot be encoded: {e}")))?;
    Ok((pem, key.serialize_pem()))
}

/// Redfish `KeyUsage` names to X.509 key usages and extended key usages; a TLS server's when
/// none are asked for.
fn key_usages(
    names: &[String],
) -> Result<(Vec<KeyUsagePurpose>, Vec<ExtendedKeyUsagePurpose>), RotationError> {
    if names.is_empty() {
        return Ok((
            vec![KeyUsagePurpose::DigitalSignature],
            vec![ExtendedKeyUsagePurpose::ServerAuth],
        ));
    }
    let mut usages = Vec::new();
    let mut extended = Vec::new();
    for name in names {
        match name.as_str() {
            "DigitalSignature" => usages.push(KeyUsagePurpose::DigitalSignature),
            "NonRepudiation" => usages.push(KeyUsagePurpose::ContentCommitment),
            "KeyEncipherment" => usages.push(KeyUsagePurpose::KeyEncipherment),
            "DataEncipherment" => usages.push(KeyUsagePurpose::DataEncipherment),
            "KeyAgreement" => usages.push(KeyUsagePurpose::KeyAgreement),
            "ServerAuthentication" => extended.push(ExtendedKeyUsagePurpose::ServerAuth),
            "ClientAuthentication" => extended.push(ExtendedKeyUsagePurpose::ClientAuth),
            other => {
                return Err(invalid(
                    "KeyUsage",
                    format!("{other} is not a usage of a TLS server certificate"),
                ));
            }
        }
    }
    Ok((usages, extended))
}

/// A certificate (chain) and its key, checked and ready to install.
#[derive(Debug, Clone)]
pub struct Replacement {
    pub chain_pem: String,
    pub key_pem: String,
    /// Whether the key came from the pending CSR (then that file is removed once installed).
    pub from_pending: bool,
}

/// Checks `certificate_string` (PEM: the certificate, optionally its chain and, as some tools
/// send it, its PKCS#8 private key) against the key it must match: the one in the string, or
/// else the pending CSR's.
pub fn prepare(
    certificate_string: &str,
    pending_key: Option<&str>,
) -> Result<Replacement, RotationError> {
    const P: &str = "CertificateString";
    let mut certificates = Vec::new();
    let mut inline_key = None;
    for block in Pem::iter_from_buffer(certificate_string.as_bytes()) {
        let block = block.map_err(|e| format_error(P, format!("not PEM: {e}")))?;
        match block.label.as_str() {
            "CERTIFICATE" => certificates.push(block),
            "PRIVATE KEY" => inline_key = Some(pem_text("PRIVATE KEY", &block.contents)),
            "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                return Err(format_error(
                    P,
                    "the private key must be PKCS#8 (BEGIN PRIVATE KEY); convert it with \
                     `openssl pkcs8 -topk8 -nocrypt`",
                ));
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(format_error(P, "encrypted private keys are not accepted"));
            }
            other => return Err(format_error(P, format!("unexpected PEM block {other}"))),
        }
    }
    let leaf = certificates
        .first()
        .ok_or_else(|| format_error(P, "no certificate in the string"))?;
    let mut chain_pem = String::new();
    for block in &certificates {
        let cert = block
            .parse_x509()
            .map_err(|e| format_error(P, format!("not an X.509 certificate: {e}")))?;
        if !cert.validity().is_valid() {
            return Err(invalid(
                P,
                format!(
                    "a certificate is not valid now (valid {} to {})",
                    cert.validity().not_before,
                    cert.validity().not_after
                ),
            ));
        }
        chain_pem.push_str(&pem_text("CERTIFICATE", &block.contents));
    }
    let (key_pem, from_pending) = match (inline_key, pending_key) {
        (Some(key), _) => (key, false),
        (None, Some(key)) => (key.to_owned(), true),
        (None, None) => {
            return Err(invalid(
                P,
                "no private key: run GenerateCSR first and send the certificate signed for \
                 that request, or include the PKCS#8 private key",
            ));
        }
    };
    let key = KeyPair::from_pem(&key_pem)
        .map_err(|e| format_error(P, format!("unusable private key: {e}")))?;
    let leaf_cert = leaf
        .parse_x509()
        .map_err(|e| format_error(P, format!("not an X.509 certificate: {e}")))?;
    if leaf_cert.tbs_certificate.subject_pki.raw != key.subject_public_key_info().as_slice() {
        return Err(invalid(
            P,
            if from_pending {
                "the certificate is not for the key of the last GenerateCSR request"
            } else {
                "the certificate does not match the private key sent with it"
            },
        ));
    }
    Ok(Replacement {
        chain_pem,
        key_pem,
        from_pending,
    })
}

fn pem_text(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Writes `contents` to `path` through a temporary file in the same directory and a rename, so
/// a reader sees the old file or the new one, never a part.
pub fn write_atomically(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.new"));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Where the served certificate and key live.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    fn previous(path: &Path) -> PathBuf {
        let mut p = path.as_os_str().to_owned();
        p.push(".previous");
        PathBuf::from(p)
    }

    /// Installs `replacement`, keeping the pair it replaces as `*.previous` (the operator's way
    /// back). The key goes first: Apache restarts only once both files have changed and settled.
    pub fn install(&self, replacement: &Replacement) -> std::io::Result<()> {
        let old_cert = fs::read(&self.certificate).ok();
        let old_key = fs::read(&self.key).ok();
        if let (Some(cert), Some(key)) = (&old_cert, &old_key) {
            write_atomically(&Self::previous(&self.key), key, 0o600)?;
            write_atomically(&Self::previous(&self.certificate), cert, 0o644)?;
        }
        write_atomically(&self.key, replacement.key_pem.as_bytes(), 0o600)?;
        if let Err(e) = write_atomically(&self.certificate, replacement.chain_pem.as_bytes(), 0o644)
        {
            // Put the old key back, so the pair on disk still matches.
            if let Some(key) = &old_key {
                let _ = write_atomically(&self.key, key, 0o600);
            }
            return Err(e);
        }
        Ok(())
    }
}

/// The pending CSR key in `state_dir`, if a GenerateCSR is waiting for its certificate.
pub fn pending_key(state_dir: &Path) -> Option<String> {
    fs::read_to_string(state_dir.join(PENDING_KEY_FILE)).ok()
}

pub fn save_pending_key(state_dir: &Path, key_pem: &str) -> std::io::Result<()> {
    write_atomically(&state_dir.join(PENDING_KEY_FILE), key_pem.as_bytes(), 0o600)
}

pub fn clear_pending_key(state_dir: &Path) {
    let _ = fs::remove_file(state_dir.join(PENDING_KEY_FILE));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateSigningRequestParams, IsCa, Issuer};
    use x509_parser::prelude::*;

    fn ca() -> (CertificateParams, KeyPair) {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Test CA");
        (params, KeyPair::generate().expect("key"))
    }

    fn sign(csr_pem: &str) -> String {
        let (params, key) = ca();
        let issuer = Issuer::new(params, key);
        CertificateSigningRequestParams::from_pem(csr_pem)
            .expect("csr parses")
            .signed_by(&issuer)
            .expect("signed")
            .pem()
    }

    fn request() -> CsrRequest {
        CsrRequest {
            common_name: "rack1.example.net".into(),
            alternative_names: vec!["192.0.2.10".into()],
            organization: Some("Example".into()),
            country: Some("US".into()),
            ..CsrRequest::default()
        }
    }

    #[test]
    fn a_csr_carries_the_subject_and_names_and_its_signed_certificate_matches_the_key() {
        let (csr, key) = generate_csr(&request()).expect("csr");
        let (_, pem) = parse_x509_pem(csr.as_bytes()).expect("pem");
        let (_, parsed) =
            x509_parser::certification_request::X509CertificationRequest::from_der(&pem.contents)
                .expect("pkcs10");
        let subject = parsed.certification_request_info.subject.to_string();
        assert!(subject.contains("CN=rack1.example.net"), "{subject}");
        assert!(subject.contains("C=US"), "{subject}");
        let signed = sign(&csr);
        let replacement = prepare(&signed, Some(&key)).expect("matches the pending key");
        assert!(replacement.from_pending);
        assert_eq!(replacement.key_pem, key);
        let described = crate::rack::cert::describe(&replacement.chain_pem).expect("described");
        assert_eq!(described["Subject"]["CommonName"], "rack1.example.net");
        assert_eq!(described["Issuer"]["CommonName"], "Test CA");
    }

    #[test]
    fn a_certificate_for_another_key_or_without_any_key_is_refused() {
        let (csr, _) = generate_csr(&request()).expect("csr");
        let (_, other_key) = generate_csr(&request()).expect("csr");
        let signed = sign(&csr);
        assert!(matches!(
            prepare(&signed, Some(&other_key)),
            Err(RotationError::Invalid {
                parameter: "CertificateString",
                ..
            })
        ));
        assert!(matches!(
            prepare(&signed, None),
            Err(RotationError::Invalid { .. })
        ));
    }

    #[test]
    fn an_inline_pkcs8_key_is_used_and_checked() {
        let key = KeyPair::generate().expect("key");
        let cert = CertificateParams::new(vec!["rack1".to_owned()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        let both = format!("{}{}", cert.pem(), key.serialize_pem());
        let r = prepare(&both, None).expect("inline key");
        assert!(!r.from_pending);
        assert!(!r.chain_pem.contains("PRIVATE KEY"));
        let stranger = KeyPair::generate().expect("key").serialize_pem();
        assert!(prepare(&format!("{}{}", cert.pem(), stranger), None).is_err());
    }

    #[test]
    fn malformed_input_names_the_parameter() {
        let rows: &[(&str, &str)] = &[
            ("not pem at all", "CertificateString"),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "CertificateString",
            ),
            (
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
                "CertificateString",
            ),
        ];
        for (input, parameter) in rows {
            match prepare(input, None) {
                Err(RotationError::Format { parameter: p, .. }) => assert_eq!(p, *parameter),
                other => panic!("{input:?}: {other:?}"),
            }
        }
        let bad_country = CsrRequest {
            country: Some("USA".into()),
            ..request()
        };
        assert!(matches!(
            generate_csr(&bad_country),
            Err(RotationError::Format {
                parameter: "Country",
                ..
            })
        ));
        let bad_curve = CsrRequest {
            key_curve: Some("TPM_ECC_BN_P256".into()),
            ..request()
        };
        assert!(matches!(
            generate_csr(&bad_curve),
            Err(RotationError::Invalid {
                parameter: "KeyCurveId",
                ..
            })
        ));
        let bad_usage = CsrRequest {
            key_usage: vec!["CRLSigning".into()],
            ..request()
        };
        assert!(generate_csr(&bad_usage).is_err());
    }

    #[test]
    fn install_replaces_both_files_and_keeps_the_previous_pair() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let files = TlsFiles {
            certificate: dir.path().join("tls.crt"),
            key: dir.path().join("tls.key"),
        };
        fs::write(&files.certificate, "old cert").expect("write");
        fs::write(&files.key, "old key").expect("write");
        let replacement = Replacement {
            chain_pem: "new cert".into(),
            key_pem: "new key".into(),
            from_pending: true,
        };
        files.install(&replacement).expect("installed");
        assert_eq!(
            fs::read_to_string(&files.certificate).expect("cert"),
            "new cert"
        );
        assert_eq!(fs::read_to_string(&files.key).expect("key"), "new key");
        let prev = dir.path().join("tls.key.previous");
        assert_eq!(fs::read_to_string(&prev).expect("previous"), "old key");
        let mode = fs::metadata(&files.key).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".new"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn install_into_an_unwritable_place_fails_without_touching_the_key() {
        let dir = tempfile::tempdir().expect("dir");
        let files = TlsFiles {
            certificate: dir.path().join("missing-dir/tls.crt"),
            key: dir.path().join("tls.key"),
        };
        fs::write(&files.key, "old key").expect("write");
        let replacement = Replacement {
            chain_pem: "new cert".into(),
            key_pem: "new key".into(),
            from_pending: false,
        };
        assert!(files.install(&replacement).is_err());
        assert_eq!(fs::read_to_string(&files.key).expect("key"), "old key");
    }
}
