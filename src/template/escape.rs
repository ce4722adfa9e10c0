//! The text transformations of `?html`, `?url`, `?upper_case` and `?lower_case`.

/// `?html` with incompatible improvements 2.3.20 (Alfresco's setting): `<`, `>`, `&`, `"` and
/// `'` become `&lt;`, `&gt;`, `&amp;`, `&quot;` and `&#39;`.
pub(super) fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `?url`: every character except `A-Z a-z 0-9 _ - . ! ~ ' ( ) *` is percent-encoded as UTF-8
/// bytes with upper-case hex digits (`/` included, space as `%20`).
pub(super) fn url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if c.is_ascii_alphanumeric()
            || matches!(c, '_' | '-' | '.' | '!' | '~' | '\'' | '(' | ')' | '*')
        {
            out.push(c);
        } else {
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Java's `String.toUpperCase(locale)`: full case mapping, with the dotted capital I of Turkish
/// and Azerbaijani.
pub(super) fn upper_case(text: &str, language: &str) -> String {
    if matches!(language, "tr" | "az") {
        text.chars()
            .map(|c| {
                if c == 'i' {
                    "\u{130}".to_owned()
                } else {
                    c.to_uppercase().collect()
                }
            })
            .collect()
    } else {
        text.to_uppercase()
    }
}

/// Java's `String.toLowerCase(locale)`: full case mapping (final sigma included), with the
/// dotless small i of Turkish and Azerbaijani.
pub(super) fn lower_case(text: &str, language: &str) -> String {
    if matches!(language, "tr" | "az") {
        let mapped: String = text
            .chars()
            .map(|c| match c {
                'I' => '\u{131}',
                '\u{130}' => 'i',
                other => other,
            })
            .collect();
        mapped.to_lowercase()
    } else {
        text.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_five_characters() {
        assert_eq!(
            html("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(html("Grüße ©"), "Grüße ©");
    }

    #[test]
    fn url_encodes_utf8() {
        assert_eq!(url("a b/ü'()*!~&"), "a%20b%2F%C3%BC'()*!~%26");
        assert_eq!(url("日本"), "%E6%97%A5%E6%9C%AC");
        assert_eq!(url("😀"), "%F0%9F%98%80");
    }

    #[test]
    fn case_mapping() {
        assert_eq!(upper_case("iIßΣΑΣ", "tr"), "İISSΣΑΣ");
        assert_eq!(lower_case("iIßΣΑΣ", "tr"), "iıßσας");
        assert_eq!(upper_case("straße", "de"), "STRASSE");
        assert_eq!(lower_case("ΟΔΟΣ", "el"), "\u{3bf}\u{3b4}\u{3bf}\u{3c2}");
    }
}
