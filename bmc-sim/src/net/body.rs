//! Response body types: a full body, or a channel-fed one for dripping and resets.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::mpsc;

/// Body type of every response.
pub(crate) type SimBody = BoxBody<Bytes, io::Error>;

/// A complete body.
pub(crate) fn full(bytes: Bytes) -> SimBody {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// A body fed chunk by chunk; an `Err` chunk aborts the connection mid-body.
pub(crate) struct ChanBody {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    /// None: open-ended (a stream), sent chunked.
    len: Option<u64>,
}

impl ChanBody {
    /// A body announcing `len` bytes, and the sender that feeds it.
    pub(crate) fn channel(len: u64) -> (mpsc::Sender<io::Result<Bytes>>, SimBody) {
        let (tx, rx) = mpsc::channel(4);
        (tx, ChanBody { rx, len: Some(len) }.boxed())
    }

    /// A body of unknown length that runs until the sender is dropped (an event stream).
    pub(crate) fn open_ended() -> (mpsc::Sender<io::Result<Bytes>>, SimBody) {
        let (tx, rx) = mpsc::channel(16);
        (tx, ChanBody { rx, len: None }.boxed())
    }
}

impl Body for ChanBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|opt| opt.map(|r| r.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        match self.len {
            Some(len) => SizeHint::with_exact(len),
            None => SizeHint::default(),
        }
    }
}
