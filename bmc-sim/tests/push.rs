//! The MultipartHttpPushUri read as a stream: what arrived is recorded (size, digest, Targets), a
//! body bigger than the 1 MiB any other request may have is fine, and the push faults reset
//! midway or refuse.

mod common;

use bmc_sim::{Profile, PushFault};
use common::{client, start};
use serde_json::json;
use sha2::{Digest, Sha256};

const PUSH: &str = "/redfish/v1/UpdateService/upload";

fn body(parameters: &str, image: &[u8]) -> Vec<u8> {
    let mut b = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"UpdateParameters\"\r\nContent-Type: application/json\r\n\r\n{parameters}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"UpdateFile\"; filename=\"fw.bin\"\r\n\r\n"
    )
    .into_bytes();
    b.extend_from_slice(image);
    b.extend_from_slice(b"\r\n--XyZ--\r\n");
    b
}

fn post(h: &bmc_sim::SimHandle, content_type: &str, body: Vec<u8>) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}{PUSH}", h.url()))
        .basic_auth("root", Some("calvin"))
        .header("content-type", content_type)
        .body(body)
}

const FORM: &str = "multipart/form-data; boundary=XyZ";

#[tokio::test]
async fn a_push_is_recorded_by_digest_and_answered_with_a_task() {
    let h = start(Profile::Dmtf).await;
    let image: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let parameters = json!({"Targets": ["/redfish/v1/UpdateService/FirmwareInventory/BIOS"]});
    let r = post(&h, FORM, body(&parameters.to_string(), &image))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 202);
    assert!(r.headers().get("location").is_some());
    let pushes = h.pushes();
    assert_eq!(pushes.len(), 1);
    let got = &pushes[0];
    assert!(got.complete);
    assert_eq!(got.bytes, image.len() as u64);
    let digest: String = Sha256::digest(&image)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(got.sha256, digest);
    assert_eq!(
        got.targets,
        ["/redfish/v1/UpdateService/FirmwareInventory/BIOS"]
    );
    assert_eq!(got.parameters, parameters);

    // Also over the control path.
    let listed: serde_json::Value = client()
        .get(format!("{}/sim/pushes", h.url()))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(listed[0]["sha256"], digest);
    h.shutdown().await;
}

#[tokio::test]
async fn bad_pushes_are_refused_and_unauthenticated_ones_not_read() {
    let h = start(Profile::Dmtf).await;
    let r = client()
        .post(format!("{}{PUSH}", h.url()))
        .header("content-type", FORM)
        .body(body("{}", b"image"))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 401);
    let r = post(&h, "application/octet-stream", b"image".to_vec())
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 400);
    let r = post(&h, FORM, body("{", b"image"))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 400);
    assert!(h.pushes().is_empty(), "{:?}", h.pushes());
    h.shutdown().await;
}

#[tokio::test]
async fn push_faults_reset_midway_or_refuse() {
    let h = start(Profile::Dmtf).await;
    let image = vec![7u8; 2 << 20];
    h.set_push_fault(PushFault {
        reset_after_bytes: Some(1 << 20),
        ..PushFault::default()
    });
    let r = post(&h, FORM, body("{}", &image)).send().await;
    assert!(r.is_err(), "the connection was dropped: {r:?}");
    let pushes = h.pushes();
    assert_eq!(pushes.len(), 1);
    assert!(!pushes[0].complete);
    assert!(pushes[0].bytes >= 1 << 20 && pushes[0].bytes < image.len() as u64);

    h.set_push_fault(PushFault {
        status: Some(500),
        ..PushFault::default()
    });
    let r = post(&h, FORM, body("{}", &image))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 500);
    let pushes = h.pushes();
    assert!(pushes.len() == 2 && pushes[1].complete && pushes[1].bytes == image.len() as u64);

    // Set and healed over the control path too.
    let c = client();
    let url = format!("{}/sim/push-fault", h.url());
    let r = c
        .put(&url)
        .body(r#"{"delay_ms_per_chunk": 1}"#)
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200);
    assert_eq!(c.delete(&url).send().await.expect("delete").status(), 200);
    let r = post(&h, FORM, body("{}", &image))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 202);
    h.shutdown().await;
}
