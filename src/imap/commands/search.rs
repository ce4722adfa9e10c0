//! SEARCH (RFC 3501 §6.4.4).
//!
//! Flags, keywords, UIDs, sequence numbers, dates and sizes come from the listing and the state
//! store; header keys (FROM, SUBJECT, HEADER, SENT*...) from the stored header block of each
//! message, read at most once. BODY and TEXT look at the decoded text of the message.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::Arc;

use chrono::NaiveDate;
use futures::StreamExt;
use imap_types::core::{AString, Charset, Tag, Vec1};
use imap_types::extensions::sort::{SortCriterion, SortKey};
use imap_types::response::{Code, Data, Response};
use imap_types::search::SearchKey;

use crate::imap::base_subject::base_subject;
use crate::imap::fallback::SearchReturn;
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
    /// The header block, for TEXT.
    text_header: bool,
}

/// What is known of one message while searching.
#[derive(Default)]
struct Facts<'a> {
    info: Option<Arc<MessageInfo>>,
    text: Option<String>,
    /// Node ids the repository's index found per TEXT/BODY string (`None`: no index answer).
    index: Option<&'a HashMap<String, Option<HashSet<String>>>>,
    /// The node (for index hits).
    node_id: &'a str,
    /// Arrived within the index lag: the index may not know it yet.
    recent: bool,
}

/// The messages a search found, as indexes of the selected mailbox.
pub(crate) struct Found {
    /// Indexes into the selected mailbox's messages, in mailbox order.
    pub(crate) indexes: Vec<usize>,
    /// The criteria used MODSEQ.
    modseq: bool,
}

impl Session {
    pub(crate) async fn search(
        &mut self,
        tag: &Tag<'static>,
        charset: Option<Charset<'static>>,
        criteria: Vec1<SearchKey<'static>>,
        uid: bool,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let found = self.matching(charset, criteria).await?;
        let options = self.search_return.take();
        let Some(selected) = self.selected.as_ref() else {
            return Err(Failure::bad("No mailbox selected"));
        };
        let number = |index: usize| {
            if uid {
                selected.messages[index].uid
            } else {
                index as u32 + 1
            }
        };
        // RFC 7162 §3.1.5: a SEARCH with MODSEQ reports the highest MODSEQ of what it found.
        let modseq = found
            .modseq
            .then(|| {
                found
                    .indexes
                    .iter()
                    .map(|&i| selected.messages[i].modseq)
                    .max()
            })
            .flatten()
            .and_then(std::num::NonZeroU64::new);
        let Some(options) = options else {
            let numbers = found
                .indexes
                .iter()
                .filter_map(|&i| NonZeroU32::new(number(i)))
                .collect();
            out.send(Output::Response(Response::Data(Data::Search(
                numbers, modseq,
            ))))
            .await?;
            return Ok(Completion::ok("SEARCH completed"));
        };
        if options.save {
            self.saved = found
                .indexes
                .iter()
                .map(|&i| selected.messages[i].uid)
                .collect();
        }
        if options.min || options.max || options.count || options.all {
            out.send(Output::Line(esearch(
                tag, uid, options, &found, number, modseq,
            )))
            .await?;
        }
        Ok(Completion::ok("SEARCH completed"))
    }

    /// SORT (RFC 5256): the search, ordered by the criteria, ties by sequence number.
    pub(crate) async fn sort(
        &mut self,
        criteria: Vec1<SortCriterion>,
        charset: Charset<'static>,
        search: Vec1<SearchKey<'static>>,
        uid: bool,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let found = self.matching(Some(charset), search).await?;
        let account = self.account()?;
        let ctx = self.ctx.clone();
        let Some(selected) = self.selected.as_ref() else {
            return Err(Failure::bad("No mailbox selected"));
        };
        let needs_header = criteria.as_ref().iter().any(|c| {
            matches!(
                c.key,
                SortKey::Date | SortKey::Subject | SortKey::From | SortKey::To | SortKey::Cc
            )
        });
        let mut keyed = Vec::with_capacity(found.indexes.len());
        for index in found.indexes {
            let message = &selected.messages[index];
            let info = if needs_header || message.item.size.is_none() {
                match message_info(&ctx, account.mailboxes.as_ref(), &selected.info, message).await
                {
                    Ok(info) => Some(info),
                    Err(MailboxError::MessageGone) => continue,
                    Err(error) => return Err(error.into()),
                }
            } else {
                None
            };
            let keys: Vec<SortValue> = criteria
                .as_ref()
                .iter()
                .map(|c| sort_value(&c.key, message, info.as_deref()))
                .collect();
            keyed.push((keys, index));
        }
        keyed.sort_by(|(a, ai), (b, bi)| {
            for ((x, y), criterion) in a.iter().zip(b).zip(criteria.as_ref()) {
                let order = x.cmp(y);
                let order = if criterion.reverse {
                    order.reverse()
                } else {
                    order
                };
                if order != std::cmp::Ordering::Equal {
                    return order;
                }
            }
            ai.cmp(bi)
        });
        let numbers = keyed
            .iter()
            .filter_map(|&(_, index)| {
                NonZeroU32::new(if uid {
                    selected.messages[index].uid
                } else {
                    index as u32 + 1
                })
            })
            .collect();
        out.send(Output::Response(Response::Data(Data::Sort(numbers, None))))
            .await?;
        Ok(Completion::ok("SORT completed"))
    }

    /// The messages matching `criteria` (SEARCH, SORT and THREAD).
    pub(crate) async fn matching(
        &mut self,
        charset: Option<Charset<'static>>,
        criteria: Vec1<SearchKey<'static>>,
    ) -> Result<Found, Failure> {
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
        let modseq = uses_modseq(&key);
        if modseq {
            self.enabled.condstore = true;
        }
        let Some(selected) = self.selected.as_ref() else {
            return Err(Failure::bad("No mailbox selected"));
        };
        let mut needs = Needs::default();
        needs_of(&key, &mut needs);
        // TEXT and BODY go to the repository's index where it has one; messages newer than
        // the index lag are also read here, so a message appended a second ago is found.
        let mut index: HashMap<String, Option<HashSet<String>>> = HashMap::new();
        let mut terms = Vec::new();
        text_terms(&key, &mut terms);
        for term in terms {
            if let std::collections::hash_map::Entry::Vacant(slot) = index.entry(term) {
                let hits = account
                    .mailboxes
                    .search_text(&selected.info, slot.key())
                    .await?;
                slot.insert(hits);
            }
        }
        let all_indexed = !index.is_empty() && index.values().all(Option::is_some);
        let lag =
            chrono::Duration::from_std(ctx.settings.index_lag).unwrap_or(chrono::Duration::MAX);
        let now = ctx.clock.now();
        let mut found = Vec::new();
        for (position, message) in selected.messages.iter().enumerate() {
            if message.expunged {
                continue;
            }
            let arrival =
                chrono::DateTime::from_timestamp_millis(message.item.arrival).unwrap_or_default();
            let recent = now.signed_duration_since(arrival) < lag;
            let mut wanted = needs;
            if all_indexed && !recent {
                wanted.text = false;
                wanted.text_header = false;
            }
            let mut facts = match facts(&ctx, &account, &selected.info, message, wanted).await {
                Ok(facts) => facts,
                // Deleted meanwhile: it does not match anything any more.
                Err(MailboxError::MessageGone) => continue,
                Err(error) => return Err(error.into()),
            };
            facts.index = Some(&index);
            facts.node_id = &message.item.node_id;
            facts.recent = recent;
            if evaluate(&key, selected, position, message, &facts) {
                found.push(position);
            }
        }
        Ok(Found {
            indexes: found,
            modseq,
        })
    }
}

/// `* ESEARCH (TAG "a") [UID] MIN n MAX n COUNT n ALL set [MODSEQ n]` (RFC 4731).
fn esearch(
    tag: &Tag<'_>,
    uid: bool,
    options: SearchReturn,
    found: &Found,
    number: impl Fn(usize) -> u32,
    modseq: Option<std::num::NonZeroU64>,
) -> Vec<u8> {
    let mut numbers: Vec<u32> = found.indexes.iter().map(|&i| number(i)).collect();
    numbers.sort_unstable();
    let mut line = format!("* ESEARCH (TAG \"{}\")", tag.as_ref());
    if uid {
        line.push_str(" UID");
    }
    if let (true, Some(min)) = (options.min, numbers.first()) {
        line.push_str(&format!(" MIN {min}"));
    }
    if let (true, Some(max)) = (options.max, numbers.last()) {
        line.push_str(&format!(" MAX {max}"));
    }
    if options.count {
        line.push_str(&format!(" COUNT {}", numbers.len()));
    }
    if let (true, Some(all)) = (
        options.all,
        crate::imap::sequence::compact(numbers.iter().copied()),
    ) {
        line.push_str(&format!(" ALL {all}"));
    }
    if let (Some(modseq), false) = (modseq, numbers.is_empty()) {
        line.push_str(&format!(" MODSEQ {modseq}"));
    }
    line.push_str("\r\n");
    line.into_bytes()
}

/// A sort key value; strings compare by octets after the RFC 5256 canonical form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortValue {
    Number(u64),
    Text(String),
}

fn sort_value(key: &SortKey, message: &Message, info: Option<&MessageInfo>) -> SortValue {
    let envelope = info.and_then(|i| i.summary.root().envelope.as_ref());
    let first_mailbox = |list: Option<&Vec<crate::message::AddressFields>>| {
        let text = list
            .and_then(|l| l.first())
            .and_then(|a| a.mailbox.as_ref())
            .map(|t| String::from_utf8_lossy(t.as_bytes()).to_lowercase())
            .unwrap_or_default();
        SortValue::Text(text)
    };
    match key {
        SortKey::Arrival => SortValue::Number(message.item.internal_date.timestamp().max(0) as u64),
        SortKey::Size => SortValue::Number(
            message
                .item
                .size
                .or_else(|| info.map(|i| i.summary.size()))
                .unwrap_or(0),
        ),
        SortKey::Date => SortValue::Number(sort_date(message, info).max(0) as u64),
        SortKey::Subject => SortValue::Text(base_subject(&decoded_subject(info))),
        SortKey::From | SortKey::DisplayFrom => first_mailbox(envelope.map(|e| &e.from)),
        SortKey::To | SortKey::DisplayTo => first_mailbox(envelope.map(|e| &e.to)),
        SortKey::Cc => first_mailbox(envelope.map(|e| &e.cc)),
    }
}

/// The sent date of RFC 5256 §2.2 (SORT DATE, THREAD) in seconds (UTC): the `Date` field, else the internal date.
pub(crate) fn sort_date(message: &Message, info: Option<&MessageInfo>) -> i64 {
    info.and_then(|i| email_metadata(&i.header).sent)
        .map(|d| d.timestamp())
        .unwrap_or_else(|| message.item.internal_date.timestamp())
}

/// The decoded subject of a message (empty without one).
pub(crate) fn decoded_subject(info: Option<&MessageInfo>) -> String {
    info.and_then(|i| i.summary.root().envelope.as_ref())
        .and_then(|e| e.subject.as_ref())
        .map(|t| decode_text(&String::from_utf8_lossy(t.as_bytes())))
        .unwrap_or_default()
}

/// The TEXT and BODY strings of a search, lower-cased.
fn text_terms(key: &SearchKey<'_>, out: &mut Vec<String>) {
    use SearchKey as K;
    match key {
        K::And(keys) => keys.as_ref().iter().for_each(|k| text_terms(k, out)),
        K::Or(a, b) => {
            text_terms(a, out);
            text_terms(b, out);
        }
        K::Not(k) => text_terms(k, out),
        K::Body(s) | K::Text(s) => out.push(lower(s)),
        _ => {}
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
            needs.text_header = true;
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
) -> Result<Facts<'static>, MailboxError> {
    let mut facts = Facts::default();
    let mailboxes = account.mailboxes.as_ref();
    if needs.header || needs.text_header || (needs.size && message.item.size.is_none()) {
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
            let indexed = facts
                .index
                .and_then(|index| index.get(&needle))
                .and_then(Option::as_ref)
                .map(|hits| hits.contains(facts.node_id));
            let in_text = || {
                facts
                    .text
                    .as_deref()
                    .is_some_and(|t| t.to_lowercase().contains(&needle))
            };
            let in_header =
                || matches!(key, K::Text(_)) && header_text(facts).to_lowercase().contains(&needle);
            match indexed {
                Some(hit) => hit || (facts.recent && (in_text() || in_header())),
                None => in_text() || in_header(),
            }
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
