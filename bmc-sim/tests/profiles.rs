//! The profiles differ the way real vendors do.

mod common;

use bmc_sim::{Profile, SimHandle};
use common::{get, get_ok, send, start};
use reqwest::Method;
use serde_json::{Value, json};

fn all_strings<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                if k == key {
                    if let Some(s) = val.as_str() {
                        out.push(s);
                    }
                }
                all_strings(val, key, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|i| all_strings(i, key, out)),
        _ => {}
    }
}

async fn member_ids(h: &SimHandle) -> (String, String, String) {
    let mut ids = Vec::new();
    for coll in ["Systems", "Chassis", "Managers"] {
        let c = get_ok(h, &format!("/redfish/v1/{coll}")).await;
        let link = c["Members"][0]["@odata.id"]
            .as_str()
            .expect("member")
            .to_string();
        let body = get_ok(h, &link).await;
        ids.push(body["Id"].as_str().expect("Id").to_string());
    }
    (ids[0].clone(), ids[1].clone(), ids[2].clone())
}

#[tokio::test]
async fn member_ids_differ_by_profile() {
    let expected = [
        (Profile::Dmtf, ("1", "1", "1")),
        (
            Profile::Idrac,
            ("System.Embedded.1", "System.Embedded.1", "iDRAC.Embedded.1"),
        ),
        (Profile::Ilo, ("1", "1", "1")),
        (Profile::OpenBmc, ("system", "chassis", "bmc")),
        (Profile::Supermicro, ("1", "1", "1")),
    ];
    for (profile, (s, c, m)) in expected {
        let h = start(profile).await;
        let got = member_ids(&h).await;
        assert_eq!(
            got,
            (s.to_string(), c.to_string(), m.to_string()),
            "{profile}"
        );
        h.shutdown().await;
    }
}

#[tokio::test]
async fn ilo_links_have_trailing_slashes_and_etags_in_body() {
    let h = start(Profile::Ilo).await;
    let sys = get_ok(&h, "/redfish/v1/Systems/1/").await;
    let mut ids = Vec::new();
    all_strings(&sys, "@odata.id", &mut ids);
    assert!(ids.len() > 5);
    for id in ids {
        assert!(id.ends_with('/'), "{id}");
    }
    let target = sys["Actions"]["#ComputerSystem.Reset"]["target"]
        .as_str()
        .unwrap_or_default();
    assert!(target.ends_with("ComputerSystem.Reset/"), "{target}");
    let (_, headers, body) = get(&h, "/redfish/v1/Systems/1/").await;
    assert_eq!(
        body["@odata.etag"].as_str(),
        headers.get("etag").and_then(|v| v.to_str().ok())
    );
    let oem = &sys["Oem"]["Hpe"];
    assert!(oem.is_object(), "Oem.Hpe present");
    h.shutdown().await;
}

#[tokio::test]
async fn idrac_has_context_oem_and_absolute_urls() {
    let h = start(Profile::Idrac).await;
    let sys = get_ok(&h, "/redfish/v1/Systems/System.Embedded.1").await;
    assert_eq!(
        sys["@odata.context"],
        "/redfish/v1/$metadata#ComputerSystem.ComputerSystem"
    );
    assert!(sys["Oem"]["Dell"]["DellSystem"].is_object());
    let managed_by = sys["Links"]["ManagedBy"][0]["@odata.id"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        managed_by,
        format!("{}/redfish/v1/Managers/iDRAC.Embedded.1", h.url()),
        "absolute link with the BMC's own scheme, host and port"
    );
    let mgr = get_ok(&h, "/redfish/v1/Managers/iDRAC.Embedded.1").await;
    let oem_action = &mgr["Actions"]["Oem"]["#DellManager.ResetToDefaults"];
    let target = oem_action["target"].as_str().expect("OEM action target");
    let (status, _, _) = send(
        &h,
        Method::POST,
        target,
        Some(json!({"ResetType": "Default"})),
        &[],
    )
    .await;
    assert_eq!(status, 204);
    let update = get_ok(&h, "/redfish/v1/UpdateService").await;
    assert!(
        update["MultipartHttpPushUri"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&h.url())
    );
    // Location headers are absolute too.
    let (status, headers, _) = send(
        &h,
        Method::POST,
        "/redfish/v1/SessionService/Sessions",
        Some(json!({"UserName": "root", "Password": "calvin"})),
        &[],
    )
    .await;
    assert_eq!(status, 201);
    let loc = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(loc.starts_with(&h.url()), "{loc}");
    h.shutdown().await;
}

#[tokio::test]
async fn supermicro_has_navigation_links_and_dmtf_has_no_oem() {
    let h = start(Profile::Supermicro).await;
    let sys = get_ok(&h, "/redfish/v1/Systems/1").await;
    assert_eq!(
        sys["Processors@odata.navigationLink"],
        "/redfish/v1/Systems/1/Processors"
    );
    assert!(sys["Oem"]["Supermicro"].is_object());
    h.shutdown().await;

    let h = start(Profile::Dmtf).await;
    let sys = get_ok(&h, "/redfish/v1/Systems/1").await;
    assert!(sys.get("Oem").is_none());
    assert!(sys.get("@odata.context").is_none());
    assert!(sys.get("@odata.etag").is_none());
    h.shutdown().await;
}

#[tokio::test]
async fn log_entries_are_paged_and_expanded() {
    for profile in bmc_sim::Profile::ALL {
        let h = start(profile).await;
        let sys = common::system_path(&h).await;
        let services = get_ok(&h, &format!("{}/LogServices", sys.trim_end_matches('/'))).await;
        let svc = services["Members"][0]["@odata.id"]
            .as_str()
            .expect("log service")
            .to_string();
        let svc_body = get_ok(&h, &svc).await;
        let entries = svc_body["Entries"]["@odata.id"]
            .as_str()
            .expect("entries")
            .to_string();
        let page1 = get_ok(&h, &entries).await;
        assert_eq!(page1["Members@odata.count"], 120, "{profile}");
        assert_eq!(
            page1["Members"].as_array().map(Vec::len),
            Some(50),
            "{profile}"
        );
        assert!(
            page1["Members"][0]["EntryType"].is_string(),
            "members are expanded"
        );
        let next = page1["Members@odata.nextLink"]
            .as_str()
            .expect("nextLink")
            .to_string();
        let page2 = get_ok(&h, &next).await;
        let page3 = get_ok(
            &h,
            page2["Members@odata.nextLink"]
                .as_str()
                .expect("nextLink 2"),
        )
        .await;
        assert_eq!(page3["Members"].as_array().map(Vec::len), Some(20));
        assert!(page3.get("Members@odata.nextLink").is_none());
        h.shutdown().await;
    }
}
