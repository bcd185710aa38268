//! Certificates pinned on first use, one per BMC (see `crate::tofu`).

use super::Store;
use crate::error::AggError;
use crate::tofu::{Fingerprint, StoredPin};
use rusqlite::params;

impl Store {
    /// Every pin; a row whose fingerprint cannot be read is skipped (pinned afresh).
    pub async fn load_pins(&self) -> Result<Vec<StoredPin>, AggError> {
        let rows: Vec<(String, String, String)> = self
            .with(|c| {
                let mut stmt = c.prepare("SELECT bmc_id, origin, sha256 FROM tls_pins")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect()
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(bmc_id, origin, sha256)| {
                let fingerprint = Fingerprint::parse(&sha256);
                if fingerprint.is_none() {
                    tracing::warn!(bmc = %bmc_id, "stored certificate pin unreadable; the BMC is pinned afresh");
                }
                Some(StoredPin {
                    bmc_id,
                    origin,
                    fingerprint: fingerprint?,
                })
            })
            .collect())
    }

    /// Stores (or replaces) a BMC's pin.
    pub async fn save_pin(&self, pin: StoredPin) -> Result<(), AggError> {
        let pinned_at = crate::rack::clock::now();
        self.with(move |c| {
            c.execute(
                "INSERT INTO tls_pins (bmc_id, origin, sha256, pinned_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(bmc_id) DO UPDATE SET origin = excluded.origin,
                   sha256 = excluded.sha256, pinned_at = excluded.pinned_at",
                params![
                    pin.bmc_id,
                    pin.origin,
                    pin.fingerprint.to_string(),
                    pinned_at
                ],
            )
            .map(|_| ())
        })
        .await
    }

    pub async fn delete_pin(&self, bmc_id: &str) -> Result<(), AggError> {
        let bmc_id = bmc_id.to_owned();
        self.with(move |c| {
            c.execute("DELETE FROM tls_pins WHERE bmc_id = ?1", params![bmc_id])
                .map(|_| ())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pins_survive_reopen_and_are_replaced_per_bmc() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pin = |bmc: &str, der: &[u8]| StoredPin {
            bmc_id: bmc.into(),
            origin: format!("https://{bmc}"),
            fingerprint: Fingerprint::of(der),
        };
        {
            let store = Store::open(dir.path()).expect("open");
            store.save_pin(pin("s1", b"one")).await.expect("save");
            store.save_pin(pin("s2", b"two")).await.expect("save");
            store.save_pin(pin("s1", b"three")).await.expect("replace");
        }
        let store = Store::open(dir.path()).expect("reopen");
        let mut pins = store.load_pins().await.expect("load");
        pins.sort_by(|a, b| a.bmc_id.cmp(&b.bmc_id));
        assert_eq!(pins, vec![pin("s1", b"three"), pin("s2", b"two")]);
        store.delete_pin("s1").await.expect("delete");
        assert_eq!(
            store.load_pins().await.expect("load"),
            vec![pin("s2", b"two")]
        );
    }
}
