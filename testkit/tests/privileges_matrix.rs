//! The role x method x route matrix, against the real stack: Administrator, Operator, ReadOnly and
//! a custom role (UserManager: Login, ConfigureUsers, ConfigureSelf), over the frontend's own
//! routes (AccountService, Accounts, Roles, SessionService, Sessions) and aggregated and
//! passthrough routes. Each row says what DSP8011 (`Redfish_1.8.0_PrivilegeRegistry.json`)
//! requires and which roles therefore pass.
//!
//! A local request that passes must succeed (2xx). An aggregated one may be answered by the BMC
//! with anything, so it must only not be refused for privilege. A refused request must be 403
//! InsufficientPrivilege, and an aggregated one must never have reached the BMC.

use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use testkit::bmc_sim::Profile;
use testkit::{Stack, StackOptions, send};

const ROLES: [&str; 4] = ["Administrator", "Operator", "ReadOnly", "UserManager"];
const PASSWORD: &str = "matrix-pw-123";

/// Which of [`ROLES`] pass.
const ALL: [bool; 4] = [true, true, true, true];
const CONFIGURE_USERS: [bool; 4] = [true, false, false, true];
const CONFIGURE_MANAGER: [bool; 4] = [true, false, false, false];
const CONFIGURE_COMPONENTS: [bool; 4] = [true, true, false, false];

enum Kind {
    /// Served by the frontend: 2xx when allowed.
    Local,
    /// Forwarded to BMC s1 as this method and path when allowed.
    Bmc(&'static str),
    /// Forwarded, but to no BMC (aggregate collections, unknown paths).
    Aggregate,
}

struct Row {
    method: Method,
    /// `{own}`, `{target}`, `{victim}`, `{spare}`, `{own_session}`, `{other_session}`,
    /// `{victim_session}` are filled in per role.
    path: &'static str,
    /// `{role}` and `{user}` are filled in per role.
    body: Option<Value>,
    /// The privilege the registry asks for, for the failure report.
    needs: &'static str,
    allowed: [bool; 4],
    kind: Kind,
}

fn row(
    method: Method,
    path: &'static str,
    body: Option<Value>,
    needs: &'static str,
    allowed: [bool; 4],
    kind: Kind,
) -> Row {
    Row {
        method,
        path,
        body,
        needs,
        allowed,
        kind,
    }
}

fn rows() -> Vec<Row> {
    use Kind::*;
    let (get, patch, post, delete) = (Method::GET, Method::PATCH, Method::POST, Method::DELETE);
    vec![
        // SessionService and sessions (SessionService, SessionCollection, Session). First: a
        // password change below ends the account's other sessions.
        row(
            get.clone(),
            "/redfish/v1/SessionService",
            None,
            "Login",
            ALL,
            Local,
        ),
        row(
            patch.clone(),
            "/redfish/v1/SessionService",
            Some(json!({"SessionTimeout": 1800})),
            "ConfigureManager",
            CONFIGURE_MANAGER,
            Local,
        ),
        row(
            get.clone(),
            "/redfish/v1/SessionService/Sessions",
            None,
            "Login",
            ALL,
            Local,
        ),
        row(
            get.clone(),
            "{own_session}",
            None,
            "ConfigureSelf (own session)",
            ALL,
            Local,
        ),
        row(
            get.clone(),
            "{other_session}",
            None,
            "ConfigureManager",
            CONFIGURE_MANAGER,
            Local,
        ),
        row(
            delete.clone(),
            "{victim_session}",
            None,
            "ConfigureManager",
            CONFIGURE_MANAGER,
            Local,
        ),
        row(
            delete.clone(),
            "{own_session}",
            None,
            "ConfigureSelf (own session)",
            ALL,
            Local,
        ),
        // AccountService and accounts (AccountService, ManagerAccountCollection, ManagerAccount).
        row(
            get.clone(),
            "/redfish/v1/AccountService",
            None,
            "Login",
            ALL,
            Local,
        ),
        row(
            patch.clone(),
            "/redfish/v1/AccountService",
            Some(json!({"AuthFailureLoggingThreshold": 3})),
            "ConfigureUsers",
            CONFIGURE_USERS,
            Local,
        ),
        row(
            get.clone(),
            "/redfish/v1/AccountService/Accounts",
            None,
            "Login",
            ALL,
            Local,
        ),
        row(
            post.clone(),
            "/redfish/v1/AccountService/Accounts",
            Some(
                json!({"UserName": "made-by-{role}", "Password": "made-pw-1234", "RoleId": "ReadOnly"}),
            ),
            "ConfigureUsers",
            CONFIGURE_USERS,
            Local,
        ),
        row(
            get.clone(),
            "{own}",
            None,
            "ConfigureSelf (own account)",
            ALL,
            Local,
        ),
        row(
            get.clone(),
            "{target}",
            None,
            "ConfigureManager or ConfigureUsers",
            CONFIGURE_USERS,
            Local,
        ),
        row(
            patch.clone(),
            "{own}",
            Some(json!({"Password": PASSWORD})),
            "ConfigureSelf (own Password)",
            ALL,
            Local,
        ),
        row(
            patch.clone(),
            "{own}",
            Some(json!({"RoleId": "{role}"})),
            "ConfigureUsers",
            CONFIGURE_USERS,
            Local,
        ),
        row(
            patch.clone(),
            "{own}",
            Some(json!({"Password": PASSWORD, "Enabled": true})),
            "ConfigureUsers (Enabled)",
            CONFIGURE_USERS,
            Local,
        ),
        row(
            patch.clone(),
            "{target}",
            Some(json!({"Enabled": true})),
            "ConfigureUsers",
            CONFIGURE_USERS,
            Local,
        ),
        row(
            patch.clone(),
            "{target}",
            Some(json!({"Password": "target-pw-5678"})),
            "ConfigureUsers (not own)",
            CONFIGURE_USERS,
            Local,
        ),
        row(
            delete.clone(),
            "{victim}",
            None,
            "ConfigureUsers",
            CONFIGURE_USERS,
            Local,
        ),
        // Roles (RoleCollection, Role): ConfigureManager to change.
        row(
            get.clone(),
            "/redfish/v1/AccountService/Roles",
            None,
            "Login",
            ALL,
            Local,
        ),
        row(
            get.clone(),
            "/redfish/v1/AccountService/Roles/Administrator",
            None,
            "Login",
            ALL,
            Local,
        ),
        row(
            post.clone(),
            "/redfish/v1/AccountService/Roles",
            Some(json!({"RoleId": "Made-{role}"})),
            "ConfigureManager",
            CONFIGURE_MANAGER,
            Local,
        ),
        row(
            patch.clone(),
            "/redfish/v1/AccountService/Roles/Shared",
            Some(json!({"OemPrivileges": ["Oem{role}"]})),
            "ConfigureManager",
            CONFIGURE_MANAGER,
            Local,
        ),
        row(
            delete.clone(),
            "{spare}",
            None,
            "ConfigureManager",
            CONFIGURE_MANAGER,
            Local,
        ),
        // Aggregated members (ComputerSystem, Manager, Chassis and below).
        row(
            get.clone(),
            "/redfish/v1/Systems",
            None,
            "Login",
            ALL,
            Aggregate,
        ),
        row(
            get.clone(),
            "/redfish/v1/Systems/s1-1",
            None,
            "Login",
            ALL,
            Bmc("/redfish/v1/Systems/1"),
        ),
        row(
            patch.clone(),
            "/redfish/v1/Systems/s1-1",
            Some(json!({"AssetTag": "{role}"})),
            "ConfigureComponents",
            CONFIGURE_COMPONENTS,
            Bmc("/redfish/v1/Systems/1"),
        ),
        row(
            post.clone(),
            "/redfish/v1/Systems/s1-1/Actions/ComputerSystem.Reset",
            Some(json!({"ResetType": "On"})),
            "ConfigureComponents",
            CONFIGURE_COMPONENTS,
            Bmc("/redfish/v1/Systems/1/Actions/ComputerSystem.Reset"),
        ),
        row(
            patch.clone(),
            "/redfish/v1/Systems/s1-1/EthernetInterfaces/1",
            Some(json!({"HostName": "h"})),
            "ConfigureComponents",
            CONFIGURE_COMPONENTS,
            Bmc("/redfish/v1/Systems/1/EthernetInterfaces/1"),
        ),
        row(
            post.clone(),
            "/redfish/v1/Systems/s1-1/LogServices/Log/Actions/LogService.ClearLog",
            Some(json!({})),
            "ConfigureComponents (LogService below a ComputerSystem)",
            CONFIGURE_COMPONENTS,
            Bmc("/redfish/v1/Systems/1/LogServices/Log/Actions/LogService.ClearLog"),
        ),
        row(
            get.clone(),
            "/redfish/v1/Managers/s1-1",
            None,
            "Login",
            ALL,
            Bmc("/redfish/v1/Managers/1"),
        ),
        row(
            patch.clone(),
            "/redfish/v1/Managers/s1-1",
            Some(json!({"ServiceIdentification": "{role}"})),
            "ConfigureManager",
            CONFIGURE_MANAGER,
            Bmc("/redfish/v1/Managers/1"),
        ),
        row(
            post.clone(),
            "/redfish/v1/Managers/s1-1/Actions/Manager.Reset",
            Some(json!({"ResetType": "GracefulRestart"})),
            "ConfigureManager",
            CONFIGURE_MANAGER,
            Bmc("/redfish/v1/Managers/1/Actions/Manager.Reset"),
        ),
        row(
            patch.clone(),
            "/redfish/v1/Managers/s1-1/EthernetInterfaces/1",
            Some(json!({"HostName": "h"})),
            "ConfigureManager (EthernetInterface below a Manager)",
            CONFIGURE_MANAGER,
            Bmc("/redfish/v1/Managers/1/EthernetInterfaces/1"),
        ),
        row(
            post.clone(),
            "/redfish/v1/Managers/s1-1/LogServices/Log/Actions/LogService.ClearLog",
            Some(json!({})),
            "ConfigureManager",
            CONFIGURE_MANAGER,
            Bmc("/redfish/v1/Managers/1/LogServices/Log/Actions/LogService.ClearLog"),
        ),
        row(
            patch.clone(),
            "/redfish/v1/Chassis/s1-1",
            Some(json!({"AssetTag": "{role}"})),
            "ConfigureComponents",
            CONFIGURE_COMPONENTS,
            Bmc("/redfish/v1/Chassis/1"),
        ),
        row(
            delete.clone(),
            "/redfish/v1/TaskService/Tasks/s1-1",
            None,
            "ConfigureManager",
            CONFIGURE_MANAGER,
            Bmc("/redfish/v1/TaskService/Tasks/1"),
        ),
        row(
            get.clone(),
            "/redfish/v1/UpdateService/FirmwareInventory",
            None,
            "Login",
            ALL,
            Aggregate,
        ),
        // The per-BMC passthrough namespace is judged as that BMC's own /redfish/v1/<rest>.
        row(
            get.clone(),
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService",
            None,
            "Login",
            ALL,
            Bmc("/redfish/v1/AccountService"),
        ),
        row(
            patch.clone(),
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService",
            Some(json!({"MinPasswordLength": 9})),
            "ConfigureUsers",
            CONFIGURE_USERS,
            Bmc("/redfish/v1/AccountService"),
        ),
        row(
            get.clone(),
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/Accounts/1",
            None,
            "ConfigureManager or ConfigureUsers",
            CONFIGURE_USERS,
            Bmc("/redfish/v1/AccountService/Accounts/1"),
        ),
        row(
            patch.clone(),
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/Accounts/1",
            Some(json!({"Password": "bmc-pw-12345"})),
            "ConfigureUsers (never ConfigureSelf: not the caller's account)",
            CONFIGURE_USERS,
            Bmc("/redfish/v1/AccountService/Accounts/1"),
        ),
        row(
            patch.clone(),
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/SessionService",
            Some(json!({"SessionTimeout": 600})),
            "ConfigureManager",
            CONFIGURE_MANAGER,
            Bmc("/redfish/v1/SessionService"),
        ),
        row(
            post.clone(),
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/UpdateService/Actions/UpdateService.SimpleUpdate",
            Some(json!({"ImageURI": "http://192.0.2.1/fw.bin"})),
            "ConfigureComponents",
            CONFIGURE_COMPONENTS,
            Bmc("/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"),
        ),
        // Paths no schema describes: Login to read, ConfigureManager for anything else.
        row(
            get.clone(),
            "/redfish/v1/Oem/Unknown/Thing",
            None,
            "Login (default)",
            ALL,
            Aggregate,
        ),
        row(
            delete.clone(),
            "/redfish/v1/Oem/Unknown/Thing",
            None,
            "ConfigureManager (default)",
            CONFIGURE_MANAGER,
            Aggregate,
        ),
    ]
}

/// Per role: its user name and the paths the rows refer to.
struct Fixture {
    user: String,
    places: HashMap<&'static str, String>,
}

async fn setup(stack: &Stack) -> Vec<Fixture> {
    let r = send(stack.admin(Method::POST, "/redfish/v1/AccountService/Roles").json(&json!({
        "RoleId": "UserManager", "AssignedPrivileges": ["Login", "ConfigureUsers", "ConfigureSelf"]
    })))
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = send(
        stack
            .admin(Method::POST, "/redfish/v1/AccountService/Roles")
            .json(&json!({"RoleId": "Shared"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let target = stack
        .create_account("target", "target-pw-1234", "ReadOnly")
        .await;
    let (_, other_session) = stack
        .login(testkit::ADMIN_USER, testkit::ADMIN_PASSWORD)
        .await;
    let mut fixtures = Vec::new();
    for role in ROLES {
        let user = format!("user-{role}").to_lowercase();
        let own = stack.create_account(&user, PASSWORD, role).await;
        let victim = stack
            .create_account(
                &format!("victim-{role}").to_lowercase(),
                PASSWORD,
                "ReadOnly",
            )
            .await;
        let spare = format!("Spare-{role}");
        let r = send(
            stack
                .admin(Method::POST, "/redfish/v1/AccountService/Roles")
                .json(&json!({"RoleId": spare})),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let (_, own_session) = stack.login(&user, PASSWORD).await;
        let (_, victim_session) = stack
            .login(testkit::ADMIN_USER, testkit::ADMIN_PASSWORD)
            .await;
        let places = HashMap::from([
            ("{own}", own),
            ("{target}", target.clone()),
            ("{victim}", victim),
            (
                "{spare}",
                format!("/redfish/v1/AccountService/Roles/{spare}"),
            ),
            ("{own_session}", own_session),
            ("{other_session}", other_session.clone()),
            ("{victim_session}", victim_session),
        ]);
        fixtures.push(Fixture { user, places });
    }
    fixtures
}

fn fill(text: &str, role: &str, f: &Fixture) -> String {
    let mut out = text.replace("{role}", role).replace("{user}", &f.user);
    for (k, v) in &f.places {
        out = out.replace(k, v);
    }
    out
}

fn bmc_saw(stack: &Stack, method: &Method, path: &str) -> usize {
    stack.sims[0]
        .requests()
        .iter()
        .filter(|r| r.method == method.as_str() && r.path.split('?').next() == Some(path))
        .count()
}

#[tokio::test]
async fn role_method_route_matrix_follows_the_privilege_registry() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let fixtures = setup(&stack).await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in rows() {
        for (i, role) in ROLES.iter().enumerate() {
            let f = &fixtures[i];
            let path = fill(row.path, role, f);
            let mut rb = stack.as_user(row.method.clone(), &path, &f.user, PASSWORD);
            if let Some(body) = &row.body {
                let text = fill(&body.to_string(), role, f);
                rb = rb.header("content-type", "application/json").body(text);
            }
            let seen_before = match row.kind {
                Kind::Bmc(p) => bmc_saw(&stack, &row.method, p),
                _ => 0,
            };
            let r = send(rb).await;
            checked += 1;
            let what = format!(
                "{role} {} {path} (needs {}): got {} {}",
                row.method,
                row.needs,
                r.status,
                r.message()
            );
            let expect_allowed = row.allowed[i];
            let refused = r.status == 403 && r.message() == "InsufficientPrivilege";
            match (expect_allowed, &row.kind) {
                (true, Kind::Local) if !(200..300).contains(&r.status) => {
                    failures.push(format!("{what}, want 2xx: {}", r.body));
                }
                (true, _) if refused || r.status == 401 => {
                    failures.push(format!("{what}, want it let through"));
                }
                (false, _) if !refused => {
                    failures.push(format!("{what}, want 403 InsufficientPrivilege"));
                }
                (false, Kind::Bmc(p)) if bmc_saw(&stack, &row.method, p) != seen_before => {
                    failures.push(format!(
                        "{what}: refused, yet the BMC saw {} {p}",
                        row.method
                    ));
                }
                _ => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} cases wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The allowed aggregated requests really reached the BMC.
    assert!(bmc_saw(&stack, &Method::PATCH, "/redfish/v1/Systems/1") >= 2);
    assert!(
        bmc_saw(
            &stack,
            &Method::POST,
            "/redfish/v1/Managers/1/Actions/Manager.Reset"
        ) >= 1
    );
    stack.teardown().await;
}

#[tokio::test]
async fn only_the_documents_dsp0266_opens_are_readable_without_credentials() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    for path in [
        "/redfish",
        "/redfish/v1",
        "/redfish/v1/",
        "/redfish/v1/$metadata",
        "/redfish/v1/odata",
    ] {
        let r = send(stack.client.get(stack.url(path))).await;
        assert!(
            r.status != 401 && r.status != 403,
            "GET {path}: {}",
            r.status
        );
        let r = send(stack.client.post(stack.url(path)).json(&json!({}))).await;
        assert_eq!(r.status, 405, "POST {path}");
    }
    for path in [
        "/redfish/v1/Systems",
        "/redfish/v1/AccountService",
        "/redfish/v1/SessionService/Sessions",
        "/redfish/v1/Oem/RedDrum/Bmcs/s1",
        "/redfish/v1/JsonSchemas",
    ] {
        let r = send(stack.client.get(stack.url(path))).await;
        assert_eq!(
            (r.status, r.message()),
            (401, "NoValidSession"),
            "GET {path}"
        );
        assert!(r.header("www-authenticate").is_some(), "GET {path}");
    }
    stack.teardown().await;
}
