//! BODY, BODYSTRUCTURE and ENVELOPE of a summary as imap-types values (RFC 3501 §7.4.2).
//!
//! The defaults and string forms follow RFC 3501 as Dovecot applies them: text parts without a
//! charset get `("charset" "us-ascii")`, a missing encoding is `"7bit"`, a part without
//! Content-Type is text/plain, a multipart without parts shows one empty text/plain part;
//! subjects and display names have their white space runs folded into single spaces, other
//! header strings only lose their line breaks; nothing is RFC 2047-decoded.

use imap_types::body::{
    BasicFields, Body, BodyStructure, Disposition, Language, Location, MultiPartExtensionData,
    SinglePartExtensionData, SpecificFields,
};
use imap_types::core::{IString, Literal, NString, Quoted, Vec1};
use imap_types::envelope::{Address, Envelope};

use super::summary::{AddressFields, EnvelopeFields, MessageSummary, PartKind, PartSummary, Text};

impl MessageSummary {
    /// ENVELOPE of the message.
    pub fn envelope(&self) -> Envelope<'static> {
        envelope(self.root().envelope.as_ref())
    }

    /// BODY (`extensions = false`) or BODYSTRUCTURE (`extensions = true`) of the message.
    pub fn body_structure(&self, extensions: bool) -> BodyStructure<'static> {
        self.part_structure(self.root(), extensions)
    }

    /// BODY or BODYSTRUCTURE of one part (and everything below it).
    pub fn part_structure(&self, part: &PartSummary, extensions: bool) -> BodyStructure<'static> {
        if part.kind == PartKind::Multipart {
            self.multipart(part, extensions)
        } else {
            self.single(part, extensions)
        }
    }

    fn multipart(&self, part: &PartSummary, ext: bool) -> BodyStructure<'static> {
        let bodies: Vec<_> = self
            .children(part)
            .map(|child| self.part_structure(child, ext))
            .collect();
        let bodies = Vec1::try_from(bodies).unwrap_or_else(|_| Vec1::from(empty_text(ext)));
        let mime = &part.mime;
        BodyStructure::Multi {
            bodies,
            subtype: istring(text_or_empty(mime.subtype.as_ref())),
            extension_data: ext.then(|| MultiPartExtensionData {
                parameter_list: params(&mime.params, false),
                tail: Some(disposition_tail(part)),
            }),
        }
    }

    fn single(&self, part: &PartSummary, ext: bool) -> BodyStructure<'static> {
        let mime = &part.mime;
        let size = clamp(part.body_size());
        let lines = part.body_lines;
        let (text, specific) = match part.kind {
            PartKind::Message => {
                let inner = self.inner_message(part);
                let specific = SpecificFields::Message {
                    envelope: Box::new(envelope(inner.and_then(|i| i.envelope.as_ref()))),
                    body_structure: Box::new(match inner {
                        Some(inner) => self.part_structure(inner, ext),
                        None => empty_text(ext),
                    }),
                    number_of_lines: lines,
                };
                (false, specific)
            }
            PartKind::Opaque => (false, basic(b"application", b"octet-stream")),
            PartKind::Text => {
                let subtype = match &mime.content_type {
                    None => b"plain".to_vec(),
                    Some(_) => text_or_empty(mime.subtype.as_ref()),
                };
                let specific = SpecificFields::Text {
                    subtype: istring(subtype),
                    number_of_lines: lines,
                };
                (true, specific)
            }
            PartKind::Basic | PartKind::Multipart => (
                false,
                basic(
                    &text_or_empty(mime.content_type.as_ref()),
                    &text_or_empty(mime.subtype.as_ref()),
                ),
            ),
        };
        let basic_fields = BasicFields {
            parameter_list: params(&mime.params, text),
            id: nstring_nolf(mime.id.as_ref()),
            description: nstring_nolf(mime.description.as_ref()),
            content_transfer_encoding: istring(
                mime.encoding
                    .as_ref()
                    .map_or_else(|| b"7bit".to_vec(), |e| e.0.clone()),
            ),
            size,
        };
        BodyStructure::Single {
            body: Body {
                basic: basic_fields,
                specific,
            },
            extension_data: ext.then(|| SinglePartExtensionData {
                md5: nstring_nolf(mime.md5.as_ref()),
                tail: Some(disposition_tail(part)),
            }),
        }
    }
}

fn basic(ty: &[u8], subtype: &[u8]) -> SpecificFields<'static> {
    SpecificFields::Basic {
        r#type: istring(ty.to_vec()),
        subtype: istring(subtype.to_vec()),
    }
}

/// `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)`, for a multipart without parts.
fn empty_text(ext: bool) -> BodyStructure<'static> {
    BodyStructure::Single {
        body: Body {
            basic: BasicFields {
                parameter_list: params(&[], true),
                id: NString(None),
                description: NString(None),
                content_transfer_encoding: istring(b"7bit".to_vec()),
                size: 0,
            },
            specific: SpecificFields::Text {
                subtype: istring(b"plain".to_vec()),
                number_of_lines: 0,
            },
        },
        extension_data: ext.then(|| SinglePartExtensionData {
            md5: NString(None),
            tail: Some(Disposition {
                disposition: None,
                tail: Some(Language {
                    language: Vec::new(),
                    tail: Some(Location {
                        location: NString(None),
                        extensions: Vec::new(),
                    }),
                }),
            }),
        }),
    }
}

fn disposition_tail(part: &PartSummary) -> Disposition<'static> {
    let mime = &part.mime;
    Disposition {
        disposition: mime.disposition.as_ref().map(|d| {
            (
                istring(d.0.clone()),
                params(&mime.disposition_params, false),
            )
        }),
        tail: Some(Language {
            language: mime.language.iter().map(|l| istring(l.0.clone())).collect(),
            tail: Some(Location {
                location: nstring_nolf(mime.location.as_ref()),
                extensions: Vec::new(),
            }),
        }),
    }
}

/// Parameters; text parts without a charset get `charset=us-ascii` (RFC 2045 §5.2).
fn params(list: &[(Text, Text)], text: bool) -> Vec<(IString<'static>, IString<'static>)> {
    let mut out: Vec<_> = list
        .iter()
        .map(|(k, v)| (istring(k.0.clone()), istring(v.0.clone())))
        .collect();
    if text
        && !list
            .iter()
            .any(|(k, _)| k.0.eq_ignore_ascii_case(b"charset"))
    {
        out.push((istring(b"charset".to_vec()), istring(b"us-ascii".to_vec())));
    }
    out
}

fn envelope(fields: Option<&EnvelopeFields>) -> Envelope<'static> {
    let empty = EnvelopeFields::default();
    let f = fields.unwrap_or(&empty);
    let or_from = |list: &[AddressFields]| {
        if list.is_empty() {
            addresses(&f.from)
        } else {
            addresses(list)
        }
    };
    Envelope {
        date: nstring_nolf(f.date.as_ref()),
        subject: NString(f.subject.as_ref().map(|s| istring(for_humans(&s.0)))),
        from: addresses(&f.from),
        sender: or_from(&f.sender),
        reply_to: or_from(&f.reply_to),
        to: addresses(&f.to),
        cc: addresses(&f.cc),
        bcc: addresses(&f.bcc),
        in_reply_to: nstring_nolf(f.in_reply_to.as_ref()),
        message_id: nstring_nolf(f.message_id.as_ref()),
    }
}

fn addresses(list: &[AddressFields]) -> Vec<Address<'static>> {
    list.iter()
        .map(|a| Address {
            name: NString(a.name.as_ref().map(|n| istring(for_humans(&n.0)))),
            adl: nstring(a.route.as_ref()),
            mailbox: nstring(a.mailbox.as_ref()),
            host: nstring(a.domain.as_ref()),
        })
        .collect()
}

fn text_or_empty(text: Option<&Text>) -> Vec<u8> {
    text.map(|t| t.0.clone()).unwrap_or_default()
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// An IMAP string: quoted when it can be, a literal otherwise (NUL, which no IMAP string may
/// hold, is dropped; the parser already replaced it).
pub(crate) fn istring(bytes: Vec<u8>) -> IString<'static> {
    if let Ok(quoted) = Quoted::try_from(bytes.clone()) {
        return IString::Quoted(quoted);
    }
    match Literal::try_from(bytes) {
        Ok(literal) => IString::Literal(literal),
        Err(_) => IString::Quoted(Quoted::unvalidated("")),
    }
}

fn nstring(text: Option<&Text>) -> NString<'static> {
    NString(text.map(|t| istring(t.0.clone())))
}

/// An nstring without line breaks: each CR/LF is dropped, and a space is put where a line
/// break was not followed by white space.
fn nstring_nolf(text: Option<&Text>) -> NString<'static> {
    NString(text.map(|t| istring(without_newlines(&t.0))))
}

pub(crate) fn without_newlines(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for (i, &b) in value.iter().enumerate() {
        if b != b'\r' && b != b'\n' {
            out.push(b);
        } else if !matches!(
            value.get(i + 1),
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | 0)
        ) {
            out.push(b' ');
        }
    }
    out
}

/// A string meant for people: white space runs become one space, leading and trailing white
/// space is removed, NUL becomes 0x80.
pub(crate) fn for_humans(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut last_space = true;
    for &b in value {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                if !last_space {
                    out.push(b' ');
                }
                last_space = true;
            }
            0 => {
                out.push(0x80);
                last_space = false;
            }
            _ => {
                out.push(b);
                last_space = false;
            }
        }
    }
    if last_space && out.last() == Some(&b' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_for_humans_fold_white_space() {
        assert_eq!(for_humans(b"  A\r\n\tb   c  "), b"A b c");
        assert_eq!(for_humans(b"   "), b"");
        assert_eq!(without_newlines(b"a\r\nb\r\n c"), b"a b c");
    }

    #[test]
    fn istring_picks_literal_for_8bit_and_line_breaks() {
        assert!(matches!(istring(b"abc".to_vec()), IString::Quoted(_)));
        assert!(matches!(
            istring("Grüße".as_bytes().to_vec()),
            IString::Literal(_)
        ));
        assert!(matches!(istring(b"a\r\nb".to_vec()), IString::Literal(_)));
    }
}
