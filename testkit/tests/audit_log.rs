//! The audit trail through a real stack: writes by two users (one refused with 403, an
//! unauthenticated one with 401, logins and logouts, an account change, a forwarded BMC write)
//! land in the rack manager's `LogServices/Audit` with the right user, client, method, URI, BMC and
//! status; they survive an aggregator restart (SQLite), records made while the aggregator is away
//! arrive once it is back, the bound drops the oldest, and no password or token ever appears.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::bmc_sim::Profile;
use testkit::{Stack, StackOptions};

const ENTRIES: &str = "/redfish/v1/Managers/Aggregator/LogServices/Audit/Entries";

/// (user, client, method, uri, status, bmc) of each entry, oldest first (the BMC is the sixth
/// argument when there is one).
fn records(body: &Value) -> Vec<[String; 6]> {
    body["Members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|e| {
                    let a = |i: usize| {
                        let missing = if i == 5 { "" } else { "?" };
                        e["MessageArgs"][i].as_str().unwrap_or(missing).to_owned()
                    };
                    [a(0), a(1), a(2), a(3), a(4), a(5)]
                })
                .collect()
        })
        .unwrap_or_default()
}

fn has(body: &Value, user: &str, method: &str, uri: &str, status: u16, bmc: &str) -> bool {
    records(body).iter().any(|r| {
        r[0] == user
            && r[1] == "127.0.0.1"
            && r[2] == method
            && r[3] == uri
            && r[4] == status.to_string()
            && r[5] == bmc
    })
}

/// Polls the audit entries until `ready` holds (records reach the aggregator in the background).
async fn entries_until(stack: &Stack, ready: impl Fn(&Value) -> bool) -> Value {
    stack.until(ENTRIES, Duration::from_secs(30), ready).await
}

#[tokio::test]
async fn writes_of_two_users_are_audited_and_survive_a_restart() {
    let logs = testkit::logs::capture(tracing::Level::TRACE);
    let mut stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let alice_pw = "Alice-Audit-Pw-1";
    let bob_pw = "Bob-Audit-Pw-2";
    let alice_uri = stack.create_account("alice", alice_pw, "Operator").await;
    stack.create_account("bob", bob_pw, "ReadOnly").await;

    // A forwarded BMC write by alice, the same refused to bob (403), one without credentials (401).
    let system = "/redfish/v1/Systems/s1-1";
    let r = stack
        .as_user(Method::PATCH, system, "alice", alice_pw)
        .json(&json!({"AssetTag": "audited"}))
        .send()
        .await
        .expect("patch");
    let alice_status = r.status().as_u16();
    assert!(r.status().is_success(), "{alice_status}");
    let r = stack
        .as_user(Method::PATCH, system, "bob", bob_pw)
        .json(&json!({"AssetTag": "nope"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 403);
    let reset = "/redfish/v1/Systems/s1-1/Actions/ComputerSystem.Reset";
    let r = stack
        .client
        .post(stack.url(reset))
        .json(&json!({"ResetType": "On"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);

    // bob logs in and out; a login with a wrong password; the admin changes alice's password.
    let (token, session) = stack.login("bob", bob_pw).await;
    let r = stack
        .with_token(Method::DELETE, &session, &token)
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 204);
    let wrong = "Wrong-Audit-Pw-3";
    let r = stack
        .client
        .post(stack.url("/redfish/v1/SessionService/Sessions"))
        .json(&json!({"UserName": "alice", "Password": wrong}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 401);
    let new_pw = "Alice-New-Secret-4";
    let r = stack
        .admin(Method::PATCH, &alice_uri)
        .json(&json!({"Password": new_pw}))
        .send()
        .await
        .expect("patch account");
    let account_status = r.status().as_u16();
    assert!(r.status().is_success(), "{account_status}");

    let sessions = "/redfish/v1/SessionService/Sessions";
    let expected = [
        ("alice", "PATCH", system.to_owned(), alice_status, "s1"),
        ("bob", "PATCH", system.to_owned(), 403, "s1"),
        ("anonymous", "POST", reset.to_owned(), 401, "s1"),
        ("bob", "POST", sessions.to_owned(), 201, ""),
        ("bob", "DELETE", session.clone(), 204, ""),
        ("anonymous", "POST", sessions.to_owned(), 401, ""),
        ("admin", "PATCH", alice_uri.clone(), account_status, ""),
        (
            "admin",
            "POST",
            "/redfish/v1/AccountService/Accounts".to_owned(),
            201,
            "",
        ),
    ];
    let all_there = |b: &Value| {
        expected
            .iter()
            .all(|(u, m, uri, s, bmc)| has(b, u, m, uri, *s, bmc))
    };
    let body = entries_until(&stack, all_there).await;
    assert!(
        records(&body).iter().all(|r| r[2] != "GET"),
        "reads are not audited: {body}"
    );
    let text = body.to_string();
    let logged = logs.text();
    for secret in [
        alice_pw,
        bob_pw,
        wrong,
        new_pw,
        token.as_str(),
        testkit::ADMIN_PASSWORD,
    ] {
        assert!(
            !text.contains(secret),
            "a secret in the audit log: {secret}"
        );
        assert!(
            !logged.contains(secret),
            "a secret in the service log: {secret}"
        );
    }
    // (a): one structured line per write, target "audit", the refused one included.
    let line = logged
        .lines()
        .find(|l| l.contains(" audit: ") && l.contains("user=bob") && l.contains("status=403"))
        .unwrap_or_else(|| panic!("no audit line for bob's refused PATCH:\n{logged}"));
    for field in [
        "client=127.0.0.1",
        "method=PATCH",
        "uri=/redfish/v1/Systems/s1-1",
        "bmc=s1",
    ] {
        assert!(line.contains(field), "{field} in {line}");
    }
    // The entries are LogEntry resources an operator can read one by one.
    let last = body["Members"]
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .expect("an entry");
    let (status, one) = stack
        .get(last["@odata.id"].as_str().expect("@odata.id"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(one, last);
    assert_eq!(one["EntryType"], "Oem");
    assert_eq!(one["OemRecordFormat"], "RedDrumAudit");
    assert_eq!(one["OriginatorType"], "Client");
    let (_, service) = stack
        .get("/redfish/v1/Managers/Aggregator/LogServices/Audit")
        .await;
    assert_eq!(service["LogPurposes"], json!(["Security"]));

    // Restart both services on the same state: the records are still there.
    let before = records(&body);
    stack.restart_services().await;
    let (status, again) = stack.get(ENTRIES).await;
    assert_eq!(status, 200);
    assert_eq!(records(&again)[..before.len()], before[..]);
    stack.teardown().await;
}

#[tokio::test]
async fn records_made_while_the_aggregator_is_away_arrive_when_it_is_back() {
    let mut stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    stack.stop_aggregator().await;
    // A write the frontend answers itself, while the aggregator is down.
    let r = stack
        .admin(Method::PATCH, "/redfish/v1/SessionService")
        .json(&json!({"SessionTimeout": 900}))
        .send()
        .await
        .expect("patch");
    let status = r.status().as_u16();
    assert!(r.status().is_success(), "{status}");
    stack.start_aggregator_again().await;
    entries_until(&stack, |b| {
        has(
            b,
            "admin",
            "PATCH",
            "/redfish/v1/SessionService",
            status,
            "",
        )
    })
    .await;
    stack.teardown().await;
}

#[tokio::test]
async fn the_bound_drops_the_oldest() {
    let mut options = StackOptions::rack(1, Profile::Dmtf);
    options.extra_aggregator_toml = "[manager]\naudit_max_entries = 5\n".into();
    let stack = Stack::start(options).await;
    for i in 0..8 {
        let r = stack
            .client
            .delete(stack.url(&format!("/redfish/v1/Systems/s1-{i}")))
            .send()
            .await
            .expect("delete");
        assert_eq!(r.status(), 401);
    }
    let body = entries_until(&stack, |b| {
        has(
            b,
            "anonymous",
            "DELETE",
            "/redfish/v1/Systems/s1-7",
            401,
            "s1",
        )
    })
    .await;
    let uris: Vec<String> = records(&body).into_iter().map(|r| r[3].clone()).collect();
    let want: Vec<String> = (3..8)
        .map(|i| format!("/redfish/v1/Systems/s1-{i}"))
        .collect();
    assert_eq!(uris, want);
    assert_eq!(body["Members@odata.count"], 5);
    let (_, service) = stack
        .get("/redfish/v1/Managers/Aggregator/LogServices/Audit")
        .await;
    assert_eq!(service["MaxNumberOfRecords"], 5);
    stack.teardown().await;
}
