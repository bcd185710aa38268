//! Events: a loopback listener subscribes and receives power, reset, task and test events.

mod common;

use std::convert::Infallible;
use std::time::Duration;

use bmc_sim::Profile;
use common::{get_ok, send, start};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A received event: (headers, JSON body).
type Received = (Vec<(String, String)>, Value);

/// Starts an HTTP listener on 127.0.0.1:0 that forwards every POSTed body.
async fn listener() -> (String, mpsc::UnboundedReceiver<Received>) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/events", l.local_addr().expect("addr"));
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = l.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let tx = tx.clone();
                    async move {
                        let headers = req
                            .headers()
                            .iter()
                            .map(|(k, v)| {
                                (k.to_string(), v.to_str().unwrap_or_default().to_string())
                            })
                            .collect();
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|c| c.to_bytes())
                            .unwrap_or_default();
                        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        let _ = tx.send((headers, json));
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (url, rx)
}

async fn next_event(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("event within 10 s")
        .expect("listener alive")
}

#[tokio::test]
async fn reset_pushes_power_events_to_subscribers() {
    for profile in [Profile::Dmtf, Profile::OpenBmc, Profile::Ilo] {
        let h = start(profile).await;
        let (dest, mut rx) = listener().await;
        let (status, _, sub) = send(
            &h,
            Method::POST,
            "/redfish/v1/EventService/Subscriptions",
            Some(json!({
                "Destination": dest,
                "Protocol": "Redfish",
                "Context": "rack-7",
                "HttpHeaders": [{"X-Sub-Secret": "abc"}],
            })),
            &[],
        )
        .await;
        assert_eq!(status, 201, "{profile}: {sub}");
        assert_eq!(sub["Destination"], dest);
        let subs = get_ok(&h, "/redfish/v1/EventService/Subscriptions").await;
        assert_eq!(subs["Members@odata.count"], 1);

        let sys = common::system_path(&h).await;
        let sys = sys.trim_end_matches('/');
        send(
            &h,
            Method::POST,
            &format!("{sys}/Actions/ComputerSystem.Reset"),
            Some(json!({"ResetType": "ForceOff"})),
            &[],
        )
        .await;
        let (headers, event) = next_event(&mut rx).await;
        assert_eq!(event["Context"], "rack-7");
        assert_eq!(
            event["Events"][0]["MessageId"],
            "ResourceEvent.1.4.ResourcePoweredOff"
        );
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "x-sub-secret" && v == "abc"),
            "subscription HttpHeaders are sent"
        );
        send(
            &h,
            Method::POST,
            &format!("{sys}/Actions/ComputerSystem.Reset"),
            Some(json!({"ResetType": "On"})),
            &[],
        )
        .await;
        let (_, event) = next_event(&mut rx).await;
        assert_eq!(
            event["Events"][0]["MessageId"],
            "ResourceEvent.1.4.ResourcePoweredOn"
        );
        send(
            &h,
            Method::POST,
            &format!("{sys}/Actions/ComputerSystem.Reset"),
            Some(json!({"ResetType": "ForceRestart"})),
            &[],
        )
        .await;
        let (_, off) = next_event(&mut rx).await;
        let (_, on) = next_event(&mut rx).await;
        assert_eq!(
            off["Events"][0]["MessageId"],
            "ResourceEvent.1.4.ResourcePoweredOff"
        );
        assert_eq!(
            on["Events"][0]["MessageId"],
            "ResourceEvent.1.4.ResourcePoweredOn"
        );

        // SubmitTestEvent.
        let (status, _, _) = send(
            &h,
            Method::POST,
            "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent",
            Some(json!({"MessageId": "Base.1.22.Success", "Message": "hello", "Severity": "OK"})),
            &[],
        )
        .await;
        assert!(matches!(status, 200 | 204));
        let (_, event) = next_event(&mut rx).await;
        assert_eq!(event["Events"][0]["MessageId"], "Base.1.22.Success");
        assert_eq!(event["Events"][0]["Message"], "hello");

        // Unsubscribe: no more events.
        let sub_path = sub["@odata.id"].as_str().expect("sub id").to_string();
        let (status, _, _) = send(&h, Method::DELETE, &sub_path, None, &[]).await;
        assert!(matches!(status, 200 | 204));
        send(
            &h,
            Method::POST,
            &format!("{sys}/Actions/ComputerSystem.Reset"),
            Some(json!({"ResetType": "ForceOff"})),
            &[],
        )
        .await;
        assert!(
            tokio::time::timeout(Duration::from_millis(300), rx.recv())
                .await
                .is_err(),
            "no event after unsubscribing"
        );
        h.shutdown().await;
    }
}

#[tokio::test]
async fn bad_subscriptions_are_rejected() {
    let h = start(Profile::Dmtf).await;
    let subs = "/redfish/v1/EventService/Subscriptions";
    let (status, _, body) = send(
        &h,
        Method::POST,
        subs,
        Some(json!({"Protocol": "Redfish"})),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(common::message_id(&body), "Base.1.22.PropertyMissing");
    let (status, _, _) = send(
        &h,
        Method::POST,
        subs,
        Some(json!({"Destination": "nope", "Protocol": "Redfish"})),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, _) = send(
        &h,
        Method::POST,
        subs,
        Some(json!({"Destination": "http://127.0.0.1:9/x", "Protocol": "SNMPv2c"})),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    h.shutdown().await;
}

#[tokio::test]
async fn task_completion_is_an_event() {
    let h = start(Profile::Idrac).await;
    let (dest, mut rx) = listener().await;
    send(
        &h,
        Method::POST,
        "/redfish/v1/EventService/Subscriptions",
        Some(
            json!({"Destination": dest, "Protocol": "Redfish", "RegistryPrefixes": ["TaskEvent"]}),
        ),
        &[],
    )
    .await;
    // Filtered out by RegistryPrefixes:
    send(
        &h,
        Method::POST,
        "/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset",
        Some(json!({"ResetType": "ForceOff"})),
        &[],
    )
    .await;
    let (status, _, task) = send(
        &h,
        Method::POST,
        "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
        Some(json!({"ImageURI": "http://192.0.2.9/fw.bin"})),
        &[],
    )
    .await;
    assert_eq!(status, 202);
    let (_, event) = next_event(&mut rx).await;
    assert_eq!(
        event["Events"][0]["MessageId"],
        "TaskEvent.1.0.TaskCompletedOK"
    );
    assert_eq!(event["Events"][0]["MessageArgs"][0], task["Id"]);
    h.shutdown().await;
}
