//! The bootstrap administrator with a password the service generated: written once to
//! `state_dir/initial-admin-password`, and until it is changed only the account itself may be
//! read and its Password PATCHed (Basic or session alike), everything else being 403
//! PasswordChangeRequired naming the account.

use reqwest::Method;
use serde_json::json;
use testkit::bmc_sim::Profile;
use testkit::{ADMIN_USER, Stack, StackOptions, send};

const ME: &str = "/redfish/v1/AccountService/Accounts/1";

#[tokio::test]
async fn a_generated_password_must_be_changed_before_anything_else() {
    // The stack supplies the aggregator; the frontend under test is a second one on a fresh state
    // directory without a configured password.
    let mut stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let state = tempfile::tempdir().expect("tempdir");
    let (frontend, base) = testkit::start_frontend(testkit::frontend_config_generated_password(
        state.path(),
        &stack.agg_endpoint,
    ))
    .await;
    let configured_base = std::mem::replace(&mut stack.base, base);
    // Serving means the bootstrap account exists.
    let r = send(stack.client.get(stack.url("/redfish"))).await;
    assert_eq!(r.status, 200);

    let file = state.path().join("initial-admin-password");
    let generated = std::fs::read_to_string(&file).expect("generated password file");
    let generated = generated.trim().to_owned();
    assert!(generated.len() >= 16, "{generated:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let basic = |method: Method, path: &str| stack.as_user(method, path, ADMIN_USER, &generated);
    let r = send(basic(Method::GET, ME)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["PasswordChangeRequired"], true);
    for (method, path, body) in [
        (Method::GET, "/redfish/v1/Systems", None),
        (Method::GET, "/redfish/v1/AccountService", None),
        (Method::GET, "/redfish/v1/AccountService/Accounts", None),
        (Method::PATCH, ME, Some(json!({"RoleId": "Administrator"}))),
        (
            Method::PATCH,
            ME,
            Some(json!({"Password": "new-admin-pw-1", "UserName": "root"})),
        ),
        (Method::DELETE, ME, None),
        (
            Method::POST,
            "/redfish/v1/AccountService/Accounts",
            Some(json!({"UserName": "x", "Password": "x-pw-12345", "RoleId": "ReadOnly"})),
        ),
    ] {
        let mut rb = basic(method.clone(), path);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = send(rb).await;
        assert_eq!(
            (r.status, r.message()),
            (403, "PasswordChangeRequired"),
            "{method} {path}"
        );
        assert_eq!(
            r.body["error"]["@Message.ExtendedInfo"][0]["MessageArgs"][0],
            ME
        );
    }

    // A session login works and carries the same restriction.
    let r = send(
        stack
            .client
            .post(stack.url("/redfish/v1/SessionService/Sessions"))
            .json(&json!({"UserName": ADMIN_USER, "Password": generated})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["@Message.ExtendedInfo"][0]["MessageId"],
        "Base.1.22.PasswordChangeRequired"
    );
    let token = r.header("x-auth-token").expect("token").to_owned();
    let session = r.header("location").expect("location").to_owned();
    let r = send(stack.with_token(Method::GET, "/redfish/v1/Managers", &token)).await;
    assert_eq!((r.status, r.message()), (403, "PasswordChangeRequired"));
    assert_eq!(
        send(stack.with_token(Method::GET, &session, &token))
            .await
            .status,
        200
    );

    // The password rules still apply to the change.
    let r = send(
        stack
            .with_token(Method::PATCH, ME, &token)
            .json(&json!({"Password": "short"})),
    )
    .await;
    assert_eq!((r.status, r.message()), (400, "PropertyValueFormatError"));

    let r = send(
        stack
            .with_token(Method::PATCH, ME, &token)
            .json(&json!({"Password": "new-admin-pw-1"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["PasswordChangeRequired"], false);

    // Lifted for the session at once; the generated password is dead, the new one works.
    let r = send(stack.with_token(Method::GET, "/redfish/v1/AccountService", &token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(send(basic(Method::GET, ME)).await.status, 401);
    let r = send(stack.as_user(
        Method::GET,
        "/redfish/v1/Systems",
        ADMIN_USER,
        "new-admin-pw-1",
    ))
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // A configured password needs no change.
    stack.base = configured_base;
    let r = send(stack.admin(Method::GET, ME)).await;
    assert_eq!(r.body["PasswordChangeRequired"], false);
    frontend.shutdown().await;
    stack.teardown().await;
}
