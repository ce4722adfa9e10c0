//! Attachment extraction on APPEND (`imap.server.attachments.extraction.enabled`,
//! `imap.attachments.mode`): the top-level parts with `Content-Disposition: attachment` become
//! documents, linked to the message by `imap:attachment`, and the folder holding them by
//! `imap:attachmentsFolder`.
//!
//! - SEPARATE: a folder `<message name>-attachments` next to the message;
//! - SAME: the message's own folder;
//! - COMMON: the one folder of `imap.attachments.folder.*`.
//!
//! TNEF (`winmail.dat`) is stored as one attachment: no maintained crate unpacks it.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use mail_parser::{MessageParser, MimeHeaders};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::errors::folder_error;
use super::session::AlfrescoMailboxes;
use super::tree::Folder;
use super::write::numbered;
use crate::alfresco::{NewFolder, Node, Upload, UploadContent, UploadSource, UploadStream};
use crate::config::AttachmentsMode;
use crate::mailbox::{MailboxError, MessageBody, PendingSummary};
use crate::message::transfer::{StreamDecoder, TransferEncoding};
use crate::message::{MessageSummary, PartKind};

/// One attachment of a message: where its body is and how to decode it.
#[derive(Debug)]
struct Attachment {
    name: String,
    mimetype: String,
    content: Arc<DecodedPart>,
}

/// The decoded body of one part of an APPENDed message, read from the message (the spool file
/// of a large one) and decoded as it is uploaded, again for each attempt: an attachment is
/// never held whole in memory.
#[derive(Debug)]
struct DecodedPart {
    body: MessageBody,
    range: Range<u64>,
    encoding: TransferEncoding,
    length: u64,
}

/// How much of a spooled message is read at a time while an attachment is decoded.
const READ_PIECE: usize = 256 * 1024;

impl UploadSource for DecodedPart {
    fn length(&self) -> u64 {
        self.length
    }

    fn open(&self) -> futures::future::BoxFuture<'static, std::io::Result<UploadStream>> {
        let body = self.body.clone();
        let range = self.range.clone();
        let encoding = self.encoding;
        Box::pin(async move {
            let raw: UploadStream = match body {
                MessageBody::Memory(bytes) => {
                    let start = usize::try_from(range.start).unwrap_or(usize::MAX);
                    let end = usize::try_from(range.end).unwrap_or(usize::MAX);
                    let part = bytes.slice(start.min(bytes.len())..end.min(bytes.len()));
                    Box::pin(futures::stream::once(async move { Ok(part) }))
                }
                MessageBody::File { path, .. } => file_range(path, range).await?,
            };
            Ok(decoded(raw, encoding))
        })
    }
}

/// The bytes of `range` of a file, in pieces.
async fn file_range(path: PathBuf, range: Range<u64>) -> std::io::Result<UploadStream> {
    let mut file = tokio::fs::File::open(path).await?;
    file.seek(std::io::SeekFrom::Start(range.start)).await?;
    let limited = file.take(range.end.saturating_sub(range.start));
    Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(
        limited, READ_PIECE,
    )))
}

/// Decodes a stream of encoded bytes piece by piece.
fn decoded(raw: UploadStream, encoding: TransferEncoding) -> UploadStream {
    let state = Some((raw, StreamDecoder::new(encoding)));
    Box::pin(futures::stream::unfold(state, |state| async move {
        let (mut raw, mut decoder) = state?;
        loop {
            match raw.next().await {
                Some(Ok(piece)) => {
                    let mut out = Vec::with_capacity(piece.len());
                    decoder.push(&piece, &mut out);
                    if !out.is_empty() {
                        return Some((Ok(Bytes::from(out)), Some((raw, decoder))));
                    }
                }
                Some(Err(error)) => return Some((Err(error), None)),
                None => {
                    let mut out = Vec::new();
                    if !decoder.finish(&mut out) {
                        let error = std::io::Error::other("an attachment cannot be decoded");
                        return Some((Err(error), None));
                    }
                    return (!out.is_empty()).then(|| (Ok(Bytes::from(out)), None));
                }
            }
        }
    }))
}

/// Extracts the attachments of `message` (stored in `folder`), found from the message's
/// summary and decoded from its body as they are uploaded.
pub(super) async fn extract(
    mailboxes: &AlfrescoMailboxes,
    folder: &Folder,
    message: &Node,
    body: &MessageBody,
    summary: &PendingSummary,
) -> Result<(), MailboxError> {
    let settings = mailboxes.settings();
    if is_ignored(folder, &settings.attachments.ignored) {
        return Ok(());
    }
    let Some(summary) = summary.get().await else {
        return Err(MailboxError::Internal(
            "the message could not be read for its attachments".into(),
        ));
    };
    let attachments = attachments_of(body, &summary).await?;
    let session = &mailboxes.session;
    let target = match settings.attachments.mode {
        AttachmentsMode::Same => folder.node.id.clone(),
        AttachmentsMode::Common => {
            mailboxes
                .backend
                .path_id(session, &settings.attachments.common_folder)
                .await?
        }
        AttachmentsMode::Separate => {
            if attachments.is_empty() {
                return Ok(());
            }
            let name = format!("{}-attachments", message.name);
            match session
                .create_folder(&folder.node.id, &NewFolder::new(name))
                .await
            {
                Ok(created) => created.id,
                Err(error) => return Err(folder_error(error)),
            }
        }
    };
    for attachment in attachments {
        let node = upload_with_free_name(mailboxes, &target, &attachment, &message.name).await?;
        if let Err(error) = session
            .create_target(&message.id, &node.id, "imap:attachment")
            .await
        {
            tracing::warn!(%error, "could not link an attachment to its message");
        }
    }
    if let Err(error) = session
        .create_target(&message.id, &target, "imap:attachmentsFolder")
        .await
    {
        tracing::debug!(%error, "could not link the attachments folder to its message");
    }
    Ok(())
}

async fn upload_with_free_name(
    mailboxes: &AlfrescoMailboxes,
    folder: &str,
    attachment: &Attachment,
    message_name: &str,
) -> Result<Node, MailboxError> {
    for attempt in 0..50 {
        let mut upload = Upload::new(
            numbered(&attachment.name, attempt),
            UploadContent::Source(attachment.content.clone()),
        );
        upload.mime_type = attachment.mimetype.clone();
        upload = upload.property("cm:description", message_name.to_owned());
        match mailboxes.session.upload(folder, upload).await {
            Ok(node) => return Ok(node),
            Err(error) if error.is_conflict() => continue,
            Err(error) => return Err(folder_error(error)),
        }
    }
    Err(MailboxError::Cannot(format!(
        "no free name for attachment {}",
        attachment.name
    )))
}

/// Whether extraction is switched off for this folder (exactly this folder, as in Alfresco).
fn is_ignored(folder: &Folder, ignored: &[Vec<String>]) -> bool {
    let Some(path) = &folder.node.path else {
        return false;
    };
    let mut names: Vec<String> = path
        .elements
        .iter()
        .skip(1)
        .map(|e| e.name.clone())
        .collect();
    names.push(folder.node.name.clone());
    ignored.contains(&names)
}

/// The most header bytes of one part read to learn whether it is an attachment and its name.
const PART_HEADER_MAX: u64 = 256 * 1024;

/// The top-level attachment parts of a message: the direct children of a multipart message
/// with `Content-Disposition: attachment` that are not multiparts themselves. Only their
/// header blocks are read (mail-parser decodes the names: RFC 2231, RFC 2047, `name`).
async fn attachments_of(
    body: &MessageBody,
    summary: &MessageSummary,
) -> Result<Vec<Attachment>, MailboxError> {
    let root = summary.root();
    if root.kind != PartKind::Multipart {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for part in summary.children(root) {
        if part.kind == PartKind::Multipart {
            continue;
        }
        let header_end = part.body_start.min(part.header_start + PART_HEADER_MAX);
        let mut header = read_range(body, part.header_start..header_end).await?;
        if !part.has_blank_line {
            header.extend_from_slice(b"\r\n");
        }
        let Some(parsed) = MessageParser::default().parse(&header[..]) else {
            continue;
        };
        let is_attachment = parsed
            .content_disposition()
            .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
        if !is_attachment {
            continue;
        }
        let name = parsed
            .attachment_name()
            .map(safe_name)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "unnamed".into());
        let mimetype = parsed
            .content_type()
            .map(|t| match t.subtype() {
                Some(sub) => format!("{}/{}", t.ctype(), sub),
                None => t.ctype().to_owned(),
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        // A body that cannot be decoded is stored as it is.
        let (encoding, length) = match part.binary_size {
            Some(length) => (TransferEncoding::of(part.mime.encoding.as_ref()), length),
            None => (TransferEncoding::Identity, part.body_end - part.body_start),
        };
        found.push(Attachment {
            name,
            mimetype: mimetype.to_ascii_lowercase(),
            content: Arc::new(DecodedPart {
                body: body.clone(),
                range: part.body_start..part.body_end,
                encoding,
                length,
            }),
        });
    }
    Ok(found)
}

/// The bytes of `range` of a message body.
async fn read_range(body: &MessageBody, range: Range<u64>) -> Result<Vec<u8>, MailboxError> {
    let spool_error = |e: std::io::Error| MailboxError::Internal(format!("spool file: {e}"));
    match body {
        MessageBody::Memory(bytes) => {
            let start = usize::try_from(range.start).unwrap_or(usize::MAX);
            let end = usize::try_from(range.end).unwrap_or(usize::MAX);
            Ok(bytes
                .get(start.min(bytes.len())..end.min(bytes.len()))
                .unwrap_or_default()
                .to_vec())
        }
        MessageBody::File { path, .. } => {
            let mut stream = file_range(path.clone(), range).await.map_err(spool_error)?;
            let mut out = Vec::new();
            while let Some(piece) = stream.next().await {
                out.extend_from_slice(&piece.map_err(spool_error)?);
            }
            Ok(out)
        }
    }
}

/// A file name the repository accepts: no path, none of `* " < > \ / ? : |`, no trailing dot
/// or space, no control characters.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .map(|c| {
            if "*\"<>\\/?:|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    cleaned.trim().trim_end_matches('.').trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attachments of a message in memory, decoded.
    async fn decoded_attachments(message: &'static [u8]) -> Vec<(String, String, Vec<u8>)> {
        let body = MessageBody::Memory(Bytes::from_static(message));
        let summary = crate::message::summarize(message);
        let mut out = Vec::new();
        for attachment in attachments_of(&body, &summary).await.unwrap() {
            let mut stream = attachment.content.open().await.unwrap();
            let mut bytes = Vec::new();
            while let Some(piece) = stream.next().await {
                bytes.extend_from_slice(&piece.unwrap());
            }
            assert_eq!(bytes.len() as u64, attachment.content.length());
            out.push((attachment.name, attachment.mimetype, bytes));
        }
        out
    }

    #[tokio::test]
    async fn top_level_attachments_only() {
        let message = b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=\"../a:b.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
JVBERg==\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename=i.png\r\n\r\npng\r\n\
--b\r\nContent-Disposition: ATTACHMENT; filename*=utf-8''%C3%A9t%C3%A9.txt\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\nsummer=3D=C3=A9t=C3=A9\r\n--b--\r\n";
        let found = decoded_attachments(message).await;
        assert_eq!(
            found,
            [
                ("a_b.pdf".into(), "application/pdf".into(), b"%PDF".to_vec()),
                (
                    "\u{e9}t\u{e9}.txt".into(),
                    "application/octet-stream".into(),
                    "summer=\u{e9}t\u{e9}".as_bytes().to_vec()
                ),
            ]
        );
    }

    #[tokio::test]
    async fn a_message_that_is_not_multipart_has_no_attachments() {
        let message =
            b"Subject: x\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nbody\r\n";
        assert!(decoded_attachments(message).await.is_empty());
    }

    #[tokio::test]
    async fn an_attachment_is_decoded_from_a_spool_file_in_pieces() {
        let mut message = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\n\
Content-Transfer-Encoding: base64\r\n\r\n"
            .to_vec();
        let line = b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\r\n";
        for _ in 0..5000 {
            message.extend_from_slice(line);
        }
        message.extend_from_slice(b"--b--\r\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spooled");
        std::fs::write(&path, &message).unwrap();
        let body = MessageBody::File {
            path,
            length: message.len() as u64,
        };
        let summary = crate::message::summarize(&message);
        let found = attachments_of(&body, &summary).await.unwrap();
        assert_eq!(found.len(), 1);
        let expected: Vec<u8> = (0u8..48).cycle().take(48 * 5000).collect();
        assert_eq!(found[0].content.length(), expected.len() as u64);
        // Opened twice, as a resent upload does: the same bytes each time.
        for _ in 0..2 {
            let mut stream = found[0].content.open().await.unwrap();
            let mut bytes = Vec::new();
            while let Some(piece) = stream.next().await {
                let piece = piece.unwrap();
                assert!(piece.len() <= READ_PIECE);
                bytes.extend_from_slice(&piece);
            }
            assert_eq!(bytes, expected);
        }
    }

    #[test]
    fn names() {
        assert_eq!(safe_name("C:\\x\\report?.doc"), "report_.doc");
        assert_eq!(safe_name("trailing. "), "trailing");
        assert_eq!(safe_name("a\r\nb"), "a__b");
    }
}
