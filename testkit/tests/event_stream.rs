//! Server-Sent Events through the real frontend: authentication, `$filter`, resume by
//! Last-Event-ID without loss or duplicates, and a client's disconnect freeing its stream in the
//! aggregator.

use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use testkit::bmc_sim::Profile;
use testkit::events::SseReader;
use testkit::{Stack, StackOptions};

const SSE: &str = "/redfish/v1/EventService/SSE";
const SUBMIT: &str = "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent";

async fn submit(stack: &Stack, id: &str, message_id: &str) {
    let r = testkit::send(stack.admin(Method::POST, SUBMIT).json(&json!({
        "EventId": id, "MessageId": message_id, "OriginOfCondition": "/redfish/v1/Systems/s1-1",
    })))
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
}

async fn open(stack: &Stack, query: &str, last_event_id: Option<u64>) -> SseReader {
    let mut request = stack.admin(Method::GET, &format!("{SSE}{query}"));
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id.to_string());
    }
    let r = request.send().await.expect("open the stream");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    SseReader::new(r)
}

async fn open_streams(stack: &Stack) -> f64 {
    let (_, text) = stack.ops_get(&format!("{}/metrics", stack.agg_ops)).await;
    text.lines()
        .find(|l| l.starts_with("reddrum_event_sse_streams "))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(-1.0)
}

const BASE: &str = "Base.1.22.Success";
const RESOURCE: &str = "ResourceEvent.1.3.ResourceStatusChangedOK";

#[tokio::test]
async fn sse_clients_get_filtered_events_and_resume_by_last_event_id() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let (_, service) = stack.get("/redfish/v1/EventService").await;
    assert_eq!(service["ServerSentEventUri"], SSE);

    // Refused before anything streams: no credentials, a bad filter.
    let r = stack.client.get(stack.url(SSE)).send().await.expect("get");
    assert_eq!(r.status(), 401);
    let r =
        testkit::send(stack.admin(Method::GET, &format!("{SSE}?$filter=Colour%20eq%20red"))).await;
    assert_eq!(
        (r.status, r.message()),
        (400, "QueryParameterValueFormatError")
    );

    // Reading events takes the Login privilege (a ReadOnly account, by session token, may).
    stack
        .create_account("watcher", "watcher-pass-1234", "ReadOnly")
        .await;
    let (token, _) = stack.login("watcher", "watcher-pass-1234").await;
    let r = stack
        .with_token(Method::GET, SSE, &token)
        .send()
        .await
        .expect("open as ReadOnly");
    assert_eq!(r.status(), 200);
    drop(r);

    let mut all = open(&stack, "", None).await;
    let mut filtered = open(
        &stack,
        "?$filter=(RegistryPrefix%20eq%20ResourceEvent)%20or%20(MessageId%20eq%20'Base.1.0.Created')",
        None,
    )
    .await;
    submit(&stack, "e1", BASE).await;
    submit(&stack, "e2", RESOURCE).await;
    submit(&stack, "e3", "Base.1.22.Created").await;
    let (id1, data1) = all.next().await.expect("e1");
    assert_eq!(SseReader::event_id(&data1), "e1");
    assert_eq!(data1["Id"], id1.to_string());
    let (_, data) = filtered.next().await.expect("e2");
    assert_eq!(SseReader::event_id(&data), "e2", "e1 filtered out");
    let (_, data) = filtered.next().await.expect("e3");
    assert_eq!(SseReader::event_id(&data), "e3");

    // Gone after e1; e2, e3 came meanwhile, and e4, e5 after: a resume replays them once each,
    // in order, then follows live.
    drop(all);
    submit(&stack, "e4", BASE).await;
    submit(&stack, "e5", BASE).await;
    let mut resumed = open(&stack, "", Some(id1)).await;
    submit(&stack, "e6", BASE).await;
    let mut seen = Vec::new();
    let mut last = id1;
    for _ in 0..5 {
        let (id, data) = resumed.next().await.expect("event");
        assert!(id > last, "ids grow, none repeated: {id} after {last}");
        last = id;
        seen.push(SseReader::event_id(&data).to_owned());
    }
    assert_eq!(seen, ["e2", "e3", "e4", "e5", "e6"]);

    // Disconnected clients free their streams in the aggregator (a write to a closed socket,
    // at the latest the keep-alive, tells the frontend).
    drop(resumed);
    drop(filtered);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut n = 0;
    while open_streams(&stack).await != 0.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "streams never freed"
        );
        n += 1;
        submit(&stack, &format!("nudge{n}"), BASE).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stack.teardown().await;
}

/// A restart ends the stream (no hang at shutdown); the new aggregator's ids are higher, so a
/// client resuming with an old id misses nothing published after the restart.
#[tokio::test]
async fn a_restart_ends_streams_and_ids_keep_growing() {
    let mut stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let mut stream = open(&stack, "", None).await;
    submit(&stack, "before", BASE).await;
    let (before, _) = stream.next().await.expect("event");
    stack.restart_services().await;
    assert!(
        stream.next().await.is_none(),
        "the stream ended with the services"
    );
    submit(&stack, "after", BASE).await;
    let mut resumed = open(&stack, "", Some(before)).await;
    let (after, data) = resumed.next().await.expect("replayed");
    assert_eq!(SseReader::event_id(&data), "after");
    assert!(after > before);
    drop(resumed);
    stack.teardown().await;
}
