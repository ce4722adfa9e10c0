//! SELECT, EXAMINE, UNSELECT (RFC 3691), CLOSE, and STATUS (RFC 3501 §6.3.1, §6.3.2, §6.3.10,
//! §6.4.2).

use std::num::NonZeroU32;

use imap_types::command::SelectParameter;
use imap_types::mailbox::Mailbox;
use imap_types::response::{Code, Data, Response, Status};
use imap_types::status::{StatusDataItem, StatusDataItemName};

use crate::imap::flags;
use crate::imap::output::{Output, Responder};
use crate::imap::selected::{Selected, listed_items};
use crate::imap::sequence::{Ranges, compact};
use crate::imap::session::{
    CommandResult, Completion, Failure, Session, code_named, unreachable_status,
};
use crate::mailbox::{MailboxInfo, MailboxRights};
use crate::state::{MailboxKey, reconcile};

impl Session {
    pub(crate) async fn select(
        &mut self,
        mailbox: Mailbox<'static>,
        parameters: Vec<SelectParameter>,
        read_only: bool,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let account = self.account()?;
        if self.selected.take().is_some() && self.enabled.qresync {
            let closed = Status::ok(None, Some(Code::Closed), "Previous mailbox closed")
                .unwrap_or_else(|_| unreachable_status());
            out.send(Output::Response(Response::Status(closed))).await?;
        }
        let mut qresync = None;
        for parameter in parameters {
            match parameter {
                SelectParameter::CondStore => self.enabled.condstore = true,
                SelectParameter::QResync {
                    uid_validity,
                    mod_sequence_value,
                    known_uids,
                    ..
                } => {
                    if !self.enabled.qresync {
                        return Err(Failure::bad("Enable QRESYNC first"));
                    }
                    qresync = Some((uid_validity.get(), mod_sequence_value.get(), known_uids));
                }
            }
        }
        let name = self.mailbox_name(&mailbox)?;
        self.saved.clear();
        let (info, key) = self.selectable(&name).await?;
        let now = self.ctx.clock.now();
        let (selected, opened) = Selected::open(
            account.mailboxes.as_ref(),
            self.ctx.store.as_ref(),
            info,
            key,
            read_only,
            now,
        )
        .await?;

        let keywords: Vec<String> = selected
            .messages
            .iter()
            .flat_map(|m| m.flags.keywords.iter().cloned())
            .collect();
        let defined = flags::defined(keywords);
        out.send(Output::Response(Response::Data(Data::Flags(
            defined.clone(),
        ))))
        .await?;
        let rights = if read_only {
            MailboxRights::default()
        } else {
            selected.info.rights
        };
        let permanent = if read_only {
            Vec::new()
        } else {
            flags::permanent(&rights, &defined)
        };
        untagged(out, Code::PermanentFlags(permanent), "Flags permitted").await?;
        out.send(Output::Response(Response::Data(Data::Exists(
            opened.exists as u32,
        ))))
        .await?;
        out.send(Output::Response(Response::Data(Data::Recent(
            opened.recent as u32,
        ))))
        .await?;
        if let Some(unseen) = opened.first_unseen {
            untagged(out, Code::Unseen(unseen), "First unseen").await?;
        }
        if let Some(validity) = NonZeroU32::new(selected.uid_validity) {
            untagged(out, Code::UidValidity(validity), "UIDs valid").await?;
        }
        if let Some(next) = NonZeroU32::new(selected.uid_next) {
            untagged(out, Code::UidNext(next), "Predicted next UID").await?;
        }
        if self.enabled.condstore
            && let Some(highest) = std::num::NonZeroU64::new(selected.highest_modseq)
        {
            untagged(out, Code::HighestModSeq(highest), "Highest").await?;
        }
        if let Some((validity, since, known)) = qresync
            && validity == selected.uid_validity
        {
            // RFC 7162 §3.2.5: what the client missed since its MODSEQ.
            let changes = self
                .ctx
                .store
                .changes_since(selected.mailbox_id, account.mailboxes.user(), since)
                .await?;
            let known = known.map(|set| Ranges::new(&set, u32::MAX));
            let vanished = changes
                .vanished
                .iter()
                .copied()
                .filter(|uid| known.as_ref().is_none_or(|k| k.contains(*uid)));
            if let Some(set) = compact(vanished) {
                out.send(Output::Line(
                    format!("* VANISHED (EARLIER) {set}\r\n").into_bytes(),
                ))
                .await?;
            }
            for index in 0..selected.messages.len() {
                if selected.messages[index].modseq > since {
                    out.send(selected.flags_response(index, true, true)).await?;
                }
            }
        }
        self.selected = Some(selected);
        if read_only {
            Ok(Completion::with(Code::ReadOnly, "EXAMINE completed"))
        } else {
            Ok(Completion::with(Code::ReadWrite, "SELECT completed"))
        }
    }

    /// The mailbox called `name`, if it can be selected.
    pub(crate) async fn selectable(
        &self,
        name: &str,
    ) -> Result<(MailboxInfo, MailboxKey), Failure> {
        let account = self.account()?;
        let info = account.mailboxes.mailbox_to_open(name).await?;
        let Some(key) = info.key.clone() else {
            return Err(Failure::no("CANNOT", "This mailbox cannot be selected"));
        };
        Ok((info, key))
    }

    pub(crate) async fn unselect(&mut self) -> CommandResult {
        self.selected = None;
        self.saved.clear();
        Ok(Completion::ok("UNSELECT completed"))
    }

    pub(crate) async fn close(&mut self) -> CommandResult {
        if self.selected.as_ref().is_some_and(|s| !s.read_only) {
            // Expunge silently: CLOSE reports no EXPUNGE responses (RFC 3501 §6.4.2).
            let _ = self.remove_deleted(None).await;
        }
        self.selected = None;
        self.saved.clear();
        Ok(Completion::ok("CLOSE completed"))
    }

    pub(crate) async fn status(
        &mut self,
        mailbox: Mailbox<'static>,
        items: Vec<StatusDataItemName>,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let account = self.account()?;
        let name = self.mailbox_name(&mailbox)?;
        let (info, key) = self.selectable(&name).await?;
        let store = self.ctx.store.as_ref();
        let record = store.open_mailbox(&key, &info.name).await?;
        let listing = account.mailboxes.list_to_open(&info).await?;
        let view = reconcile(
            store,
            record.id,
            account.mailboxes.user(),
            &listed_items(&listing.items),
            false,
        )
        .await?;
        let watermark = view.record.recent_watermark;
        let mut answer = Vec::new();
        for item in items {
            let value = match item {
                StatusDataItemName::Messages => StatusDataItem::Messages(view.entries.len() as u32),
                StatusDataItemName::Recent => StatusDataItem::Recent(
                    view.entries.iter().filter(|e| e.uid > watermark).count() as u32,
                ),
                StatusDataItemName::UidNext => StatusDataItem::UidNext(
                    NonZeroU32::new(view.record.uid_next).unwrap_or(NonZeroU32::MIN),
                ),
                StatusDataItemName::UidValidity => StatusDataItem::UidValidity(
                    NonZeroU32::new(view.record.uid_validity).unwrap_or(NonZeroU32::MIN),
                ),
                StatusDataItemName::Unseen => StatusDataItem::Unseen(
                    view.entries.iter().filter(|e| !e.flags.seen).count() as u32,
                ),
                StatusDataItemName::Deleted => StatusDataItem::Deleted(
                    view.entries.iter().filter(|e| e.flags.deleted).count() as u32,
                ),
                StatusDataItemName::HighestModSeq => {
                    StatusDataItem::HighestModSeq(view.highest_modseq)
                }
                _ => return Err(Failure::bad("Unsupported STATUS item")),
            };
            answer.push(value);
        }
        let mailbox = crate::imap::names::response_mailbox(&info.name)
            .map_err(|_| Failure::no("SERVERBUG", "Unencodable mailbox name"))?;
        let data = Data::Status {
            mailbox,
            items: answer.into(),
        };
        out.send(Output::Response(Response::Data(data))).await?;
        let _ = code_named;
        Ok(Completion::ok("STATUS completed"))
    }
}

async fn untagged(
    out: &mut dyn Responder,
    code: Code<'static>,
    text: &'static str,
) -> Result<(), Failure> {
    let status = Status::ok(None, Some(code), text).unwrap_or_else(|_| unreachable_status());
    out.send(Output::Response(Response::Status(status))).await?;
    Ok(())
}
