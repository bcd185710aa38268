//! First increment: service root, the three collections, Basic auth.

use bmc_sim::{BmcOptions, Profile, SimBmc};

#[tokio::test]
async fn dmtf_root_and_collections_with_basic_auth() {
    let h = SimBmc::start(BmcOptions::new("t1", Profile::Dmtf))
        .await
        .expect("start");
    let c = reqwest::Client::new();
    let root: serde_json::Value = c
        .get(format!("{}/redfish/v1", h.url()))
        .send()
        .await
        .expect("root")
        .json()
        .await
        .expect("json");
    assert_eq!(root["Systems"]["@odata.id"], "/redfish/v1/Systems");
    for coll in ["Systems", "Chassis", "Managers"] {
        let url = format!("{}/redfish/v1/{coll}", h.url());
        let unauth = c.get(&url).send().await.expect("get");
        assert_eq!(unauth.status(), 401);
        let ok = c
            .get(&url)
            .basic_auth("root", Some("calvin"))
            .send()
            .await
            .expect("get");
        assert_eq!(ok.status(), 200);
        let body: serde_json::Value = ok.json().await.expect("json");
        assert_eq!(body["Members@odata.count"], 1);
    }
    h.shutdown().await;
}
