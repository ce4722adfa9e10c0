//! FETCH sections (RFC 3501 §6.4.5) and BINARY (RFC 3516) from a summary.
//!
//! [`locate`] says where a section's bytes are without reading the message: most sections are
//! a contiguous byte range of the original (so a large stored message can be served with an
//! HTTP Range request); `HEADER.FIELDS` and `HEADER.FIELDS.NOT` are built from the header block
//! they select from, which the plan names as well. A part that does not exist gives an empty
//! section, as Dovecot answers; `HEADER`, `TEXT` and `HEADER.FIELDS` after a part number need a
//! message/rfc822 part.

use std::borrow::Cow;
use std::num::NonZeroU32;
use std::ops::Range;

use imap_types::core::AString;
use imap_types::fetch::{Part, Section};

use super::header;
use super::summary::{MessageSummary, PartKind, PartSummary};
use super::transfer::TransferEncoding;

/// Why a section cannot be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SectionError {
    /// BINARY of a part whose Content-Transfer-Encoding is not known (RFC 3516
    /// `[UNKNOWN-CTE]`).
    #[error("unknown Content-Transfer-Encoding")]
    UnknownCte,
    /// BINARY of a part whose body is not valid in its encoding (answered `[PARSE]`).
    #[error("invalid data in MIME part")]
    InvalidEncoding,
}

/// Where the bytes of a section come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionPlan {
    /// This byte range of the original message.
    Range(Range<u64>),
    /// Fields selected from the header block `block` of the original message.
    HeaderFields {
        /// The header block (blank line included when there is one).
        block: Range<u64>,
        /// Field names, compared without regard to case.
        names: Vec<Vec<u8>>,
        /// `HEADER.FIELDS.NOT`: keep the fields *not* named.
        exclude: bool,
    },
}

impl SectionPlan {
    /// The bytes of the original message this section is made from.
    pub fn source(&self) -> Range<u64> {
        match self {
            SectionPlan::Range(r) => r.clone(),
            SectionPlan::HeaderFields { block, .. } => block.clone(),
        }
    }

    /// The section's bytes, given the bytes of [`SectionPlan::source`].
    pub fn render<'a>(&self, source: &'a [u8]) -> Cow<'a, [u8]> {
        match self {
            SectionPlan::Range(_) => Cow::Borrowed(source),
            SectionPlan::HeaderFields { names, exclude, .. } => {
                Cow::Owned(select_fields(source, names, *exclude))
            }
        }
    }

    /// Whether the section's length is known without reading (true for ranges).
    pub fn known_len(&self) -> Option<u64> {
        match self {
            SectionPlan::Range(r) => Some(r.end - r.start),
            SectionPlan::HeaderFields { .. } => None,
        }
    }
}

/// Finds a section of the message (`None` = `BODY[]`).
pub fn locate(summary: &MessageSummary, section: Option<&Section<'_>>) -> SectionPlan {
    let empty = SectionPlan::Range(0..0);
    let Some(section) = section else {
        return SectionPlan::Range(0..summary.size());
    };
    let message_header = |part: Option<&Part>| -> Option<&PartSummary> {
        match part {
            None => Some(summary.root()),
            Some(p) => summary.inner_message(summary.find(p.0.as_ref())?),
        }
    };
    match section {
        Section::Part(p) => match summary.find(p.0.as_ref()) {
            Some(part) => SectionPlan::Range(part.body_start..part.body_end),
            None => empty,
        },
        Section::Mime(p) => match summary.find(p.0.as_ref()) {
            Some(part) => SectionPlan::Range(part.header_start..part.body_start),
            None => empty,
        },
        Section::Header(p) => match message_header(p.as_ref()) {
            Some(m) => SectionPlan::Range(m.header_start..m.body_start),
            None => empty,
        },
        Section::Text(p) => match message_header(p.as_ref()) {
            Some(m) => SectionPlan::Range(m.body_start..m.body_end),
            None => empty,
        },
        Section::HeaderFields(p, names) | Section::HeaderFieldsNot(p, names) => {
            match message_header(p.as_ref()) {
                Some(m) => SectionPlan::HeaderFields {
                    block: m.header_start..m.body_start,
                    names: names.as_ref().iter().map(astring_bytes).collect(),
                    exclude: matches!(section, Section::HeaderFieldsNot(..)),
                },
                None => empty,
            }
        }
    }
}

fn astring_bytes(name: &AString<'_>) -> Vec<u8> {
    match name {
        AString::Atom(atom) => atom.as_ref().as_bytes().to_vec(),
        AString::String(s) => s.as_ref().to_vec(),
    }
}

/// Builds `HEADER.FIELDS` / `HEADER.FIELDS.NOT` from a header block: the selected fields in
/// message order, each whole (folded lines kept), then the blank line if the block has one.
pub fn select_fields(block: &[u8], names: &[Vec<u8>], exclude: bool) -> Vec<u8> {
    let (fields, blank) = header::fields(block, 0, block.len());
    let mut out = Vec::new();
    for field in fields {
        let named = names.iter().any(|n| n.eq_ignore_ascii_case(&field.name));
        if named == exclude {
            continue;
        }
        let bytes = block.get(field.start..field.end).unwrap_or_default();
        out.extend_from_slice(bytes);
        if !bytes.ends_with(b"\n") {
            out.extend_from_slice(b"\r\n");
        }
    }
    if let Some(blank) = blank {
        out.extend_from_slice(block.get(blank.start..blank.end).unwrap_or_default());
    }
    out
}

/// The part of a section a partial fetch `<origin.count>` returns, relative to the section:
/// empty when the origin is past the end (RFC 3501 §6.4.5).
pub fn apply_partial(len: u64, partial: Option<(u32, NonZeroU32)>) -> Range<u64> {
    match partial {
        None => 0..len,
        Some((origin, count)) => {
            let start = u64::from(origin).min(len);
            start..start.saturating_add(u64::from(count.get())).min(len)
        }
    }
}

/// The bytes of a section in a message held in memory, partial applied.
pub fn section_bytes<'a>(
    summary: &MessageSummary,
    message: &'a [u8],
    section: Option<&Section<'_>>,
    partial: Option<(u32, NonZeroU32)>,
) -> Cow<'a, [u8]> {
    let plan = locate(summary, section);
    let source = slice(message, plan.source());
    let bytes = plan.render(source);
    let range = apply_partial(bytes.len() as u64, partial);
    match bytes {
        Cow::Borrowed(b) => Cow::Borrowed(slice(b, range)),
        Cow::Owned(b) => Cow::Owned(slice(&b, range).to_vec()),
    }
}

fn slice(bytes: &[u8], range: Range<u64>) -> &[u8] {
    let start = usize::try_from(range.start).unwrap_or(usize::MAX);
    let end = usize::try_from(range.end).unwrap_or(usize::MAX);
    bytes.get(start..end).unwrap_or_default()
}

/// Where the bytes of `BINARY[part]` come from and how to decode them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryPlan {
    /// Bytes of the original message to read.
    pub range: Range<u64>,
    /// Leading bytes of `range` that are copied as they are (the header of `BINARY[]`).
    pub header_len: u64,
    /// The encoding to undo on the rest.
    pub encoding: TransferEncoding,
    /// The decoded size, when the summary knows it.
    pub size: Option<u64>,
}

impl BinaryPlan {
    /// Decodes the bytes of [`BinaryPlan::range`].
    pub fn decode<'a>(&self, source: &'a [u8]) -> Result<Cow<'a, [u8]>, SectionError> {
        let split = usize::try_from(self.header_len)
            .unwrap_or(usize::MAX)
            .min(source.len());
        let (head, body) = source.split_at(split);
        let decoded = self
            .encoding
            .decode(body)
            .ok_or(SectionError::InvalidEncoding)?;
        if head.is_empty() {
            return Ok(decoded);
        }
        let mut out = head.to_vec();
        out.extend_from_slice(&decoded);
        Ok(Cow::Owned(out))
    }
}

/// Plans `BINARY[part]` (an empty `part` is the whole message): the body with its
/// Content-Transfer-Encoding undone. Multiparts and missing parts are returned as they are
/// (missing = empty).
pub fn binary(summary: &MessageSummary, part: &[NonZeroU32]) -> Result<BinaryPlan, SectionError> {
    let identity = |range: Range<u64>| BinaryPlan {
        size: Some(range.end - range.start),
        range,
        header_len: 0,
        encoding: TransferEncoding::Identity,
    };
    let target = if part.is_empty() {
        Some(summary.root())
    } else {
        summary.find(part)
    };
    let Some(target) = target else {
        return Ok(identity(0..0));
    };
    if target.kind == PartKind::Multipart {
        let start = if part.is_empty() {
            0
        } else {
            target.body_start
        };
        return Ok(identity(start..target.body_end));
    }
    let encoding = TransferEncoding::of(target.mime.encoding.as_ref());
    if encoding == TransferEncoding::Unknown {
        return Err(SectionError::UnknownCte);
    }
    let (start, header_len) = if part.is_empty() {
        (0, target.body_start)
    } else {
        (target.body_start, 0)
    };
    Ok(BinaryPlan {
        range: start..target.body_end,
        header_len,
        encoding,
        size: target.binary_size.map(|s| s + header_len),
    })
}

/// `BINARY.SIZE[part]` from the summary alone.
pub fn binary_size(summary: &MessageSummary, part: &[NonZeroU32]) -> Result<u64, SectionError> {
    binary(summary, part)?
        .size
        .ok_or(SectionError::InvalidEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::summarize;
    use imap_types::core::Vec1;

    fn part(nums: &[u32]) -> Part {
        Part(
            Vec1::try_from(
                nums.iter()
                    .map(|&n| NonZeroU32::new(n).unwrap())
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
        )
    }

    const MSG: &[u8] = b"From: a@b\r\nSubject: Hi\r\n there\r\nX: y\r\n\r\nbody\r\n";

    #[test]
    fn header_fields_keep_folding_and_the_blank_line() {
        let s = summarize(MSG);
        let names = Vec1::try_from(vec![AString::try_from("subject").unwrap()]).unwrap();
        let fields = Section::HeaderFields(None, names.clone());
        assert_eq!(
            &*section_bytes(&s, MSG, Some(&fields), None),
            b"Subject: Hi\r\n there\r\n\r\n"
        );
        let not = Section::HeaderFieldsNot(None, names);
        assert_eq!(
            &*section_bytes(&s, MSG, Some(&not), None),
            b"From: a@b\r\nX: y\r\n\r\n"
        );
    }

    #[test]
    fn partial_past_the_end_is_empty() {
        let one = NonZeroU32::new(1).unwrap();
        assert_eq!(
            apply_partial(10, Some((3, NonZeroU32::new(4).unwrap()))),
            3..7
        );
        assert_eq!(
            apply_partial(10, Some((8, NonZeroU32::new(4).unwrap()))),
            8..10
        );
        assert_eq!(apply_partial(10, Some((11, one))), 10..10);
    }

    #[test]
    fn part_one_of_a_single_part_message_is_its_body() {
        let s = summarize(MSG);
        let body = Section::Part(part(&[1]));
        assert_eq!(&*section_bytes(&s, MSG, Some(&body), None), b"body\r\n");
        assert_eq!(
            &*section_bytes(&s, MSG, Some(&Section::Part(part(&[2]))), None),
            b""
        );
        assert_eq!(
            &*section_bytes(&s, MSG, Some(&Section::Header(Some(part(&[1])))), None),
            b""
        );
    }

    #[test]
    fn binary_decodes_and_reports_unknown_encodings() {
        let msg = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8=\r\n--b\r\nContent-Transfer-Encoding: x-uue\r\n\r\nx\r\n--b--\r\n";
        let s = summarize(msg);
        let one = [NonZeroU32::new(1).unwrap()];
        let plan = binary(&s, &one).unwrap();
        let source = &msg[plan.range.start as usize..plan.range.end as usize];
        assert_eq!(&*plan.decode(source).unwrap(), b"Hello");
        assert_eq!(binary_size(&s, &one), Ok(5));
        let two = [NonZeroU32::new(2).unwrap()];
        assert_eq!(binary(&s, &two), Err(SectionError::UnknownCte));
    }
}
