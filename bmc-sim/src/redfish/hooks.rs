//! Side effects and extra checks of PATCH on special resources (BIOS settings, accounts).

use serde_json::{Map, Value, json};

use super::error::ApiError;
use crate::bmc::{BmcState, User};
use crate::tree::accounts::ROLES;

/// Pending BIOS attributes must exist in the current BIOS and keep their JSON type.
pub(crate) fn check_bios(
    st: &BmcState,
    settings_path: &str,
    changes: &Map<String, Value>,
) -> Result<(), Vec<ApiError>> {
    let bios_path = settings_path.trim_end_matches("/Settings");
    let current = st
        .store
        .get(bios_path)
        .and_then(|e| e.body.get("Attributes").and_then(Value::as_object).cloned())
        .unwrap_or_default();
    let mut errors = Vec::new();
    for (key, value) in changes {
        if key != "Attributes" {
            continue;
        }
        let Some(attrs) = value.as_object() else {
            errors.push(ApiError::PropertyValueType {
                value: value.to_string(),
                prop: "/Attributes".into(),
            });
            continue;
        };
        for (name, v) in attrs {
            let ptr = format!("/Attributes/{name}");
            match current.get(name) {
                None => errors.push(ApiError::PropertyUnknown(ptr)),
                Some(cur) if std::mem::discriminant(cur) != std::mem::discriminant(v) => errors
                    .push(ApiError::PropertyValueType {
                        value: v.to_string(),
                        prop: ptr,
                    }),
                Some(_) => {}
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// After an account PATCH: password and user name go to the credential table, never the body.
pub(crate) fn account_patched(
    st: &mut BmcState,
    old: &Value,
    new: &mut Value,
) -> Result<(), Vec<ApiError>> {
    let old_user = old
        .get("UserName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let new_user = new
        .get("UserName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let password = new
        .get("Password")
        .and_then(Value::as_str)
        .map(str::to_string);
    new["Password"] = Value::Null;
    let enabled = new.get("Enabled").and_then(Value::as_bool).unwrap_or(true);
    if new_user != old_user && st.users.contains_key(&new_user) {
        return Err(vec![ApiError::AlreadyExists {
            kind: "ManagerAccount".into(),
            prop: "UserName".into(),
            value: new_user,
        }]);
    }
    let mut rec = st.users.remove(&old_user).unwrap_or(User {
        password: String::new(),
        enabled,
    });
    let changed_secret = password.is_some() || new_user != old_user || (rec.enabled && !enabled);
    if let Some(p) = password {
        rec.password = p;
    }
    rec.enabled = enabled;
    st.users.insert(new_user, rec);
    if changed_secret {
        st.end_sessions_of(&old_user);
    }
    if let Some(role) = new
        .get("RoleId")
        .and_then(Value::as_str)
        .map(str::to_string)
    {
        let link = st.store.layout().link(&format!("{ROLES}/{role}"));
        new["Links"] = json!({ "Role": link });
    }
    Ok(())
}
