//! Generated (virtual) messages: the byte-stable mail shown for a repository document
//! (design decision 6, spec §5.3).
//!
//! `multipart/alternative` with a text/plain and a text/html part (UTF-8, base64, 76-column
//! lines), or `multipart/mixed` with that alternative part and the document as a base64
//! attachment. The same input always gives the same bytes: the Date is given, the boundaries
//! derive from the node id, nothing random or clock-based is used. Header values lose CR, LF
//! and NUL before they are encoded, so repository text cannot add header lines; the From
//! address is whatever fixed address the caller gives.
//!
//! The attachment is never read to build the message: sizes and the summary come from base64
//! length arithmetic, and its bytes are encoded on the fly when the message is streamed.

use std::ops::Range;

use base64::Engine as _;
use chrono::{DateTime, FixedOffset};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use uuid::Uuid;

use super::header_writer::{field, phrase, sanitize, unstructured};
use super::summarize;
use super::summary::MessageSummary;

/// Base64 characters per line (RFC 2045 §6.8).
const LINE_CHARS: u64 = 76;

/// A mailbox (display name and address) of From or To.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Display name, any text.
    pub name: Option<String>,
    /// The address; characters that cannot be in an address are dropped.
    pub address: String,
}

/// The document attached to a `multipart/mixed` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentSpec {
    /// File name (the document's `cm:name`).
    pub file_name: String,
    /// Media type; anything that is not `type/subtype` becomes application/octet-stream.
    pub mimetype: String,
    /// Exact length of the content in bytes.
    pub length: u64,
}

/// What a generated message is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualMessageSpec {
    /// The document's node id.
    pub node_id: Uuid,
    /// From: the display name (originator, author or creator) and the fixed address.
    pub from: Mailbox,
    /// To.
    pub to: Vec<Mailbox>,
    /// Subject (title or name).
    pub subject: String,
    /// Date (the pinned `cm:modified`).
    pub date: DateTime<FixedOffset>,
    /// The rendered plain-text body.
    pub text_body: String,
    /// The rendered HTML body.
    pub html_body: String,
    /// Further header fields (for instance persisted `imap:messageHeaders`). Fields this
    /// module writes itself, and names that are not plain tokens, are ignored.
    pub extra_headers: Vec<(String, String)>,
    /// The document as an attachment (`imap.sidecar.virtual.attachContent`).
    pub attachment: Option<AttachmentSpec>,
}

/// Errors while streaming a generated message.
#[derive(Debug, thiserror::Error)]
pub enum VirtualMessageError {
    /// The attachment content had another length than announced (the document changed).
    #[error("attachment has {actual} bytes, {expected} were announced")]
    ContentLength {
        /// The length the message was built for.
        expected: u64,
        /// The length read.
        actual: u64,
    },
    /// The message has an attachment but no content was given.
    #[error("attachment content missing")]
    MissingContent,
    /// Reading the content or writing the message failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// A generated message: its bytes around the attachment, the attachment's place, and its
/// summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualMessage {
    head: Vec<u8>,
    attachment_len: Option<u64>,
    tail: Vec<u8>,
    summary: MessageSummary,
}

/// Length of the base64 body of `len` content bytes (76-column lines joined by CRLF).
pub fn base64_body_len(len: u64) -> u64 {
    let chars = len.div_ceil(3) * 4;
    chars + 2 * base64_body_line_breaks(len)
}

/// Number of line breaks inside the base64 body of `len` content bytes.
pub fn base64_body_line_breaks(len: u64) -> u64 {
    let chars = len.div_ceil(3) * 4;
    chars.div_ceil(LINE_CHARS).saturating_sub(1)
}

/// Base64 of `bytes` in 76-column lines joined by CRLF (no line break at the end).
fn base64_lines(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = Base64Lines::default();
    let mut out = Vec::new();
    encoder.push(bytes, &mut out);
    encoder.finish(&mut out);
    out
}

/// Incremental base64 in 76-column lines: the attachment is encoded as it is read.
#[derive(Debug, Default)]
pub struct Base64Lines {
    pending: Vec<u8>,
    column: u64,
}

impl Base64Lines {
    /// Encodes more content, appending to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<u8>) {
        if !self.pending.is_empty() {
            while self.pending.len() < 3 && !bytes.is_empty() {
                self.pending.push(bytes[0]);
                bytes = &bytes[1..];
            }
            if self.pending.len() < 3 {
                return;
            }
            let group = std::mem::take(&mut self.pending);
            self.emit(&group, out);
        }
        let whole = bytes.len() / 3 * 3;
        for group in bytes[..whole].chunks(57) {
            self.emit(group, out);
        }
        self.pending.extend_from_slice(&bytes[whole..]);
    }

    /// Encodes what is left (with padding).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() {
            self.emit(&rest, out);
        }
    }

    fn emit(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        for &c in encoded.as_bytes() {
            if self.column == LINE_CHARS {
                out.extend_from_slice(b"\r\n");
                self.column = 0;
            }
            out.push(c);
            self.column += 1;
        }
    }
}

fn boundary(kind: &str, node: &Uuid) -> String {
    format!("----=_{kind}_{}", node.hyphenated())
}

/// Keeps only characters that can be part of an address (no white space, brackets, quotes,
/// commas, controls).
fn clean_address(address: &str) -> String {
    sanitize(address)
        .chars()
        .filter(|c| c.is_ascii_graphic() && !"<>()[],;:\"\\".contains(*c))
        .collect()
}

fn mailbox_words(mailbox: &Mailbox) -> Vec<String> {
    let address = format!("<{}>", clean_address(&mailbox.address));
    let mut words = match mailbox.name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => phrase(name),
        _ => Vec::new(),
    };
    words.push(address);
    words
}

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

const OWN_FIELDS: &[&str] = &[
    "MIME-Version",
    "Date",
    "From",
    "To",
    "Subject",
    "Message-ID",
    "X-Alfresco-NodeRef-ID",
];

fn mimetype(value: &str) -> String {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match value.trim().split_once('/') {
        Some((t, s)) if token(t) && token(s) => format!("{t}/{s}").to_ascii_lowercase(),
        _ => "application/octet-stream".to_owned(),
    }
}

/// `; name="value"`, or RFC 2231 `name*0*=utf-8''...` sections when the value is not short
/// plain ASCII. Each parameter goes on its own folded line.
fn parameter(out: &mut Vec<u8>, name: &str, value: &str) {
    let value = sanitize(value);
    let plain = value.bytes().all(|b| (0x20..0x7f).contains(&b)) && value.len() <= 60;
    if plain {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        out.extend_from_slice(format!(";\r\n\t{name}=\"{escaped}\"").as_bytes());
        return;
    }
    let mut encoded = String::from("utf-8''");
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let mut sections = Vec::new();
    let mut rest = encoded.as_str();
    while !rest.is_empty() {
        let mut cut = rest.len().min(60);
        // Never split a %XX escape.
        while cut < rest.len()
            && rest
                .as_bytes()
                .get(cut.saturating_sub(2)..cut)
                .is_some_and(|w| w.contains(&b'%'))
        {
            cut -= 1;
        }
        sections.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    for (i, section) in sections.iter().enumerate() {
        out.extend_from_slice(format!(";\r\n\t{name}*{i}*={section}").as_bytes());
    }
}

fn text_part(out: &mut Vec<u8>, boundary: &str, subtype: &str, body: &str) {
    out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    out.extend_from_slice(format!("Content-Type: text/{subtype}; charset=utf-8\r\n").as_bytes());
    out.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
    out.extend_from_slice(&base64_lines(body.as_bytes()));
    out.extend_from_slice(b"\r\n");
}

impl VirtualMessage {
    /// Builds the message (the attachment is not needed, only its length).
    pub fn build(spec: &VirtualMessageSpec) -> Self {
        let node = spec.node_id.hyphenated().to_string();
        let mut head = Vec::new();
        head.extend_from_slice(b"MIME-Version: 1.0\r\n");
        field(&mut head, "Date", &[spec.date.to_rfc2822()]);
        field(&mut head, "From", &mailbox_words(&spec.from));
        let mut to = Vec::new();
        for (i, mailbox) in spec.to.iter().enumerate() {
            let mut words = mailbox_words(mailbox);
            if i + 1 < spec.to.len()
                && let Some(last) = words.last_mut()
            {
                last.push(',');
            }
            to.extend(words);
        }
        if !to.is_empty() {
            field(&mut head, "To", &to);
        }
        field(&mut head, "Subject", &unstructured(&spec.subject));
        field(&mut head, "Message-ID", &[format!("<{node}@alfresco.org>")]);
        field(
            &mut head,
            "X-Alfresco-NodeRef-ID",
            std::slice::from_ref(&node),
        );
        for (name, value) in &spec.extra_headers {
            let own = OWN_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name))
                || name.to_ascii_lowercase().starts_with("content-");
            if is_token(name) && !own {
                field(&mut head, name, &unstructured(value));
            }
        }

        let alternative = boundary("Part", &spec.node_id);
        let mixed = boundary("Mixed", &spec.node_id);
        let mut alt_body = Vec::new();
        text_part(&mut alt_body, &alternative, "plain", &spec.text_body);
        text_part(&mut alt_body, &alternative, "html", &spec.html_body);
        alt_body.extend_from_slice(format!("--{alternative}--\r\n").as_bytes());
        let alt_type =
            format!("Content-Type: multipart/alternative;\r\n\tboundary=\"{alternative}\"\r\n");

        let mut tail = Vec::new();
        let attachment_len = match &spec.attachment {
            None => {
                head.extend_from_slice(alt_type.as_bytes());
                head.extend_from_slice(b"\r\n");
                head.extend_from_slice(&alt_body);
                None
            }
            Some(att) => {
                head.extend_from_slice(
                    format!("Content-Type: multipart/mixed;\r\n\tboundary=\"{mixed}\"\r\n\r\n")
                        .as_bytes(),
                );
                head.extend_from_slice(format!("--{mixed}\r\n").as_bytes());
                head.extend_from_slice(alt_type.as_bytes());
                head.extend_from_slice(b"\r\n");
                head.extend_from_slice(&alt_body);
                head.extend_from_slice(format!("--{mixed}\r\n").as_bytes());
                head.extend_from_slice(
                    format!("Content-Type: {}", mimetype(&att.mimetype)).as_bytes(),
                );
                parameter(&mut head, "name", &att.file_name);
                head.extend_from_slice(b"\r\nContent-Transfer-Encoding: base64\r\n");
                head.extend_from_slice(b"Content-Disposition: attachment");
                parameter(&mut head, "filename", &att.file_name);
                head.extend_from_slice(b"\r\n\r\n");
                tail.extend_from_slice(format!("\r\n--{mixed}--\r\n").as_bytes());
                Some(att.length)
            }
        };

        let mut summary = summarize(&[head.as_slice(), tail.as_slice()].concat());
        if let Some(len) = attachment_len {
            add_attachment(&mut summary, len);
        }
        VirtualMessage {
            head,
            attachment_len,
            tail,
            summary,
        }
    }

    /// The summary (sizes, ENVELOPE, BODYSTRUCTURE, offsets) of the whole message.
    pub fn summary(&self) -> &MessageSummary {
        &self.summary
    }

    /// Total size in bytes.
    pub fn size(&self) -> u64 {
        self.summary.size()
    }

    /// The bytes before the encoded attachment (the whole message when there is none).
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The bytes after the encoded attachment.
    pub fn tail(&self) -> &[u8] {
        &self.tail
    }

    /// Where the encoded attachment lies in the message.
    pub fn attachment_range(&self) -> Option<Range<u64>> {
        let start = self.head.len() as u64;
        self.attachment_len
            .map(|len| start..start + base64_body_len(len))
    }

    /// The whole message, with the attachment content given in memory.
    pub fn to_bytes(&self, content: Option<&[u8]>) -> Result<Vec<u8>, VirtualMessageError> {
        let mut out = Vec::with_capacity(usize::try_from(self.size()).unwrap_or(0));
        out.extend_from_slice(&self.head);
        if let Some(expected) = self.attachment_len {
            let content = content.ok_or(VirtualMessageError::MissingContent)?;
            let actual = content.len() as u64;
            if actual != expected {
                return Err(VirtualMessageError::ContentLength { expected, actual });
            }
            out.extend_from_slice(&base64_lines(content));
        }
        out.extend_from_slice(&self.tail);
        Ok(out)
    }

    /// Streams the whole message, reading and encoding the attachment content as it goes
    /// (memory stays at one buffer whatever the document's size).
    pub async fn write_to<R, W>(
        &self,
        content: Option<R>,
        out: &mut W,
    ) -> Result<(), VirtualMessageError>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        out.write_all(&self.head).await?;
        if let Some(expected) = self.attachment_len {
            let mut content = content.ok_or(VirtualMessageError::MissingContent)?;
            let mut encoder = Base64Lines::default();
            let mut buf = vec![0u8; 48 * 1024];
            let mut encoded = Vec::with_capacity(buf.len() * 2);
            let mut actual = 0u64;
            loop {
                let n = content.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                actual += n as u64;
                if actual > expected {
                    return Err(VirtualMessageError::ContentLength { expected, actual });
                }
                encoded.clear();
                encoder.push(&buf[..n], &mut encoded);
                out.write_all(&encoded).await?;
            }
            if actual != expected {
                return Err(VirtualMessageError::ContentLength { expected, actual });
            }
            encoded.clear();
            encoder.finish(&mut encoded);
            out.write_all(&encoded).await?;
        }
        out.write_all(&self.tail).await?;
        Ok(())
    }
}

/// Puts an attachment of `len` bytes into the summary of the message built without it: the
/// attachment part (the last child of the root) and everything after it move by its encoded
/// length.
fn add_attachment(summary: &mut MessageSummary, len: u64) {
    let delta = base64_body_len(len);
    let Some(&index) = summary.root().children.last() else {
        return;
    };
    let breaks = u32::try_from(base64_body_line_breaks(len)).unwrap_or(u32::MAX);
    if let Some(part) = summary.parts.get_mut(index as usize) {
        part.body_end += delta;
        part.body_lines = breaks;
        part.binary_size = Some(len);
    }
    if let Some(root) = summary.parts.first_mut() {
        root.body_end += delta;
        root.body_lines = root.body_lines.saturating_add(breaks);
    }
    summary.size += delta;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::section::section_bytes;
    use chrono::TimeZone;

    fn spec(attachment: Option<AttachmentSpec>) -> VirtualMessageSpec {
        VirtualMessageSpec {
            node_id: Uuid::parse_str("0f5b0a2c-1d3e-4f5a-8b6c-7d8e9f0a1b2c").unwrap(),
            from: Mailbox {
                name: Some("Jürgen Müller".into()),
                address: "alfresco@alfresco.org".into(),
            },
            to: vec![
                Mailbox {
                    name: None,
                    address: "alice@example.com".into(),
                },
                Mailbox {
                    name: Some("Bob, B.".into()),
                    address: "bob@example.com".into(),
                },
            ],
            subject: "Report\r\nBcc: x@evil ----=_Part_0f5b0a2c-1d3e-4f5a-8b6c-7d8e9f0a1b2c =?utf-8?q?x?="
                .into(),
            date: FixedOffset::east_opt(3600)
                .unwrap()
                .with_ymd_and_hms(2022, 3, 12, 18, 0, 0)
                .unwrap(),
            text_body: "Plain ----=_Part_0f5b0a2c-1d3e-4f5a-8b6c-7d8e9f0a1b2c\n".repeat(20),
            html_body: "<p>Grüße</p>".into(),
            extra_headers: vec![
                ("X-Custom".into(), "v\r\nInjected: 1".into()),
                ("Message-ID".into(), "<other@x>".into()),
                ("Bad Name".into(), "x".into()),
            ],
            attachment,
        }
    }

    #[test]
    fn same_input_same_bytes() {
        let a = VirtualMessage::build(&spec(None));
        let b = VirtualMessage::build(&spec(None));
        assert_eq!(a, b);
        assert_eq!(a.to_bytes(None).unwrap(), b.to_bytes(None).unwrap());
    }

    #[test]
    fn headers_are_safe_and_well_formed() {
        let msg = VirtualMessage::build(&spec(None));
        let bytes = msg.to_bytes(None).unwrap();
        let header_len = msg.summary().header_len() as usize;
        let header = std::str::from_utf8(&bytes[..header_len]).unwrap();
        for line in header.split("\r\n") {
            assert!(line.len() <= 78, "long line: {line}");
            assert!(line.is_ascii());
            assert!(
                !line.starts_with("Bcc") && !line.starts_with("Injected"),
                "{line}"
            );
        }
        assert!(
            header.starts_with("MIME-Version: 1.0\r\nDate: Sat, 12 Mar 2022 18:00:00 +0100\r\n")
        );
        assert!(
            header.contains("Message-ID: <0f5b0a2c-1d3e-4f5a-8b6c-7d8e9f0a1b2c@alfresco.org>\r\n")
        );
        assert!(header.contains("X-Alfresco-NodeRef-ID: 0f5b0a2c-1d3e-4f5a-8b6c-7d8e9f0a1b2c\r\n"));
        assert!(!header.contains("<other@x>"));
        assert!(!header.contains("Bad Name"));
        let metadata = crate::message::metadata::email_metadata(&bytes);
        assert_eq!(
            metadata.subject.as_deref(),
            Some("ReportBcc: x@evil ----=_Part_0f5b0a2c-1d3e-4f5a-8b6c-7d8e9f0a1b2c =?utf-8?q?x?=")
        );
        assert_eq!(
            metadata.from.as_deref(),
            Some("Jürgen Müller <alfresco@alfresco.org>")
        );
        assert_eq!(
            metadata.to.as_deref(),
            Some("alice@example.com, \"Bob, B.\" <bob@example.com>")
        );
        assert_eq!(
            crate::message::metadata::referenced_nodes(&bytes),
            vec![spec(None).node_id]
        );
    }

    #[test]
    fn structure_is_alternative_with_two_base64_parts() {
        let msg = VirtualMessage::build(&spec(None));
        let bytes = msg.to_bytes(None).unwrap();
        let s = msg.summary();
        assert_eq!(s, &summarize(&bytes));
        assert_eq!(s.parts.len(), 3);
        let plain = &s.parts[1];
        let body = &bytes[plain.body_start as usize..plain.body_end as usize];
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(
                body.iter()
                    .copied()
                    .filter(|b| !b"\r\n".contains(b))
                    .collect::<Vec<_>>(),
            )
            .unwrap();
        assert_eq!(decoded, spec(None).text_body.as_bytes());
        for line in body.split(|&b| b == b'\n') {
            assert!(line.len() <= 77);
        }
        assert_eq!(plain.binary_size, Some(decoded.len() as u64));
    }

    #[test]
    fn attachment_sizes_are_computed_without_the_content() {
        for len in [0usize, 1, 2, 3, 56, 57, 58, 114, 1000] {
            let content: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            let msg = VirtualMessage::build(&spec(Some(AttachmentSpec {
                file_name: "Überblick – a very long file name that needs RFC 2231 sections.txt"
                    .into(),
                mimetype: "text/plain".into(),
                length: len as u64,
            })));
            let bytes = msg.to_bytes(Some(&content)).unwrap();
            assert_eq!(msg.size(), bytes.len() as u64, "len {len}");
            assert_eq!(msg.summary(), &summarize(&bytes), "len {len}");
            let range = msg.attachment_range().unwrap();
            assert_eq!(range.end - range.start, base64_body_len(len as u64));
            let part = [std::num::NonZeroU32::new(2).unwrap()];
            let plan = crate::message::section::binary(msg.summary(), &part).unwrap();
            let decoded = plan
                .decode(&bytes[plan.range.start as usize..plan.range.end as usize])
                .unwrap();
            assert_eq!(decoded, content);
            let whole = section_bytes(msg.summary(), &bytes, None, None);
            assert_eq!(whole.len(), bytes.len());
        }
    }

    #[test]
    fn streaming_matches_and_checks_the_length() {
        let content = vec![42u8; 100_000];
        let msg = VirtualMessage::build(&spec(Some(AttachmentSpec {
            file_name: "doc.bin".into(),
            mimetype: "application/pdf".into(),
            length: content.len() as u64,
        })));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut out = Vec::new();
        runtime
            .block_on(msg.write_to(Some(&content[..]), &mut out))
            .unwrap();
        assert_eq!(out, msg.to_bytes(Some(&content)).unwrap());
        let short = &content[..10];
        let err = runtime.block_on(msg.write_to(Some(short), &mut Vec::new()));
        assert!(matches!(
            err,
            Err(VirtualMessageError::ContentLength { .. })
        ));
    }
}
