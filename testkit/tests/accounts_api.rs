//! AccountService, ManagerAccount and Role through the real stack: lifecycle, body validation
//! (nothing half-written), duplicates, password rules, last-administrator protection, ETags and
//! methods, custom roles.

use reqwest::Method;
use serde_json::{Value, json};
use testkit::bmc_sim::Profile;
use testkit::{ADMIN_PASSWORD, ADMIN_USER, Reply, Stack, StackOptions, send};

const ACCOUNTS: &str = "/redfish/v1/AccountService/Accounts";
const ROLES: &str = "/redfish/v1/AccountService/Roles";

async fn stack() -> Stack {
    Stack::start(StackOptions::rack(1, Profile::Dmtf)).await
}

async fn admin(stack: &Stack, method: Method, path: &str, body: Option<Value>) -> Reply {
    let mut rb = stack.admin(method, path);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    send(rb).await
}

#[tokio::test]
async fn account_lifecycle_create_read_change_delete() {
    let stack = stack().await;
    let r = admin(
        &stack,
        Method::POST,
        ACCOUNTS,
        Some(json!({"UserName": "olivia", "Password": "olivia-pw-1", "RoleId": "Operator"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let uri = r.header("location").expect("Location").to_owned();
    assert_eq!(r.body["@odata.id"], uri.as_str());
    assert_eq!(
        r.body["@odata.type"],
        "#ManagerAccount.v1_4_0.ManagerAccount"
    );
    assert_eq!(r.body["UserName"], "olivia");
    assert_eq!(r.body["RoleId"], "Operator");
    assert_eq!(r.body["Password"], Value::Null);
    assert_eq!(r.body["Enabled"], true);
    assert_eq!(r.body["Locked"], false);
    assert_eq!(
        r.body["Links"]["Role"]["@odata.id"],
        "/redfish/v1/AccountService/Roles/Operator"
    );
    assert!(r.header("etag").is_some());

    // Listed, readable, and the account works with Basic.
    let list = admin(&stack, Method::GET, ACCOUNTS, None).await;
    assert_eq!(list.body["Members@odata.count"], 2, "{}", list.body);
    let own = send(stack.as_user(Method::GET, &uri, "olivia", "olivia-pw-1")).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.header("cache-control"), Some("no-store"));
    assert_eq!(own.header("odata-version"), Some("4.0"));

    // The account changes its own password; the old one stops working at once.
    let r = send(
        stack
            .as_user(Method::PATCH, &uri, "olivia", "olivia-pw-1")
            .json(&json!({"Password": "olivia-pw-2"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        send(stack.as_user(Method::GET, &uri, "olivia", "olivia-pw-1"))
            .await
            .status,
        401
    );
    assert_eq!(
        send(stack.as_user(Method::GET, &uri, "olivia", "olivia-pw-2"))
            .await
            .status,
        200
    );

    // The administrator changes role, name and enablement.
    let r = admin(
        &stack,
        Method::PATCH,
        &uri,
        Some(json!({"RoleId": "ReadOnly", "UserName": "olive"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["RoleId"].as_str(), r.body["UserName"].as_str()),
        (Some("ReadOnly"), Some("olive"))
    );
    let r = send(stack.as_user(Method::GET, &uri, "olive", "olivia-pw-2")).await;
    assert_eq!(r.body["RoleId"], "ReadOnly");
    let r = admin(&stack, Method::PATCH, &uri, Some(json!({"Enabled": false}))).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        send(stack.as_user(Method::GET, &uri, "olive", "olivia-pw-2"))
            .await
            .status,
        401
    );

    let r = admin(&stack, Method::DELETE, &uri, None).await;
    assert_eq!(r.status, 204);
    let r = admin(&stack, Method::GET, &uri, None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.message(), "ResourceMissingAtURI");
    stack.teardown().await;
}

#[tokio::test]
async fn bodies_are_validated_before_anything_is_written() {
    let stack = stack().await;
    let target = stack
        .create_account("target", "target-pw-1", "ReadOnly")
        .await;
    let before_accounts = admin(&stack, Method::GET, ACCOUNTS, None).await.body;
    let before_target = admin(&stack, Method::GET, &target, None).await.body;
    let before_policy = admin(&stack, Method::GET, "/redfish/v1/AccountService", None)
        .await
        .body;
    let before_sessions = admin(&stack, Method::GET, "/redfish/v1/SessionService", None)
        .await
        .body;
    let ok_account = json!({"UserName": "new", "Password": "new-pw-123", "RoleId": "ReadOnly"});
    let with = |extra: Value| {
        let mut b = ok_account.clone();
        if let (Some(o), Some(e)) = (b.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        b
    };
    let acct_svc = "/redfish/v1/AccountService";
    let sess_svc = "/redfish/v1/SessionService";
    // (method, path, body, status, [(MessageId, RelatedProperty)...])
    type Row<'a> = (Method, &'a str, Value, u16, Vec<(&'a str, &'a str)>);
    let rows: Vec<Row> = vec![
        (
            Method::POST,
            ACCOUNTS,
            with(json!({"UserName": 5})),
            400,
            vec![("PropertyValueTypeError", "#/UserName")],
        ),
        (
            Method::POST,
            ACCOUNTS,
            with(json!({"Bogus": 1})),
            400,
            vec![("PropertyUnknown", "#/Bogus")],
        ),
        (
            Method::POST,
            ACCOUNTS,
            with(json!({"Id": "9", "@odata.id": "/x"})),
            400,
            vec![
                ("PropertyNotWritable", "#/@odata.id"),
                ("PropertyNotWritable", "#/Id"),
            ],
        ),
        (
            Method::POST,
            ACCOUNTS,
            json!({"UserName": "new", "Password": "new-pw-123"}),
            400,
            vec![("CreateFailedMissingReqProperties", "#/RoleId")],
        ),
        (
            Method::POST,
            ACCOUNTS,
            with(json!({"RoleId": "Wizard"})),
            400,
            vec![("PropertyValueNotInList", "#/RoleId")],
        ),
        (
            Method::POST,
            ACCOUNTS,
            with(json!({"Locked": true})),
            400,
            vec![("PropertyValueIncorrect", "#/Locked")],
        ),
        (
            Method::POST,
            ACCOUNTS,
            with(json!({"AccountTypes": ["Redfish", "SNMP"]})),
            400,
            vec![("PropertyValueNotInList", "#/AccountTypes")],
        ),
        (
            Method::POST,
            ACCOUNTS,
            with(json!({"UserName": "a:b"})),
            400,
            vec![("PropertyValueFormatError", "#/UserName")],
        ),
        (
            Method::POST,
            ACCOUNTS,
            with(json!({"Enabled": "yes", "Frob": 1})),
            400,
            vec![
                ("PropertyValueTypeError", "#/Enabled"),
                ("PropertyUnknown", "#/Frob"),
            ],
        ),
        (
            Method::PATCH,
            target.as_str(),
            json!({"Enabled": "yes"}),
            400,
            vec![("PropertyValueTypeError", "#/Enabled")],
        ),
        (
            Method::PATCH,
            target.as_str(),
            json!({"RoleId": "Operator", "Links": {}}),
            400,
            vec![("PropertyNotWritable", "#/Links")],
        ),
        (
            Method::PATCH,
            target.as_str(),
            json!({"UserName": "renamed", "Nickname": "x"}),
            400,
            vec![("PropertyUnknown", "#/Nickname")],
        ),
        (
            Method::PATCH,
            target.as_str(),
            json!({}),
            400,
            vec![("NoOperation", "")],
        ),
        (
            Method::PATCH,
            acct_svc,
            json!({"MinPasswordLength": "8"}),
            400,
            vec![("PropertyValueTypeError", "#/MinPasswordLength")],
        ),
        (
            Method::PATCH,
            acct_svc,
            json!({"AccountLockoutThreshold": -1}),
            400,
            vec![("PropertyValueOutOfRange", "#/AccountLockoutThreshold")],
        ),
        (
            Method::PATCH,
            acct_svc,
            json!({"Accounts": {}}),
            400,
            vec![("PropertyNotWritable", "#/Accounts")],
        ),
        (
            Method::PATCH,
            acct_svc,
            json!({"MinPasswordLength": 10, "Colour": "red"}),
            400,
            vec![("PropertyUnknown", "#/Colour")],
        ),
        (
            Method::PATCH,
            acct_svc,
            json!({"MinPasswordLength": 300}),
            400,
            vec![("PropertyValueConflict", "#/MinPasswordLength")],
        ),
        (
            Method::PATCH,
            sess_svc,
            json!({"SessionTimeout": 29}),
            400,
            vec![("PropertyValueOutOfRange", "#/SessionTimeout")],
        ),
        (
            Method::PATCH,
            sess_svc,
            json!({"SessionTimeout": 86401}),
            400,
            vec![("PropertyValueOutOfRange", "#/SessionTimeout")],
        ),
        (
            Method::PATCH,
            sess_svc,
            json!({"SessionTimeout": "60"}),
            400,
            vec![("PropertyValueTypeError", "#/SessionTimeout")],
        ),
        (
            Method::PATCH,
            sess_svc,
            json!({"ServiceEnabled": false}),
            400,
            vec![("PropertyNotWritable", "#/ServiceEnabled")],
        ),
        (
            Method::POST,
            ROLES,
            json!({"RoleId": "Pilot", "AssignedPrivileges": ["Login", "Fly"]}),
            400,
            vec![("PropertyValueNotInList", "#/AssignedPrivileges")],
        ),
        (
            Method::POST,
            ROLES,
            json!({"RoleId": "a/b"}),
            400,
            vec![("PropertyValueFormatError", "#/RoleId")],
        ),
        (
            Method::POST,
            ROLES,
            json!({"AssignedPrivileges": ["Login"]}),
            400,
            vec![("CreateFailedMissingReqProperties", "#/RoleId")],
        ),
        (
            Method::POST,
            ROLES,
            json!({"RoleId": "Pilot", "IsPredefined": true}),
            400,
            vec![("PropertyNotWritable", "#/IsPredefined")],
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, body, status, want) in rows {
        let r = admin(&stack, method.clone(), path, Some(body.clone())).await;
        let mut got = r.problems();
        got.sort();
        let mut want: Vec<(String, String)> = want
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        want.sort();
        if r.status != status || got != want {
            failures.push(format!(
                "{method} {path} {body}: {} {got:?}, want {status} {want:?}",
                r.status
            ));
        }
    }
    // Syntax and media type.
    let raw = |method: Method, path: &str, ct: &'static str, text: &'static str| {
        stack
            .admin(method, path)
            .header("content-type", ct)
            .body(text)
    };
    for (rb, status, id) in [
        (
            raw(
                Method::POST,
                ACCOUNTS,
                "application/json",
                "{\"UserName\": ",
            ),
            400,
            "MalformedJSON",
        ),
        (
            raw(Method::PATCH, &target, "application/json", "[1, 2]"),
            400,
            "UnrecognizedRequestBody",
        ),
        (
            raw(Method::POST, ACCOUNTS, "text/plain", "{}"),
            415,
            "HeaderInvalid",
        ),
        (
            raw(
                Method::PATCH,
                acct_svc,
                "application/x-www-form-urlencoded",
                "a=b",
            ),
            415,
            "HeaderInvalid",
        ),
    ] {
        let r = send(rb).await;
        if (r.status, r.message()) != (status, id) {
            failures.push(format!(
                "raw body: got {} {}, want {status} {id}",
                r.status,
                r.message()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Nothing was written by any of them.
    assert_eq!(
        admin(&stack, Method::GET, ACCOUNTS, None).await.body,
        before_accounts
    );
    assert_eq!(
        admin(&stack, Method::GET, &target, None).await.body,
        before_target
    );
    assert_eq!(
        admin(&stack, Method::GET, acct_svc, None).await.body,
        before_policy
    );
    assert_eq!(
        admin(&stack, Method::GET, sess_svc, None).await.body,
        before_sessions
    );
    assert_eq!(
        admin(&stack, Method::GET, ROLES, None).await.body["Members@odata.count"],
        3
    );
    stack.teardown().await;
}

#[tokio::test]
async fn duplicate_user_names_and_role_ids_conflict() {
    let stack = stack().await;
    stack.create_account("dup", "dup-pw-123", "ReadOnly").await;
    let other = stack
        .create_account("other", "other-pw-1", "ReadOnly")
        .await;
    for (method, path, body) in [
        (
            Method::POST,
            ACCOUNTS.to_owned(),
            json!({"UserName": "dup", "Password": "x-pw-12345", "RoleId": "Operator"}),
        ),
        (
            Method::POST,
            ACCOUNTS.to_owned(),
            json!({"UserName": ADMIN_USER, "Password": "x-pw-12345", "RoleId": "ReadOnly"}),
        ),
        (Method::PATCH, other.clone(), json!({"UserName": "dup"})),
        (
            Method::POST,
            ROLES.to_owned(),
            json!({"RoleId": "Operator"}),
        ),
    ] {
        let r = admin(&stack, method.clone(), &path, Some(body)).await;
        assert_eq!(
            (r.status, r.message()),
            (409, "ResourceAlreadyExists"),
            "{method} {path}: {}",
            r.body
        );
    }
    let r = admin(
        &stack,
        Method::POST,
        ROLES,
        Some(json!({"RoleId": "Auditor"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = admin(
        &stack,
        Method::POST,
        ROLES,
        Some(json!({"RoleId": "Auditor"})),
    )
    .await;
    assert_eq!((r.status, r.message()), (409, "ResourceAlreadyExists"));
    let list = admin(&stack, Method::GET, ACCOUNTS, None).await;
    assert_eq!(list.body["Members@odata.count"], 3);
    let r = admin(&stack, Method::GET, &other, None).await;
    assert_eq!(r.body["UserName"], "other");
    stack.teardown().await;
}

#[tokio::test]
async fn password_rules_follow_the_policy_and_passwords_are_never_echoed() {
    let stack = stack().await;
    let create =
        |user: &str, pw: &str| json!({"UserName": user, "Password": pw, "RoleId": "ReadOnly"});
    let r = admin(
        &stack,
        Method::POST,
        ACCOUNTS,
        Some(create("shorty", "s3cr3t!")),
    )
    .await;
    assert_eq!(
        (r.status, r.message()),
        (400, "PropertyValueFormatError"),
        "{}",
        r.body
    );
    assert_eq!(
        r.problems(),
        [(
            "PropertyValueFormatError".to_owned(),
            "#/Password".to_owned()
        )]
    );
    assert!(!r.body.to_string().contains("s3cr3t!"), "{}", r.body);
    let r = admin(
        &stack,
        Method::POST,
        ACCOUNTS,
        Some(json!({"UserName": "typed", "Password": 12345678, "RoleId": "ReadOnly"})),
    )
    .await;
    assert_eq!(r.message(), "PropertyValueTypeError");
    assert!(!r.body.to_string().contains("12345678"), "{}", r.body);

    let r = admin(
        &stack,
        Method::PATCH,
        "/redfish/v1/AccountService",
        Some(json!({"MinPasswordLength": 12, "MaxPasswordLength": 16})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (
            r.body["MinPasswordLength"].as_u64(),
            r.body["MaxPasswordLength"].as_u64()
        ),
        (Some(12), Some(16))
    );
    for (pw, status) in [
        ("elevenchars", 400),
        ("twelve-chars", 201),
        ("seventeen-chars!!", 400),
        ("sixteen-chars-ok", 201),
    ] {
        let user = format!("u{}", pw.len());
        let r = admin(&stack, Method::POST, ACCOUNTS, Some(create(&user, pw))).await;
        assert_eq!(r.status, status, "{pw}: {}", r.body);
    }
    // The rule applies to PATCH too.
    let uri = stack
        .create_account("patchme", "patchme-pw-1", "ReadOnly")
        .await;
    let r = send(
        stack
            .as_user(Method::PATCH, &uri, "patchme", "patchme-pw-1")
            .json(&json!({"Password": "short"})),
    )
    .await;
    assert_eq!((r.status, r.message()), (400, "PropertyValueFormatError"));
    assert_eq!(
        send(stack.as_user(Method::GET, &uri, "patchme", "patchme-pw-1"))
            .await
            .status,
        200
    );
    stack.teardown().await;
}

#[tokio::test]
async fn the_last_enabled_administrator_cannot_be_removed_or_demoted() {
    let stack = stack().await;
    let me = "/redfish/v1/AccountService/Accounts/1";
    let r = admin(&stack, Method::GET, me, None).await;
    assert_eq!(r.body["UserName"], ADMIN_USER);
    for (method, body, id) in [
        (Method::DELETE, None, "ResourceCannotBeDeleted"),
        (
            Method::PATCH,
            Some(json!({"RoleId": "Operator"})),
            "PropertyValueResourceConflict",
        ),
        (
            Method::PATCH,
            Some(json!({"Enabled": false})),
            "PropertyValueResourceConflict",
        ),
        (
            Method::PATCH,
            Some(json!({"Enabled": false, "UserName": "gone"})),
            "PropertyValueResourceConflict",
        ),
    ] {
        let r = admin(&stack, method.clone(), me, body).await;
        assert_eq!((r.status, r.message()), (409, id), "{method}: {}", r.body);
    }
    let r = admin(&stack, Method::GET, me, None).await;
    assert_eq!(
        (
            r.body["UserName"].as_str(),
            r.body["RoleId"].as_str(),
            r.body["Enabled"].as_bool()
        ),
        (Some(ADMIN_USER), Some("Administrator"), Some(true))
    );

    // A disabled second administrator does not count; an enabled one does.
    let second = stack
        .create_account("second", "second-pw-1", "Administrator")
        .await;
    let r = admin(
        &stack,
        Method::PATCH,
        &second,
        Some(json!({"Enabled": false})),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = admin(
        &stack,
        Method::PATCH,
        me,
        Some(json!({"RoleId": "Operator"})),
    )
    .await;
    assert_eq!(r.status, 409);
    let r = admin(
        &stack,
        Method::PATCH,
        &second,
        Some(json!({"Enabled": true})),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(
        stack
            .as_user(Method::PATCH, me, "second", "second-pw-1")
            .json(&json!({"RoleId": "Operator"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(stack.as_user(Method::DELETE, me, "second", "second-pw-1")).await;
    assert_eq!(r.status, 204);
    let r = send(stack.as_user(Method::DELETE, &second, "second", "second-pw-1")).await;
    assert_eq!((r.status, r.message()), (409, "ResourceCannotBeDeleted"));
    stack.teardown().await;
}

#[tokio::test]
async fn etags_if_match_and_allowed_methods() {
    let stack = stack().await;
    let uri = stack
        .create_account("tagged", "tagged-pw-1", "ReadOnly")
        .await;
    let r = admin(&stack, Method::GET, &uri, None).await;
    let tag = r.header("etag").expect("ETag").to_owned();
    assert_eq!(r.body["@odata.etag"], tag.as_str());
    let patch = |tag: &str| {
        stack
            .admin(Method::PATCH, &uri)
            .header("if-match", tag)
            .json(&json!({"Enabled": false}))
    };
    let r = send(patch("W/\"0000000000000000\"")).await;
    assert_eq!((r.status, r.message()), (412, "PreconditionFailed"));
    assert_eq!(
        admin(&stack, Method::GET, &uri, None).await.body["Enabled"],
        true
    );
    let r = send(patch(&tag)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(r.header("etag"), Some(tag.as_str()));
    // The old tag no longer matches.
    assert_eq!(send(patch(&tag)).await.status, 412);
    let r = admin(&stack, Method::GET, "/redfish/v1/AccountService", None).await;
    let svc_tag = r.header("etag").expect("ETag").to_owned();
    let r = send(
        stack
            .admin(Method::PATCH, "/redfish/v1/AccountService")
            .header("if-match", &svc_tag)
            .json(&json!({"AuthFailureLoggingThreshold": 4})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    for (method, path, allow) in [
        (Method::PUT, uri.as_str(), "GET, HEAD, PATCH, DELETE"),
        (Method::POST, uri.as_str(), "GET, HEAD, PATCH, DELETE"),
        (Method::DELETE, ACCOUNTS, "GET, HEAD, POST"),
        (
            Method::POST,
            "/redfish/v1/AccountService",
            "GET, HEAD, PATCH",
        ),
        (
            Method::DELETE,
            "/redfish/v1/SessionService",
            "GET, HEAD, PATCH",
        ),
        (
            Method::PATCH,
            "/redfish/v1/SessionService/Sessions",
            "GET, HEAD, POST",
        ),
        (
            Method::PATCH,
            "/redfish/v1/AccountService/Roles/Administrator",
            "GET, HEAD",
        ),
        (
            Method::DELETE,
            "/redfish/v1/AccountService/Roles/ReadOnly",
            "GET, HEAD",
        ),
    ] {
        let r = admin(&stack, method.clone(), path, Some(json!({}))).await;
        assert_eq!(
            (r.status, r.message()),
            (405, "OperationNotAllowed"),
            "{method} {path}"
        );
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
        // DSP0266: GET names them too.
        let r = admin(&stack, Method::GET, path, None).await;
        assert_eq!(r.header("allow"), Some(allow), "GET {path}");
    }
    let r = admin(
        &stack,
        Method::GET,
        "/redfish/v1/AccountService/Accounts/99",
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = admin(&stack, Method::GET, "/redfish/v1/AccountService/LDAP", None).await;
    assert_eq!(r.status, 404);
    let r = send(stack.admin(Method::HEAD, &uri)).await;
    assert_eq!(r.status, 200);
    assert!(r.header("etag").is_some());
    stack.teardown().await;
}

#[tokio::test]
async fn custom_roles_grant_their_privileges_and_are_deleted_only_when_unused() {
    let stack = stack().await;
    let r = admin(
        &stack,
        Method::POST,
        ROLES,
        Some(json!({"RoleId": "Auditor", "AssignedPrivileges": ["Login", "ConfigureSelf", "Login"], "OemPrivileges": ["OemAudit"]})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let role_uri = r.header("location").expect("Location").to_owned();
    assert_eq!(role_uri, "/redfish/v1/AccountService/Roles/Auditor");
    assert_eq!(r.body["@odata.type"], "#Role.v1_2_0.Role");
    assert_eq!(
        r.body["AssignedPrivileges"],
        json!(["Login", "ConfigureSelf"])
    );
    assert_eq!(r.body["OemPrivileges"], json!(["OemAudit"]));
    assert_eq!(r.body["IsPredefined"], false);
    let r = admin(&stack, Method::GET, ROLES, None).await;
    assert_eq!(r.body["Members@odata.count"], 4);
    let r = admin(
        &stack,
        Method::GET,
        "/redfish/v1/AccountService/Roles/Operator",
        None,
    )
    .await;
    assert_eq!(r.body["IsPredefined"], true);
    assert_eq!(
        r.body["AssignedPrivileges"],
        json!(["Login", "ConfigureSelf", "ConfigureComponents"])
    );

    let acct = stack
        .create_account("audrey", "audrey-pw-1", "Auditor")
        .await;
    assert_eq!(
        send(stack.as_user(Method::GET, "/redfish/v1/Systems", "audrey", "audrey-pw-1"))
            .await
            .status,
        200
    );
    let r = admin(&stack, Method::DELETE, &role_uri, None).await;
    assert_eq!((r.status, r.message()), (409, "ResourceInUse"));

    // Changing the role's privileges takes effect for its accounts at once.
    let r = admin(
        &stack,
        Method::PATCH,
        &role_uri,
        Some(json!({"AssignedPrivileges": ["ConfigureSelf"]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(stack.as_user(Method::GET, "/redfish/v1/Systems", "audrey", "audrey-pw-1")).await;
    assert_eq!((r.status, r.message()), (403, "InsufficientPrivilege"));

    // ConfigureUsers cannot hand out privileges the caller lacks.
    let usermgr = admin(&stack, Method::POST, ROLES, Some(json!({"RoleId": "UserManager", "AssignedPrivileges": ["Login", "ConfigureUsers", "ConfigureSelf"]}))).await;
    assert_eq!(usermgr.status, 201);
    stack
        .create_account("umgr", "umgr-pw-123", "UserManager")
        .await;
    let r = send(
        stack
            .as_user(Method::POST, ACCOUNTS, "umgr", "umgr-pw-123")
            .json(
                &json!({"UserName": "evil", "Password": "evil-pw-123", "RoleId": "Administrator"}),
            ),
    )
    .await;
    assert_eq!((r.status, r.message()), (403, "InsufficientPrivilege"));
    let r = send(
        stack
            .as_user(Method::POST, ACCOUNTS, "umgr", "umgr-pw-123")
            .json(&json!({"UserName": "fine", "Password": "fine-pw-123", "RoleId": "ReadOnly"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);

    assert_eq!(admin(&stack, Method::DELETE, &acct, None).await.status, 204);
    assert_eq!(
        admin(&stack, Method::DELETE, &role_uri, None).await.status,
        204
    );
    assert_eq!(
        admin(&stack, Method::GET, &role_uri, None).await.status,
        404
    );
    let r = admin(
        &stack,
        Method::POST,
        ACCOUNTS,
        Some(json!({"UserName": "late", "Password": "late-pw-123", "RoleId": "Auditor"})),
    )
    .await;
    assert_eq!(r.message(), "PropertyValueNotInList");
    stack.teardown().await;
}

#[tokio::test]
async fn accounts_and_roles_survive_a_restart() {
    let mut stack = stack().await;
    let r = admin(
        &stack,
        Method::POST,
        ROLES,
        Some(json!({"RoleId": "Keeper", "AssignedPrivileges": ["Login"]})),
    )
    .await;
    assert_eq!(r.status, 201);
    let uri = stack
        .create_account("keeper", "keeper-pw-1", "Keeper")
        .await;
    let r = admin(
        &stack,
        Method::PATCH,
        "/redfish/v1/AccountService",
        Some(json!({"AccountLockoutThreshold": 7})),
    )
    .await;
    assert_eq!(r.status, 200);
    stack.restart_services().await;
    let r = send(stack.as_user(
        Method::GET,
        "/redfish/v1/AccountService",
        "keeper",
        "keeper-pw-1",
    ))
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["AccountLockoutThreshold"], 7);
    let r = admin(&stack, Method::GET, &uri, None).await;
    assert_eq!(r.body["RoleId"], "Keeper");
    let r = admin(
        &stack,
        Method::GET,
        "/redfish/v1/AccountService/Roles/Keeper",
        None,
    )
    .await;
    assert_eq!(r.body["AssignedPrivileges"], json!(["Login"]));
    assert_eq!(
        send(stack.as_user(Method::GET, "/redfish/v1", ADMIN_USER, ADMIN_PASSWORD))
            .await
            .status,
        200
    );
    stack.teardown().await;
}
