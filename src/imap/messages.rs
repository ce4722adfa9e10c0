//! What the session knows about a message's bytes without reading them again: its summary
//! (ENVELOPE, BODYSTRUCTURE, part offsets) and its header block, kept in the state store (a
//! message is downloaded at most once) and in a bounded in-memory cache in front of it. When
//! only the header is needed and nothing is known yet, a large stored message is read with a
//! `Range` up to the end of its header ([`header_info`]).

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

/// The longest header block of an APPENDed message that is kept with its summary; a message
/// with a longer one is summarised again when it is first fetched.
pub const APPENDED_HEADER_MAX: u64 = 1024 * 1024;

/// Keeps the summary of a message just appended, so that searching and fetching its header
/// never download it again. Only for messages served as stored: a generated message (one
/// with pinned inputs) is summarised from what it is rendered into. The summary was computed
/// while the message was uploaded; only its header block is read (from the spool file for a
/// large message).
pub async fn remember_appended(
    ctx: &ServerContext,
    item: &crate::mailbox::Item,
    request: &crate::mailbox::AppendRequest,
) {
    if item.pin.is_some() {
        return;
    }
    let Some(summary) = request.summary.get().await else {
        return;
    };
    let header_len = summary.header_len();
    if header_len > APPENDED_HEADER_MAX || header_len > request.body.len() {
        return;
    }
    let header = match read_prefix(&request.body, header_len).await {
        Ok(header) => header,
        Err(error) => {
            tracing::warn!(%error, "could not read the header of an APPENDed message");
            return;
        }
    };
    let key = summary_key(&item.node_id, &item.identity, None);
    let info = Arc::new(MessageInfo {
        summary: (*summary).clone(),
        header,
    });
    if let Err(error) = ctx.store.put_summary(&key, &info.to_bytes()).await {
        tracing::warn!(%error, "could not keep a message summary");
    }
    ctx.messages.insert(key, info).await;
}

/// The first `len` bytes of a message body.
async fn read_prefix(body: &crate::mailbox::MessageBody, len: u64) -> std::io::Result<Bytes> {
    use tokio::io::AsyncReadExt;
    let len = usize::try_from(len).map_err(std::io::Error::other)?;
    match body {
        crate::mailbox::MessageBody::Memory(bytes) => Ok(bytes.slice(..len.min(bytes.len()))),
        crate::mailbox::MessageBody::File { path, .. } => {
            let mut prefix = vec![0u8; len];
            tokio::fs::File::open(path)
                .await?
                .read_exact(&mut prefix)
                .await?;
            Ok(Bytes::from(prefix))
        }
    }
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
    if let Some(info) = remembered(ctx, &key).await {
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

/// How many bytes are asked for (with a `Range`) when only a stored message's header block is
/// needed and its summary is not known yet. A header longer than this, or a message not larger
/// than it, is read whole instead.
pub const HEADER_RANGE: u64 = 64 * 1024;

/// The info of a message when only its header block is needed (ENVELOPE, `HEADER`,
/// `HEADER.FIELDS`): like [`message_info`], except that a stored message larger than
/// [`HEADER_RANGE`] whose summary is not known yet is read only up to the end of its header.
/// That info describes the header alone (its body structure is not the message's), so it is
/// kept in memory under its own key and never in the state store: the first need of the whole
/// structure still reads the message, once.
pub async fn header_info(
    ctx: &ServerContext,
    mailboxes: &dyn Mailboxes,
    mailbox: &MailboxInfo,
    message: &Message,
) -> Result<Arc<MessageInfo>, MailboxError> {
    let key = info_key(message);
    if let Some(info) = ctx.messages.get(&key).await {
        return Ok(info);
    }
    let header_key = format!("{key}#header");
    if let Some(info) = ctx.messages.get(&header_key).await {
        return Ok(info);
    }
    let large = message.pin.is_none() && message.item.size.is_some_and(|s| s > HEADER_RANGE);
    if !large {
        return message_info(ctx, mailboxes, mailbox, message).await;
    }
    if let Some(info) = stored(ctx, &key).await {
        let info = Arc::new(info);
        ctx.messages.insert(key, info.clone()).await;
        return Ok(info);
    }
    let content = mailboxes
        .content(mailbox, &message.item_ref(), Some(0..HEADER_RANGE))
        .await?;
    let mut bytes = Vec::with_capacity(usize::try_from(content.length).unwrap_or(0));
    let mut stream = content.stream;
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk?);
        if bytes.len() as u64 > HEADER_RANGE {
            return Err(MailboxError::MessageGone);
        }
    }
    let Some(end) = header_end(&bytes) else {
        return message_info(ctx, mailboxes, mailbox, message).await;
    };
    let info = Arc::new(MessageInfo::of(&bytes[..end]));
    ctx.messages.insert(header_key, info.clone()).await;
    Ok(info)
}

/// The length of the header block of `bytes` (up to and including the first empty line, CRLF
/// or bare LF), if it ends inside them.
fn header_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Messages summarised side by side by [`prefetch_infos`] (rendering is CPU work).
const RENDER_TASKS: usize = 2;

/// Fewest messages worth a task of their own in [`prefetch_infos`].
const RENDER_TASK_MIN: usize = 64;

/// Makes the infos of many messages known in memory before they are answered one by one
/// (a FETCH of a whole folder): what memory lacks is read from the state store in one call;
/// generated messages the store lacks are summarised without reading them, a few tasks side
/// by side, and kept in one write. Messages whose bytes would have to be read, and any that
/// fail here, are left to [`message_info`], which reports their errors.
pub async fn prefetch_infos(
    ctx: &ServerContext,
    mailboxes: &Arc<dyn Mailboxes>,
    mailbox: &MailboxInfo,
    messages: &[&Message],
) {
    let missing: Vec<(String, &Message)> = messages
        .iter()
        .map(|message| (info_key(message), *message))
        .filter(|(key, _)| !ctx.messages.contains_key(key))
        .collect();
    if missing.is_empty() {
        return;
    }
    let keys: Vec<String> = missing.iter().map(|(key, _)| key.clone()).collect();
    let stored = match ctx.store.summaries(&keys).await {
        Ok(stored) => stored,
        Err(error) => {
            tracing::warn!(%error, "could not read message summaries");
            vec![None; keys.len()]
        }
    };
    let mut generated: Vec<(String, crate::mailbox::ItemRef)> = Vec::new();
    for ((key, message), bytes) in missing.into_iter().zip(stored) {
        match bytes.as_deref().and_then(MessageInfo::from_bytes) {
            Some(info) => ctx.messages.insert(key, Arc::new(info)).await,
            // Only generated messages (pinned) are known without reading them.
            None if message.pin.is_some() => generated.push((key, message.item_ref())),
            None => {}
        }
    }
    if generated.is_empty() {
        return;
    }
    let tasks = RENDER_TASKS.min(generated.len() / RENDER_TASK_MIN).max(1);
    let per_task = generated.len().div_ceil(tasks);
    let mut handles = Vec::with_capacity(tasks);
    let mut rest = generated;
    while !rest.is_empty() {
        let share: Vec<_> = rest.drain(..per_task.min(rest.len())).collect();
        let mailboxes = mailboxes.clone();
        let mailbox = mailbox.clone();
        handles.push(tokio::spawn(async move {
            let mut known = Vec::with_capacity(share.len());
            for (key, item) in share {
                if let Ok(Some(structure)) = mailboxes.known_structure(&mailbox, &item).await {
                    let info = MessageInfo {
                        summary: structure.summary,
                        header: structure.header,
                    };
                    known.push((key, Arc::new(info)));
                }
            }
            known
        }));
    }
    let mut fresh = Vec::new();
    for handle in handles {
        match handle.await {
            Ok(known) => fresh.extend(known),
            Err(error) => tracing::warn!(%error, "summarising messages failed"),
        }
    }
    let entries: Vec<(String, Vec<u8>)> = fresh
        .iter()
        .map(|(key, info)| (key.clone(), info.to_bytes()))
        .collect();
    if let Err(error) = ctx.store.put_summaries(&entries).await {
        tracing::warn!(%error, "could not keep message summaries");
    }
    for (key, info) in fresh {
        ctx.messages.insert(key, info).await;
    }
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
    if let Some(info) = remembered(ctx, &key).await {
        return Some(info);
    }
    stored(ctx, &key).await.map(Arc::new)
}

/// The info kept in memory, counted as a hit or a miss of the summaries cache.
async fn remembered(ctx: &ServerContext, key: &str) -> Option<Arc<MessageInfo>> {
    let info = ctx.messages.get(key).await;
    crate::ops::registry().record_cache(crate::ops::Cache::MessageSummaries, info.is_some());
    info
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
    fn header_ends_at_the_first_empty_line() {
        assert_eq!(header_end(b"A: b\r\n\r\nbody\r\n\r\n"), Some(8));
        assert_eq!(header_end(b"A: b\n\nbody"), Some(6));
        assert_eq!(header_end(b"A: b\r\n\nbody"), Some(7));
        assert_eq!(header_end(b"A: b\r\nC: d\r\n"), None);
    }

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
