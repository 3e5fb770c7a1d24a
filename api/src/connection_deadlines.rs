//! Deadlines on connections, so that slow or idle clients cannot hold connections open:
//!
//! - a new connection must send its first request, and every request its request line and
//!   headers, within the request read timeout of the connection opening or of the request's
//!   first byte (the body then has the same time again, enforced where it is read: see
//!   `server::limit_body`);
//! - a kept-alive connection waiting for its next request is closed after the idle timeout.
//!
//! poem's `Server::idle_timeout` counts any byte as activity, so a client sending one header
//! line every few seconds is never cut off, and hyper's `header_read_timeout` is out of reach
//! through poem. So the acceptor wraps each connection in a stream that watches the bytes going
//! by: the end of a request head is the first empty line after its first byte, and the
//! server's first byte written ends the request. An HTTP/2 connection (prior knowledge) has
//! only the idle timeout, counted from the last byte read or written.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// How long a request may take to arrive, and a connection may wait for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From a connection opening, or a request's first byte, to the end of its head; and again
    /// for its body.
    pub request_read: Duration,
    /// From the end of an answer to the next request's first byte.
    pub idle: Duration,
}

/// An acceptor whose connections keep [`Timeouts`].
pub struct DeadlineAcceptor<A> {
    inner: A,
    timeouts: Timeouts,
}

impl<A> DeadlineAcceptor<A> {
    /// Wraps `inner`.
    pub fn new(inner: A, timeouts: Timeouts) -> Self {
        DeadlineAcceptor { inner, timeouts }
    }
}

impl<A: Acceptor> Acceptor for DeadlineAcceptor<A> {
    type Io = DeadlineStream<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    fn accept(
        &mut self,
    ) -> impl Future<Output = io::Result<(Self::Io, LocalAddr, RemoteAddr, poem::http::uri::Scheme)>> + Send
    {
        let timeouts = self.timeouts;
        let accepted = self.inner.accept();
        async move {
            let (io, local, remote, scheme) = accepted.await?;
            Ok((DeadlineStream::new(io, timeouts), local, remote, scheme))
        }
    }
}

/// Where a connection is in its request and answer cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Open, nothing read yet: the first request must start and end within the read timeout.
    Opened,
    /// Between requests: the next must start within the idle timeout.
    Idle,
    /// A request's head is arriving; `newlines` counts line ends in a row (`\r` aside).
    Head { newlines: u8 },
    /// The head is in; the server reads the body (under its own deadline) and answers.
    Answering,
    /// HTTP/2: only the idle timeout, from the last byte either way.
    Http2,
}

/// A connection that is closed (its reads fail) once its deadline passes.
pub struct DeadlineStream<S> {
    inner: S,
    timeouts: Timeouts,
    phase: Phase,
    deadline: Pin<Box<Sleep>>,
}

impl<S> DeadlineStream<S> {
    fn new(inner: S, timeouts: Timeouts) -> Self {
        DeadlineStream {
            inner,
            timeouts,
            phase: Phase::Opened,
            deadline: Box::pin(tokio::time::sleep(timeouts.request_read)),
        }
    }

    fn expire_in(&mut self, after: Duration) {
        self.deadline.as_mut().reset(Instant::now() + after);
    }

    /// Follows the bytes a read brought in.
    fn read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut newlines = match self.phase {
            Phase::Opened if bytes.starts_with(b"PRI ") => {
                self.phase = Phase::Http2;
                self.expire_in(self.timeouts.idle);
                return;
            }
            Phase::Http2 => {
                self.expire_in(self.timeouts.idle);
                return;
            }
            Phase::Answering => return,
            Phase::Opened => 0,
            Phase::Idle => {
                self.expire_in(self.timeouts.request_read);
                0
            }
            Phase::Head { newlines } => newlines,
        };
        for byte in bytes {
            match byte {
                b'\n' => newlines += 1,
                b'\r' => {}
                _ => newlines = 0,
            }
            // An empty line ends the head; what follows is the body.
            if newlines == 2 {
                self.phase = Phase::Answering;
                return;
            }
        }
        self.phase = Phase::Head { newlines };
    }

    /// Follows a write: the server answers, so the request is over. The connection's task is
    /// woken at the new deadline: hyper may already wait on a read that began before it.
    fn wrote(&mut self, cx: &mut Context<'_>) {
        self.phase = match self.phase {
            Phase::Http2 => Phase::Http2,
            _ => Phase::Idle,
        };
        self.expire_in(self.timeouts.idle);
        let _ = self.deadline.as_mut().poll(cx);
    }

    fn waits_on_the_client(&self) -> bool {
        self.phase != Phase::Answering
    }

    /// The error that closes a connection whose deadline passed.
    fn missed(&self) -> io::Error {
        tracing::debug!(phase = ?self.phase, "closing a connection that missed its deadline");
        io::Error::new(io::ErrorKind::TimedOut, "the request did not arrive in time")
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for DeadlineStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.waits_on_the_client() && this.deadline.is_elapsed() {
            return Poll::Ready(Err(this.missed()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.read(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Pending if this.waits_on_the_client() && this.deadline.as_mut().poll(cx).is_ready() => {
                Poll::Ready(Err(this.missed()))
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for DeadlineStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, bytes);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.wrote(cx);
        }
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.wrote(cx);
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
