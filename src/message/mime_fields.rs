//! The Content-* fields of a part: media type, parameters (RFC 2045, RFC 2231), encoding,
//! disposition (RFC 2183), language (RFC 3282), location (RFC 2557), id, description and MD5.
//!
//! Values stay as written (no RFC 2047 or RFC 2231 decoding): BODYSTRUCTURE reports them raw.
//! RFC 2231 continuations (`name*0*=`, `name*1*=`) are merged into one `name*` parameter.

use super::header::Field;
use super::rfc822::{Lexer, NUL_REPLACEMENT, Param, Step};
use super::summary::{MimeFields, Text};

/// Replaces NUL bytes with U+FFFD (IMAP strings cannot hold NUL).
pub(crate) fn without_nul(value: &[u8]) -> Vec<u8> {
    if !value.contains(&0) {
        return value.to_vec();
    }
    let mut out = Vec::with_capacity(value.len() + 2);
    for &b in value {
        if b == 0 {
            out.extend_from_slice(NUL_REPLACEMENT);
        } else {
            out.push(b);
        }
    }
    out
}

/// A `Content-Type` value split into `type/subtype` and whether its syntax was valid.
pub(crate) struct ContentType {
    /// `type/subtype` as written, or what could be read of it.
    pub(crate) full: Vec<u8>,
    /// Whether the value parsed (parameters follow only then).
    pub(crate) valid: bool,
}

/// Reads `type/subtype` and leaves the lexer before the parameters.
pub(crate) fn content_type(lexer: &mut Lexer<'_>) -> ContentType {
    let _ = lexer.skip_lwsp();
    let mut full = Vec::new();
    let valid = lexer.content_type(&mut full) != Step::Invalid;
    ContentType { full, valid }
}

struct Continuation {
    key: Vec<u8>,
    value: Vec<u8>,
    index: u32,
    extended: bool,
}

/// Reads `; key=value` parameters, merging RFC 2231 continuations the way Dovecot does:
/// plain parameters first, in order, then the merged ones sorted by name. A parameter whose
/// sections have gaps is reported section by section under its original names.
pub(crate) fn parameters(lexer: &mut Lexer<'_>) -> Vec<(Text, Text)> {
    let saved = lexer.replace_nul;
    lexer.replace_nul = true;
    let mut plain = Vec::new();
    let mut continued = Vec::new();
    loop {
        let (key, value) = match lexer.content_param() {
            Param::Pair(key, value) => (key, value),
            Param::End => break,
            Param::Broken => {
                if lexer.at_end() {
                    break;
                }
                lexer.advance();
                continue;
            }
        };
        let Some(star) = key.iter().position(|&b| b == b'*') else {
            plain.push((Text(key), Text(value)));
            continue;
        };
        let mut rest = key.get(star + 1..).unwrap_or_default();
        // `key*` alone is an extended value without sections: the star is the marker.
        let mut extended = rest.is_empty();
        let mut index = 0u32;
        if !rest.is_empty() {
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            index = rest
                .get(..digits)
                .unwrap_or_default()
                .iter()
                .fold(0u32, |n, d| {
                    n.wrapping_mul(10).wrapping_add(u32::from(d - b'0'))
                });
            rest = rest.get(digits..).unwrap_or_default();
            extended = rest.first() == Some(&b'*');
            if extended {
                rest = rest.get(1..).unwrap_or_default();
            }
        }
        if rest.is_empty() {
            continued.push(Continuation {
                key: key.get(..star).unwrap_or_default().to_vec(),
                value,
                index,
                extended,
            });
        } else {
            plain.push((Text(key), Text(value)));
        }
    }
    lexer.replace_nul = saved;
    plain.extend(merge_continuations(continued));
    plain
}

fn merge_continuations(mut params: Vec<Continuation>) -> Vec<(Text, Text)> {
    let mut out = Vec::new();
    params.sort_by(|a, b| a.key.cmp(&b.key).then(a.index.cmp(&b.index)));
    let mut i = 0;
    while i < params.len() {
        let mut next = i;
        let mut complete = true;
        let mut any_extended = false;
        let mut expected = 0u32;
        while let Some(p) = params.get(next) {
            if !p.key.eq_ignore_ascii_case(&params[i].key) {
                break;
            }
            complete &= p.index == expected;
            any_extended |= p.extended;
            expected = expected.wrapping_add(1);
            next += 1;
        }
        let group = &params[i..next];
        if complete {
            let mut value = Vec::new();
            if !group[0].extended && any_extended {
                value.extend_from_slice(b"''");
            }
            for p in group {
                if !p.extended && any_extended {
                    for &b in &p.value {
                        if b == b'%' {
                            value.extend_from_slice(b"%25");
                        } else {
                            value.push(b);
                        }
                    }
                } else {
                    value.extend_from_slice(&p.value);
                }
            }
            let mut key = group[0].key.clone();
            if any_extended {
                key.push(b'*');
            }
            out.push((Text(key), Text(value)));
        } else {
            for p in group {
                let mut key = p.key.clone();
                key.extend_from_slice(format!("*{}", p.index).as_bytes());
                if p.extended {
                    key.push(b'*');
                }
                out.push((Text(key), Text(p.value.clone())));
            }
        }
        i = next;
    }
    out
}

/// Folds one complete `Content-*` field into `mime` (the first field of each kind counts; a
/// Content-Disposition without parameters can still be replaced by a later one).
pub(crate) fn add_field(mime: &mut MimeFields, field: &Field) {
    let Some(suffix) = field
        .name
        .get(..8)
        .filter(|p| p.eq_ignore_ascii_case(b"Content-"))
        .and_then(|_| field.name.get(8..))
    else {
        return;
    };
    let is = |name: &str| suffix.eq_ignore_ascii_case(name.as_bytes());
    let raw = || Some(Text(without_nul(&field.value)));
    if is("ID") && mime.id.is_none() {
        mime.id = raw();
    } else if is("MD5") && mime.md5.is_none() {
        mime.md5 = raw();
    } else if is("Type") && mime.content_type.is_none() {
        set_content_type(mime, &field.value);
    } else if is("Transfer-Encoding") && mime.encoding.is_none() {
        mime.encoding = transfer_encoding(&field.value);
    } else if is("Language") && mime.language.is_empty() {
        mime.language = languages(&field.value);
    } else if is("Location") && mime.location.is_none() {
        mime.location = raw();
    } else if is("Description") && mime.description.is_none() {
        mime.description = raw();
    } else if is("Disposition") && mime.disposition_params.is_empty() {
        set_disposition(mime, &field.value);
    }
}

fn set_content_type(mime: &mut MimeFields, value: &[u8]) {
    let mut lexer = Lexer::new(value);
    let ct = content_type(&mut lexer);
    let (ty, sub) = match ct.full.iter().position(|&b| b == b'/') {
        Some(slash) => (
            ct.full.get(..slash).unwrap_or_default(),
            ct.full.get(slash + 1..).unwrap_or_default(),
        ),
        None => (&ct.full[..], &b""[..]),
    };
    mime.content_type = Some(Text(ty.to_vec()));
    mime.subtype = Some(Text(sub.to_vec()));
    if ct.valid {
        mime.params = parameters(&mut lexer);
    }
}

fn transfer_encoding(value: &[u8]) -> Option<Text> {
    let mut lexer = Lexer::new(value);
    let _ = lexer.skip_lwsp();
    let mut token = Vec::new();
    let step = lexer.mime_token(&mut token);
    (step != Step::Invalid && lexer.skip_lwsp() == Step::End && !token.is_empty())
        .then_some(Text(token))
}

fn set_disposition(mime: &mut MimeFields, value: &[u8]) {
    let mut lexer = Lexer::new(value);
    let _ = lexer.skip_lwsp();
    let mut token = Vec::new();
    if lexer.mime_token(&mut token) == Step::Invalid {
        return;
    }
    mime.disposition = Some(Text(token));
    mime.disposition_params = parameters(&mut lexer);
}

fn languages(value: &[u8]) -> Vec<Text> {
    let mut lexer = Lexer::new(value);
    let _ = lexer.skip_lwsp();
    let mut out = Vec::new();
    loop {
        let mut tag = Vec::new();
        if lexer.atom(&mut tag) == Step::Invalid {
            break;
        }
        out.push(Text(tag));
        if lexer.at_end() || lexer.peek() != b',' {
            break;
        }
        lexer.advance();
        let _ = lexer.skip_lwsp();
    }
    out
}

/// What the message parser needs from a part's first Content-Type.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct StructureType {
    /// `text` or `text/*`.
    pub(crate) text: bool,
    /// `multipart/*`.
    pub(crate) multipart: bool,
    /// `multipart/digest`.
    pub(crate) digest: bool,
    /// `message/rfc822`.
    pub(crate) message: bool,
    /// The boundary parameter of a multipart (at most 80 bytes kept).
    pub(crate) boundary: Option<Vec<u8>>,
}

/// Longest boundary kept (RFC 2046 allows 70; a little slack for broken mail).
const MAX_BOUNDARY_LEN: usize = 80;

/// Classifies a Content-Type value for the structure parser.
pub(crate) fn structure_type(value: &[u8]) -> StructureType {
    let mut lexer = Lexer::new(value);
    let ct = content_type(&mut lexer);
    let full = &ct.full;
    let starts = |prefix: &[u8]| {
        full.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    let mut out = StructureType::default();
    if full.eq_ignore_ascii_case(b"message/rfc822") {
        out.message = true;
    } else if starts(b"text") && matches!(full.get(4), None | Some(b'/')) {
        out.text = true;
    } else if starts(b"multipart/") {
        out.multipart = true;
        out.digest = full
            .get(10..)
            .is_some_and(|s| s.eq_ignore_ascii_case(b"digest"));
    }
    if ct.valid && out.multipart {
        out.boundary = parameters(&mut lexer)
            .into_iter()
            .find(|(k, _)| k.0.eq_ignore_ascii_case(b"boundary"))
            .map(|(_, v)| v.0.into_iter().take(MAX_BOUNDARY_LEN).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(input: &str) -> Vec<(String, String)> {
        let mut lexer = Lexer::new(input.as_bytes());
        parameters(&mut lexer)
            .into_iter()
            .map(|(k, v)| {
                (
                    String::from_utf8(k.0).unwrap(),
                    String::from_utf8(v.0).unwrap(),
                )
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rfc2231_continuations_are_merged_after_plain_parameters() {
        assert_eq!(
            params("; title*1*=%20b; a=1; title*0*=us-ascii'en'a; t*0=x; t*1=y; u*=x''y"),
            pairs(&[
                ("a", "1"),
                ("t", "xy"),
                ("title*", "us-ascii'en'a%20b"),
                ("u*", "x''y")
            ])
        );
        assert_eq!(
            params("; n*0=\"50%\"; n*1*=%20x"),
            pairs(&[("n*", "''50%25%20x")])
        );
        assert_eq!(
            params("; n*0=a; n*2=c"),
            pairs(&[("n*0", "a"), ("n*2", "c")])
        );
    }

    #[test]
    fn broken_parameters_are_skipped_like_dovecot() {
        assert_eq!(
            params("; charset; ; foo=; =bar; name=ok"),
            pairs(&[("foo", ""), ("", "bar"), ("name", "ok")])
        );
    }

    #[test]
    fn structure_type_reads_the_boundary() {
        let t = structure_type(b"Multipart/Digest; boundary=\"b\"");
        assert!(t.multipart && t.digest);
        assert_eq!(t.boundary.as_deref(), Some(&b"b"[..]));
        assert!(structure_type(b"text").text);
        assert!(!structure_type(b"texts/plain").text);
        assert!(structure_type(b"message/RFC822").message);
        assert_eq!(
            structure_type(b"multipart/mixed junk; boundary=b").boundary,
            None
        );
    }

    #[test]
    fn fields_first_one_counts() {
        let mut mime = MimeFields::default();
        let field = |name: &str, value: &str| Field {
            name: name.as_bytes().to_vec(),
            value: value.as_bytes().to_vec(),
            start: 0,
            end: 0,
        };
        add_field(
            &mut mime,
            &field("Content-Type", "text/html; charset=utf-8"),
        );
        add_field(&mut mime, &field("content-type", "text/plain"));
        add_field(&mut mime, &field("Content-Transfer-Encoding", "7bit (c)"));
        add_field(&mut mime, &field("Content-Disposition", "inline"));
        add_field(
            &mut mime,
            &field("Content-Disposition", "attachment; filename=a"),
        );
        add_field(&mut mime, &field("Content-Language", "en, de-CH"));
        assert_eq!(mime.subtype, Some("html".into()));
        assert_eq!(mime.encoding, Some("7bit".into()));
        assert_eq!(mime.disposition, Some("attachment".into()));
        assert_eq!(mime.language, vec![Text::from("en"), Text::from("de-CH")]);
    }
}
