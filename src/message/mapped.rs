//! The summary of a message kept in a file (a spooled APPEND), computed without reading the
//! file into memory: the file is mapped read-only, and the pages the parser has read are given
//! back as it goes on ([`super::parser::summarize_paged`]), so the resident memory it needs is
//! a few windows of [`super::parser::PAGE_WINDOW`] whatever the message's size.

use std::fs::File;
use std::io;
use std::ops::Range;

use memmap2::{Mmap, UncheckedAdvice};

use super::parser::summarize_paged;
use super::summary::MessageSummary;

/// Computes the summary of the message in `file`. The file must not change meanwhile (a spool
/// file that only this process writes, and has finished writing).
pub fn summarize_file(file: &File) -> io::Result<MessageSummary> {
    if file.metadata()?.len() == 0 {
        return Ok(super::summarize(b""));
    }
    // SAFETY: the map is read-only and private; the caller guarantees the file does not change
    // while it is mapped (see above), so the slice's bytes stay what they were.
    let map = unsafe { Mmap::map(file)? };
    let summary = summarize_paged(&map, &mut |range: Range<usize>| release(&map, range));
    Ok(summary)
}

/// Drops the pages of `range` from this process's resident memory; reading them again maps them
/// again from the file (they are clean, read-only pages of a file that does not change).
fn release(map: &Mmap, range: Range<usize>) {
    let Some(len) = range.end.checked_sub(range.start).filter(|len| *len > 0) else {
        return;
    };
    // SAFETY: MADV_DONTNEED on a read-only private file mapping only unmaps clean pages: later
    // reads fault them in again with the file's (unchanged) bytes, so no data the slice shows
    // changes. The range lies within the map.
    if let Err(error) =
        unsafe { map.unchecked_advise_range(UncheckedAdvice::DontNeed, range.start, len) }
    {
        tracing::debug!(%error, "could not release pages of a mapped message");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_is_summarised_as_its_bytes_are() {
        let message = b"Subject: hi\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n\
aGVsbG8=\r\n--b--\r\n";
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(message).unwrap();
        assert_eq!(
            summarize_file(&file).unwrap(),
            super::super::summarize(message)
        );
        let empty = tempfile::tempfile().unwrap();
        assert_eq!(
            summarize_file(&empty).unwrap(),
            super::super::summarize(b"")
        );
    }

    #[test]
    fn a_large_file_is_summarised_as_its_bytes_are() {
        // Bigger than a few windows, so pages are released while it is read.
        let mut message =
            b"Subject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                .to_vec();
        while message.len() < 20 * 1024 * 1024 {
            message.extend_from_slice(
                b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2\r\n",
            );
        }
        message.extend_from_slice(b"--b--\r\n");
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&message).unwrap();
        assert_eq!(
            summarize_file(&file).unwrap(),
            super::super::summarize(&message)
        );
    }
}
