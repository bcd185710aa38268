//! Every method through the proxy, verified by re-reading: PATCH (with If-Match), actions, an
//! action answered with a Task monitor, POST creating and DELETE removing a resource; and the
//! localizer on request bodies, Location and Link headers.

use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use testkit::bmc_sim::Profile;
use testkit::{Stack, StackOptions};

async fn stack(profile: Profile) -> Stack {
    let stack = Stack::start(StackOptions::rack(2, profile)).await;
    stack.wait_for_members("/redfish/v1/Systems", 2).await;
    stack
}

#[tokio::test]
async fn patch_with_if_match_is_applied_and_visible() {
    let stack = stack(Profile::Dmtf).await;
    let r = stack
        .admin(Method::GET, "/redfish/v1/Systems/s1-1")
        .send()
        .await
        .expect("get");
    let etag = r
        .headers()
        .get("etag")
        .expect("BMC ETag passed through")
        .clone();

    let r = stack
        .admin(Method::PATCH, "/redfish/v1/Systems/s1-1")
        .header("If-Match", "\"not-the-etag\"")
        .json(&json!({"AssetTag": "rack7-u12"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(
        r.status(),
        412,
        "a stale ETag is refused by the BMC and passed through"
    );

    let r = stack
        .admin(Method::PATCH, "/redfish/v1/Systems/s1-1")
        .header("If-Match", etag)
        .json(&json!({"AssetTag": "rack7-u12"}))
        .send()
        .await
        .expect("patch");
    assert!(r.status().is_success(), "{}", r.status());
    let (_, body) = stack.get("/redfish/v1/Systems/s1-1").await;
    assert_eq!(body["AssetTag"], "rack7-u12");
    let (_, other) = stack.get("/redfish/v1/Systems/s2-1").await;
    assert_ne!(
        other["AssetTag"], "rack7-u12",
        "only the addressed BMC changed"
    );
    stack.teardown().await;
}

#[tokio::test]
async fn reset_action_changes_power_state() {
    let stack = stack(Profile::Dmtf).await;
    let (_, system) = stack.get("/redfish/v1/Systems/s2-1").await;
    let target = system["Actions"]["#ComputerSystem.Reset"]["target"]
        .as_str()
        .expect("target")
        .to_owned();
    assert_eq!(
        target,
        "/redfish/v1/Systems/s2-1/Actions/ComputerSystem.Reset"
    );
    let r = stack
        .admin(Method::POST, &target)
        .json(&json!({"ResetType": "ForceOff"}))
        .send()
        .await
        .expect("post");
    assert!(r.status().is_success(), "{}", r.status());
    let (_, system) = stack.get("/redfish/v1/Systems/s2-1").await;
    assert_eq!(system["PowerState"], "Off");
    let r = stack
        .admin(Method::POST, &target)
        .json(&json!({"ResetType": "On"}))
        .send()
        .await
        .expect("post");
    assert!(r.status().is_success());
    let (_, system) = stack.get("/redfish/v1/Systems/s2-1").await;
    assert_eq!(system["PowerState"], "On");
    stack.teardown().await;
}

#[tokio::test]
async fn an_action_with_a_task_monitor_completes_through_the_aggregate() {
    let stack = stack(Profile::Dmtf).await;
    let r = stack
        .admin(
            Method::POST,
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/UpdateService/Actions/UpdateService.SimpleUpdate",
        )
        .json(&json!({"ImageURI": "http://files.example/bios.bin", "TransferProtocol": "HTTP"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 202);
    let monitor = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        monitor.starts_with("/redfish/v1/TaskService/TaskMonitors/s1-"),
        "Location localized: {monitor}"
    );
    let task: serde_json::Value = r.json().await.unwrap_or_default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = stack
            .admin(Method::GET, &monitor)
            .send()
            .await
            .expect("monitor");
        if r.status() != 202 {
            assert!(r.status().is_success(), "task ended {}", r.status());
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "task never completed"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    {
        let task_uri = task["@odata.id"]
            .as_str()
            .expect("the 202 body is the Task");
        assert!(
            task_uri.starts_with("/redfish/v1/TaskService/Tasks/s1-"),
            "{task_uri}"
        );
        let (status, task) = stack.get(task_uri).await;
        assert_eq!(status, 200);
        assert_eq!(task["TaskState"], "Completed", "{task}");
        // The BMC's task is a member of the aggregate's one task collection, beside its own.
        let (status, tasks) = stack.get("/redfish/v1/TaskService/Tasks").await;
        assert_eq!(status, 200);
        assert!(
            tasks["Members"]
                .as_array()
                .is_some_and(|m| m.iter().any(|t| t["@odata.id"] == task_uri)),
            "{tasks}"
        );
    }
    stack.teardown().await;
}

#[tokio::test]
async fn post_creates_and_delete_removes_a_bmc_resource() {
    let stack = stack(Profile::Dmtf).await;
    let accounts = "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/Accounts";
    let r = stack
        .admin(Method::POST, accounts)
        .json(&json!({"UserName": "operator7", "Password": "S3cret-pass!", "RoleId": "Operator"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with(&format!("{accounts}/")), "{location}");
    let (status, account) = stack.get(&location).await;
    assert_eq!(status, 200);
    assert_eq!(account["UserName"], "operator7");
    assert_eq!(account["@odata.id"], location.as_str());

    let r = stack
        .admin(Method::DELETE, &location)
        .send()
        .await
        .expect("delete");
    assert!(r.status().is_success(), "{}", r.status());
    let (status, body) = stack.get(&location).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"]["@Message.ExtendedInfo"].is_array());
    stack.teardown().await;
}

#[tokio::test]
async fn request_bodies_are_mapped_back_and_foreign_links_refused() {
    let stack = stack(Profile::Idrac).await;
    let (_, manager) = stack.get("/redfish/v1/Managers/s1-iDRAC.Embedded.1").await;
    let media = testkit::links_in(&manager)
        .into_iter()
        .find(|l| l.ends_with("/VirtualMedia"))
        .expect("VirtualMedia link");
    let (_, media) = stack.get(&media).await;
    let cd = media["Members"][0]["@odata.id"]
        .as_str()
        .expect("a virtual media member")
        .to_owned();
    let (_, cd_body) = stack.get(&cd).await;
    let insert = cd_body["Actions"]["#VirtualMedia.InsertMedia"]["target"]
        .as_str()
        .expect("insert")
        .to_owned();
    let r = stack
        .admin(Method::POST, &insert)
        .json(&json!({"Image": "http://files.example/boot.iso", "Inserted": true}))
        .send()
        .await
        .expect("insert");
    assert!(r.status().is_success(), "{}", r.status());
    let (_, cd_body) = stack.get(&cd).await;
    assert_eq!(
        cd_body["Image"], "http://files.example/boot.iso",
        "external URIs are left alone"
    );

    // A link to another BMC's resource in a request is refused before reaching any BMC.
    let before = stack.sims[0].requests().len();
    let r = stack
        .admin(Method::PATCH, "/redfish/v1/Systems/s1-System.Embedded.1")
        .json(&json!({"Links": {"Chassis": [{"@odata.id": "/redfish/v1/Chassis/s2-System.Embedded.1"}]}}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.expect("json");
    assert!(body.to_string().contains("s2-System.Embedded.1"), "{body}");
    assert_eq!(
        stack.sims[0].requests().len(),
        before,
        "nothing was sent to the BMC"
    );

    // A link to the same BMC reaches it in the BMC's own form.
    let _ = stack
        .admin(Method::PATCH, "/redfish/v1/Systems/s1-System.Embedded.1")
        .json(&json!({"Links": {"Chassis": [{"@odata.id": "/redfish/v1/Chassis/s1-System.Embedded.1"}]}}))
        .send()
        .await
        .expect("patch");
    let sent = stack.sims[0]
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "PATCH")
        .expect("patch reached BMC");
    let text = String::from_utf8_lossy(&sent.body).to_string();
    assert!(
        text.contains("\"/redfish/v1/Chassis/System.Embedded.1\""),
        "{text}"
    );
    stack.teardown().await;
}

#[tokio::test]
async fn query_strings_head_and_link_headers_pass_through() {
    let stack = stack(Profile::Dmtf).await;
    let r = stack
        .admin(Method::GET, "/redfish/v1/Systems/s1-1?vendorhint=1")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let seen = stack.sims[0].requests();
    assert!(
        seen.iter()
            .any(|q| q.path == "/redfish/v1/Systems/1?vendorhint=1"),
        "query forwarded"
    );

    let r = stack
        .admin(Method::GET, "/redfish/v1/Systems/s1-1")
        .send()
        .await
        .expect("get");
    let link = r
        .headers()
        .get("link")
        .expect("the BMC's Link header passes through");
    let link = link.to_str().expect("ascii");
    assert!(
        link.contains("/redfish/v1/Oem/RedDrum/Bmcs/s1/JsonSchemas/"),
        "Link localized: {link}"
    );
    let r = stack
        .admin(Method::HEAD, "/redfish/v1/Systems/s1-1")
        .send()
        .await
        .expect("head");
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.expect("body").len(), 0);
    let r = stack
        .admin(Method::HEAD, "/redfish/v1/Systems")
        .send()
        .await
        .expect("head");
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.expect("body").len(), 0);
    stack.teardown().await;
}

#[tokio::test]
async fn collections_page_with_top_and_skip() {
    let stack = Stack::start(StackOptions::rack(3, Profile::Dmtf)).await;
    stack.wait_for_members("/redfish/v1/Systems", 3).await;
    let (status, page) = stack.get("/redfish/v1/Systems?$top=2").await;
    assert_eq!(status, 200);
    assert_eq!(page["Members"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["Members@odata.count"], 3);
    let next = page["Members@odata.nextLink"]
        .as_str()
        .expect("nextLink")
        .to_owned();
    let (_, rest) = stack.get(&next).await;
    assert_eq!(rest["Members"][0]["@odata.id"], "/redfish/v1/Systems/s3-1");
    let (status, body) = stack.get("/redfish/v1/Systems?$search=x").await;
    assert_eq!(status, 501, "{body}");
    stack.teardown().await;
}
