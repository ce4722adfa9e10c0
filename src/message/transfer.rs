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

/// The decoded length of a body, `None` when it cannot be decoded. Nothing is allocated: the
/// body is decoded piece by piece and only counted.
#[cfg(test)]
fn decoded_len(token: Option<&Text>, body: &[u8]) -> Option<u64> {
    let mut decoder = StreamDecoder::new(TransferEncoding::of(token));
    let mut counted = Counted::default();
    decoder.push(body, &mut counted);
    decoder.finish(&mut counted).then_some(counted.0)
}

/// Where a [`StreamDecoder`] puts decoded bytes.
pub trait DecodedSink {
    /// Appends decoded bytes.
    fn put(&mut self, bytes: &[u8]);
}

impl DecodedSink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// A sink that only counts what it is given.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counted(pub u64);

impl DecodedSink for Counted {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len() as u64;
    }
}

/// Whitespace held back by the quoted-printable decoder before it is written: trailing
/// whitespace of a line is dropped (RFC 2045 §6.7 rule 3). A run longer than this is written
/// out and then no longer dropped, so that memory stays bounded on absurd input.
const QP_HELD_WHITESPACE: usize = 64 * 1024;

/// Undoes a transfer encoding piece by piece: the concatenation of what [`StreamDecoder::push`]
/// and [`StreamDecoder::finish`] produce for the pieces of a body is what
/// [`TransferEncoding::decode`] produces for the whole body (mail-parser's decoders), and
/// `finish` says `None` exactly where `decode` does. Memory does not grow with the body.
#[derive(Debug)]
pub struct StreamDecoder {
    encoding: TransferEncoding,
    /// Not decodable: the rest is ignored.
    failed: bool,
    /// base64: a stop byte (0xFF) ended the data; the rest is ignored.
    stopped: bool,
    /// base64: the bits of the group being read, and how many characters it has (0-3).
    group: u32,
    group_len: u8,
    /// quoted-printable: what the previous characters started.
    qp: QpState,
    /// quoted-printable: the line break written for a hard break (CRLF once a CR was seen).
    crlf: bool,
    /// quoted-printable: whitespace written since the last other character, held back.
    held: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QpState {
    Plain,
    Equals,
    FirstDigit(u8),
}

/// The value of a base64 character.
fn base64_value(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// The value of a hexadecimal digit.
fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    }
}

impl StreamDecoder {
    /// A decoder for `encoding`.
    pub fn new(encoding: TransferEncoding) -> Self {
        Self {
            encoding,
            failed: encoding == TransferEncoding::Unknown,
            stopped: false,
            group: 0,
            group_len: 0,
            qp: QpState::Plain,
            crlf: false,
            held: Vec::new(),
        }
    }

    /// Decodes the next piece of the body into `out`.
    pub fn push(&mut self, input: &[u8], out: &mut impl DecodedSink) {
        if self.failed {
            return;
        }
        match self.encoding {
            TransferEncoding::Identity => out.put(input),
            TransferEncoding::Base64 => self.base64(input, out),
            TransferEncoding::QuotedPrintable => self.quoted_printable(input, out),
            TransferEncoding::Unknown => {}
        }
    }

    /// Ends the body: writes what is still held and says whether the body was decodable.
    pub fn finish(mut self, out: &mut impl DecodedSink) -> bool {
        if self.failed {
            return false;
        }
        match self.encoding {
            TransferEncoding::Base64 => self.base64_flush(out),
            TransferEncoding::QuotedPrintable => out.put(&std::mem::take(&mut self.held)),
            _ => {}
        }
        true
    }

    fn base64(&mut self, input: &[u8], out: &mut impl DecodedSink) {
        if self.stopped {
            return;
        }
        for &byte in input {
            if let Some(value) = base64_value(byte) {
                self.group = (self.group << 6) | u32::from(value);
                self.group_len = (self.group_len + 1) & 3;
                if self.group_len == 0 {
                    out.put(&self.group.to_be_bytes()[1..]);
                }
            } else if byte == b'=' {
                self.base64_flush(out);
            } else if matches!(byte, b' ' | b'\t' | b'\r' | b'\n') {
            } else if byte == u8::MAX {
                self.stopped = true;
                return;
            } else {
                self.failed = true;
                return;
            }
        }
    }

    /// A group cut short by `=` or the end gives the whole bytes it holds.
    fn base64_flush(&mut self, out: &mut impl DecodedSink) {
        match self.group_len {
            2 => out.put(&[(self.group >> 4) as u8]),
            3 => out.put(&[(self.group >> 10) as u8, (self.group >> 2) as u8]),
            _ => {}
        }
        self.group_len = 0;
    }

    fn quoted_printable(&mut self, input: &[u8], out: &mut impl DecodedSink) {
        for &byte in input {
            match byte {
                b'=' => {
                    if self.qp != QpState::Plain {
                        self.failed = true;
                        return;
                    }
                    self.qp = QpState::Equals;
                }
                b'\n' => {
                    if self.qp == QpState::Equals {
                        // A soft line break: the whitespace before it stays.
                        self.qp = QpState::Plain;
                        out.put(&std::mem::take(&mut self.held));
                    } else {
                        self.held.clear();
                        out.put(if self.crlf { b"\r\n" } else { b"\n" });
                    }
                }
                b'\r' => self.crlf = true,
                _ => match self.qp {
                    QpState::Plain => {
                        if byte.is_ascii_whitespace() {
                            self.held.push(byte);
                            if self.held.len() > QP_HELD_WHITESPACE {
                                out.put(&std::mem::take(&mut self.held));
                            }
                        } else {
                            out.put(&std::mem::take(&mut self.held));
                            out.put(&[byte]);
                        }
                    }
                    QpState::Equals => match hex_value(byte) {
                        Some(high) => self.qp = QpState::FirstDigit(high),
                        None if byte.is_ascii_whitespace() => {}
                        None => {
                            self.failed = true;
                            return;
                        }
                    },
                    QpState::FirstDigit(high) => {
                        self.qp = QpState::Plain;
                        let Some(low) = hex_value(byte) else {
                            self.failed = true;
                            return;
                        };
                        out.put(&std::mem::take(&mut self.held));
                        out.put(&[(high << 4) | low]);
                    }
                },
            }
        }
    }
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

    /// Decodes `body` in pieces of `piece` bytes with the streaming decoder.
    fn in_pieces(encoding: TransferEncoding, body: &[u8], piece: usize) -> Option<Vec<u8>> {
        let mut decoder = StreamDecoder::new(encoding);
        let mut out = Vec::new();
        for chunk in body.chunks(piece.max(1)) {
            decoder.push(chunk, &mut out);
        }
        decoder.finish(&mut out).then_some(out)
    }

    proptest::proptest! {
        /// The streaming decoder agrees with mail-parser's whole-body decoders, whatever the
        /// pieces, on bodies made of the characters that matter to them.
        #[test]
        fn streaming_decoding_agrees_with_whole_body_decoding(
            body in proptest::collection::vec(proptest::sample::select(
                b"AZaz09+/=Ff \t\r\n\x0c-*\xff\x80".to_vec()), 0..200),
            piece in 1usize..16,
        ) {
            for encoding in [TransferEncoding::Base64, TransferEncoding::QuotedPrintable,
                             TransferEncoding::Identity] {
                let whole = encoding.decode(&body).map(|d| d.into_owned());
                proptest::prop_assert_eq!(&in_pieces(encoding, &body, piece), &whole);
                proptest::prop_assert_eq!(
                    decoded_len(Some(&Text::from(match encoding {
                        TransferEncoding::Base64 => "base64",
                        TransferEncoding::QuotedPrintable => "quoted-printable",
                        _ => "8bit",
                    })), &body),
                    whole.map(|w| w.len() as u64)
                );
            }
        }
    }
}
