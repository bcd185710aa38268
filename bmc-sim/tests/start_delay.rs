//! BMCs that boot late: the port is bound at once, connections are refused until the delay passed.

mod common;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bmc_sim::{BmcOptions, Fault, Fleet, Profile, SimBmc, SimConfig, SimHandle};
use common::client;
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};

/// True if a TCP connection to `addr` is refused right now (not accepted, nor reset by a
/// listener closing under it).
async fn refused(addr: SocketAddr) -> bool {
    matches!(TcpStream::connect(addr).await, Err(e) if e.kind() == ErrorKind::ConnectionRefused)
}

/// Polls until the service root answers 200; returns when that happened.
async fn served(h: &SimHandle) -> Instant {
    for _ in 0..1000 {
        if let Ok(r) = client().get(format!("{}/redfish/v1", h.url())).send().await {
            assert_eq!(r.status(), 200);
            return Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} never came up", h.id());
}

async fn start_late(id: &str, delay: Duration) -> (SimHandle, Instant) {
    let mut opts = BmcOptions::new(id, Profile::Dmtf);
    opts.start_delay = Some(delay);
    let t0 = Instant::now();
    let h = SimBmc::start(opts).await.expect("start");
    (h, t0)
}

#[tokio::test]
async fn refused_before_the_delay_then_served_on_the_reserved_port() {
    let delay = Duration::from_millis(800);
    let (h, t0) = start_late("late1", delay).await;
    let addr = h.addr();
    assert_ne!(addr.port(), 0, "the port is known at once");
    assert!(refused(addr).await, "connection refused while booting");
    let err = client()
        .get(format!("{}/redfish/v1", h.url()))
        .send()
        .await
        .expect_err("nothing served while booting");
    assert!(err.is_connect(), "{err:?}");
    // The port is taken: a plain bind (without SO_REUSEADDR) of it fails.
    let other = TcpSocket::new_v4().expect("socket");
    let taken = other.bind(addr).expect_err("port reserved while booting");
    assert_eq!(taken.kind(), ErrorKind::AddrInUse);
    // A fault set during boot is kept and applies once the BMC is up.
    h.set_fault(Fault::Status {
        code: 503,
        redfish_body: true,
    });
    assert!(refused(addr).await, "a fault does not end the boot early");
    h.set_fault(Fault::None);

    let up = served(&h).await;
    assert!(up - t0 >= delay, "served after {:?} < {delay:?}", up - t0);
    assert_eq!(h.addr(), addr, "same port");
    let r = client()
        .get(format!("{}/redfish/v1/Systems", h.url()))
        .basic_auth("root", Some("calvin"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    h.shutdown().await;
    assert!(
        std::net::TcpListener::bind(addr).is_ok(),
        "port released at shutdown"
    );
}

#[tokio::test]
async fn down_set_while_booting_keeps_the_bmc_down_after_the_delay() {
    let delay = Duration::from_millis(200);
    let (h, _) = start_late("late2", delay).await;
    h.set_fault(Fault::Down);
    tokio::time::sleep(delay * 3).await;
    assert!(refused(h.addr()).await, "still Down after the boot delay");
    h.set_fault(Fault::None);
    served(&h).await;
    h.shutdown().await;
}

#[tokio::test]
async fn shutdown_while_booting_releases_the_port() {
    let (h, _) = start_late("late3", Duration::from_secs(3600)).await;
    let addr = h.addr();
    h.shutdown().await;
    assert!(
        std::net::TcpListener::bind(addr).is_ok(),
        "port {addr} released"
    );
}

#[tokio::test]
async fn the_port_stays_reserved_while_down() {
    let h = common::start(Profile::Dmtf).await;
    let addr = h.addr();
    h.set_fault(Fault::Down);
    let mut down = false;
    for _ in 0..100 {
        if refused(addr).await {
            down = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(down, "refused while Down");
    let other = TcpSocket::new_v4().expect("socket");
    assert_eq!(
        other
            .bind(addr)
            .expect_err("port reserved while Down")
            .kind(),
        ErrorKind::AddrInUse
    );
    h.set_fault(Fault::None);
    served(&h).await;
    h.shutdown().await;
}

#[tokio::test]
async fn config_start_delay_per_bmc_and_fleet_control_while_booting() {
    let config = SimConfig::from_toml(
        r#"
        count = 1
        control_listen = "127.0.0.1:0"

        [[bmc]]
        id = "late"
        start_delay_ms = 1000
        "#,
    )
    .expect("config");
    let t0 = Instant::now();
    let fleet = Fleet::start(&config).await.expect("fleet");
    let late = fleet.handles()[0].clone();
    let prompt = fleet.handles()[1].clone();
    assert_eq!((late.id(), prompt.id()), ("late", "bmc1"));
    assert!(refused(late.addr()).await, "late BMC refuses while booting");
    let r = client()
        .get(format!("{}/redfish/v1", prompt.url()))
        .send()
        .await
        .expect("the other BMC serves at once");
    assert_eq!(r.status(), 200);
    // The fleet control server sees the booting BMC and can set a path fault on it.
    let control = fleet.control_addr().expect("control");
    let info: Value = client()
        .get(format!("http://{control}/bmcs/late/info"))
        .send()
        .await
        .expect("info")
        .json()
        .await
        .expect("json");
    assert_eq!(info["booting"], true, "{info}");
    let r = client()
        .put(format!("http://{control}/bmcs/late/path-fault"))
        .json(&json!({"path": "/redfish/v1/Systems", "fault": {"Status": {"code": 500, "redfish_body": true}}}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200);
    let up = served(&late).await;
    assert!(up - t0 >= Duration::from_millis(1000), "{:?}", up - t0);
    let r = client()
        .get(format!("{}/redfish/v1/Systems", late.url()))
        .basic_auth("root", Some("calvin"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 500);
    fleet.shutdown().await;
}
