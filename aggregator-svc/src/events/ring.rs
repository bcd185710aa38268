//! The recent events, for Server-Sent Event streams: a bounded ring of event payloads, each with
//! an id that only grows, and a broadcast of new ones. A stream opened with `Last-Event-ID` first
//! replays what the ring holds after that id, then follows live; an id older than the ring
//! replays from the oldest held.
//!
//! Ids start at the aggregator's start time in microseconds and count up by one per event, so a
//! restarted aggregator never reuses an id a client already holds (unless it published more than
//! a million events per second, or the clock went back).

use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// One event as every SSE stream sends it.
#[derive(Debug)]
pub struct Stored {
    pub id: u64,
    pub record: Value,
    /// The Event resource (`data:` of the stream), serialized once for every client.
    pub payload: bytes::Bytes,
}

pub struct Ring {
    inner: Mutex<Inner>,
    capacity: usize,
}

struct Inner {
    next_id: u64,
    events: VecDeque<Arc<Stored>>,
    live: broadcast::Sender<Arc<Stored>>,
}

/// A stream's start: the replay, then live events (ids above the replay's last).
pub struct Opened {
    pub replay: Vec<Arc<Stored>>,
    pub live: broadcast::Receiver<Arc<Stored>>,
}

impl Ring {
    /// `capacity` events kept; a live reader more than `lag` events behind is cut off (it
    /// reconnects with Last-Event-ID and resumes from the ring).
    pub fn new(capacity: usize, lag: usize) -> Self {
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX / 2))
            .unwrap_or(1);
        let (live, _) = broadcast::channel(lag.max(1));
        Ring {
            inner: Mutex::new(Inner {
                next_id: start,
                events: VecDeque::with_capacity(capacity),
                live,
            }),
            capacity: capacity.max(1),
        }
    }

    /// Numbers, keeps and broadcasts one record; never waits.
    pub fn push(&self, record: Value) -> Arc<Stored> {
        let Ok(mut inner) = self.inner.lock() else {
            return Arc::new(Stored {
                id: 0,
                record,
                payload: bytes::Bytes::new(),
            });
        };
        let id = inner.next_id;
        inner.next_id += 1;
        let event = json!({
            "@odata.type": "#Event.v1_7_0.Event",
            "Id": id.to_string(),
            "Name": "Rack aggregator event",
            "Events": [record],
        });
        let stored = Arc::new(Stored {
            id,
            payload: bytes::Bytes::from(serde_json::to_vec(&event).unwrap_or_default()),
            record,
        });
        if inner.events.len() >= self.capacity {
            inner.events.pop_front();
        }
        inner.events.push_back(stored.clone());
        // No receivers is no error: nobody streams.
        let _ = inner.live.send(stored.clone());
        stored
    }

    /// The events after `last_event_id` (all held when None) and the live feed after them, taken
    /// under one lock so none falls between the two.
    pub fn open(&self, last_event_id: Option<u64>) -> Option<Opened> {
        let inner = self.inner.lock().ok()?;
        let replay = match last_event_id {
            Some(last) => inner
                .events
                .iter()
                .filter(|e| e.id > last)
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        Some(Opened {
            replay,
            live: inner.live.subscribe(),
        })
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.events.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resume_replays_only_what_followed_and_the_ring_stays_bounded() {
        let ring = Ring::new(3, 8);
        let ids: Vec<u64> = (0..5).map(|i| ring.push(json!({"n": i})).id).collect();
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
        assert_eq!(ring.len(), 3);
        let opened = ring.open(Some(ids[2])).expect("open");
        let replayed: Vec<u64> = opened.replay.iter().map(|e| e.id).collect();
        assert_eq!(replayed, vec![ids[3], ids[4]]);
        // Older than the ring: from the oldest held.
        let opened = ring.open(Some(ids[0])).expect("open");
        assert_eq!(opened.replay.first().map(|e| e.id), Some(ids[2]));
        let mut live = ring.open(None).expect("open").live;
        let next = ring.push(json!({"n": 5}));
        assert_eq!(live.recv().await.expect("live").id, next.id);
    }
}
