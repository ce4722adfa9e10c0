//! A plain e-mail address (RFC 5322 `addr-spec`) for the fixed From and To of generated messages.
//!
//! Alfresco accepts anything `javax.mail.internet.InternetAddress` parses, including
//! `Name <a@b>`; this server puts the document's author in the display name itself, so only the
//! bare `local@domain` form is accepted here.

use std::fmt;

/// A validated `local@domain` address, ASCII only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MailAddress(String);

impl MailAddress {
    /// Checks `text` as an `addr-spec`: a dot-atom or quoted local part, `@`, a dot-atom domain
    /// (letters, digits, hyphens) or a domain literal in brackets.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() > 254 || !text.is_ascii() {
            return None;
        }
        let (local, domain) = text.rsplit_once('@')?;
        (valid_local(local) && valid_domain(domain)).then(|| Self(text.to_string()))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn valid_dot_atom(text: &str, allowed: impl Fn(char) -> bool) -> bool {
    !text.is_empty()
        && text
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(&allowed))
}

fn valid_local(local: &str) -> bool {
    if local.len() > 64 {
        return false;
    }
    if let Some(body) = local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if !chars.next().is_some_and(|c| (' '..='~').contains(&c)) {
                        return false;
                    }
                }
                '"' => return false,
                c if (' '..='~').contains(&c) => {}
                _ => return false,
            }
        }
        return true;
    }
    valid_dot_atom(local, is_atext)
}

fn valid_domain(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        return !literal.is_empty()
            && literal
                .chars()
                .all(|c| ('!'..='~').contains(&c) && !matches!(c, '[' | ']' | '\\'));
    }
    valid_dot_atom(domain, |c| c.is_ascii_alphanumeric() || c == '-')
        && domain
            .split('.')
            .all(|label| label.len() <= 63 && !label.starts_with('-') && !label.ends_with('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_addresses() {
        for good in [
            "alfresco@demo.alfresco.org",
            "a.b+tag@example.com",
            "x@localhost",
            "\"john doe\"@example.com",
            "o'brien@xn--mller-kva.example",
            "root@[192.0.2.1]",
        ] {
            assert!(MailAddress::parse(good).is_some(), "{good}");
        }
        assert_eq!(
            MailAddress::parse("a@b.c").unwrap().to_string(),
            "a@b.c".to_string()
        );
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "alfresco",
            "@example.com",
            "a@",
            "a@@b",
            "a b@example.com",
            ".a@example.com",
            "a..b@example.com",
            "a@example..com",
            "a@-example.com",
            "Alfresco <alfresco@example.com>",
            "müller@example.com",
            "a@exa_mple.com",
            " a@example.com",
            "a@example.com ",
            "\"unclosed@example.com",
        ] {
            assert!(MailAddress::parse(bad).is_none(), "{bad:?}");
        }
    }
}
