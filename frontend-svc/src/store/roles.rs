//! The `roles` table: custom roles only (the predefined ones are code, not data).

use super::Store;
use crate::error::FrontendError;
use redfish::messages::Message;
use rusqlite::{OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    pub id: String,
    pub privileges: Vec<String>,
    pub oem_privileges: Vec<String>,
}

fn encode(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned())
}

fn decode(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

impl Store {
    pub async fn custom_roles(&self) -> Result<Vec<RoleRow>, FrontendError> {
        self.with(|c| {
            let mut stmt =
                c.prepare("SELECT id, privileges, oem_privileges FROM roles ORDER BY id")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(RoleRow {
                        id: r.get(0)?,
                        privileges: decode(&r.get::<_, String>(1)?),
                        oem_privileges: decode(&r.get::<_, String>(2)?),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// Creates a custom role; 409 ResourceAlreadyExists when the id is taken.
    pub async fn insert_role(&self, role: RoleRow) -> Result<(), FrontendError> {
        self.with(move |c| {
            let tx = c.transaction()?;
            let exists = tx
                .query_row(
                    "SELECT 1 FROM roles WHERE id = ?1",
                    params![role.id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if exists {
                return Err(FrontendError::Conflict {
                    message: Message::resource_already_exists("Role", "RoleId", &role.id),
                });
            }
            tx.execute(
                "INSERT INTO roles (id, privileges, oem_privileges) VALUES (?1, ?2, ?3)",
                params![
                    role.id,
                    encode(&role.privileges),
                    encode(&role.oem_privileges)
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn update_role(&self, role: RoleRow) -> Result<(), FrontendError> {
        self.with(move |c| {
            let n = c.execute(
                "UPDATE roles SET privileges = ?2, oem_privileges = ?3 WHERE id = ?1",
                params![
                    role.id,
                    encode(&role.privileges),
                    encode(&role.oem_privileges)
                ],
            )?;
            if n == 0 {
                return Err(FrontendError::NotFound {
                    path: format!("/redfish/v1/AccountService/Roles/{}", role.id),
                });
            }
            Ok(())
        })
        .await
    }

    /// Deletes a custom role; 409 ResourceInUse while an account has it.
    pub async fn delete_role(&self, id: &str) -> Result<(), FrontendError> {
        let id = id.to_owned();
        self.with(move |c| {
            let tx = c.transaction()?;
            let users: i64 = tx.query_row(
                "SELECT COUNT(*) FROM accounts WHERE role_id = ?1",
                params![id],
                |r| r.get(0),
            )?;
            if users > 0 {
                return Err(FrontendError::Conflict {
                    message: Message::resource_in_use(),
                });
            }
            let n = tx.execute("DELETE FROM roles WHERE id = ?1", params![id])?;
            if n == 0 {
                return Err(FrontendError::NotFound {
                    path: format!("/redfish/v1/AccountService/Roles/{id}"),
                });
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }
}
