//! The generated message of a document (spec §5.3, design decision 6): rendered from its pin
//! alone, cached, and served with the document itself streamed into it when
//! `imap.sidecar.virtual.attachContent` is on.
//!
//! - Bodies: the pinned template candidates are tried in order; one that fails to render is
//!   logged and the next one used, so a broken template never makes a broken mail. Line breaks
//!   become CRLF (the canonical form of text before base64, RFC 2045 §6.8).
//! - Headers: From = the display name from `cm:originator`, else `cm:author`, else the
//!   creator, always with the fixed address `imap.mail.from.default` (repository text cannot
//!   forge a sender); To = `cm:addressee`, else `imap.mail.to.default`; Subject = `cm:title`,
//!   else `cm:name`; Date = the pinned `cm:modified`; `Message-ID: <nodeId@alfresco.org>`;
//!   `X-Alfresco-NodeRef-ID`. Header text loses CR, LF and NUL before it is encoded.
//! - Rendered messages (without the document) are kept in a cache bounded both in entries and
//!   in bytes (`imap.sidecar.cache.messageEntries` / `messageBytes`).
//! - With the document attached, sizes and the summary come from base64 arithmetic; a fetch
//!   downloads only the part of the document its byte range covers (nothing at all for the
//!   header or the text parts) and encodes it as it streams.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use uuid::Uuid;

use super::document::{DocumentFacts, DocumentPin, short_hash};
use super::errors::message_error;
use super::session::AlfrescoMailboxes;
use super::template_model::model;
use super::templates::TemplateLibrary;
use crate::alfresco::ByteRange;
use crate::mailbox::{ByteStream, Content, ItemRef, KnownStructure, MailboxError};
use crate::message::virtual_message::{
    AttachmentSpec, Base64Lines, Mailbox, VirtualMessage, VirtualMessageSpec,
};
use crate::template::{Model, RenderSettings, Tz};

/// Base64 characters per line of the attachment.
const LINE_CHARS: u64 = 76;
/// Bytes per line of the encoded attachment (76 characters and CRLF).
const LINE_BYTES: u64 = LINE_CHARS + 2;
/// Content bytes per encoded line.
const LINE_CONTENT: u64 = LINE_CHARS / 4 * 3;

/// Rendered messages, bounded in entries and bytes.
pub(crate) struct RenderedCache {
    cache: moka::future::Cache<String, Arc<VirtualMessage>>,
}

impl RenderedCache {
    /// A cache of at most `entries` messages and `bytes` bytes (either 0: no caching).
    pub fn new(entries: u64, bytes: u64) -> Self {
        // Every entry weighs at least bytes/entries, so the byte bound also bounds the count.
        let floor = u32::try_from(bytes.checked_div(entries).unwrap_or(u64::MAX).max(1))
            .unwrap_or(u32::MAX);
        let capacity = if entries == 0 { 0 } else { bytes };
        Self {
            cache: moka::future::Cache::builder()
                .max_capacity(capacity)
                .weigher(move |_key: &String, message: &Arc<VirtualMessage>| {
                    let size = message.head().len() + message.tail().len();
                    u32::try_from(size).unwrap_or(u32::MAX).max(floor)
                })
                .build(),
        }
    }
}

/// The display name and address of repository text such as `Alice <alice@example.com>`,
/// `alice@example.com` or `Alice`.
fn split_mailbox(text: &str) -> (Option<String>, Option<String>) {
    let text = text.trim();
    let unquote = |s: &str| {
        let s = s.trim();
        s.strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(s)
            .trim()
            .to_owned()
    };
    if let Some((name, rest)) = text.rsplit_once('<')
        && let Some((address, _)) = rest.split_once('>')
    {
        let name = unquote(name);
        let address = address.trim();
        let address = address.contains('@').then(|| address.to_owned());
        return ((!name.is_empty()).then_some(name), address);
    }
    if text.contains('@') && !text.contains(char::is_whitespace) {
        return (None, Some(text.to_owned()));
    }
    ((!text.is_empty()).then(|| unquote(text)), None)
}

/// The From display name: originator, else author, else creator.
fn sender_name(doc: &DocumentFacts) -> String {
    if let Some(originator) = doc.text("cm:originator") {
        let (name, address) = split_mailbox(originator);
        if let Some(shown) = name.or(address) {
            return shown;
        }
    }
    if let Some(author) = doc.text("cm:author") {
        return author.trim().to_owned();
    }
    if doc.creator_name.is_empty() {
        doc.creator.clone()
    } else {
        doc.creator_name.clone()
    }
}

/// The To mailbox: the addressee (its address when it has one), else the default address.
fn recipient(doc: &DocumentFacts, default: &str) -> Mailbox {
    match doc.text("cm:addressee").map(split_mailbox) {
        Some((name, Some(address))) => Mailbox { name, address },
        Some((name, None)) => Mailbox {
            name,
            address: default.to_owned(),
        },
        None => Mailbox {
            name: None,
            address: default.to_owned(),
        },
    }
}

/// Text with CRLF line breaks.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// Renders one body with the first candidate that works.
async fn body(
    library: &TemplateLibrary,
    hashes: &[String],
    model: &Model,
    settings: &RenderSettings,
    fallback: impl FnOnce() -> String,
) -> Result<String, MailboxError> {
    for hash in hashes {
        let Some(template) = library.template(hash).await? else {
            continue;
        };
        match template.render(model, settings) {
            Ok(text) => return Ok(crlf(&text)),
            Err(error) => {
                tracing::warn!(%error, "a body template failed to render; the next candidate is used instead");
            }
        }
    }
    tracing::error!("no body template rendered; a minimal body is used");
    Ok(fallback())
}

/// The generated message of a pinned document (the document's content is not read).
pub(super) async fn render(
    pin: &DocumentPin,
    library: &TemplateLibrary,
) -> Result<VirtualMessage, MailboxError> {
    let doc = &pin.document;
    let node_id = Uuid::parse_str(&doc.id)
        .map_err(|_| MailboxError::Internal(format!("node id {} is not a UUID", doc.id)))?;
    let zone: Tz = pin.render.time_zone.parse().unwrap_or(Tz::UTC);
    let settings = RenderSettings::new(&pin.render.locale, zone);
    let model = model(pin);
    let templates = &pin.render.templates;
    let text_body = body(library, &templates.text, &model, &settings, || {
        format!("{}\r\n", doc.name)
    })
    .await?;
    let html_body = body(library, &templates.html, &model, &settings, || {
        format!("<p>{}</p>\r\n", html_escape(&doc.name))
    })
    .await?;
    let date = chrono::TimeZone::timestamp_millis_opt(&chrono::Utc, doc.modified)
        .single()
        .unwrap_or_default();
    let spec = VirtualMessageSpec {
        node_id,
        from: Mailbox {
            name: Some(sender_name(doc)),
            address: pin.render.mail_from.clone(),
        },
        to: vec![recipient(doc, &pin.render.mail_to)],
        subject: doc
            .text("cm:title")
            .map(str::to_owned)
            .unwrap_or_else(|| doc.name.clone()),
        date: date.fixed_offset(),
        text_body,
        html_body,
        extra_headers: Vec::new(),
        attachment: pin.render.attach_content.then(|| AttachmentSpec {
            file_name: doc.name.clone(),
            mimetype: doc.mimetype.clone(),
            length: doc.size,
        }),
    };
    Ok(VirtualMessage::build(&spec))
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The content bytes to download for an encoded attachment range (relative to the start of
/// the encoded body), and where the wanted bytes start in the encoding of those bytes.
fn content_span(encoded: &Range<u64>, length: u64) -> (Range<u64>, u64) {
    let first_line = encoded.start / LINE_BYTES;
    let last_line = encoded.end.saturating_sub(1) / LINE_BYTES;
    // Line breaks only separate lines: a range ending in the CRLF after `last_line` needs the
    // next line's content for the encoder to write that break.
    let into_break = encoded.end - last_line * LINE_BYTES > LINE_CHARS;
    let lines = last_line + 1 + u64::from(into_break);
    let start = (first_line * LINE_CONTENT).min(length);
    let end = (lines * LINE_CONTENT).min(length);
    (start..end, encoded.start - first_line * LINE_BYTES)
}

impl AlfrescoMailboxes {
    /// The pin of a message, or (for a UID without a readable pin, made by an older version)
    /// a pin of the document as it is now.
    async fn pin_of(&self, item: &ItemRef) -> Result<DocumentPin, MailboxError> {
        if let Some(pin) = item.pin.as_deref().and_then(DocumentPin::from_bytes) {
            return Ok(pin);
        }
        tracing::warn!(node = %item.node_id, "a generated message has no usable pin; it is rendered from the document as it is now");
        let node = self
            .session
            .node(&item.node_id, &Default::default())
            .await
            .map_err(message_error)?;
        let parent = node.parent_id.clone().ok_or(MailboxError::MessageGone)?;
        let context = self.document_context(&parent).await?;
        Ok(context.pin(DocumentFacts::of(&node)))
    }

    /// The generated message of an item, from the cache or rendered.
    pub(super) async fn rendered(
        &self,
        item: &ItemRef,
    ) -> Result<(DocumentPin, Arc<VirtualMessage>), MailboxError> {
        let pin = self.pin_of(item).await?;
        let key = format!("{}:{}", item.node_id, short_hash(&pin.to_bytes(), 16));
        if let Some(message) = self.backend.rendered.cache.get(&key).await {
            return Ok((pin, message));
        }
        let message = Arc::new(render(&pin, &self.backend.templates).await?);
        self.backend
            .rendered
            .cache
            .insert(key, message.clone())
            .await;
        Ok((pin, message))
    }

    /// The summary and header block of a generated message, without reading the document.
    pub(super) async fn document_structure(
        &self,
        item: &ItemRef,
    ) -> Result<KnownStructure, MailboxError> {
        let (_, message) = self.rendered(item).await?;
        let header_len = usize::try_from(message.summary().header_len())
            .unwrap_or(usize::MAX)
            .min(message.head().len());
        Ok(KnownStructure {
            summary: message.summary().clone(),
            header: Bytes::copy_from_slice(&message.head()[..header_len]),
        })
    }

    /// The bytes (or a range of them) of a generated message; the document is downloaded only
    /// for the part of the range that lies in its attachment.
    pub(super) async fn document_content(
        &self,
        item: &ItemRef,
        range: Option<Range<u64>>,
    ) -> Result<Content, MailboxError> {
        let (pin, message) = self.rendered(item).await?;
        let size = message.size();
        let wanted = range.unwrap_or(0..size);
        let start = wanted.start.min(size);
        let wanted = start..wanted.end.min(size).max(start);
        let Some(attachment) = message.attachment_range() else {
            let head = Bytes::copy_from_slice(message.head());
            return Ok(super::listing::slice(head, Some(wanted)));
        };
        let mut parts: Vec<ByteStream> = Vec::new();
        if wanted.start < attachment.start {
            let end = wanted.end.min(attachment.start);
            let part = Bytes::copy_from_slice(&message.head()[wanted.start as usize..end as usize]);
            parts.push(Box::pin(futures::stream::once(async move { Ok(part) })));
        }
        let inner = wanted.start.max(attachment.start)..wanted.end.min(attachment.end);
        if inner.start < inner.end {
            let encoded = inner.start - attachment.start..inner.end - attachment.start;
            parts.push(
                self.encoded_attachment(&item.node_id, pin.document.size, encoded)
                    .await?,
            );
        }
        if wanted.end > attachment.end {
            let from = wanted.start.max(attachment.end) - attachment.end;
            let to = wanted.end - attachment.end;
            let part = Bytes::copy_from_slice(&message.tail()[from as usize..to as usize]);
            parts.push(Box::pin(futures::stream::once(async move { Ok(part) })));
        }
        Ok(Content {
            length: wanted.end - wanted.start,
            stream: Box::pin(futures::stream::iter(parts).flatten()),
        })
    }

    /// A range of the document's base64 encoding (76-column lines joined by CRLF), downloading
    /// only the content bytes it needs.
    async fn encoded_attachment(
        &self,
        node_id: &str,
        length: u64,
        encoded: Range<u64>,
    ) -> Result<ByteStream, MailboxError> {
        let (span, skip) = content_span(&encoded, length);
        let take = encoded.end - encoded.start;
        let whole = span.start == 0 && span.end == length;
        let request = (!whole).then(|| ByteRange {
            start: span.start,
            end: Some(span.end.saturating_sub(1)),
        });
        let download = self
            .session
            .download(node_id, request)
            .await
            .map_err(message_error)?;
        if download.total_length.is_some_and(|total| total != length) {
            // The document changed under its UID: it is not the message listed.
            return Err(MailboxError::MessageGone);
        }
        // A repository that ignored the range sends everything: skip to the span.
        let ignore = if download.status == 200 {
            span.start
        } else {
            0
        };
        let state = EncodeState {
            stream: download.stream,
            ignore,
            remaining: span.end - span.start,
            encoder: Base64Lines::default(),
            skip,
            take,
            done: false,
        };
        Ok(Box::pin(futures::stream::unfold(state, encode_step)))
    }
}

/// Streaming encoder state: raw content in, the wanted part of its encoding out.
struct EncodeState {
    stream: crate::alfresco::ContentStream,
    /// Raw bytes still to drop before the span (a download that ignored the range).
    ignore: u64,
    /// Raw bytes of the span still to read.
    remaining: u64,
    encoder: Base64Lines,
    /// Encoded bytes still to drop before the wanted range.
    skip: u64,
    /// Encoded bytes still to yield.
    take: u64,
    done: bool,
}

async fn encode_step(mut s: EncodeState) -> Option<(Result<Bytes, MailboxError>, EncodeState)> {
    loop {
        if s.take == 0 || s.done {
            return None;
        }
        let mut encoded = Vec::new();
        if s.remaining == 0 {
            s.encoder.finish(&mut encoded);
            s.done = true;
        } else {
            let mut chunk = match s.stream.next().await {
                Some(Ok(chunk)) => chunk,
                Some(Err(error)) => {
                    s.done = true;
                    return Some((Err(message_error(error)), s));
                }
                None => {
                    // The document is shorter than listed: it changed under its UID.
                    s.done = true;
                    return Some((Err(MailboxError::MessageGone), s));
                }
            };
            if s.ignore > 0 {
                let cut = s.ignore.min(chunk.len() as u64) as usize;
                chunk = chunk.slice(cut..);
                s.ignore -= cut as u64;
            }
            let keep = s.remaining.min(chunk.len() as u64) as usize;
            s.remaining -= keep as u64;
            s.encoder.push(&chunk[..keep], &mut encoded);
        }
        let mut out = Bytes::from(encoded);
        if s.skip > 0 {
            let cut = s.skip.min(out.len() as u64) as usize;
            out = out.slice(cut..);
            s.skip -= cut as u64;
        }
        let keep = s.take.min(out.len() as u64) as usize;
        s.take -= keep as u64;
        if keep > 0 {
            return Some((Ok(out.slice(..keep)), s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::virtual_message::base64_body_len;

    #[test]
    fn mailboxes_from_repository_text() {
        assert_eq!(
            split_mailbox("\"Bob, B.\" <bob@example.com>"),
            (Some("Bob, B.".into()), Some("bob@example.com".into()))
        );
        assert_eq!(
            split_mailbox("bob@example.com"),
            (None, Some("bob@example.com".into()))
        );
        assert_eq!(split_mailbox("Bob Baker"), (Some("Bob Baker".into()), None));
        assert_eq!(split_mailbox("<x>"), (None, None));
    }

    #[test]
    fn content_spans_cover_whole_lines() {
        for length in [0u64, 1, 56, 57, 58, 114, 115, 1000, 5000] {
            let encoded_len = base64_body_len(length);
            let content: Vec<u8> = (0..length).map(|i| (i * 31 % 251) as u8).collect();
            let mut encoder = Base64Lines::default();
            let mut full = Vec::new();
            encoder.push(&content, &mut full);
            encoder.finish(&mut full);
            assert_eq!(full.len() as u64, encoded_len);
            for start in [0, 1, 75, 76, 77, 78, 79, 200] {
                for len in [1u64, 2, 78, 100, 1000] {
                    let end = (start + len).min(encoded_len);
                    if start >= end {
                        continue;
                    }
                    let (span, skip) = content_span(&(start..end), length);
                    let mut encoder = Base64Lines::default();
                    let mut part = Vec::new();
                    encoder.push(&content[span.start as usize..span.end as usize], &mut part);
                    encoder.finish(&mut part);
                    let got = &part[skip as usize..(skip + end - start) as usize];
                    assert_eq!(
                        got,
                        &full[start as usize..end as usize],
                        "{length} {start} {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_cache_is_bounded_in_entries_and_bytes() {
        let cache = RenderedCache::new(0, 1000);
        assert_eq!(cache.cache.policy().max_capacity(), Some(0));
        let cache = RenderedCache::new(10, 1_000_000);
        assert_eq!(cache.cache.policy().max_capacity(), Some(1_000_000));
    }
}
