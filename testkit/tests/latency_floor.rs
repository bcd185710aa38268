//! A regression guard, not a speed test: one client reading an aggregated resource, request after
//! request, must see no 40 ms floor. Nagle's algorithm on any hop (the frontend's client socket,
//! the gRPC connection in either direction, the BMC connection) holds a reply's last segment until
//! the peer's delayed ACK, 40 ms later, on every request; this happened once on the gRPC hop
//! (tonic ignores tcp_nodelay for a caller-supplied listener stream). A proxied GET takes a few
//! milliseconds even in a debug build on a loaded machine, so a median of 20 ms or more means the
//! floor is back.

use std::time::{Duration, Instant};
use testkit::bmc_sim::Profile;
use testkit::{ADMIN_PASSWORD, ADMIN_USER, Stack, StackOptions};

const REQUESTS: usize = 41;
const FLOOR: Duration = Duration::from_millis(20);

async fn median_latency(stack: &Stack, token: &str, path: &str) -> Duration {
    let mut took = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let start = Instant::now();
        let reply = stack
            .with_token(reqwest::Method::GET, path, token)
            .send()
            .await
            .expect("request");
        assert_eq!(reply.status(), 200, "{path}");
        reply.bytes().await.expect("body");
        took.push(start.elapsed());
    }
    took.sort();
    took[REQUESTS / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_sees_no_delayed_ack_floor() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let systems = stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let member = systems["Members"][0]["@odata.id"]
        .as_str()
        .expect("member link")
        .to_owned();
    let (token, _) = stack.login(ADMIN_USER, ADMIN_PASSWORD).await;
    for path in [member.as_str(), "/redfish/v1/Systems"] {
        let median = median_latency(&stack, &token, path).await;
        eprintln!("{path}: median {median:?} over {REQUESTS} requests from one client");
        assert!(
            median < FLOOR,
            "{path}: median {median:?} per request from one client; a 40 ms delayed-ACK floor (Nagle) is back on some hop"
        );
    }
    stack.teardown().await;
}
