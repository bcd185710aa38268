//! The custom Aggregates of the AggregationService: a name and an ordered list of element URIs
//! each. The built-in `Rack` aggregate is computed from the inventory and never stored. Ids are
//! the row's AUTOINCREMENT number, so a deleted aggregate's Id never names a new one.

use super::Store;
use crate::error::AggError;
use rusqlite::{OptionalExtension, Transaction, params};

/// One custom aggregate as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAggregate {
    pub id: String,
    /// None: the client gave no Name.
    pub name: Option<String>,
    /// Element URIs in the order they were added.
    pub elements: Vec<String>,
}

/// What a RemoveElements did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    Done(StoredAggregate),
    NoAggregate,
    /// This URI is not an element of the aggregate; nothing was removed.
    NotAnElement(String),
}

/// The row id of an aggregate Id; anything not a positive number names no stored aggregate.
fn row_id(id: &str) -> Option<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0 && n.to_string() == id)
}

fn read(tx: &rusqlite::Connection, seq: i64) -> rusqlite::Result<Option<StoredAggregate>> {
    let name: Option<Option<String>> = tx
        .query_row(
            "SELECT name FROM aggregates WHERE seq = ?1",
            params![seq],
            |r| r.get(0),
        )
        .optional()?;
    let Some(name) = name else {
        return Ok(None);
    };
    let mut stmt = tx.prepare(
        "SELECT odata_id FROM aggregate_elements WHERE aggregate = ?1 ORDER BY position",
    )?;
    let elements = stmt
        .query_map(params![seq], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(Some(StoredAggregate {
        id: seq.to_string(),
        name,
        elements,
    }))
}

/// Appends the URIs not already elements, after the last one.
fn append(tx: &Transaction<'_>, seq: i64, elements: &[String]) -> rusqlite::Result<()> {
    let mut position: i64 = tx.query_row(
        "SELECT COALESCE(MAX(position), 0) FROM aggregate_elements WHERE aggregate = ?1",
        params![seq],
        |r| r.get(0),
    )?;
    let mut insert = tx.prepare(
        "INSERT OR IGNORE INTO aggregate_elements (aggregate, odata_id, position) VALUES (?1, ?2, ?3)",
    )?;
    for uri in elements {
        position += 1;
        insert.execute(params![seq, uri, position])?;
    }
    Ok(())
}

impl Store {
    /// Every custom aggregate, oldest first.
    pub async fn aggregates(&self) -> Result<Vec<StoredAggregate>, AggError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let seqs = {
                let mut stmt = tx.prepare("SELECT seq FROM aggregates ORDER BY seq")?;
                stmt.query_map([], |r| r.get::<_, i64>(0))?
                    .collect::<rusqlite::Result<Vec<i64>>>()?
            };
            let mut all = Vec::with_capacity(seqs.len());
            for seq in seqs {
                all.extend(read(&tx, seq)?);
            }
            tx.commit()?;
            Ok(all)
        })
        .await
    }

    pub async fn aggregate(&self, id: &str) -> Result<Option<StoredAggregate>, AggError> {
        let Some(seq) = row_id(id) else {
            return Ok(None);
        };
        self.with(move |c| read(c, seq)).await
    }

    /// Creates an aggregate with these elements (duplicates kept once) in one transaction.
    pub async fn create_aggregate(
        &self,
        name: Option<String>,
        elements: Vec<String>,
    ) -> Result<StoredAggregate, AggError> {
        self.with(move |c| {
            let tx = c.transaction()?;
            tx.execute("INSERT INTO aggregates (name) VALUES (?1)", params![name])?;
            let seq = tx.last_insert_rowid();
            append(&tx, seq, &elements)?;
            let created = read(&tx, seq)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            tx.commit()?;
            Ok(created)
        })
        .await
    }

    /// Deletes an aggregate and its elements; false when there was none.
    pub async fn delete_aggregate(&self, id: &str) -> Result<bool, AggError> {
        let Some(seq) = row_id(id) else {
            return Ok(false);
        };
        self.with(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM aggregate_elements WHERE aggregate = ?1",
                params![seq],
            )?;
            let deleted = tx.execute("DELETE FROM aggregates WHERE seq = ?1", params![seq])?;
            tx.commit()?;
            Ok(deleted > 0)
        })
        .await
    }

    /// Adds the elements not already in the aggregate; None when the aggregate does not exist.
    pub async fn add_aggregate_elements(
        &self,
        id: &str,
        elements: Vec<String>,
    ) -> Result<Option<StoredAggregate>, AggError> {
        let Some(seq) = row_id(id) else {
            return Ok(None);
        };
        self.with(move |c| {
            let tx = c.transaction()?;
            if read(&tx, seq)?.is_none() {
                return Ok(None);
            }
            append(&tx, seq, &elements)?;
            let after = read(&tx, seq)?;
            tx.commit()?;
            Ok(after)
        })
        .await
    }

    /// Removes the elements, all or none: every URI must be an element when the transaction runs.
    pub async fn remove_aggregate_elements(
        &self,
        id: &str,
        elements: Vec<String>,
    ) -> Result<Removal, AggError> {
        let Some(seq) = row_id(id) else {
            return Ok(Removal::NoAggregate);
        };
        self.with(move |c| {
            let tx = c.transaction()?;
            let Some(current) = read(&tx, seq)? else {
                return Ok(Removal::NoAggregate);
            };
            if let Some(stranger) = elements.iter().find(|e| !current.elements.contains(e)) {
                return Ok(Removal::NotAnElement(stranger.clone()));
            }
            for uri in &elements {
                tx.execute(
                    "DELETE FROM aggregate_elements WHERE aggregate = ?1 AND odata_id = ?2",
                    params![seq, uri],
                )?;
            }
            let after = read(&tx, seq)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            tx.commit()?;
            Ok(Removal::Done(after))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uris(list: &[&str]) -> Vec<String> {
        list.iter()
            .map(|u| format!("/redfish/v1/Systems/{u}"))
            .collect()
    }

    #[tokio::test]
    async fn aggregates_keep_their_elements_in_order_across_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let a = store
            .create_aggregate(Some("web".into()), uris(&["s1-1", "s2-1", "s1-1"]))
            .await
            .expect("create");
        assert_eq!((a.id.as_str(), a.elements.len()), ("1", 2));
        let b = store.create_aggregate(None, Vec::new()).await.expect("b");
        assert_eq!((b.id.as_str(), b.name), ("2", None));
        let added = store
            .add_aggregate_elements("1", uris(&["s2-1", "s3-1"]))
            .await
            .expect("add")
            .expect("exists");
        assert_eq!(added.elements, uris(&["s1-1", "s2-1", "s3-1"]));
        let again = Store::open(dir.path()).expect("reopen");
        let all = again.aggregates().await.expect("list");
        assert_eq!(
            all.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            ["1", "2"]
        );
        assert_eq!(all[0].elements, uris(&["s1-1", "s2-1", "s3-1"]));
        assert_eq!(all[0].name.as_deref(), Some("web"));
    }

    #[tokio::test]
    async fn removal_is_all_or_nothing_and_ids_are_never_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        store
            .create_aggregate(None, uris(&["s1-1", "s2-1"]))
            .await
            .expect("create");
        assert_eq!(
            store
                .remove_aggregate_elements("1", uris(&["s1-1", "s9-1"]))
                .await
                .expect("remove"),
            Removal::NotAnElement("/redfish/v1/Systems/s9-1".into())
        );
        let Removal::Done(after) = store
            .remove_aggregate_elements("1", uris(&["s1-1"]))
            .await
            .expect("remove")
        else {
            panic!("not removed");
        };
        assert_eq!(after.elements, uris(&["s2-1"]));
        assert_eq!(
            store
                .remove_aggregate_elements("7", Vec::new())
                .await
                .expect("none"),
            Removal::NoAggregate
        );
        assert!(store.delete_aggregate("1").await.expect("delete"));
        assert!(!store.delete_aggregate("1").await.expect("again"));
        assert_eq!(store.aggregate("1").await.expect("read"), None);
        for odd in ["01", "-1", "Rack", "0", ""] {
            assert_eq!(store.aggregate(odd).await.expect("read"), None, "{odd}");
        }
        let next = store
            .create_aggregate(None, Vec::new())
            .await
            .expect("next");
        assert_eq!(next.id, "2");
        assert!(
            store
                .add_aggregate_elements("1", uris(&["s1-1"]))
                .await
                .expect("add")
                .is_none()
        );
    }
}
