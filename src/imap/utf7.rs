//! Modified UTF-7 mailbox names (RFC 3501 §5.1.3).
//!
//! Printable US-ASCII stands for itself, except `&`, written `&-`; everything else is UTF-16BE
//! in modified base64 (`,` instead of `/`, no padding) between `&` and `-`. Decoding accepts
//! only the canonical form (no encoded printable ASCII, no empty or adjacent shifts, no stray
//! bits) and returns an error, never panics, on anything else.

/// Why a name is not valid modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Utf7Error {
    /// A byte outside printable US-ASCII.
    #[error("byte {0:#04x} is not allowed in a modified UTF-7 name")]
    InvalidByte(u8),
    /// `&` without a closing `-`.
    #[error("unterminated base64 section")]
    Unterminated,
    /// A character that is not modified base64 inside a shift.
    #[error("invalid base64 character {0:?}")]
    InvalidBase64(char),
    /// Non-canonical encoding (encoded printable ASCII, empty or adjacent shifts, padding bits).
    #[error("non-canonical modified UTF-7")]
    NotCanonical,
    /// The UTF-16 inside is broken (lone surrogates, odd length).
    #[error("invalid UTF-16 in base64 section")]
    InvalidUtf16,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Encodes a name for the wire.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for ch in name.chars() {
        if (' '..='~').contains(&ch) {
            flush(&mut pending, &mut out);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(ch.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

fn flush(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
    out.push('&');
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = chunk.len() + 1;
        for i in 0..sextets {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out.push('-');
    units.clear();
}

/// Decodes a name from the wire.
pub fn decode(encoded: &[u8]) -> Result<String, Utf7Error> {
    let mut out = String::with_capacity(encoded.len());
    let mut i = 0;
    let mut previous_shift_end = None;
    while i < encoded.len() {
        let byte = encoded[i];
        if !(0x20..=0x7e).contains(&byte) {
            return Err(Utf7Error::InvalidByte(byte));
        }
        if byte != b'&' {
            out.push(char::from(byte));
            i += 1;
            continue;
        }
        let start = i + 1;
        let end = encoded[start..]
            .iter()
            .position(|&b| b == b'-')
            .map(|p| start + p)
            .ok_or(Utf7Error::Unterminated)?;
        if end == start {
            out.push('&');
            i = end + 1;
            continue;
        }
        if previous_shift_end == Some(i) {
            return Err(Utf7Error::NotCanonical);
        }
        out.push_str(&decode_base64(&encoded[start..end])?);
        i = end + 1;
        previous_shift_end = Some(i);
    }
    Ok(out)
}

fn decode_base64(section: &[u8]) -> Result<String, Utf7Error> {
    let mut bits: u32 = 0;
    let mut count = 0u32;
    let mut bytes = Vec::with_capacity(section.len() * 3 / 4);
    for &c in section {
        let value = ALPHABET
            .iter()
            .position(|&a| a == c)
            .ok_or(Utf7Error::InvalidBase64(char::from(c)))? as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    if count >= 6 || bits != 0 {
        return Err(Utf7Error::NotCanonical);
    }
    if bytes.len() % 2 != 0 {
        return Err(Utf7Error::InvalidUtf16);
    }
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .collect();
    let text = String::from_utf16(&units).map_err(|_| Utf7Error::InvalidUtf16)?;
    if text.chars().any(|c| (' '..='~').contains(&c)) {
        return Err(Utf7Error::NotCanonical);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_names() {
        assert_eq!(encode("Отправленные"), "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-");
        assert_eq!(
            decode(b"&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-").unwrap(),
            "Отправленные"
        );
        assert_eq!(encode("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(decode(b"Tom &- Jerry").unwrap(), "Tom & Jerry");
        assert_eq!(encode("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(
            encode("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(
            decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(),
            "~peter/mail/台北/日本語"
        );
        assert_eq!(encode("😀"), "&2D3eAA-");
        assert_eq!(decode(b"&2D3eAA-").unwrap(), "😀");
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert_eq!(decode(b"&!!!-"), Err(Utf7Error::InvalidBase64('!')));
        assert_eq!(decode(b"&AGE"), Err(Utf7Error::Unterminated));
        assert_eq!(decode(b"&AGE-"), Err(Utf7Error::NotCanonical)); // encoded "a"
        assert_eq!(decode(b"&APw-&APw-"), Err(Utf7Error::NotCanonical));
        assert_eq!(decode(b"&APx-"), Err(Utf7Error::NotCanonical));
        assert_eq!(decode(b"&2D0-"), Err(Utf7Error::InvalidUtf16));
        assert_eq!(decode("ü".as_bytes()), Err(Utf7Error::InvalidByte(0xc3)));
        assert_eq!(decode(b"a\tb"), Err(Utf7Error::InvalidByte(b'\t')));
    }

    proptest! {
        #[test]
        fn round_trip(name in "\\PC*") {
            let encoded = encode(&name);
            prop_assert_eq!(decode(encoded.as_bytes()).unwrap(), name);
        }

        #[test]
        fn valid_encodings_are_canonical(bytes in proptest::collection::vec(0x20u8..0x7f, 0..40)) {
            if let Ok(name) = decode(&bytes) {
                let encoded = encode(&name);
                prop_assert_eq!(encoded.as_bytes(), &bytes[..]);
            }
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
        }
    }
}
