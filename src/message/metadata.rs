//! Repository metadata of an APPENDed e-mail (spec §4.5) and round-trip identity (spec §4.6).
//!
//! The sidecar sets on the stored node what Alfresco's RFC 822 metadata extractor would: From,
//! To and Cc as decoded address lists, the first Subject decoded, Message-ID and Thread-Index,
//! the sent date (Date) and the received date (the date after the last `;` of the first
//! Received field). Header parsing and RFC 2047 decoding are mail-parser's.
//!
//! Deviation from the extractor: header names are matched without regard to case (the
//! extractor ignores a `Message-Id` spelled that way).

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, TimeZone};
use mail_parser::parsers::MessageStream;
use mail_parser::{Addr, Address, Header, HeaderValue, MessageParser};
use uuid::Uuid;

/// The properties an e-mail node gets from its message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailMetadata {
    /// `imap:messageFrom` / `cm:originator`: the From addresses, decoded, joined with `, `.
    pub from: Option<String>,
    /// `imap:messageTo` / `cm:addressee`.
    pub to: Option<String>,
    /// `imap:messageCc` / `cm:addressees`.
    pub cc: Option<String>,
    /// `imap:messageSubject` / `cm:title` / `cm:description` / `cm:subjectline`: the first
    /// Subject, decoded.
    pub subject: Option<String>,
    /// `imap:messageId`: the last Message-ID field as written (angle brackets kept), decoded.
    pub message_id: Option<String>,
    /// `imap:threadIndex`: the last Thread-Index field, decoded.
    pub thread_index: Option<String>,
    /// `imap:dateSent` / `cm:sentdate`: the Date field.
    pub sent: Option<DateTime<FixedOffset>>,
    /// `imap:dateReceived`: the date after the last `;` of the first Received field.
    pub received: Option<DateTime<FixedOffset>>,
}

/// Computes the metadata of a message (only its header is read).
pub fn email_metadata(message: &[u8]) -> EmailMetadata {
    let Some(parsed) = MessageParser::default().parse_headers(message) else {
        return EmailMetadata::default();
    };
    let headers = parsed.headers();
    let named = |name: &'static str| {
        headers
            .iter()
            .filter(move |h| h.name().eq_ignore_ascii_case(name))
    };
    let raw = |h: &Header<'_>| raw_value(message, h);
    EmailMetadata {
        from: address_list(named("From")),
        to: address_list(named("To")),
        cc: address_list(named("Cc")),
        subject: named("Subject").next().map(|h| decode_text(&raw(h))),
        message_id: named("Message-ID")
            .next_back()
            .map(|h| decode_text(&raw(h))),
        thread_index: named("Thread-Index")
            .next_back()
            .map(|h| decode_text(&raw(h))),
        sent: named("Date").next().and_then(|h| match h.value() {
            HeaderValue::DateTime(d) => to_chrono(d),
            _ => None,
        }),
        received: named("Received").next().and_then(|h| {
            let value = raw(h);
            let semicolon = value.rfind(';').filter(|&i| i > 0)?;
            let date = value.get(semicolon + 1..)?.trim();
            to_chrono(&mail_parser::DateTime::parse_rfc822(date)?)
        }),
    }
}

/// The raw value of a header field, unfolded and trimmed.
fn raw_value(message: &[u8], header: &Header<'_>) -> String {
    let start = header.offset_start() as usize;
    let end = header.offset_end() as usize;
    let bytes = message.get(start..end).unwrap_or_default();
    let unfolded: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n')
        .collect();
    String::from_utf8_lossy(&unfolded).trim().to_owned()
}

/// Decodes RFC 2047 encoded words in an unstructured value.
pub fn decode_text(value: &str) -> String {
    let line = format!("{value}\n");
    match MessageStream::new(line.as_bytes()).parse_unstructured() {
        HeaderValue::Text(t) => t.into_owned(),
        _ => value.trim().to_owned(),
    }
}

fn to_chrono(date: &mail_parser::DateTime) -> Option<DateTime<FixedOffset>> {
    if !date.is_valid() {
        return None;
    }
    let offset = (i32::from(date.tz_hour) * 3600 + i32::from(date.tz_minute) * 60)
        * if date.tz_before_gmt { -1 } else { 1 };
    FixedOffset::east_opt(offset)?
        .timestamp_opt(date.to_timestamp(), 0)
        .single()
}

/// Joins the addresses of all given fields like JavaMail's `InternetAddress.toString`, decoded.
fn address_list<'a, 'x: 'a>(fields: impl Iterator<Item = &'a Header<'x>>) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    let mut any = false;
    for field in fields {
        any = true;
        match field.value() {
            HeaderValue::Address(Address::List(list)) => out.extend(list.iter().map(format_addr)),
            HeaderValue::Address(Address::Group(groups)) => {
                for group in groups {
                    let members: Vec<String> = group.addresses.iter().map(format_addr).collect();
                    match &group.name {
                        Some(name) => {
                            out.push(format!("{}: {};", quote_phrase(name), members.join(", ")))
                        }
                        None => out.extend(members),
                    }
                }
            }
            _ => {}
        }
    }
    (any && !out.is_empty()).then(|| out.join(", "))
}

fn format_addr(addr: &Addr<'_>) -> String {
    let address = addr.address.as_deref().unwrap_or_default();
    match addr.name.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => format!("{} <{address}>", quote_phrase(name)),
        None => address.to_owned(),
    }
}

/// Quotes a display name that holds RFC 822 specials.
fn quote_phrase(name: &str) -> Cow<'_, str> {
    const SPECIALS: &str = "()<>@,;:\\\".[]";
    if !name.chars().any(|c| SPECIALS.contains(c) || c.is_control()) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Cow::Owned(out)
}

/// The repository node a message comes from, if it names one: first the part of its
/// Message-ID before `@` (angle brackets removed), then its `X-Alfresco-NodeRef-ID` field
/// (optionally as `workspace://SpacesStore/<id>`). Only canonical (hyphenated, lower-case) UUIDs
/// count. Generated messages carry both (`<uuid@alfresco.org>` and `<uuid>`).
pub fn referenced_nodes(message: &[u8]) -> Vec<Uuid> {
    let Some(parsed) = MessageParser::default().parse_headers(message) else {
        return Vec::new();
    };
    let headers = parsed.headers();
    let mut out = Vec::new();
    let field = |name: &str| {
        headers
            .iter()
            .find(|h| h.name().eq_ignore_ascii_case(name))
            .map(|h| raw_value(message, h))
    };
    if let Some(id) = field("Message-ID") {
        let id = id.trim().trim_start_matches('<').trim_end_matches('>');
        if let Some((local, _)) = id.split_once('@') {
            out.extend(canonical_uuid(local));
        }
    }
    if let Some(value) = field("X-Alfresco-NodeRef-ID") {
        let value = value.trim().trim_start_matches('<').trim_end_matches('>');
        let value = value
            .strip_prefix("workspace://SpacesStore/")
            .unwrap_or(value);
        if let Some(uuid) = canonical_uuid(value).filter(|u| !out.contains(u)) {
            out.push(uuid);
        }
    }
    out
}

/// A UUID written in its canonical form (36 characters, lower-case, hyphenated).
pub fn canonical_uuid(text: &str) -> Option<Uuid> {
    let uuid = Uuid::try_parse(text).ok()?;
    (uuid.hyphenated().to_string() == text).then_some(uuid)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIL: &[u8] = b"Received: from mx.example.com by mail.example.org;\r\n\
\tSat, 12 Mar 2022 18:00:01 +0100\r\n\
Received: from other; Fri, 11 Mar 2022 10:00:00 +0000\r\n\
From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen@example.de>\r\n\
To: \"Smith, John\" <john@example.com>, jane@example.com\r\n\
Cc: Team: a@example.com, b@example.com;\r\n\
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\
\x20aus Berlin\r\n\
Subject: second\r\n\
Date: Sat, 12 Mar 2022 17:59:00 +0100\r\n\
Message-ID: <abc@example.com>\r\n\
Thread-Index: AQHYNq2x\r\n\
\r\n\
body\r\n";

    #[test]
    fn extracts_what_the_repository_extractor_would() {
        let m = email_metadata(MAIL);
        assert_eq!(
            m.from.as_deref(),
            Some("Jürgen Müller <juergen@example.de>")
        );
        assert_eq!(
            m.to.as_deref(),
            Some("\"Smith, John\" <john@example.com>, jane@example.com")
        );
        assert_eq!(m.cc.as_deref(), Some("Team: a@example.com, b@example.com;"));
        assert_eq!(m.subject.as_deref(), Some("Grüße aus Berlin"));
        assert_eq!(m.message_id.as_deref(), Some("<abc@example.com>"));
        assert_eq!(m.thread_index.as_deref(), Some("AQHYNq2x"));
        assert_eq!(m.sent.unwrap().to_rfc3339(), "2022-03-12T17:59:00+01:00");
        assert_eq!(
            m.received.unwrap().to_rfc3339(),
            "2022-03-12T18:00:01+01:00"
        );
    }

    #[test]
    fn missing_fields_stay_empty() {
        let m = email_metadata(b"X-Other: 1\r\nReceived: no date here\r\n\r\n");
        assert_eq!(m, EmailMetadata::default());
        assert_eq!(email_metadata(b""), EmailMetadata::default());
    }

    #[test]
    fn finds_round_trip_nodes() {
        let id = "0f5b0a2c-1d3e-4f5a-8b6c-7d8e9f0a1b2c";
        let other = "11111111-2222-4333-8444-555555555555";
        let msg = format!(
            "Message-ID: <{id}@alfresco.org>\r\nX-Alfresco-NodeRef-ID: workspace://SpacesStore/{other}\r\n\r\n"
        );
        let found = referenced_nodes(msg.as_bytes());
        assert_eq!(
            found,
            vec![
                Uuid::parse_str(id).unwrap(),
                Uuid::parse_str(other).unwrap()
            ]
        );
        let upper = format!("Message-ID: <{}@x>\r\n\r\n", id.to_uppercase());
        assert!(referenced_nodes(upper.as_bytes()).is_empty());
        assert!(referenced_nodes(b"Message-ID: <not-a-uuid@x>\r\n\r\n").is_empty());
        let only_header = format!("X-Alfresco-NodeRef-ID: {id}\r\n\r\n");
        assert_eq!(
            referenced_nodes(only_header.as_bytes()),
            vec![Uuid::parse_str(id).unwrap()]
        );
    }
}
