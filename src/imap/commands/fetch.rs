//! FETCH (RFC 3501 §6.4.5), with BINARY (RFC 3516) and CHANGEDSINCE (RFC 7162).
//!
//! Items are answered from the listing (INTERNALDATE, the size of stored e-mails), the state
//! store (FLAGS, MODSEQ) and the message's summary (ENVELOPE, BODYSTRUCTURE, where sections
//! are). Body data is read from the repository only for the bytes asked for, and streamed: a
//! `BODY[]` of a 200 MB document never sits in memory.

use std::num::{NonZeroU32, NonZeroU64};
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use imap_types::IntoStatic;
use imap_types::command::FetchModifier;
use imap_types::core::NString;
use imap_types::datetime::DateTime as ImapDateTime;
use imap_types::fetch::{
    MacroOrMessageDataItemNames, MessageDataItem, MessageDataItemName, Section,
};
use imap_types::sequence::SequenceSet;

use crate::imap::flags::flags_to_fetch;
use crate::imap::messages::{MessageInfo, header_info, known_info, message_info, prefetch_infos};
use crate::imap::output::{Body, FetchItem, FetchOutput, Output, Responder, encode_fetch_item};
use crate::imap::selected::Message;
use crate::imap::session::{Account, CommandResult, Completion, Failure, Session};
use crate::mailbox::{Content, MailboxError, MailboxInfo};
use crate::message::section::{
    SectionError, SectionPlan, apply_partial, binary, binary_size, locate,
};
use crate::state::{FlagOp, FlagUpdate, Flags};

/// Messages whose summaries are made known together before they are answered (one state
/// store read and at most one write per chunk, instead of one each per message).
const PREFETCH: usize = 512;

/// Why one message could not be answered.
enum Skip {
    /// Gone from the repository (`NO [EXPUNGEISSUED]` at the end).
    Gone,
    /// The command fails here.
    Fail(Failure),
}

impl From<MailboxError> for Skip {
    fn from(error: MailboxError) -> Self {
        match error {
            MailboxError::MessageGone => Skip::Gone,
            other => Skip::Fail(other.into()),
        }
    }
}

impl Session {
    pub(crate) async fn fetch(
        &mut self,
        sequence_set: SequenceSet,
        names: MacroOrMessageDataItemNames<'static>,
        uid: bool,
        modifiers: Vec<FetchModifier>,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let account = self.account()?;
        let mut names: Vec<MessageDataItemName<'static>> = match names {
            MacroOrMessageDataItemNames::Macro(m) => m
                .expand()
                .into_iter()
                .map(IntoStatic::into_static)
                .collect(),
            MacroOrMessageDataItemNames::MessageDataItemNames(names) => names,
        };
        let changed_since = modifiers.iter().find_map(|m| match m {
            FetchModifier::ChangedSince(value) => Some(value.get()),
            FetchModifier::Vanished => None,
        });
        if changed_since.is_some() || names.contains(&MessageDataItemName::ModSeq) {
            self.enabled.condstore = true;
        }
        if changed_since.is_some() && !names.contains(&MessageDataItemName::ModSeq) {
            names.push(MessageDataItemName::ModSeq);
        }
        if uid && !names.contains(&MessageDataItemName::Uid) {
            names.insert(0, MessageDataItemName::Uid);
        }
        let vanished = modifiers.contains(&FetchModifier::Vanished);
        if vanished && (!uid || changed_since.is_none() || !self.enabled.qresync) {
            return Err(Failure::bad(
                "VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC enabled",
            ));
        }
        let ctx = self.ctx.clone();
        let Some(selected) = self.selected.as_mut() else {
            return Err(Failure::bad("No mailbox selected"));
        };
        let indexes = selected
            .resolve(&sequence_set, uid)
            .map_err(|_| Failure::bad("Invalid message sequence number"))?;
        if let (true, Some(since)) = (vanished, changed_since) {
            // RFC 7162 §3.2.6: UIDs of the set expunged since the client's MODSEQ.
            let largest = selected.messages.last().map(|m| m.uid).unwrap_or(0);
            let wanted =
                crate::imap::sequence::Ranges::new(&sequence_set, largest.max(selected.uid_next));
            let changes = ctx
                .store
                .changes_since(selected.mailbox_id, account.mailboxes.user(), since)
                .await?;
            let gone = changes
                .vanished
                .iter()
                .copied()
                .filter(|u| wanted.contains(*u));
            if let Some(set) = crate::imap::sequence::compact(gone) {
                out.send(Output::Line(
                    format!("* VANISHED (EARLIER) {set}\r\n").into_bytes(),
                ))
                .await?;
            }
        }
        let sets_seen = !selected.read_only && names.iter().any(sets_seen);
        let mailbox = selected.info.clone();
        let mut gone = false;
        for chunk in indexes.chunks(PREFETCH) {
            let wanted: Vec<&Message> = chunk
                .iter()
                .map(|&index| &selected.messages[index])
                .filter(|m| !m.expunged && changed_since.is_none_or(|since| m.modseq > since))
                .filter(|m| names.iter().any(|name| needs_info(name, m)))
                .collect();
            if wanted.len() > 1 {
                prefetch_infos(&ctx, &account.mailboxes, &mailbox, &wanted).await;
            }
            for &index in chunk {
                let message = selected.messages[index].clone();
                if changed_since.is_some_and(|since| message.modseq <= since) {
                    continue;
                }
                let recent = selected.recent.contains(&message.uid);
                let items = match answer(&ctx, &account, &mailbox, &message, &names, recent).await {
                    Ok(items) => items,
                    Err(Skip::Gone) => {
                        gone = true;
                        continue;
                    }
                    Err(Skip::Fail(failure)) => return Err(failure),
                };
                let mut items = items;
                if sets_seen && !message.flags.seen {
                    let update = FlagUpdate {
                        uids: vec![message.uid],
                        op: FlagOp::Add,
                        flags: Flags {
                            seen: true,
                            ..Flags::default()
                        },
                        unchanged_since: None,
                    };
                    let outcome = ctx
                        .store
                        .store_flags(selected.mailbox_id, account.mailboxes.user(), &update)
                        .await?;
                    for changed in outcome.changed {
                        selected.apply_own_flags(changed.uid, &changed.flags, changed.modseq);
                        let flags = FetchItem::data(MessageDataItem::Flags(flags_to_fetch(
                            &changed.flags,
                            recent,
                        )));
                        match names.iter().position(|n| *n == MessageDataItemName::Flags) {
                            Some(position) => items[position] = flags,
                            None => items.push(flags),
                        }
                    }
                }
                let seq = NonZeroU32::new(index as u32 + 1).unwrap_or(NonZeroU32::MIN);
                out.send(Output::Fetch(FetchOutput { seq, items })).await?;
            }
        }
        if gone {
            return Err(Failure::no(
                "EXPUNGEISSUED",
                "Some messages were deleted meanwhile and could not be fetched",
            ));
        }
        Ok(Completion::ok("FETCH completed"))
    }
}

fn sets_seen(name: &MessageDataItemName<'_>) -> bool {
    matches!(
        name,
        MessageDataItemName::BodyExt { peek: false, .. }
            | MessageDataItemName::Rfc822
            | MessageDataItemName::Rfc822Text
            | MessageDataItemName::Binary { peek: false, .. }
    )
}

/// Whether an item needs the message's summary.
fn needs_info(name: &MessageDataItemName<'_>, message: &Message) -> bool {
    match name {
        MessageDataItemName::Envelope
        | MessageDataItemName::Body
        | MessageDataItemName::BodyStructure
        | MessageDataItemName::Rfc822Header
        | MessageDataItemName::Rfc822Text
        | MessageDataItemName::Binary { .. }
        | MessageDataItemName::BinarySize { .. } => true,
        MessageDataItemName::BodyExt {
            section, partial, ..
        } => section.is_some() || (partial.is_some() && message.item.size.is_none()),
        MessageDataItemName::Rfc822Size => message.item.size.is_none(),
        _ => false,
    }
}

/// Whether an item needs nothing of the message but its header block (so that a large
/// message's header can be read with a `Range`).
fn needs_only_the_header(name: &MessageDataItemName<'_>) -> bool {
    match name {
        MessageDataItemName::Envelope | MessageDataItemName::Rfc822Header => true,
        MessageDataItemName::BodyExt {
            section: Some(section),
            ..
        } => matches!(
            section,
            Section::Header(None)
                | Section::HeaderFields(None, _)
                | Section::HeaderFieldsNot(None, _)
        ),
        _ => false,
    }
}

/// The items for one message, in the order asked for.
async fn answer(
    ctx: &crate::imap::ServerContext,
    account: &Account,
    mailbox: &MailboxInfo,
    message: &Message,
    names: &[MessageDataItemName<'static>],
    recent: bool,
) -> Result<Vec<FetchItem>, Skip> {
    let mailboxes = account.mailboxes.as_ref();
    let wants_info = names.iter().any(|n| needs_info(n, message));
    let info: Option<Arc<MessageInfo>> = if !wants_info {
        None
    } else if message.expunged {
        // Gone underneath this session: answer from what is known, or not at all.
        Some(known_info(ctx, message).await.ok_or(Skip::Gone)?)
    } else if names
        .iter()
        .filter(|n| needs_info(n, message))
        .all(needs_only_the_header)
    {
        Some(header_info(ctx, mailboxes, mailbox, message).await?)
    } else {
        Some(message_info(ctx, mailboxes, mailbox, message).await?)
    };
    let size = message
        .item
        .size
        .or_else(|| info.as_ref().map(|i| i.summary.size()));
    let mut items = Vec::with_capacity(names.len());
    for name in names {
        let item = match name {
            MessageDataItemName::Uid => match NonZeroU32::new(message.uid) {
                Some(uid) => FetchItem::data(MessageDataItem::Uid(uid)),
                None => continue,
            },
            MessageDataItemName::Flags => FetchItem::data(MessageDataItem::Flags(flags_to_fetch(
                &message.flags,
                recent,
            ))),
            MessageDataItemName::ModSeq => match NonZeroU64::new(message.modseq.max(1)) {
                Some(modseq) => FetchItem::data(MessageDataItem::ModSeq(modseq)),
                None => continue,
            },
            MessageDataItemName::InternalDate => {
                let date = message.item.internal_date.fixed_offset();
                match ImapDateTime::try_from(date) {
                    Ok(date) => FetchItem::data(MessageDataItem::InternalDate(date)),
                    Err(_) => continue,
                }
            }
            MessageDataItemName::Rfc822Size => match size {
                Some(size) => FetchItem::data(MessageDataItem::Rfc822Size(
                    u32::try_from(size).unwrap_or(u32::MAX),
                )),
                None => {
                    let content = content(account, mailbox, message, None).await?;
                    FetchItem::data(MessageDataItem::Rfc822Size(
                        u32::try_from(content.length).unwrap_or(u32::MAX),
                    ))
                }
            },
            MessageDataItemName::Envelope => match &info {
                Some(info) => FetchItem::data(MessageDataItem::Envelope(info.summary.envelope())),
                None => continue,
            },
            MessageDataItemName::Body => match &info {
                Some(info) => {
                    FetchItem::data(MessageDataItem::Body(info.summary.body_structure(false)))
                }
                None => continue,
            },
            MessageDataItemName::BodyStructure => match &info {
                Some(info) => FetchItem::data(MessageDataItem::BodyStructure(
                    info.summary.body_structure(true),
                )),
                None => continue,
            },
            MessageDataItemName::Rfc822 => {
                let body = whole(account, mailbox, message, None, size).await?;
                FetchItem::Literal {
                    label: b"RFC822".to_vec(),
                    body,
                    binary: false,
                }
            }
            MessageDataItemName::Rfc822Header | MessageDataItemName::Rfc822Text => {
                let Some(info) = &info else { continue };
                let section = if matches!(name, MessageDataItemName::Rfc822Header) {
                    Section::Header(None)
                } else {
                    Section::Text(None)
                };
                let plan = locate(&info.summary, Some(&section));
                let body = section_body(account, mailbox, message, info, &plan, None).await?;
                let label: &[u8] = if matches!(name, MessageDataItemName::Rfc822Header) {
                    b"RFC822.HEADER"
                } else {
                    b"RFC822.TEXT"
                };
                FetchItem::Literal {
                    label: label.to_vec(),
                    body,
                    binary: false,
                }
            }
            MessageDataItemName::BodyExt {
                section, partial, ..
            } => {
                let label = body_label(section.as_ref(), *partial);
                let body = match (section, &info) {
                    (None, _) => {
                        let range = partial.map(|p| apply_partial(size.unwrap_or(0), Some(p)));
                        whole(account, mailbox, message, range, size).await?
                    }
                    (Some(section), Some(info)) => {
                        let plan = locate(&info.summary, Some(section));
                        section_body(account, mailbox, message, info, &plan, *partial).await?
                    }
                    (Some(_), None) => continue,
                };
                FetchItem::Literal {
                    label,
                    body,
                    binary: false,
                }
            }
            MessageDataItemName::Binary {
                section, partial, ..
            } => {
                let Some(info) = &info else { continue };
                let plan = binary(&info.summary, section).map_err(section_failure)?;
                let source =
                    read_range(account, mailbox, message, info, plan.range.clone()).await?;
                let decoded = plan.decode(&source).map_err(section_failure)?;
                let range = apply_partial(decoded.len() as u64, *partial);
                let bytes =
                    Bytes::copy_from_slice(&decoded[range.start as usize..range.end as usize]);
                FetchItem::Literal {
                    label: binary_label(section, *partial),
                    body: Body::Bytes(bytes),
                    binary: true,
                }
            }
            MessageDataItemName::BinarySize { section } => {
                let Some(info) = &info else { continue };
                let size = binary_size(&info.summary, section).map_err(section_failure)?;
                FetchItem::data(MessageDataItem::BinarySize {
                    section: section.clone(),
                    size: u32::try_from(size).unwrap_or(u32::MAX),
                })
            }
        };
        items.push(item);
    }
    Ok(items)
}

fn section_failure(error: SectionError) -> Skip {
    Skip::Fail(match error {
        SectionError::UnknownCte => Failure::no("UNKNOWN-CTE", "Unknown Content-Transfer-Encoding"),
        SectionError::InvalidEncoding => Failure::no("PARSE", "Invalid data in the MIME part"),
    })
}

async fn content(
    account: &Account,
    mailbox: &MailboxInfo,
    message: &Message,
    range: Option<Range<u64>>,
) -> Result<Content, Skip> {
    if message.expunged {
        return Err(Skip::Gone);
    }
    Ok(account
        .mailboxes
        .content(mailbox, &message.item_ref(), range)
        .await?)
}

/// `BODY[]` (or a partial range of it), streamed.
async fn whole(
    account: &Account,
    mailbox: &MailboxInfo,
    message: &Message,
    range: Option<Range<u64>>,
    size: Option<u64>,
) -> Result<Body, Skip> {
    if range.as_ref().is_some_and(Range::is_empty) {
        return Ok(Body::Bytes(Bytes::new()));
    }
    let content = content(account, mailbox, message, range.clone()).await?;
    let expected = match (&range, size) {
        (Some(range), _) => Some(range.end - range.start),
        (None, size) => size,
    };
    if expected.is_some_and(|expected| expected != content.length) {
        // The bytes no longer match what was listed: the message changed or went away.
        return Err(Skip::Gone);
    }
    settled(content).await
}

/// Bodies up to this size are read whole before their literal is announced, so a repository
/// that fails half-way is answered with `NO [UNAVAILABLE]` and the connection goes on; larger
/// ones are streamed, and a failure half-way can only end the connection (the literal's length
/// was promised).
const READ_BEFORE_ANNOUNCING: u64 = 1024 * 1024;

async fn settled(content: Content) -> Result<Body, Skip> {
    if content.length > READ_BEFORE_ANNOUNCING {
        return Ok(Body::Stream(content));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(content.length).unwrap_or(0));
    let mut stream = content.stream;
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk?);
        if bytes.len() as u64 > content.length {
            return Err(Skip::Gone);
        }
    }
    if bytes.len() as u64 != content.length {
        return Err(Skip::Gone);
    }
    Ok(Body::Bytes(Bytes::from(bytes)))
}

/// A section's bytes (with a partial range applied).
async fn section_body(
    account: &Account,
    mailbox: &MailboxInfo,
    message: &Message,
    info: &MessageInfo,
    plan: &SectionPlan,
    partial: Option<(u32, NonZeroU32)>,
) -> Result<Body, Skip> {
    match plan {
        SectionPlan::Range(range) => {
            let sub = apply_partial(range.end - range.start, partial);
            let absolute = range.start + sub.start..range.start + sub.end;
            if absolute.is_empty() {
                return Ok(Body::Bytes(Bytes::new()));
            }
            if absolute.end <= info.header.len() as u64 {
                return Ok(Body::Bytes(
                    info.header
                        .slice(absolute.start as usize..absolute.end as usize),
                ));
            }
            let content = content(account, mailbox, message, Some(absolute.clone())).await?;
            if content.length != absolute.end - absolute.start {
                return Err(Skip::Gone);
            }
            settled(content).await
        }
        SectionPlan::HeaderFields { .. } => {
            let source = read_range(account, mailbox, message, info, plan.source()).await?;
            let rendered = plan.render(&source);
            let sub = apply_partial(rendered.len() as u64, partial);
            Ok(Body::Bytes(Bytes::copy_from_slice(
                &rendered[sub.start as usize..sub.end as usize],
            )))
        }
    }
}

/// Reads a byte range of the message into memory (header blocks, MIME parts for BINARY).
async fn read_range(
    account: &Account,
    mailbox: &MailboxInfo,
    message: &Message,
    info: &MessageInfo,
    range: Range<u64>,
) -> Result<Bytes, Skip> {
    if range.is_empty() {
        return Ok(Bytes::new());
    }
    if range.end <= info.header.len() as u64 {
        return Ok(info.header.slice(range.start as usize..range.end as usize));
    }
    let content = content(account, mailbox, message, Some(range.clone())).await?;
    let mut bytes = Vec::with_capacity(usize::try_from(content.length).unwrap_or(0));
    let mut stream = content.stream;
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk?);
    }
    if bytes.len() as u64 != range.end - range.start {
        return Err(Skip::Gone);
    }
    Ok(Bytes::from(bytes))
}

/// The item name echoed to the client: `BODY[<section>]` with `<origin>` for partial fetches
/// (the section exactly as asked for: Apple Mail drops data whose label differs).
fn body_label(section: Option<&Section<'static>>, partial: Option<(u32, NonZeroU32)>) -> Vec<u8> {
    let item = MessageDataItem::BodyExt {
        section: section.cloned(),
        origin: partial.map(|(origin, _)| origin),
        data: NString(None),
    };
    strip_nil(encode_fetch_item(&item))
}

fn binary_label(section: &[NonZeroU32], partial: Option<(u32, NonZeroU32)>) -> Vec<u8> {
    let mut label = b"BINARY[".to_vec();
    let parts: Vec<String> = section.iter().map(|n| n.to_string()).collect();
    label.extend_from_slice(parts.join(".").as_bytes());
    label.push(b']');
    if let Some((origin, _)) = partial {
        label.extend_from_slice(format!("<{origin}>").as_bytes());
    }
    label
}

fn strip_nil(mut encoded: Vec<u8>) -> Vec<u8> {
    if encoded.ends_with(b" NIL") {
        encoded.truncate(encoded.len() - 4);
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap_types::core::{AString, Vec1};

    #[test]
    fn labels_echo_the_request() {
        let fields = Vec1::try_from(vec![
            AString::try_from("From").unwrap(),
            AString::try_from("Message-ID").unwrap(),
        ])
        .unwrap();
        let section = Section::HeaderFields(None, fields);
        assert_eq!(
            body_label(Some(&section), None),
            b"BODY[HEADER.FIELDS (From Message-ID)]"
        );
        assert_eq!(
            body_label(None, Some((0, NonZeroU32::new(10).unwrap()))),
            b"BODY[]<0>"
        );
        assert_eq!(binary_label(&[NonZeroU32::MIN], None), b"BINARY[1]");
    }
}
