//! Reading one Java `.properties` file, with the line number of every entry.
//!
//! Encoding rule: bytes that form valid UTF-8 are read as UTF-8 (a leading byte-order mark is
//! dropped); anything else is read as ISO-8859-1, one byte per character, which is what
//! `java.util.Properties.load(InputStream)` does. `\uXXXX` escapes work in both.
//!
//! Syntax, as `java.util.Properties.load`: lines end with `\n`, `\r` or `\r\n`; leading spaces,
//! tabs and form feeds are skipped; a line whose first other character is `#` or `!` is a comment
//! (and never continues); a line ending in an odd number of backslashes continues on the next
//! line, whose leading whitespace is dropped; the key ends at the first unescaped `=`, `:` or
//! whitespace, then whitespace and at most one `=` or `:` are skipped, and the rest (trailing
//! whitespace included) is the value. In keys and values `\t \n \r \f` are controls, `\uXXXX` a
//! UTF-16 unit, and `\` before any other character stands for that character.
//!
//! (The `java-properties` crate is not used here because it also interprets escapes inside
//! comments, so a comment such as `# C:\users` would fail a whole file.)

use std::borrow::Cow;

/// One `key=value` entry and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The key, escapes decoded.
    pub key: String,
    /// The value, escapes decoded, continuation lines joined.
    pub value: String,
    /// 1-based line of the key.
    pub line: usize,
}

/// What a file held: the entries read and the lines that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ParsedFile {
    /// Entries in file order (a repeated key appears twice; the later one wins).
    pub entries: Vec<Entry>,
    /// Lines Java would reject (a malformed `\uXXXX`), with line number and reason; the rest
    /// of the file is still read.
    pub errors: Vec<(usize, String)>,
}

/// Whitespace as `Properties.load` understands it.
const WHITESPACE: [char; 3] = [' ', '\t', '\x0c'];

/// Decodes a file's bytes with the encoding rule of this module.
pub(crate) fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Parses the bytes of a `.properties` file.
pub(crate) fn parse(bytes: &[u8]) -> ParsedFile {
    let text = decode(bytes);
    let lines = natural_lines(&text);
    let mut parsed = ParsedFile::default();
    let mut index = 0;
    while index < lines.len() {
        let number = index + 1;
        let first = lines[index].trim_start_matches(WHITESPACE);
        index += 1;
        if first.is_empty() || first.starts_with(['#', '!']) {
            continue;
        }
        let mut logical = first.to_string();
        while ends_in_continuation(&logical) {
            logical.pop();
            let Some(next) = lines.get(index) else {
                break;
            };
            logical.push_str(next.trim_start_matches(WHITESPACE));
            index += 1;
        }
        let (raw_key, raw_value) = split_key_value(&logical);
        match (unescape(raw_key), unescape(raw_value)) {
            (Ok(key), Ok(value)) => parsed.entries.push(Entry {
                key,
                value,
                line: number,
            }),
            (Err(reason), _) | (_, Err(reason)) => parsed.errors.push((number, reason)),
        }
    }
    parsed
}

/// Splits on `\r\n`, `\r` and `\n`.
fn natural_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(end) = rest.find(['\r', '\n']) {
        lines.push(&rest[..end]);
        let skip = if rest[end..].starts_with("\r\n") {
            2
        } else {
            1
        };
        rest = &rest[end + skip..];
    }
    if !rest.is_empty() {
        lines.push(rest);
    }
    lines
}

fn ends_in_continuation(line: &str) -> bool {
    line.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Splits a logical line into raw (still escaped) key and value.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut escaped = false;
    let mut key_end = line.len();
    let mut value_start = line.len();
    let mut has_separator = false;
    for (position, c) in line.char_indices() {
        if !escaped && (c == '=' || c == ':') {
            key_end = position;
            value_start = position + 1;
            has_separator = true;
            break;
        }
        if !escaped && WHITESPACE.contains(&c) {
            key_end = position;
            value_start = position + 1;
            break;
        }
        escaped = c == '\\' && !escaped;
    }
    let mut rest = &line[value_start..];
    while let Some(c) = rest.chars().next() {
        let separator = !has_separator && (c == '=' || c == ':');
        if !separator && !WHITESPACE.contains(&c) {
            break;
        }
        has_separator |= separator;
        rest = &rest[c.len_utf8()..];
    }
    (&line[..key_end], rest)
}

/// Decodes escapes; `\uXXXX` units are collected as UTF-16 so surrogate pairs combine (a lone
/// surrogate becomes U+FFFD, as Rust strings cannot hold it).
fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut units: Vec<u16> = Vec::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush_units(&mut units, &mut out);
            out.push(c);
            continue;
        }
        let Some(escaped) = chars.next() else {
            break;
        };
        if escaped == 'u' {
            let hex: String = chars.by_ref().take(4).collect();
            if hex.len() != 4 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                return Err(format!("malformed \\uXXXX escape \"\\u{hex}\""));
            }
            let unit = u16::from_str_radix(&hex, 16)
                .map_err(|_| format!("malformed \\uXXXX escape \"\\u{hex}\""))?;
            units.push(unit);
            continue;
        }
        flush_units(&mut units, &mut out);
        out.push(match escaped {
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'f' => '\x0c',
            other => other,
        });
    }
    flush_units(&mut units, &mut out);
    Ok(out)
}

fn flush_units(units: &mut Vec<u16>, out: &mut String) {
    out.extend(char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or('\u{fffd}')));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &[u8]) -> Vec<(String, String, usize)> {
        let parsed = parse(text);
        assert_eq!(parsed.errors, vec![]);
        parsed
            .entries
            .into_iter()
            .map(|e| (e.key, e.value, e.line))
            .collect()
    }

    fn p(key: &str, value: &str, line: usize) -> (String, String, usize) {
        (key.to_string(), value.to_string(), line)
    }

    #[test]
    fn separators_equals_colon_and_whitespace() {
        assert_eq!(
            pairs(b"a=1\nb:2\nc 3\nd = 4\ne\t:\t5\nf\ng  h i\nj==k\nk::l\n"),
            vec![
                p("a", "1", 1),
                p("b", "2", 2),
                p("c", "3", 3),
                p("d", "4", 4),
                p("e", "5", 5),
                p("f", "", 6),
                p("g", "h i", 7),
                p("j", "=k", 8),
                p("k", ":l", 9),
            ]
        );
    }

    #[test]
    fn comments_and_blank_lines() {
        assert_eq!(
            pairs(
                b"# a comment\n! another\n\n   # indented\n \t \nkey=value # not a comment\n\
                  # dir.root=C:\\users\\alf_data \\u12 is not read\n"
            ),
            vec![p("key", "value # not a comment", 6)]
        );
    }

    #[test]
    fn continuations_join_lines_and_drop_leading_whitespace() {
        assert_eq!(
            pairs(b"list=a,\\\n     b,\\\n     c\nnext=1\n"),
            vec![p("list", "a,b,c", 1), p("next", "1", 4)]
        );
        // An even number of backslashes is an escaped backslash, not a continuation.
        assert_eq!(
            pairs(b"path=C:\\\\\nnext=1"),
            vec![p("path", "C:\\", 1), p("next", "1", 2)]
        );
        // A continuation on the last line of a file.
        assert_eq!(pairs(b"a=x\\"), vec![p("a", "x", 1)]);
        // A comment line never continues; a continued line may start with #.
        assert_eq!(pairs(b"# c \\\na=1"), vec![p("a", "1", 2)]);
        assert_eq!(pairs(b"a=1\\\n  #2\n"), vec![p("a", "1#2", 1)]);
        // The key itself may be continued.
        assert_eq!(
            pairs(b"imap.server.\\\n  port=1\n"),
            vec![p("imap.server.port", "1", 1)]
        );
    }

    #[test]
    fn escapes_in_keys_and_values() {
        assert_eq!(
            pairs(b"my\\ key\\:x\\=y=tab\\there\\nnl \\\\ \\u00fc\\z\n"),
            vec![p("my key:x=y", "tab\there\nnl \\ \u{fc}z", 1)]
        );
        assert_eq!(pairs(b"e=\\uD83D\\uDE00\n"), vec![p("e", "😀", 1)]);
        assert_eq!(pairs(b"e=\\uD83Dx\n"), vec![p("e", "\u{fffd}x", 1)]);
    }

    #[test]
    fn value_keeps_trailing_whitespace_like_java() {
        assert_eq!(pairs(b"a = b  \n"), vec![p("a", "b  ", 1)]);
    }

    #[test]
    fn malformed_unicode_escape_names_its_line_and_the_rest_is_read() {
        let parsed = parse(b"a=1\nb=\\u12\nc=3\nd=\\uZZZZ\n");
        assert_eq!(
            parsed.entries,
            vec![
                Entry {
                    key: "a".into(),
                    value: "1".into(),
                    line: 1
                },
                Entry {
                    key: "c".into(),
                    value: "3".into(),
                    line: 3
                }
            ]
        );
        assert_eq!(
            parsed.errors,
            vec![
                (2, "malformed \\uXXXX escape \"\\u12\"".to_string()),
                (4, "malformed \\uXXXX escape \"\\uZZZZ\"".to_string())
            ]
        );
    }

    #[test]
    fn encoding_utf8_latin1_and_escape_all_give_u_umlaut() {
        // Raw ü in UTF-8 (C3 BC).
        assert_eq!(pairs(b"n=M\xc3\xbcller\n"), vec![p("n", "Müller", 1)]);
        // Raw ü in ISO-8859-1 (FC): not valid UTF-8, so read as Latin-1.
        assert_eq!(pairs(b"n=M\xfcller\n"), vec![p("n", "Müller", 1)]);
        // The escape, in a pure ASCII file.
        assert_eq!(pairs(b"n=M\\u00fcller\n"), vec![p("n", "Müller", 1)]);
        // Latin-1 bytes 0x80-0x9F stay C1 controls (no Windows-1252 remapping).
        assert_eq!(pairs(b"n=\x80\xfc\n"), vec![p("n", "\u{80}ü", 1)]);
    }

    #[test]
    fn utf8_byte_order_mark_is_dropped() {
        assert_eq!(pairs(b"\xef\xbb\xbfa=1\n"), vec![p("a", "1", 1)]);
    }

    #[test]
    fn crlf_and_cr_line_endings() {
        assert_eq!(
            pairs(b"a=1\r\nb=2\rc=3\r\n\r\nd=\\\r\n  4"),
            vec![
                p("a", "1", 1),
                p("b", "2", 2),
                p("c", "3", 3),
                p("d", "4", 5)
            ]
        );
    }
}
