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

use bytes::Bytes;
use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::errors::folder_error;
use super::session::AlfrescoMailboxes;
use super::tree::Folder;
use super::write::numbered;
use crate::alfresco::{NewFolder, Node, Upload, UploadContent};
use crate::config::AttachmentsMode;
use crate::mailbox::{MailboxError, MessageBody};

/// One attachment of a message.
struct Attachment {
    name: String,
    mimetype: String,
    bytes: Bytes,
}

/// Extracts the attachments of `message` (stored in `folder`).
pub(super) async fn extract(
    mailboxes: &AlfrescoMailboxes,
    folder: &Folder,
    message: &Node,
    body: &MessageBody,
) -> Result<(), MailboxError> {
    let settings = mailboxes.settings();
    if is_ignored(folder, &settings.attachments.ignored) {
        return Ok(());
    }
    let bytes = match body {
        MessageBody::Memory(bytes) => bytes.clone(),
        MessageBody::File { path, .. } => Bytes::from(
            tokio::fs::read(path)
                .await
                .map_err(|e| MailboxError::Internal(format!("spool file: {e}")))?,
        ),
    };
    let attachments = attachments_of(&bytes);
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
            UploadContent::Bytes(attachment.bytes.clone()),
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

/// The top-level attachment parts of a message.
fn attachments_of(message: &[u8]) -> Vec<Attachment> {
    let Some(parsed) = MessageParser::default().parse(message) else {
        return Vec::new();
    };
    let Some(PartType::Multipart(children)) = parsed.parts.first().map(|p| &p.body) else {
        return Vec::new();
    };
    children
        .iter()
        .filter_map(|&index| parsed.parts.get(index as usize))
        .filter(|part| {
            part.content_disposition()
                .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
        })
        .filter(|part| !matches!(part.body, PartType::Multipart(_)))
        .map(|part| {
            let name = part
                .attachment_name()
                .map(safe_name)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "unnamed".into());
            let mimetype = part
                .content_type()
                .map(|t| match t.subtype() {
                    Some(sub) => format!("{}/{}", t.ctype(), sub),
                    None => t.ctype().to_owned(),
                })
                .unwrap_or_else(|| "application/octet-stream".into());
            Attachment {
                name,
                mimetype: mimetype.to_ascii_lowercase(),
                bytes: Bytes::copy_from_slice(part.contents()),
            }
        })
        .collect()
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

    #[test]
    fn top_level_attachments_only() {
        let message = b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=\"../a:b.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
JVBERg==\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename=i.png\r\n\r\npng\r\n--b--\r\n";
        let found = attachments_of(message);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "a_b.pdf");
        assert_eq!(found[0].mimetype, "application/pdf");
        assert_eq!(&found[0].bytes[..], b"%PDF");
    }

    #[test]
    fn names() {
        assert_eq!(safe_name("C:\\x\\report?.doc"), "report_.doc");
        assert_eq!(safe_name("trailing. "), "trailing");
        assert_eq!(safe_name("a\r\nb"), "a__b");
    }
}
