//! Protocol details the DMTF validators check, asserted directly: the open OData documents,
//! OData-Version negotiation, headers on the ServiceRoot, query refusal, PATCH of annotations.

use reqwest::Method;
use serde_json::json;
use testkit::bmc_sim::Profile;
use testkit::{Stack, StackOptions};

#[tokio::test]
async fn metadata_and_the_service_document_are_open_and_describe_the_service() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let r = stack
        .client
        .get(stack.url("/redfish/v1/$metadata"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("application/xml")
    );
    let xml = r.text().await.expect("text");
    assert!(xml.contains("<EntityContainer Name=\"Service\""));
    assert!(xml.contains("Namespace=\"ComputerSystem.v1_20_0\""));

    let r = stack
        .client
        .get(stack.url("/redfish/v1/odata"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.expect("json");
    assert_eq!(doc["@odata.context"], "/redfish/v1/$metadata");
    let names: Vec<&str> = doc["value"]
        .as_array()
        .expect("value")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    for n in [
        "Service",
        "Systems",
        "Chassis",
        "Managers",
        "AccountService",
        "SessionService",
        "EventService",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    stack.teardown().await;
}

#[tokio::test]
async fn odata_version_is_negotiated_and_the_root_carries_its_headers() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let r = stack
        .client
        .get(stack.url("/redfish/v1/"))
        .header("OData-Version", "4.1")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 412);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        body["error"]["@Message.ExtendedInfo"][0]["MessageId"],
        "Base.1.22.HeaderInvalid"
    );
    let r = stack
        .client
        .get(stack.url("/redfish/v1/"))
        .header("OData-Version", "4.0")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["allow"], "GET, HEAD");
    let link = r.headers()["link"].to_str().expect("link").to_owned();
    assert!(
        link.contains("ServiceRoot.v1_17_0.json") && link.contains("rel=describedby"),
        "{link}"
    );
    let root: serde_json::Value = r.json().await.expect("json");
    assert_eq!(root["ProtocolFeaturesSupported"]["FilterQuery"], true);
    let r = stack
        .client
        .head(stack.url("/redfish/v1/"))
        .send()
        .await
        .expect("head");
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("link"));
    stack.teardown().await;
}

#[tokio::test]
async fn unsupported_queries_are_refused_on_the_frontends_resources() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let (status, body) = stack
        .get("/redfish/v1/AccountService/Accounts?$search=x")
        .await;
    assert_eq!(status, 501, "{body}");
    assert_eq!(
        body["error"]["@Message.ExtendedInfo"][0]["MessageId"],
        "Base.1.22.QueryParameterUnsupported"
    );
    let r = stack
        .client
        .get(stack.url("/redfish/v1/?$rpvunknown"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 501, "unknown $ parameter on the ServiceRoot");
    let (status, _) = stack
        .get("/redfish/v1/AccountService/Accounts?vendorhint=1")
        .await;
    assert_eq!(status, 200, "parameters without $ are ignored");
    stack.teardown().await;
}

#[tokio::test]
async fn a_patch_of_annotations_only_is_no_operation_and_members_post_logs_in() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let (_, accounts) = stack.get("/redfish/v1/AccountService/Accounts").await;
    let account = accounts["Members"][0]["@odata.id"]
        .as_str()
        .expect("an account")
        .to_owned();
    let r = stack
        .admin(Method::PATCH, &account)
        .json(&json!({"@odata.id": account}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        body["error"]["@Message.ExtendedInfo"][0]["MessageId"],
        "Base.1.22.NoOperation"
    );

    let r = stack
        .client
        .post(stack.url("/redfish/v1/SessionService/Sessions/Members"))
        .json(&json!({"UserName": testkit::ADMIN_USER, "Password": testkit::ADMIN_PASSWORD}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    assert!(r.headers().contains_key("x-auth-token"));
    stack.teardown().await;
}

#[tokio::test]
async fn if_none_match_revalidates_local_and_aggregated_resources() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let systems = stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let system = systems["Members"][0]["@odata.id"]
        .as_str()
        .expect("system")
        .to_owned();
    for uri in [
        "/redfish/v1/AccountService",
        "/redfish/v1/Chassis/Rack1",
        system.as_str(),
    ] {
        let first = testkit::send(stack.admin(Method::GET, uri)).await;
        assert_eq!(first.status, 200, "{uri}");
        let etag = first.header("etag").expect("an ETag").to_owned();
        let again = stack
            .admin(Method::GET, uri)
            .header("If-None-Match", &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status(), 304, "{uri} with its own ETag");
        assert_eq!(
            again.headers().get("etag").and_then(|v| v.to_str().ok()),
            Some(etag.as_str())
        );
        assert!(again.bytes().await.expect("body").is_empty());
        let other = testkit::send(
            stack
                .admin(Method::GET, uri)
                .header("If-None-Match", "\"not-it\""),
        )
        .await;
        assert_eq!(other.status, 200, "{uri} with another ETag");
    }
    stack.teardown().await;
}
