//! Following a BMC's Server-Sent Events stream: reconnect with backoff and `Last-Event-ID`,
//! give up on a stream silent for [`IDLE_LIMIT`] (BMCs send keep-alive comments; bmcweb every
//! 15 s), and bound what one event may take ([`MAX_EVENT_BYTES`]).

use super::bmc::{Backoff, Ctx, Ended};
use crate::error::AggError;
use bytes::{Buf, BytesMut};
use http::{HeaderName, HeaderValue};
use http_body_util::BodyExt;
use serde_json::Value;
use std::time::Duration;

/// A stream without a byte for this long is taken for dead and opened again.
const IDLE_LIMIT: Duration = Duration::from_secs(90);
/// Larger events (or a stream that never ends a line) end the stream.
const MAX_EVENT_BYTES: usize = 1 << 20;

/// One parsed SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    pub id: Option<String>,
    pub data: String,
}

/// Incremental parser of `text/event-stream` (the WHATWG rules the BMCs need: `id:`, `data:`
/// lines joined by `\n`, comments, CR/LF/CRLF line ends, a blank line ends an event).
#[derive(Default)]
pub struct Parser {
    buf: BytesMut,
    current: SseEvent,
    has_data: bool,
}

impl Parser {
    /// Feeds bytes; returns the events they complete. Err when an unfinished line or event
    /// grows past [`MAX_EVENT_BYTES`].
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, String> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.buf.iter().position(|b| *b == b'\n' || *b == b'\r') {
            // A CR at the very end may be the first half of a CRLF: wait for more.
            if self.buf[end] == b'\r' && end + 1 == self.buf.len() {
                break;
            }
            let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
            let skip = if self.buf[end] == b'\r' && self.buf.get(end + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            self.buf.advance(end + skip);
            self.line(&line, &mut out);
        }
        if self.buf.len() + self.current.data.len() > MAX_EVENT_BYTES {
            return Err("event larger than the limit".into());
        }
        Ok(out)
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                out.push(std::mem::take(&mut self.current));
            } else {
                self.current = SseEvent::default();
            }
            self.has_data = false;
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.current.data.push('\n');
                }
                self.current.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.current.id = Some(value.to_owned()),
            _ => {}
        }
    }
}

/// Follows the stream at `uri` until the BMC stops offering it or the task is cancelled.
pub async fn follow(ctx: &Ctx, uri: &str) -> Ended {
    let mut last_id: Option<String> = None;
    let mut backoff = Backoff::new(ctx.retry_max);
    loop {
        let mut headers = vec![(
            http::header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        )];
        if let Some(id) = &last_id
            && let Ok(v) = HeaderValue::from_str(id)
        {
            headers.push((HeaderName::from_static("last-event-id"), v));
        }
        let opened = tokio::select! {
            () = ctx.cancel.cancelled() => return Ended::Cancelled,
            o = ctx.entry.client.open_stream(uri, &headers) => o,
        };
        match opened {
            Ok(response) if response.status().is_success() && is_event_stream(&response) => {
                tracing::info!(bmc = %ctx.entry.id, "following the BMC's event stream");
                match read(ctx, response.into_body(), &mut last_id, &mut backoff).await {
                    Some(ended) => return ended,
                    None => {
                        tracing::info!(bmc = %ctx.entry.id, "the BMC's event stream ended; opening it again")
                    }
                }
            }
            Ok(response)
                if matches!(response.status().as_u16(), 404 | 405 | 501)
                    || (response.status().is_success() && !is_event_stream(&response)) =>
            {
                tracing::warn!(bmc = %ctx.entry.id, status = response.status().as_u16(), "the BMC's event stream is not there; reading its EventService again");
                return Ended::Gone;
            }
            Ok(response) => {
                tracing::warn!(bmc = %ctx.entry.id, status = response.status().as_u16(), "the BMC refused its event stream");
            }
            Err(e) => log_open_failure(ctx, &e),
        }
        if !backoff.sleep(&ctx.cancel).await {
            return Ended::Cancelled;
        }
    }
}

fn log_open_failure(ctx: &Ctx, e: &AggError) {
    tracing::debug!(bmc = %ctx.entry.id, error = %e, "cannot open the BMC's event stream");
}

fn is_event_stream<B>(response: &http::Response<B>) -> bool {
    response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
}

/// Reads the body until it ends (None) or the task is cancelled.
async fn read(
    ctx: &Ctx,
    mut body: hyper::body::Incoming,
    last_id: &mut Option<String>,
    backoff: &mut Backoff,
) -> Option<Ended> {
    let mut parser = Parser::default();
    loop {
        let frame = tokio::select! {
            () = ctx.cancel.cancelled() => return Some(Ended::Cancelled),
            f = tokio::time::timeout(IDLE_LIMIT, body.frame()) => f,
        };
        let bytes = match frame {
            Err(_) => {
                tracing::warn!(bmc = %ctx.entry.id, "the BMC's event stream went silent");
                return None;
            }
            Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(frame))) => match frame.into_data() {
                Ok(b) => b,
                Err(_) => continue,
            },
        };
        // The stream works: the next failure starts the backoff afresh.
        backoff.reset();
        let events = match parser.feed(&bytes) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(bmc = %ctx.entry.id, error = %e, "the BMC's event stream is unusable; opening it again");
                return None;
            }
        };
        for event in events {
            if event.id.is_some() {
                last_id.clone_from(&event.id);
            }
            match serde_json::from_str::<Value>(&event.data) {
                Ok(payload) => ctx.publish_payload(payload),
                Err(_) => {
                    tracing::debug!(bmc = %ctx.entry.id, "an event on the stream is not JSON; skipped")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_parsed_across_chunks_and_line_ends() {
        let mut p = Parser::default();
        assert!(p.feed(b": keep-alive\n\nid: 1\nda").expect("ok").is_empty());
        let got = p
            .feed(b"ta: {\"a\":\r\ndata: 1}\r\n\r\nid: 2\rdata: x\r\r\n")
            .expect("ok");
        assert_eq!(
            got,
            vec![
                SseEvent {
                    id: Some("1".into()),
                    data: "{\"a\":\n1}".into()
                },
                SseEvent {
                    id: Some("2".into()),
                    data: "x".into()
                },
            ]
        );
        // A CR alone at the end waits for its LF.
        assert!(p.feed(b"data: y\r").expect("ok").is_empty());
        assert_eq!(
            p.feed(b"\n\n").expect("ok"),
            vec![SseEvent {
                id: None,
                data: "y".into()
            }]
        );
        // An id without data is no event.
        assert!(p.feed(b"id: 9\n\n").expect("ok").is_empty());
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut p = Parser::default();
        let chunk = vec![b'a'; 64 * 1024];
        let mut failed = false;
        for _ in 0..32 {
            if p.feed(&chunk).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
    }
}
