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
        let summary = MessageSummary::from_bytes(bytes.get(8..end)?).ok()?;
        Some(Self {
            summary,
            header: Bytes::copy_from_slice(bytes.get(end..)?),
        })
    }
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
}
