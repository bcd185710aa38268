//! The log lines of a test process, captured for assertions (what must or must never be logged).
//! nextest runs each test in its own process, so the first capture holds only that test's lines.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Everything logged since [`capture`].
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub fn text(&self) -> String {
        self.0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }
}

/// Installs the process's tracing subscriber at `max_level`, writing into the returned capture.
pub fn capture(max_level: tracing::Level) -> Captured {
    let captured = Captured::default();
    let writer = captured.clone();
    let _ = tracing_subscriber::fmt()
        .with_max_level(max_level)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init();
    captured
}
