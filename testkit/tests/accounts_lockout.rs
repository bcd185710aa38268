//! Account lockout through the real stack, on a manual clock: the threshold (Basic and session
//! logins both count), the lockout duration, the counter reset window, unlocking by an
//! administrator, and the AccountService switches (no reset = locked until unlocked; duration 0 =
//! no lockout).

use reqwest::Method;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use testkit::bmc_sim::Profile;
use testkit::{ManualClock, Stack, StackOptions, send};

const USER: &str = "lucy";
const PASSWORD: &str = "lucy-pw-1234";
const PROBE: &str = "/redfish/v1/AccountService";

async fn basic(stack: &Stack, password: &str) -> u16 {
    send(stack.as_user(Method::GET, PROBE, USER, password))
        .await
        .status
}

async fn session_login(stack: &Stack, password: &str) -> u16 {
    send(
        stack
            .client
            .post(stack.url("/redfish/v1/SessionService/Sessions"))
            .json(&json!({"UserName": USER, "Password": password})),
    )
    .await
    .status
}

async fn policy(stack: &Stack, body: serde_json::Value) {
    let r = send(stack.admin(Method::PATCH, PROBE).json(&body)).await;
    assert_eq!(r.status, 200, "{body}: {}", r.body);
}

async fn locked(stack: &Stack, uri: &str) -> bool {
    let r = send(stack.admin(Method::GET, uri)).await;
    r.body["Locked"].as_bool().expect("Locked")
}

async fn fail(stack: &Stack, times: usize) {
    for _ in 0..times {
        assert_eq!(basic(stack, "wrong-password").await, 401);
    }
}

#[tokio::test]
async fn lockout_threshold_duration_and_counter_reset() {
    let clock = Arc::new(ManualClock::new());
    let stack = Stack::start_with_clock(StackOptions::rack(1, Profile::Dmtf), clock.clone()).await;
    let uri = stack.create_account(USER, PASSWORD, "ReadOnly").await;
    policy(
        &stack,
        json!({"AccountLockoutThreshold": 3, "AccountLockoutDuration": 60, "AccountLockoutCounterResetAfter": 30}),
    )
    .await;

    // Below the threshold a success clears the count.
    fail(&stack, 2).await;
    assert_eq!(basic(&stack, PASSWORD).await, 200);
    fail(&stack, 2).await;
    assert_eq!(basic(&stack, PASSWORD).await, 200);
    assert!(!locked(&stack, &uri).await);

    // The threshold locks the account: the right password no longer works, by Basic or login.
    fail(&stack, 3).await;
    assert!(locked(&stack, &uri).await);
    assert_eq!(basic(&stack, PASSWORD).await, 401);
    assert_eq!(session_login(&stack, PASSWORD).await, 401);
    clock.advance(Duration::from_secs(59));
    assert_eq!(basic(&stack, PASSWORD).await, 401);
    // ...until the duration has passed.
    clock.advance(Duration::from_secs(2));
    assert!(!locked(&stack, &uri).await);
    assert_eq!(basic(&stack, PASSWORD).await, 200);

    // Failures further apart than the reset window do not add up.
    fail(&stack, 2).await;
    clock.advance(Duration::from_secs(31));
    fail(&stack, 2).await;
    assert!(!locked(&stack, &uri).await);
    assert_eq!(basic(&stack, PASSWORD).await, 200);

    // Failed session logins count too; an administrator can unlock early.
    for _ in 0..3 {
        assert_eq!(session_login(&stack, "wrong-password").await, 401);
    }
    assert!(locked(&stack, &uri).await);
    assert_eq!(basic(&stack, PASSWORD).await, 401);
    let r = send(
        stack
            .admin(Method::PATCH, &uri)
            .json(&json!({"Locked": false})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["Locked"], false);
    assert_eq!(session_login(&stack, PASSWORD).await, 201);
    stack.teardown().await;
}

#[tokio::test]
async fn lockout_switches_follow_the_account_service_schema() {
    let clock = Arc::new(ManualClock::new());
    let stack = Stack::start_with_clock(StackOptions::rack(1, Profile::Dmtf), clock.clone()).await;
    let uri = stack.create_account(USER, PASSWORD, "ReadOnly").await;

    // Counter reset disabled: the lockout lasts until an administrator ends it.
    policy(
        &stack,
        json!({"AccountLockoutThreshold": 2, "AccountLockoutCounterResetEnabled": false}),
    )
    .await;
    fail(&stack, 1).await;
    clock.advance(Duration::from_secs(3600));
    fail(&stack, 1).await;
    assert!(locked(&stack, &uri).await);
    clock.advance(Duration::from_secs(30 * 86_400));
    assert_eq!(basic(&stack, PASSWORD).await, 401);
    assert!(locked(&stack, &uri).await);
    let r = send(
        stack
            .admin(Method::PATCH, &uri)
            .json(&json!({"Locked": false})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(basic(&stack, PASSWORD).await, 200);

    // Duration 0: no lockout at all. Threshold 0: never locked either.
    policy(
        &stack,
        json!({"AccountLockoutCounterResetEnabled": true, "AccountLockoutDuration": 0}),
    )
    .await;
    fail(&stack, 5).await;
    assert_eq!(basic(&stack, PASSWORD).await, 200);
    policy(
        &stack,
        json!({"AccountLockoutDuration": 60, "AccountLockoutThreshold": 0}),
    )
    .await;
    fail(&stack, 6).await;
    assert_eq!(basic(&stack, PASSWORD).await, 200);
    assert!(!locked(&stack, &uri).await);

    // Locked can only be cleared, never set, by a client.
    let r = send(
        stack
            .admin(Method::PATCH, &uri)
            .json(&json!({"Locked": true})),
    )
    .await;
    assert_eq!((r.status, r.message()), (400, "PropertyValueIncorrect"));
    stack.teardown().await;
}

#[tokio::test]
async fn lockouts_survive_a_restart() {
    let clock = Arc::new(ManualClock::new());
    let mut stack =
        Stack::start_with_clock(StackOptions::rack(1, Profile::Dmtf), clock.clone()).await;
    let uri = stack.create_account(USER, PASSWORD, "ReadOnly").await;
    policy(
        &stack,
        json!({"AccountLockoutThreshold": 2, "AccountLockoutDuration": 120, "AccountLockoutCounterResetAfter": 60}),
    )
    .await;
    fail(&stack, 2).await;
    stack.restart_services().await;
    assert!(locked(&stack, &uri).await);
    assert_eq!(basic(&stack, PASSWORD).await, 401);
    clock.advance(Duration::from_secs(121));
    assert_eq!(basic(&stack, PASSWORD).await, 200);
    stack.teardown().await;
}
