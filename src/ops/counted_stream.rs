//! A byte stream that counts what passes through it into the registry's bytes received and
//! sent (the client connections' `alfresco_imap_{received,sent}_bytes_total`).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::registry::registry;

/// Wraps a stream; every byte read or written is counted.
#[derive(Debug)]
pub struct CountedStream<S> {
    inner: S,
}

impl<S> CountedStream<S> {
    /// Counts the traffic of `inner`.
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for CountedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.get_mut().inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            registry().record_received((buf.filled().len().saturating_sub(before)) as u64);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CountedStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.get_mut().inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = result {
            registry().record_sent(written as u64);
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(written)) = result {
            registry().record_sent(written as u64);
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn reads_and_writes_are_counted() {
        let (near, far) = tokio::io::duplex(64);
        let mut counted = CountedStream::new(near);
        let mut far = far;
        let (received, sent) = registry().bytes();
        counted.write_all(b"hello").await.unwrap();
        far.write_all(b"abc").await.unwrap();
        let mut buf = [0u8; 3];
        counted.read_exact(&mut buf).await.unwrap();
        let mut echo = [0u8; 5];
        far.read_exact(&mut echo).await.unwrap();
        assert_eq!(&echo, b"hello");
        // Other tests may count at the same time: at least these bytes moved.
        let (received_now, sent_now) = registry().bytes();
        assert!(received_now >= received + 3);
        assert!(sent_now >= sent + 5);
    }
}
