//! Fleets: many BMCs in one process, the control server, HTTPS.

mod common;

use std::time::Duration;

use bmc_sim::{BmcOptions, Fault, Fleet, Profile, Quirks, SimBmc, SimConfig};
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

#[tokio::test]
async fn path_faults_from_the_config_top_level_and_per_bmc() {
    let config = SimConfig::from_toml(
        r#"
        count = 2
        profile = "dmtf"
        control_listen = "127.0.0.1:0"
        path_faults = [
          { path = "/redfish/v1/UpdateService/FirmwareInventory", fault = { Status = { code = 404, redfish_body = true } } },
        ]

        [[bmc]]
        id = "own"
        path_faults = [{ path = "/redfish/v1/Chassis/", fault = { Status = { code = 500, redfish_body = false } } }]

        [[bmc]]
        id = "none"
        path_faults = []
        "#,
    )
    .expect("config");
    let opts = config.bmc_options().expect("valid");
    assert_eq!(
        opts[0].path_faults,
        vec![(
            "/redfish/v1/Chassis".to_string(),
            Fault::Status {
                code: 500,
                redfish_body: false
            }
        )],
        "an entry's own list replaces the default; prefix normalised"
    );
    assert!(opts[1].path_faults.is_empty());
    assert_eq!(
        opts[2].path_faults.len(),
        1,
        "generated BMCs get the default"
    );
    let fleet = Fleet::start(&config).await.expect("fleet");
    let c = common::client();
    let status = |h: &bmc_sim::SimHandle, path: &str| {
        let req = c
            .get(format!("{}{path}", h.url()))
            .basic_auth("root", Some("calvin"));
        async move { req.send().await.expect("get").status().as_u16() }
    };
    let [own, none, bmc1, bmc2] = fleet.handles() else {
        panic!("four BMCs");
    };
    let firmware = "/redfish/v1/UpdateService/FirmwareInventory";
    assert_eq!(status(own, "/redfish/v1/Chassis/1").await, 500);
    assert_eq!(status(own, firmware).await, 200);
    assert_eq!(status(none, firmware).await, 200);
    for h in [bmc1, bmc2] {
        assert_eq!(status(h, firmware).await, 404, "{}", h.id());
        assert_eq!(status(h, "/redfish/v1/Chassis/1").await, 200, "{}", h.id());
    }
    // The control server lists each BMC's rules and sets them by id.
    let control = fleet.control_addr().expect("control");
    let list: Value = c
        .get(format!("http://{control}/bmcs"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let listed = |id: &str| {
        list["bmcs"]
            .as_array()
            .and_then(|b| b.iter().find(|b| b["id"] == id))
            .map(|b| b["path_faults"].clone())
    };
    assert_eq!(listed("none"), Some(json!([])));
    assert_eq!(
        listed("bmc1"),
        Some(json!([{"path": firmware, "fault": {"Status": {"code": 404, "redfish_body": true}}}]))
    );
    let r = c
        .delete(format!(
            "http://{control}/bmcs/bmc1/path-fault?path={firmware}"
        ))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 200);
    assert_eq!(status(bmc1, firmware).await, 200);
    let r = c
        .put(format!("http://{control}/bmcs/bmc2/path-fault"))
        .json(&json!({"path": firmware, "fault": "Down"}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 400);
    fleet.shutdown().await;
}

#[test]
fn config_start_delay_and_path_fault_errors_name_the_key() {
    let opts = SimConfig::from_toml(
        "count = 2\nstart_delay_ms = 1500\n[[bmc]]\nid = \"now\"\nstart_delay_ms = 0\n",
    )
    .expect("parses")
    .bmc_options()
    .expect("valid");
    assert_eq!(opts[0].start_delay, None, "0 means serve at once");
    assert_eq!(opts[1].start_delay, Some(Duration::from_millis(1500)));
    assert_eq!(opts[2].start_delay, Some(Duration::from_millis(1500)));
    let e = SimConfig::from_toml(
        "[[bmc]]\nid = \"a\"\npath_faults = [{ path = \"/redfish/v1/Systems\", fault = \"Down\" }]\n",
    )
    .expect("parses")
    .bmc_options()
    .expect_err("Down is refused");
    assert!(e.to_string().contains("bmc[0].path_faults[0]"), "{e}");
    assert!(e.to_string().contains("Down"), "{e}");
    let e = SimConfig::from_toml(
        "count = 1\npath_faults = [{ path = \"/a\", fault = \"Hang\" }, { path = \"/a/\", fault = \"Garbage\" }]\n",
    )
    .expect("parses")
    .bmc_options()
    .expect_err("duplicate path");
    assert!(e.to_string().contains("path_faults[1]"), "{e}");
    let e =
        SimConfig::from_toml("count = 1\npath_faults = [{ path = \"/a\", fault = \"Bogus\" }]\n")
            .expect_err("unknown fault");
    assert!(e.to_string().contains("path_faults"), "{e}");
    let e = SimConfig::from_toml("count = 1\npath_faults = [{ path = \"/a\", falt = \"Hang\" }]\n")
        .expect_err("unknown key");
    assert!(e.to_string().contains("falt"), "{e}");
    let e = SimConfig::from_toml("count = 1\nstart_delay_ms = -5\n").expect_err("negative");
    assert!(e.to_string().contains("start_delay_ms"), "{e}");
}

#[tokio::test]
async fn quirks_from_the_config_top_level_and_per_bmc() {
    let config = SimConfig::from_toml(
        r#"
        count = 1
        profile = "dmtf"
        quirks = { uuid_ids = true, async_power_secs = 7 }

        [[bmc]]
        id = "own"
        [bmc.quirks]
        encoded_ids = true
        advertised_host = "own.example.net"

        [[bmc]]
        id = "plain"
        quirks = {}
        "#,
    )
    .expect("config");
    let opts = config.bmc_options().expect("valid");
    assert_eq!(
        opts[0].quirks,
        Quirks {
            encoded_ids: true,
            advertised_host: Some("own.example.net".into()),
            ..Quirks::default()
        },
        "an entry's own table replaces the default"
    );
    assert!(opts[1].quirks.is_none(), "{:?}", opts[1].quirks);
    assert!(opts[2].quirks.uuid_ids && opts[2].quirks.async_power_secs == 7);
    // And they are in force: the BMCs serve their trees accordingly.
    let fleet = Fleet::start(&config).await.expect("fleet");
    let systems = |h: &bmc_sim::SimHandle| {
        let h = h.clone();
        async move {
            let body = common::get_ok(&h, "/redfish/v1/Systems").await;
            body["Members"][0]["@odata.id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }
    };
    let [own, plain, generated] = [0, 1, 2].map(|i| fleet.handles()[i].clone());
    assert_eq!(
        systems(&own).await,
        format!(
            "http://own.example.net:{}/redfish/v1/Systems/System%201",
            own.addr().port()
        )
    );
    assert_eq!(systems(&plain).await, "/redfish/v1/Systems/1");
    let uuid = systems(&generated).await;
    assert_eq!(uuid.len(), "/redfish/v1/Systems/".len() + 36, "{uuid}");
    assert_eq!(generated.quirks().async_power_secs, 7);
    fleet.shutdown().await;
}

#[test]
fn config_quirk_errors_name_the_key() {
    let e = SimConfig::from_toml("count = 1\nquirks = { uuid_idz = true }\n")
        .expect_err("unknown quirk");
    assert!(e.to_string().contains("uuid_idz"), "{e}");
    let e = SimConfig::from_toml("count = 1\nquirks = { async_power_secs = -3 }\n")
        .expect_err("negative");
    assert!(e.to_string().contains("quirks"), "{e}");
    let e = SimConfig::from_toml(
        "[[bmc]]\nid = \"a\"\nquirks = { uuid_ids = true, encoded_ids = true }\n",
    )
    .expect("parses")
    .bmc_options()
    .expect_err("contradiction");
    assert!(e.to_string().contains("bmc[0].quirks"), "{e}");
    let e = SimConfig::from_toml("count = 1\nquirks = { advertised_host = \"a b\" }\n")
        .expect("parses")
        .bmc_options()
        .expect_err("bad host");
    assert!(
        e.to_string().contains("`quirks`") && e.to_string().contains("advertised_host"),
        "{e}"
    );
}
