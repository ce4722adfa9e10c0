//! EXPUNGE (RFC 3501 §6.4.3) and UID EXPUNGE (RFC 4315).
//!
//! Only messages marked `\Deleted` that this user may delete are removed, and a message is
//! reported expunged only once the repository confirmed it. Messages another user marked but
//! this user may not delete stay where they are.

use imap_types::sequence::SequenceSet;

use crate::imap::output::Responder;
use crate::imap::sequence::Ranges;
use crate::imap::session::{CommandResult, Completion, Failure, Session};
use crate::mailbox::ItemRef;
use crate::state::Uid;

impl Session {
    pub(crate) async fn expunge(
        &mut self,
        uids: Option<SequenceSet>,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let _ = out;
        if self.selected.as_ref().is_some_and(|s| s.read_only) {
            return Err(Failure::no(
                "CANNOT",
                "The mailbox is open read-only (EXAMINE)",
            ));
        }
        let failed = self.remove_deleted(uids.as_ref()).await?;
        match failed {
            None => Ok(Completion::ok("EXPUNGE completed")),
            Some(failure) => Err(failure),
        }
    }

    /// Removes the `\Deleted` messages (of `uids`, if given) this user may delete; returns the
    /// first failure, if some could not be removed.
    pub(crate) async fn remove_deleted(
        &mut self,
        uids: Option<&SequenceSet>,
    ) -> Result<Option<Failure>, Failure> {
        let account = self.account()?;
        let Some(selected) = self.selected.as_mut() else {
            return Err(Failure::bad("No mailbox selected"));
        };
        let largest = selected.messages.last().map(|m| m.uid).unwrap_or(0);
        let wanted = uids.map(|set| Ranges::new(set, largest));
        let candidates: Vec<(Uid, ItemRef)> = selected
            .messages
            .iter()
            .filter(|m| !m.expunged && m.flags.deleted && m.item.rights.delete)
            .filter(|m| wanted.as_ref().is_none_or(|w| w.contains(m.uid)))
            .map(|m| (m.uid, m.item_ref()))
            .collect();
        if candidates.is_empty() {
            return Ok(None);
        }
        let refs: Vec<ItemRef> = candidates.iter().map(|(_, r)| r.clone()).collect();
        let outcomes = account.mailboxes.expunge(&selected.info, &refs).await?;
        let mut removed = Vec::new();
        let mut first_failure = None;
        for ((uid, _), outcome) in candidates.iter().zip(outcomes) {
            match outcome {
                Ok(()) => removed.push(*uid),
                Err(error) => {
                    tracing::warn!(uid, %error, "could not expunge a message");
                    first_failure.get_or_insert_with(|| Failure::from(error));
                }
            }
        }
        if !removed.is_empty() {
            self.ctx.store.retire(selected.mailbox_id, &removed).await?;
            selected.mark_expunged(&removed);
            self.ctx.hub.notify(&selected.key);
        }
        Ok(first_failure)
    }
}
