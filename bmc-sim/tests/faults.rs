//! Every fault is observable from a client; never assert an upper bound on time.

mod common;

use std::time::{Duration, Instant};

use bmc_sim::{Fault, Profile};
use common::{client, start, url_of};
use serde_json::{Value, json};

const ROOT: &str = "/redfish/v1";

#[tokio::test]
async fn delay_is_measurable() {
    let h = start(Profile::Dmtf).await;
    h.set_fault(Fault::Delay {
        fixed_ms: 300,
        jitter_ms: 50,
    });
    let t0 = Instant::now();
    let r = client().get(url_of(&h, ROOT)).send().await.expect("get");
    assert_eq!(r.status(), 200);
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t0.elapsed()
    );
    h.shutdown().await;
}

#[tokio::test]
async fn status_with_and_without_redfish_body() {
    let h = start(Profile::Idrac).await;
    h.set_fault(Fault::Status {
        code: 503,
        redfish_body: true,
    });
    let r = client().get(url_of(&h, ROOT)).send().await.expect("get");
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some());
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        body["error"]["@Message.ExtendedInfo"][0]["MessageId"],
        "Base.1.22.ServiceTemporarilyUnavailable"
    );
    h.set_fault(Fault::Status {
        code: 500,
        redfish_body: false,
    });
    let r = client().get(url_of(&h, ROOT)).send().await.expect("get");
    assert_eq!(r.status(), 500);
    assert!(r.bytes().await.expect("body").is_empty());
    h.set_fault(Fault::None);
    let r = client().get(url_of(&h, ROOT)).send().await.expect("get");
    assert_eq!(r.status(), 200);
    h.shutdown().await;
}

#[tokio::test]
async fn hang_makes_the_client_time_out() {
    let h = start(Profile::Dmtf).await;
    h.set_fault(Fault::Hang);
    let c = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let err = c
        .get(url_of(&h, ROOT))
        .send()
        .await
        .expect_err("must time out");
    assert!(err.is_timeout(), "{err:?}");
    // A hung request ends (connection dropped) when the fault is cleared.
    let url = url_of(&h, ROOT);
    let pending = tokio::spawn(async move { client().get(url).send().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    h.set_fault(Fault::None);
    let res = pending.await.expect("join");
    assert!(res.is_err(), "hung request is cut off, not answered");
    assert_eq!(
        client()
            .get(url_of(&h, ROOT))
            .send()
            .await
            .expect("get")
            .status(),
        200
    );
    // Shutdown is not blocked by a hanging request.
    h.set_fault(Fault::Hang);
    let url = url_of(&h, ROOT);
    let pending = tokio::spawn(async move { client().get(url).send().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    h.shutdown().await;
    assert!(pending.await.expect("join").is_err());
}

#[tokio::test]
async fn reset_mid_body_is_a_body_error() {
    let h = start(Profile::Ilo).await;
    h.set_fault(Fault::ResetMidBody);
    let res = client().get(url_of(&h, ROOT)).send().await;
    match res {
        Ok(r) => {
            assert_eq!(r.status(), 200);
            assert!(r.bytes().await.is_err(), "body must fail");
        }
        Err(e) => assert!(!e.is_timeout(), "{e:?}"),
    }
    h.shutdown().await;
}

#[tokio::test]
async fn garbage_and_truncated_json_are_not_json() {
    let h = start(Profile::OpenBmc).await;
    for fault in [Fault::Garbage, Fault::TruncatedJson] {
        h.set_fault(fault.clone());
        let r = client()
            .get(url_of(&h, "/redfish/v1/Systems/system"))
            .basic_auth("root", Some("calvin"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "{fault:?}");
        assert!(
            r.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| ct.starts_with("application/json"))
        );
        let bytes = r.bytes().await.expect("complete body");
        assert!(!bytes.is_empty());
        assert!(
            serde_json::from_slice::<Value>(&bytes).is_err(),
            "{fault:?}"
        );
    }
    h.shutdown().await;
}

#[tokio::test]
async fn down_refuses_connections_then_comes_back() {
    let h = start(Profile::Supermicro).await;
    let c = client();
    assert_eq!(
        c.get(url_of(&h, ROOT)).send().await.expect("up").status(),
        200
    );
    h.set_fault(Fault::Down);
    // The accept loop closes the listener asynchronously; give it a moment.
    let mut refused = false;
    for _ in 0..50 {
        match reqwest::Client::new().get(url_of(&h, ROOT)).send().await {
            Err(e) if e.is_connect() => {
                refused = true;
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    assert!(refused, "connection refused while Down");
    h.set_fault(Fault::None);
    let mut back = false;
    for _ in 0..100 {
        if let Ok(r) = reqwest::Client::new().get(url_of(&h, ROOT)).send().await {
            assert_eq!(r.status(), 200);
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(back, "serving again on the same port after clearing Down");
    h.shutdown().await;
}

#[tokio::test]
async fn slow_drip_takes_time_and_delivers_the_whole_body() {
    let h = start(Profile::Dmtf).await;
    let full = client()
        .get(url_of(&h, ROOT))
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    h.set_fault(Fault::SlowDrip {
        bytes_per_sec: 1000,
    });
    let t0 = Instant::now();
    let dripped = client()
        .get(url_of(&h, ROOT))
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    let elapsed = t0.elapsed();
    assert_eq!(full, dripped);
    // 100 bytes every 100 ms: the last chunk leaves after (len/100 - 1) pauses.
    let min = Duration::from_millis(100 * (full.len() as u64 / 100).saturating_sub(1));
    assert!(
        elapsed >= min,
        "{elapsed:?} < {min:?} for {} bytes",
        full.len()
    );
    h.shutdown().await;
}

#[tokio::test]
async fn credential_rotation_gives_401_to_old_credentials_and_sessions() {
    let h = start(Profile::Idrac).await;
    let c = client();
    let login = c
        .post(url_of(&h, "/redfish/v1/SessionService/Sessions"))
        .json(&json!({"UserName": "root", "Password": "calvin"}))
        .send()
        .await
        .expect("login");
    let token = login
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .expect("token")
        .to_string();
    h.set_password("rotated");
    let old_basic = c
        .get(url_of(&h, "/redfish/v1/Systems"))
        .basic_auth("root", Some("calvin"))
        .send()
        .await
        .expect("get");
    assert_eq!(old_basic.status(), 401);
    let old_session = c
        .get(url_of(&h, "/redfish/v1/Systems"))
        .header("X-Auth-Token", token)
        .send()
        .await
        .expect("get");
    assert_eq!(old_session.status(), 401);
    let new_basic = c
        .get(url_of(&h, "/redfish/v1/Systems"))
        .basic_auth("root", Some("rotated"))
        .send()
        .await
        .expect("get");
    assert_eq!(new_basic.status(), 200);
    h.shutdown().await;
}

#[tokio::test]
async fn control_endpoint_sets_and_clears_faults() {
    let h = start(Profile::Dmtf).await;
    let c = client();
    let put = c
        .put(url_of(&h, "/sim/fault"))
        .json(&json!({"Status": {"code": 503, "redfish_body": false}}))
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 200);
    assert_eq!(
        h.fault(),
        Fault::Status {
            code: 503,
            redfish_body: false
        }
    );
    let got: Value = c
        .get(url_of(&h, "/sim/fault"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(got, json!({"Status": {"code": 503, "redfish_body": false}}));
    assert_eq!(
        c.get(url_of(&h, ROOT)).send().await.expect("get").status(),
        503
    );
    let put = c
        .put(url_of(&h, "/sim/fault"))
        .json(&json!("Hang"))
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 200);
    assert_eq!(h.fault(), Fault::Hang);
    let bad = c
        .put(url_of(&h, "/sim/fault"))
        .body("{\"Nope\":1}")
        .send()
        .await
        .expect("put");
    assert_eq!(bad.status(), 400);
    let del = c
        .delete(url_of(&h, "/sim/fault"))
        .send()
        .await
        .expect("delete");
    assert_eq!(del.status(), 200);
    assert_eq!(h.fault(), Fault::None);
    assert_eq!(
        c.get(url_of(&h, ROOT)).send().await.expect("get").status(),
        200
    );
    // Control calls are not recorded as Redfish requests.
    assert!(h.requests().iter().all(|r| !r.path.starts_with("/sim")));
    h.shutdown().await;
}

#[tokio::test]
async fn requests_are_recorded_with_lowercased_headers() {
    let h = start(Profile::Ilo).await;
    client()
        .patch(url_of(&h, "/redfish/v1/Systems/1/?x=1"))
        .basic_auth("root", Some("calvin"))
        .header("X-Client-Token", "secret-abc")
        .json(&json!({"AssetTag": "t"}))
        .send()
        .await
        .expect("patch");
    let reqs = h.requests();
    let last = reqs.last().expect("recorded");
    assert_eq!(last.method, "PATCH");
    assert_eq!(last.path, "/redfish/v1/Systems/1/?x=1");
    assert_eq!(last.header("x-client-token"), Some("secret-abc"));
    assert!(
        last.headers
            .iter()
            .all(|(k, _)| *k == k.to_ascii_lowercase())
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&last.body).expect("json"),
        json!({"AssetTag": "t"})
    );
    h.shutdown().await;
}

#[tokio::test]
async fn shutdown_releases_the_port() {
    let h = start(Profile::Dmtf).await;
    let addr = h.addr();
    h.shutdown().await;
    let again = std::net::TcpListener::bind(addr);
    assert!(again.is_ok(), "port {addr} released");
}

#[tokio::test]
async fn sessions_expire_on_timeout_and_on_demand() {
    let h = start(Profile::OpenBmc).await;
    let c = client();
    let login = |c: reqwest::Client, url: String| async move {
        let r = c
            .post(format!("{url}/redfish/v1/SessionService/Sessions"))
            .json(&json!({"UserName": "root", "Password": "calvin"}))
            .send()
            .await
            .expect("login");
        r.headers()
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .expect("token")
            .to_string()
    };
    let systems = url_of(&h, "/redfish/v1/Systems");
    // On demand (handle and control endpoint).
    let token = login(c.clone(), h.url()).await;
    assert_eq!(
        c.get(&systems)
            .header("X-Auth-Token", &token)
            .send()
            .await
            .expect("get")
            .status(),
        200
    );
    h.expire_sessions();
    assert_eq!(
        c.get(&systems)
            .header("X-Auth-Token", &token)
            .send()
            .await
            .expect("get")
            .status(),
        401
    );
    let token = login(c.clone(), h.url()).await;
    c.delete(url_of(&h, "/sim/sessions"))
        .send()
        .await
        .expect("delete");
    assert_eq!(
        c.get(&systems)
            .header("X-Auth-Token", &token)
            .send()
            .await
            .expect("get")
            .status(),
        401
    );
    // Idle timeout from SessionService.SessionTimeout.
    let r = c
        .patch(url_of(&h, "/redfish/v1/SessionService"))
        .basic_auth("root", Some("calvin"))
        .json(&json!({"SessionTimeout": 1}))
        .send()
        .await
        .expect("patch");
    assert!(r.status().is_success());
    let token = login(c.clone(), h.url()).await;
    assert_eq!(
        c.get(&systems)
            .header("X-Auth-Token", &token)
            .send()
            .await
            .expect("get")
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(
        c.get(&systems)
            .header("X-Auth-Token", &token)
            .send()
            .await
            .expect("get")
            .status(),
        401
    );
    h.shutdown().await;
}
