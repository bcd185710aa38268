//! Discovered members reach the store off discovery's path. They are a cache for the next start
//! (discovery reads every BMC again anyway), so a BMC's read need not wait for a sync to disk:
//! the latest list of each BMC waits here, and one writer stores everything pending in one
//! transaction. Before, every BMC's read waited for its own synced transaction on the one store
//! connection, and 1,000 BMCs queued behind each other there.

use crate::store::Store;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

type Members = Vec<(String, String)>;

#[derive(Default)]
pub struct MemberWriter {
    pending: Mutex<HashMap<String, Members>>,
    wake: Notify,
}

impl MemberWriter {
    /// `members` are now the BMC's (replacing anything pending for it).
    pub fn submit(&self, bmc: &str, members: Members) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(bmc.to_owned(), members);
        }
        self.wake.notify_one();
    }

    /// Writes what is pending until cancelled, then once more.
    pub async fn run(&self, store: Store, cancel: CancellationToken) {
        loop {
            tokio::select! {
                () = cancel.cancelled() => {
                    self.flush(&store).await;
                    return;
                }
                () = self.wake.notified() => self.flush(&store).await,
            }
        }
    }

    async fn flush(&self, store: &Store) {
        let batch: Vec<(String, Members)> = match self.pending.lock() {
            Ok(mut pending) => pending.drain().collect(),
            Err(_) => return,
        };
        if batch.is_empty() {
            return;
        }
        let count = batch.len();
        if let Err(e) = store.replace_members_of(batch).await {
            tracing::warn!(bmcs = count, error = %e, "could not persist discovered members");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn pending_members_are_stored_and_the_latest_list_wins() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let writer = Arc::new(MemberWriter::default());
        let cancel = CancellationToken::new();
        let member = |uri: &str| vec![("Systems".to_owned(), uri.to_owned())];
        // Both submitted before the writer runs: only the second list of s1 is stored.
        writer.submit("s1", member("/redfish/v1/Systems/s1-1"));
        writer.submit("s1", member("/redfish/v1/Systems/s1-2"));
        writer.submit("s2", member("/redfish/v1/Systems/s2-1"));
        let task = {
            let (writer, store, cancel) = (writer.clone(), store.clone(), cancel.clone());
            tokio::spawn(async move { writer.run(store, cancel).await })
        };
        cancel.cancel();
        task.await.expect("writer");
        let stored = store.load_members().await.expect("load");
        let uris: Vec<&str> = stored.iter().map(|m| m.odata_id.as_str()).collect();
        assert_eq!(
            uris,
            ["/redfish/v1/Systems/s1-2", "/redfish/v1/Systems/s2-1"]
        );
    }
}
