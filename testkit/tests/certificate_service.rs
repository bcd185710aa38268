//! Replacing the HTTPS certificate through the CertificateService, over the real stack: a CSR
//! made by the service and signed by a test CA, a certificate sent with its own key, and every
//! refusal leaving the files in place.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DnType, IsCa, Issuer,
    KeyPair,
};
use reqwest::Method;
use serde_json::json;
use std::path::{Path, PathBuf};
use testkit::{Stack, StackOptions, send};

const SERVICE: &str = "/redfish/v1/CertificateService";
const CSR: &str = "/redfish/v1/CertificateService/Actions/CertificateService.GenerateCSR";
const REPLACE: &str =
    "/redfish/v1/CertificateService/Actions/CertificateService.ReplaceCertificate";
const COLLECTION: &str = "/redfish/v1/Managers/Aggregator/NetworkProtocol/HTTPS/Certificates";
const CERT: &str = "/redfish/v1/Managers/Aggregator/NetworkProtocol/HTTPS/Certificates/HTTPS";

struct Tls {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
}

/// A self-signed pair on disk, as scripts/make-cert leaves it.
fn initial_pair() -> Tls {
    let dir = tempfile::tempdir().expect("dir");
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["initial.example".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let (cert_path, key_path) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&cert_path, cert.pem()).expect("cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("key");
    Tls {
        _dir: dir,
        cert: cert_path,
        key: key_path,
    }
}

async fn stack_with(tls: &Tls) -> Stack {
    let mut options = StackOptions::rack(1, bmc_sim::Profile::Dmtf);
    options.extra_aggregator_toml = format!(
        "[manager]\ntls_certificate = \"{}\"\ntls_key = \"{}\"\n",
        tls.cert.display(),
        tls.key.display()
    );
    Stack::start(options).await
}

fn test_ca() -> Issuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "Rack Test CA");
    Issuer::new(params, KeyPair::generate().expect("ca key"))
}

fn sign(ca: &Issuer<'static, KeyPair>, csr: &str) -> String {
    CertificateSigningRequestParams::from_pem(csr)
        .expect("the service's CSR parses and its signature verifies")
        .signed_by(ca)
        .expect("signed")
        .pem()
}

fn subject_cn(path: &Path) -> String {
    let text = std::fs::read(path).expect("read");
    let (_, pem) = x509_parser::pem::parse_x509_pem(&text).expect("pem");
    let cert = pem.parse_x509().expect("x509");
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn generate_csr_then_replace_installs_the_signed_certificate() {
    let tls = initial_pair();
    let stack = stack_with(&tls).await;
    let (status, service) = stack.get(SERVICE).await;
    assert_eq!(status, 200);
    assert_eq!(
        service["Actions"]["#CertificateService.ReplaceCertificate"]["target"],
        REPLACE
    );
    let (_, locations) = stack.get(&format!("{SERVICE}/CertificateLocations")).await;
    assert_eq!(locations["Links"]["Certificates"][0]["@odata.id"], CERT);
    let info_uri = service["Actions"]["#CertificateService.GenerateCSR"]["@Redfish.ActionInfo"]
        .as_str()
        .expect("action info");
    assert_eq!(stack.get(info_uri).await.0, 200);

    let r = send(stack.admin(Method::POST, CSR).json(&json!({
        "CertificateCollection": {"@odata.id": COLLECTION},
        "CommonName": "rack1.example.net",
        "AlternativeNames": ["rack1", "192.0.2.10"],
        "Organization": "Example",
        "Country": "US",
        "KeyCurveId": "TPM_ECC_NIST_P384",
    })))
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["CertificateCollection"]["@odata.id"], COLLECTION);
    let csr = r.body["CSRString"].as_str().expect("CSRString");
    assert!(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    // The files are untouched until a certificate comes back.
    assert_eq!(subject_cn(&tls.cert), "rcgen self signed cert");

    let ca = test_ca();
    let signed = sign(&ca, csr);
    let r = send(stack.admin(Method::POST, REPLACE).json(&json!({
        "CertificateString": signed,
        "CertificateType": "PEM",
        "CertificateUri": {"@odata.id": CERT},
    })))
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["Subject"]["CommonName"], "rack1.example.net");
    assert_eq!(r.header("location"), Some(CERT));
    assert_eq!(subject_cn(&tls.cert), "rack1.example.net");
    assert!(
        std::fs::read_to_string(&tls.key)
            .expect("key")
            .contains("BEGIN PRIVATE KEY")
    );
    assert!(tls.cert.with_extension("crt.previous").exists());
    let (_, served) = stack.get(CERT).await;
    assert_eq!(served["Issuer"]["CommonName"], "Rack Test CA");
    // The same certificate for the same (now used) request is refused: the pending key is gone.
    let again = send(stack.admin(Method::POST, REPLACE).json(&json!({
        "CertificateString": signed,
        "CertificateType": "PEM",
        "CertificateUri": {"@odata.id": CERT},
    })))
    .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.message(), "ActionParameterValueError");
    stack.teardown().await;
}

#[tokio::test]
async fn a_certificate_with_its_own_key_replaces_and_refusals_leave_the_files_alone() {
    let tls = initial_pair();
    let stack = stack_with(&tls).await;
    let before = (
        std::fs::read(&tls.cert).expect("cert"),
        std::fs::read(&tls.key).expect("key"),
    );
    let replace = |body: serde_json::Value| send(stack.admin(Method::POST, REPLACE).json(&body));

    // A CSR is pending; a certificate for some other key is refused.
    let r = send(stack.admin(Method::POST, CSR).json(&json!({
        "CertificateCollection": {"@odata.id": COLLECTION}, "CommonName": "rack1"})))
    .await;
    assert_eq!(r.status, 200);
    let stranger = KeyPair::generate().expect("key");
    let stranger_cert = CertificateParams::new(vec!["stranger".to_owned()])
        .expect("params")
        .self_signed(&stranger)
        .expect("cert")
        .pem();
    let rows: Vec<(serde_json::Value, u16, &str)> = vec![
        (
            json!({"CertificateString": stranger_cert, "CertificateType": "PEM",
                "CertificateUri": {"@odata.id": CERT}}),
            400,
            "ActionParameterValueError",
        ),
        (
            json!({"CertificateString": "garbage", "CertificateType": "PEM",
                "CertificateUri": {"@odata.id": CERT}}),
            400,
            "ActionParameterValueFormatError",
        ),
        (
            json!({"CertificateString": stranger_cert, "CertificateType": "PKCS7",
                "CertificateUri": {"@odata.id": CERT}}),
            400,
            "ActionParameterValueNotInList",
        ),
        (
            json!({"CertificateString": stranger_cert, "CertificateType": "PEM",
                "CertificateUri": {"@odata.id": "/redfish/v1/Managers/Aggregator/Certificates/Other"}}),
            400,
            "ActionParameterValueError",
        ),
        (
            json!({"CertificateType": "PEM", "CertificateUri": {"@odata.id": CERT}}),
            400,
            "ActionParameterMissing",
        ),
        (
            json!({"CertificateString": 5, "CertificateType": "PEM",
                "CertificateUri": {"@odata.id": CERT}}),
            400,
            "ActionParameterValueTypeError",
        ),
        (
            json!({"CertificateString": stranger_cert, "CertificateType": "PEM",
                "CertificateUri": {"@odata.id": CERT}, "Password": "x"}),
            400,
            "ActionParameterNotSupported",
        ),
        (
            json!({"CertificateString": stranger_cert, "CertificateType": "PEM",
                "CertificateUri": {"@odata.id": CERT}, "Color": "red"}),
            400,
            "ActionParameterUnknown",
        ),
    ];
    for (body, status, message) in rows {
        let r = replace(body.clone()).await;
        assert_eq!(
            (r.status, r.message()),
            (status, message),
            "{body}: {}",
            r.body
        );
    }
    let csr_rows: Vec<(serde_json::Value, &str)> = vec![
        (json!({"CommonName": "x"}), "ActionParameterMissing"),
        (
            json!({"CertificateCollection": {"@odata.id": "/redfish/v1/Nope"}, "CommonName": "x"}),
            "ActionParameterValueError",
        ),
        (
            json!({"CertificateCollection": {"@odata.id": COLLECTION}, "CommonName": "x",
                "KeyPairAlgorithm": "TPM_ALG_RSA"}),
            "ActionParameterValueNotInList",
        ),
        (
            json!({"CertificateCollection": {"@odata.id": COLLECTION}, "CommonName": "x",
                "Country": "United States"}),
            "ActionParameterValueFormatError",
        ),
        (
            json!({"CertificateCollection": {"@odata.id": COLLECTION}, "CommonName": "x",
                "ChallengePassword": "p"}),
            "ActionParameterNotSupported",
        ),
    ];
    for (body, message) in csr_rows {
        let r = send(stack.admin(Method::POST, CSR).json(&body)).await;
        assert_eq!(
            (r.status, r.message()),
            (400, message),
            "{body}: {}",
            r.body
        );
    }
    assert_eq!(
        before,
        (
            std::fs::read(&tls.cert).expect("cert"),
            std::fs::read(&tls.key).expect("key")
        ),
        "refused requests change nothing"
    );

    // An operator's certificate with its PKCS#8 key in the same string (bmcweb's way).
    let own = KeyPair::generate().expect("key");
    let own_cert = CertificateParams::new(vec!["own.example".to_owned()])
        .expect("params")
        .self_signed(&own)
        .expect("cert")
        .pem();
    let r = replace(json!({
        "CertificateString": format!("{own_cert}{}", own.serialize_pem()),
        "CertificateType": "PEM",
        "CertificateUri": {"@odata.id": "/redfish/v1/Managers/Aggregator/Certificates/HTTPS"},
    }))
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(std::fs::read_to_string(&tls.cert).expect("cert"), own_cert);
    assert_eq!(
        std::fs::read_to_string(&tls.key).expect("key"),
        own.serialize_pem()
    );

    // Only who may configure the manager may do this.
    stack
        .create_account("viewer", "viewer-password-1", "ReadOnly")
        .await;
    let r = send(
        stack
            .as_user(Method::POST, CSR, "viewer", "viewer-password-1")
            .json(&json!({"CertificateCollection": {"@odata.id": COLLECTION}, "CommonName": "x"})),
    )
    .await;
    assert_eq!((r.status, r.message()), (403, "InsufficientPrivilege"));
    let r = send(stack.admin(Method::GET, CSR)).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    stack.teardown().await;
}

#[tokio::test]
async fn without_a_configured_key_there_is_nothing_to_replace() {
    let stack = Stack::start(StackOptions::rack(1, bmc_sim::Profile::Dmtf)).await;
    let (status, service) = stack.get(SERVICE).await;
    assert_eq!(status, 200);
    assert!(service.get("Actions").is_none(), "{service}");
    for action in [REPLACE, CSR] {
        let r = send(stack.admin(Method::POST, action).json(&json!({}))).await;
        assert_eq!(r.status, 404, "{action}");
    }
    stack.teardown().await;
}
