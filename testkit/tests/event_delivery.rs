//! Delivery to aggregate subscribers over real loopback listeners: each subscription's filters
//! (RegistryPrefixes, ResourceTypes, OriginResources with SubordinateResources), HttpHeaders, and
//! a dead subscriber retried DeliveryRetryAttempts times then suspended (or terminated) while
//! another keeps receiving; resumed; all of it surviving a restart of the aggregator.
//!
//! "Must not arrive" is proven by order, never by waiting: a subscriber's events are delivered in
//! the order published, so once a later wanted event arrived an earlier unwanted one cannot.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::bmc_sim::Profile;
use testkit::events::Sink;
use testkit::{Stack, StackOptions};

const SUBSCRIPTIONS: &str = "/redfish/v1/EventService/Subscriptions";
const SUBMIT: &str = "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent";

async fn subscribe(stack: &Stack, body: Value) -> String {
    let r = testkit::send(stack.admin(Method::POST, SUBSCRIPTIONS).json(&body)).await;
    assert_eq!(r.status, 201, "{body}: {}", r.body);
    r.header("location").expect("Location").to_owned()
}

async fn submit(stack: &Stack, id: &str, message_id: &str, origin: &str) {
    let r = testkit::send(stack.admin(Method::POST, SUBMIT).json(&json!({
        "EventId": id, "MessageId": message_id, "OriginOfCondition": origin,
    })))
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
}

const BASE: &str = "Base.1.22.Success";
const RESOURCE: &str = "ResourceEvent.1.3.ResourceStatusChangedOK";
const SYS: &str = "/redfish/v1/Systems/s1-1";
const CPU: &str = "/redfish/v1/Systems/s1-1/Processors/CPU0";
const MGR: &str = "/redfish/v1/Managers/s1-1";

#[tokio::test]
async fn each_subscription_gets_what_its_filters_ask_for_with_its_headers() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let mut by_registry = Sink::start(204).await;
    let mut by_type = Sink::start(204).await;
    let mut by_origin_tree = Sink::start(204).await;
    let mut by_origin = Sink::start(204).await;
    let location = subscribe(
        &stack,
        json!({"Destination": by_registry.url, "Protocol": "Redfish", "Context": "reg",
               "RegistryPrefixes": ["ResourceEvent"],
               "HttpHeaders": [{"X-Rack-Token": "s3cret-token"}]}),
    )
    .await;
    subscribe(
        &stack,
        json!({"Destination": by_type.url, "Protocol": "Redfish", "ResourceTypes": ["Manager"]}),
    )
    .await;
    subscribe(
        &stack,
        json!({"Destination": by_origin_tree.url, "Protocol": "Redfish",
               "OriginResources": [{"@odata.id": SYS}], "SubordinateResources": true}),
    )
    .await;
    subscribe(
        &stack,
        json!({"Destination": by_origin.url, "Protocol": "Redfish",
               "OriginResources": [{"@odata.id": SYS}]}),
    )
    .await;

    // HttpHeaders are write-only.
    let (_, shown) = stack.get(&location).await;
    assert_eq!(shown["HttpHeaders"], json!([]), "{shown}");
    assert!(!shown.to_string().contains("s3cret"), "{shown}");
    assert_eq!(shown["RegistryPrefixes"], json!(["ResourceEvent"]));

    for (id, message, origin) in [
        ("e1", BASE, CPU),
        ("e2", BASE, SYS),
        ("e3", RESOURCE, MGR),
        ("e4", RESOURCE, SYS),
        ("e5", BASE, MGR),
        ("e6", RESOURCE, CPU),
        ("e7", RESOURCE, MGR),
        ("e8", RESOURCE, SYS),
    ] {
        submit(&stack, id, message, origin).await;
    }
    let registry = by_registry.next().await;
    assert_eq!(registry.header("x-rack-token"), Some("s3cret-token"));
    assert_eq!(registry.body["Context"], "reg");
    let mut ids = vec![registry.event_id().to_owned()];
    ids.extend(by_registry.next_ids(4).await);
    assert_eq!(ids, ["e3", "e4", "e6", "e7", "e8"], "RegistryPrefixes");
    assert_eq!(
        by_type.next_ids(3).await,
        ["e3", "e5", "e7"],
        "ResourceTypes"
    );
    assert_eq!(
        by_origin_tree.next_ids(5).await,
        ["e1", "e2", "e4", "e6", "e8"],
        "OriginResources with SubordinateResources"
    );
    assert_eq!(
        by_origin.next_ids(3).await,
        ["e2", "e4", "e8"],
        "OriginResources"
    );
    stack.teardown().await;
}

async fn state_of(stack: &Stack, location: &str) -> String {
    let (_, body) = stack.get(location).await;
    body["Status"]["State"].as_str().unwrap_or("").to_owned()
}

async fn metric(stack: &Stack, name: &str) -> f64 {
    let (_, text) = stack.ops_get(&format!("{}/metrics", stack.agg_ops)).await;
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn a_dead_subscriber_is_retried_then_suspended_while_others_receive_and_it_all_survives_a_restart()
 {
    let mut stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let r = testkit::send(
        stack
            .admin(Method::PATCH, "/redfish/v1/EventService")
            .json(&json!({"DeliveryRetryAttempts": 2, "DeliveryRetryIntervalSeconds": 1})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["DeliveryRetryAttempts"], 2);
    for (body, key) in [
        (
            json!({"DeliveryRetryAttempts": 1000}),
            "PropertyValueOutOfRange",
        ),
        (
            json!({"DeliveryRetryIntervalSeconds": "1"}),
            "PropertyValueTypeError",
        ),
        (json!({"ServiceEnabled": false}), "PropertyNotWritable"),
        (json!({"Colour": 1}), "PropertyUnknown"),
    ] {
        let r = testkit::send(
            stack
                .admin(Method::PATCH, "/redfish/v1/EventService")
                .json(&body),
        )
        .await;
        assert_eq!((r.status, r.message()), (400, key), "{body}");
    }

    let mut refusing = Sink::start(500).await;
    let closed = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        format!("http://{}/events", l.local_addr().expect("addr"))
    };
    let mut alive = Sink::start(204).await;
    let dead = subscribe(
        &stack,
        json!({"Destination": refusing.url, "Protocol": "Redfish", "Context": "dead"}),
    )
    .await;
    let gone = subscribe(
        &stack,
        json!({"Destination": closed, "Protocol": "Redfish", "DeliveryRetryPolicy": "TerminateAfterRetries"}),
    )
    .await;
    subscribe(
        &stack,
        json!({"Destination": alive.url, "Protocol": "Redfish"}),
    )
    .await;

    submit(&stack, "e1", BASE, SYS).await;
    assert_eq!(alive.next().await.event_id(), "e1");
    stack
        .until(&dead, Duration::from_secs(30), |b| {
            b["Status"]["State"] == "Disabled"
        })
        .await;
    assert_eq!(
        refusing.attempts(),
        3,
        "one POST and DeliveryRetryAttempts retries"
    );
    stack
        .wait_for_status(&gone, 404, Duration::from_secs(30))
        .await;
    assert!(metric(&stack, "reddrum_event_delivery_retries_total").await >= 4.0);
    assert_eq!(
        metric(
            &stack,
            "reddrum_event_subscriptions_stopped_total{policy=\"SuspendRetries\"}"
        )
        .await,
        1.0
    );

    // Suspended: nothing is tried while another subscriber keeps receiving.
    submit(&stack, "e2", BASE, SYS).await;
    assert_eq!(alive.next().await.event_id(), "e2");
    assert_eq!(refusing.attempts(), 3);

    // Resumed, and the subscriber is back: it receives again, in its context.
    refusing.answer(204);
    let r = testkit::send(
        stack
            .admin(
                Method::POST,
                &format!("{dead}/Actions/EventDestination.ResumeSubscription"),
            )
            .json(&json!({})),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(state_of(&stack, &dead).await, "Enabled");
    let r = testkit::send(
        stack
            .admin(Method::PATCH, &dead)
            .json(&json!({"Context": "revived", "DeliveryRetryPolicy": "RetryForever"})),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["Context"]),
        (200, &json!("revived")),
        "{}",
        r.body
    );
    let r = testkit::send(
        stack
            .admin(Method::PATCH, &dead)
            .json(&json!({"Destination": "http://x/"})),
    )
    .await;
    assert_eq!((r.status, r.message()), (400, "PropertyNotWritable"));
    submit(&stack, "e3", BASE, SYS).await;
    let got = refusing.next().await;
    assert_eq!(
        (got.event_id(), &got.body["Context"]),
        ("e3", &json!("revived"))
    );
    assert_eq!(alive.next().await.event_id(), "e3");

    // Suspend by action, then restart: subscriptions, their state and the settings persist,
    // and delivery resumes with the new aggregator.
    let r = testkit::send(
        stack
            .admin(
                Method::POST,
                &format!("{dead}/Actions/EventDestination.SuspendSubscription"),
            )
            .json(&json!({})),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    stack.restart_services().await;
    let (_, service) = stack.get("/redfish/v1/EventService").await;
    assert_eq!(
        (
            &service["DeliveryRetryAttempts"],
            &service["DeliveryRetryIntervalSeconds"]
        ),
        (&json!(2), &json!(1))
    );
    let (_, subs) = stack.get(SUBSCRIPTIONS).await;
    assert_eq!(subs["Members@odata.count"], 2, "{subs}");
    let (_, shown) = stack.get(&dead).await;
    assert_eq!(
        (
            &shown["Status"]["State"],
            &shown["Context"],
            &shown["DeliveryRetryPolicy"]
        ),
        (
            &json!("Disabled"),
            &json!("revived"),
            &json!("RetryForever")
        )
    );
    submit(&stack, "e4", BASE, SYS).await;
    assert_eq!(alive.next().await.event_id(), "e4");
    let r = testkit::send(stack.admin(
        Method::POST,
        &format!("{dead}/Actions/EventDestination.ResumeSubscription"),
    ))
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    submit(&stack, "e5", BASE, SYS).await;
    assert_eq!(
        refusing.next().await.event_id(),
        "e5",
        "e4 came while suspended: not kept"
    );
    stack.teardown().await;
}
