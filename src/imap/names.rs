//! Mailbox names on the wire: decoding, encoding and LIST patterns (RFC 3501 §5.1, §6.3.8).

use imap_types::core::{AString, Quoted};
use imap_types::error::ValidationError;
use imap_types::mailbox::{ListMailbox, Mailbox};
use unicode_normalization::UnicodeNormalization;

use super::utf7;
use crate::mailbox::DELIMITER;

/// The decoded name of a mailbox argument: `INBOX` in capitals whatever the client wrote,
/// modified UTF-7 decoded. Clients that send raw UTF-8 (against RFC 3501) are accepted when
/// the bytes are valid UTF-8 and not valid modified UTF-7.
pub fn decode_mailbox(mailbox: &Mailbox<'_>) -> Result<String, utf7::Utf7Error> {
    match mailbox {
        Mailbox::Inbox => Ok("INBOX".to_owned()),
        Mailbox::Other(other) => decode_bytes(other.as_ref()).map(canonical_inbox),
    }
}

/// Decodes a name given as bytes (see [`decode_mailbox`]).
pub fn decode_bytes(bytes: &[u8]) -> Result<String, utf7::Utf7Error> {
    match utf7::decode(bytes) {
        Ok(name) => Ok(name),
        Err(error) => match std::str::from_utf8(bytes) {
            Ok(text) if !text.is_ascii() => Ok(text.to_owned()),
            _ => Err(error),
        },
    }
}

/// Decodes an astring argument (a LIST reference).
pub fn decode_astring(value: &AString<'_>) -> Result<String, utf7::Utf7Error> {
    decode_bytes(value.as_ref())
}

/// Decodes a LIST pattern argument.
pub fn decode_pattern(pattern: &ListMailbox<'_>) -> Result<String, utf7::Utf7Error> {
    let bytes: &[u8] = match pattern {
        ListMailbox::Token(token) => token.as_ref(),
        ListMailbox::String(string) => string.as_ref(),
    };
    decode_bytes(bytes)
}

/// Encodes a name for a response.
pub fn encode(name: &str) -> String {
    utf7::encode(name)
}

/// A name as the mailbox of a LIST, LSUB or STATUS response: modified UTF-7, quoted when it
/// would otherwise go out as the atom `NIL`. RFC 3501 allows that atom there, but parsers read
/// it as the nil value: mbsync 1.4 then rejects the whole LIST ("malformed LIST response") and
/// syncs nothing, so such a name is always sent as a quoted string.
pub fn response_mailbox(name: &str) -> Result<Mailbox<'static>, ValidationError> {
    let encoded = encode(name);
    if encoded.eq_ignore_ascii_case("NIL") {
        return Ok(Mailbox::from(AString::from(Quoted::try_from(encoded)?)));
    }
    Mailbox::try_from(encoded)
}

/// `inbox`, `Inbox/sub` ... written as `INBOX`, `INBOX/sub`.
fn canonical_inbox(name: String) -> String {
    let first = name.split(DELIMITER).next().unwrap_or("");
    if first.eq_ignore_ascii_case("INBOX") && first != "INBOX" {
        format!("INBOX{}", &name[first.len()..])
    } else {
        name
    }
}

/// Two names that denote the same mailbox: compared after NFC normalisation, and otherwise
/// exactly (mailbox names are case-sensitive; only `INBOX` is not).
pub fn same_name(a: &str, b: &str) -> bool {
    a == b || a.nfc().eq(b.nfc())
}

/// A LIST/LSUB pattern: the reference and the mailbox argument combined (RFC 3501 §6.3.8),
/// with `*` matching anything and `%` anything but the delimiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    chars: Vec<char>,
}

impl Pattern {
    /// Combines a reference and a pattern. A pattern that starts with the delimiter, or an
    /// empty reference, leaves the pattern alone; otherwise the pattern is appended to the
    /// reference.
    pub fn new(reference: &str, pattern: &str) -> Self {
        let combined = if reference.is_empty() || pattern.starts_with(DELIMITER) {
            pattern.to_owned()
        } else {
            format!("{reference}{pattern}")
        };
        Self {
            chars: canonical_inbox(combined).chars().collect(),
        }
    }

    /// Whether the pattern matches `name` exactly.
    pub fn matches(&self, name: &str) -> bool {
        let name = canonical_inbox(name.to_owned());
        let states = self.run(name.chars());
        states.last().copied().unwrap_or(false)
    }

    /// Whether some name below `parent` (`parent/...`) could match.
    pub fn may_match_below(&self, parent: &str) -> bool {
        let parent = canonical_inbox(parent.to_owned());
        let states = self.run(parent.chars().chain([DELIMITER]));
        states.contains(&true)
    }

    /// The pattern as text (for a pattern without wildcards: the name itself).
    pub fn literal_text(&self) -> String {
        self.chars.iter().collect()
    }

    /// The longest mailbox name that every match must lie below: the text before the first
    /// wildcard, up to its last delimiter (`Alfresco IMAP/Sites` for `Alfresco IMAP/Sites/%`).
    pub fn literal_parent(&self) -> Option<String> {
        let first_wildcard = self.chars.iter().position(|&c| c == '*' || c == '%')?;
        let prefix = &self.chars[..first_wildcard];
        let cut = prefix.iter().rposition(|&c| c == DELIMITER)?;
        let parent: String = prefix[..cut].iter().collect();
        (!parent.is_empty()).then_some(parent)
    }

    /// Whether the pattern has no wildcards.
    pub fn is_literal(&self) -> bool {
        !self.chars.iter().any(|&c| c == '*' || c == '%')
    }

    /// Whether the pattern ends with `%` (LSUB then reports unsubscribed parents of
    /// subscribed names as `\Noselect`).
    pub fn ends_with_percent(&self) -> bool {
        self.chars.last() == Some(&'%')
    }

    /// The pattern positions reachable after consuming `name` (an NFA run over the glob):
    /// `states[i]` holds when position `i` is reachable. Two buffers for the whole run, so
    /// a LIST of thousands of deep names does not allocate per character.
    fn run(&self, name: impl Iterator<Item = char>) -> Vec<bool> {
        let mut states = vec![false; self.chars.len() + 1];
        let mut next = states.clone();
        if let Some(first) = states.first_mut() {
            *first = true;
        }
        self.close(&mut states);
        for c in name {
            next.fill(false);
            for (state, _) in states.iter().enumerate().filter(|(_, on)| **on) {
                let reached = match self.chars.get(state) {
                    Some('*') => Some(state),
                    Some('%') if c != DELIMITER => Some(state),
                    Some('%') => None,
                    Some(&p) if p == c => Some(state + 1),
                    _ => None,
                };
                if let Some(slot) = reached.and_then(|r| next.get_mut(r)) {
                    *slot = true;
                }
            }
            self.close(&mut next);
            std::mem::swap(&mut states, &mut next);
            if !states.contains(&true) {
                break;
            }
        }
        states
    }

    /// Adds the positions after wildcards (which may match nothing). Such a step only goes
    /// forward, so one pass in order reaches the end of a run of wildcards.
    fn close(&self, states: &mut [bool]) {
        for (position, c) in self.chars.iter().enumerate() {
            if matches!(c, '*' | '%')
                && states.get(position).copied().unwrap_or(false)
                && let Some(after) = states.get_mut(position + 1)
            {
                *after = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_stays_on_one_level() {
        let p = Pattern::new("", "%");
        assert!(p.matches("INBOX"));
        assert!(p.matches("Alfresco IMAP"));
        assert!(!p.matches("Alfresco IMAP/Sites"));
        assert!(!p.may_match_below("Alfresco IMAP"));
        let p = Pattern::new("Alfresco IMAP/", "%");
        assert!(p.matches("Alfresco IMAP/Sites"));
        assert!(!p.matches("Alfresco IMAP"));
        assert!(!p.matches("Alfresco IMAP/Sites/x"));
        assert!(p.may_match_below("Alfresco IMAP"));
    }

    #[test]
    fn runs_of_wildcards_may_match_nothing() {
        let p = Pattern::new("", "a*%*b");
        assert!(p.matches("ab"));
        assert!(p.matches("a/x/b"));
        assert!(!p.matches("a/x/c"));
        assert!(p.may_match_below("a"));
        let p = Pattern::new("", "%%/%");
        assert!(p.matches("x/y"));
        assert!(!p.matches("x"));
        assert!(!p.matches("x/y/z"));
        assert!(!p.may_match_below("x/y"));
    }

    #[test]
    fn star_crosses_levels() {
        let p = Pattern::new("", "*");
        assert!(p.matches("a/b/c"));
        assert!(p.may_match_below("a/b"));
        let p = Pattern::new("", "Alfresco IMAP/Sites/*/documentLibrary");
        assert!(p.matches("Alfresco IMAP/Sites/marketing/documentLibrary"));
        assert!(p.matches("Alfresco IMAP/Sites/a/b/documentLibrary"));
        assert!(!p.matches("Alfresco IMAP/Sites/marketing"));
        assert!(p.may_match_below("Alfresco IMAP"));
        assert!(!p.may_match_below("INBOX"));
    }

    #[test]
    fn literal_parents() {
        assert_eq!(
            Pattern::new("", "Alfresco IMAP/Sites/%")
                .literal_parent()
                .as_deref(),
            Some("Alfresco IMAP/Sites")
        );
        assert_eq!(Pattern::new("", "%").literal_parent(), None);
        assert_eq!(Pattern::new("", "Alf*").literal_parent(), None);
        assert_eq!(
            Pattern::new("", "a/b*/c").literal_parent().as_deref(),
            Some("a")
        );
        assert_eq!(Pattern::new("", "INBOX").literal_parent(), None);
    }

    #[test]
    fn regex_characters_are_literal() {
        let p = Pattern::new("", "a.b(c)[d]");
        assert!(p.matches("a.b(c)[d]"));
        assert!(!p.matches("axb(c)[d]"));
    }

    #[test]
    fn inbox_is_case_insensitive() {
        let p = Pattern::new("", "inbox");
        assert!(p.matches("INBOX"));
        let p = Pattern::new("", "Inbox/%");
        assert!(p.matches("INBOX/Sub"));
        assert!(!Pattern::new("", "foo").matches("Foo"));
    }

    #[test]
    fn reference_handling() {
        assert!(Pattern::new("Alfresco IMAP/", "Sites").matches("Alfresco IMAP/Sites"));
        assert!(Pattern::new("Alfresco IMAP", "/Sites").matches("/Sites"));
        assert!(Pattern::new("", "").is_literal());
    }

    #[test]
    fn a_name_that_reads_as_nil_is_quoted() {
        use imap_codec::ResponseCodec;
        use imap_codec::encode::Encoder;
        use imap_types::response::{Data, Response};
        let wire = |name: &str| {
            let data = Data::Status {
                mailbox: response_mailbox(name).unwrap(),
                items: Vec::new().into(),
            };
            let bytes = ResponseCodec::default()
                .encode(&Response::Data(data))
                .dump();
            String::from_utf8(bytes).unwrap()
        };
        assert_eq!(wire("NIL"), "* STATUS \"NIL\" ()\r\n");
        assert_eq!(wire("nil"), "* STATUS \"nil\" ()\r\n");
        assert_eq!(wire("NILS"), "* STATUS NILS ()\r\n");
        assert_eq!(wire("INBOX"), "* STATUS INBOX ()\r\n");
    }

    #[test]
    fn names_decode() {
        let inbox = Mailbox::try_from("inbox").unwrap();
        assert_eq!(decode_mailbox(&inbox).unwrap(), "INBOX");
        let other = Mailbox::try_from("Entw&APw-rfe").unwrap();
        assert_eq!(decode_mailbox(&other).unwrap(), "Entwürfe");
        let raw = Mailbox::try_from("Entwürfe").unwrap();
        assert_eq!(decode_mailbox(&raw).unwrap(), "Entwürfe");
        let bad = Mailbox::try_from("&AGE-").unwrap();
        assert!(decode_mailbox(&bad).is_err());
        assert!(same_name("Caf\u{e9}", "Cafe\u{301}"));
        assert!(!same_name("foo", "Foo"));
    }
}
