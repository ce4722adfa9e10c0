//! Modified UTF-7 (RFC 3501 §5.1.3) mailbox names: decoding arbitrary bytes never panics;
//! what decodes encodes back to the same bytes; any text survives a round trip.

#![no_main]

use alfresco_imap::imap::utf7::{decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = decode(data) {
        assert_eq!(encode(&text).as_bytes(), data, "decoding is not canonical");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let encoded = encode(text);
        assert_eq!(decode(encoded.as_bytes()).as_deref(), Ok(text));
    }
});
