//! Intake of the BMCs' own events: a power change on a simulated BMC reaches a subscriber of the
//! aggregate with localized origins and no BMC address, whether the BMC streams its events
//! (SSE), pushes them to the inbound listener, or has no events at all (polled); push
//! subscriptions survive restarts of either side without piling up at the BMC; a wrong secret
//! is refused; a hung BMC delays no other BMC's events.

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use reqwest::Method;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::time::Duration;
use testkit::bmc_sim::{Fault, Profile, Quirks, SimHandle};
use testkit::{Stack, StackOptions};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const DEADLINE: Duration = Duration::from_secs(60);

/// A loopback listener that forwards every POSTed Event body (as text).
async fn listener() -> (String, mpsc::UnboundedReceiver<String>) {
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
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|c| c.to_bytes())
                            .unwrap_or_default();
                        let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
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

/// Subscribes a fresh loopback listener at the aggregate.
async fn subscribe(stack: &Stack) -> mpsc::UnboundedReceiver<String> {
    let (destination, rx) = listener().await;
    let r = stack
        .admin(Method::POST, "/redfish/v1/EventService/Subscriptions")
        .json(&json!({"Destination": destination, "Protocol": "Redfish"}))
        .send()
        .await
        .expect("subscribe");
    assert_eq!(r.status(), 201);
    rx
}

/// A free loopback port for the inbound listener.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

fn push_options(n: usize, profile: Profile, verify_secs: u64) -> (StackOptions, String) {
    let port = free_port();
    let mut options = StackOptions::rack(n, profile);
    options.extra_aggregator_toml = format!(
        "events_inbound_listen = \"127.0.0.1:{port}\"\nevents_inbound_url = \"http://127.0.0.1:{port}/events\"\nevents_verify_secs = {verify_secs}\n"
    );
    (options, format!("http://127.0.0.1:{port}/events"))
}

fn sim_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

async fn sim_get(sim: &SimHandle, path: &str) -> Value {
    sim_client()
        .get(format!("{}{path}", sim.url()))
        .basic_auth("root", Some("calvin"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .unwrap_or(Value::Null)
}

/// The sim's first system: (its path on the sim, its member id).
async fn sim_system(sim: &SimHandle) -> (String, String) {
    let systems = sim_get(sim, "/redfish/v1/Systems").await;
    let path = systems["Members"][0]["@odata.id"]
        .as_str()
        .expect("a system")
        .trim_end_matches('/')
        .to_owned();
    let id = path.rsplit('/').next().unwrap_or_default().to_owned();
    (path, id)
}

/// Resets the sim's system directly at the sim.
async fn reset(sim: &SimHandle, kind: &str) {
    let (path, _) = sim_system(sim).await;
    let r = sim_client()
        .post(format!("{}{path}/Actions/ComputerSystem.Reset", sim.url()))
        .basic_auth("root", Some("calvin"))
        .json(&json!({"ResetType": kind}))
        .send()
        .await
        .expect("reset");
    assert!(r.status().is_success(), "{}", r.status());
}

/// The subscriptions at the sim: (path, Destination, Context).
async fn sim_subscriptions(sim: &SimHandle) -> Vec<(String, String, String)> {
    let list = sim_get(sim, "/redfish/v1/EventService/Subscriptions").await;
    let mut out = Vec::new();
    for m in list["Members"].as_array().cloned().unwrap_or_default() {
        let path = m["@odata.id"].as_str().unwrap_or_default().to_owned();
        let sub = sim_get(sim, &path).await;
        out.push((
            path,
            sub["Destination"].as_str().unwrap_or_default().to_owned(),
            sub["Context"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    out
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {DEADLINE:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for an event record with `message_id` (by its suffix); returns (payload text, record).
async fn next_record(
    rx: &mut mpsc::UnboundedReceiver<String>,
    message_id: &str,
    within: Duration,
) -> Option<(String, Value)> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let text = tokio::time::timeout(left, rx.recv()).await.ok()??;
        let payload: Value = serde_json::from_str(&text).expect("Event JSON");
        for record in payload["Events"].as_array().cloned().unwrap_or_default() {
            if record["MessageId"]
                .as_str()
                .is_some_and(|m| m.ends_with(message_id))
            {
                return Some((text, record));
            }
        }
    }
}

/// The record is the power change of `bmc`'s system, localized, and the payload names no
/// address of the sim.
fn assert_localized(sim: &SimHandle, bmc: &str, system_id: &str, text: &str, record: &Value) {
    assert_eq!(
        record["OriginOfCondition"]["@odata.id"],
        format!("/redfish/v1/Systems/{bmc}-{system_id}"),
        "{record}"
    );
    let port = sim.addr().port().to_string();
    assert!(
        !text.contains(&format!("127.0.0.1:{port}")),
        "the BMC's address leaked: {text}"
    );
    assert!(
        !text.contains(&format!(":{port}/")),
        "the BMC's address leaked: {text}"
    );
}

#[tokio::test]
async fn an_sse_bmcs_power_change_reaches_a_subscriber_localized_while_another_bmc_hangs() {
    let mut options = StackOptions::rack(2, Profile::OpenBmc);
    options.faults_at_start = vec![("s2".into(), Fault::Hang)];
    let stack = Stack::start(options).await;
    let mut rx = subscribe(&stack).await;
    let sim = &stack.sims[0];
    wait_until("the aggregator follows s1's event stream", || async {
        sim.requests()
            .iter()
            .any(|r| r.path == "/redfish/v1/EventService/SSE")
    })
    .await;
    let (_, system_id) = sim_system(sim).await;
    // The stream is being opened; a reset a moment before it is may be missed: reset again
    // (a restart powers off and on each time).
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let (text, record) = loop {
        reset(sim, "ForceRestart").await;
        if let Some(got) = next_record(&mut rx, "ResourcePoweredOff", Duration::from_secs(3)).await
        {
            break got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no power event within {DEADLINE:?}"
        );
    };
    assert_localized(sim, "s1", &system_id, &text, &record);
    assert!(
        record["EventId"]
            .as_str()
            .is_some_and(|id| id.starts_with("s1-")),
        "{record}"
    );
    // Taken once: no second copy by push (no subscription at the BMC) or by polling.
    assert!(sim_subscriptions(sim).await.is_empty());
    stack.teardown().await;
}

#[tokio::test]
async fn a_push_bmcs_power_change_reaches_a_subscriber_and_a_wrong_secret_is_refused() {
    let (options, inbound) = push_options(1, Profile::Dmtf, 60);
    let stack = Stack::start(options).await;
    let mut rx = subscribe(&stack).await;
    let sim = &stack.sims[0];
    wait_until("the aggregator subscribes at s1", || async {
        sim_subscriptions(sim).await.len() == 1
    })
    .await;
    let subs = sim_subscriptions(sim).await;
    let (_, destination, secret) = &subs[0];
    assert_eq!(destination, &format!("{inbound}/s1"));
    assert!(secret.len() >= 32, "a real secret in Context");

    let (_, system_id) = sim_system(sim).await;
    reset(sim, "ForceOff").await;
    let (text, record) = next_record(&mut rx, "ResourcePoweredOff", DEADLINE)
        .await
        .expect("the power event");
    assert_localized(sim, "s1", &system_id, &text, &record);

    // The inbound listener: no secret 401, a wrong one 403, garbage 400, too big 413.
    let post = |body: Vec<u8>, secret: Option<&str>| {
        let mut r = sim_client()
            .post(format!("{inbound}/s1"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = secret {
            r = r.header("X-RedDrum-Event-Secret", s);
        }
        r.send()
    };
    let event = json!({"Events": [{"MessageId": "Base.1.0.Test", "EventId": "x"}]});
    let bytes = serde_json::to_vec(&event).expect("json");
    let r = post(bytes.clone(), None).await.expect("post");
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("Redfish error");
    assert!(body["error"]["@Message.ExtendedInfo"].is_array(), "{body}");
    assert_eq!(
        post(bytes.clone(), Some("wrong"))
            .await
            .expect("post")
            .status(),
        403
    );
    let with_context =
        serde_json::to_vec(&json!({"Context": "wrong", "Events": []})).expect("json");
    assert_eq!(post(with_context, None).await.expect("post").status(), 403);
    let r = sim_client()
        .post(format!("{inbound}/s9"))
        .header("X-RedDrum-Event-Secret", secret.as_str())
        .body(bytes.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403, "another BMC's path");
    assert_eq!(
        post(b"not json".to_vec(), Some(secret))
            .await
            .expect("post")
            .status(),
        400
    );
    assert_eq!(
        post(vec![b' '; 512 * 1024], Some(secret))
            .await
            .expect("post")
            .status(),
        413
    );
    assert_eq!(post(bytes, Some(secret)).await.expect("post").status(), 204);
    let (status, metrics) = stack.ops_get(&format!("{}/metrics", stack.agg_ops)).await;
    assert_eq!(status, 200);
    for line in [
        "reddrum_event_intake_refused_total{reason=\"unauthenticated\"} 1",
        "reddrum_event_intake_refused_total{reason=\"forbidden\"} 3",
        "reddrum_event_intake_refused_total{reason=\"malformed\"} 1",
        "reddrum_event_intake_refused_total{reason=\"too_large\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    assert!(
        metrics.contains("reddrum_event_intake_records_total{how=\"push\"}"),
        "{metrics}"
    );
    stack.teardown().await;
}

#[tokio::test]
async fn a_bmc_reboot_that_loses_the_subscription_is_subscribed_again() {
    let (options, inbound) = push_options(1, Profile::Dmtf, 1);
    let stack = Stack::start(options).await;
    let mut rx = subscribe(&stack).await;
    let sim = &stack.sims[0];
    wait_until("subscribed", || async {
        sim_subscriptions(sim).await.len() == 1
    })
    .await;
    assert_eq!(sim.reboot(), 1);
    wait_until("subscribed again after the reboot", || async {
        let subs = sim_subscriptions(sim).await;
        subs.len() == 1 && subs[0].1 == format!("{inbound}/s1")
    })
    .await;
    reset(sim, "ForceOff").await;
    let (text, record) = next_record(&mut rx, "ResourcePoweredOff", DEADLINE)
        .await
        .expect("events flow again");
    let (_, system_id) = sim_system(sim).await;
    assert_localized(sim, "s1", &system_id, &text, &record);
    stack.teardown().await;
}

#[tokio::test]
async fn an_aggregator_restart_reuses_its_subscription_and_removes_stale_ones() {
    let (options, inbound) = push_options(1, Profile::Dmtf, 60);
    let mut stack = Stack::start(options).await;
    let sim = &stack.sims[0];
    wait_until("subscribed", || async {
        sim_subscriptions(sim).await.len() == 1
    })
    .await;
    let original = sim_subscriptions(sim).await.remove(0).0;
    stack.stop_aggregator().await;
    let sim = &stack.sims[0];
    // A stale one of ours, as a crash between making and storing it would leave.
    let r = sim_client()
        .post(format!("{}/redfish/v1/EventService/Subscriptions", sim.url()))
        .basic_auth("root", Some("calvin"))
        .json(&json!({"Destination": format!("{inbound}/s1"), "Protocol": "Redfish", "Context": "old"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    // Someone else's stays.
    let r = sim_client()
        .post(format!(
            "{}/redfish/v1/EventService/Subscriptions",
            sim.url()
        ))
        .basic_auth("root", Some("calvin"))
        .json(&json!({"Destination": "http://127.0.0.1:9/other", "Protocol": "Redfish"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    assert_eq!(sim_subscriptions(sim).await.len(), 3);

    stack.start_aggregator_again().await;
    let sim = &stack.sims[0];
    wait_until("the stale subscription is deleted", || async {
        sim_subscriptions(sim).await.len() == 2
    })
    .await;
    let subs = sim_subscriptions(sim).await;
    let ours: Vec<_> = subs
        .iter()
        .filter(|(_, d, _)| d == &format!("{inbound}/s1"))
        .collect();
    assert_eq!(ours.len(), 1, "exactly one of ours: {subs:?}");
    assert_eq!(
        ours[0].0, original,
        "the one made before the restart, reused"
    );
    assert!(subs.iter().any(|(_, d, _)| d.ends_with("/other")));

    // And events flow through it.
    let mut rx = subscribe(&stack).await;
    reset(sim, "ForceOff").await;
    assert!(
        next_record(&mut rx, "ResourcePoweredOff", DEADLINE)
            .await
            .is_some()
    );
    stack.teardown().await;
}

#[tokio::test]
async fn a_bmc_without_events_has_its_power_changes_polled_and_published() {
    let mut options = StackOptions::rack(1, Profile::Dmtf);
    options.quirks = vec![(
        "s1".into(),
        Quirks {
            no_event_service: true,
            ..Quirks::default()
        },
    )];
    options.extra_aggregator_toml = "[readings]\ninterval_secs = 1\n".into();
    let stack = Stack::start(options).await;
    let mut rx = subscribe(&stack).await;
    let sim = &stack.sims[0];
    let (system_path, system_id) = sim_system(sim).await;
    wait_until("the system is read by the poller", || async {
        sim.requests()
            .iter()
            .filter(|r| r.path == system_path)
            .count()
            >= 3
    })
    .await;
    reset(sim, "ForceOff").await;
    let (text, record) = next_record(&mut rx, "ResourcePoweredOff", DEADLINE)
        .await
        .expect("the polled power change");
    assert_localized(sim, "s1", &system_id, &text, &record);
    stack.teardown().await;
}

/// Resets `sim` (a restart: off and on) until `rx` sees its power-off event.
async fn power_off_seen(
    sim: &SimHandle,
    rx: &mut mpsc::UnboundedReceiver<String>,
) -> (String, Value) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        reset(sim, "ForceRestart").await;
        if let Some(got) = next_record(rx, "ResourcePoweredOff", Duration::from_secs(3)).await {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no power event within {DEADLINE:?}"
        );
    }
}

#[tokio::test]
async fn an_sse_stream_is_followed_again_after_a_bmc_reboot() {
    let stack = Stack::start(StackOptions::rack(1, Profile::OpenBmc)).await;
    let mut rx = subscribe(&stack).await;
    let sim = &stack.sims[0];
    let opened = || {
        sim.requests()
            .iter()
            .filter(|r| r.path == "/redfish/v1/EventService/SSE")
            .count()
    };
    wait_until("the stream is followed", || async { opened() >= 1 }).await;
    power_off_seen(sim, &mut rx).await;
    sim.reboot();
    wait_until("the stream is opened again", || async { opened() >= 2 }).await;
    let again = sim
        .requests()
        .into_iter()
        .filter(|r| r.path == "/redfish/v1/EventService/SSE")
        .nth(1)
        .expect("second open");
    assert!(
        again.headers.iter().any(|(k, _)| k == "last-event-id"),
        "reopened with Last-Event-ID"
    );
    let (text, record) = power_off_seen(sim, &mut rx).await;
    let (_, system_id) = sim_system(sim).await;
    assert_localized(sim, "s1", &system_id, &text, &record);
    stack.teardown().await;
}

#[tokio::test]
async fn the_aggregates_own_events_reach_subscribers_a_bmc_going_down() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let mut rx = subscribe(&stack).await;
    stack.sims[0].set_fault(Fault::Down);
    // A request finds it down; discovery probes it at once and marks it Down.
    let (status, _) = stack.get("/redfish/v1/Systems/s1-1").await;
    assert_eq!(status, 503);
    let (_, record) = next_record(&mut rx, "ResourceStatusChangedCritical", DEADLINE)
        .await
        .expect("the BMC-down event");
    assert_eq!(
        record["OriginOfCondition"]["@odata.id"], "/redfish/v1/Managers/s1-1",
        "{record}"
    );
    stack.teardown().await;
}

/// The next SSE event whose first record satisfies `wanted`, within `within`; every event read
/// on the way is checked by `each` first.
async fn next_sse(
    reader: &mut testkit::events::SseReader,
    within: Duration,
    each: impl Fn(&Value),
    wanted: impl Fn(&Value) -> bool,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let (_, data) = tokio::time::timeout(left, reader.next()).await.ok()??;
        let record = data["Events"][0].clone();
        each(&record);
        if wanted(&record) {
            return Some(record);
        }
    }
}

fn origin(record: &Value) -> &str {
    record["OriginOfCondition"]["@odata.id"]
        .as_str()
        .unwrap_or_default()
}

/// End to end: a power change on a sim BMC (taken from its own event stream) reaches SSE
/// clients of the aggregate through the real frontend, localized; a client filtering on one
/// server's origin gets that server's events and never the other's.
#[tokio::test]
async fn a_bmc_power_change_reaches_sse_clients_localized_and_filtered_by_origin() {
    const SSE: &str = "/redfish/v1/EventService/SSE";
    let stack = Stack::start(StackOptions::rack(2, Profile::OpenBmc)).await;
    stack.wait_for_members("/redfish/v1/Systems", 2).await;
    for sim in &stack.sims {
        wait_until("the aggregator follows the BMC's event stream", || async {
            sim.requests().iter().any(|r| r.path == SSE)
        })
        .await;
    }
    let (_, s1_system) = sim_system(&stack.sims[0]).await;
    let (_, s2_system) = sim_system(&stack.sims[1]).await;
    let s1_origin = format!("/redfish/v1/Systems/s1-{s1_system}");
    let s2_origin = format!("/redfish/v1/Systems/s2-{s2_system}");
    let open = |query: String| {
        let request = stack.admin(Method::GET, &format!("{SSE}{query}"));
        async move {
            let r = request.send().await.expect("open the stream");
            assert_eq!(r.status(), 200);
            testkit::events::SseReader::new(r)
        }
    };
    let mut all = open(String::new()).await;
    let mut only_s1 = open(format!("?$filter=OriginResource%20eq%20'{s1_origin}'")).await;
    let addresses: Vec<String> = stack.sims.iter().map(|s| s.addr().to_string()).collect();
    let no_address = |record: &Value| {
        let text = record.to_string();
        for addr in &addresses {
            assert!(
                !text.contains(addr.as_str()),
                "a BMC address leaked: {text}"
            );
        }
    };
    let powered_off = |want: &str| {
        let want = want.to_owned();
        move |record: &Value| {
            origin(record) == want
                && record["MessageId"]
                    .as_str()
                    .is_some_and(|m| m.ends_with("ResourcePoweredOff"))
        }
    };
    // s2 first: the unfiltered client sees it (a stream may open a moment after a reset: reset
    // again until the event arrives).
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        reset(&stack.sims[1], "ForceRestart").await;
        if next_sse(
            &mut all,
            Duration::from_secs(3),
            no_address,
            powered_off(&s2_origin),
        )
        .await
        .is_some()
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no s2 event on SSE");
    }
    // Then s1: the filtered client's events are all s1's, and its power change comes.
    let only_s1_origin = |record: &Value| {
        no_address(record);
        assert_eq!(origin(record), s1_origin, "filtered out: {record}");
    };
    loop {
        reset(&stack.sims[0], "ForceRestart").await;
        if next_sse(
            &mut only_s1,
            Duration::from_secs(3),
            only_s1_origin,
            powered_off(&s1_origin),
        )
        .await
        .is_some()
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no s1 event on SSE");
    }
    stack.teardown().await;
}
