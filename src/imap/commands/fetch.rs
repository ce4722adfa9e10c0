//! FETCH (RFC 3501 §6.4.5).

use std::num::NonZeroU32;

use imap_types::IntoStatic;
use imap_types::command::FetchModifier;
use imap_types::datetime::DateTime as ImapDateTime;
use imap_types::fetch::{MacroOrMessageDataItemNames, MessageDataItem, MessageDataItemName};
use imap_types::sequence::SequenceSet;

use crate::imap::flags::flags_to_fetch;
use crate::imap::output::{Body, FetchItem, FetchOutput, Output, Responder};
use crate::imap::session::{CommandResult, Completion, Failure, Session};
use crate::state::{FlagOp, FlagUpdate, Flags};

impl Session {
    pub(crate) async fn fetch(
        &mut self,
        sequence_set: SequenceSet,
        names: MacroOrMessageDataItemNames<'static>,
        uid: bool,
        modifiers: Vec<FetchModifier>,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let _ = modifiers;
        let account = self.account()?;
        let mut names = match names {
            MacroOrMessageDataItemNames::Macro(m) => m
                .expand()
                .into_iter()
                .map(IntoStatic::into_static)
                .collect(),
            MacroOrMessageDataItemNames::MessageDataItemNames(names) => names,
        };
        if uid && !names.contains(&MessageDataItemName::Uid) {
            names.insert(0, MessageDataItemName::Uid);
        }
        let Some(selected) = self.selected.as_mut() else {
            return Err(Failure::bad("No mailbox selected"));
        };
        let indexes = selected
            .resolve(&sequence_set, uid)
            .map_err(|_| Failure::bad("Invalid message sequence number"))?;
        let sets_seen = !selected.read_only
            && names.iter().any(|n| {
                matches!(
                    n,
                    MessageDataItemName::BodyExt { peek: false, .. }
                        | MessageDataItemName::Rfc822
                        | MessageDataItemName::Rfc822Text
                        | MessageDataItemName::Binary { peek: false, .. }
                )
            });
        let mut failed = false;
        for index in indexes {
            let message = selected.messages[index].clone();
            let mut flags = message.flags.clone();
            let mut flags_changed = false;
            if sets_seen && !flags.seen {
                let update = FlagUpdate {
                    uids: vec![message.uid],
                    op: FlagOp::Add,
                    flags: Flags {
                        seen: true,
                        ..Flags::default()
                    },
                    unchanged_since: None,
                };
                let outcome = self
                    .ctx
                    .store
                    .store_flags(selected.mailbox_id, account.mailboxes.user(), &update)
                    .await?;
                for changed in outcome.changed {
                    selected.apply_own_flags(changed.uid, &changed.flags, changed.modseq);
                    flags = changed.flags;
                    flags_changed = true;
                }
            }
            let mut items = Vec::new();
            for name in &names {
                match name {
                    MessageDataItemName::Uid => {
                        if let Some(uid) = NonZeroU32::new(message.uid) {
                            items.push(FetchItem::data(MessageDataItem::Uid(uid)));
                        }
                    }
                    MessageDataItemName::Flags => {
                        items.push(FetchItem::data(MessageDataItem::Flags(flags_to_fetch(
                            &flags,
                            selected.recent.contains(&message.uid),
                        ))))
                    }
                    MessageDataItemName::InternalDate => {
                        let date = message.item.internal_date.fixed_offset();
                        if let Ok(date) = ImapDateTime::try_from(date) {
                            items.push(FetchItem::data(MessageDataItem::InternalDate(date)));
                        }
                    }
                    MessageDataItemName::Rfc822Size => {
                        if let Some(size) = message.item.size {
                            items.push(FetchItem::data(MessageDataItem::Rfc822Size(size as u32)));
                        }
                    }
                    MessageDataItemName::BodyExt {
                        section: None,
                        partial: None,
                        ..
                    }
                    | MessageDataItemName::Rfc822 => {
                        let content = match account
                            .mailboxes
                            .content(&selected.info, &message.item_ref(), None)
                            .await
                        {
                            Ok(content) => content,
                            Err(_) => {
                                failed = true;
                                continue;
                            }
                        };
                        let label: &[u8] = if matches!(name, MessageDataItemName::Rfc822) {
                            b"RFC822"
                        } else {
                            b"BODY[]"
                        };
                        items.push(FetchItem::Literal {
                            label: label.to_vec(),
                            body: Body::Stream(content),
                        });
                    }
                    _ => return Err(Failure::no("CANNOT", "FETCH item not available yet")),
                }
            }
            if flags_changed && !names.contains(&MessageDataItemName::Flags) {
                items.push(FetchItem::data(MessageDataItem::Flags(flags_to_fetch(
                    &flags,
                    selected.recent.contains(&message.uid),
                ))));
            }
            let seq = NonZeroU32::new(index as u32 + 1).unwrap_or(NonZeroU32::MIN);
            out.send(Output::Fetch(FetchOutput { seq, items })).await?;
        }
        if failed {
            return Err(Failure::no(
                "EXPUNGEISSUED",
                "Some messages could not be fetched",
            ));
        }
        Ok(Completion::ok("FETCH completed"))
    }
}
