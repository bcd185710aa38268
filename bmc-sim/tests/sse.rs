//! Server-Sent Events: the stream at `ServerSentEventUri` (OpenBMC, iDRAC), replay by
//! `Last-Event-ID`, the quirks that take it (or the whole EventService) away, and a reboot that
//! loses push subscriptions and ends the streams.

mod common;

use std::time::Duration;

use bmc_sim::{BmcOptions, Profile, Quirks, SimBmc, SimHandle};
use common::{PASS, USER, client, get, get_ok, send, start, system_path};
use reqwest::Method;
use serde_json::{Value, json};

/// An open stream and the text read from it so far.
struct Stream {
    resp: reqwest::Response,
    buf: String,
}

async fn open(h: &SimHandle, last_event_id: Option<&str>) -> Stream {
    let mut req = client()
        .get(format!("{}/redfish/v1/EventService/SSE", h.url()))
        .basic_auth(USER, Some(PASS));
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id);
    }
    // The client's own 20 s timeout covers the whole body: build one without it.
    let req = req.build().expect("request");
    let resp = reqwest::Client::new().execute(req).await.expect("GET SSE");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().ok(),
        Some("text/event-stream")
    );
    Stream {
        resp,
        buf: String::new(),
    }
}

impl Stream {
    /// The next event: (id, Event JSON); comments are skipped. None when the stream ended.
    async fn next(&mut self) -> Option<(u64, Value)> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let (Some(id), false) = (id, data.is_empty()) {
                    return Some((id, serde_json::from_str(&data).expect("JSON event")));
                }
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.resp.chunk())
                .await
                .expect("stream alive within 20 s")
                .ok()??;
            self.buf
                .push_str(std::str::from_utf8(&chunk).expect("utf-8"));
        }
    }
}

async fn reset(h: &SimHandle, kind: &str) {
    let sys = system_path(h).await;
    let (status, _, body) = send(
        h,
        Method::POST,
        &format!("{}/Actions/ComputerSystem.Reset", sys.trim_end_matches('/')),
        Some(json!({ "ResetType": kind })),
        &[],
    )
    .await;
    assert!(status < 300, "{status} {body}");
}

#[tokio::test]
async fn openbmc_and_idrac_stream_power_events_with_ids() {
    for profile in [Profile::OpenBmc, Profile::Idrac] {
        let h = start(profile).await;
        let service = get_ok(&h, "/redfish/v1/EventService").await;
        assert_eq!(
            service["ServerSentEventUri"], "/redfish/v1/EventService/SSE",
            "{profile}"
        );
        let mut stream = open(&h, None).await;
        reset(&h, "ForceOff").await;
        let (first, event) = stream.next().await.expect("event");
        assert_eq!(
            event["Events"][0]["MessageId"], "ResourceEvent.1.4.ResourcePoweredOff",
            "{profile}"
        );
        let origin = event["Events"][0]["OriginOfCondition"]["@odata.id"]
            .as_str()
            .unwrap_or_default();
        assert!(origin.contains("/redfish/v1/Systems/"), "{origin}");
        reset(&h, "On").await;
        let (second, event) = stream.next().await.expect("event");
        assert!(second > first);
        assert_eq!(
            event["Events"][0]["MessageId"],
            "ResourceEvent.1.4.ResourcePoweredOn"
        );

        // A client reconnecting with the first id gets what it missed, the second event.
        let mut again = open(&h, Some(&first.to_string())).await;
        let (replayed, event) = again.next().await.expect("replay");
        assert_eq!(replayed, second);
        assert_eq!(
            event["Events"][0]["MessageId"],
            "ResourceEvent.1.4.ResourcePoweredOn"
        );
        h.shutdown().await;
    }
}

#[tokio::test]
async fn the_stream_needs_credentials() {
    let h = start(Profile::OpenBmc).await;
    let resp = client()
        .get(format!("{}/redfish/v1/EventService/SSE", h.url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(resp.status(), 401);
    h.shutdown().await;
}

#[tokio::test]
async fn push_only_profiles_and_quirks_offer_no_stream() {
    let h = start(Profile::Dmtf).await;
    let service = get_ok(&h, "/redfish/v1/EventService").await;
    assert!(service.get("ServerSentEventUri").is_none(), "{service}");
    let (status, _, _) = get(&h, "/redfish/v1/EventService/SSE").await;
    assert_eq!(status, 404);
    h.shutdown().await;

    let mut o = BmcOptions::new("nosse", Profile::OpenBmc);
    o.quirks = Quirks {
        no_sse: true,
        ..Quirks::default()
    };
    let h = SimBmc::start(o).await.expect("start");
    let service = get_ok(&h, "/redfish/v1/EventService").await;
    assert!(service.get("ServerSentEventUri").is_none(), "{service}");
    assert!(service.get("Subscriptions").is_some(), "push still offered");
    h.shutdown().await;

    let mut o = BmcOptions::new("noevents", Profile::OpenBmc);
    o.quirks.set("no_event_service", None).expect("quirk");
    let h = SimBmc::start(o).await.expect("start");
    let root = get_ok(&h, "/redfish/v1").await;
    assert!(root.get("EventService").is_none(), "{root}");
    let (status, _, _) = get(&h, "/redfish/v1/EventService").await;
    assert_eq!(status, 404);
    let (status, _, _) = get(&h, "/redfish/v1/EventService/SSE").await;
    assert_eq!(status, 404);
    h.shutdown().await;
}

#[tokio::test]
async fn a_reboot_loses_subscriptions_and_ends_streams() {
    let h = start(Profile::OpenBmc).await;
    let (status, _, _) = send(
        &h,
        Method::POST,
        "/redfish/v1/EventService/Subscriptions",
        Some(json!({"Destination": "http://127.0.0.1:9/e", "Protocol": "Redfish"})),
        &[],
    )
    .await;
    assert_eq!(status, 201);
    let mut stream = open(&h, None).await;
    let resp = client()
        .post(format!("{}/sim/reboot", h.url()))
        .send()
        .await
        .expect("reboot");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["subscriptions_lost"], 1);
    assert!(stream.next().await.is_none(), "the stream ended");
    let subs = get_ok(&h, "/redfish/v1/EventService/Subscriptions").await;
    assert_eq!(subs["Members@odata.count"], 0);
    h.shutdown().await;
}
