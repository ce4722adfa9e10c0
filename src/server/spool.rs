//! Large APPEND messages go to disk while they arrive, within a global budget of bytes in
//! flight, so 100 clients appending 25 MB each never need 2.5 GB of memory (or of disk beyond
//! the budget).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;

use crate::mailbox::MessageBody;

/// The bytes of spooled APPENDs in flight, server-wide.
#[derive(Debug)]
pub struct AppendBudget {
    limit: u64,
    used: AtomicU64,
}

impl AppendBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> Arc<Self> {
        Arc::new(Self {
            limit,
            used: AtomicU64::new(0),
        })
    }

    /// Reserves `bytes`, or `None` when that would exceed the budget.
    pub fn reserve(self: &Arc<Self>, bytes: u64) -> Option<Reservation> {
        let mut used = self.used.load(Ordering::Acquire);
        loop {
            let next = used.checked_add(bytes)?;
            if next > self.limit {
                return None;
            }
            match self
                .used
                .compare_exchange_weak(used, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    return Some(Reservation {
                        budget: self.clone(),
                        bytes,
                    });
                }
                Err(actual) => used = actual,
            }
        }
    }

    /// Bytes reserved now (a gauge).
    pub fn in_use(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }
}

/// A part of the budget, given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<AppendBudget>,
    bytes: u64,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// Bytes collected before a write to the spool file: each write is a trip to the blocking
/// pool, so the literal's pieces (as small as the socket reads) are written in larger ones.
const WRITE_BUFFER: usize = 256 * 1024;

/// A literal being written to a spool file.
#[derive(Debug)]
pub struct Spool {
    file: NamedTempFile,
    writer: tokio::io::BufWriter<tokio::fs::File>,
    written: u64,
    expected: u64,
    failed: bool,
    _reservation: Reservation,
}

/// A complete spooled literal: the file lives (and the budget stays reserved) until this is
/// dropped.
#[derive(Debug)]
pub struct Spooled {
    file: NamedTempFile,
    length: u64,
    _reservation: Reservation,
}

impl Spool {
    /// Creates a spool file of `expected` bytes in `dir` (made, private to this user, if it
    /// does not exist). The file is readable and writable by this user only, and is removed
    /// when the [`Spool`] or the [`Spooled`] made from it is dropped, whatever the command's
    /// outcome (stored, refused, failed, or the client gone in the middle of the literal).
    pub fn create(dir: &Path, expected: u64, reservation: Reservation) -> std::io::Result<Self> {
        create_private_dir(dir)?;
        let mut builder = tempfile::Builder::new();
        builder.prefix("append-");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
        let file = builder.tempfile_in(dir)?;
        let writer = tokio::io::BufWriter::with_capacity(
            WRITE_BUFFER,
            tokio::fs::File::from_std(file.reopen()?),
        );
        Ok(Self {
            file,
            writer,
            written: 0,
            expected,
            failed: false,
            _reservation: reservation,
        })
    }

    /// Appends bytes; a write error is remembered and reported by [`Spool::finish`] (the
    /// client's bytes must still be read to keep the protocol in step).
    pub async fn write(&mut self, bytes: &[u8]) {
        if self.failed {
            return;
        }
        if let Err(error) = self.writer.write_all(bytes).await {
            tracing::error!(%error, "cannot write an APPEND spool file");
            self.failed = true;
        }
        self.written += bytes.len() as u64;
    }

    /// The complete literal, or `None` if writing failed.
    pub async fn finish(mut self) -> Option<Spooled> {
        if self.failed || self.writer.flush().await.is_err() || self.written != self.expected {
            return None;
        }
        Some(Spooled {
            file: self.file,
            length: self.written,
            _reservation: self._reservation,
        })
    }
}

/// Creates `dir` and its missing parents, accessible to this user only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

impl Spooled {
    /// The message body for the backend.
    pub fn body(&self) -> MessageBody {
        MessageBody::File {
            path: self.path(),
            length: self.length,
        }
    }

    /// Where the file is.
    pub fn path(&self) -> PathBuf {
        self.file.path().to_path_buf()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_shared_and_returned() {
        let budget = AppendBudget::new(100);
        let a = budget.reserve(60).unwrap();
        assert!(budget.reserve(50).is_none());
        let b = budget.reserve(40).unwrap();
        assert_eq!(budget.in_use(), 100);
        drop(a);
        assert_eq!(budget.in_use(), 40);
        drop(b);
        assert_eq!(budget.in_use(), 0);
        assert!(budget.reserve(u64::MAX).is_none());
    }

    #[tokio::test]
    async fn a_spool_file_is_removed_when_its_literal_is_abandoned() {
        let dir = tempfile::tempdir().unwrap();
        let spool_dir = dir.path().join("spool");
        let budget = AppendBudget::new(1000);
        let mut spool = Spool::create(&spool_dir, 10, budget.reserve(10).unwrap()).unwrap();
        spool.write(b"01234").await;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&spool_dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        assert_eq!(std::fs::read_dir(&spool_dir).unwrap().count(), 1);
        // The client went away in the middle of the literal.
        drop(spool);
        assert_eq!(std::fs::read_dir(&spool_dir).unwrap().count(), 0);
        assert_eq!(budget.in_use(), 0);
    }

    #[tokio::test]
    async fn spool_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let budget = AppendBudget::new(1000);
        let mut spool = Spool::create(dir.path(), 10, budget.reserve(10).unwrap()).unwrap();
        spool.write(b"01234").await;
        spool.write(b"56789").await;
        let spooled = spool.finish().await.unwrap();
        assert_eq!(std::fs::read(spooled.path()).unwrap(), b"0123456789");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&spooled.path()), 0o600);
        }
        let path = spooled.path();
        drop(spooled);
        assert!(!path.exists());
        assert_eq!(budget.in_use(), 0);
    }
}
