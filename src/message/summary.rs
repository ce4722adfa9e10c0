//! The message summary: everything FETCH needs from a message except its bytes.
//!
//! A [`MessageSummary`] is computed once from the bytes ([`summarize`]) and stored in the state
//! store as a compact, versioned blob ([`MessageSummary::to_bytes`]). From it the IMAP layer
//! answers RFC822.SIZE, ENVELOPE, BODY and BODYSTRUCTURE, BINARY.SIZE, and finds the byte range
//! of every section, so the message is downloaded at most once and header-only needs can be
//! served from its first bytes.
//!
//! Parts are stored flat in pre-order (`parts[0]` is the message itself); a part lists the
//! indexes of its children. Strings keep the bytes of the header they come from ([`Text`]).

use std::fmt;
use std::num::NonZeroU32;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The version of the stored summary format; a blob of another version is recomputed.
pub const SUMMARY_VERSION: u32 = 1;

pub use super::parser::{header_end, summarize};

/// Deepest part tree a stored summary may have (the parser stops at 100 levels).
const MAX_DEPTH: usize = 128;

/// Bytes taken from a header, kept exactly (they may be 8-bit and not UTF-8).
///
/// Stored as a JSON string when the bytes are UTF-8, otherwise as `{"b64": "..."}`.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(pub Vec<u8>);

impl Text {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl From<&[u8]> for Text {
    fn from(value: &[u8]) -> Self {
        Text(value.to_vec())
    }
}

impl From<Vec<u8>> for Text {
    fn from(value: Vec<u8>) -> Self {
        Text(value)
    }
}

impl From<&str> for Text {
    fn from(value: &str) -> Self {
        Text(value.as_bytes().to_vec())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum TextRepr {
    Utf8(String),
    Binary { b64: String },
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use base64::Engine as _;
        match std::str::from_utf8(&self.0) {
            Ok(s) => TextRepr::Utf8(s.to_owned()),
            Err(_) => TextRepr::Binary {
                b64: base64::engine::general_purpose::STANDARD.encode(&self.0),
            },
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use base64::Engine as _;
        match TextRepr::deserialize(deserializer)? {
            TextRepr::Utf8(s) => Ok(Text(s.into_bytes())),
            TextRepr::Binary { b64 } => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map(Text)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// One address of an ENVELOPE address list, as RFC 3501 §7.4.2 structures it: a group start
/// has only `mailbox` (the group name), a group end has nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AddressFields {
    /// Display name (or the comment of a bare address), unquoted, not RFC 2047-decoded.
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// Source route (`@a,@b`).
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Text>,
    /// Local part, or the group name.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<Text>,
    /// Domain.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<Text>,
}

/// The envelope fields of a message header (RFC 3501 §7.4.2), raw as the header has them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EnvelopeFields {
    /// The last `Date` field.
    #[serde(rename = "dt", default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Text>,
    /// The last `Subject` field.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Text>,
    /// All `From` fields, merged.
    #[serde(rename = "f", default, skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<AddressFields>,
    /// All `Sender` fields, merged (FROM is used when empty).
    #[serde(rename = "sn", default, skip_serializing_if = "Vec::is_empty")]
    pub sender: Vec<AddressFields>,
    /// All `Reply-To` fields, merged (FROM is used when empty).
    #[serde(rename = "rt", default, skip_serializing_if = "Vec::is_empty")]
    pub reply_to: Vec<AddressFields>,
    /// All `To` fields, merged.
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<AddressFields>,
    /// All `Cc` fields, merged.
    #[serde(rename = "c", default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<AddressFields>,
    /// All `Bcc` fields, merged.
    #[serde(rename = "b", default, skip_serializing_if = "Vec::is_empty")]
    pub bcc: Vec<AddressFields>,
    /// The last `In-Reply-To` field.
    #[serde(rename = "ir", default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<Text>,
    /// The last `Message-ID` field.
    #[serde(rename = "id", default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<Text>,
    /// The last `References` field (for THREAD=REFERENCES; not part of ENVELOPE). Summaries
    /// stored before it was kept lack it: see `MessageInfo::from_bytes`.
    #[serde(rename = "rf", default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Text>,
}

/// The MIME header fields of a part (the first of each kind counts).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MimeFields {
    /// Media type as written; `None` without a (MIME) Content-Type.
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<Text>,
    /// Subtype as written (empty when the Content-Type has none).
    #[serde(rename = "st", default, skip_serializing_if = "Option::is_none")]
    pub subtype: Option<Text>,
    /// Content-Type parameters, RFC 2231 continuations merged, in order.
    #[serde(rename = "p", default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<(Text, Text)>,
    /// Content-ID.
    #[serde(rename = "id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Text>,
    /// Content-Description.
    #[serde(rename = "ds", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// Content-Transfer-Encoding token; `None` means 7bit.
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Text>,
    /// Content-MD5.
    #[serde(rename = "md5", default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<Text>,
    /// Content-Disposition type.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Text>,
    /// Content-Disposition parameters.
    #[serde(rename = "dp", default, skip_serializing_if = "Vec::is_empty")]
    pub disposition_params: Vec<(Text, Text)>,
    /// Content-Language tags (empty = none).
    #[serde(rename = "lg", default, skip_serializing_if = "Vec::is_empty")]
    pub language: Vec<Text>,
    /// Content-Location.
    #[serde(rename = "lc", default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Text>,
}

/// How a part is shown in BODYSTRUCTURE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartKind {
    /// `multipart/*`; its children are the body parts (none when it had no usable boundary).
    #[serde(rename = "mp")]
    Multipart,
    /// `message/rfc822`; its one child is the encapsulated message.
    #[serde(rename = "msg")]
    Message,
    /// `text/*` (or no Content-Type): has a line count.
    #[serde(rename = "txt")]
    Text,
    /// Any other single part.
    #[serde(rename = "bas")]
    Basic,
    /// A multipart or message part the parser could not open (limits reached, or a message/rfc822
    /// type outside MIME): shown as application/octet-stream.
    #[serde(rename = "oct")]
    Opaque,
}

/// One MIME part with its byte offsets in the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartSummary {
    /// Offset of the part's header (its MIME header, or the message header).
    #[serde(rename = "h")]
    pub header_start: u64,
    /// Offset of the body (end of the header, blank line included).
    #[serde(rename = "b")]
    pub body_start: u64,
    /// Offset just after the body (the line break before a boundary is not part of it).
    #[serde(rename = "e")]
    pub body_end: u64,
    /// Number of LF bytes in the body.
    #[serde(rename = "l", default)]
    pub body_lines: u32,
    /// Whether the header ended with an empty line.
    #[serde(rename = "eoh", default)]
    pub has_blank_line: bool,
    /// How BODYSTRUCTURE shows the part.
    #[serde(rename = "k")]
    pub kind: PartKind,
    /// Indexes (into [`MessageSummary::parts`]) of the child parts.
    #[serde(rename = "c", default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<u32>,
    /// The Content-* fields.
    #[serde(rename = "m", default)]
    pub mime: MimeFields,
    /// Envelope of the part's header, for the message itself and for encapsulated messages.
    #[serde(rename = "env", default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<EnvelopeFields>,
    /// Size of the body after undoing its Content-Transfer-Encoding (`None` when the encoding is
    /// unknown or the body does not decode).
    #[serde(rename = "bin", default, skip_serializing_if = "Option::is_none")]
    pub binary_size: Option<u64>,
}

impl PartSummary {
    /// Size of the body in bytes.
    pub fn body_size(&self) -> u64 {
        self.body_end.saturating_sub(self.body_start)
    }

    /// Size of the header in bytes.
    pub fn header_size(&self) -> u64 {
        self.body_start.saturating_sub(self.header_start)
    }
}

/// Errors reading a stored summary.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    /// The blob was written by another version of the format; recompute it.
    #[error("message summary version {found} is not {SUMMARY_VERSION}")]
    Version {
        /// The version found in the blob.
        found: u32,
    },
    /// The blob is not a summary.
    #[error("message summary cannot be read: {0}")]
    Corrupt(String),
}

/// Everything FETCH needs from one message, without the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    /// Format version ([`SUMMARY_VERSION`]).
    #[serde(rename = "v")]
    pub version: u32,
    /// Size of the message in bytes (RFC822.SIZE).
    #[serde(rename = "n")]
    pub size: u64,
    /// The parts in pre-order; `parts[0]` is the message itself.
    #[serde(rename = "p")]
    pub parts: Vec<PartSummary>,
}

impl MessageSummary {
    /// RFC822.SIZE: the number of bytes of the message.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Length of the message header, blank line included: the bytes needed for `BODY[HEADER]`,
    /// `HEADER.FIELDS` and for recomputing ENVELOPE.
    pub fn header_len(&self) -> u64 {
        self.root().body_start
    }

    /// The message itself as a part.
    pub fn root(&self) -> &PartSummary {
        // A summary always has its root; `summarize` and `from_bytes` guarantee it.
        &self.parts[0]
    }

    /// The part with index `index`.
    pub fn get(&self, index: u32) -> Option<&PartSummary> {
        self.parts.get(usize::try_from(index).ok()?)
    }

    /// The children of a part.
    pub fn children<'a>(&'a self, part: &'a PartSummary) -> impl Iterator<Item = &'a PartSummary> {
        part.children.iter().filter_map(|&i| self.get(i))
    }

    /// Finds a part by its IMAP part number (`[1, 2]` is `BODY[1.2]`), the way RFC 3501 §6.4.5
    /// numbers parts: a non-multipart message has only part 1 (the message itself), a
    /// message/rfc822 part's numbers continue into the encapsulated message.
    pub fn find(&self, path: &[NonZeroU32]) -> Option<&PartSummary> {
        let mut part = self.root();
        for (i, num) in path.iter().enumerate() {
            let more = i + 1 < path.len();
            if part.kind == PartKind::Multipart {
                let index = usize::try_from(num.get() - 1).ok()?;
                part = self.get(*part.children.get(index)?)?;
            } else if num.get() != 1 || (more && part.kind != PartKind::Message) {
                return None;
            }
            if more && part.kind == PartKind::Message {
                part = self.get(*part.children.first()?)?;
            }
        }
        Some(part)
    }

    /// ENVELOPE computed from the message header alone (the first [`MessageSummary::header_len`]
    /// bytes, or a prefix that [`header_end`] says holds the whole header).
    pub fn envelope_of_header(header: &[u8]) -> imap_types::envelope::Envelope<'static> {
        summarize(header).envelope()
    }

    /// The encapsulated message of a message/rfc822 part.
    pub fn inner_message(&self, part: &PartSummary) -> Option<&PartSummary> {
        if part.kind != PartKind::Message {
            return None;
        }
        self.get(*part.children.first()?)
    }

    /// The stored form: compact JSON with the format version.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a stored summary; another version or a broken blob is an error (recompute it).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SummaryError> {
        #[derive(Deserialize)]
        struct VersionOnly {
            v: u32,
        }
        let version: VersionOnly =
            serde_json::from_slice(bytes).map_err(|e| SummaryError::Corrupt(e.to_string()))?;
        if version.v != SUMMARY_VERSION {
            return Err(SummaryError::Version { found: version.v });
        }
        let summary: MessageSummary =
            serde_json::from_slice(bytes).map_err(|e| SummaryError::Corrupt(e.to_string()))?;
        summary.validate()?;
        Ok(summary)
    }

    /// Checks the invariants the accessors rely on.
    fn validate(&self) -> Result<(), SummaryError> {
        let corrupt = |what: &str| Err(SummaryError::Corrupt(what.to_owned()));
        if self.parts.is_empty() {
            return corrupt("no parts");
        }
        // Children come after their parent and have one parent each, so the parts form a tree
        // whose depth the parser bounds; conversions recurse over it.
        let mut depth = vec![None::<usize>; self.parts.len()];
        depth[0] = Some(0);
        for (i, part) in self.parts.iter().enumerate() {
            if part.header_start > part.body_start
                || part.body_start > part.body_end
                || part.body_end > self.size
            {
                return corrupt("part offsets out of order");
            }
            let Some(d) = depth[i] else {
                return corrupt("part without parent");
            };
            if d > MAX_DEPTH {
                return corrupt("parts nested too deeply");
            }
            for &c in &part.children {
                let c = c as usize;
                if c <= i || c >= self.parts.len() || depth[c].is_some() {
                    return corrupt("child index out of range");
                }
                depth[c] = Some(d + 1);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips_and_checks_its_version() {
        let msg =
            b"Subject: \xff raw 8-bit\r\nContent-Type: text/plain; name=\"\xe9\"\r\n\r\nx\r\n";
        let summary = summarize(msg);
        let bytes = summary.to_bytes();
        assert_eq!(MessageSummary::from_bytes(&bytes).unwrap(), summary);
        let other = String::from_utf8(bytes)
            .unwrap()
            .replacen("\"v\":1", "\"v\":2", 1);
        assert!(matches!(
            MessageSummary::from_bytes(other.as_bytes()),
            Err(SummaryError::Version { found: 2 })
        ));
        assert!(matches!(
            MessageSummary::from_bytes(b"{}"),
            Err(SummaryError::Corrupt(_))
        ));
    }

    #[test]
    fn corrupt_trees_are_refused() {
        let mut summary = summarize(
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
        );
        summary.parts[1].children.push(1);
        assert!(MessageSummary::from_bytes(&summary.to_bytes()).is_err());
    }
}
