//! DSP0266 query parameters through the whole stack: `$expand` of a merged collection, `$select`
//! on a proxied system, `$filter` seeing a power change, `only` on a single-member collection,
//! `$filter`/`$top` on the frontend's Roles, expansion bounded by the caller's privileges,
//! malformed and unknown parameters, and what the ServiceRoot advertises.

use reqwest::Method;
use serde_json::{Value, json};
use testkit::bmc_sim::Profile;
use testkit::{Stack, StackOptions, send};

async fn rack(n: usize) -> Stack {
    let stack = Stack::start(StackOptions::rack(n, Profile::Dmtf)).await;
    stack.wait_for_members("/redfish/v1/Systems", n).await;
    stack
}

fn member_ids(body: &Value) -> Vec<String> {
    body["Members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|m| m["@odata.id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_service_root_advertises_the_query_parameters() {
    let stack = rack(1).await;
    let (status, root) = stack.get("/redfish/v1").await;
    assert_eq!(status, 200);
    let features = &root["ProtocolFeaturesSupported"];
    assert_eq!(
        features["ExpandQuery"],
        json!({"ExpandAll": true, "Levels": true, "Links": true, "NoLinks": true, "MaxLevels": 3})
    );
    for name in [
        "FilterQuery",
        "SelectQuery",
        "OnlyMemberQuery",
        "TopSkipQuery",
    ] {
        assert_eq!(features[name], true, "{name}");
    }
    assert_eq!(features["ExcerptQuery"], false);
    stack.teardown().await;
}

#[tokio::test]
async fn expand_select_filter_and_only_on_aggregated_resources() {
    let stack = rack(2).await;

    let (status, systems) = stack.get("/redfish/v1/Systems?$expand=.($levels=1)").await;
    assert_eq!(status, 200, "{systems}");
    let members = systems["Members"].as_array().expect("members");
    assert_eq!(members.len(), 2);
    for m in members {
        assert!(
            m["@odata.type"]
                .as_str()
                .is_some_and(|t| t.contains("ComputerSystem")),
            "{m}"
        );
        assert!(m["PowerState"].is_string(), "{m}");
        // One level only: the system's own references stay references.
        assert_eq!(m["Processors"].as_object().map(|o| o.len()), Some(1), "{m}");
    }

    let r = send(stack.admin(
        Method::GET,
        "/redfish/v1/Systems/s1-1?$select=Name,PowerState",
    ))
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut keys: Vec<&str> = r
        .body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert!(
        keys.iter().all(|k| [
            "@odata.id",
            "@odata.type",
            "@odata.context",
            "@odata.etag",
            "Name",
            "PowerState"
        ]
        .contains(k)),
        "{keys:?}"
    );
    assert!(keys.contains(&"Name") && keys.contains(&"PowerState") && keys.contains(&"@odata.id"));
    assert!(
        r.header("etag").is_none(),
        "a selected body is not the base representation"
    );

    let r = send(
        stack
            .admin(
                Method::POST,
                "/redfish/v1/Systems/s2-1/Actions/ComputerSystem.Reset",
            )
            .json(&json!({"ResetType": "ForceOff"})),
    )
    .await;
    assert!((200..300).contains(&r.status), "{} {}", r.status, r.body);
    let (status, on) = stack
        .get("/redfish/v1/Systems?$filter=PowerState%20eq%20'On'")
        .await;
    assert_eq!(status, 200, "{on}");
    assert_eq!(member_ids(&on), ["/redfish/v1/Systems/s1-1"]);
    assert_eq!(on["Members@odata.count"], 1);
    assert_eq!(
        on["Members"][0].as_object().map(|o| o.len()),
        Some(1),
        "filter alone does not expand"
    );
    let (_, off) = stack
        .get("/redfish/v1/Systems?$filter=not%20(PowerState%20eq%20'On')&$expand=.&$select=PowerState")
        .await;
    assert_eq!(member_ids(&off), ["/redfish/v1/Systems/s2-1"]);
    assert_eq!(off["Members"][0]["PowerState"], "Off");
    assert!(off["Members"][0].get("Name").is_none(), "{off}");

    let (status, one) = stack
        .get("/redfish/v1/Managers/s1-1/EthernetInterfaces?only")
        .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(
        one["@odata.id"],
        "/redfish/v1/Managers/s1-1/EthernetInterfaces/1"
    );
    let (status, many) = stack.get("/redfish/v1/Systems?only").await;
    assert_eq!(
        (status, many["@odata.id"].as_str()),
        (200, Some("/redfish/v1/Systems"))
    );

    let r = send(stack.admin(Method::HEAD, "/redfish/v1/Systems?$expand=.")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, Value::Null, "HEAD has no body");
    stack.teardown().await;
}

#[tokio::test]
async fn roles_filter_page_and_select() {
    let stack = rack(1).await;
    let base = "/redfish/v1/AccountService/Roles";
    let (_, all) = stack.get(base).await;
    let count = member_ids(&all).len();
    assert!(count >= 3, "{all}");
    let (status, admin) = stack
        .get(&format!("{base}?$filter=Id%20eq%20'Administrator'"))
        .await;
    assert_eq!(status, 200, "{admin}");
    assert_eq!(member_ids(&admin), [format!("{base}/Administrator")]);
    let (_, rest) = stack
        .get(&format!("{base}?$filter=not%20(Id%20eq%20'Administrator')"))
        .await;
    assert_eq!(member_ids(&rest).len(), count - 1);
    let (_, two) = stack
        .get(&format!(
            "{base}?$filter=RoleId%20eq%20'Administrator'%20or%20RoleId%20eq%20'ReadOnly'"
        ))
        .await;
    assert_eq!(member_ids(&two).len(), 2, "{two}");
    let (_, page) = stack
        .get(&format!("{base}?$filter=IsPredefined%20eq%20true&$top=1"))
        .await;
    assert_eq!(member_ids(&page).len(), 1);
    let next = page["Members@odata.nextLink"]
        .as_str()
        .expect("nextLink")
        .to_owned();
    let (status, page2) = stack.get(&next).await;
    assert_eq!(status, 200, "{page2}");
    assert_ne!(member_ids(&page2), member_ids(&page));

    let (status, role) = stack
        .get(&format!("{base}/ReadOnly?$select=Name,AssignedPrivileges"))
        .await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = role
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        keys.iter().all(|k| [
            "@odata.id",
            "@odata.type",
            "@odata.etag",
            "Name",
            "AssignedPrivileges"
        ]
        .contains(k)),
        "{keys:?}"
    );
    let r = send(stack.admin(
        Method::GET,
        &format!("{base}/ReadOnly?$filter=Id%20eq%20'x'"),
    ))
    .await;
    assert_eq!(
        (r.status, r.message()),
        (400, "QueryNotSupportedOnResource")
    );
    let r = send(stack.admin(Method::GET, "/redfish/v1/AccountService?only")).await;
    assert_eq!(
        (r.status, r.message()),
        (400, "QueryNotSupportedOnResource")
    );
    stack.teardown().await;
}

#[tokio::test]
async fn expansion_reads_with_the_callers_privileges() {
    let stack = rack(1).await;
    stack
        .create_account("reader", "reader-pw-1234", "ReadOnly")
        .await;
    let r = send(stack.as_user(
        Method::GET,
        "/redfish/v1/AccountService/Accounts?$expand=.",
        "reader",
        "reader-pw-1234",
    ))
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let text = r.body.to_string();
    assert!(text.contains("\"UserName\":\"reader\""), "{text}");
    let admin = format!("\"UserName\":\"{}\"", testkit::ADMIN_USER);
    assert!(!text.contains(&admin), "{text}");

    // The ServiceRoot is public, the resources it links are not: without credentials nothing
    // gets expanded.
    let r = stack
        .client
        .get(stack.url("/redfish/v1?$expand=*"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let root: Value = r.json().await.expect("json");
    assert_eq!(root["Systems"], json!({"@odata.id": "/redfish/v1/Systems"}));
    // With credentials, everything the caller may read is.
    let (_, root) = stack.get("/redfish/v1?$expand=*").await;
    assert!(root["Systems"]["Members"].is_array(), "{}", root["Systems"]);
    assert!(root["Links"]["Sessions"]["Members"].is_array());
    let (_, root) = stack.get("/redfish/v1?$expand=~").await;
    assert_eq!(root["Systems"], json!({"@odata.id": "/redfish/v1/Systems"}));
    assert!(root["Links"]["Sessions"]["Members"].is_array());
    stack.teardown().await;
}

#[tokio::test]
async fn malformed_and_unknown_parameters_are_refused() {
    let stack = rack(1).await;
    let rows = [
        (
            "/redfish/v1/Systems?$expand=x",
            400,
            "QueryParameterValueFormatError",
        ),
        (
            "/redfish/v1/Systems?$expand=*($levels=9)",
            400,
            "QueryParameterOutOfRange",
        ),
        (
            "/redfish/v1/Systems?$expand=*($levels=a)",
            400,
            "QueryParameterValueTypeError",
        ),
        (
            "/redfish/v1/Systems?$select=",
            400,
            "QueryParameterValueFormatError",
        ),
        (
            "/redfish/v1/Systems?$filter=Id%20eq",
            400,
            "QueryParameterValueFormatError",
        ),
        (
            "/redfish/v1/Systems?$top=x",
            400,
            "QueryParameterValueTypeError",
        ),
        (
            "/redfish/v1/SessionService/Sessions?only=foo",
            400,
            "QueryParameterValueFormatError",
        ),
        (
            "/redfish/v1/Systems?only&$select=Name",
            400,
            "QueryCombinationInvalid",
        ),
        (
            "/redfish/v1/Systems?$search=x",
            501,
            "QueryParameterUnsupported",
        ),
        (
            "/redfish/v1/AccountService/Accounts?$apply=x",
            501,
            "QueryParameterUnsupported",
        ),
        ("/redfish/v1?$rpvunknown", 501, "QueryParameterUnsupported"),
    ];
    for (path, status, message) in rows {
        let r = send(stack.admin(Method::GET, path)).await;
        assert_eq!(
            (r.status, r.message()),
            (status, message),
            "{path}: {}",
            r.body
        );
    }
    let r = send(
        stack
            .admin(Method::PATCH, "/redfish/v1/AccountService?$select=Name")
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        (r.status, r.message()),
        (400, "QueryNotSupportedOnOperation")
    );
    stack.teardown().await;
}

#[tokio::test]
async fn top_skip_and_filter_cover_every_page_of_a_collection_the_bmc_pages_itself() {
    // bmc-sim's system log: 120 entries, paged by 50 by the BMC.
    let stack = rack(1).await;
    let log = "/redfish/v1/Systems/s1-1/LogServices/Log1/Entries";
    let (status, first) = stack.get(log).await;
    assert_eq!(status, 200);
    assert_eq!(first["Members"].as_array().map(Vec::len), Some(50));
    let next = first["Members@odata.nextLink"]
        .as_str()
        .expect("the BMC pages")
        .to_owned();
    // The BMC's own next link, followed through the aggregate, goes on from entry 51 of 120
    // (to the end: the aggregate pages `$skip` over the whole collection).
    let (_, rest) = stack.get(&next).await;
    let ids = member_ids(&rest);
    assert_eq!(rest["Members@odata.count"], 120);
    assert_eq!(ids.len(), 70);
    assert!(ids[0].ends_with("/Entries/51"), "{:?}", &ids[..3]);
    assert!(ids[69].ends_with("/Entries/120"));
    assert!(rest.get("Members@odata.nextLink").is_none());
    let (_, page) = stack.get(&format!("{log}?$skip=50&$top=50")).await;
    assert_eq!(member_ids(&page).len(), 50);
    assert_eq!(
        page["Members@odata.nextLink"],
        format!("{log}?$skip=100&$top=50"),
        "our own next link"
    );
    let (_, top) = stack.get(&format!("{log}?$top=5")).await;
    assert_eq!(
        top["Members@odata.count"], 120,
        "the whole collection's count"
    );
    assert_eq!(member_ids(&top).len(), 5);
    let (_, tail) = stack.get(&format!("{log}?$skip=110")).await;
    let tail_ids = member_ids(&tail);
    assert_eq!(tail_ids.len(), 10);
    assert!(tail_ids[0].ends_with("/Entries/111"), "{tail_ids:?}");
    // $filter sees entries beyond the first page.
    let (_, found) = stack.get(&format!("{log}?$filter=Id%20eq%20'117'")).await;
    assert_eq!(member_ids(&found), [format!("{log}/117")]);
    stack.teardown().await;
}
