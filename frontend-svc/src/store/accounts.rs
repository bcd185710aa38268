//! The `accounts` table. Writes that must keep an invariant (unique user names, at least one
//! enabled Administrator) check it inside the same transaction as the change.

use super::Store;
use crate::error::FrontendError;
use crate::roles::ADMINISTRATOR;
use redfish::messages::Message;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role_id: String,
    pub enabled: bool,
    pub locked: bool,
    /// Epoch ms the lockout ends; None while locked = until an administrator unlocks.
    pub locked_until: Option<i64>,
    pub password_change_required: bool,
}

impl AccountRow {
    /// Locked at `now_ms` (a lockout whose time has passed no longer counts).
    pub fn locked_at(&self, now_ms: i64) -> bool {
        self.locked && self.locked_until.is_none_or(|until| until > now_ms)
    }

    pub fn uri(&self) -> String {
        account_uri(self.id)
    }
}

pub fn account_uri(id: i64) -> String {
    format!("/redfish/v1/AccountService/Accounts/{id}")
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub password_hash: String,
    pub role_id: String,
    pub enabled: bool,
    pub password_change_required: bool,
}

/// A PATCH, already validated; None = unchanged.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub username: Option<String>,
    pub password_hash: Option<String>,
    pub role_id: Option<String>,
    pub enabled: Option<bool>,
    pub unlock: bool,
    pub password_change_required: Option<bool>,
    /// Sessions of the account the change ends, in the same transaction.
    pub end_sessions: EndSessions,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EndSessions {
    #[default]
    None,
    All,
    /// All but this one (the caller's, when it changes its own password).
    AllExcept(String),
}

const COLUMNS: &str = "id, username, password_hash, role_id, enabled, locked, locked_until, \
                       password_change_required";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        id: r.get(0)?,
        username: r.get(1)?,
        password_hash: r.get(2)?,
        role_id: r.get(3)?,
        enabled: r.get(4)?,
        locked: r.get(5)?,
        locked_until: r.get(6)?,
        password_change_required: r.get(7)?,
    })
}

fn by_id(c: &Connection, id: i64) -> rusqlite::Result<Option<AccountRow>> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1"),
        params![id],
        row,
    )
    .optional()
}

fn username_taken(c: &Connection, username: &str, except: i64) -> rusqlite::Result<bool> {
    c.query_row(
        "SELECT COUNT(*) FROM accounts WHERE username = ?1 AND id != ?2",
        params![username, except],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

fn duplicate(username: &str) -> FrontendError {
    FrontendError::Conflict {
        message: Message::resource_already_exists("ManagerAccount", "UserName", username),
    }
}

fn enabled_admins(tx: &Transaction<'_>) -> rusqlite::Result<i64> {
    tx.query_row(
        "SELECT COUNT(*) FROM accounts WHERE role_id = ?1 AND enabled = 1",
        params![ADMINISTRATOR],
        |r| r.get(0),
    )
}

impl Store {
    pub async fn account_count(&self) -> Result<i64, FrontendError> {
        self.with(|c| Ok(c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))?))
            .await
    }

    pub async fn account_by_username(
        &self,
        username: &str,
    ) -> Result<Option<AccountRow>, FrontendError> {
        let username = username.to_owned();
        self.with(move |c| {
            Ok(c.query_row(
                &format!("SELECT {COLUMNS} FROM accounts WHERE username = ?1"),
                params![username],
                row,
            )
            .optional()?)
        })
        .await
    }

    pub async fn account_by_id(&self, id: i64) -> Result<Option<AccountRow>, FrontendError> {
        self.with(move |c| Ok(by_id(c, id)?)).await
    }

    /// Every account, by id.
    pub async fn accounts(&self) -> Result<Vec<AccountRow>, FrontendError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!("SELECT {COLUMNS} FROM accounts ORDER BY id"))?;
            let rows = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// Creates an account; 409 ResourceAlreadyExists when the user name is taken.
    pub async fn insert_account(&self, new: NewAccount) -> Result<i64, FrontendError> {
        self.with(move |c| {
            let tx = c.transaction()?;
            if username_taken(&tx, &new.username, -1)? {
                return Err(duplicate(&new.username));
            }
            tx.execute(
                "INSERT INTO accounts (username, password_hash, role_id, enabled, \
                 password_change_required) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    new.username,
                    new.password_hash,
                    new.role_id,
                    new.enabled,
                    new.password_change_required
                ],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(id)
        })
        .await
    }

    /// Applies a validated change in one transaction and returns the new row. Refuses (409) a
    /// taken user name and a change that would leave no enabled Administrator.
    pub async fn update_account(
        &self,
        id: i64,
        change: AccountChange,
    ) -> Result<AccountRow, FrontendError> {
        self.with(move |c| {
            let tx = c.transaction()?;
            let before = by_id(&tx, id)?.ok_or_else(|| FrontendError::NotFound {
                path: account_uri(id),
            })?;
            if let Some(u) = &change.username {
                if username_taken(&tx, u, id)? {
                    return Err(duplicate(u));
                }
                tx.execute(
                    "UPDATE accounts SET username = ?1 WHERE id = ?2",
                    params![u, id],
                )?;
            }
            if let Some(h) = &change.password_hash {
                tx.execute(
                    "UPDATE accounts SET password_hash = ?1 WHERE id = ?2",
                    params![h, id],
                )?;
            }
            if let Some(r) = &change.role_id {
                tx.execute(
                    "UPDATE accounts SET role_id = ?1 WHERE id = ?2",
                    params![r, id],
                )?;
            }
            if let Some(e) = change.enabled {
                tx.execute(
                    "UPDATE accounts SET enabled = ?1 WHERE id = ?2",
                    params![e, id],
                )?;
            }
            if change.unlock {
                tx.execute(
                    "UPDATE accounts SET locked = 0, locked_until = NULL WHERE id = ?1",
                    params![id],
                )?;
            }
            if let Some(p) = change.password_change_required {
                tx.execute(
                    "UPDATE accounts SET password_change_required = ?1 WHERE id = ?2",
                    params![p, id],
                )?;
            }
            match &change.end_sessions {
                EndSessions::None => 0,
                EndSessions::All => {
                    tx.execute("DELETE FROM sessions WHERE account_id = ?1", params![id])?
                }
                EndSessions::AllExcept(keep) => tx.execute(
                    "DELETE FROM sessions WHERE account_id = ?1 AND id != ?2",
                    params![id, keep],
                )?,
            };
            let was_admin = before.enabled && before.role_id == ADMINISTRATOR;
            if was_admin && enabled_admins(&tx)? == 0 {
                let (property, value) = match &change.role_id {
                    Some(r) if r != ADMINISTRATOR => ("RoleId", r.clone()),
                    _ => ("Enabled", "false".to_owned()),
                };
                return Err(FrontendError::Conflict {
                    message: Message::property_value_resource_conflict(
                        property,
                        &value,
                        &account_uri(id),
                    ),
                });
            }
            let after = by_id(&tx, id)?.ok_or_else(|| FrontendError::NotFound {
                path: account_uri(id),
            })?;
            tx.commit()?;
            Ok(after)
        })
        .await
    }

    /// Deletes an account (its sessions go with it); refuses (409) the last enabled
    /// Administrator.
    pub async fn delete_account(&self, id: i64) -> Result<AccountRow, FrontendError> {
        self.with(move |c| {
            let tx = c.transaction()?;
            let before = by_id(&tx, id)?.ok_or_else(|| FrontendError::NotFound {
                path: account_uri(id),
            })?;
            tx.execute("DELETE FROM accounts WHERE id = ?1", params![id])?;
            if before.enabled && before.role_id == ADMINISTRATOR && enabled_admins(&tx)? == 0 {
                return Err(FrontendError::Conflict {
                    message: Message::resource_cannot_be_deleted(),
                });
            }
            tx.commit()?;
            Ok(before)
        })
        .await
    }

    /// Locks an account after too many failed logins (`until` None = until unlocked).
    pub async fn lock_account(&self, id: i64, until: Option<i64>) -> Result<(), FrontendError> {
        self.with(move |c| {
            c.execute(
                "UPDATE accounts SET locked = 1, locked_until = ?1 WHERE id = ?2",
                params![until, id],
            )?;
            Ok(())
        })
        .await
    }

    /// True when some account has this role.
    pub async fn role_in_use(&self, role_id: &str) -> Result<bool, FrontendError> {
        let role_id = role_id.to_owned();
        self.with(move |c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM accounts WHERE role_id = ?1",
                params![role_id],
                |r| r.get::<_, i64>(0),
            )? > 0)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(username: &str, role: &str) -> NewAccount {
        NewAccount {
            username: username.into(),
            password_hash: "h".into(),
            role_id: role.into(),
            enabled: true,
            password_change_required: false,
        }
    }

    fn conflict_key(e: FrontendError) -> String {
        match e {
            FrontendError::Conflict { message } => message.key().to_owned(),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn duplicates_and_last_admin_are_refused_without_a_trace() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let admin = store
            .insert_account(new("admin", ADMINISTRATOR))
            .await
            .expect("admin");
        let e = store
            .insert_account(new("admin", "ReadOnly"))
            .await
            .expect_err("dup");
        assert_eq!(conflict_key(e), "ResourceAlreadyExists");

        // Demoting the only admin is refused, and the rename in the same change is not applied.
        let e = store
            .update_account(
                admin,
                AccountChange {
                    username: Some("root".into()),
                    role_id: Some("ReadOnly".into()),
                    ..Default::default()
                },
            )
            .await
            .expect_err("last admin");
        assert_eq!(conflict_key(e), "PropertyValueResourceConflict");
        let row = store.account_by_id(admin).await.expect("get").expect("row");
        assert_eq!(
            (row.username.as_str(), row.role_id.as_str()),
            ("admin", ADMINISTRATOR)
        );
        let e = store.delete_account(admin).await.expect_err("last admin");
        assert_eq!(conflict_key(e), "ResourceCannotBeDeleted");
        assert_eq!(store.account_count().await.expect("count"), 1);

        // With a second admin both are allowed.
        store
            .insert_account(new("second", ADMINISTRATOR))
            .await
            .expect("second");
        let row = store
            .update_account(
                admin,
                AccountChange {
                    enabled: Some(false),
                    ..Default::default()
                },
            )
            .await
            .expect("disable");
        assert!(!row.enabled);
        store.delete_account(admin).await.expect("delete");
    }

    #[tokio::test]
    async fn ending_sessions_is_part_of_the_account_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let admin = store
            .insert_account(new("admin", ADMINISTRATOR))
            .await
            .expect("admin");
        for (id, hash) in [("s1", [1u8; 32]), ("s2", [2u8; 32])] {
            store
                .insert_session(crate::store::SessionRow {
                    id: id.into(),
                    token_hash: hash,
                    account_id: admin,
                    created_ms: 0,
                    last_used_ms: 0,
                    client_ip: None,
                    context: None,
                })
                .await
                .expect("session");
        }
        let ids = |store: Store| async move {
            let mut v: Vec<String> = store
                .sessions()
                .await
                .expect("rows")
                .into_iter()
                .map(|r| r.id)
                .collect();
            v.sort();
            v
        };
        // A refused change ends nothing.
        store
            .update_account(
                admin,
                AccountChange {
                    enabled: Some(false),
                    end_sessions: EndSessions::All,
                    ..Default::default()
                },
            )
            .await
            .expect_err("last admin");
        assert_eq!(ids(store.clone()).await, ["s1", "s2"]);
        store
            .update_account(
                admin,
                AccountChange {
                    password_hash: Some("h2".into()),
                    end_sessions: EndSessions::AllExcept("s2".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("change");
        assert_eq!(ids(store.clone()).await, ["s2"]);
        store
            .insert_account(new("other", ADMINISTRATOR))
            .await
            .expect("other");
        store.delete_account(admin).await.expect("delete");
        assert!(ids(store.clone()).await.is_empty());
    }

    #[test]
    fn lockout_expires() {
        let mut row = AccountRow {
            id: 1,
            username: "u".into(),
            password_hash: String::new(),
            role_id: "ReadOnly".into(),
            enabled: true,
            locked: true,
            locked_until: Some(1000),
            password_change_required: false,
        };
        assert!(row.locked_at(999));
        assert!(!row.locked_at(1000));
        row.locked_until = None;
        assert!(row.locked_at(i64::MAX));
    }
}
