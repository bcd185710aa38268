//! Fleets: many BMCs in one process, the control server, HTTPS.

mod common;

use std::time::Duration;

use bmc_sim::{BmcOptions, Fault, Fleet, Profile, SimBmc, SimConfig};
use serde_json::{Value, json};

#[tokio::test]
async fn fleet_of_48_with_control_server() {
    let config = SimConfig::from_toml(
        r#"
        count = 46
        base_port = 0
        profile = "idrac"
        control_listen = "127.0.0.1:0"

        [[bmc]]
        id = "edge1"
        profile = "ilo"
        username = "admin"
        password = "pw1"

        [[bmc]]
        id = "edge2"
        profile = "openbmc"
        "#,
    )
    .expect("config");
    let fleet = Fleet::start(&config).await.expect("fleet");
    assert_eq!(fleet.handles().len(), 48);
    let c = common::client();
    for h in fleet.handles() {
        let r = c
            .get(format!("{}/redfish/v1", h.url()))
            .send()
            .await
            .expect("root");
        assert_eq!(r.status(), 200, "{}", h.id());
    }
    let edge1 = &fleet.handles()[0];
    assert_eq!(edge1.id(), "edge1");
    let r = c
        .get(format!("{}/redfish/v1/Systems", edge1.url()))
        .basic_auth("admin", Some("pw1"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);

    let control = fleet.control_addr().expect("control server");
    let list: Value = c
        .get(format!("http://{control}/bmcs"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list["bmcs"].as_array().map(Vec::len), Some(48));
    // Down via the control server, then back: the control port stays reachable.
    let bmc3 = fleet.handles()[3].clone();
    let r = c
        .put(format!("http://{control}/bmcs/{}/fault", bmc3.id()))
        .json(&json!("Down"))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200);
    assert_eq!(bmc3.fault(), Fault::Down);
    let r = c
        .delete(format!("http://{control}/bmcs/{}/fault", bmc3.id()))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 200);
    assert_eq!(bmc3.fault(), Fault::None);
    let r = c
        .get(format!("http://{control}/bmcs/nope/fault"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404);
    fleet.shutdown().await;
}

#[tokio::test]
async fn thousand_bmcs_share_templates() {
    let config = SimConfig {
        count: Some(1000),
        profile: Some(Profile::OpenBmc),
        ..SimConfig::default()
    };
    let fleet = Fleet::start(&config).await.expect("fleet of 1000");
    assert_eq!(fleet.handles().len(), 1000);
    let c = common::client();
    for h in fleet.handles().iter().step_by(97) {
        let r = c
            .get(format!("{}/redfish/v1/Systems/system", h.url()))
            .basic_auth("root", Some("calvin"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200);
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn https_with_self_signed_certificate() {
    let mut opts = BmcOptions::new("tls1", Profile::Idrac);
    opts.tls = true;
    let h = SimBmc::start(opts).await.expect("start");
    assert!(h.url().starts_with("https://127.0.0.1:"));
    let c = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let root: Value = c
        .get(format!("{}/redfish/v1", h.url()))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(root["Product"], "Integrated Dell Remote Access Controller");
    let sys: Value = c
        .get(format!("{}/redfish/v1/Systems/System.Embedded.1", h.url()))
        .basic_auth("root", Some("calvin"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let managed_by = sys["Links"]["ManagedBy"][0]["@odata.id"]
        .as_str()
        .unwrap_or_default();
    assert!(
        managed_by.starts_with("https://127.0.0.1:"),
        "absolute URLs use the BMC's own scheme"
    );
    // A client that verifies certificates refuses the self-signed one.
    let strict = reqwest::Client::new()
        .get(format!("{}/redfish/v1", h.url()))
        .send()
        .await;
    assert!(strict.is_err());
    h.shutdown().await;
}

#[test]
fn config_errors_name_the_key() {
    let e = SimConfig::from_toml("count = 2\nbogus = 1\n").expect_err("unknown key");
    assert!(e.to_string().contains("bogus"), "{e}");
    let e =
        SimConfig::from_toml("[[bmc]]\nid = \"a\"\nprofile = \"hp\"\n").expect_err("bad profile");
    assert!(e.to_string().contains("profile"), "{e}");
    let e = SimConfig::from_toml("[[bmc]]\nid = \"a\"\nlisten = \"nowhere\"\n")
        .expect_err("bad listen");
    assert!(e.to_string().contains("listen"), "{e}");
    let e = SimConfig::from_toml("[[bmc]]\nid = \"a\"\n[[bmc]]\nid = \"a\"\n")
        .expect("parses")
        .bmc_options()
        .expect_err("duplicate id");
    assert!(e.to_string().contains("id"), "{e}");
    let e = SimConfig::from_toml("")
        .expect("parses")
        .bmc_options()
        .expect_err("no BMCs");
    assert!(e.to_string().contains("count"), "{e}");
    let opts = SimConfig::from_toml("count = 3\nbase_port = 9000\nprofile = \"ilo\"\ntls = true\n")
        .expect("parses")
        .bmc_options()
        .expect("valid");
    assert_eq!(opts.len(), 3);
    assert_eq!(opts[2].listen.port(), 9002);
    assert_eq!(opts[1].id, "bmc2");
    assert!(opts.iter().all(|o| o.tls && o.profile == Profile::Ilo));
}
