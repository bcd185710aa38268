//! AggregationSources added through the API, in the order they were added. The password is
//! stored sealed; this module never sees it in clear.

use super::Store;
use crate::error::AggError;
use rusqlite::params;

#[derive(Clone, PartialEq, Eq)]
pub struct StoredSource {
    pub id: String,
    pub url: String,
    pub username: String,
    pub sealed_password: Vec<u8>,
    pub verify_tls: bool,
    pub pdu_socket: Option<String>,
    pub trust_on_first_use: bool,
}

impl std::fmt::Debug for StoredSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSource")
            .field("id", &self.id)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Store {
    pub async fn load_sources(&self) -> Result<Vec<StoredSource>, AggError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, url, username, sealed_password, verify_tls, pdu_socket, trust_on_first_use
                 FROM aggregation_sources ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(StoredSource {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    username: r.get(2)?,
                    sealed_password: r.get(3)?,
                    verify_tls: r.get(4)?,
                    pdu_socket: r.get(5)?,
                    trust_on_first_use: r.get(6)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    /// Adds or replaces a source (a replaced one keeps its place in the order).
    pub async fn save_source(&self, source: StoredSource) -> Result<(), AggError> {
        self.with(move |c| {
            c.execute(
                "INSERT INTO aggregation_sources (id, seq, url, username, sealed_password, verify_tls, pdu_socket, trust_on_first_use)
                 VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM aggregation_sources), ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(id) DO UPDATE SET url = excluded.url, username = excluded.username,
                   sealed_password = excluded.sealed_password, verify_tls = excluded.verify_tls,
                   pdu_socket = excluded.pdu_socket, trust_on_first_use = excluded.trust_on_first_use",
                params![
                    source.id,
                    source.url,
                    source.username,
                    source.sealed_password,
                    source.verify_tls,
                    source.pdu_socket,
                    source.trust_on_first_use
                ],
            )
            .map(|_| ())
        })
        .await
    }

    /// Removes a source, everything discovered through it and its pinned certificate, in one
    /// transaction.
    pub async fn delete_source(&self, id: &str) -> Result<(), AggError> {
        let id = id.to_owned();
        self.with(move |c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM aggregation_sources WHERE id = ?1", params![id])?;
            tx.execute("DELETE FROM members WHERE bmc_id = ?1", params![id])?;
            tx.execute("DELETE FROM tls_pins WHERE bmc_id = ?1", params![id])?;
            tx.commit()
        })
        .await
    }
}
