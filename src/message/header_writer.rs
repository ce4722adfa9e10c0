//! Writing header fields safely: CR, LF and NUL removed, RFC 2047 encoded words (UTF-8, `B` or
//! `Q`) where the text is not plain ASCII, contains `=?` or has words too long to fold, and
//! RFC 5322 folding at 78 columns.

use base64::Engine as _;

/// Longest line we write (RFC 5322 §2.1.1).
const LINE_LIMIT: usize = 78;
/// Longest encoded word we write (RFC 2047 §2 allows 75; shorter so that one fits on the
/// first line after the field name).
const ENCODED_WORD_LIMIT: usize = 66;
/// Longest plain word kept as it is; longer ones are encoded so they can be split.
const WORD_LIMIT: usize = 60;

/// Removes CR, LF and NUL (repository text must not be able to add header lines).
pub(crate) fn sanitize(value: &str) -> String {
    value
        .chars()
        .filter(|&c| c != '\r' && c != '\n' && c != '\0')
        .collect()
}

fn plain_ok(value: &str) -> bool {
    value
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) || b == b'\t')
        && !value.contains("=?")
        && value.split([' ', '\t']).all(|w| w.len() <= WORD_LIMIT)
}

/// Encodes unstructured text (Subject): as it is when possible, else as encoded words.
pub(crate) fn unstructured(value: &str) -> Vec<String> {
    let value = sanitize(value);
    if plain_ok(&value) {
        value.split(' ').map(str::to_owned).collect()
    } else {
        encoded_words(&value, false)
    }
}

/// Encodes a display name: a plain atom sequence, a quoted string, or encoded words.
pub(crate) fn phrase(value: &str) -> Vec<String> {
    let value = sanitize(value);
    let value = value.trim();
    if !plain_ok(value) {
        return encoded_words(value, true);
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~ ".contains(c);
    if value.chars().all(atext) {
        return value
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
    }
    let mut quoted = String::from("\"");
    for c in value.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    if quoted.len() > WORD_LIMIT {
        return encoded_words(value, true);
    }
    vec![quoted]
}

/// Splits UTF-8 text into encoded words of at most 75 characters, never splitting a character.
/// `Q` is used when most bytes are plain ASCII, `B` otherwise (always `B` in phrases).
fn encoded_words(value: &str, in_phrase: bool) -> Vec<String> {
    let plain = value
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b' ')
        .count();
    let use_q = !in_phrase && plain * 2 >= value.len();
    let prefix = if use_q { "=?UTF-8?Q?" } else { "=?UTF-8?B?" };
    let budget = ENCODED_WORD_LIMIT - prefix.len() - 2;
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in value.chars() {
        let mut candidate = chunk.clone();
        candidate.push(c);
        if encoded_len(&candidate, use_q) > budget && !chunk.is_empty() {
            words.push(encode_word(&chunk, use_q, prefix));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(encode_word(&chunk, use_q, prefix));
    }
    words
}

fn encoded_len(text: &str, q: bool) -> usize {
    if q {
        text.bytes().map(|b| if q_plain(b) { 1 } else { 3 }).sum()
    } else {
        text.len().div_ceil(3) * 4
    }
}

fn q_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b' ' || b"!*+-/".contains(&b)
}

fn encode_word(text: &str, q: bool, prefix: &str) -> String {
    let mut out = String::from(prefix);
    if q {
        for b in text.bytes() {
            if b == b' ' {
                out.push('_');
            } else if q_plain(b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("={b:02X}"));
            }
        }
    } else {
        out.push_str(&base64::engine::general_purpose::STANDARD.encode(text.as_bytes()));
    }
    out.push_str("?=");
    out
}

/// Writes `Name: word word ...` folded before 78 columns, ending with CRLF.
pub(crate) fn field(out: &mut Vec<u8>, name: &str, words: &[String]) {
    let mut line_len = name.len() + 1;
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    for word in words {
        if line_len + 1 + word.len() > LINE_LIMIT && line_len > 0 {
            out.extend_from_slice(b"\r\n");
            line_len = 0;
        }
        out.push(b' ');
        out.extend_from_slice(word.as_bytes());
        line_len += 1 + word.len();
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(name: &str, words: &[String]) -> String {
        let mut out = Vec::new();
        field(&mut out, name, words);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn plain_text_stays_and_is_folded() {
        let words = unstructured(
            "Quarterly report for the board of directors meeting in the big room upstairs",
        );
        assert_eq!(
            written("Subject", &words),
            "Subject: Quarterly report for the board of directors meeting in the big room\r\n upstairs\r\n"
        );
    }

    #[test]
    fn line_breaks_and_nul_are_removed_before_encoding() {
        let words = unstructured("Evil\r\nBcc: victim@example.com\0");
        assert_eq!(
            written("Subject", &words),
            "Subject: EvilBcc: victim@example.com\r\n"
        );
    }

    #[test]
    fn non_ascii_and_markers_are_encoded() {
        assert_eq!(
            unstructured("Grüße"),
            vec!["=?UTF-8?B?R3LDvMOfZQ==?=".to_owned()]
        );
        assert_eq!(
            unstructured("a =?x?= b"),
            vec!["=?UTF-8?Q?a_=3D=3Fx=3F=3D_b?=".to_owned()]
        );
    }

    #[test]
    fn long_words_become_several_encoded_words_within_limits() {
        let long = "x".repeat(200) + "é";
        let words = unstructured(&long);
        assert!(words.len() > 2);
        let text = written("Subject", &words);
        for line in text.split("\r\n") {
            assert!(line.len() <= LINE_LIMIT, "{line}");
        }
        for w in &words {
            assert!(w.len() <= ENCODED_WORD_LIMIT);
        }
    }

    #[test]
    fn phrases_are_quoted_or_encoded() {
        assert_eq!(phrase("Alice Example"), vec!["Alice", "Example"]);
        assert_eq!(phrase("Smith, \"J\""), vec!["\"Smith, \\\"J\\\"\""]);
        assert_eq!(phrase("Zoë"), vec!["=?UTF-8?B?Wm/Dqw==?="]);
    }
}
