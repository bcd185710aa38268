//! The aggregate's own events: every entry of the rack manager's log (a BMC down or back,
//! discovery results, AggregationSources added or removed, resets, reseats, writes to the
//! rack's resources, certificate pins) goes to the EventService's subscribers as well, its
//! origin the entry's (the rack manager where it names none).

use crate::AppState;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Log entries waiting for the subscribers; past it they are logged only.
const QUEUE: usize = 1024;

pub async fn forward(state: Arc<AppState>, cancel: CancellationToken) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(QUEUE);
    state.rack.log.forward_to(tx);
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => return,
            n = rx.recv() => n,
        };
        let Some((message, origin)) = next else {
            return;
        };
        let origin =
            origin.unwrap_or_else(|| crate::rack::manager_uri(&state.rack.settings().manager.id));
        state.events.publish_message(&message, &origin);
    }
}
