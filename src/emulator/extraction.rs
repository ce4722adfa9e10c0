//! "Metadata extraction" of RFC 822 content, as Alfresco's extractor does it some time after an
//! e-mail is stored: addresses, subject, dates and ids read from the headers and written to the
//! `imap:` and `cm:` properties (only where they are still empty, Alfresco's default policy).

use chrono::{DateTime, TimeZone, Utc};
use mail_parser::{Address, MessageParser};

use super::dictionary::PropValue;
use super::repo::node::Node;

/// The values extracted from a message's headers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    /// From addresses, as an address list.
    pub from: Option<String>,
    /// To recipients.
    pub to: Option<String>,
    /// Cc recipients, one per entry.
    pub cc: Vec<String>,
    /// Subject, RFC 2047 decoded.
    pub subject: Option<String>,
    /// `Date` header.
    pub sent: Option<DateTime<Utc>>,
    /// Date of the first `Received` header.
    pub received: Option<DateTime<Utc>>,
    /// `Message-ID` header as written (with angle brackets).
    pub message_id: Option<String>,
    /// `Thread-Index` header.
    pub thread_index: Option<String>,
}

fn addresses(list: Option<&Address<'_>>) -> Vec<String> {
    let Some(list) = list else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|addr| match (addr.name(), addr.address()) {
            (Some(name), Some(address)) if !name.is_empty() => Some(format!("{name} <{address}>")),
            (_, Some(address)) => Some(address.to_owned()),
            (Some(name), None) => Some(name.to_owned()),
            (None, None) => None,
        })
        .collect()
}

fn to_utc(dt: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(dt.to_timestamp(), 0).single()
}

fn non_empty(list: Vec<String>) -> Option<String> {
    (!list.is_empty()).then(|| list.join(", "))
}

/// Reads the extractable values of an RFC 822 message; `None` when it does not parse.
pub fn extract(bytes: &[u8]) -> Option<Extracted> {
    let message = MessageParser::default().parse(bytes)?;
    Some(Extracted {
        from: non_empty(addresses(message.from())),
        to: non_empty(addresses(message.to())),
        cc: addresses(message.cc()),
        subject: message.subject().map(str::to_owned),
        sent: message.date().and_then(to_utc),
        received: message
            .received_all()
            .next()
            .and_then(|r| r.date.as_ref())
            .and_then(to_utc),
        message_id: message
            .header_raw("Message-ID")
            .map(|s| s.trim().to_owned()),
        thread_index: message
            .header_raw("Thread-Index")
            .map(|s| s.trim().to_owned()),
    })
}

/// The body text of a message (all text parts), for full-text search.
pub fn body_text(bytes: &[u8]) -> Option<String> {
    let message = MessageParser::default().parse(bytes)?;
    let mut text = String::new();
    for i in 0..message.text_body_count() {
        if let Some(part) = message.body_text(i) {
            text.push_str(&part);
            text.push('\n');
        }
    }
    Some(text)
}

fn set_if_empty(node: &mut Node, name: &str, value: Option<PropValue>) -> bool {
    let Some(value) = value else {
        return false;
    };
    if value.is_empty() || node.props.get(name).is_some_and(|v| !v.is_empty()) {
        return false;
    }
    node.props.insert(name.to_owned(), value);
    true
}

/// Writes the extracted values into the node where its properties are empty, adding the aspects
/// that own them; returns whether anything changed.
pub fn apply(node: &mut Node, ex: &Extracted) -> bool {
    let text = |v: &Option<String>| v.clone().map(PropValue::Text);
    let date = |v: &Option<DateTime<Utc>>| v.map(PropValue::Date);
    let cc_list = (!ex.cc.is_empty())
        .then(|| PropValue::List(ex.cc.iter().cloned().map(PropValue::Text).collect()));
    let cc_text = non_empty(ex.cc.clone()).map(PropValue::Text);
    let writes: Vec<(&str, Option<PropValue>)> = vec![
        ("imap:messageFrom", text(&ex.from)),
        ("cm:originator", text(&ex.from)),
        ("imap:messageTo", text(&ex.to)),
        ("cm:addressee", text(&ex.to)),
        ("imap:messageCc", cc_text),
        ("cm:addressees", cc_list),
        ("imap:messageSubject", text(&ex.subject)),
        ("cm:title", text(&ex.subject)),
        ("cm:description", text(&ex.subject)),
        ("cm:subjectline", text(&ex.subject)),
        ("imap:dateSent", date(&ex.sent)),
        ("cm:sentdate", date(&ex.sent)),
        ("imap:dateReceived", date(&ex.received)),
        ("imap:threadIndex", text(&ex.thread_index)),
        ("imap:messageId", text(&ex.message_id)),
    ];
    let mut changed = false;
    for (name, value) in writes {
        if set_if_empty(node, name, value) {
            changed = true;
            let aspect = match name.split(':').next() {
                Some("imap") => "imap:imapContent",
                _ if name == "cm:title" || name == "cm:description" => "cm:titled",
                _ => "cm:emailed",
            };
            node.aspects.insert(aspect.to_owned());
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIL: &[u8] =
        b"Received: from mx.example.com by mail.example.org; Tue, 3 Feb 2026 10:00:05 +0000\r\n\
From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.com>\r\n\
To: Alice Adams <alice@example.com>, bob@example.com\r\n\
Cc: Carol <carol@example.com>\r\n\
Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n\
Date: Tue, 3 Feb 2026 11:00:00 +0100\r\n\
Message-ID: <abc@example.com>\r\n\
Thread-Index: AQHXyz\r\n\
\r\n\
Hallo Welt\r\n";

    #[test]
    fn extracts_decoded_headers() {
        let ex = extract(MAIL).unwrap();
        assert_eq!(ex.from.as_deref(), Some("Jörg Müller <joerg@example.com>"));
        assert_eq!(
            ex.to.as_deref(),
            Some("Alice Adams <alice@example.com>, bob@example.com")
        );
        assert_eq!(ex.cc, vec!["Carol <carol@example.com>".to_owned()]);
        assert_eq!(ex.subject.as_deref(), Some("Grüße"));
        assert_eq!(
            ex.sent.map(|d| d.to_rfc3339()),
            Some("2026-02-03T10:00:00+00:00".into())
        );
        assert_eq!(
            ex.received.map(|d| d.to_rfc3339()),
            Some("2026-02-03T10:00:05+00:00".into())
        );
        assert_eq!(ex.message_id.as_deref(), Some("<abc@example.com>"));
        assert_eq!(ex.thread_index.as_deref(), Some("AQHXyz"));
        assert!(body_text(MAIL).unwrap().contains("Hallo Welt"));
    }
}
