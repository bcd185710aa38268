//! The operations listeners of both services, scraped over real sockets while real traffic goes
//! through a stack of simulated BMCs: per-BMC request counters and latency move for the BMC that
//! was asked and no other; a stopped BMC shows in its health and breaker gauges and in the error
//! causes; a BMC's own 5xx is counted as such; failed logins, requests by method and status
//! class, and active sessions on the frontend; `/readyz` 503 until the first discovery pass is
//! done (and on the frontend while the aggregator is away), `/healthz` 200 throughout.

use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use testkit::bmc_sim::{Fault, Profile};
use testkit::{Stack, StackOptions};

/// The value of one series: `name` with at least these labels (None when absent).
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let (set, value) = match rest.strip_prefix('{') {
            Some(r) => r.split_once("} ")?,
            None => ("", rest.strip_prefix(' ')?),
        };
        let has = |(k, v): &(&str, &str)| set.split(',').any(|p| p == format!("{k}=\"{v}\""));
        labels.iter().all(has).then(|| value.trim().parse().ok())?
    })
}

fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metric(text, name, labels).unwrap_or(0.0)
}

async fn scrape(stack: &Stack, ops: &str) -> String {
    let (status, body) = stack.ops_get(&format!("{ops}/metrics")).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Polls the aggregator's metrics until `ready` holds (bounded).
async fn until_metrics(stack: &Stack, what: &str, ready: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = scrape(stack, &stack.agg_ops).await;
        if ready(&text) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} never showed:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn ready_stack(options: StackOptions) -> Stack {
    let stack = Stack::start(options).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while stack.ops_get(&format!("{}/readyz", stack.agg_ops)).await.0 != 200 {
        assert!(tokio::time::Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stack
}

fn quiet_rack(n: usize) -> StackOptions {
    let mut o = StackOptions::rack(n, Profile::Dmtf);
    // Only the test's own requests reach the BMCs between two scrapes.
    o.extra_aggregator_toml = "[readings]\ninterval_secs = 3600\n".into();
    o
}

#[tokio::test]
async fn requests_count_for_the_bmc_they_went_to() {
    let stack = ready_stack(quiet_rack(2)).await;
    let before = scrape(&stack, &stack.agg_ops).await;
    for _ in 0..10 {
        let (status, _) = stack.get("/redfish/v1/Systems/s1-1").await;
        assert_eq!(status, 200);
    }
    let after = scrape(&stack, &stack.agg_ops).await;
    let delta = |name: &str, bmc: &str| {
        value(&after, name, &[("bmc", bmc)]) - value(&before, name, &[("bmc", bmc)])
    };
    assert!(delta("reddrum_bmc_requests_total", "s1") >= 10.0, "{after}");
    assert_eq!(delta("reddrum_bmc_requests_total", "s2"), 0.0, "{after}");
    assert!(delta("reddrum_bmc_request_duration_seconds_count", "s1") >= 10.0);
    assert_eq!(
        delta("reddrum_bmc_request_duration_seconds_count", "s2"),
        0.0
    );
    for bmc in ["s1", "s2"] {
        assert_eq!(
            value(
                &after,
                "reddrum_bmc_health",
                &[("bmc", bmc), ("state", "Up")]
            ),
            1.0
        );
        assert_eq!(
            value(&after, "reddrum_bmc_breaker_open", &[("bmc", bmc)]),
            0.0
        );
        let age = metric(&after, "reddrum_bmc_cache_age_seconds", &[("bmc", bmc)]);
        assert!(age.is_some_and(|a| (0.0..300.0).contains(&a)), "{after}");
    }
    assert!(
        value(
            &after,
            "reddrum_discovery_duration_seconds_count",
            &[("scope", "full")]
        ) >= 2.0
    );
    assert_eq!(value(&after, "reddrum_ready", &[]), 1.0);

    // The BMC's own 5xx is its cause, not the aggregator's.
    stack.sims[0]
        .set_path_fault(
            "/redfish/v1/Systems/1/Bios",
            Fault::Status {
                code: 500,
                redfish_body: true,
            },
        )
        .expect("path fault");
    let (status, _) = stack.get("/redfish/v1/Systems/s1-1/Bios").await;
    assert_eq!(status, 500);
    let text = scrape(&stack, &stack.agg_ops).await;
    let fives = |t: &str| {
        value(
            t,
            "reddrum_bmc_request_errors_total",
            &[("bmc", "s1"), ("cause", "http_5xx")],
        )
    };
    assert_eq!(fives(&text) - fives(&after), 1.0, "{text}");

    // The frontend counted the same requests by method and status class.
    let front = scrape(&stack, &stack.frontend_ops).await;
    assert!(
        value(
            &front,
            "reddrum_http_requests_total",
            &[("method", "GET"), ("class", "2xx")]
        ) >= 10.0,
        "{front}"
    );
    assert!(
        value(
            &front,
            "reddrum_http_requests_total",
            &[("method", "GET"), ("class", "5xx")]
        ) >= 1.0,
        "{front}"
    );
    assert!(
        value(
            &front,
            "reddrum_http_request_duration_seconds_count",
            &[("method", "GET")]
        ) >= 11.0
    );
    assert!(!front.contains("/redfish/v1/Systems"), "no URI is a label");
    stack.teardown().await;
}

#[tokio::test]
async fn a_stopped_bmc_shows_in_health_breaker_and_causes() {
    let stack = ready_stack(quiet_rack(2)).await;
    stack.sims[1].set_fault(Fault::Down);
    let (status, _) = stack.get("/redfish/v1/Systems/s2-1").await;
    assert_eq!(status, 503, "unreachable");
    let text = until_metrics(&stack, "s2 Down with its breaker open", |t| {
        value(t, "reddrum_bmc_health", &[("bmc", "s2"), ("state", "Down")]) == 1.0
            && value(t, "reddrum_bmc_breaker_open", &[("bmc", "s2")]) == 1.0
    })
    .await;
    assert!(
        value(
            &text,
            "reddrum_bmc_request_errors_total",
            &[("bmc", "s2"), ("cause", "unreachable")]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        value(
            &text,
            "reddrum_bmc_connections_refused_total",
            &[("bmc", "s2")]
        ) >= 1.0,
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            "reddrum_bmc_health",
            &[("bmc", "s2"), ("state", "Up")]
        ),
        0.0
    );
    // The other BMC is untouched.
    assert_eq!(
        value(
            &text,
            "reddrum_bmc_health",
            &[("bmc", "s1"), ("state", "Up")]
        ),
        1.0
    );
    assert_eq!(
        value(&text, "reddrum_bmc_breaker_open", &[("bmc", "s1")]),
        0.0
    );
    assert_eq!(
        value(
            &text,
            "reddrum_bmc_request_errors_total",
            &[("bmc", "s1"), ("cause", "unreachable")]
        ),
        0.0
    );

    // While the breaker is open requests answer at once, counted as such.
    let (status, _) = stack.get("/redfish/v1/Systems/s2-1").await;
    assert_eq!(status, 503);
    let text = scrape(&stack, &stack.agg_ops).await;
    assert!(
        value(
            &text,
            "reddrum_bmc_request_errors_total",
            &[("bmc", "s2"), ("cause", "breaker_open")]
        ) >= 1.0,
        "{text}"
    );

    // Back: Up again, breaker closed.
    stack.sims[1].set_fault(Fault::None);
    until_metrics(&stack, "s2 Up again", |t| {
        value(t, "reddrum_bmc_health", &[("bmc", "s2"), ("state", "Up")]) == 1.0
            && value(t, "reddrum_bmc_breaker_open", &[("bmc", "s2")]) == 0.0
    })
    .await;
    stack.teardown().await;
}

#[tokio::test]
async fn refused_credentials_show_as_unauthorized() {
    let stack = ready_stack(quiet_rack(1)).await;
    stack.sims[0].set_password("not-what-the-aggregator-has");
    stack.sims[0].expire_sessions();
    let (status, _) = stack.get("/redfish/v1/Systems/s1-1").await;
    assert_eq!(status, 502);
    let text = until_metrics(&stack, "s1 Unauthorized", |t| {
        value(
            t,
            "reddrum_bmc_health",
            &[("bmc", "s1"), ("state", "Unauthorized")],
        ) == 1.0
    })
    .await;
    assert!(
        value(
            &text,
            "reddrum_bmc_request_errors_total",
            &[("bmc", "s1"), ("cause", "unauthorized")]
        ) >= 1.0,
        "{text}"
    );
    assert_eq!(
        value(&text, "reddrum_bmc_breaker_open", &[("bmc", "s1")]),
        1.0
    );
    stack.teardown().await;
}

#[tokio::test]
async fn failed_logins_and_sessions_are_counted_on_the_frontend() {
    let stack = ready_stack(quiet_rack(1)).await;
    let sessions = "/redfish/v1/SessionService/Sessions";
    let r = stack
        .client
        .post(stack.url(sessions))
        .json(&json!({"UserName": testkit::ADMIN_USER, "Password": "wrong-password"}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 401);
    let r = stack
        .as_user(Method::GET, "/redfish/v1/Systems", "nobody", "whatever")
        .send()
        .await
        .expect("basic");
    assert_eq!(r.status(), 401);
    let (_token, _) = stack
        .login(testkit::ADMIN_USER, testkit::ADMIN_PASSWORD)
        .await;

    let front = scrape(&stack, &stack.frontend_ops).await;
    assert_eq!(
        value(
            &front,
            "reddrum_login_failures_total",
            &[("reason", "wrong_password")]
        ),
        1.0,
        "{front}"
    );
    assert_eq!(
        value(
            &front,
            "reddrum_login_failures_total",
            &[("reason", "unknown_user")]
        ),
        1.0,
        "{front}"
    );
    assert_eq!(
        value(&front, "reddrum_sessions_active", &[]),
        1.0,
        "{front}"
    );
    assert!(
        value(
            &front,
            "reddrum_http_requests_total",
            &[("method", "POST"), ("class", "4xx")]
        ) >= 1.0
    );
    assert!(
        value(
            &front,
            "reddrum_http_requests_total",
            &[("method", "POST"), ("class", "2xx")]
        ) >= 1.0
    );
    assert!(!front.contains("nobody"), "no user name is a label");
    stack.teardown().await;
}

#[tokio::test]
async fn readiness_waits_for_the_first_discovery_pass_and_the_aggregator() {
    let mut options = quiet_rack(2);
    // s2 hangs: its first read takes the whole request timeout.
    options.request_timeout_ms = 5_000;
    options.faults_at_start = vec![("s2".into(), Fault::Hang)];
    let mut stack = Stack::start(options).await;
    let agg_ready = format!("{}/readyz", stack.agg_ops);
    let (status, body) = stack.ops_get(&agg_ready).await;
    assert_eq!(status, 503, "before the first pass: {body}");
    assert!(body.contains("discovery"), "{body}");
    for ops in [&stack.agg_ops, &stack.frontend_ops] {
        assert_eq!(stack.ops_get(&format!("{ops}/healthz")).await.0, 200);
    }
    assert_eq!(
        stack
            .ops_get(&format!("{}/readyz", stack.frontend_ops))
            .await
            .0,
        200,
        "the frontend is ready as soon as the aggregator answers"
    );
    let text = scrape(&stack, &stack.agg_ops).await;
    assert_eq!(value(&text, "reddrum_ready", &[]), 0.0);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _) = stack.ops_get(&agg_ready).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(tokio::time::Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = scrape(&stack, &stack.agg_ops).await;
    assert_eq!(value(&text, "reddrum_ready", &[]), 1.0);
    assert_eq!(
        value(
            &text,
            "reddrum_bmc_health",
            &[("bmc", "s2"), ("state", "Down")]
        ),
        1.0,
        "{text}"
    );
    assert!(
        value(
            &text,
            "reddrum_bmc_request_errors_total",
            &[("bmc", "s2"), ("cause", "timeout")]
        ) >= 1.0,
        "{text}"
    );

    // The frontend is not ready while the aggregator is away; alive all the same.
    stack.stop_aggregator().await;
    let (status, body) = stack
        .ops_get(&format!("{}/readyz", stack.frontend_ops))
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        stack
            .ops_get(&format!("{}/healthz", stack.frontend_ops))
            .await
            .0,
        200
    );
    stack.start_aggregator_again().await;
    stack.teardown().await;
}
