//! One Server-Sent Event stream as the aggregator feeds it: the replay after Last-Event-ID, then
//! live events, each matching the stream's `$filter`, each once. It ends when the aggregator
//! stops, or when its reader falls more than [`super::SSE_LAG`] events behind (the client then
//! resumes with Last-Event-ID from the ring, so a slow client costs bounded memory and, within
//! the ring, loses nothing). Dropping it (the client went away) frees everything it holds.

use super::filter::StreamFilter;
use super::ring::{Opened, Stored};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

pub struct EventStream {
    replay: VecDeque<Arc<Stored>>,
    live: tokio::sync::broadcast::Receiver<Arc<Stored>>,
    filter: StreamFilter,
    stop: CancellationToken,
    metrics: crate::metrics::EventMetrics,
    /// The highest id handed out, so a live event also replayed is not sent twice.
    last: u64,
}

impl EventStream {
    pub(super) fn new(
        opened: Opened,
        filter: StreamFilter,
        stop: CancellationToken,
        metrics: crate::metrics::EventMetrics,
    ) -> Self {
        metrics.sse_streams.inc();
        EventStream {
            replay: opened.replay.into(),
            live: opened.live,
            filter,
            stop,
            metrics,
            last: 0,
        }
    }

    /// The next event for this stream; None when it ends.
    pub async fn next(&mut self) -> Option<Arc<Stored>> {
        loop {
            let event = match self.replay.pop_front() {
                Some(e) => e,
                None => tokio::select! {
                    received = self.live.recv() => match received {
                        Ok(e) => e,
                        Err(RecvError::Lagged(skipped)) => {
                            self.metrics.sse_lagged.inc();
                            tracing::info!(skipped, "SSE client fell behind; its stream is cut");
                            return None;
                        }
                        Err(RecvError::Closed) => return None,
                    },
                    () = self.stop.cancelled() => return None,
                },
            };
            if event.id <= self.last {
                continue;
            }
            self.last = event.id;
            if self.filter.matches(&event.record) {
                return Some(event);
            }
        }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.metrics.sse_streams.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::ring::Ring;
    use serde_json::json;

    fn open(ring: &Ring, last: Option<u64>, metrics: &crate::metrics::EventMetrics) -> EventStream {
        EventStream::new(
            ring.open(last).expect("open"),
            StreamFilter::all(),
            CancellationToken::new(),
            metrics.clone(),
        )
    }

    /// A reader that falls behind is cut (bounded memory), counted, and its resume from the
    /// ring loses nothing the ring holds.
    #[tokio::test]
    async fn a_reader_too_far_behind_is_cut_and_resumes_from_the_ring() {
        let metrics = crate::metrics::EventMetrics::default();
        let ring = Ring::new(100, 4);
        let mut slow = open(&ring, None, &metrics);
        let first = ring.push(json!({"n": 0})).id;
        assert_eq!(slow.next().await.map(|e| e.id), Some(first));
        for n in 1..10 {
            ring.push(json!({ "n": n }));
        }
        assert!(slow.next().await.is_none(), "cut after falling 4 behind");
        assert_eq!(metrics.sse_lagged.get(), 1);
        let mut resumed = open(&ring, Some(first), &metrics);
        for n in 1..10 {
            let e = resumed.next().await.expect("replayed");
            assert_eq!(e.record["n"], n);
        }
        assert_eq!(metrics.sse_streams.get(), 2);
        drop((slow, resumed));
        assert_eq!(
            metrics.sse_streams.get(),
            0,
            "a dropped stream is counted out"
        );
    }

    #[tokio::test]
    async fn a_stopped_service_ends_its_streams() {
        let metrics = crate::metrics::EventMetrics::default();
        let ring = Ring::new(10, 4);
        let stop = CancellationToken::new();
        let mut stream = EventStream::new(
            ring.open(None).expect("open"),
            StreamFilter::all(),
            stop.clone(),
            metrics,
        );
        stop.cancel();
        assert!(stream.next().await.is_none());
    }
}
