//! The `meta` table: small named settings (the account and session policies, as JSON).

use super::Store;
use crate::error::FrontendError;
use rusqlite::{OptionalExtension, params};

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>, FrontendError> {
        let key = key.to_owned();
        self.with(move |c| {
            Ok(
                c.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
        .await
    }

    pub async fn put_setting(&self, key: &str, value: String) -> Result<(), FrontendError> {
        let key = key.to_owned();
        self.with(move |c| {
            c.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
        .await
    }
}
