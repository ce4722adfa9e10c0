//! Content-Transfer-Encoding (RFC 2045 §6): which encodings BINARY can undo, and undoing them
//! with mail-parser's decoders.

use std::borrow::Cow;

use super::summary::Text;

/// A part's transfer encoding as far as decoding is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferEncoding {
    /// 7bit, 8bit, binary or none: the body is its own content.
    Identity,
    /// base64.
    Base64,
    /// quoted-printable.
    QuotedPrintable,
    /// Anything else (x-uuencode, ...): cannot be decoded (RFC 3516 `[UNKNOWN-CTE]`).
    Unknown,
}

impl TransferEncoding {
    /// Classifies a Content-Transfer-Encoding token (`None` = absent = 7bit).
    pub fn of(token: Option<&Text>) -> Self {
        let Some(token) = token else {
            return TransferEncoding::Identity;
        };
        let t = token.as_bytes();
        let is = |name: &str| t.eq_ignore_ascii_case(name.as_bytes());
        if is("7bit") || is("8bit") || is("binary") {
            TransferEncoding::Identity
        } else if is("base64") {
            TransferEncoding::Base64
        } else if is("quoted-printable") {
            TransferEncoding::QuotedPrintable
        } else {
            TransferEncoding::Unknown
        }
    }

    /// Undoes the encoding; `None` when the encoding is unknown or the body is not valid in it.
    pub fn decode(self, body: &[u8]) -> Option<Cow<'_, [u8]>> {
        match self {
            TransferEncoding::Identity => Some(Cow::Borrowed(body)),
            TransferEncoding::Base64 => {
                mail_parser::decoders::base64::base64_decode(body).map(Cow::Owned)
            }
            TransferEncoding::QuotedPrintable => {
                mail_parser::decoders::quoted_printable::quoted_printable_decode(body)
                    .map(Cow::Owned)
            }
            TransferEncoding::Unknown => None,
        }
    }
}

/// The decoded length of a body, `None` when it cannot be decoded.
pub(crate) fn decoded_len(token: Option<&Text>, body: &[u8]) -> Option<u64> {
    TransferEncoding::of(token)
        .decode(body)
        .map(|d| d.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_known_encodings() {
        let b64 = TransferEncoding::of(Some(&Text::from("BASE64")));
        assert_eq!(b64.decode(b"SGVs\r\nbG8=").as_deref(), Some(&b"Hello"[..]));
        assert_eq!(b64.decode(b"SGVsbG8*!!"), None);
        let qp = TransferEncoding::of(Some(&Text::from("quoted-printable")));
        assert_eq!(qp.decode(b"a=3Db=\r\nc").as_deref(), Some(&b"a=bc"[..]));
        assert_eq!(qp.decode(b"bad =ZZ"), None);
        assert_eq!(TransferEncoding::of(None), TransferEncoding::Identity);
        assert_eq!(
            TransferEncoding::of(Some(&Text::from("x-uuencode"))).decode(b"x"),
            None
        );
    }
}
