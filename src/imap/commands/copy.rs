//! COPY (RFC 3501 §6.4.7) and MOVE (RFC 6851), with COPYUID (RFC 4315).

use std::num::NonZeroU32;

use imap_types::core::Vec1;
use imap_types::extensions::uidplus::{UidElement, UidSet};
use imap_types::mailbox::Mailbox;
use imap_types::response::{Code, Response, Status};
use imap_types::sequence::SequenceSet;

use crate::imap::output::{Output, Responder};
use crate::imap::session::{CommandResult, Completion, Failure, Session, unreachable_status};
use crate::mailbox::{ItemRef, MailboxError};
use crate::state::{Flags, NewMessage, Uid};

impl Session {
    pub(crate) async fn copy(
        &mut self,
        sequence_set: SequenceSet,
        mailbox: Mailbox<'static>,
        uid: bool,
        moving: bool,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let account = self.account()?;
        let command = if moving { "MOVE" } else { "COPY" };
        let name = self.mailbox_name(&mailbox)?;
        let target = match account.mailboxes.mailbox(&name).await {
            Ok(info) => info,
            Err(MailboxError::NotFound) => {
                return Err(Failure::No(Some(Code::TryCreate), "No such mailbox".into()));
            }
            Err(error) => return Err(error.into()),
        };
        let Some(target_key) = target.key.clone() else {
            return Err(Failure::no(
                "CANNOT",
                "Messages cannot be stored in this mailbox",
            ));
        };
        let Some(selected) = self.selected.as_ref() else {
            return Err(Failure::bad("No mailbox selected"));
        };
        if moving && selected.read_only {
            return Err(Failure::no(
                "CANNOT",
                "The mailbox is open read-only (EXAMINE)",
            ));
        }
        let indexes = selected
            .resolve(&sequence_set, uid)
            .map_err(|_| Failure::bad("Invalid message sequence number"))?;
        let messages: Vec<_> = indexes
            .iter()
            .map(|&i| selected.messages[i].clone())
            .filter(|m| !m.expunged)
            .collect();
        if messages.is_empty() {
            return Ok(Completion::ok(format!("{command} completed (no messages)")));
        }
        if target_key == selected.key && moving {
            return Err(Failure::no(
                "CANNOT",
                "Source and destination are the same mailbox",
            ));
        }
        if !target.rights.insert {
            return Err(Failure::no(
                "NOPERM",
                "You may not store messages in that mailbox",
            ));
        }
        if moving && messages.iter().any(|m| !m.item.rights.delete) {
            return Err(Failure::no(
                "NOPERM",
                "You may not remove these messages from this mailbox",
            ));
        }
        let refs: Vec<ItemRef> = messages.iter().map(|m| m.item_ref()).collect();
        let source = selected.info.clone();
        let source_key = selected.key.clone();
        let source_id = selected.mailbox_id;
        let new_items = if moving {
            account.mailboxes.move_to(&source, &refs, &target).await?
        } else {
            account.mailboxes.copy(&source, &refs, &target).await?
        };

        let store = self.ctx.store.as_ref();
        let record = store.open_mailbox(&target_key, &target.name).await?;
        let user = account.mailboxes.user().to_owned();
        let requests: Vec<NewMessage> = new_items
            .iter()
            .zip(&messages)
            .map(|(item, source)| {
                let private: Flags = source.flags.private();
                NewMessage {
                    node_id: item.node_id.clone(),
                    identity: item.identity.clone(),
                    shared_flags: source.flags.shared(),
                    default_seen: false,
                    private_flags: (!private.is_empty()).then(|| (user.clone(), private)),
                    replaces: None,
                    pin: item.pin.clone(),
                }
            })
            .collect();
        let allocation = store.allocate(record.id, &requests, false).await?;
        self.ctx.hub.notify(&target_key);

        let source_uids: Vec<Uid> = messages.iter().map(|m| m.uid).collect();
        let code = copyuid(
            allocation.record.uid_validity,
            &source_uids,
            &allocation.uids,
        );
        if moving {
            store.retire(source_id, &source_uids).await?;
            self.ctx.hub.notify(&source_key);
            if let Some(code) = code {
                let status =
                    Status::ok(None, Some(code), "Moved").unwrap_or_else(|_| unreachable_status());
                out.send(Output::Response(Response::Status(status))).await?;
            }
            let reporting = self.reporting(uid);
            if let Some(selected) = self.selected.as_mut() {
                selected.mark_expunged(&source_uids);
                selected.flush(out, true, reporting).await?;
            }
            return Ok(Completion::ok("MOVE completed"));
        }
        Ok(match code {
            Some(code) => Completion::with(code, "COPY completed"),
            None => Completion::ok("COPY completed"),
        })
    }
}

/// `COPYUID validity source-uids destination-uids` (RFC 4315), in matching order.
fn copyuid(validity: u32, source: &[Uid], destination: &[Uid]) -> Option<Code<'static>> {
    let uid_validity = NonZeroU32::new(validity)?;
    if source.len() != destination.len() || source.is_empty() {
        return None;
    }
    let mut pairs: Vec<(Uid, Uid)> = source
        .iter()
        .copied()
        .zip(destination.iter().copied())
        .collect();
    pairs.sort_unstable();
    Some(Code::CopyUid {
        uid_validity,
        source: uid_set(pairs.iter().map(|p| p.0))?,
        destination: uid_set(pairs.iter().map(|p| p.1))?,
    })
}

/// UIDs in the given order as a uid-set, collapsing runs that ascend by one.
fn uid_set(uids: impl Iterator<Item = Uid>) -> Option<UidSet> {
    let mut elements: Vec<UidElement> = Vec::new();
    let mut run: Option<(NonZeroU32, NonZeroU32)> = None;
    for uid in uids {
        let uid = NonZeroU32::new(uid)?;
        run = match run {
            Some((start, end)) if end.get().checked_add(1) == Some(uid.get()) => Some((start, uid)),
            Some(done) => {
                elements.push(element(done));
                Some((uid, uid))
            }
            None => Some((uid, uid)),
        };
    }
    elements.push(element(run?));
    Vec1::try_from(elements).ok().map(UidSet)
}

fn element((start, end): (NonZeroU32, NonZeroU32)) -> UidElement {
    if start == end {
        UidElement::Single(start)
    } else {
        UidElement::Range(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_keep_order() {
        let set = uid_set([1, 2, 3, 7].into_iter()).unwrap();
        assert_eq!(set.0.as_ref().len(), 2);
        assert!(uid_set(std::iter::empty()).is_none());
    }
}
