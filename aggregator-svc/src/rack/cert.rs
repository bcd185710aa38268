//! The TLS certificate clients see (`[aggregator.manager] tls_certificate`, a PEM file), described
//! as a Redfish Certificate: read and parsed with x509-parser on request, so a renewed
//! certificate shows without a restart.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

pub const CERTIFICATE_TYPE: &str = "#Certificate.v1_11_0.Certificate";

fn identifier(name: &X509Name<'_>) -> Value {
    let mut out = Map::new();
    let mut put = |key: &str, values: Vec<&str>| {
        if let Some(v) = values.first() {
            out.insert(key.into(), (*v).into());
        }
    };
    put(
        "CommonName",
        name.iter_common_name()
            .filter_map(|a| a.as_str().ok())
            .collect(),
    );
    put(
        "Organization",
        name.iter_organization()
            .filter_map(|a| a.as_str().ok())
            .collect(),
    );
    put(
        "OrganizationalUnit",
        name.iter_organizational_unit()
            .filter_map(|a| a.as_str().ok())
            .collect(),
    );
    put(
        "City",
        name.iter_locality()
            .filter_map(|a| a.as_str().ok())
            .collect(),
    );
    put(
        "State",
        name.iter_state_or_province()
            .filter_map(|a| a.as_str().ok())
            .collect(),
    );
    put(
        "Country",
        name.iter_country()
            .filter_map(|a| a.as_str().ok())
            .collect(),
    );
    Value::Object(out)
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The Certificate resource body (without `@odata.id`/`Id`) for the first certificate in `pem`.
pub fn describe(pem_text: &str) -> Result<Value, String> {
    let block = pem_block(pem_text);
    let (_, pem) =
        parse_x509_pem(block.as_bytes()).map_err(|e| format!("not a PEM certificate: {e}"))?;
    let cert = pem
        .parse_x509()
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let mut key_usage = Vec::new();
    if let Ok(Some(ku)) = cert.key_usage() {
        let ku = ku.value;
        for (set, name) in [
            (ku.digital_signature(), "DigitalSignature"),
            (ku.non_repudiation(), "NonRepudiation"),
            (ku.key_encipherment(), "KeyEncipherment"),
            (ku.data_encipherment(), "DataEncipherment"),
            (ku.key_agreement(), "KeyAgreement"),
            (ku.key_cert_sign(), "KeyCertSign"),
            (ku.crl_sign(), "CRLSigning"),
        ] {
            if set {
                key_usage.push(name);
            }
        }
    }
    if let Ok(Some(eku)) = cert.extended_key_usage() {
        if eku.value.server_auth {
            key_usage.push("ServerAuthentication");
        }
        if eku.value.client_auth {
            key_usage.push("ClientAuthentication");
        }
    }
    Ok(json!({
        "@odata.type": CERTIFICATE_TYPE,
        "Name": "HTTPS certificate",
        "Description": "The TLS certificate clients see when they connect over HTTPS",
        "CertificateType": "PEM",
        "CertificateString": block,
        "CertificateUsageTypes": ["Web"],
        "Issuer": identifier(cert.issuer()),
        "Subject": identifier(cert.subject()),
        "ValidNotBefore": super::clock::format(cert.validity().not_before.to_datetime()),
        "ValidNotAfter": super::clock::format(cert.validity().not_after.to_datetime()),
        "SerialNumber": colon_hex(cert.raw_serial()),
        "Fingerprint": colon_hex(&Sha256::digest(&pem.contents)),
        "FingerprintHashAlgorithm": "TPM_ALG_SHA256",
        "SignatureAlgorithm": cert.signature_algorithm.algorithm.to_id_string(),
        "KeyUsage": key_usage,
    }))
}

/// The first `-----BEGIN CERTIFICATE-----` block of a PEM file (never a private key beside it).
fn pem_block(text: &str) -> String {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    match (text.find(BEGIN), text.find(END)) {
        (Some(b), Some(e)) if e > b => format!("{}\n", &text[b..e + END.len()]),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_a_generated_certificate_without_its_key() {
        let mut params =
            rcgen::CertificateParams::new(vec!["rack1.example".to_owned()]).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "rack1.example");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "RedDrum");
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("cert");
        let pem = format!("{}{}", key.serialize_pem(), cert.pem());
        let d = describe(&pem).expect("parsed");
        assert_eq!(d["Subject"]["CommonName"], "rack1.example");
        assert_eq!(d["Issuer"]["Organization"], "RedDrum");
        assert!(
            d["ValidNotAfter"]
                .as_str()
                .is_some_and(|s| s.ends_with("+00:00"))
        );
        let s = d["CertificateString"].as_str().expect("string");
        assert!(s.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(!s.contains("PRIVATE KEY"));
        assert!(describe("not a cert").is_err());
    }
}
