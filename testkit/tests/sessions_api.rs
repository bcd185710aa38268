//! SessionService through the real stack: login, X-Auth-Token on local and aggregated routes,
//! listing (own sessions only without ConfigureManager), logout, idle timeout on a manual clock,
//! sessions ending with account changes, and sessions surviving a restart.

use reqwest::Method;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use testkit::bmc_sim::Profile;
use testkit::{ADMIN_PASSWORD, ADMIN_USER, ManualClock, Stack, StackOptions, send};

const SESSIONS: &str = "/redfish/v1/SessionService/Sessions";

#[tokio::test]
async fn login_returns_token_location_and_session_without_password() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let r = send(
        stack
            .client
            .post(stack.url(SESSIONS))
            .json(&json!({"UserName": ADMIN_USER, "Password": ADMIN_PASSWORD, "Context": "ci"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.header("x-auth-token").expect("X-Auth-Token").to_owned();
    let location = r.header("location").expect("Location").to_owned();
    assert_eq!(token.len(), 64);
    assert!(location.starts_with("/redfish/v1/SessionService/Sessions/"));
    assert_eq!(r.body["@odata.id"], location.as_str());
    assert_eq!(r.body["@odata.type"], "#Session.v1_5_0.Session");
    assert_eq!(r.body["UserName"], ADMIN_USER);
    assert_eq!(r.body["Password"], serde_json::Value::Null);
    assert_eq!(r.body["Context"], "ci");
    assert_eq!(r.body["SessionType"], "Redfish");
    assert!(!r.body.to_string().contains(ADMIN_PASSWORD));
    assert!(!r.body.to_string().contains(&token));
    assert_eq!(r.header("cache-control"), Some("no-store"));

    // The token works on local and aggregated routes, and never reaches a BMC.
    let r = send(stack.with_token(Method::GET, &location, &token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["Id"], location.rsplit('/').next().unwrap_or(""));
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let r = send(stack.with_token(Method::GET, "/redfish/v1/Systems/s1-1", &token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let leaked = stack.sims[0]
        .requests()
        .iter()
        .any(|req| req.headers.iter().any(|(_, v)| v.contains(&token)));
    assert!(!leaked, "the session token reached the BMC");

    // Wrong credentials: 401 with the registry message and a Basic challenge.
    for body in [
        json!({"UserName": ADMIN_USER, "Password": "wrong-password"}),
        json!({"UserName": "nobody", "Password": "whatever-pw"}),
    ] {
        let r = send(stack.client.post(stack.url(SESSIONS)).json(&body)).await;
        assert_eq!((r.status, r.message()), (401, "ResourceAtUriUnauthorized"));
        assert!(r.header("www-authenticate").is_some());
    }
    // A bad token is not a fallback to anything.
    let r = send(
        stack
            .with_token(Method::GET, "/redfish/v1/Systems", "00ff")
            .basic_auth(ADMIN_USER, Some(ADMIN_PASSWORD)),
    )
    .await;
    assert_eq!((r.status, r.message()), (401, "NoValidSession"));
    assert!(r.header("www-authenticate").is_some());
    stack.teardown().await;
}

#[tokio::test]
async fn sessions_are_listed_to_their_owner_and_ended_by_logout() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    stack
        .create_account("reader", "reader-pw-1", "ReadOnly")
        .await;
    let (admin_token, admin_session) = stack.login(ADMIN_USER, ADMIN_PASSWORD).await;
    let (reader_token, reader_session) = stack.login("reader", "reader-pw-1").await;
    let (_other_token, other_reader_session) = stack.login("reader", "reader-pw-1").await;

    let members = |r: &testkit::Reply| -> Vec<String> {
        r.body["Members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|x| x["@odata.id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let r = send(stack.with_token(Method::GET, SESSIONS, &admin_token)).await;
    assert_eq!(r.body["Members@odata.count"], 3, "{}", r.body);
    let r = send(stack.with_token(Method::GET, SESSIONS, &reader_token)).await;
    let mut mine = members(&r);
    mine.sort();
    let mut want = vec![reader_session.clone(), other_reader_session.clone()];
    want.sort();
    assert_eq!(mine, want);

    // A reader may neither read nor end someone else's session.
    for method in [Method::GET, Method::DELETE] {
        let r = send(stack.with_token(method.clone(), &admin_session, &reader_token)).await;
        assert_eq!(
            (r.status, r.message()),
            (403, "InsufficientPrivilege"),
            "{method}"
        );
    }
    // Logout.
    let r = send(stack.with_token(Method::DELETE, &reader_session, &reader_token)).await;
    assert_eq!(r.status, 204);
    let r = send(stack.with_token(Method::GET, "/redfish/v1/AccountService", &reader_token)).await;
    assert_eq!((r.status, r.message()), (401, "NoValidSession"));
    let r = send(stack.with_token(Method::GET, &reader_session, &admin_token)).await;
    assert_eq!(r.status, 404);
    // The administrator ends another user's session.
    let r = send(stack.with_token(Method::DELETE, &other_reader_session, &admin_token)).await;
    assert_eq!(r.status, 204);
    let r = send(stack.with_token(Method::GET, SESSIONS, &admin_token)).await;
    assert_eq!(members(&r), [admin_session]);
    stack.teardown().await;
}

#[tokio::test]
async fn idle_sessions_time_out_and_use_keeps_them_alive() {
    let clock = Arc::new(ManualClock::new());
    let stack = Stack::start_with_clock(StackOptions::rack(1, Profile::Dmtf), clock.clone()).await;
    let r = send(
        stack
            .admin(Method::PATCH, "/redfish/v1/SessionService")
            .json(&json!({"SessionTimeout": 30})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["SessionTimeout"], 30);
    let (token, session) = stack.login(ADMIN_USER, ADMIN_PASSWORD).await;
    let (_idle_token, idle_session) = stack.login(ADMIN_USER, ADMIN_PASSWORD).await;
    for _ in 0..3 {
        clock.advance(Duration::from_secs(20));
        let r = send(stack.with_token(Method::GET, "/redfish/v1/SessionService", &token)).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // 60 s idle: the other session is gone, the used one is not.
    let r = send(stack.with_token(Method::GET, SESSIONS, &token)).await;
    let ids: Vec<&str> = r.body["Members"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| x["@odata.id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, [session.as_str()]);
    assert_eq!(
        send(stack.admin(Method::GET, &idle_session)).await.status,
        404
    );
    clock.advance(Duration::from_secs(31));
    let r = send(stack.with_token(Method::GET, "/redfish/v1/SessionService", &token)).await;
    assert_eq!((r.status, r.message()), (401, "NoValidSession"));
    stack.teardown().await;
}

#[tokio::test]
async fn account_changes_end_the_sessions_they_should() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let uri = stack.create_account("sam", "sam-pw-123", "Operator").await;
    let ok = |token: String| {
        let stack = &stack;
        async move {
            send(stack.with_token(Method::GET, "/redfish/v1/AccountService", &token))
                .await
                .status
        }
    };

    // Disabled by an administrator: sessions end.
    let (t, _) = stack.login("sam", "sam-pw-123").await;
    let r = send(
        stack
            .admin(Method::PATCH, &uri)
            .json(&json!({"Enabled": false})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(ok(t).await, 401);
    let r = send(
        stack
            .admin(Method::PATCH, &uri)
            .json(&json!({"Enabled": true})),
    )
    .await;
    assert_eq!(r.status, 200);

    // Password set by an administrator: sessions end.
    let (t, _) = stack.login("sam", "sam-pw-123").await;
    let r = send(
        stack
            .admin(Method::PATCH, &uri)
            .json(&json!({"Password": "sam-pw-456"})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(ok(t).await, 401);

    // Password changed by the user in a session: that session stays, the others end.
    let (mine, _) = stack.login("sam", "sam-pw-456").await;
    let (other, _) = stack.login("sam", "sam-pw-456").await;
    let r = send(
        stack
            .with_token(Method::PATCH, &uri, &mine)
            .json(&json!({"Password": "sam-pw-789"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ok(mine.clone()).await, 200);
    assert_eq!(ok(other).await, 401);

    // A role change applies to the live session at once.
    let r = send(
        stack
            .with_token(Method::PATCH, "/redfish/v1/Systems/s1-1", &mine)
            .json(&json!({"AssetTag": "a"})),
    )
    .await;
    assert_ne!(r.message(), "InsufficientPrivilege");
    let r = send(
        stack
            .admin(Method::PATCH, &uri)
            .json(&json!({"RoleId": "ReadOnly"})),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(
        stack
            .with_token(Method::PATCH, "/redfish/v1/Systems/s1-1", &mine)
            .json(&json!({"AssetTag": "b"})),
    )
    .await;
    assert_eq!((r.status, r.message()), (403, "InsufficientPrivilege"));

    // Deleted: sessions end.
    assert_eq!(send(stack.admin(Method::DELETE, &uri)).await.status, 204);
    assert_eq!(ok(mine).await, 401);
    stack.teardown().await;
}

#[tokio::test]
async fn sessions_and_accounts_survive_a_restart() {
    let mut stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    stack
        .create_account("rita", "rita-pw-123", "Operator")
        .await;
    let (token, session) = stack.login("rita", "rita-pw-123").await;
    let (admin_token, _) = stack.login(ADMIN_USER, ADMIN_PASSWORD).await;
    let (ended, ended_uri) = stack.login("rita", "rita-pw-123").await;
    assert_eq!(
        send(stack.with_token(Method::DELETE, &ended_uri, &ended))
            .await
            .status,
        204
    );

    stack.restart_services().await;

    let r = send(stack.with_token(Method::GET, &session, &token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["UserName"], "rita");
    let r = send(stack.with_token(Method::GET, SESSIONS, &admin_token)).await;
    assert_eq!(r.body["Members@odata.count"], 2, "{}", r.body);
    assert_eq!(
        send(stack.with_token(Method::GET, SESSIONS, &ended))
            .await
            .status,
        401
    );
    assert_eq!(
        send(stack.as_user(
            Method::GET,
            "/redfish/v1/AccountService",
            "rita",
            "rita-pw-123"
        ))
        .await
        .status,
        200
    );
    stack.teardown().await;
}
