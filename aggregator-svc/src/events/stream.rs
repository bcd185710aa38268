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
