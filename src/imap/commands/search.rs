//! SEARCH (RFC 3501 §6.4.4).
//!
//! Flags, keywords, UIDs, sequence numbers, dates and sizes come from the listing and the state
//! store; header keys (FROM, SUBJECT, HEADER, SENT*...) from the stored header block of each
//! message, read at most once. BODY and TEXT look at the decoded text of the message.

use std::num::NonZeroU32;
use std::sync::Arc;

use chrono::NaiveDate;
use futures::StreamExt;
use imap_types::core::{AString, Charset, Vec1};
use imap_types::response::{Code, Data, Response};
use imap_types::search::SearchKey;

use crate::imap::messages::{MessageInfo, message_info};
use crate::imap::output::{Output, Responder};
use crate::imap::selected::{Message, Selected};
use crate::imap::sequence::Ranges;
use crate::imap::session::{Account, CommandResult, Completion, Failure, Session};
use crate::mailbox::{MailboxError, MailboxInfo};
use crate::message::metadata::{decode_text, email_metadata};
use crate::message::section::select_fields;

/// What evaluating the keys needs beyond the listing and the flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Needs {
    /// The header block (and summary).
    header: bool,
    /// The message's size.
    size: bool,
    /// The message's text.
    text: bool,
}

/// What is known of one message while searching.
#[derive(Default)]
struct Facts {
    info: Option<Arc<MessageInfo>>,
    text: Option<String>,
}

impl Session {
    pub(crate) async fn search(
        &mut self,
        charset: Option<Charset<'static>>,
        criteria: Vec1<SearchKey<'static>>,
        uid: bool,
        out: &mut dyn Responder,
    ) -> CommandResult {
        if let Some(charset) = &charset {
            let name = match charset {
                Charset::Atom(atom) => atom.as_ref().to_owned(),
                Charset::Quoted(quoted) => quoted.as_ref().to_owned(),
            };
            if !name.eq_ignore_ascii_case("UTF-8") && !name.eq_ignore_ascii_case("US-ASCII") {
                let allowed = ["UTF-8", "US-ASCII"]
                    .iter()
                    .filter_map(|c| Charset::try_from(*c).ok())
                    .collect();
                return Err(Failure::No(
                    Some(Code::BadCharset { allowed }),
                    "Unsupported charset".into(),
                ));
            }
        }
        let account = self.account()?;
        let ctx = self.ctx.clone();
        let key = SearchKey::And(criteria);
        if uses_modseq(&key) {
            self.enabled.condstore = true;
        }
        let Some(selected) = self.selected.as_ref() else {
            return Err(Failure::bad("No mailbox selected"));
        };
        let mut needs = Needs::default();
        needs_of(&key, &mut needs);
        let mut found = Vec::new();
        for (index, message) in selected.messages.iter().enumerate() {
            if message.expunged {
                continue;
            }
            let facts = match facts(&ctx, &account, &selected.info, message, needs).await {
                Ok(facts) => facts,
                // Deleted meanwhile: it does not match anything any more.
                Err(MailboxError::MessageGone) => continue,
                Err(error) => return Err(error.into()),
            };
            if evaluate(&key, selected, index, message, &facts) {
                let number = if uid { message.uid } else { index as u32 + 1 };
                if let Some(number) = NonZeroU32::new(number) {
                    found.push(number);
                }
            }
        }
        // RFC 7162 §3.1.5: a SEARCH with MODSEQ reports the highest MODSEQ of what it found.
        let modseq = if uses_modseq(&key) {
            found
                .iter()
                .filter_map(|n| {
                    let number = n.get();
                    if uid {
                        selected.index_of(number).map(|i| &selected.messages[i])
                    } else {
                        selected.messages.get(number as usize - 1)
                    }
                })
                .map(|m| m.modseq)
                .max()
                .and_then(std::num::NonZeroU64::new)
        } else {
            None
        };
        out.send(Output::Response(Response::Data(Data::Search(
            found, modseq,
        ))))
        .await?;
        Ok(Completion::ok("SEARCH completed"))
    }
}

fn uses_modseq(key: &SearchKey<'_>) -> bool {
    use SearchKey as K;
    match key {
        K::ModSequence { .. } => true,
        K::And(keys) => keys.as_ref().iter().any(uses_modseq),
        K::Or(a, b) => uses_modseq(a) || uses_modseq(b),
        K::Not(k) => uses_modseq(k),
        _ => false,
    }
}

fn needs_of(key: &SearchKey<'_>, needs: &mut Needs) {
    use SearchKey as K;
    match key {
        K::And(keys) => keys.as_ref().iter().for_each(|k| needs_of(k, needs)),
        K::Or(a, b) => {
            needs_of(a, needs);
            needs_of(b, needs);
        }
        K::Not(k) => needs_of(k, needs),
        K::Bcc(_)
        | K::Cc(_)
        | K::From(_)
        | K::To(_)
        | K::Subject(_)
        | K::Header(..)
        | K::SentBefore(_)
        | K::SentOn(_)
        | K::SentSince(_) => needs.header = true,
        K::Larger(_) | K::Smaller(_) => needs.size = true,
        K::Body(_) => needs.text = true,
        K::Text(_) => {
            needs.text = true;
            needs.header = true;
        }
        _ => {}
    }
}

async fn facts(
    ctx: &crate::imap::ServerContext,
    account: &Account,
    mailbox: &MailboxInfo,
    message: &Message,
    needs: Needs,
) -> Result<Facts, MailboxError> {
    let mut facts = Facts::default();
    let mailboxes = account.mailboxes.as_ref();
    if needs.header || (needs.size && message.item.size.is_none()) {
        facts.info = Some(message_info(ctx, mailboxes, mailbox, message).await?);
    }
    if needs.text {
        let content = mailboxes
            .content(mailbox, &message.item_ref(), None)
            .await?;
        let mut bytes =
            Vec::with_capacity(usize::try_from(content.length).unwrap_or(0).min(64 << 20));
        let mut stream = content.stream;
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        facts.text = Some(message_text(&bytes));
    }
    Ok(facts)
}

/// The searchable text of a message: its header fields (decoded) and the decoded text of its
/// text parts.
fn message_text(bytes: &[u8]) -> String {
    let Some(parsed) = mail_parser::MessageParser::default().parse(bytes) else {
        return String::from_utf8_lossy(bytes).into_owned();
    };
    let mut text = String::new();
    for part in &parsed.parts {
        if let mail_parser::PartType::Text(body) | mail_parser::PartType::Html(body) = &part.body {
            text.push_str(body);
            text.push('\n');
        }
    }
    text
}

/// Whether a message matches a key.
fn evaluate(
    key: &SearchKey<'_>,
    selected: &Selected,
    index: usize,
    message: &Message,
    facts: &Facts,
) -> bool {
    use SearchKey as K;
    let flags = &message.flags;
    let date = message.item.internal_date.date_naive();
    let size = || {
        message
            .item
            .size
            .or_else(|| facts.info.as_ref().map(|i| i.summary.size()))
            .unwrap_or(0)
    };
    match key {
        K::All => true,
        K::And(keys) => keys
            .as_ref()
            .iter()
            .all(|k| evaluate(k, selected, index, message, facts)),
        K::Or(a, b) => {
            evaluate(a, selected, index, message, facts)
                || evaluate(b, selected, index, message, facts)
        }
        K::Not(key) => !evaluate(key, selected, index, message, facts),
        K::SequenceSet(set) => {
            Ranges::new(set, selected.messages.len() as u32).contains(index as u32 + 1)
        }
        K::Uid(set) => {
            let largest = selected.messages.last().map(|m| m.uid).unwrap_or(0);
            Ranges::new(set, largest).contains(message.uid)
        }
        K::Answered => flags.answered,
        K::Unanswered => !flags.answered,
        K::Deleted => flags.deleted,
        K::Undeleted => !flags.deleted,
        K::Draft => flags.draft,
        K::Undraft => !flags.draft,
        K::Flagged => flags.flagged,
        K::Unflagged => !flags.flagged,
        K::Seen => flags.seen,
        K::Unseen => !flags.seen,
        K::Recent => selected.recent.contains(&message.uid),
        K::Old => !selected.recent.contains(&message.uid),
        K::New => selected.recent.contains(&message.uid) && !flags.seen,
        K::Keyword(atom) => flags
            .keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(atom.as_ref())),
        K::Unkeyword(atom) => !flags
            .keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(atom.as_ref())),
        K::Before(day) => date < *day.as_ref(),
        K::On(day) => date == *day.as_ref(),
        K::Since(day) => date >= *day.as_ref(),
        K::Larger(n) => size() > u64::from(*n),
        K::Smaller(n) => size() < u64::from(*n),
        K::From(s) => header_contains(facts, b"From", s),
        K::To(s) => header_contains(facts, b"To", s),
        K::Cc(s) => header_contains(facts, b"Cc", s),
        K::Bcc(s) => header_contains(facts, b"Bcc", s),
        K::Subject(s) => header_contains(facts, b"Subject", s),
        K::Header(name, s) => header_contains(facts, name.as_ref(), s),
        K::SentBefore(day) => sent_date(facts).is_some_and(|d| d < *day.as_ref()),
        K::SentOn(day) => sent_date(facts).is_some_and(|d| d == *day.as_ref()),
        K::SentSince(day) => sent_date(facts).is_some_and(|d| d >= *day.as_ref()),
        K::Body(s) | K::Text(s) => {
            let needle = lower(s);
            let in_text = facts
                .text
                .as_deref()
                .is_some_and(|t| t.to_lowercase().contains(&needle));
            in_text
                || (matches!(key, K::Text(_))
                    && header_text(facts).to_lowercase().contains(&needle))
        }
        K::ModSequence { modseq, .. } => message.modseq >= *modseq,
    }
}

fn lower(value: &AString<'_>) -> String {
    String::from_utf8_lossy(value.as_ref()).to_lowercase()
}

/// Whether any field `name` of the header contains `value` (decoded, case-insensitive); an
/// empty value matches every message that has the field.
fn header_contains(facts: &Facts, name: &[u8], value: &AString<'_>) -> bool {
    let Some(info) = &facts.info else {
        return false;
    };
    let fields = select_fields(&info.header, &[name.to_vec()], false);
    let needle = lower(value);
    split_fields(&fields).any(|field| needle.is_empty() || field.to_lowercase().contains(&needle))
}

/// The decoded values of the fields in a block of header fields.
fn split_fields(block: &[u8]) -> impl Iterator<Item = String> + '_ {
    let text = String::from_utf8_lossy(block).into_owned();
    let mut fields: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.push_str(line);
            }
        } else {
            fields.push(line.to_owned());
        }
    }
    fields.into_iter().map(|field| {
        let value = field.split_once(':').map(|(_, v)| v).unwrap_or("");
        decode_text(value.trim())
    })
}

fn header_text(facts: &Facts) -> String {
    facts
        .info
        .as_ref()
        .map(|info| split_fields(&info.header).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}

/// The date of the Date header, without time and zone (RFC 3501 SENT* keys).
fn sent_date(facts: &Facts) -> Option<NaiveDate> {
    let info = facts.info.as_ref()?;
    email_metadata(&info.header).sent.map(|d| d.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_are_unfolded_and_decoded() {
        let block =
            b"Subject: =?UTF-8?B?SGVsbG8gV8O2cmxk?=\r\nTo: a@example.com,\r\n b@example.com\r\n";
        let fields: Vec<String> = split_fields(block).collect();
        assert_eq!(fields, ["Hello Wörld", "a@example.com, b@example.com"]);
    }

    #[test]
    fn text_of_a_multipart_message() {
        let message = b"Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n--b--\r\n";
        assert!(message_text(message).contains("hello world"));
    }
}
