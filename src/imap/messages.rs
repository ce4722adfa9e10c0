//! What the session knows about a message's bytes without reading them again: its summary
//! (ENVELOPE, BODYSTRUCTURE, part offsets) and its header block, kept in the state store (a
//! message is downloaded at most once) and in a bounded in-memory cache in front of it.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};

use super::context::ServerContext;
use super::selected::Message;
use crate::mailbox::{MailboxError, MailboxInfo, Mailboxes};
use crate::message::{MessageSummary, summarize};

/// A message's summary and header block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The summary.
    pub summary: MessageSummary,
    /// The header block of the message (blank line included), for HEADER.FIELDS and SEARCH.
    pub header: Bytes,
}

impl MessageInfo {
    /// Summarises message bytes.
    pub fn of(bytes: &[u8]) -> Self {
        let summary = summarize(bytes);
        let end = usize::try_from(summary.header_len())
            .unwrap_or(bytes.len())
            .min(bytes.len());
        Self {
            header: Bytes::copy_from_slice(&bytes[..end]),
            summary,
        }
    }

    /// The stored form: the summary's bytes, then the header block, with a length prefix.
    pub fn to_bytes(&self) -> Vec<u8> {
        let summary = self.summary.to_bytes();
        let mut out = Vec::with_capacity(8 + summary.len() + self.header.len());
        out.extend_from_slice(&(summary.len() as u64).to_be_bytes());
        out.extend_from_slice(&summary);
        out.extend_from_slice(&self.header);
        out
    }

    /// Reads the stored form; `None` when it is not readable (an older format): recompute.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let length = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let end = 8usize.checked_add(usize::try_from(length).ok()?)?;
        let mut summary = MessageSummary::from_bytes(bytes.get(8..end)?).ok()?;
        let header = Bytes::copy_from_slice(bytes.get(end..)?);
        backfill_references(&mut summary, &header);
        Some(Self { summary, header })
    }
}

/// Summaries stored before `References` was kept in them lack it; the header block stored
/// with them has it, so it is taken from there (no download, no new format version).
fn backfill_references(summary: &mut MessageSummary, header: &[u8]) {
    let Some(root) = summary.parts.first_mut() else {
        return;
    };
    if root
        .envelope
        .as_ref()
        .is_some_and(|e| e.references.is_some())
        || !contains_ignore_case(header, b"references")
    {
        return;
    }
    let references = summarize(header)
        .root()
        .envelope
        .as_ref()
        .and_then(|e| e.references.clone());
    if let Some(references) = references {
        root.envelope
            .get_or_insert_with(Default::default)
            .references = Some(references);
    }
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

/// The key of a message's info: its node, identity and pinned inputs (the bytes they make).
pub fn info_key(message: &Message) -> String {
    summary_key(
        &message.item.node_id,
        &message.item.identity,
        message.pin.as_deref(),
    )
}

/// The key of a message summary from its node, version identity and pinned inputs.
fn summary_key(node_id: &str, identity: &str, pin: Option<&[u8]>) -> String {
    let pin = match pin {
        Some(pin) => {
            let digest = Sha256::digest(pin);
            digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
        }
        None => "-".to_owned(),
    };
    format!("{node_id}:{identity}:{pin}")
}

/// Keeps the summary of a message just appended, so that searching and fetching its header
/// never download it again. Only for messages served as stored: a generated message (one
/// with pinned inputs) is summarised from what it is rendered into.
pub async fn remember_appended(ctx: &ServerContext, item: &crate::mailbox::Item, bytes: &[u8]) {
    if item.pin.is_some() {
        return;
    }
    let key = summary_key(&item.node_id, &item.identity, None);
    let info = Arc::new(MessageInfo::of(bytes));
    if let Err(error) = ctx.store.put_summary(&key, &info.to_bytes()).await {
        tracing::warn!(%error, "could not keep a message summary");
    }
    ctx.messages.insert(key, info).await;
}

/// The info of a message: from memory, the state store, from the backend when it knows the
/// structure without reading the message, or by reading the message once.
pub async fn message_info(
    ctx: &ServerContext,
    mailboxes: &dyn Mailboxes,
    mailbox: &MailboxInfo,
    message: &Message,
) -> Result<Arc<MessageInfo>, MailboxError> {
    let key = info_key(message);
    if let Some(info) = ctx.messages.get(&key).await {
        return Ok(info);
    }
    if let Some(info) = stored(ctx, &key).await {
        let info = Arc::new(info);
        ctx.messages.insert(key, info.clone()).await;
        return Ok(info);
    }
    if let Some(known) = mailboxes
        .known_structure(mailbox, &message.item_ref())
        .await?
    {
        let info = Arc::new(MessageInfo {
            summary: known.summary,
            header: known.header,
        });
        keep(ctx, key, info.clone()).await;
        return Ok(info);
    }
    let content = mailboxes
        .content(mailbox, &message.item_ref(), None)
        .await?;
    let mut bytes = Vec::with_capacity(usize::try_from(content.length).unwrap_or(0).min(64 << 20));
    let mut stream = content.stream;
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk?);
    }
    if bytes.len() as u64 != content.length {
        return Err(MailboxError::MessageGone);
    }
    let info = Arc::new(MessageInfo::of(&bytes));
    keep(ctx, key, info.clone()).await;
    Ok(info)
}

/// Keeps a message's info in the state store and in memory.
async fn keep(ctx: &ServerContext, key: String, info: Arc<MessageInfo>) {
    if let Err(error) = ctx.store.put_summary(&key, &info.to_bytes()).await {
        tracing::warn!(%error, "could not keep a message summary");
    }
    ctx.messages.insert(key, info).await;
}

/// The info of a message if it is known without reading the message.
pub async fn known_info(ctx: &ServerContext, message: &Message) -> Option<Arc<MessageInfo>> {
    let key = info_key(message);
    if let Some(info) = ctx.messages.get(&key).await {
        return Some(info);
    }
    stored(ctx, &key).await.map(Arc::new)
}

async fn stored(ctx: &ServerContext, key: &str) -> Option<MessageInfo> {
    match ctx.store.summary(key).await {
        Ok(Some(bytes)) => MessageInfo::from_bytes(&bytes),
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%error, "could not read a message summary");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips() {
        let info = MessageInfo::of(b"Subject: x\r\nFrom: a@b\r\n\r\nbody\r\n");
        assert_eq!(&info.header[..], b"Subject: x\r\nFrom: a@b\r\n\r\n");
        let back = MessageInfo::from_bytes(&info.to_bytes()).unwrap();
        assert_eq!(back, info);
        assert!(MessageInfo::from_bytes(b"garbage").is_none());
    }

    #[test]
    fn references_are_kept_and_backfilled_from_older_summaries() {
        let message = b"Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nReferences: <r@x>\r\n <a@x>\r\n\r\nbody\r\n";
        let info = MessageInfo::of(message);
        let envelope = info.summary.root().envelope.clone().unwrap();
        assert_eq!(envelope.message_id.unwrap().as_bytes(), b"<b@x>");
        assert_eq!(envelope.in_reply_to.unwrap().as_bytes(), b"<a@x>");
        assert_eq!(
            envelope.references.clone().unwrap().as_bytes(),
            b"<r@x>\r\n <a@x>"
        );
        // A summary stored before `References` was kept: the header block supplies it.
        let mut older = info.clone();
        for part in &mut older.summary.parts {
            if let Some(envelope) = part.envelope.as_mut() {
                envelope.references = None;
            }
        }
        assert!(!String::from_utf8_lossy(&older.to_bytes()).contains("\"rf\""));
        let back = MessageInfo::from_bytes(&older.to_bytes()).unwrap();
        assert_eq!(back, info);
    }
}
