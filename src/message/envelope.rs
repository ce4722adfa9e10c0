//! ENVELOPE fields of a message header (RFC 3501 §7.4.2) and the address-list parser behind
//! them (RFC 5322 §3.4 with the obsolete and broken forms real mail has).
//!
//! Strings stay raw, as Dovecot sends them: encoded words are not decoded, display names are
//! unquoted, a bare address's comment becomes its name, and what cannot be parsed is filled
//! with `MISSING_MAILBOX`, `MISSING_DOMAIN`, `SYNTAX_ERROR` or `INVALID_ROUTE`.

use super::header::Field;
use super::mime_fields::without_nul;
use super::rfc822::{Lexer, Step};
use super::summary::{AddressFields, EnvelopeFields, Text};

/// Folds one header field into the envelope: the last string field wins, address fields add up.
/// `References` is kept beside the ENVELOPE fields, for threading.
pub(crate) fn add_field(envelope: &mut EnvelopeFields, field: &Field) {
    let name = &field.name;
    let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
    let text = || Some(Text(without_nul(&field.value)));
    let list = if is("Date") {
        envelope.date = text();
        return;
    } else if is("Subject") {
        envelope.subject = text();
        return;
    } else if is("In-Reply-To") {
        envelope.in_reply_to = text();
        return;
    } else if is("Message-ID") {
        envelope.message_id = text();
        return;
    } else if is("References") {
        envelope.references = text();
        return;
    } else if is("From") {
        &mut envelope.from
    } else if is("Sender") {
        &mut envelope.sender
    } else if is("Reply-To") {
        &mut envelope.reply_to
    } else if is("To") {
        &mut envelope.to
    } else if is("Cc") {
        &mut envelope.cc
    } else if is("Bcc") {
        &mut envelope.bcc
    } else {
        return;
    };
    list.extend(parse_address_list(&field.value));
}

/// Whether a header field name is one of the envelope's (or `References`, kept with them).
pub(crate) fn is_envelope_field(name: &[u8]) -> bool {
    [
        "Date",
        "Subject",
        "From",
        "Sender",
        "Reply-To",
        "To",
        "Cc",
        "Bcc",
        "In-Reply-To",
        "Message-ID",
        "References",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// Parses an address list into ENVELOPE address structures (groups as start/end markers).
pub fn parse_address_list(value: &[u8]) -> Vec<AddressFields> {
    let mut parser = AddressParser {
        lexer: Lexer::new(value),
        current: Current::default(),
        out: Vec::new(),
        buf: Vec::new(),
    };
    parser.lexer.last_comment = Some(Vec::new());
    parser.lexer.replace_nul = true;
    if parser.lexer.skip_lwsp() > Step::End {
        parser.address_list();
    }
    parser.out
}

#[derive(Default)]
struct Current {
    name: Option<Vec<u8>>,
    route: Option<Vec<u8>>,
    mailbox: Option<Vec<u8>>,
    domain: Option<Vec<u8>>,
    invalid: bool,
}

struct AddressParser<'a> {
    lexer: Lexer<'a>,
    current: Current,
    out: Vec<AddressFields>,
    buf: Vec<u8>,
}

/// What a parse step found, in the convention of the lexer: `Invalid`, `End` or `More`; the
/// address parser also needs "nothing read" for a missing domain.
type Found = Step;

impl AddressParser<'_> {
    fn peek(&self) -> u8 {
        self.lexer.peek()
    }

    fn add(&mut self) {
        let c = std::mem::take(&mut self.current);
        self.out.push(AddressFields {
            name: c.name.map(Text),
            route: c.route.map(Text),
            mailbox: c.mailbox.map(Text),
            domain: c.domain.map(Text),
        });
    }

    fn add_fixed(&mut self) {
        if self.current.mailbox.is_none() {
            self.current.mailbox = Some(b"MISSING_MAILBOX".to_vec());
            self.current.invalid = true;
        }
        if self.current.domain.as_ref().is_none_or(|d| d.is_empty()) {
            self.current.domain = Some(b"MISSING_DOMAIN".to_vec());
            self.current.invalid = true;
        }
        self.add();
    }

    /// A local part that tolerates leading, trailing and doubled dots.
    fn lenient_dot_atom(&mut self) -> Found {
        let mut step = Step::Invalid;
        loop {
            while self.peek() == b'.' {
                self.buf.push(b'.');
                self.lexer.advance();
                if self.lexer.at_end() {
                    return Step::End;
                }
                step = Step::More;
            }
            if self.peek() == b'@' {
                break;
            }
            step = self.lexer.atom(&mut self.buf);
            if !(step == Step::More && self.peek() == b'.') {
                break;
            }
        }
        step
    }

    fn local_part(&mut self) -> Found {
        self.buf.clear();
        let step = if self.peek() == b'"' {
            self.lexer.quoted_string(&mut self.buf)
        } else {
            self.lenient_dot_atom()
        };
        if step == Step::Invalid {
            return Step::Invalid;
        }
        self.current.mailbox = Some(self.buf.clone());
        step
    }

    fn domain(&mut self) -> Found {
        self.buf.clear();
        let step = self.lexer.domain(&mut self.buf);
        if step == Step::Invalid {
            return Step::Invalid;
        }
        self.current.domain = Some(self.buf.clone());
        step
    }

    fn domain_list(&mut self) -> Found {
        self.buf.clear();
        loop {
            if self.lexer.at_end() {
                return Step::End;
            }
            if self.peek() != b'@' {
                break;
            }
            if !self.buf.is_empty() {
                self.buf.push(b',');
            }
            self.buf.push(b'@');
            let step = self.lexer.domain(&mut self.buf);
            if step <= Step::End {
                return step;
            }
            while self.lexer.skip_lwsp() == Step::More && self.peek() == b',' {
                self.lexer.advance();
            }
        }
        self.current.route = Some(self.buf.clone());
        Step::More
    }

    fn angle_addr(&mut self) -> Found {
        self.lexer.advance();
        if self.lexer.skip_lwsp() <= Step::End {
            return Step::Invalid;
        }
        if self.peek() == b'@' {
            if self.domain_list() == Step::More && self.peek() == b':' {
                self.lexer.advance();
            } else {
                self.current.route = Some(b"INVALID_ROUTE".to_vec());
                if self.lexer.at_end() {
                    return Step::Invalid;
                }
            }
            if self.lexer.skip_lwsp() <= Step::End {
                return Step::Invalid;
            }
        }
        if self.peek() != b'>' {
            if self.local_part() <= Step::End {
                return Step::Invalid;
            }
            if self.peek() == b'@' && self.domain() <= Step::End {
                return Step::Invalid;
            }
        }
        if self.peek() != b'>' {
            return Step::Invalid;
        }
        self.lexer.advance();
        self.lexer.skip_lwsp()
    }

    fn name_addr(&mut self) -> Found {
        self.buf.clear();
        if self.lexer.phrase(&mut self.buf) <= Step::End || self.peek() != b'<' {
            return Step::Invalid;
        }
        self.current.name = Some(self.buf.clone()).filter(|n| !n.is_empty());
        if self.angle_addr() == Step::Invalid {
            self.current.domain = Some(b"SYNTAX_ERROR".to_vec());
            self.current.invalid = true;
        }
        if self.lexer.at_end() {
            Step::End
        } else {
            Step::More
        }
    }

    fn addr_spec(&mut self) -> Found {
        let mut domain_step = None;
        if let Some(c) = self.lexer.last_comment.as_mut() {
            c.clear();
        }
        let quoted = self.peek() == b'"';
        let mut step = self.local_part();
        if step <= Step::End {
            self.current.invalid = true;
        }
        if step != Step::End && !self.lexer.at_end() && self.peek() == b'@' {
            let d = self.domain();
            domain_step = Some(d);
            if d <= Step::End {
                step = d;
            }
        }
        let comment = self.lexer.last_comment.clone().unwrap_or_default();
        if !comment.is_empty() {
            self.current.name = Some(comment);
        } else if domain_step.is_none() {
            // A single word is a mailbox without domain; more words make a display name.
            self.buf.push(b' ');
            let before = self.buf.len();
            let _ = self.lexer.phrase(&mut self.buf);
            if self.buf.len() != before {
                self.current.mailbox = None;
                self.current.name = Some(self.buf.clone());
            } else if !quoted {
                self.current.domain = Some(Vec::new());
            }
            self.current.invalid = true;
            step = Step::Invalid;
        }
        step
    }

    fn mailbox(&mut self) -> Found {
        let start = self.lexer.position();
        let mut step = self.name_addr();
        if step == Step::Invalid {
            self.lexer.rewind(start);
            step = self.addr_spec();
            let c = &mut self.current;
            if c.invalid && c.name.is_none() && c.mailbox.is_some() && c.domain.is_none() {
                c.name = c.mailbox.take();
            }
        }
        if step == Step::Invalid {
            self.current.invalid = true;
        }
        self.add_fixed();
        step
    }

    fn group(&mut self) -> Found {
        self.buf.clear();
        if self.lexer.phrase(&mut self.buf) <= Step::End || self.peek() != b':' {
            return Step::Invalid;
        }
        self.lexer.advance();
        let mut step = self.lexer.skip_lwsp();
        self.current.mailbox = Some(self.buf.clone());
        self.add();
        if step == Step::More && self.peek() != b';' {
            loop {
                let _ = self.mailbox();
                if self.lexer.at_end() || self.peek() != b',' {
                    break;
                }
                self.lexer.advance();
                if self.lexer.skip_lwsp() <= Step::End {
                    step = Step::Invalid;
                    break;
                }
            }
        }
        if step != Step::Invalid {
            if self.lexer.at_end() || self.peek() != b';' {
                step = Step::Invalid;
            } else {
                self.lexer.advance();
                step = self.lexer.skip_lwsp();
            }
        }
        self.add();
        if step == Step::End {
            Step::End
        } else {
            Step::More
        }
    }

    fn address(&mut self) -> Found {
        let start = self.lexer.position();
        let step = self.group();
        if step == Step::Invalid {
            self.lexer.rewind(start);
            return self.mailbox();
        }
        step
    }

    fn address_list(&mut self) {
        loop {
            if self.address() == Step::End {
                break;
            }
            if self.lexer.at_end() || self.peek() != b',' {
                break;
            }
            self.lexer.advance();
            let step = self.lexer.skip_lwsp();
            if step <= Step::End {
                if step == Step::Invalid {
                    self.add_fixed();
                }
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(value: &str) -> Vec<[Option<String>; 4]> {
        let s = |t: Option<Text>| t.map(|t| String::from_utf8(t.0).unwrap());
        parse_address_list(value.as_bytes())
            .into_iter()
            .map(|a| [s(a.name), s(a.route), s(a.mailbox), s(a.domain)])
            .collect()
    }

    fn row(
        n: Option<&str>,
        r: Option<&str>,
        m: Option<&str>,
        d: Option<&str>,
    ) -> [Option<String>; 4] {
        [n, r, m, d].map(|x| x.map(str::to_owned))
    }

    #[test]
    fn names_routes_groups_and_comments() {
        assert_eq!(
            show(r#""Smith, John \"Jack\"" <john@example.com>, Jane <jane@example.com>"#),
            vec![
                row(
                    Some(r#"Smith, John "Jack""#),
                    None,
                    Some("john"),
                    Some("example.com")
                ),
                row(Some("Jane"), None, Some("jane"), Some("example.com")),
            ]
        );
        assert_eq!(
            show("undisclosed-recipients:;, Team: a@b.c;"),
            vec![
                row(None, None, Some("undisclosed-recipients"), None),
                row(None, None, None, None),
                row(None, None, Some("Team"), None),
                row(None, None, Some("a"), Some("b.c")),
                row(None, None, None, None),
            ]
        );
        assert_eq!(
            show("<@r1,@r2:u@h>, local-only, x@y (a comment)"),
            vec![
                row(None, Some("@r1,@r2"), Some("u"), Some("h")),
                row(None, None, Some("local-only"), Some("MISSING_DOMAIN")),
                row(Some("a comment"), None, Some("x"), Some("y")),
            ]
        );
    }

    #[test]
    fn broken_addresses_are_filled() {
        assert_eq!(
            show("John Smith"),
            vec![row(
                Some("John Smith"),
                None,
                Some("MISSING_MAILBOX"),
                Some("MISSING_DOMAIN")
            )]
        );
        assert_eq!(
            show("Name <broken"),
            vec![row(
                Some("Name"),
                None,
                Some("broken"),
                Some("SYNTAX_ERROR")
            )]
        );
        assert!(show("   ").is_empty());
    }
}
