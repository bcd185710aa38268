//! The foundation end to end: bmc-sim, aggregator-svc and frontend-svc in one process, real HTTP
//! and real gRPC, fetching members through the whole chain.

use reqwest::Method;
use testkit::bmc_sim::Profile;
use testkit::{Stack, StackOptions};

#[tokio::test]
async fn version_document_and_service_root_need_no_auth() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let r = stack
        .client
        .get(stack.url("/redfish"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["odata-version"], "4.0");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body, serde_json::json!({"v1": "/redfish/v1/"}));

    for path in ["/redfish/v1", "/redfish/v1/"] {
        let r = stack.client.get(stack.url(path)).send().await.expect("get");
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .starts_with("application/json")
        );
        let root: serde_json::Value = r.json().await.expect("json");
        assert_eq!(root["@odata.id"], "/redfish/v1");
        assert_eq!(root["Systems"]["@odata.id"], "/redfish/v1/Systems");
        assert!(
            root["UUID"].as_str().is_some_and(|u| u.len() == 36),
            "{root}"
        );
    }
    stack.teardown().await;
}

#[tokio::test]
async fn everything_else_requires_auth_with_a_redfish_error() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let r = stack
        .client
        .get(stack.url("/redfish/v1/Systems"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        body["error"]["@Message.ExtendedInfo"][0]["MessageId"],
        "Base.1.22.NoValidSession"
    );

    let r = stack
        .client
        .get(stack.url("/redfish/v1/Systems"))
        .basic_auth("admin", Some("wrong"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    stack.teardown().await;
}

#[tokio::test]
async fn collections_list_every_bmc_and_members_resolve_through_grpc() {
    let stack = Stack::start(StackOptions::rack(3, Profile::Dmtf)).await;
    let systems = stack.wait_for_members("/redfish/v1/Systems", 3).await;
    assert_eq!(systems["Members@odata.count"], 3);
    let ids: Vec<&str> = systems["Members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["@odata.id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "/redfish/v1/Systems/s1-1",
            "/redfish/v1/Systems/s2-1",
            "/redfish/v1/Systems/s3-1"
        ]
    );

    let (status, member) = stack.get("/redfish/v1/Systems/s2-1").await;
    assert_eq!(status, 200, "{member}");
    assert_eq!(member["@odata.id"], "/redfish/v1/Systems/s2-1");
    assert_eq!(member["Id"], "s2-1");
    // The request that reached the BMC used the BMC's own path and never the client's credentials.
    let seen = stack.sims[1].requests();
    let last = seen
        .iter()
        .rev()
        .find(|r| r.path.starts_with("/redfish/v1/Systems/"))
        .expect("forwarded");
    assert_eq!(last.path, "/redfish/v1/Systems/1");
    let auth = last
        .headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .map(|(_, v)| v.clone());
    assert!(
        auth.as_deref().is_none_or(|v| !v.contains("YWRtaW46")),
        "client credentials leaked: {auth:?}"
    );
    stack.teardown().await;
}

#[tokio::test]
async fn unknown_paths_and_methods_get_redfish_errors() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let (status, body) = stack.get("/redfish/v1/Systems/s9-1").await;
    assert_eq!(status, 404);
    assert!(body["error"]["@Message.ExtendedInfo"][0]["MessageId"].is_string());
    let (status, _) = stack.get("/nowhere").await;
    assert_eq!(status, 404);
    let r = stack
        .admin(Method::DELETE, "/redfish/v1/Systems")
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        body["error"]["@Message.ExtendedInfo"][0]["MessageId"],
        "Base.1.22.OperationNotAllowed"
    );
    let r = stack
        .admin(Method::POST, "/redfish/v1")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 405);
    stack.teardown().await;
}
