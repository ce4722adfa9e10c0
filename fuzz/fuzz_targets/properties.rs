//! Arbitrary bytes as a `.properties` file: the parser never panics, and what it reads is
//! stable (the entries written back out as escaped ASCII `key=value` lines read the same again).

#![no_main]

use alfresco_imap::config::parse_properties;
use libfuzzer_sys::fuzz_target;

/// Writes a key or value so that `Properties.load` reads it back unchanged.
fn escape(text: &str, key: bool) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0c' => out.push_str("\\f"),
            '=' | ':' | '#' | '!' if key || i == 0 => {
                out.push('\\');
                out.push(c);
            }
            ' ' if key || i == 0 => out.push_str("\\ "),
            c if !(' '..='~').contains(&c) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (entries, _errors) = parse_properties(data);
    let mut written = String::new();
    for (key, value) in &entries {
        written.push_str(&escape(key, true));
        written.push('=');
        written.push_str(&escape(value, false));
        written.push('\n');
    }
    let (again, errors) = parse_properties(written.as_bytes());
    assert!(errors.is_empty(), "escaped output does not read back: {errors:?}");
    assert_eq!(again, entries, "escaped output reads back differently");
});
