//! AccountService (Accounts, Roles) and SessionService (Sessions).

use serde_json::{Value, json};

use super::common::{link, ok_status};
use super::types as t;
use super::{Layout, TreeBuilder};
use crate::store::Caps;

pub(crate) const ACCOUNTS: &str = "/redfish/v1/AccountService/Accounts";
pub(crate) const ROLES: &str = "/redfish/v1/AccountService/Roles";
pub(crate) const SESSIONS: &str = "/redfish/v1/SessionService/Sessions";

/// Roles every profile defines, with their privileges.
pub(crate) const ROLE_IDS: [&str; 3] = ["Administrator", "Operator", "ReadOnly"];

/// What an account PATCH may change.
pub(crate) const ACCOUNT_CAPS: Caps =
    Caps::patch(&["/UserName", "/Password", "/RoleId", "/Enabled", "/Locked"]).deletable();

/// Capabilities of a session (DELETE logs out).
pub(crate) const SESSION_CAPS: Caps = Caps::READ.deletable();

pub(super) fn build(b: &mut TreeBuilder, admin_user: &str) {
    let l = b.layout().clone();
    b.add(
        json!({
            "@odata.id": "/redfish/v1/AccountService",
            "@odata.type": t::ACCOUNT_SERVICE,
            "Id": "AccountService",
            "Name": "Account Service",
            "ServiceEnabled": true,
            "AuthFailureLoggingThreshold": 3,
            "MinPasswordLength": 4,
            "MaxPasswordLength": 40,
            "AccountLockoutThreshold": 0,
            "AccountLockoutDuration": 0,
            "AccountLockoutCounterResetAfter": 0,
            "Accounts": link(ACCOUNTS),
            "Roles": link(ROLES),
            "Status": ok_status(),
        }),
        Caps::patch(&[
            "/AuthFailureLoggingThreshold",
            "/MinPasswordLength",
            "/AccountLockoutThreshold",
            "/AccountLockoutDuration",
            "/AccountLockoutCounterResetAfter",
        ]),
    );
    let admin_path = format!("{ACCOUNTS}/{}", l.ids.admin_account);
    b.collection(
        ACCOUNTS,
        "ManagerAccount",
        "Accounts Collection",
        std::slice::from_ref(&admin_path),
        Caps::CREATE,
    );
    b.add(
        account(&l, l.ids.admin_account, admin_user, "Administrator"),
        ACCOUNT_CAPS,
    );
    let roles: Vec<String> = ROLE_IDS.iter().map(|r| format!("{ROLES}/{r}")).collect();
    b.collection(ROLES, "Role", "Roles Collection", &roles, Caps::READ);
    for (id, path) in ROLE_IDS.iter().zip(&roles) {
        let privileges: &[&str] = match *id {
            "Administrator" => &[
                "Login",
                "ConfigureManager",
                "ConfigureUsers",
                "ConfigureSelf",
                "ConfigureComponents",
            ],
            "Operator" => &["Login", "ConfigureSelf", "ConfigureComponents"],
            _ => &["Login", "ConfigureSelf"],
        };
        b.add(
            json!({
                "@odata.id": path,
                "@odata.type": t::ROLE,
                "Id": id,
                "Name": format!("{id} Role"),
                "RoleId": id,
                "IsPredefined": true,
                "AssignedPrivileges": privileges,
            }),
            Caps::READ,
        );
    }
    if b.shape().no_session_service {
        return;
    }
    b.add(
        json!({
            "@odata.id": "/redfish/v1/SessionService",
            "@odata.type": t::SESSION_SERVICE,
            "Id": "SessionService",
            "Name": "Session Service",
            "ServiceEnabled": true,
            "SessionTimeout": 1800,
            "Sessions": link(SESSIONS),
            "Status": ok_status(),
        }),
        Caps::patch(&["/SessionTimeout"]),
    );
    b.collection(SESSIONS, "Session", "Session Collection", &[], Caps::CREATE);
}

/// A ManagerAccount body (the password is never shown).
pub(crate) fn account(l: &Layout, id: &str, user: &str, role: &str) -> Value {
    let _ = l;
    json!({
        "@odata.id": format!("{ACCOUNTS}/{id}"),
        "@odata.type": t::ACCOUNT,
        "Id": id,
        "Name": "User Account",
        "Description": "User Account",
        "UserName": user,
        "Password": null,
        "RoleId": role,
        "RoleId@Redfish.AllowableValues": ROLE_IDS,
        "Enabled": true,
        "Locked": false,
        "AccountTypes": ["Redfish"],
        "Links": { "Role": link(&format!("{ROLES}/{role}")) },
    })
}

/// A Session body.
pub(crate) fn session(id: &str, user: &str) -> Value {
    json!({
        "@odata.id": format!("{SESSIONS}/{id}"),
        "@odata.type": t::SESSION,
        "Id": id,
        "Name": "User Session",
        "Description": "Manager User Session",
        "UserName": user,
        "SessionType": "Redfish",
    })
}
