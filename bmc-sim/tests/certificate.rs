//! A BMC's certificate can be replaced at run time (`POST /sim/certificate`), as a BMC's is when an
//! operator installs a new one: new handshakes present the new certificate, and its SHA-256 is
//! reported the way openssl prints it.

use bmc_sim::{BmcOptions, Profile, SimBmc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The SHA-256 of the certificate a fresh connection to `url` is shown.
async fn presented_sha256(url: &str) -> String {
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .tls_info(true)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let r = client
        .get(format!("{url}/redfish/v1"))
        .send()
        .await
        .expect("get");
    let info = r
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .expect("TLS info");
    let der = info.peer_certificate().expect("a certificate");
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[tokio::test]
async fn a_new_certificate_is_generated_on_demand() {
    let mut o = BmcOptions::new("tls1", Profile::Dmtf);
    o.tls = true;
    let h = SimBmc::start(o).await.expect("start");
    let first = h.certificate_sha256().expect("https BMC has a certificate");
    assert_eq!(presented_sha256(&h.url()).await, first);

    let control = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client");
    let shown: Value = control
        .get(format!("{}/sim/certificate", h.url()))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(shown["sha256"], first.as_str());
    let replaced: Value = control
        .post(format!("{}/sim/certificate", h.url()))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let second = replaced["sha256"].as_str().expect("new sha256").to_owned();
    assert_ne!(second, first);
    assert_eq!(h.certificate_sha256().as_deref(), Some(second.as_str()));
    assert_eq!(presented_sha256(&h.url()).await, second);

    let third = h.regenerate_certificate().expect("through the handle too");
    assert_eq!(presented_sha256(&h.url()).await, third);
    h.shutdown().await;
}

#[tokio::test]
async fn a_plain_http_bmc_has_no_certificate_to_replace() {
    let h = SimBmc::start(BmcOptions::new("plain", Profile::Dmtf))
        .await
        .expect("start");
    assert_eq!(h.certificate_sha256(), None);
    let r = reqwest::Client::new()
        .post(format!("{}/sim/certificate", h.url()))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 409);
    assert!(h.regenerate_certificate().is_err());
    h.shutdown().await;
}
