//! Event receivers for tests: a subscriber [`Sink`] (a real HTTP listener on loopback that
//! records every POST) and an [`SseReader`] over a streamed GET.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// One POST as the subscriber received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// Header names lower-cased, values as sent.
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `EventId` of the first (only) event record.
    pub fn event_id(&self) -> &str {
        self.body["Events"][0]["EventId"].as_str().unwrap_or("")
    }
}

/// An event subscriber: answers every POST with `status` (settable), counts and records them.
pub struct Sink {
    pub url: String,
    pub attempts: Arc<AtomicUsize>,
    status: Arc<AtomicU16>,
    rx: mpsc::UnboundedReceiver<Received>,
    task: tokio::task::JoinHandle<()>,
}

impl Sink {
    pub async fn start(status: u16) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/events", listener.local_addr().expect("addr"));
        let (tx, rx) = mpsc::unbounded_channel();
        let attempts = Arc::new(AtomicUsize::new(0));
        let status = Arc::new(AtomicU16::new(status));
        let (a, s) = (attempts.clone(), status.clone());
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (tx, a, s) = (tx.clone(), a.clone(), s.clone());
                tokio::spawn(async move {
                    if let Some(received) = serve_one(socket, &a, &s).await {
                        let _ = tx.send(received);
                    }
                });
            }
        });
        Sink {
            url,
            attempts,
            status,
            rx,
            task,
        }
    }

    /// What the next POST is answered with.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    pub fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }

    /// The next POST answered 2xx, within a generous deadline (panics past it).
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
            .await
            .expect("an event within 20 s")
            .expect("sink open")
    }

    /// The EventIds of the next `n` events accepted.
    pub async fn next_ids(&mut self, n: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for _ in 0..n {
            ids.push(self.next().await.event_id().to_owned());
        }
        ids
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request, answers it and closes; Some when it was answered 2xx.
async fn serve_one(
    mut socket: TcpStream,
    attempts: &AtomicUsize,
    status: &AtomicU16,
) -> Option<Received> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let (head, body) = loop {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if body.len() >= len {
                break (head.to_owned(), body.to_owned());
            }
        }
    };
    attempts.fetch_add(1, Ordering::SeqCst);
    let code = status.load(Ordering::SeqCst);
    let reply = format!("HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    let _ = socket.write_all(reply.as_bytes()).await;
    let _ = socket.shutdown().await;
    if !(200..300).contains(&code) {
        return None;
    }
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Received {
        headers,
        body: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    })
}

/// A Server-Sent Event stream being read: events come out as (id, data JSON).
pub struct SseReader {
    response: reqwest::Response,
    buf: Vec<u8>,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> Self {
        SseReader {
            response,
            buf: Vec::new(),
        }
    }

    /// The next event (comments skipped), within a generous deadline; None when the stream ended.
    pub async fn next(&mut self) -> Option<(u64, serde_json::Value)> {
        tokio::time::timeout(Duration::from_secs(20), self.next_event())
            .await
            .expect("an SSE event within 20 s")
    }

    async fn next_event(&mut self) -> Option<(u64, serde_json::Value)> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buf.drain(..end + 2).collect();
                let text = String::from_utf8_lossy(&block).to_string();
                let mut id = None;
                let mut data = String::new();
                for line in text.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse::<u64>().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let Some(id) = id {
                    let value = serde_json::from_str(&data).expect("data is JSON");
                    return Some((id, value));
                }
                continue;
            }
            let chunk = self.response.chunk().await.ok()??;
            self.buf.extend_from_slice(&chunk);
        }
    }

    /// The EventId of the record in an SSE event's data.
    pub fn event_id(data: &serde_json::Value) -> &str {
        data["Events"][0]["EventId"].as_str().unwrap_or("")
    }
}
