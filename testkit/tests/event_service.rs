//! The aggregate's EventService: subscriptions are validated, persisted across a restart, and
//! receive SubmitTestEvent deliveries on a real loopback listener; the static catalogs resolve.

use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use testkit::bmc_sim::Profile;
use testkit::{Stack, StackOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Accepts one HTTP POST and returns its body.
async fn receive_one(listener: TcpListener) -> String {
    let (mut socket, _) = listener.accept().await.expect("accept");
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await.expect("read");
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if body.len() >= len {
                let _ = socket
                    .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                    .await;
                return body.to_owned();
            }
        }
    }
    String::from_utf8_lossy(&data).to_string()
}

#[tokio::test]
async fn subscribe_receive_a_test_event_and_survive_a_restart() {
    let mut stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let destination = format!("http://{}/events", listener.local_addr().expect("addr"));

    let r = stack
        .admin(Method::POST, "/redfish/v1/EventService/Subscriptions")
        .json(&json!({"Destination": destination, "Protocol": "Redfish", "Context": "rack-ops"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();

    let received = tokio::spawn(receive_one(listener));
    let r = stack
        .admin(
            Method::POST,
            "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent",
        )
        .json(&json!({"Message": "hello rack"}))
        .send()
        .await
        .expect("submit");
    assert!(r.status().is_success(), "{}", r.status());
    let body = tokio::time::timeout(Duration::from_secs(10), received)
        .await
        .expect("delivered in time")
        .expect("join");
    let event: serde_json::Value = serde_json::from_str(&body).expect("event JSON");
    assert_eq!(event["Context"], "rack-ops");
    assert_eq!(event["Events"][0]["Message"], "hello rack");

    stack.restart_services().await;
    let (status, sub) = stack.get(&location).await;
    assert_eq!(status, 200, "subscription survived the restart: {sub}");
    assert_eq!(sub["Destination"], destination.as_str());

    let r = stack
        .admin(Method::DELETE, &location)
        .send()
        .await
        .expect("delete");
    assert!(r.status().is_success());
    let (status, _) = stack.get(&location).await;
    assert_eq!(status, 404);
    stack.teardown().await;
}

#[tokio::test]
async fn bad_subscriptions_are_refused_and_nothing_is_stored() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    for (body, key) in [
        (
            json!({"Destination": "ftp://x/y", "Protocol": "Redfish"}),
            "PropertyValueFormatError",
        ),
        (
            json!({"Destination": "http://127.0.0.1:9/e", "Protocol": "Redfish", "Bogus": 1}),
            "PropertyUnknown",
        ),
        (
            json!({"Protocol": "Redfish"}),
            "CreateFailedMissingReqProperties",
        ),
    ] {
        let r = stack
            .admin(Method::POST, "/redfish/v1/EventService/Subscriptions")
            .json(&body)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 400, "{body}");
        let err: serde_json::Value = r.json().await.expect("json");
        assert_eq!(
            err["error"]["@Message.ExtendedInfo"][0]["MessageId"],
            format!("Base.1.22.{key}")
        );
    }
    let (_, subs) = stack.get("/redfish/v1/EventService/Subscriptions").await;
    assert_eq!(subs["Members@odata.count"], 0);
    // Allow names what each resource takes, on a read and on a refused method alike.
    for (uri, allow) in [
        ("/redfish/v1/EventService", "GET, HEAD, PATCH"),
        ("/redfish/v1/EventService/Subscriptions", "GET, HEAD, POST"),
    ] {
        let r = testkit::send(stack.admin(Method::GET, uri)).await;
        assert_eq!((r.status, r.header("allow")), (200, Some(allow)), "{uri}");
        assert!(r.header("etag").is_some(), "{uri} has an ETag");
        let r = testkit::send(stack.admin(Method::PUT, uri).json(&json!({}))).await;
        assert_eq!((r.status, r.header("allow")), (405, Some(allow)), "{uri}");
    }
    stack.teardown().await;
}

#[tokio::test]
async fn registries_schemas_and_service_singletons_resolve() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let (_, root) = stack.get("/redfish/v1").await;
    for key in [
        "EventService",
        "Registries",
        "JsonSchemas",
        "CertificateService",
        "TelemetryService",
        "Tasks",
        "UpdateService",
    ] {
        let uri = root[key]["@odata.id"]
            .as_str()
            .unwrap_or_else(|| panic!("ServiceRoot lacks {key}: {root}"));
        let (status, body) = stack.get(uri).await;
        assert_eq!(status, 200, "{key}: {body}");
    }
    let (_, registries) = stack.get("/redfish/v1/Registries").await;
    let entry = registries["Members"][0]["@odata.id"]
        .as_str()
        .expect("a registry")
        .to_owned();
    let (_, file) = stack.get(&entry).await;
    let (status, registry) = stack
        .get(file["Location"][0]["Uri"].as_str().expect("uri"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(registry["RegistryPrefix"], "Base");
    stack.teardown().await;
}
