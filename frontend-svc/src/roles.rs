//! Roles: the three predefined ones (DSP0266 "Roles") and custom roles from the store, held in
//! memory so authentication never waits on SQLite for them. Writes go to the store first, then
//! here.

use crate::privileges::{Privilege, PrivilegeSet};
use crate::store::{RoleRow, Store};
use std::collections::BTreeMap;
use std::sync::RwLock;

pub const ADMINISTRATOR: &str = "Administrator";
pub const OPERATOR: &str = "Operator";
pub const READ_ONLY: &str = "ReadOnly";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub assigned: Vec<Privilege>,
    pub oem: Vec<String>,
    pub predefined: bool,
}

impl Role {
    pub fn privileges(&self) -> PrivilegeSet {
        PrivilegeSet::new(&self.assigned, &self.oem)
    }

    pub fn uri(&self) -> String {
        role_uri(&self.id)
    }

    pub fn to_row(&self) -> RoleRow {
        RoleRow {
            id: self.id.clone(),
            privileges: self.assigned.iter().map(|p| p.name().to_owned()).collect(),
            oem_privileges: self.oem.clone(),
        }
    }

    fn from_row(row: RoleRow) -> Role {
        Role {
            assigned: row
                .privileges
                .iter()
                .filter_map(|p| Privilege::parse(p))
                .collect(),
            id: row.id,
            oem: row.oem_privileges,
            predefined: false,
        }
    }
}

pub fn role_uri(id: &str) -> String {
    format!("/redfish/v1/AccountService/Roles/{id}")
}

pub fn is_predefined(id: &str) -> bool {
    [ADMINISTRATOR, OPERATOR, READ_ONLY].contains(&id)
}

/// The standard roles with the privileges DSP0266 gives them.
pub fn predefined() -> Vec<Role> {
    use Privilege::*;
    let role = |id: &str, assigned: &[Privilege]| Role {
        id: id.to_owned(),
        assigned: assigned.to_vec(),
        oem: Vec::new(),
        predefined: true,
    };
    vec![
        role(
            ADMINISTRATOR,
            &[
                Login,
                ConfigureManager,
                ConfigureUsers,
                ConfigureSelf,
                ConfigureComponents,
            ],
        ),
        role(OPERATOR, &[Login, ConfigureSelf, ConfigureComponents]),
        role(READ_ONLY, &[Login, ConfigureSelf]),
    ]
}

/// Every role by id.
pub struct RoleBook {
    roles: RwLock<BTreeMap<String, Role>>,
}

impl RoleBook {
    pub fn new(custom: Vec<RoleRow>) -> Self {
        let mut roles: BTreeMap<String, Role> = custom
            .into_iter()
            .map(Role::from_row)
            .map(|r| (r.id.clone(), r))
            .collect();
        for r in predefined() {
            roles.insert(r.id.clone(), r);
        }
        RoleBook {
            roles: RwLock::new(roles),
        }
    }

    pub async fn load(store: &Store) -> Result<Self, String> {
        let custom = store.custom_roles().await.map_err(|e| e.to_string())?;
        Ok(Self::new(custom))
    }

    pub fn get(&self, id: &str) -> Option<Role> {
        self.roles
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Predefined roles first, then custom ones by id.
    pub fn list(&self) -> Vec<Role> {
        let roles = self.roles.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<Role> = predefined()
            .into_iter()
            .filter_map(|p| roles.get(&p.id).cloned())
            .collect();
        out.extend(roles.values().filter(|r| !r.predefined).cloned());
        out
    }

    /// Adds or replaces a custom role (after the store accepted it).
    pub fn put(&self, role: Role) {
        if role.predefined || is_predefined(&role.id) {
            return;
        }
        self.roles
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(role.id.clone(), role);
    }

    pub fn remove(&self, id: &str) {
        if is_predefined(id) {
            return;
        }
        self.roles
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_roles_have_the_standard_privileges_and_cannot_be_replaced() {
        let book = RoleBook::new(vec![RoleRow {
            id: "Auditor".into(),
            privileges: vec!["Login".into(), "Bogus".into()],
            oem_privileges: vec!["OemAudit".into()],
        }]);
        let ids: Vec<String> = book.list().into_iter().map(|r| r.id).collect();
        assert_eq!(ids, [ADMINISTRATOR, OPERATOR, READ_ONLY, "Auditor"]);
        let admin = book.get(ADMINISTRATOR).expect("admin").privileges();
        assert!(Privilege::ALL.iter().all(|p| admin.has(*p)));
        let op = book.get(OPERATOR).expect("operator").privileges();
        assert!(op.has(Privilege::ConfigureComponents) && !op.has(Privilege::ConfigureManager));
        let auditor = book.get("Auditor").expect("auditor");
        assert_eq!(auditor.assigned, [Privilege::Login]);
        assert!(auditor.privileges().has_oem("OemAudit"));

        book.put(Role {
            id: READ_ONLY.into(),
            assigned: Privilege::ALL.to_vec(),
            oem: vec![],
            predefined: false,
        });
        book.remove(ADMINISTRATOR);
        assert!(book.get(ADMINISTRATOR).is_some());
        assert!(
            !book
                .get(READ_ONLY)
                .expect("ro")
                .privileges()
                .has(Privilege::ConfigureUsers)
        );
    }
}
